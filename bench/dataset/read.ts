/**
 * Child process of the dataset bench: reads a JSONL file through `Dataset.jsonl` and prints the time it took and its
 * own peak RSS. Every case is filtered out as it is read, so what is measured is the reading and the parsing, not a
 * run's results.
 * Usage: node --import tsx bench/dataset/read.ts <cases.jsonl>
 */
import { NodeFileSystem } from "@effect/platform-node"
import { Effect } from "effect"
import { Dataset, Eval } from "../../packages/evaluator/src/index.js"

const [file] = process.argv.slice(2)
const suite = Eval.make({
  name: "read",
  // rows that cannot be read are kept by `filter`, and are what the run reports
  data: Dataset.filter(Dataset.jsonl(file), () => false),
  task: () => 0,
  scorers: []
})

const start = performance.now()
const report = await Effect.runPromise(Eval.run(suite).pipe(Effect.provide(NodeFileSystem.layer)))
const duration = performance.now() - start
console.log(JSON.stringify({
  duration,
  peakRssMb: process.resourceUsage().maxRSS / 1024,
  errors: report.cases.map((c) => c.errors[0]?.message.slice(0, 120))
}))
