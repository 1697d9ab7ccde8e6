/**
 * The statistics' simulation scenarios (packages/evaluator/test/Statistics.simulation.test.ts) with more
 * simulations, printed as a table: coverage of the 95% interval, against Wilson's and the normal (Wald) interval on
 * the same suites; the false-alarm rate; the power. Figures, not timings: nothing here fails on a number.
 *
 *   node --import tsx bench/stats/index.ts [scale=1]
 *
 * `scale` multiplies every count of simulations (10,000 suites per coverage scenario at 1).
 */
import { Statistics } from "../../packages/evaluator/src/index.js"
import { normalQuantile } from "../../packages/evaluator/src/internal/stats/distributions.js"
import * as Simulate from "../../packages/evaluator/test/Statistics.simulate.js"

const scale = Number(process.argv[2] ?? 1)
const runs = (n: number) => Math.round(n * scale)
const z = normalQuantile(0.975)

const asInterval = (mean: number, lower: number, upper: number): Statistics.MeanInterval => ({
  mean,
  standardError: null,
  lower,
  upper,
  confidence: 0.95,
  method: "none",
  cases: 0,
  scores: 0
})

/** Wilson's score interval on every score as if each were its own case (the usual choice for 0/1 scores). */
const wilson = (cases: ReadonlyArray<Statistics.CaseScores>) => {
  const scores = cases.flat()
  const n = scores.length
  const p = scores.reduce((a, b) => a + b, 0) / n
  const centre = (p + z * z / (2 * n)) / (1 + z * z / n)
  const half = z * Math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
  return asInterval(p, centre - half, centre + half)
}

/** The normal (Wald) interval, mean ± 1.96 standard errors, every score its own case. */
const wald = (cases: ReadonlyArray<Statistics.CaseScores>) => {
  const scores = cases.flat()
  const n = scores.length
  const mean = scores.reduce((a, b) => a + b, 0) / n
  const sd = Math.sqrt(scores.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1))
  return asInterval(mean, mean - z * sd / Math.sqrt(n), mean + z * sd / Math.sqrt(n))
}

const percent = (x: number) => `${(x * 100).toFixed(1)}%`
const rows: Array<Array<string>> = []
const started = performance.now()

const coverageRow = (
  name: string,
  count: number,
  seed: number,
  truth: number,
  suite: (random: Simulate.Random) => ReadonlyArray<Statistics.CaseScores>
) => {
  const ours = Simulate.coverage({ runs: count, seed, truth, suite })
  // Wilson's interval is for 0/1 scores only
  const w = name.startsWith("0/1")
    ? percent(Simulate.coverage({ runs: count, seed, truth, suite, interval: wilson }))
    : "—"
  const n = Simulate.coverage({ runs: count, seed, truth, suite, interval: wald })
  rows.push([name, String(count), percent(ours), w, percent(n)])
  console.log(rows.at(-1)!.join(" | "))
}

console.log("coverage of the 95% interval: scenario | suites | Statistics.meanInterval | Wilson (flat) | Wald (flat)")
for (const n of [20, 200]) {
  for (const p of [0.5, 0.9, 0.98]) {
    coverageRow(`0/1, p = ${p}, ${n} cases`, runs(10_000), n * 100 + p * 100, p, Simulate.bernoulliSuite(n, p))
  }
}
for (const [a, b] of [[2, 5], [8, 1], [0.5, 0.5]] as const) {
  for (const n of [20, 200]) {
    coverageRow(`Beta(${a}, ${b}), ${n} cases`, runs(10_000), a * 10 + b + n, a / (a + b), Simulate.betaSuite(n, a, b))
  }
}
for (const n of [20, 200]) {
  coverageRow(
    `0/1, 3 trials, case rate ~ Beta(0.5, 0.5), ${n} cases`,
    runs(10_000),
    n + 3,
    0.5,
    Simulate.clusteredBernoulliSuite(n, 3, 0.5, 0.5)
  )
  coverageRow(
    `0/1, 3 trials, case rate ~ Beta(9, 1), ${n} cases`,
    runs(10_000),
    n + 5,
    0.9,
    Simulate.clusteredBernoulliSuite(n, 3, 9, 1)
  )
  coverageRow(
    `graded, 3 trials around Beta(2, 2), ${n} cases`,
    runs(5_000),
    n + 4,
    0.5,
    Simulate.clusteredBetaSuite(n, 3, 2, 2, 10)
  )
}

const rate = (
  name: string,
  count: number,
  seed: number,
  pairs: (r: Simulate.Random) => Array<Statistics.Pair>,
  scorers = 1
) => {
  const r = Simulate.changeRate({ runs: count, seed, scorers, pairs })
  console.log(`${name} | ${count} | ${percent(r)}`)
}

console.log("\nverdict of a change: scenario | comparisons | rate")
rate("false alarm, 0/1 p = 0.7, 100 cases, rho 0.5", runs(10_000), 31, Simulate.bernoulliPairs(100, 0.7, 0.7, 0.5))
rate("false alarm, 0/1 p = 0.9, 20 cases, rho 0.5", runs(10_000), 34, Simulate.bernoulliPairs(20, 0.9, 0.9, 0.5))
rate("false alarm, 0/1 p = 0.5, 1000 cases, independent", runs(5_000), 35, Simulate.bernoulliPairs(1000, 0.5, 0.5, 0))
rate("false alarm, graded, 50 cases, latent rho 0.5", runs(3_000), 32, Simulate.gradedPairs(50, 0.5, 0))
rate("false alarm, graded, 200 cases, latent rho 0.5", runs(1_000), 36, Simulate.gradedPairs(200, 0.5, 0))
rate("any false alarm of 3 graded scorers (Holm), 30 cases", runs(1_500), 33, Simulate.gradedPairs(30, 0.5, 0), 3)
rate("power, 0/1 0.70 -> 0.76, 1000 cases, independent", runs(10_000), 41, Simulate.bernoulliPairs(1000, 0.7, 0.76, 0))
rate("power, 0/1 0.70 -> 0.73, 1000 cases, rho 0.5", runs(5_000), 46, Simulate.bernoulliPairs(1000, 0.7, 0.73, 0.5))
for (const n of [100, 1000]) {
  const mde = Statistics.comparePaired(Simulate.bernoulliPairs(n, 0.7, 0.7, 0)(Simulate.makeRandom(42)))
    .minimumDetectableEffect!
  rate(
    `power at the printed MDE ${mde.toFixed(4)}, 0/1 at 0.7, ${n} cases`,
    runs(5_000),
    43,
    Simulate.bernoulliPairs(n, 0.7, 0.7 + mde, 0)
  )
}
const mdeGraded = Statistics.comparePaired(Simulate.gradedPairs(100, 0.5, 0)(Simulate.makeRandom(44)))
  .minimumDetectableEffect!
rate(
  `power at the printed MDE ${mdeGraded.toFixed(4)}, graded, 100 cases`,
  runs(2_000),
  45,
  Simulate.gradedPairs(100, 0.5, mdeGraded)
)

console.log(`\n${((performance.now() - started) / 1000).toFixed(1)} s`)
