/**
 * The baseline comparison a report carries when its run was given a baseline (`Eval.run(suite, { baseline })`,
 * `helicone-eval run --baseline`): which cases the two runs share, and for each scorer the paired difference over
 * them, its Holm-corrected verdict and the cases that changed. The figures are `Statistics.comparePaired`'s and
 * `Statistics.judge`'s; this module is their schema in a report.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

/**
 * A scorer's paired difference, current − baseline, over the cases scored in both runs (see
 * `Statistics.PairedComparison`).
 *
 * @since 0.1.0
 * @category models
 */
export const PairedComparison = Schema.Struct({
  cases: Schema.Number,
  baselineMean: Schema.NullOr(Schema.Number),
  currentMean: Schema.NullOr(Schema.Number),
  difference: Schema.NullOr(Schema.Number),
  standardError: Schema.NullOr(Schema.Number),
  lower: Schema.NullOr(Schema.Number),
  upper: Schema.NullOr(Schema.Number),
  confidence: Schema.Number,
  pValue: Schema.NullOr(Schema.Number),
  test: Schema.Literal("mcnemar-exact", "permutation-exact", "permutation", "none"),
  discordant: Schema.NullOr(Schema.Struct({ passToFail: Schema.Number, failToPass: Schema.Number })),
  minimumDetectableEffect: Schema.NullOr(Schema.Number),
  seed: Schema.NullOr(Schema.Number),
  resamples: Schema.NullOr(Schema.Number)
}).annotations({ identifier: "PairedComparison" })

/**
 * @since 0.1.0
 * @category models
 */
export interface PairedComparison extends Schema.Schema.Type<typeof PairedComparison> {}

/**
 * One matched case whose mean score (over its trials) changed: `key` is its case key (`Statistics.caseKey`), `index`
 * and `name` are the current run's.
 *
 * @since 0.1.0
 * @category models
 */
export const CaseChange = Schema.Struct({
  key: Schema.String,
  index: Schema.Number,
  name: Schema.optional(Schema.String),
  baseline: Schema.Number,
  current: Schema.Number,
  difference: Schema.Number
}).annotations({ identifier: "CaseChange" })

/**
 * @since 0.1.0
 * @category models
 */
export interface CaseChange extends Schema.Schema.Type<typeof CaseChange> {}

/**
 * One scorer compared with the baseline. `verdict` is `improved` or `regressed` when the difference is significant
 * after Holm's correction across the report's scorers (`adjustedPValue` ≤ `alpha`) and at least
 * `minimumDifference`; `no-detectable-change` otherwise; `no-common-cases` when no case was scored in both runs.
 * `passToFail` and `failToPass` count the cases whose mean crossed the pass mark (0.5); the lists keep the first
 * {@link listed} of each, and `largestDrops` the largest drops.
 *
 * @since 0.1.0
 * @category models
 */
export const ScorerComparison = Schema.Struct({
  name: Schema.String,
  comparison: PairedComparison,
  adjustedPValue: Schema.NullOr(Schema.Number),
  verdict: Schema.Literal("improved", "regressed", "no-detectable-change", "no-common-cases"),
  passToFail: Schema.Number,
  failToPass: Schema.Number,
  changes: Schema.Struct({
    passToFail: Schema.Array(CaseChange),
    failToPass: Schema.Array(CaseChange),
    largestDrops: Schema.Array(CaseChange)
  })
}).annotations({ identifier: "ScorerComparison" })

/**
 * @since 0.1.0
 * @category models
 */
export interface ScorerComparison extends Schema.Schema.Type<typeof ScorerComparison> {}

/**
 * How many cases each list of a comparison keeps: the unmatched keys, each scorer's pass-to-fail and fail-to-pass
 * cases and its largest drops. The counts are always whole.
 *
 * @since 0.1.0
 * @category constants
 */
export const listed = 20

/**
 * The comparison of a run with its baseline. `name` and `startedAt` are the baseline's; `path` is its file when it
 * was read with `EvalReport.loadBaseline` (so that `EvalReport.merge` can read it again). Cases are matched by case
 * key: `matched` are in both runs, `onlyBaseline` and `onlyCurrent` in one (their first {@link listed} keys in
 * `unmatched`). `seed` is the permutation test's. `failOnRegression` says whether a regression fails the run (a
 * `"regression"` verdict reason), with `alpha` and `minimumDifference` the rule it was judged by.
 *
 * @since 0.1.0
 * @category models
 */
export const BaselineComparison = Schema.Struct({
  name: Schema.String,
  startedAt: Schema.String,
  path: Schema.optional(Schema.String),
  matched: Schema.Number,
  onlyBaseline: Schema.Number,
  onlyCurrent: Schema.Number,
  unmatched: Schema.Struct({ baseline: Schema.Array(Schema.String), current: Schema.Array(Schema.String) }),
  alpha: Schema.Number,
  minimumDifference: Schema.Number,
  failOnRegression: Schema.Boolean,
  seed: Schema.Number,
  scorers: Schema.Array(ScorerComparison)
}).annotations({ identifier: "BaselineComparison" })

/**
 * @since 0.1.0
 * @category models
 */
export interface BaselineComparison extends Schema.Schema.Type<typeof BaselineComparison> {}
