/**
 * Simulated suites for the statistics' simulation tests and for bench/stats: seeded random scores from known
 * distributions, and the share of runs in which an interval covers the truth or a comparison gives a verdict.
 */
import { Statistics } from "@helicone-effect/evaluator"
import { mulberry32 } from "../src/internal/stats/paired.js"

/** A seeded source of random numbers in [0, 1). */
export interface Random {
  readonly uniform: () => number
  readonly normal: () => number
  readonly bernoulli: (p: number) => number
  readonly beta: (a: number, b: number) => number
}

/** Seeded uniforms (Mulberry32), normals (Box–Muller) and Beta variates (two Marsaglia–Tsang gammas). */
export const makeRandom = (seed: number): Random => {
  const next = mulberry32(seed)
  const uniform = () => (next() + 0.5) / 0x100000000
  const normal = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform())
  const gamma = (shape: number): number => {
    if (shape < 1) return gamma(shape + 1) * uniform() ** (1 / shape)
    const d = shape - 1 / 3
    const c = 1 / Math.sqrt(9 * d)
    for (;;) {
      const x = normal()
      const v = (1 + c * x) ** 3
      if (v > 0 && Math.log(uniform()) < x * x / 2 + d - d * v + d * Math.log(v)) return d * v
    }
  }
  return {
    uniform,
    normal,
    bernoulli: (p) => (uniform() < p ? 1 : 0),
    beta: (a, b) => {
      const x = gamma(a)
      return x / (x + gamma(b))
    }
  }
}

/** The share of `runs` simulated suites whose interval (from `interval`, by default the library's) covers `truth`. */
export const coverage = (options: {
  readonly runs: number
  readonly seed: number
  readonly truth: number
  readonly suite: (random: Random) => ReadonlyArray<Statistics.CaseScores>
  readonly interval?: (cases: ReadonlyArray<Statistics.CaseScores>) => Statistics.MeanInterval
}): number => {
  const random = makeRandom(options.seed)
  const interval = options.interval ?? ((cases) => Statistics.meanInterval(cases))
  let covered = 0
  for (let run = 0; run < options.runs; run++) {
    const { lower, upper } = interval(options.suite(random))
    if (lower !== null && upper !== null && lower <= options.truth && options.truth <= upper) covered++
  }
  return covered / options.runs
}

/** The share of `runs` simulated comparisons (one scorer each, or several judged together) with any verdict of change. */
export const changeRate = (options: {
  readonly runs: number
  readonly seed: number
  readonly scorers?: number
  readonly pairs: (random: Random) => ReadonlyArray<Statistics.Pair>
}): number => {
  const random = makeRandom(options.seed)
  let changed = 0
  for (let run = 0; run < options.runs; run++) {
    const comparisons = Array.from({ length: options.scorers ?? 1 }, (_, i) => ({
      name: `scorer ${i}`,
      comparison: Statistics.comparePaired(options.pairs(random), { seed: run })
    }))
    if (Statistics.judge(comparisons).some((v) => v.verdict === "improved" || v.verdict === "regressed")) changed++
  }
  return changed / options.runs
}

/** `n` cases of one 0/1 score at `p`. */
export const bernoulliSuite = (n: number, p: number) => (random: Random): Array<number> =>
  Array.from({ length: n }, () => random.bernoulli(p))

/** `n` cases of one Beta(a, b) score. */
export const betaSuite = (n: number, a: number, b: number) => (random: Random): Array<number> =>
  Array.from({ length: n }, () => random.beta(a, b))

/** `n` cases of `trials` 0/1 trials, each case passing with its own chance drawn from Beta(a, b). */
export const clusteredBernoulliSuite =
  (n: number, trials: number, a: number, b: number) => (random: Random): Array<Array<number>> =>
    Array.from({ length: n }, () => {
      const p = random.beta(a, b)
      return Array.from({ length: trials }, () => random.bernoulli(p))
    })

/**
 * `n` cases of `trials` graded trials: each case has its own mean m from Beta(a, b), and its trials are
 * Beta(κm, κ(1 − m)), so the trials of a case scatter around m (the overall mean is a / (a + b)).
 */
export const clusteredBetaSuite =
  (n: number, trials: number, a: number, b: number, kappa: number) => (random: Random): Array<Array<number>> =>
    Array.from({ length: n }, () => {
      const m = random.beta(a, b)
      return Array.from({ length: trials }, () => random.beta(kappa * m, kappa * (1 - m)))
    })

/**
 * `n` matched 0/1 cases: the baseline passes with `p`, the current run with `q`, and within a case the two outcomes
 * have correlation `rho` (P(both pass) = pq + ρ·√(p(1 − p)q(1 − q))).
 */
export const bernoulliPairs = (n: number, p: number, q: number, rho: number) => {
  const both = p * q + rho * Math.sqrt(p * (1 - p) * q * (1 - q))
  const afterPass = both / p
  const afterFail = (q - both) / (1 - p)
  return (random: Random): Array<Statistics.Pair> =>
    Array.from({ length: n }, () => {
      const baseline = random.bernoulli(p)
      return { baseline, current: random.bernoulli(baseline === 1 ? afterPass : afterFail) }
    })
}

/**
 * `n` matched graded cases, `scale · logistic(z)` on each side plus `shift` on the current one, where the two sides'
 * normals share a per-case part so that they have correlation `rho`.
 */
export const gradedPairs =
  (n: number, rho: number, shift: number, scale = 0.8) => (random: Random): Array<Statistics.Pair> =>
    Array.from({ length: n }, () => {
      const shared = random.normal() * Math.sqrt(rho)
      const own = Math.sqrt(1 - rho)
      const score = (z: number) => scale / (1 + Math.exp(-z))
      return {
        baseline: score(shared + own * random.normal()),
        current: score(shared + own * random.normal()) + shift
      }
    })
