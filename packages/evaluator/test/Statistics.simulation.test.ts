/**
 * The statistics proved by simulation: seeded suites drawn from known distributions, so each figure is the same on
 * every run. bench/stats runs the same scenarios with more simulations, and its README has the figures.
 */
import { assert, describe, it } from "@effect/vitest"
import { Statistics } from "@helicone-effect/evaluator"
import { binomialCdf } from "../src/internal/stats/distributions.js"
import * as Simulate from "./Statistics.simulate.js"

const within = (rate: number, lo: number, hi: number, what: string) =>
  assert.isTrue(rate >= lo && rate <= hi, `${what}: ${rate} is not in [${lo}, ${hi}]`)

describe("Statistics: coverage of the 95% interval on a mean", () => {
  for (const n of [20, 200]) {
    for (const p of [0.5, 0.9, 0.98]) {
      it(`0/1 scores, p = ${p}, ${n} cases: covers the true mean in 93-98% of 4,000 suites`, () => {
        const rate = Simulate.coverage({
          runs: 4000,
          seed: n * 100 + p * 100,
          truth: p,
          suite: Simulate.bernoulliSuite(n, p)
        })
        within(rate, 0.93, 0.98, "coverage")
      })

      it(`0/1 scores, p = ${p}, ${n} cases: the exact coverage (over every count of passes) is 93-98%`, () => {
        let covered = 0
        for (let x = 0; x <= n; x++) {
          const { lower, upper } = Statistics.meanInterval(Array.from({ length: n }, (_, i) => (i < x ? 1 : 0)))
          if (lower! <= p && p <= upper!) covered += binomialCdf(x, n, p) - (x === 0 ? 0 : binomialCdf(x - 1, n, p))
        }
        within(covered, 0.93, 0.98, "exact coverage")
      })
    }
  }

  for (const [a, b] of [[2, 5], [8, 1], [0.5, 0.5]] as const) {
    // Beta(8, 1), skewed with a long tail towards 0, is the hardest for a t interval: about 93.6% at 20 cases
    it(`graded scores from Beta(${a}, ${b}), 20 cases: covers the true mean in 93-98% of 10,000 suites`, () => {
      const rate = Simulate.coverage({
        runs: 10_000,
        seed: a * 10 + b,
        truth: a / (a + b),
        suite: Simulate.betaSuite(20, a, b)
      })
      within(rate, 0.93, 0.98, "coverage")
    })
  }

  for (const n of [20, 200]) {
    it(`3 trials a case with a per-case pass rate from Beta(0.5, 0.5), ${n} cases: covers in 93-98% of 1,500 suites`, () => {
      const suite = Simulate.clusteredBernoulliSuite(n, 3, 0.5, 0.5)
      within(Simulate.coverage({ runs: 1500, seed: n + 3, truth: 0.5, suite }), 0.93, 0.98, "coverage")
    })

    it(`3 graded trials a case around a per-case mean from Beta(2, 2), ${n} cases: covers in 93-98% of 1,000 suites`, () => {
      const suite = Simulate.clusteredBetaSuite(n, 3, 2, 2, 10)
      within(Simulate.coverage({ runs: 1000, seed: n + 4, truth: 0.5, suite }), 0.93, 0.98, "coverage")
    })
  }

  it("3 trials a case counted as 3 cases would cover far less: the clustering is what holds the coverage", () => {
    const rate = Simulate.coverage({
      runs: 1500,
      seed: 23,
      truth: 0.5,
      suite: Simulate.clusteredBernoulliSuite(20, 3, 0.5, 0.5),
      interval: (cases) => Statistics.meanInterval(cases.flat())
    })
    assert.isTrue(rate < 0.88, `${rate}`)
  })
})

describe("Statistics: false alarms of the paired comparison", () => {
  it("0/1 scores at p = 0.7, 100 cases, correlation 0.5 between runs: a change in at most 6.5% of 2,000 comparisons", () => {
    const rate = Simulate.changeRate({ runs: 2000, seed: 31, pairs: Simulate.bernoulliPairs(100, 0.7, 0.7, 0.5) })
    assert.isTrue(rate <= 0.065, `${rate}`)
  })

  it("graded scores, 30 cases, latent correlation 0.5 between runs: a change in at most 6.5% of 1,000 comparisons", () => {
    const rate = Simulate.changeRate({ runs: 1000, seed: 32, pairs: Simulate.gradedPairs(30, 0.5, 0) })
    assert.isTrue(rate <= 0.065, `${rate}`)
  })

  it("three graded scorers judged together (Holm): any change in at most 6.5% of 300 runs", () => {
    const rate = Simulate.changeRate({ runs: 300, seed: 33, scorers: 3, pairs: Simulate.gradedPairs(30, 0.5, 0) })
    assert.isTrue(rate <= 0.065, `${rate}`)
  })
})

describe("Statistics: power of the paired comparison", () => {
  it("1,000 cases, 0/1 at 0.70 in the baseline and 0.76 now, independent: found in at least 80% of 1,000 comparisons", () => {
    const rate = Simulate.changeRate({ runs: 1000, seed: 41, pairs: Simulate.bernoulliPairs(1000, 0.7, 0.76, 0) })
    assert.isTrue(rate >= 0.8, `${rate}`)
  })

  it("at the printed minimum detectable effect, 0/1 at 0.7 with 1,000 cases: found in 75-85% of 1,000 comparisons", () => {
    const printed = Statistics.comparePaired(Simulate.bernoulliPairs(1000, 0.7, 0.7, 0)(Simulate.makeRandom(42)))
    const mde = printed.minimumDetectableEffect!
    within(mde, 0.05, 0.07, "the minimum detectable effect")
    const rate = Simulate.changeRate({ runs: 1000, seed: 43, pairs: Simulate.bernoulliPairs(1000, 0.7, 0.7 + mde, 0) })
    within(rate, 0.75, 0.85, "power")
  })

  it("at the printed minimum detectable effect, graded with 100 cases: found in 75-85% of 500 comparisons", () => {
    const printed = Statistics.comparePaired(Simulate.gradedPairs(100, 0.5, 0)(Simulate.makeRandom(44)))
    const mde = printed.minimumDetectableEffect!
    const rate = Simulate.changeRate({ runs: 500, seed: 45, pairs: Simulate.gradedPairs(100, 0.5, mde) })
    within(rate, 0.75, 0.85, "power")
  })
})
