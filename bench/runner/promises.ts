/**
 * Cases whose task answers with a Promise, through `Eval.run` with the default case timeout against the same run with
 * the timeout off, alternating in one process: what the timeout costs a case that suspends (every such case is under
 * one by default). Prints one JSON line: the timings of each round.
 *
 *   node --expose-gc --import tsx bench/runner/promises.ts [cases] [rounds]
 */
import { Effect } from "effect"
import { Eval, Scorers } from "../../packages/evaluator/src/index.js"

const cases = Number(process.argv[2] ?? 50_000)
const rounds = Number(process.argv[3] ?? 7)

const data = Array.from({ length: cases }, (_, i) => ({
  input: `The quick brown fox ${i} jumps over the lazy dog`,
  expected: `The quick brown cat ${i} jumps over the lazy dog`
}))
const suite = (timeout: number | undefined) =>
  Eval.make({
    name: "bench",
    data,
    task: async (input: string) => input.replace("fox", "cat"),
    scorers: [Scorers.exactMatch, Scorers.contains, Scorers.levenshtein],
    concurrency: 10,
    ...(timeout === undefined ? {} : { timeout })
  })
const withTimeout = suite(undefined)
const withoutTimeout = suite(Infinity)

const time = async (s: typeof withTimeout): Promise<number> => {
  ;(globalThis as { gc?: () => void }).gc?.()
  const start = performance.now()
  const report = await Effect.runPromise(Eval.run(s, { maxCases: cases }))
  const duration = performance.now() - start
  if (report.totals.cases !== cases || report.totals.errored !== 0) throw new Error("the run did not score every case")
  return duration
}

const main = async () => {
  const off: Array<number> = []
  const on: Array<number> = []
  await time(withoutTimeout) // warm-up
  await time(withTimeout)
  for (let round = 0; round < rounds; round++) {
    off.push(await time(withoutTimeout))
    on.push(await time(withTimeout))
  }
  console.log(JSON.stringify({ cases, off, on }))
}

main()
