/**
 * Running a suite: `Eval.run` and, one case at a time, `describeEval`. Both go through the same runner config, so a
 * case under Vitest sees the same task context, timeout, trials and Helicone delivery as under `Eval.run`.
 *
 * @internal
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Cost from "../../Cost.js"
import * as Dataset from "../../Dataset.js"
import type { HeliconeOptions, RunOptions, Suite } from "../../Eval.js"
import type { CaseResult, EvalReport, HeliconeSummary } from "../../EvalReport.js"
import * as Comparison from "../report/comparison.js"
import * as runner from "./runner.js"

/**
 * Where `EvalReport.loadBaseline` read each report it returned, so that a comparison with it records the path and
 * `EvalReport.merge` can read it again.
 */
export const baselinePaths = new WeakMap<EvalReport, string>()

/**
 * The baseline of a run, read and digested: its cases come from its report or its cases file (through `FileSystem`
 * when the context has it). `Left` is why it cannot be compared, for the run's warnings and verdict.
 */
const baselineOf = (
  options: RunOptions<any>
): Effect.Effect<runner.Config["baseline"] | string> => {
  const baseline = options.baseline
  if (baseline === undefined) return Effect.succeed(undefined)
  const gate = options.failOnRegression
  const rule: Comparison.Rule = {
    failOnRegression: gate !== undefined && gate !== false,
    minimumDifference: typeof gate === "object" ? gate.minimumDifference ?? 0 : 0,
    seed: options.seed ?? 1
  }
  return Effect.flatMap(Effect.serviceOption(FileSystem.FileSystem), (fs) => {
    if (baseline.casesFile !== undefined && Option.isNone(fs)) {
      return Effect.succeed(
        `cannot compare with the baseline: its cases are in ${baseline.casesFile}, and the context has no FileSystem` +
          " to read it (on Node, provide NodeContext.layer from @effect/platform-node)"
      )
    }
    const prepare = Comparison.prepare(baseline, baselinePaths.get(baseline))
    return (Option.isNone(fs) ? prepare : Effect.provideService(prepare, FileSystem.FileSystem, fs.value)).pipe(
      Effect.map((prepared) => ({ prepared, rule })),
      Effect.catchAll((unreadable) =>
        Effect.succeed(
          `cannot compare with the baseline: cannot read its cases file ${unreadable.path}: ${unreadable.reason}`
        )
      )
    ) as Effect.Effect<runner.Config["baseline"] | string>
  })
}

const loadCore = Effect.promise(() =>
  Promise.all([import("@helicone-effect/core/HeliconeScores"), import("@helicone-effect/core/ScoreQueue")])
)

/**
 * `Eval.run`: fails with a price table or a budget that cannot be used, before any case starts.
 */
export const run = (
  suite: Suite<any, any, any, any>,
  options: RunOptions<any> = {},
  firstIndex = 0
): Effect.Effect<EvalReport, Cost.PriceTableError | Cost.MaxCostError, any> => {
  if (options.prices === undefined && options.maxCost === undefined) {
    return runWith(suite, options, firstIndex, Cost.builtInPrices)
  }
  return Effect.flatMap(
    options.maxCost === undefined ? Effect.void : Effect.asVoid(Cost.checkMaxCost(options.maxCost)),
    () => Effect.flatMap(Cost.merge(options.prices), (prices) => runWith(suite, options, firstIndex, prices))
  )
}

const runWith = (
  suite: Suite<any, any, any, any>,
  options: RunOptions<any>,
  firstIndex: number,
  prices: Cost.PriceTable
): Effect.Effect<EvalReport, never, any> => {
  const config = (
    helicone: runner.Config["helicone"],
    baseline: runner.Config["baseline"] | string
  ): runner.Config => ({
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
    firstIndex,
    cache: options.cache,
    prices,
    maxCost: options.maxCost,
    k: options.passAtK,
    shard: options.shard,
    baseline: typeof baseline === "string" ? undefined : baseline,
    baselineProblem: typeof baseline === "string" ?
      {
        message: baseline,
        failOnRegression: options.failOnRegression !== undefined && options.failOnRegression !== false
      } :
      undefined
  })
  return withHelicone(options, (helicone) =>
    options.baseline === undefined ?
      runner.run(config(helicone, undefined)) :
      Effect.flatMap(baselineOf(options), (baseline) => runner.run(config(helicone, baseline))))
}

const withHelicone = (
  options: RunOptions<any>,
  run: (helicone: runner.Config["helicone"]) => Effect.Effect<EvalReport, never, any>
): Effect.Effect<EvalReport, never, any> => {
  const helicone = options.helicone
  if (helicone === undefined) return run(undefined)
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
            (service) => run({ submit: service.submitScore, scale, concurrency, strict })
          )
        }
        return run({ submit: queue.value, scale, concurrency, strict })
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
    runWith({ ...suite, data: Dataset.fromIterable([item]), concurrency: 1 }, { helicone }, index, Cost.builtInPrices),
    (report) => ({ cases: report.cases, helicone: report.helicone })
  )
