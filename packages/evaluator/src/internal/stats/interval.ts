import type * as Statistics from "../../Statistics.js"
import { betaQuantile, tQuantile } from "./distributions.js"

/** One case's scores, summed and counted; a bare number is a case with one trial. */
export interface Cluster {
  readonly sum: number
  readonly count: number
}

/** Every case with at least one score, and whether every score is 0 or 1. */
export const clusters = (
  cases: ReadonlyArray<number | ReadonlyArray<number>>
): { readonly clusters: Array<Cluster>; readonly binary: boolean; readonly total: number; readonly sum: number } => {
  const out: Array<Cluster> = []
  let binary = true
  let total = 0
  let sum = 0
  for (const c of cases) {
    if (typeof c === "number") {
      binary &&= c === 0 || c === 1
      out.push({ sum: c, count: 1 })
      sum += c
      total += 1
    } else if (c.length > 0) {
      let s = 0
      for (const x of c) {
        binary &&= x === 0 || x === 1
        s += x
      }
      out.push({ sum: s, count: c.length })
      sum += s
      total += c.length
    }
  }
  return { clusters: out, binary, total, sum }
}

/**
 * The Jeffreys interval for `x` successes in `n` (both may be fractional: an effective count): the equal-tailed
 * interval of Beta(x + 1/2, n − x + 1/2), with the usual ends at 0 and 1 when x is 0 or n.
 */
export const jeffreys = (x: number, n: number, confidence: number): readonly [number, number] => {
  const tail = (1 - confidence) / 2
  const lower = x <= 0 ? 0 : betaQuantile(tail, x + 0.5, n - x + 0.5)
  const upper = x >= n ? 1 : betaQuantile(1 - tail, x + 0.5, n - x + 0.5)
  return [lower, upper]
}

const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x))

/** @see Statistics.meanInterval */
export const meanInterval = (
  cases: ReadonlyArray<number | ReadonlyArray<number>>,
  options?: Statistics.IntervalOptions
): Statistics.MeanInterval => {
  const { binary, clusters: cs } = clusters(cases)
  return ofClusters(cs, options?.binary ?? binary, options?.confidence ?? 0.95)
}

/**
 * {@link meanInterval} of cases already summed, each its scores' sum and count (a case with count 0 is left out), for
 * a fold that keeps a sum and a count per case rather than every score. `binary`: every score is 0 or 1.
 */
export const ofClusters = (
  cs: ReadonlyArray<Cluster>,
  binary: boolean,
  confidence: number
): Statistics.MeanInterval => ofSums(cs.map((c) => c.sum), cs.map((c) => c.count), binary, confidence)

/** {@link ofClusters} over two columns: case `i` has `counts[i]` scores summing to `sums[i]`. */
export const ofSums = (
  sums: ArrayLike<number>,
  counts: ArrayLike<number>,
  binary: boolean,
  confidence: number
): Statistics.MeanInterval => {
  let n = 0
  let sum = 0
  let total = 0
  for (let i = 0; i < sums.length; i++) {
    if (counts[i] === 0) continue
    n++
    sum += sums[i]
    total += counts[i]
  }
  if (n === 0) {
    return {
      mean: null,
      standardError: null,
      lower: null,
      upper: null,
      confidence,
      method: "none",
      cases: 0,
      scores: 0
    }
  }
  const mean = sum / total
  // The variance of a ratio mean over clusters (each case's trials are one cluster), with divisor n: with one score
  // a case it is the binomial p(1 - p) / n, and it does not shrink when a case's trials repeat its score.
  let squares = 0
  for (let i = 0; i < sums.length; i++) {
    if (counts[i] === 0) continue
    const r = sums[i] - counts[i] * mean
    squares += r * r
  }
  const variance = squares / (total * total)
  const standardError = n > 1 ? Math.sqrt(variance * n / (n - 1)) : null
  if (binary) {
    // Jeffreys on the effective number of independent scores (Kish's design effect): n with one trial a case, up to
    // every trial when the trials of a case are no more alike than trials of different cases.
    const effective = mean === 0 || mean === 1
      ? n
      : variance === 0
      ? total
      : clamp(mean * (1 - mean) / variance, n, total)
    const [lower, upper] = jeffreys(mean * effective, effective, confidence)
    return { mean, standardError, lower, upper, confidence, method: "jeffreys", cases: n, scores: total }
  }
  if (standardError === null) {
    return { mean, standardError, lower: 0, upper: 1, confidence, method: "t", cases: n, scores: total }
  }
  const half = tQuantile(1 - (1 - confidence) / 2, n - 1) * standardError
  return {
    mean,
    standardError,
    lower: clamp(mean - half, 0, 1),
    upper: clamp(mean + half, 0, 1),
    confidence,
    method: "t",
    cases: n,
    scores: total
  }
}
