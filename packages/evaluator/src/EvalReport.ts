/**
 * The result of an eval run: per-scorer summaries, totals, timings and (up to a limit) every case.
 *
 * The report is a versioned schema (`version: 2`; {@link fromJson} reads version 1 too): write it with {@link toJson},
 * read it back with {@link fromJson} or, as a baseline, {@link loadBaseline}, merge the reports of a run's shards
 * with {@link merge}.
 *
 * @since 0.1.0
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import type * as Path from "@effect/platform/Path"
import * as Effect from "effect/Effect"
import type * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as Comparison from "./Comparison.js"
import * as Cost from "./Cost.js"
import type { MaxErrors, Threshold } from "./Eval.js"
import * as Baseline from "./internal/report/baseline.js"
import * as Labels from "./internal/report/labels.js"
import * as Merge from "./internal/report/merge.js"
import * as ReadCases from "./internal/report/readCases.js"
import * as Report from "./internal/report/report.js"
import { Summary } from "./internal/report/summary.js"
import { safeStringify } from "./internal/report/text.js"
import * as Verdict_ from "./internal/report/verdict.js"
import * as Submitter from "./internal/runner/submitter.js"
import * as ModelCalls from "./ModelCalls.js"
import { Score } from "./Scorer.js"

/**
 * Why a case, or part of it, produced no result: the task failed (`task`), a scorer failed (`scorer`), the case ran
 * out of time (`timeout`), the dataset row could not be read (`data`, with its 1-based `line` for JSONL files), or
 * the run was interrupted while the case was in flight (`interrupted`: it has the scores that had finished by then).
 *
 * @since 0.1.0
 * @category models
 */
export const CaseError = Schema.Struct({
  source: Schema.Literal("task", "scorer", "timeout", "data", "interrupted"),
  message: Schema.String,
  scorer: Schema.optional(Schema.String),
  line: Schema.optional(Schema.Number)
}).annotations({ identifier: "CaseError" })

/**
 * @since 0.1.0
 * @category models
 */
export interface CaseError extends Schema.Schema.Type<typeof CaseError> {}

/**
 * One case of one trial, finished or, when the run was interrupted while it was in flight, stopped (with an
 * `interrupted` error). `duration` is in milliseconds, rounded to the microsecond (3 decimals: the digits below are
 * timer noise); `requestId` is the Helicone request id the task was given (`ctx.requestId`), under which the scores
 * were submitted. `calls` lists the case's model calls (absent when it made none; see `ModelCalls`), `cache` counts
 * those that went through the call cache, `waitedMs` is the time it waited for a rate limiter.
 *
 * @since 0.1.0
 * @category models
 */
export const CaseResult = Schema.Struct({
  index: Schema.Number,
  trial: Schema.Number,
  name: Schema.optional(Schema.String),
  input: Schema.Unknown,
  output: Schema.Unknown,
  expected: Schema.Unknown,
  metadata: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Unknown })),
  scores: Schema.Array(Score),
  errors: Schema.Array(CaseError),
  duration: Schema.Number,
  requestId: Schema.String,
  calls: Schema.optional(Schema.Array(ModelCalls.ModelCall)),
  cache: Schema.optional(ModelCalls.CacheCounts),
  waitedMs: Schema.optional(Schema.Number)
}).annotations({ identifier: "CaseResult" })

/**
 * @since 0.1.0
 * @category models
 */
export interface CaseResult extends Schema.Schema.Type<typeof CaseResult> {}

/**
 * A pointer to a notable case (slowest, worst scored), small enough to keep whatever the size of the run.
 *
 * @since 0.1.0
 * @category models
 */
export const CaseRef = Schema.Struct({
  index: Schema.Number,
  trial: Schema.Number,
  name: Schema.optional(Schema.String),
  requestId: Schema.String,
  duration: Schema.Number,
  score: Schema.optional(Schema.Number)
}).annotations({ identifier: "CaseRef" })

/**
 * @since 0.1.0
 * @category models
 */
export interface CaseRef extends Schema.Schema.Type<typeof CaseRef> {}

/**
 * A mean with its standard error and interval, clustered by case (a case's trials are one cluster): the figures of
 * `Statistics.meanInterval`. `method` is `"jeffreys"` for 0/1 scores, `"t"` otherwise, `"none"` when nothing was
 * scored (every figure `null`); `cases` and `scores` count what it is over.
 *
 * @since 0.1.0
 * @category models
 */
export const MeanInterval = Schema.Struct({
  mean: Schema.NullOr(Schema.Number),
  standardError: Schema.NullOr(Schema.Number),
  lower: Schema.NullOr(Schema.Number),
  upper: Schema.NullOr(Schema.Number),
  confidence: Schema.Number,
  method: Schema.Literal("jeffreys", "t", "none"),
  cases: Schema.Number,
  scores: Schema.Number
}).annotations({ identifier: "MeanInterval" })

/**
 * @since 0.1.0
 * @category models
 */
export interface MeanInterval extends Schema.Schema.Type<typeof MeanInterval> {}

/**
 * A case whose trials disagree for a scorer: `passes` of its `trials` passed (a trial passes when it scored at least
 * the pass mark).
 *
 * @since 0.1.0
 * @category models
 */
export const FlakyCase = Schema.Struct({
  index: Schema.Number,
  name: Schema.optional(Schema.String),
  passes: Schema.Number,
  trials: Schema.Number
}).annotations({ identifier: "FlakyCase" })

/**
 * @since 0.1.0
 * @category models
 */
export interface FlakyCase extends Schema.Schema.Type<typeof FlakyCase> {}

/**
 * pass@k and pass^k of a scorer over a run with several trials (see `Statistics.passAtK`): the chance that at least
 * one of `k` trials of a case passes, and that all `k` pass, averaged over cases, each with its interval. A trial
 * passes when its score is at least `passMark` (0.5: a 0/1 or boolean scorer's 1). `flakyCount` counts the cases
 * whose trials disagree, `flaky` lists the first of them (by index); `tooFewTrials` counts the cases scored on fewer
 * than `k` trials, left out of both figures.
 *
 * @since 0.1.0
 * @category models
 */
export const PassAtK = Schema.Struct({
  k: Schema.Number,
  passMark: Schema.Number,
  passAtK: MeanInterval,
  passHatK: MeanInterval,
  flaky: Schema.Array(FlakyCase),
  flakyCount: Schema.Number,
  tooFewTrials: Schema.Number
}).annotations({ identifier: "PassAtK" })

/**
 * @since 0.1.0
 * @category models
 */
export interface PassAtK extends Schema.Schema.Type<typeof PassAtK> {}

/**
 * The summary of one scorer over the run. `mean`, `min` and `max` are over the cases it scored (`count`), `null`
 * when it scored none; `errors` counts the cases where it failed. `interval` is the mean's 95% interval, clustered by
 * case (absent in reports of version 1); `passAtK` is there when the run had several trials.
 *
 * With a `threshold`, `passed` says whether `thresholdMean >= threshold`, where `thresholdMean` is the mean over
 * every finished case of the run, a case the scorer did not score counting as 0: the scorer failed or timed out on
 * it, or the task or the data failed before the scorer could run. (Cases stopped in flight by an interruption are
 * left out: they did not finish.) So a scorer that errors on 9 cases in 10 and scores 1 on
 * the tenth has `mean` 1 but `thresholdMean` 0.1, and fails a threshold of 0.9 — an error never helps a run pass.
 * Without errors, `thresholdMean` equals `mean`.
 *
 * `thresholdOn` says what the threshold is judged on: `"mean"`, the `thresholdMean`, or `"lower"`, the lower bound
 * of `thresholdInterval`, the interval of that same mean (errors counting as 0). `thresholdValue` is the value
 * judged, whichever it is.
 *
 * @since 0.1.0
 * @category models
 */
export const ScorerSummary = Schema.Struct({
  name: Schema.String,
  count: Schema.Number,
  mean: Schema.NullOr(Schema.Number),
  min: Schema.NullOr(Schema.Number),
  max: Schema.NullOr(Schema.Number),
  errors: Schema.Number,
  threshold: Schema.optional(Schema.Number),
  thresholdMean: Schema.optional(Schema.NullOr(Schema.Number)),
  thresholdOn: Schema.optional(Schema.Literal("mean", "lower")),
  thresholdInterval: Schema.optional(MeanInterval),
  thresholdValue: Schema.optional(Schema.NullOr(Schema.Number)),
  passed: Schema.optional(Schema.Boolean),
  interval: Schema.optional(MeanInterval),
  passAtK: Schema.optional(PassAtK),
  worst: Schema.Array(CaseRef)
}).annotations({ identifier: "ScorerSummary" })

/**
 * @since 0.1.0
 * @category models
 */
export interface ScorerSummary extends Schema.Schema.Type<typeof ScorerSummary> {}

/**
 * What happened to the scores sent to Helicone: `submitted` succeeded, `failed` did not (the first failures are
 * listed with the reason), `skipped` were never sent because the run was interrupted first.
 *
 * `delivery` says how they were sent (absent in reports written before it existed: `"direct"`):
 * - `"direct"`: submitted by the run itself; `submitted` were accepted by Helicone.
 * - `"queue"`: offered to a `ScoreQueue` in the context. `submitted` were accepted by the queue, `failed` were refused
 *   by it (an invalid request id or score), and what became of the accepted ones by the end of the run is in
 *   `delivered` (accepted by Helicone), `deadLettered` (rejected by Helicone for good, in the queue's dead-letter
 *   file) and `outbox` (left with the queue — durably in its outbox file, replayed later — not lost; after an
 *   interruption, some may still be in its memory until it shuts down). These come from the queue's counters before
 *   and after the run, so outbox entries of earlier runs it delivers meanwhile are counted here too (up to
 *   `submitted`).
 *
 * @since 0.1.0
 * @category models
 */
export const HeliconeSummary = Schema.Struct({
  delivery: Schema.optional(Schema.Literal("direct", "queue")),
  submitted: Schema.Number,
  failed: Schema.Number,
  skipped: Schema.Number,
  failures: Schema.Array(Schema.Struct({
    index: Schema.Number,
    trial: Schema.Number,
    requestId: Schema.String,
    error: Schema.String,
    message: Schema.String
  })),
  delivered: Schema.optional(Schema.Number),
  outbox: Schema.optional(Schema.Number),
  deadLettered: Schema.optional(Schema.Number)
}).annotations({ identifier: "HeliconeSummary" })

/**
 * @since 0.1.0
 * @category models
 */
export interface HeliconeSummary extends Schema.Schema.Type<typeof HeliconeSummary> {}

/**
 * Counts over the whole run. `cases` counts case trials (a case run with 3 trials counts 3), the ones stopped in
 * flight by an interruption included; `errored` counts those with at least one error; `interrupted`, present when
 * there were any, counts the ones stopped in flight.
 *
 * @since 0.1.0
 * @category models
 */
export const Totals = Schema.Struct({
  cases: Schema.Number,
  errored: Schema.Number,
  scores: Schema.Number,
  scorerErrors: Schema.Number,
  interrupted: Schema.optional(Schema.Number)
}).annotations({ identifier: "Totals" })

/**
 * @since 0.1.0
 * @category models
 */
export interface Totals extends Schema.Schema.Type<typeof Totals> {}

/**
 * Wall-clock timings of the run; `startedAt`/`finishedAt` are ISO 8601 strings, durations are milliseconds.
 * `casesPerSecond` and `slowest` are over the finished cases (not the ones stopped in flight by an interruption).
 *
 * @since 0.1.0
 * @category models
 */
export const Timings = Schema.Struct({
  startedAt: Schema.String,
  finishedAt: Schema.String,
  duration: Schema.Number,
  casesPerSecond: Schema.Number,
  slowest: Schema.Array(CaseRef)
}).annotations({ identifier: "Timings" })

/**
 * @since 0.1.0
 * @category models
 */
export interface Timings extends Schema.Schema.Type<typeof Timings> {}

/**
 * One reason a run failed. `kind` says which rule it broke, `message` says it in a line a person can act on (the
 * terminal's first line, JUnit's failure message, the Vitest summary's error):
 * - `"interrupted"`: the run was stopped before the end of its data;
 * - `"unreadable-data"`: a case has a `data` error (a row that could not be read, a file that does not exist, a
 *   source that failed); `errored` counts those cases;
 * - `"errors"`: more cases errored than `maxErrors` allows (`errored` of them, `allowed` allowed); cases stopped in
 *   flight by an interruption do not count;
 * - `"nothing-scored"`: not one score over the whole run (every case errored, the data had no cases, or the suite
 *   has no scorers): a run that measured nothing does not pass;
 * - `"threshold"`: the value `scorer`'s threshold is judged on (`value`: its `thresholdMean`, or with `on: "lower"`
 *   the lower bound of its interval) is below its `threshold` (`mean` is the plain mean);
 * - `"regression"`: with `failOnRegression`, `scorer` regressed against the baseline: significantly after Holm's
 *   correction (`pValue`, adjusted) and by at least the minimum difference (`value` is the difference);
 * - `"baseline"`: with `failOnRegression`, the baseline could not be compared (its cases file could not be read);
 * - `"delivery"`: with `helicone.strict` (or added by `helicone-eval` with `--strict-delivery`), Helicone did not take
 *   every score;
 * - `"budget"`: the run's cost reached `maxCost`, so cases were left unrun (`report.stopped`).
 *
 * @since 0.1.0
 * @category models
 */
export const VerdictReason = Schema.Struct({
  kind: Schema.Literal(
    "budget",
    "unreadable-data",
    "nothing-scored",
    "errors",
    "threshold",
    "regression",
    "baseline",
    "interrupted",
    "delivery"
  ),
  message: Schema.String,
  scorer: Schema.optional(Schema.String),
  value: Schema.optional(Schema.NullOr(Schema.Number)),
  mean: Schema.optional(Schema.NullOr(Schema.Number)),
  threshold: Schema.optional(Schema.Number),
  on: Schema.optional(Schema.Literal("mean", "lower")),
  pValue: Schema.optional(Schema.NullOr(Schema.Number)),
  errored: Schema.optional(Schema.Number),
  allowed: Schema.optional(Schema.Number)
}).annotations({ identifier: "VerdictReason" })

/**
 * @since 0.1.0
 * @category models
 */
export interface VerdictReason extends Schema.Schema.Type<typeof VerdictReason> {}

/**
 * Whether a run passed, and every reason it did not, most fundamental first (see {@link VerdictReason}). Computed
 * once, when the report is built; `report.passed` is always `report.verdict.passed`, and every reporter shows it.
 *
 * @since 0.1.0
 * @category models
 */
export const Verdict = Schema.Struct({
  passed: Schema.Boolean,
  reasons: Schema.Array(VerdictReason)
}).annotations({ identifier: "Verdict" })

/**
 * @since 0.1.0
 * @category models
 */
export interface Verdict extends Schema.Schema.Type<typeof Verdict> {}

/**
 * The report of one run, version 2 (version 1 lacked the intervals, pass@k, `maxErrors`, `shard` and `baseline`).
 *
 * `cases` holds every case (finished, or stopped in flight by an interruption), in the data's order (by `index`, then
 * `trial`), while the run stays within `maxCases` (10,000 by default). Past that, or when a `casesFile` was asked for,
 * every case is written to the JSONL file named by `casesFile` instead, one {@link CaseResult} per line as each
 * finishes, and `cases` is empty. `verdict` says whether the run passed and why not ({@link Verdict}); `passed` is
 * `verdict.passed`. `interrupted` marks a run stopped before the end of its data.
 * An interrupted `Eval.run` returns no report (its fiber ends interrupted): its partial report, with
 * `interrupted: true`, goes to every reporter instead — the terminal summary, the `json`, `junit` and `html` files,
 * a custom reporter's `onEnd` — before the fiber ends. `warnings` lists what went wrong around the run (a cases file
 * that could not be written, a reporter that failed) without failing it; the reporters see them.
 *
 * `maxErrors` is what the run allowed (so that {@link merge} judges as the run did); `shard` is there when the run
 * ran one shard of its cases; `baseline` when it was compared with a baseline ({@link Comparison.BaselineComparison}).
 * `usage` totals the run's model calls when it made any ({@link ModelCalls.Usage}); `stopped` is there when the run
 * stopped starting cases at its `maxCost` ({@link Cost.Stopped}): the report is then partial and does not pass.
 *
 * @since 0.1.0
 * @category models
 */
export const EvalReport = Schema.Struct({
  version: Schema.Literal(2),
  name: Schema.String,
  interrupted: Schema.Boolean,
  passed: Schema.Boolean,
  verdict: Verdict,
  trials: Schema.Number,
  concurrency: Schema.Number,
  totals: Totals,
  scorers: Schema.Array(ScorerSummary),
  timings: Timings,
  helicone: Schema.optional(HeliconeSummary),
  cases: Schema.Array(CaseResult),
  casesFile: Schema.optional(Schema.String),
  warnings: Schema.optional(Schema.Array(Schema.String)),
  maxErrors: Schema.optional(Schema.Union(Schema.Number, Schema.TemplateLiteral(Schema.Number, "%"))),
  shard: Schema.optional(Schema.Struct({ index: Schema.Number, count: Schema.Number })),
  baseline: Schema.optional(Comparison.BaselineComparison),
  usage: Schema.optional(ModelCalls.Usage),
  stopped: Schema.optional(Cost.Stopped)
}).annotations({ identifier: "EvalReport" })

/**
 * @since 0.1.0
 * @category models
 */
export interface EvalReport extends Schema.Schema.Type<typeof EvalReport> {}

/**
 * The report versions {@link fromJson} reads: version 1 (also as written before verdicts existed, without `verdict`)
 * and version 2. A version 1 report is a version 2 report without the fields version 2 added, all optional.
 */
const EarlierReport = Schema.Struct({
  ...EvalReport.fields,
  version: Schema.Literal(1, 2),
  verdict: Schema.optional(Verdict)
})

/**
 * The newest report version this package reads and writes.
 *
 * @since 0.1.0
 * @category constants
 */
export const currentVersion: number = Baseline.currentVersion

const ReportJson = Schema.transform(Schema.parseJson(EarlierReport), Schema.typeSchema(EvalReport), {
  strict: true,
  decode: ({ verdict, version: _, ...report }) =>
    verdict === undefined ? judgeEarlier(report) : { ...report, version: 2 as const, verdict },
  encode: (report) => report
})

/** The verdict of a report written without one, judged by today's rules on what it holds (`maxErrors` 0). */
const judgeEarlier = (report: Omit<EvalReport, "verdict" | "version">): EvalReport => {
  const unreadable = report.cases.filter((result) => result.errors.some((error) => error.source === "data"))
  const errored = report.cases.find((result) => result.errors.length > 0 && result.errors[0].source !== "interrupted")
  const verdict = Verdict_.judge({
    interrupted: report.interrupted,
    cases: report.totals.cases,
    stopped: report.totals.interrupted ?? 0,
    errored: report.totals.errored,
    unreadable: unreadable.length,
    unreadableMessage: unreadable[0]?.errors.find((error) => error.source === "data")?.message,
    firstError: errored === undefined ?
      undefined :
      `${errored.errors[0].scorer ?? errored.errors[0].source}: ${errored.errors[0].message}`,
    scores: report.totals.scores,
    scorers: report.scorers,
    maxErrors: 0,
    // only a strict run failed on its Helicone delivery
    helicone: report.helicone === undefined ? undefined : { summary: report.helicone, strict: !report.passed }
  })
  return { ...report, version: 2, passed: verdict.passed, verdict }
}

/**
 * Reads a report from the text of its JSON file, of version 1 or 2 (a version 1 report comes back as version 2,
 * without the fields version 2 added). A report written before verdicts existed (no `verdict`) gets one,
 * judged by today's rules on what the report holds, with `maxErrors` 0 (a report does not record what was allowed),
 * and its `passed` follows that verdict.
 *
 * @since 0.1.0
 * @category decoding
 */
export const fromJson: (json: string) => Effect.Effect<EvalReport, ParseResult.ParseError> = Schema.decode(ReportJson)

/**
 * A run's cases file that could not be read back: missing, unreadable, or with a line that is not JSON.
 *
 * @since 0.1.0
 * @category errors
 */
export class UnreadableCasesFile extends Schema.TaggedError<UnreadableCasesFile>(
  "@helicone-effect/evaluator/UnreadableCasesFile"
)("UnreadableCasesFile", {
  path: Schema.String,
  /** The 1-based line that is not JSON, when that is the problem. */
  line: Schema.optional(Schema.Number),
  reason: Schema.String
}) {
  /**
   * @since 0.1.0
   */
  override get message(): string {
    return `cannot read the cases file ${this.path}: ${this.reason}`
  }
}

/**
 * Every case of a report, in order: its in-memory `cases`, or, for a run that wrote them to `casesFile`, that file
 * read back line by line (never held in memory whole). Reading the file goes through `@effect/platform`'s
 * `FileSystem`: on Node, provide `NodeContext.layer` from `@effect/platform-node`.
 *
 * @example
 * ```ts
 * import { NodeContext } from "@effect/platform-node"
 * import { EvalReport } from "@helicone-effect/evaluator"
 * import { Effect, Stream } from "effect"
 *
 * const errored = (report: EvalReport.EvalReport) =>
 *   EvalReport.readCases(report).pipe(
 *     Stream.filter((result) => result.errors.length > 0),
 *     Stream.runCount,
 *     Effect.provide(NodeContext.layer)
 *   )
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const readCases = (
  report: EvalReport
): Stream.Stream<CaseResult, UnreadableCasesFile, FileSystem.FileSystem> => {
  const path = report.casesFile
  if (path === undefined) return Stream.fromIterable(report.cases)
  return Stream.mapError(
    ReadCases.fromFile(path),
    (unreadable) => new UnreadableCasesFile({ path, line: unreadable.line, reason: unreadable.reason })
  )
}

/**
 * Writes a report as JSON text (two-space indented). Values that JSON cannot hold (a `bigint`, a cycle) in inputs or
 * outputs are written as strings rather than failing the write.
 *
 * @since 0.1.0
 * @category encoding
 */
export const toJson = (report: EvalReport): string => safeStringify(report, 2)

/**
 * How one scorer moved between two runs; `delta` is `current - baseline` of the means (`null` when either side has
 * no mean).
 *
 * @since 0.1.0
 * @category models
 */
export interface ScorerDelta {
  readonly name: string
  readonly baseline: number | null
  readonly current: number | null
  readonly delta: number | null
}

/**
 * Compares two reports scorer by scorer (the union of both runs' scorers, in the current run's order first).
 *
 * @example
 * ```ts
 * import { EvalReport } from "@helicone-effect/evaluator"
 *
 * declare const baseline: EvalReport.EvalReport
 * declare const current: EvalReport.EvalReport
 * const regressions = EvalReport.compare(baseline, current).filter((d) => d.delta !== null && d.delta < -0.02)
 * ```
 *
 * @since 0.1.0
 * @category comparing
 */
export const compare = (baseline: EvalReport, current: EvalReport): ReadonlyArray<ScorerDelta> => {
  const before = new Map(baseline.scorers.map((s) => [s.name, s.mean]))
  const after = new Map(current.scorers.map((s) => [s.name, s.mean]))
  const names = [...new Set([...after.keys(), ...before.keys()])]
  return names.map((name) => {
    const b = before.get(name) ?? null
    const c = after.get(name) ?? null
    return { name, baseline: b, current: c, delta: b === null || c === null ? null : c - b }
  })
}

/**
 * How the evaluator names a case wherever it prints or writes one (terminal, JUnit, Vitest): `#3 refund request`,
 * `#3 refund request (trial 2)`, or `#3` for a case without a name.
 *
 * @since 0.1.0
 * @category formatting
 */
export const caseLabel: (ref: {
  readonly index: number
  readonly trial: number
  readonly name?: string | undefined
}) => string = Labels.caseLabel

/**
 * A suite's name as a file-name part, as reports of several suites are named: `Support bot` becomes `support-bot`.
 *
 * @since 0.1.0
 * @category formatting
 */
export const suiteSlug: (name: string) => string = Labels.suiteSlug

/**
 * Whether a run's Helicone delivery failed for `strict`: a submission failed, or (through a queue) a score was
 * dead-lettered or is left in the outbox.
 *
 * @since 0.1.0
 * @category verdicts
 */
export const heliconeFailed: (summary: HeliconeSummary) => boolean = Submitter.strictFailure

/**
 * The same report with one more failing reason: `passed` false and `reason` last in `verdict.reasons`. For a verdict
 * that only the caller can give, as `helicone-eval` adds a `"delivery"` reason once it has waited for the queue.
 *
 * @example
 * ```ts
 * import { EvalReport } from "@helicone-effect/evaluator"
 *
 * declare const report: EvalReport.EvalReport
 * const failed = EvalReport.failWith(report, { kind: "delivery", message: "12 scores still in the outbox" })
 * // failed.passed === false, failed.verdict.reasons.at(-1)?.kind === "delivery"
 * ```
 *
 * @since 0.1.0
 * @category verdicts
 */
export const failWith = (report: EvalReport, reason: VerdictReason): EvalReport => ({
  ...report,
  passed: false,
  verdict: { passed: false, reasons: [...report.verdict.reasons, reason] }
})

/**
 * The report of case results gathered elsewhere (one case at a time, as `describeEval` runs them): scorer means,
 * thresholds, totals and the verdict are computed as `Eval.run` computes them (`maxErrors` default 0; with
 * `helicone`, its strict delivery counts too). `duration` is the wall-clock time in milliseconds (default: the sum
 * of the cases' durations). It keeps no cases. Throws a `RangeError` for a bad `maxErrors`, as `Eval.make` does.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromResults = (options: {
  readonly name: string
  readonly scorers: ReadonlyArray<string>
  readonly thresholds: Readonly<Record<string, Threshold>>
  readonly trials: number
  readonly results: Iterable<CaseResult>
  readonly maxErrors?: MaxErrors | undefined
  readonly concurrency?: number | undefined
  readonly duration?: number | undefined
  readonly helicone?: { readonly summary: HeliconeSummary; readonly strict: boolean } | undefined
}): EvalReport => {
  const maxErrors = options.maxErrors === undefined ? undefined : Verdict_.checkMaxErrors(options.maxErrors)
  const summary = new Summary(options.scorers, options.thresholds, { trials: options.trials })
  let total = 0
  for (const result of options.results) {
    summary.add(result)
    total += result.duration
  }
  const duration = options.duration ?? total
  return Report.build({
    name: options.name,
    trials: options.trials,
    concurrency: options.concurrency ?? 1,
    interrupted: false,
    summary,
    maxErrors,
    startedAt: new Date(Date.now() - duration),
    duration,
    cases: [],
    helicone: options.helicone
  })
}

/**
 * A baseline report that cannot be compared with: its file cannot be read (`unreadable`), is not an eval report
 * (`not-a-report`), was written by a newer version of this package (`future-version`), is a report of another suite
 * (`other-suite`), or its cases file cannot be read (`cases-file`). `helicone-eval` exits 2 on it.
 *
 * @since 0.1.0
 * @category errors
 */
export class BaselineError extends Schema.TaggedError<BaselineError>("@helicone-effect/evaluator/BaselineError")(
  "BaselineError",
  {
    path: Schema.String,
    reason: Schema.Literal("unreadable", "not-a-report", "future-version", "other-suite", "cases-file"),
    /** What was wrong, in a few words: the file system's error, the version found, the suite found. */
    detail: Schema.String
  }
) {
  /**
   * @since 0.1.0
   */
  override get message(): string {
    switch (this.reason) {
      case "unreadable":
        return `cannot read the baseline ${this.path}: ${this.detail}`
      case "not-a-report":
        return `the baseline ${this.path} is not an eval report (${this.detail}): give the JSON report of an earlier ` +
          "run of the suite (written by --json or Reporter.json)"
      case "future-version":
        return `the baseline ${this.path} is a report of version ${this.detail}, newer than this evaluator reads ` +
          `(up to ${currentVersion}): upgrade @helicone-effect/evaluator, or give a report of this version`
      case "other-suite":
        return `the baseline ${this.path} ${this.detail}: give a report of the same suite`
      case "cases-file":
        return `cannot read the cases of the baseline ${this.path}: ${this.detail}`
    }
  }
}

/** A report of any version this package reads, from its parsed JSON, as `fromJson` reads it. */
const decodeEarlier = (json: unknown): Effect.Effect<EvalReport, ParseResult.ParseError> =>
  Effect.map(
    Schema.decodeUnknown(EarlierReport)(json),
    ({ verdict, version: _, ...report }) =>
      verdict === undefined ? judgeEarlier(report) : { ...report, version: 2 as const, verdict }
  )

/**
 * Reads an earlier run's JSON report to compare a run with (`Eval.run(suite, { baseline })`): of version 1 or 2, of
 * the suite `options.suite` when given, and with its cases file, if it has one, readable to the end. A relative
 * cases file is looked for next to the report first (where a CI artifact keeps both), then where it was written
 * (relative to the working directory); the report returned names the one found. Nothing is compared until all of
 * that holds: every problem is a {@link BaselineError}.
 *
 * @example
 * ```ts
 * import { NodeContext } from "@effect/platform-node"
 * import { Eval, EvalReport } from "@helicone-effect/evaluator"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const baseline = yield* EvalReport.loadBaseline("reports/main.json", { suite: suite.name })
 *   return yield* Eval.run(suite, { baseline, failOnRegression: true })
 * }).pipe(Effect.provide(NodeContext.layer))
 * ```
 *
 * @since 0.1.0
 * @category baselines
 */
export const loadBaseline = (
  path: string,
  options?: { readonly suite?: string | undefined }
): Effect.Effect<EvalReport, BaselineError, FileSystem.FileSystem | Path.Path> =>
  Effect.mapError(
    Baseline.load(path, options?.suite, decodeEarlier),
    (problem) => new BaselineError({ path, ...problem })
  )

/**
 * Shard reports that cannot be merged: none given (`no-reports`), a report of a whole run (`not-a-shard`), of
 * another suite (`other-suite`) or another number of trials (`other-trials`), shards of different counts, given twice
 * or missing (`shards`), a cases file that cannot be read (`cases-file`), or a baseline comparison that cannot be
 * made again (`baseline`: the shards were compared with a baseline that is not given and whose file is not known).
 *
 * @since 0.1.0
 * @category errors
 */
export class MergeError extends Schema.TaggedError<MergeError>("@helicone-effect/evaluator/MergeError")(
  "MergeError",
  {
    reason: Schema.Literal(
      "no-reports",
      "not-a-shard",
      "other-suite",
      "other-trials",
      "shards",
      "cases-file",
      "baseline"
    ),
    detail: Schema.String
  }
) {
  /**
   * @since 0.1.0
   */
  override get message(): string {
    return `cannot merge the shard reports: ${this.detail}`
  }
}

/**
 * Merges the reports of a run's shards (`Eval.run(suite, { shard })`, `helicone-eval run --shard i/n`) into the
 * report one whole run would have produced: its cases (read from each shard's report or cases file) in the data's
 * order, and from them the totals, means, intervals, pass@k, thresholds and verdict, judged by the shards'
 * `maxErrors`. The shards must be of one suite, with the same trials and shard count, each shard once. Their timings
 * are spanned (the first start to the last end) and their Helicone deliveries added up.
 *
 * The baseline comparison is made again over the union of the cases: with `options.baseline`, or else, when the
 * shards were compared with a baseline read by {@link loadBaseline}, with that file read again (its `path`). Then the
 * rule the shards were judged by (`failOnRegression`, its minimum difference, the seed) applies to the merged report.
 *
 * @example
 * ```ts
 * import { NodeContext } from "@effect/platform-node"
 * import { EvalReport } from "@helicone-effect/evaluator"
 * import { Effect } from "effect"
 *
 * const merged = Effect.all(["shard-1.json", "shard-2.json"].map((path) => EvalReport.loadBaseline(path))).pipe(
 *   Effect.flatMap((shards) => EvalReport.merge(shards)),
 *   Effect.provide(NodeContext.layer)
 * )
 * ```
 *
 * @since 0.1.0
 * @category merging
 */
export const merge = (
  reports: ReadonlyArray<EvalReport>,
  options?: { readonly baseline?: EvalReport | undefined }
): Effect.Effect<EvalReport, MergeError, FileSystem.FileSystem | Path.Path> =>
  Effect.mapError(
    Merge.mergeShards(reports, options?.baseline, (path, suite) => loadBaseline(path, { suite })),
    (problem) => new MergeError(problem)
  )
