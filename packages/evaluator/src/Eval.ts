/**
 * Eval suites as code: a dataset, a task, scorers; {@link run} streams the cases through the task and the scorers
 * and returns an {@link EvalReport.EvalReport}.
 *
 * @since 0.1.0
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import type * as Path from "@effect/platform/Path"
import type { HeliconeScores } from "@helicone-effect/core/HeliconeScores"
import type { RequestId } from "@helicone-effect/core/RequestId"
import * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import * as Predicate from "effect/Predicate"
import * as Levenshtein from "fastest-levenshtein"
import type * as Cost from "./Cost.js"
import * as Dataset from "./Dataset.js"
import type { CaseResult, EvalReport, HeliconeSummary } from "./EvalReport.js"
import * as Verdict from "./internal/report/verdict.js"
import * as evalRun from "./internal/runner/evalRun.js"
import type * as ModelCalls from "./ModelCalls.js"
import type { Reporter } from "./Reporter.js"
import type { Scorer } from "./Scorer.js"

/**
 * @since 0.1.0
 * @category type ids
 */
export const TypeId: unique symbol = Symbol.for("@helicone-effect/evaluator/Eval")

/**
 * @since 0.1.0
 * @category type ids
 */
export type TypeId = typeof TypeId

/**
 * What the task receives with each input. `requestId` is a fresh Helicone request id (UUID v4) for this case and
 * trial; send `heliconeHeaders` with the model call made through Helicone's gateway so that the logged request
 * carries it, and the case's scores land on that request.
 *
 * @since 0.1.0
 * @category models
 */
export interface TaskContext {
  /** The case's position in the dataset, from 0. */
  readonly index: number
  /** The trial, from 0 to `trials - 1`. */
  readonly trial: number
  readonly requestId: RequestId
  readonly heliconeHeaders: { readonly "Helicone-Request-Id": string }
  readonly name: string | undefined
  readonly metadata: Readonly<Record<string, unknown>>
  /**
   * Aborted when the case runs out of time (its `timeout`) or the run is interrupted (Ctrl-C, `Fiber.interrupt`),
   * with the reason: a `TimeoutError` `DOMException` ("the case timed out after 10m") or an `AbortError` one. An
   * Effect task is stopped by interruption anyway; a Promise cannot be, so pass the signal to what the task awaits
   * (`fetch(url, { signal: ctx.signal })`, `openai.chat.completions.create(body, { signal: ctx.signal })`) or its
   * calls go on after the case has ended, and may keep the process alive.
   */
  readonly signal: AbortSignal
  /**
   * The case as model layers see it: what the runner provides as `ModelCalls.CurrentCase` around an Effect task (and,
   * as a judge's, around each scorer's Effect). A Promise task that runs Effect model calls provides it itself:
   * `Effect.runPromise(Effect.provideService(call, ModelCalls.CurrentCase, ctx.currentCase))`. Made when first read.
   */
  readonly currentCase: ModelCalls.Case
}

/**
 * The task under evaluation: returns the output plainly, as a Promise or as an Effect. A throw, a rejection, a
 * failure or a defect is recorded as the case's `task` error; the other cases go on.
 *
 * @since 0.1.0
 * @category models
 */
export type Task<Input, Output, R> = (
  input: Input,
  ctx: TaskContext
) => Output | PromiseLike<Output> | Effect.Effect<Output, unknown, R>

/**
 * An eval suite, built with {@link make}.
 *
 * @since 0.1.0
 * @category models
 */
export interface Suite<Input, Output, Expected = unknown, R = never> {
  readonly [TypeId]: TypeId
  readonly name: string
  readonly data: Dataset.Dataset<Input, Expected, any>
  readonly task: Task<Input, Output, any>
  readonly scorers: ReadonlyArray<Scorer<Input, Output, Expected, unknown, any>>
  readonly trials: number
  readonly concurrency: number
  /** The case timeout: `Eval.defaultTimeout` unless the suite set one; `Duration.infinity` (or `undefined`) for none. */
  readonly timeout: Duration.Duration | undefined
  readonly thresholds: Readonly<Record<string, Threshold>>
  /** Errored cases the run may have and still pass; see {@link MaxErrors}. Default 0. */
  readonly maxErrors: MaxErrors
  /** Phantom: what the task, the scorers and the data need. */
  readonly _R?: (_: never) => R
}

/**
 * How many errored cases a run may have and still pass: a count (`5`) or a percentage of the finished cases
 * (`"2%"`, rounded down: 2% of 120 cases allows 2). The default, 0, allows none. A case counts as errored when it has
 * an error of its task, a scorer, its timeout or its data; cases stopped in flight by an interruption do not count.
 * A count that is not an integer >= 0, or a percentage outside 0..100, is a `RangeError` where it is given
 * (`Eval.make`, `Eval.run`).
 *
 * @since 0.1.0
 * @category models
 */
export type MaxErrors = number | `${number}%`

/**
 * A scorer's threshold: a plain number is the minimum of its threshold mean (errors counting as 0, see
 * {@link Options.thresholds}); `{ min, on: "lower" }` asks for the lower bound of that mean's 95% interval to reach
 * `min` instead, so that a run passes only when its mean is surely above the bar, not just by the luck of a few
 * cases. `{ min }` and `{ min, on: "mean" }` are the plain number.
 *
 * @example
 * ```ts
 * import type { Eval } from "@helicone-effect/evaluator"
 *
 * const thresholds: Record<string, Eval.Threshold> = { exactMatch: { min: 0.9, on: "lower" }, levenshtein: 0.7 }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type Threshold = number | { readonly min: number; readonly on?: "mean" | "lower" | undefined }

/**
 * The options of {@link make}.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options<Input, Output, Expected, RD, RT, RS> {
  readonly name: string
  readonly data: Dataset.DataInput<Input, Expected, RD>
  readonly task: Task<Input, Output, RT>
  readonly scorers: ReadonlyArray<Scorer<Input, Output, Expected, any, RS>>
  /** How many times each case runs; each trial is a separate result. Default 1. */
  readonly trials?: number | undefined
  /** How many cases run at the same time. Default 10. */
  readonly concurrency?: number | undefined
  /**
   * How long one case (task and scorers) may take; {@link defaultTimeout} (10 minutes) by default, `Infinity` (or
   * `Duration.infinity`) for no limit. A case that waits (a Promise, an Effect) is stopped at the timeout, with a
   * `timeout` error and its `ctx.signal` aborted; one that runs synchronously cannot be, and gets a `timeout` error
   * (its output and scores kept) when it took longer.
   */
  readonly timeout?: Duration.DurationInput | undefined
  /**
   * Minimum mean score per scorer name; a scorer below its threshold fails the run (`report.passed`). The mean is
   * taken over every case, and a case the scorer did not score (the scorer failed or timed out, or the task failed
   * first) counts as 0 — what "mean score >= threshold" means in Braintrust or Evalite: errors never help a run pass.
   * The report gives that value as the scorer's `thresholdMean`, next to `mean` (over the scored cases only).
   * `{ min, on: "lower" }` judges the lower bound of that mean's interval instead (see {@link Threshold}).
   */
  readonly thresholds?: Readonly<Record<string, Threshold>> | undefined
  /**
   * How many errored cases the run may have and still pass: a count, or a percentage of the finished cases
   * (`"2%"`). Default 0: one errored case fails the run. See {@link MaxErrors}.
   */
  readonly maxErrors?: MaxErrors | undefined
}

/**
 * The case timeout of a suite that sets none: 10 minutes, the default request timeout of the OpenAI and Anthropic
 * SDKs, so that a case a model call can legitimately spend its time on is not cut short, while a case that hangs
 * (a stalled socket, a Promise that never settles) cannot block a run, and CI, for ever. Vitest's 5 s per test and
 * Evalite's 30 s are sized for tests, not for agents and judges that chain model calls; promptfoo's 25 minutes (five
 * times its 5-minute request timeout, for retries) lets a hung case hold a CI job for longer than most allow.
 *
 * @since 0.1.0
 * @category constructors
 */
export const defaultTimeout: Duration.Duration = Duration.minutes(10)

/**
 * Defines an eval suite.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Eval, Scorers } from "@helicone-effect/evaluator"
 *
 * const suite = Eval.make({
 *   name: "capitals",
 *   data: [{ input: "France", expected: "Paris" }, { input: "Japan", expected: "Tokyo" }],
 *   task: (country) => (country === "France" ? "Paris" : "Kyoto"),
 *   scorers: [Scorers.exactMatch],
 *   thresholds: { exactMatch: 0.9 }
 * })
 *
 * Effect.runPromise(Eval.run(suite)).then((report) => console.log(report.passed))
 * ```
 *
 * Throws a `RangeError` for `trials` or `concurrency` below 1 or a bad `maxErrors`, and a `TypeError` for a
 * threshold on a scorer the suite does not have, naming the closest scorer (`thresholds name no scorer of the suite
 * "capitals": "exactmatch" (did you mean "exactMatch"?)`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = <Input, Output, Expected = unknown, RD = never, RT = never, RS = never>(
  options: Options<Input, Output, Expected, RD, RT, RS>
): Suite<Input, Output, Expected, RD | RT | RS> => {
  const trials = options.trials ?? 1
  const concurrency = options.concurrency ?? 10
  if (!Number.isSafeInteger(trials) || trials < 1) throw new RangeError(`trials must be an integer >= 1, got ${trials}`)
  if (!Number.isSafeInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`concurrency must be an integer >= 1, got ${concurrency}`)
  }
  const maxErrors = options.maxErrors === undefined ? 0 : Verdict.checkMaxErrors(options.maxErrors)
  const thresholds = options.thresholds ?? {}
  for (const [name, threshold] of Object.entries(thresholds)) checkThreshold(name, threshold)
  const unknown = unknownIn(options.scorers.map((scorer) => scorer.name), Object.keys(thresholds))
  if (unknown.length > 0) {
    throw new TypeError(
      `thresholds name no scorer of the suite ${JSON.stringify(options.name)}: ${
        unknown.map(({ name, suggestion }) =>
          `${JSON.stringify(name)}${suggestion === undefined ? "" : ` (did you mean ${JSON.stringify(suggestion)}?)`}`
        ).join(", ")
      }; its scorers: ${options.scorers.map((scorer) => scorer.name).join(", ") || "none"}`
    )
  }
  return {
    [TypeId]: TypeId,
    name: options.name,
    data: Dataset.from(options.data),
    task: options.task,
    scorers: options.scorers,
    trials,
    concurrency,
    timeout: options.timeout === undefined ? defaultTimeout : Duration.decode(options.timeout),
    thresholds,
    maxErrors
  }
}

/** A threshold read and checked; a `TypeError` names the bad one. */
const checkThreshold = (name: string, threshold: unknown): Threshold => {
  const min = typeof threshold === "object" && threshold !== null ? (threshold as { min?: unknown }).min : threshold
  const on = typeof threshold === "object" && threshold !== null ? (threshold as { on?: unknown }).on : undefined
  if (typeof min !== "number" || Number.isNaN(min) || (on !== undefined && on !== "mean" && on !== "lower")) {
    throw new TypeError(
      `the threshold of ${JSON.stringify(name)} must be a number or { min: number, on?: "mean" | "lower" }`
    )
  }
  return threshold as Threshold
}

/**
 * The names among `thresholds` that are not a scorer of the suite, each with the suite's closest scorer name (by
 * Levenshtein distance, ignoring case) when one is close enough to be a misspelling. For thresholds given apart from
 * the suite, as `helicone-eval --threshold name=value` gives them; `Eval.make` throws a `TypeError` for its own.
 *
 * @example
 * ```ts
 * import { Eval } from "@helicone-effect/evaluator"
 *
 * declare const suite: Eval.Suite<string, string>
 * Eval.unknownThresholds(suite, { levenstein: 0.5 }) // [{ name: "levenstein", suggestion: "levenshtein" }]
 * ```
 *
 * @since 0.1.0
 * @category validation
 */
export const unknownThresholds = (
  suite: Suite<any, any, any, any>,
  thresholds: Readonly<Record<string, Threshold>>
): ReadonlyArray<{ readonly name: string; readonly suggestion: string | undefined }> =>
  unknownIn(suite.scorers.map((scorer) => scorer.name), Object.keys(thresholds))

const unknownIn = (
  scorers: ReadonlyArray<string>,
  names: ReadonlyArray<string>
): Array<{ readonly name: string; readonly suggestion: string | undefined }> => {
  const known = new Set(scorers)
  return names.filter((name) => !known.has(name)).map((name) => ({ name, suggestion: closest(name, scorers) }))
}

/** The closest of `candidates` to `name`, if within about a third of its length in edits (at least 2). */
const closest = (name: string, candidates: ReadonlyArray<string>): string | undefined => {
  let best: string | undefined
  let bestDistance = Infinity
  for (const candidate of candidates) {
    const d = Levenshtein.distance(name.toLowerCase(), candidate.toLowerCase())
    if (d < bestDistance) {
      best = candidate
      bestDistance = d
    }
  }
  return bestDistance <= Math.max(2, Math.ceil(name.length / 3)) ? best : undefined
}

/**
 * @since 0.1.0
 * @category guards
 */
export const isSuite = (u: unknown): u is Suite<unknown, unknown, unknown, unknown> => Predicate.hasProperty(u, TypeId)

/**
 * Sending each case's scores to Helicone as the case finishes, under the case's request id.
 *
 * Each score goes under the scorer's name as it is (Helicone's rules, checked by core: not blank, at most 256
 * characters, not `helicone-score-feedback`); a 0..1 score is sent as `Scores.fromUnit(score, scale)`, a boolean
 * score as a boolean.
 *
 * How they are sent depends on the context:
 * - With `HeliconeScores` only, submissions run in a bounded background pool (`concurrency`, default 8) that the run
 *   waits for at the end; a failed submission is recorded in `report.helicone` (`delivery: "direct"`).
 * - With a `ScoreQueue` too (provide `ScoreQueue.layer` to make submissions durable), each case's scores are
 *   offered to the queue, which returns without waiting for the network; at the end the run waits for the queue's
 *   `flush` (every score delivered, dead-lettered or fsynced in the outbox), so an outage of Helicone neither blocks
 *   the run nor loses scores: what Helicone did not take is replayed from the outbox later (the next time a queue
 *   opens that outbox). `report.helicone` (`delivery: "queue"`) counts what was `delivered`, `deadLettered` or left
 *   in the `outbox`.
 *
 * Nothing here fails the run unless `strict` is set: then `report.passed` is false when a submission failed (or was
 * refused by the queue), was dead-lettered, or is left in the outbox.
 *
 * @since 0.1.0
 * @category models
 */
export interface HeliconeOptions {
  /** The integer a score of 1 becomes. Default 100. */
  readonly scale?: number | undefined
  /** Submissions (or, with a `ScoreQueue`, offers) in progress at a time. Default 8. */
  readonly concurrency?: number | undefined
  readonly strict?: boolean | undefined
}

/**
 * The options of {@link run}. `R` is what the reporters need (`Reporter.Files` for the file reporters).
 *
 * The cases file: a run keeps up to `maxCases` results in its report and writes the rest (all of them, given
 * `casesFile`) to a JSONL file, through `@effect/platform`'s `FileSystem` and `Path`. Naming the file or its
 * directory (`casesFile`, `outputDir`) makes `run` require `FileSystem | Path`, so the types say the run writes a
 * file. With neither, `run` requires nothing more than the suite does: a run that stays within `maxCases` touches no
 * file, and one that passes it uses `FileSystem` and `Path` when the context has them (on Node, `NodeContext.layer`
 * from `@effect/platform-node`, which `helicone-eval` provides) and writes `.helicone-eval/<suite>-<time>.cases.jsonl`.
 * When the context has no `FileSystem`, or the file cannot be written, the report keeps the first `maxCases` results
 * (its summaries still count every case) and says why in `report.warnings`; nothing falls back to `node:fs`.
 *
 * @since 0.1.0
 * @category models
 */
export interface RunOptions<R = never> {
  /** How many case results the report keeps in memory; past it they go to a JSONL file. Default 10,000. */
  readonly maxCases?: number | undefined
  /** Write every case result to this JSONL file as it finishes (the report then keeps only summaries). */
  readonly casesFile?: string | undefined
  /** Where the JSONL file goes when a run passes `maxCases` and no `casesFile` was given. Default `.helicone-eval`. */
  readonly outputDir?: string | undefined
  readonly reporters?: ReadonlyArray<Reporter<R>> | undefined
  /**
   * Send scores to Helicone (requires the `HeliconeScores` service; provide `ScoreQueue.layer` as well to make
   * submissions durable, see {@link HeliconeOptions}).
   */
  readonly helicone?: HeliconeOptions | undefined
  /** Errored cases the run may have and still pass, overriding the suite's `maxErrors` (see {@link MaxErrors}). */
  readonly maxErrors?: MaxErrors | undefined
  /**
   * An earlier report of this suite to compare with (read with `EvalReport.loadBaseline`, or any report value; its
   * cases may be in its cases file, read through `FileSystem` when the context has it). The report gets a `baseline`
   * section: the cases matched by case key, and per scorer the paired difference, its verdict and the cases that
   * changed (`Comparison.BaselineComparison`).
   */
  readonly baseline?: EvalReport | undefined
  /**
   * With a `baseline`, fail the run (a `"regression"` verdict reason) when a scorer regressed significantly: after
   * Holm's correction across the scorers at α = 0.05, and by at least `minimumDifference` (0 by default). A run that
   * is only noisier, or lower by less than the noise, passes.
   */
  readonly failOnRegression?: boolean | { readonly minimumDifference?: number | undefined } | undefined
  /**
   * Runs one shard of the cases: those whose case key falls in shard `index` of `count` (1-based,
   * `Statistics.shardOf`), each keeping its index in the data. The shards of a suite, run with the same options and
   * merged with `EvalReport.merge`, give the report one whole run would have.
   */
  readonly shard?: { readonly index: number; readonly count: number } | undefined
  /** The k of pass@k and pass^k, for a run of several trials; default the trials (at most the trials). */
  readonly passAtK?: number | undefined
  /** The seed of the baseline comparison's permutation test (for scores that are not 0/1). Default 1. */
  readonly seed?: number | undefined
  /**
   * How the model layers use the call cache (`ModelCalls.CacheMode`), given to them through `ModelCalls.CurrentCase`.
   * Default `"off"`. A run with another mode in which no model call went through `CurrentCase` has a warning saying
   * the mode had no effect.
   */
  readonly cache?: ModelCalls.CacheMode | undefined
  /**
   * Prices in USD per million tokens by model, merged over `Cost.builtInPrices`. A negative, non-finite or missing
   * price fails the run with `Cost.PriceTableError` before any case starts; a model called that has no price gets
   * one warning logged, and the run's cost is unknown (`report.usage.cost: null`).
   */
  readonly prices?: Cost.PriceTable | undefined
  /**
   * A budget in USD: once the run's cost so far (`report.usage.cost`, calls answered from the cache costing nothing)
   * reaches it, no further case starts; the cases in flight finish. The report is then partial: `report.stopped` says
   * so (`{ reason: "budget", maxCost, cost, casesNotRun }`), and it does not pass (a `"budget"` verdict reason).
   * Calls of models with no price do not count. A value that is not a finite number >= 0 fails the run with
   * `Cost.MaxCostError` before any case starts.
   */
  readonly maxCost?: number | undefined
}

/**
 * What a run with options `O` needs besides what its suite and its reporters need: `HeliconeScores` with a
 * `helicone` option, and `FileSystem | Path` when it names a `casesFile` or an `outputDir` (see {@link RunOptions}).
 *
 * @since 0.1.0
 * @category models
 */
export type RunRequirements<O> =
  | (Given<O, "helicone"> extends false ? never : HeliconeScores)
  | (Given<O, "casesFile" | "outputDir"> extends false ? never : FileSystem.FileSystem | Path.Path)

/**
 * How a run with options `O` can fail, before any case starts: `Cost.PriceTableError` with a `prices` option,
 * `Cost.MaxCostError` with a `maxCost` option; `never` otherwise.
 *
 * @since 0.1.0
 * @category models
 */
export type RunError<O> =
  | (Given<O, "prices"> extends false ? never : Cost.PriceTableError)
  | (Given<O, "maxCost"> extends false ? never : Cost.MaxCostError)

/** Whether options `O` may give a value for key `K`: `false` only when `K` is absent or can only be `undefined`. */
type Given<O, K extends PropertyKey> = K extends keyof O ? [O[K]] extends [undefined] ? false : true : false

/**
 * Runs a suite and returns its report. The run streams: at most `concurrency` cases are in flight, the scorers of a
 * case run concurrently, a case's failure is recorded in its result and never stops the others, and memory does not
 * grow with the number of cases past `maxCases`.
 *
 * Around an Effect task the runner provides `ModelCalls.CurrentCase` (role `"task"`), and around each scorer's
 * Effect the same case as a judge's (role `"judge"`, `scorer` its name): model layers read it to give each call its
 * request id and record it in the case's result (`calls`); the report totals them (`usage`). See `ModelCalls`.
 *
 * The returned Effect fails only with a configuration error of `prices` or `maxCost` ({@link RunError}), before any
 * case starts; otherwise it never fails. Interrupting it (Ctrl-C under `NodeRuntime.runMain`, `Fiber.interrupt`) stops
 * taking new cases and interrupts the cases in flight (their forked scorers too). The fiber then ends as
 * interrupted, as every interrupted Effect does, so the caller gets no report value — but before that, the partial
 * report (the finished cases, then the ones that were in flight with an `interrupted` error and whatever scores they
 * had by then; `interrupted: true`, `passed: false`) is built and handed to every reporter's `onEnd`:
 * the terminal summary is printed, `Reporter.json`/`junit`/`html` files are written, and a custom reporter receives
 * it (see the second example). Scores of finished cases still waiting to be submitted to Helicone are counted as
 * `skipped`; those already offered to a `ScoreQueue` stay with the queue. A case that was in flight sends nothing.
 *
 * It needs only what the task, scorers and data need (`FileSystem` for `Dataset.jsonl`), plus what the options ask
 * for ({@link RunRequirements}): `HeliconeScores` when the `helicone` option is given, what the reporters need
 * (`FileSystem | Path` for `Reporter.json`, `junit` and `html`), and `FileSystem | Path` when a `casesFile` or
 * `outputDir` is named. A run of in-memory cases with no file reporter needs no platform layer; one that passes
 * `maxCases` without naming a file writes it only if the context has `FileSystem` and `Path` (see
 * {@link RunOptions}). Provide `ScoreQueue.layer` to make submissions durable: when a `ScoreQueue` is in the context
 * too, scores go through it (see {@link HeliconeOptions}). Throws a `RangeError` at once for a `helicone.scale` that
 * is not a positive integer, a bad `maxErrors`, a `shard` outside `1 <= index <= count`, a `passAtK` outside
 * 1..trials, or a `failOnRegression.minimumDifference` outside 0..1.
 *
 * With a `baseline`, the report's `baseline` compares the run with it case by case (`Comparison.BaselineComparison`);
 * a baseline whose cases file cannot be read is a warning, and with `failOnRegression` a failing `"baseline"`
 * reason: nothing is half-compared. With `shard`, the run runs its shard of the cases; `EvalReport.merge` merges the
 * shards' reports.
 *
 * The report's `verdict` (`EvalReport.Verdict`) fails the run when it was interrupted, when its data could not be
 * read, when more cases errored than `maxErrors` allows (default 0), when nothing was scored (every case errored, the
 * data had no cases, or the suite has no scorers), when a threshold is missed, with `failOnRegression` when a scorer
 * regressed against the baseline, and with `helicone.strict` when Helicone did not take every score;
 * `report.passed` is `verdict.passed`.
 *
 * @example
 * ```ts
 * import { NodeContext, NodeHttpClient } from "@effect/platform-node"
 * import { HeliconeScores, ScoreQueue } from "@helicone-effect/core"
 * import { Eval } from "@helicone-effect/evaluator"
 * import { Effect, Layer } from "effect"
 *
 * // Helicone for the run, and a durable queue over it (outbox in .helicone-outbox/)
 * const helicone = ScoreQueue.layer().pipe(
 *   Layer.provideMerge(HeliconeScores.layerConfig),
 *   Layer.provide([NodeHttpClient.layerUndici, NodeContext.layer])
 * )
 *
 * const report = Eval.run(suite, { helicone: { strict: true } }).pipe(Effect.provide(helicone))
 * // report.helicone: { delivery: "queue", submitted: 30, delivered: 30, outbox: 0, deadLettered: 0, ... }
 * ```
 *
 * @example
 * ```ts
 * import { Eval, type EvalReport } from "@helicone-effect/evaluator"
 * import { Effect, Fiber, Ref } from "effect"
 *
 * // A custom reporter keeps the report, also the partial one of an interrupted run.
 * const program = Effect.gen(function*() {
 *   const last = yield* Ref.make<EvalReport.EvalReport | undefined>(undefined)
 *   const fiber = yield* Effect.fork(Eval.run(suite, { reporters: [{ onEnd: (report) => Ref.set(last, report) }] }))
 *   yield* Effect.sleep("5 seconds")
 *   yield* Fiber.interrupt(fiber) // the run ends interrupted: Fiber.join would give no report
 *   const report = yield* Ref.get(last) // { interrupted: true, passed: false, cases: [...], ... }
 * })
 * ```
 *
 * @since 0.1.0
 * @category running
 */
export const run = <Input, Output, Expected, R, RR = never, const O extends RunOptions<any> = {}>(
  suite: Suite<Input, Output, Expected, R>,
  options?: RunOptions<RR> & O
): Effect.Effect<EvalReport, RunError<O>, R | RR | RunRequirements<O>> => {
  if (options?.maxErrors !== undefined) Verdict.checkMaxErrors(options.maxErrors)
  const shard = options?.shard
  if (
    shard !== undefined &&
    !(Number.isSafeInteger(shard.count) && shard.count >= 1 && Number.isSafeInteger(shard.index) &&
      shard.index >= 1 && shard.index <= shard.count)
  ) {
    throw new RangeError(`shard must be { index, count } with 1 <= index <= count, got ${shard.index}/${shard.count}`)
  }
  const k = options?.passAtK
  if (k !== undefined && !(Number.isSafeInteger(k) && k >= 1 && k <= suite.trials)) {
    throw new RangeError(`passAtK must be an integer from 1 to the suite's trials (${suite.trials}), got ${k}`)
  }
  const minimumDifference = typeof options?.failOnRegression === "object"
    ? options.failOnRegression.minimumDifference
    : undefined
  if (minimumDifference !== undefined && !(minimumDifference >= 0 && minimumDifference <= 1)) {
    throw new RangeError(`failOnRegression.minimumDifference must be from 0 to 1, got ${minimumDifference}`)
  }
  return evalRun.run(suite, options) as Effect.Effect<EvalReport, RunError<O>, any>
}

/**
 * Every trial of one case of a suite, run as `Eval.run` runs it (the task sees `ctx.index === index`), with what
 * happened to its scores sent to Helicone: for runners that take a suite one case at a time, as `describeEval` does.
 *
 * @since 0.1.0
 * @category running
 */
export const runCase: {
  <Input, Output, Expected, R>(
    suite: Suite<Input, Output, Expected, R>,
    item: Dataset.Case<Input, Expected>,
    index: number,
    options: { readonly helicone: HeliconeOptions }
  ): Effect.Effect<CaseRun, never, R | HeliconeScores>
  <Input, Output, Expected, R>(
    suite: Suite<Input, Output, Expected, R>,
    item: Dataset.Case<Input, Expected>,
    index: number,
    options?: { readonly helicone?: undefined }
  ): Effect.Effect<CaseRun, never, R>
} = (
  suite: Suite<any, any, any, any>,
  item: Dataset.Case<any, any>,
  index: number,
  options?: { readonly helicone?: HeliconeOptions | undefined }
): Effect.Effect<CaseRun, never, any> => evalRun.runCase(suite, item, index, options?.helicone)

/**
 * What {@link runCase} gives: the result of each trial, and what happened to the scores sent to Helicone.
 *
 * @since 0.1.0
 * @category models
 */
export interface CaseRun {
  readonly cases: ReadonlyArray<CaseResult>
  readonly helicone: HeliconeSummary | undefined
}
