import type * as Statistics from "../../Statistics.js"
import { meanInterval } from "./interval.js"

/**
 * The unbiased pass@k of one case with `passes` of `trials` passing: 1 − C(n−c, k) / C(n, k), computed as
 * 1 − ∏_{i = n−c+1}^{n} (1 − k / i), which never forms a binomial coefficient (Chen et al. 2021).
 */
export const casePassAtK = (passes: number, trials: number, k: number): number => {
  if (trials - passes < k) return 1
  let fail = 1
  for (let i = trials - passes + 1; i <= trials; i++) fail *= 1 - k / i
  return 1 - fail
}

/** The unbiased pass^k of one case: C(c, k) / C(n, k), the chance that k trials drawn without replacement all pass. */
export const casePassHatK = (passes: number, trials: number, k: number): number => {
  if (passes < k) return 0
  let all = 1
  for (let i = 0; i < k; i++) all *= (passes - i) / (trials - i)
  return all
}

/** @see Statistics.passAtK */
export const passAtK = (
  cases: ReadonlyArray<ReadonlyArray<number>>,
  options: Statistics.PassAtKOptions
): Statistics.PassAtK => {
  const k = options.k
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a whole number of at least 1, not ${k}`)
  const passMark = options.passMark ?? 0.5
  const confidence = options.confidence ?? 0.95
  const atK: Array<number> = []
  const hatK: Array<number> = []
  const flaky: Array<Statistics.FlakyCase> = []
  let tooFewTrials = 0
  cases.forEach((scores, index) => {
    if (scores.length === 0) return
    let passes = 0
    for (const s of scores) if (s >= passMark) passes++
    if (passes > 0 && passes < scores.length) flaky.push({ index, passes, trials: scores.length })
    if (scores.length < k) {
      tooFewTrials++
      return
    }
    atK.push(casePassAtK(passes, scores.length, k))
    hatK.push(casePassHatK(passes, scores.length, k))
  })
  return {
    k,
    passMark,
    passAtK: meanInterval(atK, { confidence }),
    passHatK: meanInterval(hatK, { confidence }),
    flaky,
    tooFewTrials
  }
}
