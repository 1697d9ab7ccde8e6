/**
 * How sure a run's numbers are: an interval on each mean, pass@k and pass^k over trials, and a paired comparison
 * with a baseline that says whether a difference is real. Pure functions over plain arrays of scores in [0, 1]; the
 * one random method (the permutation test) is seeded, and its seed is in its result.
 *
 * A case is given as its scores, one per trial (`[1, 0, 1]`), or as a bare number when it ran once. A case's trials
 * are one cluster: running a case 5 times does not narrow an interval as 5 cases would.
 *
 * The distribution functions (normal, t and Beta quantiles, the binomial CDF) are stdlib's
 * (`@stdlib/stats-base-dists-*`).
 *
 * @since 0.1.0
 */
import * as caseKey_ from "./internal/stats/caseKey.js"
import * as interval from "./internal/stats/interval.js"
import * as matching from "./internal/stats/matching.js"
import * as paired from "./internal/stats/paired.js"
import * as passAtK_ from "./internal/stats/passAtK.js"

/**
 * One case's scores, one per trial, or a bare number for a case that ran once. A case with no scores (its scorer
 * failed on every trial) is left out.
 *
 * @since 0.1.0
 * @category models
 */
export type CaseScores = number | ReadonlyArray<number>

/**
 * @since 0.1.0
 * @category models
 */
export interface IntervalOptions {
  /** The interval's confidence level, 0.95 by default. */
  readonly confidence?: number | undefined
  /** Treat the scores as 0/1 (Jeffreys) or not (t); by default, 0/1 when every score is 0 or 1. */
  readonly binary?: boolean | undefined
}

/**
 * A mean over cases with its standard error and interval. `mean` is over every score (as `EvalReport`'s mean is);
 * `standardError` is clustered by case. `method` says how the interval was made:
 *
 * - `"jeffreys"`, when every score is 0 or 1: the Jeffreys interval (Beta(x + ½, n − x + ½)) on the effective number
 *   of independent scores, which is the number of cases with one trial a case, and grows towards the number of
 *   trials only as far as a case's trials disagree with each other. Its coverage holds for small n and for means
 *   near 1, where a normal interval does not.
 * - `"t"`, otherwise: a t interval with n − 1 degrees of freedom on the clustered standard error, clipped to [0, 1];
 *   [0, 1] with a single case.
 * - `"none"`: nothing was scored, and every figure is `null`.
 *
 * @since 0.1.0
 * @category models
 */
export interface MeanInterval {
  readonly mean: number | null
  readonly standardError: number | null
  readonly lower: number | null
  readonly upper: number | null
  readonly confidence: number
  readonly method: "jeffreys" | "t" | "none"
  /** The cases with at least one score. */
  readonly cases: number
  /** The scores, over every trial. */
  readonly scores: number
}

/**
 * The mean of a scorer's scores over cases, with its standard error and a 95% interval (see {@link MeanInterval}
 * for the method).
 *
 * @example
 * ```ts
 * import { Statistics } from "@helicone-effect/evaluator"
 *
 * Statistics.meanInterval([1, 1, 0, 1])           // four cases, one trial each
 * Statistics.meanInterval([[1, 1, 0], [1, 1, 1]]) // two cases, three trials each
 * ```
 *
 * @since 0.1.0
 * @category intervals
 */
export const meanInterval: (cases: ReadonlyArray<CaseScores>, options?: IntervalOptions) => MeanInterval =
  interval.meanInterval

/**
 * @since 0.1.0
 * @category models
 */
export interface PassAtKOptions {
  readonly k: number
  /**
   * A trial passes when its score is at least `passMark`: 0.5 by default, so that for a 0/1 or boolean scorer a
   * trial passes when it scored 1, and for a graded scorer when it scored at least half.
   */
  readonly passMark?: number | undefined
  readonly confidence?: number | undefined
}

/**
 * A case whose trials disagree: some passed and some did not. `index` is its position in the array given.
 *
 * @since 0.1.0
 * @category models
 */
export interface FlakyCase {
  readonly index: number
  readonly passes: number
  readonly trials: number
}

/**
 * pass@k (the chance that at least one of k trials passes) and pass^k (that all k pass), each averaged over cases
 * with its interval (one value a case, so the cases are the clusters), and the flaky cases. Cases with fewer than k
 * trials scored are left out of both and counted in `tooFewTrials`; they can still be flaky.
 *
 * @since 0.1.0
 * @category models
 */
export interface PassAtK {
  readonly k: number
  readonly passMark: number
  readonly passAtK: MeanInterval
  readonly passHatK: MeanInterval
  readonly flaky: ReadonlyArray<FlakyCase>
  readonly tooFewTrials: number
}

/**
 * pass@k and pass^k over cases run with several trials. Per case with n trials of which c pass, pass@k is the
 * unbiased 1 − C(n−c, k)/C(n, k) and pass^k is C(c, k)/C(n, k), each computed as a product (no factorials).
 *
 * @example
 * ```ts
 * import { Statistics } from "@helicone-effect/evaluator"
 *
 * const result = Statistics.passAtK([[1, 0, 1], [0, 0, 0], [1, 1, 1]], { k: 2 })
 * result.passAtK.mean // (1 + 0 + 1) / 3
 * result.flaky        // [{ index: 0, passes: 2, trials: 3 }]
 * ```
 *
 * @since 0.1.0
 * @category pass@k
 */
export const passAtK: (cases: ReadonlyArray<ReadonlyArray<number>>, options: PassAtKOptions) => PassAtK =
  passAtK_.passAtK

/**
 * One matched case: its scores in the baseline and in the current run (one per trial, or a bare number). A pair
 * with no score on either side is left out.
 *
 * @since 0.1.0
 * @category models
 */
export interface Pair {
  readonly baseline: CaseScores
  readonly current: CaseScores
}

/**
 * @since 0.1.0
 * @category models
 */
export interface CompareOptions {
  /** The interval's confidence level, 0.95 by default. */
  readonly confidence?: number | undefined
  /** The significance level the minimum detectable effect is for, 0.05 by default. */
  readonly alpha?: number | undefined
  /** The power the minimum detectable effect is for, 0.8 by default. */
  readonly power?: number | undefined
  /** The permutation test's random sign patterns, 9,999 by default. */
  readonly resamples?: number | undefined
  /** The permutation test's seed, 1 by default. */
  readonly seed?: number | undefined
}

/**
 * A scorer's paired difference (current − baseline) over the cases scored in both runs, each case weighted once
 * whatever its trials. The interval is a t interval on the per-case differences. The p-value is two-sided:
 *
 * - `"mcnemar-exact"` when every case has one 0/1 score on each side: the exact McNemar test on the cases that went
 *   from pass to fail and from fail to pass (`discordant`);
 * - `"permutation-exact"` / `"permutation"` otherwise: the paired sign-flip permutation test on the per-case
 *   differences, over every sign pattern for up to 16 non-zero differences, or over `resamples` random ones drawn
 *   with `seed` (both then recorded);
 * - `"none"` with no common cases, where every figure is `null`.
 *
 * A verdict ({@link judge}) follows the p-value; the interval says how large the difference may be, and near the
 * edge of significance the two can disagree. `minimumDetectableEffect` is the difference this many cases would find
 * with 80% power at α = 0.05 (before any correction for several scorers), from the spread of the differences
 * observed; `null` when they do not vary or there is one case.
 *
 * @since 0.1.0
 * @category models
 */
export interface PairedComparison {
  readonly cases: number
  readonly baselineMean: number | null
  readonly currentMean: number | null
  readonly difference: number | null
  readonly standardError: number | null
  readonly lower: number | null
  readonly upper: number | null
  readonly confidence: number
  readonly pValue: number | null
  readonly test: "mcnemar-exact" | "permutation-exact" | "permutation" | "none"
  readonly discordant: { readonly passToFail: number; readonly failToPass: number } | null
  readonly minimumDetectableEffect: number | null
  readonly seed: number | null
  readonly resamples: number | null
}

/**
 * Compares one scorer over matched cases (see {@link PairedComparison}). Match the cases first, by
 * {@link caseKeys}.
 *
 * @example
 * ```ts
 * import { Statistics } from "@helicone-effect/evaluator"
 *
 * const c = Statistics.comparePaired([{ baseline: 1, current: 0 }, { baseline: 1, current: 1 }])
 * c.difference // -0.5
 * ```
 *
 * @since 0.1.0
 * @category comparison
 */
export const comparePaired: (pairs: ReadonlyArray<Pair>, options?: CompareOptions) => PairedComparison =
  paired.comparePaired

/**
 * What a comparison found: `improved` or `regressed` when the difference is significant after Holm's correction
 * across the scorers compared together and at least the minimum practical difference, `no-detectable-change`
 * otherwise, `no-common-cases` when no case was scored in both runs.
 *
 * @since 0.1.0
 * @category models
 */
export type Verdict = "improved" | "regressed" | "no-detectable-change" | "no-common-cases"

/**
 * @since 0.1.0
 * @category models
 */
export interface JudgeOptions {
  /** The family-wise significance level, 0.05 by default. */
  readonly alpha?: number | undefined
  /** The smallest difference (in score, e.g. 0.02) that counts as a change at all, 0 by default. */
  readonly minimumDifference?: number | undefined
}

/**
 * One scorer's comparison with its Holm-adjusted p-value (`null` with no common cases) and its verdict.
 *
 * @since 0.1.0
 * @category models
 */
export interface ScorerVerdict {
  readonly name: string
  readonly comparison: PairedComparison
  readonly adjustedPValue: number | null
  readonly verdict: Verdict
}

/**
 * Gives each scorer's comparison a verdict, correcting the p-values for the number of scorers with Holm's method so
 * that the chance of any false alarm in the run stays at `alpha`.
 *
 * @example
 * ```ts
 * import { Statistics } from "@helicone-effect/evaluator"
 *
 * const verdicts = Statistics.judge(
 *   [{ name: "exactMatch", comparison: Statistics.comparePaired([{ baseline: 1, current: 0 }]) }],
 *   { minimumDifference: 0.02 }
 * )
 * const failed = verdicts.some((v) => v.verdict === "regressed")
 * ```
 *
 * @since 0.1.0
 * @category comparison
 */
export const judge: (
  comparisons: ReadonlyArray<{ readonly name: string; readonly comparison: PairedComparison }>,
  options?: JudgeOptions
) => Array<ScorerVerdict> = paired.judge

/**
 * Holm's step-down adjustment of p-values (as R's `p.adjust(p, "holm")`); a `null` stays `null` and does not count.
 *
 * @since 0.1.0
 * @category comparison
 */
export const holm: (pValues: ReadonlyArray<number | null>) => Array<number | null> = paired.holm

/**
 * The exact two-sided McNemar p-value for `passToFail` and `failToPass` discordant cases.
 *
 * @since 0.1.0
 * @category comparison
 */
export const mcnemarExact: (passToFail: number, failToPass: number) => number = paired.mcnemarExact

/**
 * Which cases of two runs are the same case, by their keys ({@link caseKeys}): pairs of positions (baseline,
 * current) in the current run's order, and the positions found on one side only.
 *
 * @since 0.1.0
 * @category models
 */
export interface CaseMatch {
  readonly matched: ReadonlyArray<readonly [baseline: number, current: number]>
  readonly onlyBaseline: ReadonlyArray<number>
  readonly onlyCurrent: ReadonlyArray<number>
}

/**
 * Matches two runs' cases by their keys, as {@link caseKeys} gives them (a repeated key has its order in it).
 *
 * @since 0.1.0
 * @category comparison
 */
export const matchCases: (baseline: ReadonlyArray<string>, current: ReadonlyArray<string>) => CaseMatch =
  matching.matchCases

/**
 * One matched case's mean score in each run; `index` is its position in the pairs given.
 *
 * @since 0.1.0
 * @category models
 */
export interface CaseChange {
  readonly index: number
  readonly baseline: number
  readonly current: number
  readonly difference: number
}

/**
 * The cases whose mean crossed the pass mark either way, and the `limit` largest drops, largest first.
 *
 * @since 0.1.0
 * @category models
 */
export interface CaseChanges {
  readonly passToFail: ReadonlyArray<CaseChange>
  readonly failToPass: ReadonlyArray<CaseChange>
  readonly largestDrops: ReadonlyArray<CaseChange>
}

/**
 * The cases that went from pass to fail and from fail to pass (a case passes when its mean over trials is at least
 * `passMark`, 0.5 by default), and the largest drops (10 by default).
 *
 * @since 0.1.0
 * @category comparison
 */
export const caseChanges: (
  pairs: ReadonlyArray<Pair>,
  options?: { readonly passMark?: number | undefined; readonly limit?: number | undefined }
) => CaseChanges = matching.caseChanges

/**
 * @since 0.1.0
 * @category models
 */
export interface PowerOptions {
  /** The standard deviation of one case's difference: √(2p(1 − p)(1 − ρ)) for a 0/1 scorer at p with correlation ρ. */
  readonly sd: number
  readonly alpha?: number | undefined
  readonly power?: number | undefined
}

/**
 * The smallest true difference a paired comparison over `cases` cases finds with the given power (0.8) at `alpha`
 * (0.05, two-sided): (t₁₋α/₂ + t_power) · sd / √cases; `Infinity` under 2 cases.
 *
 * @since 0.1.0
 * @category power
 */
export const minimumDetectableEffect: (options: PowerOptions & { readonly cases: number }) => number =
  paired.minimumDetectableEffect

/**
 * How many matched cases a paired comparison needs to find a true difference of `effect` with the given power.
 *
 * @example
 * ```ts
 * import { Statistics } from "@helicone-effect/evaluator"
 *
 * // a 0/1 scorer near 0.7, runs independent: about 920 cases for 0.06
 * Statistics.casesNeeded({ effect: 0.06, sd: Math.sqrt(2 * 0.7 * 0.3) })
 * ```
 *
 * @since 0.1.0
 * @category power
 */
export const casesNeeded: (options: PowerOptions & { readonly effect: number }) => number = paired.casesNeeded

/**
 * What a case is keyed by: a non-empty `name`, else an `id` (string or number), else its `input`.
 *
 * @since 0.1.0
 * @category models
 */
export interface KeyedCase {
  readonly name?: string | undefined
  readonly id?: string | number | undefined
  readonly input?: unknown
}

/**
 * A case's stable key, for matching it with the same case in another run: `name:<name>`, `id:<id>`, or
 * `input:<hash>` where the hash is FNV-1a 64 (16 hex digits) of the input's canonical JSON ({@link canonicalJson}).
 * The key is part of the report format: it does not change between versions of this package, nor between an input
 * and the same input read back from a report's JSON.
 *
 * @since 0.1.0
 * @category case keys
 */
export const caseKey: (c: KeyedCase) => string = caseKey_.caseKey

/**
 * The keys of a run's cases, in order, with a repeated key told apart by its order: the second case keyed `name:a`
 * is `name:a#2`, the third `name:a#3`.
 *
 * @since 0.1.0
 * @category case keys
 */
export const caseKeys: (cases: Iterable<KeyedCase>) => Array<string> = caseKey_.caseKeys

/**
 * A value as JSON with every object's keys sorted, otherwise as `JSON.stringify` writes it, so that a value and its
 * JSON read back give the same text. A bigint is written as a string of its digits.
 *
 * @since 0.1.0
 * @category case keys
 */
export const canonicalJson: (value: unknown) => string = caseKey_.canonicalJson

/**
 * The 64-bit FNV-1a hash of a string's UTF-8 bytes, as 16 hex digits.
 *
 * @since 0.1.0
 * @category case keys
 */
export const fnv1a64: (text: string) => string = caseKey_.fnv1a64

/**
 * Which of `shards` shards (1 to `shards`) a case key falls in, from its hash: the same on every machine and run.
 *
 * @since 0.1.0
 * @category case keys
 */
export const shardOf: (key: string, shards: number) => number = caseKey_.shardOf
