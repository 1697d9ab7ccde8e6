/**
 * Running a suite: `Eval.run` and, one case at a time, `describeEval`. Both go through the same runner config, so a
 * case under Vitest sees the same task context, timeout, trials and Helicone delivery as under `Eval.run`.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Dataset from "../../Dataset.js"
import type { HeliconeOptions, RunOptions, Suite } from "../../Eval.js"
import type { CaseResult, EvalReport, HeliconeSummary } from "../../EvalReport.js"
import * as runner from "./runner.js"

const loadCore = Effect.promise(() =>
  Promise.all([import("@helicone-effect/core/HeliconeScores"), import("@helicone-effect/core/ScoreQueue")])
)

/** `Eval.run`; `firstIndex` is the index of the suite's first case (for a suite cut down to one case). */
export const run = (
  suite: Suite<any, any, any, any>,
  options: RunOptions<any> = {},
  firstIndex = 0
): Effect.Effect<EvalReport, never, any> => {
  const config = (helicone: runner.Config["helicone"]): runner.Config => ({
    name: suite.name,
    dataset: suite.data,
    task: suite.task,
    scorers: suite.scorers,
    trials: suite.trials,
    concurrency: suite.concurrency,
    timeout: suite.timeout,
    thresholds: suite.thresholds,
    maxErrors: options.maxErrors ?? suite.maxErrors,
    maxCases: options.maxCases ?? 10_000,
    casesFile: options.casesFile,
    outputDir: options.outputDir ?? ".helicone-eval",
    reporters: options.reporters ?? [],
    helicone,
    firstIndex
  })
  const helicone = options.helicone
  if (helicone === undefined) return runner.run(config(undefined))
  const scale = helicone.scale ?? 100
  if (!Number.isSafeInteger(scale) || scale < 1) {
    throw new RangeError(`helicone.scale must be a positive integer, got ${scale}`)
  }
  const concurrency = helicone.concurrency ?? 8
  const strict = helicone.strict ?? false
  // Core's client and queue (and @effect/platform's HttpClient under them) load only for runs that send scores: a
  // plain run, and the start-up of `helicone-eval run`, do without them.
  return Effect.flatMap(
    loadCore,
    ([HeliconeScores, ScoreQueue]) =>
      Effect.flatMap(Effect.serviceOption(ScoreQueue.ScoreQueue), (queue) => {
        if (Option.isNone(queue)) {
          return Effect.flatMap(
            HeliconeScores.HeliconeScores,
            (service) => runner.run(config({ submit: service.submitScore, scale, concurrency, strict }))
          )
        }
        return runner.run(config({ submit: queue.value, scale, concurrency, strict }))
      })
  )
}

/**
 * Every trial of the case at `index` of a suite, run like `Eval.run` runs it (the task sees `ctx.index === index`),
 * and what happened to its scores sent to Helicone.
 */
export const runCase = (
  suite: Suite<any, any, any, any>,
  item: Dataset.Case<unknown, unknown>,
  index: number,
  helicone: HeliconeOptions | undefined
): Effect.Effect<
  { readonly cases: ReadonlyArray<CaseResult>; readonly helicone: HeliconeSummary | undefined },
  never,
  any
> =>
  Effect.map(
    run({ ...suite, data: Dataset.fromIterable([item]), concurrency: 1 }, { helicone }, index),
    (report) => ({ cases: report.cases, helicone: report.helicone })
  )
