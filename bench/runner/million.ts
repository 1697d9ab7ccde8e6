/**
 * Child process of the runner bench: runs the bench suite over a JSONL file and prints its own peak RSS.
 * Usage: node --import tsx bench/runner/million.ts <cases.jsonl> <output dir>
 */
import { NodeFileSystem, NodePath } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import * as Fs from "node:fs"
import { Dataset, Eval, Scorers } from "../../packages/evaluator/src/index.js"

const [file, outputDir] = process.argv.slice(2)
const suite = Eval.make({
  name: "million",
  data: Dataset.jsonl<string, string>(file),
  task: (input: string) => input.replace("fox", "cat"),
  scorers: [Scorers.exactMatch, Scorers.contains, Scorers.levenshtein],
  concurrency: 10
})

const start = performance.now()
// Only what the run uses: all of NodeContext.layer (a command executor, a terminal, workers) adds ~17 MB of RSS to the
// bundle, which is the program's choice, not the runner's cost.
const files = Layer.merge(NodeFileSystem.layer, NodePath.layer)
const report = await Effect.runPromise(Eval.run(suite, { outputDir }).pipe(Effect.provide(files)))
const duration = performance.now() - start
if (report.scorers.some((s) => s.mean !== 1)) throw new Error("unexpected scores")
console.log(JSON.stringify({
  total: report.totals.cases,
  duration,
  peakRssMb: process.resourceUsage().maxRSS / 1024,
  casesFile: report.casesFile
}))
if (report.casesFile !== undefined) Fs.rmSync(report.casesFile)
