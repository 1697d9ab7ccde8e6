import type * as Statistics from "../../Statistics.js"
import { binomialCdf, normalQuantile, tQuantile } from "./distributions.js"

/** Up to this many non-zero differences, the permutation test enumerates every sign pattern (2^16 of them). */
const exactLimit = 16

const mean = (xs: ReadonlyArray<number>): number => {
  let s = 0
  for (const x of xs) s += x
  return s / xs.length
}

const caseMean = (scores: number | ReadonlyArray<number>): number | null => {
  if (typeof scores === "number") return scores
  if (scores.length === 0) return null
  let s = 0
  for (const x of scores) s += x
  return s / scores.length
}

const isBit = (scores: number | ReadonlyArray<number>): boolean =>
  typeof scores === "number"
    ? scores === 0 || scores === 1
    : scores.length === 1 && (scores[0] === 0 || scores[0] === 1)

/**
 * Mulberry32 (Tommy Ettinger's 32-bit generator, public domain): 32 random bits a call from a 32-bit seed, in a few
 * nanoseconds (bench/stats/README.md says why not Effect's `PCGRandom`).
 */
export const mulberry32 = (seed: number): () => number => {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return (t ^ (t >>> 14)) >>> 0
  }
}

/** The two-sided exact McNemar p-value: `b` and `c` discordant pairs, each way, tested against Binomial(b + c, 1/2). */
export const mcnemarExact = (b: number, c: number): number => {
  const m = b + c
  return m === 0 ? 1 : Math.min(1, 2 * binomialCdf(Math.min(b, c), m, 0.5))
}

/**
 * The two-sided paired permutation (sign-flip) p-value of the differences `d`: how often flipping the signs at random
 * gives a total at least as far from 0 as the observed one. Every pattern is enumerated for up to 16 non-zero
 * differences; past that, `resamples` patterns are drawn by Mulberry32 from `seed`, and p = (1 + hits) / (1 + R).
 */
export const permutationTest = (
  d: ReadonlyArray<number>,
  resamples: number,
  seed: number
): { readonly pValue: number; readonly exact: boolean } => {
  const abs: Array<number> = []
  let observed = 0
  let scale = 0
  for (const x of d) {
    if (x !== 0) {
      abs.push(Math.abs(x))
      observed += x
      scale += Math.abs(x)
    }
  }
  const m = abs.length
  if (m === 0) return { pValue: 1, exact: true }
  // Sums of the same values in another order may differ in their last bits: a tie is a tie.
  const bar = Math.abs(observed) - 1e-9 * scale
  if (m <= exactLimit) {
    let hits = 0
    const patterns = 2 ** m
    for (let mask = 0; mask < patterns; mask++) {
      let s = 0
      for (let i = 0; i < m; i++) s += (mask >>> i) & 1 ? abs[i] : -abs[i]
      if (Math.abs(s) >= bar) hits++
    }
    return { pValue: hits / patterns, exact: true }
  }
  const random = mulberry32(seed)
  const values = Float64Array.from(abs)
  let hits = 0
  for (let r = 0; r < resamples; r++) {
    let s = 0
    for (let start = 0; start < m; start += 30) {
      // 30 signs from one draw; without a branch on each, which a random sign would mispredict half the time
      let bits = random() & 0x3fffffff
      const end = Math.min(m, start + 30)
      for (let i = start; i < end; i++) {
        s += values[i] * ((bits & 1) * 2 - 1)
        bits >>>= 1
      }
    }
    if (Math.abs(s) >= bar) hits++
  }
  return { pValue: (1 + hits) / (1 + resamples), exact: false }
}

/** @see Statistics.minimumDetectableEffect */
export const minimumDetectableEffect = (options: Statistics.PowerOptions & { readonly cases: number }): number => {
  const { alpha = 0.05, cases, power = 0.8, sd } = options
  if (cases < 2) return Infinity
  const df = cases - 1
  return (tQuantile(1 - alpha / 2, df) + tQuantile(power, df)) * sd / Math.sqrt(cases)
}

/** @see Statistics.casesNeeded */
export const casesNeeded = (options: Statistics.PowerOptions & { readonly effect: number }): number => {
  const { alpha = 0.05, effect, power = 0.8, sd } = options
  if (sd === 0) return 2
  let n = Math.max(2, Math.ceil(((normalQuantile(1 - alpha / 2) + normalQuantile(power)) * sd / effect) ** 2))
  while (minimumDetectableEffect({ alpha, cases: n, power, sd }) > effect) n++
  return n
}

/** @see Statistics.comparePaired */
export const comparePaired = (
  pairs: ReadonlyArray<Statistics.Pair>,
  options?: Statistics.CompareOptions
): Statistics.PairedComparison => {
  const base: Array<number> = []
  const cur: Array<number> = []
  let binary = true
  for (const pair of pairs) {
    const b = caseMean(pair.baseline)
    const c = caseMean(pair.current)
    if (b === null || c === null) continue
    base.push(b)
    cur.push(c)
    binary &&= isBit(pair.baseline) && isBit(pair.current)
  }
  return compareMeans(base, cur, binary, options)
}

/**
 * {@link comparePaired} of the cases' means, `baseline[i]` against `current[i]`, for a fold that keeps a mean per
 * case rather than every score. `binary`: every case has one 0/1 score on each side (the McNemar test applies).
 */
export const compareMeans = (
  base: ReadonlyArray<number>,
  cur: ReadonlyArray<number>,
  binary: boolean,
  options?: Statistics.CompareOptions
): Statistics.PairedComparison => {
  const confidence = options?.confidence ?? 0.95
  const alpha = options?.alpha ?? 0.05
  const power = options?.power ?? 0.8
  const resamples = options?.resamples ?? 9999
  const seed = options?.seed ?? 1
  const d: Array<number> = []
  let passToFail = 0
  let failToPass = 0
  for (let i = 0; i < base.length; i++) {
    const b = base[i]
    const c = cur[i]
    d.push(c - b)
    if (b > c) passToFail++
    else if (c > b) failToPass++
  }
  const n = d.length
  if (n === 0) {
    return {
      cases: 0,
      baselineMean: null,
      currentMean: null,
      difference: null,
      standardError: null,
      lower: null,
      upper: null,
      confidence,
      pValue: null,
      test: "none",
      discordant: null,
      minimumDetectableEffect: null,
      seed: null,
      resamples: null
    }
  }
  const difference = mean(d)
  let squares = 0
  for (const x of d) squares += (x - difference) ** 2
  const sd = n > 1 ? Math.sqrt(squares / (n - 1)) : 0
  const standardError = n > 1 ? sd / Math.sqrt(n) : null
  const half = standardError === null ? Infinity : tQuantile(1 - (1 - confidence) / 2, n - 1) * standardError
  const common = {
    cases: n,
    baselineMean: mean(base),
    currentMean: mean(cur),
    difference,
    standardError,
    lower: Math.max(-1, difference - half),
    upper: Math.min(1, difference + half),
    confidence,
    minimumDetectableEffect: n > 1 && sd > 0 ? minimumDetectableEffect({ alpha, cases: n, power, sd }) : null
  }
  if (binary) {
    return {
      ...common,
      pValue: mcnemarExact(passToFail, failToPass),
      test: "mcnemar-exact",
      discordant: { passToFail, failToPass },
      seed: null,
      resamples: null
    }
  }
  const test = permutationTest(d, resamples, seed)
  return {
    ...common,
    pValue: test.pValue,
    test: test.exact ? "permutation-exact" : "permutation",
    discordant: null,
    seed: test.exact ? null : seed,
    resamples: test.exact ? null : resamples
  }
}

/** @see Statistics.holm */
export const holm = (pValues: ReadonlyArray<number | null>): Array<number | null> => {
  const order = pValues.flatMap((p, i) => (p === null ? [] : [i])).sort((a, b) => pValues[a]! - pValues[b]!)
  const m = order.length
  const adjusted: Array<number | null> = pValues.map(() => null)
  let running = 0
  order.forEach((i, rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * pValues[i]!))
    adjusted[i] = running
  })
  return adjusted
}

/** @see Statistics.judge */
export const judge = (
  comparisons: ReadonlyArray<{ readonly name: string; readonly comparison: Statistics.PairedComparison }>,
  options?: Statistics.JudgeOptions
): Array<Statistics.ScorerVerdict> => {
  const alpha = options?.alpha ?? 0.05
  const minimumDifference = options?.minimumDifference ?? 0
  const adjusted = holm(comparisons.map((c) => c.comparison.pValue))
  return comparisons.map(({ comparison, name }, i) => {
    const p = adjusted[i]
    const diff = comparison.difference
    const verdict: Statistics.Verdict = comparison.cases === 0 || diff === null || p === null
      ? "no-common-cases"
      : p <= alpha && diff > 0 && diff >= minimumDifference
      ? "improved"
      : p <= alpha && diff < 0 && -diff >= minimumDifference
      ? "regressed"
      : "no-detectable-change"
    return { name, comparison, adjustedPValue: p, verdict }
  })
}
