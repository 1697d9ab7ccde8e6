/**
 * Cases whose task answers with an Effect, through `Eval.run`, against the same cases with a plain task, alternating
 * in one process: what a case that suspends into Effect costs (the runner provides `ModelCalls.CurrentCase` to each
 * such task). Prints one JSON line: the timings of each round.
 *
 *   node --expose-gc --import tsx bench/runner/effects.ts [cases] [rounds]
 */
import { Effect } from "effect"
import { Eval, Scorers } from "../../packages/evaluator/src/index.js"

const cases = Number(process.argv[2] ?? 50_000)
const rounds = Number(process.argv[3] ?? 7)

const data = Array.from({ length: cases }, (_, i) => ({
  input: `The quick brown fox ${i} jumps over the lazy dog`,
  expected: `The quick brown cat ${i} jumps over the lazy dog`
}))
const scorers = [Scorers.exactMatch, Scorers.contains, Scorers.levenshtein]
const plain = Eval.make({ name: "bench", data, task: (input: string) => input.replace("fox", "cat"), scorers })
const effect = Eval.make({
  name: "bench",
  data,
  task: (input: string) => Effect.sync(() => input.replace("fox", "cat")),
  scorers
})

const time = async (s: Eval.Suite<string, string>): Promise<number> => {
  ;(globalThis as { gc?: () => void }).gc?.()
  const start = performance.now()
  const report = await Effect.runPromise(Eval.run(s, { maxCases: cases }))
  const duration = performance.now() - start
  if (report.totals.cases !== cases || report.totals.errored !== 0) throw new Error("the run did not score every case")
  return duration
}

const main = async () => {
  const plainRuns: Array<number> = []
  const effectRuns: Array<number> = []
  await time(plain) // warm-up
  await time(effect)
  for (let round = 0; round < rounds; round++) {
    plainRuns.push(await time(plain))
    effectRuns.push(await time(effect))
  }
  console.log(JSON.stringify({ cases, plain: plainRuns, effect: effectRuns }))
}

main()
