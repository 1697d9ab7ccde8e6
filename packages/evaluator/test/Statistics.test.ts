import { assert, describe, it } from "@effect/vitest"
import { Statistics } from "@helicone-effect/evaluator"
import { FastCheck as fc } from "effect"

const close = (actual: number | null, expected: number, digits = 6) => {
  assert.isNotNull(actual)
  assert.closeTo(actual!, expected, 10 ** -digits)
}

const choose = (n: number, k: number): number => {
  let c = 1
  for (let i = 0; i < k; i++) c = c * (n - i) / (i + 1)
  return c
}

describe("Statistics.meanInterval", () => {
  it("gives 0/1 scores the Jeffreys interval, which stays below 1 when every case passed", () => {
    const all = Statistics.meanInterval(Array(20).fill(1))
    assert.strictEqual(all.method, "jeffreys")
    assert.strictEqual(all.mean, 1)
    assert.strictEqual(all.upper, 1)
    close(all.lower, 0.883361) // qbeta(0.025, 20.5, 0.5)
    const some = Statistics.meanInterval([1, 1, 0, 1])
    close(some.lower, 0.283752) // qbeta(0.025, 3.5, 1.5)
    close(some.upper, 0.971529) // qbeta(0.975, 3.5, 1.5)
    close(some.standardError, 0.25)
  })

  it("gives graded scores a t interval on the mean", () => {
    const scores = [0.2, 0.5, 0.9, 0.7]
    const result = Statistics.meanInterval(scores)
    const sd = Math.sqrt(scores.reduce((s, x) => s + (x - 0.575) ** 2, 0) / 3)
    assert.strictEqual(result.method, "t")
    close(result.mean, 0.575)
    close(result.standardError, sd / 2)
    close(result.lower, 0.575 - 3.182446 * sd / 2, 5) // qt(0.975, 3)
    assert.strictEqual(result.upper, 1) // clipped: scores are in [0, 1]
  })

  it("does not narrow when each case's trials repeat its score", () => {
    const once = [1, 0, 1, 1, 0, 1, 1, 1]
    const fiveTimes = once.map((s) => Array(5).fill(s))
    assert.deepStrictEqual(
      { ...Statistics.meanInterval(fiveTimes), scores: 8 },
      Statistics.meanInterval(once)
    )
    const graded = [0.3, 0.8, 0.55, 0.9]
    const a = Statistics.meanInterval(graded)
    const b = Statistics.meanInterval(graded.map((s) => [s, s, s]))
    close(b.lower, a.lower!, 12)
    close(b.upper, a.upper!, 12)
  })

  it("narrows with trials only as far as the trials of a case disagree", () => {
    const cases = Array.from({ length: 10 }, (_, i) => [1, 0, i % 2])
    const clustered = Statistics.meanInterval(cases)
    const asCases = Statistics.meanInterval(cases.flat())
    const caseMeans = Statistics.meanInterval(cases.map((c) => c[0] + c[1] + c[2] === 2 ? 1 : 0))
    assert.isTrue(clustered.upper! - clustered.lower! >= asCases.upper! - asCases.lower! - 1e-12)
    assert.isTrue(clustered.upper! - clustered.lower! < caseMeans.upper! - caseMeans.lower!)
    assert.strictEqual(clustered.cases, 10)
    assert.strictEqual(clustered.scores, 30)
  })

  it("leaves out cases with no score, and has no figures when nothing was scored", () => {
    assert.deepStrictEqual(Statistics.meanInterval([[], []]), {
      mean: null,
      standardError: null,
      lower: null,
      upper: null,
      confidence: 0.95,
      method: "none",
      cases: 0,
      scores: 0
    })
    assert.strictEqual(Statistics.meanInterval([[], [1], [0]]).cases, 2)
    assert.deepStrictEqual(
      Statistics.meanInterval([0.4]),
      { mean: 0.4, standardError: null, lower: 0, upper: 1, confidence: 0.95, method: "t", cases: 1, scores: 1 }
    )
  })
})

describe("Statistics.passAtK", () => {
  it("is the unbiased estimator 1 - C(n-c, k)/C(n, k), and pass^k is C(c, k)/C(n, k), per case averaged", () => {
    const cases = [[1, 0, 1, 0, 0], [1, 1, 1, 1, 1], [0, 0, 0, 0, 0], [0, 1, 0, 0, 0]]
    for (const k of [1, 2, 3, 5]) {
      const result = Statistics.passAtK(cases, { k })
      const counts = cases.map((c) => c.filter((s) => s === 1).length)
      const atK = counts.map((c) => 1 - choose(5 - c, k) / choose(5, k))
      const hatK = counts.map((c) => choose(c, k) / choose(5, k))
      close(result.passAtK.mean, atK.reduce((a, b) => a + b) / 4, 12)
      close(result.passHatK.mean, hatK.reduce((a, b) => a + b) / 4, 12)
    }
  })

  it("stays exact with many trials, where binomial coefficients overflow", () => {
    const trials = Array(2000).fill(0)
    trials[0] = 1
    close(Statistics.passAtK([trials], { k: 1000 }).passAtK.mean, 0.5, 12)
  })

  it("lists the flaky cases with their pass counts, judged by the pass mark", () => {
    const cases = [[0.9, 0.2, 0.7], [1, 1, 1], [0.3, 0.1, 0.4]]
    assert.deepStrictEqual(Statistics.passAtK(cases, { k: 2 }).flaky, [{ index: 0, passes: 2, trials: 3 }])
    assert.deepStrictEqual(Statistics.passAtK(cases, { k: 2, passMark: 0.35 }).flaky, [
      { index: 0, passes: 2, trials: 3 },
      { index: 2, passes: 1, trials: 3 }
    ])
  })

  it("leaves out of pass@k the cases with fewer than k trials scored, and counts them", () => {
    const result = Statistics.passAtK([[1, 1, 1], [1, 0]], { k: 3 })
    assert.strictEqual(result.tooFewTrials, 1)
    assert.strictEqual(result.passAtK.cases, 1)
    assert.deepStrictEqual(result.flaky, [{ index: 1, passes: 1, trials: 2 }])
    assert.throws(() => Statistics.passAtK([[1]], { k: 0 }), /k must be a whole number/)
  })
})

describe("Statistics.comparePaired", () => {
  it("tests 0/1 scores with the exact McNemar test on the discordant cases", () => {
    // 2 cases went from pass to fail, 10 from fail to pass, 8 stayed
    const pairs = [
      ...Array(2).fill({ baseline: 1, current: 0 }),
      ...Array(10).fill({ baseline: 0, current: 1 }),
      ...Array(8).fill({ baseline: 1, current: 1 })
    ]
    const result = Statistics.comparePaired(pairs)
    assert.strictEqual(result.test, "mcnemar-exact")
    assert.deepStrictEqual(result.discordant, { passToFail: 2, failToPass: 10 })
    close(result.pValue, 2 * (1 + 12 + 66) / 4096, 12)
    close(result.difference, 0.4, 12)
    assert.isTrue(result.lower! > 0 && result.upper! > 0.4)
  })

  it("tests graded scores with the paired permutation test, exact for few cases", () => {
    const pairs = [
      { baseline: 0.5, current: 0.7 },
      { baseline: 0.2, current: 0.1 },
      { baseline: 0.9, current: 1 },
      { baseline: [0.4, 0.6], current: [0.8] }
    ]
    const result = Statistics.comparePaired(pairs)
    assert.strictEqual(result.test, "permutation-exact")
    // of the 16 sign patterns of (0.2, -0.1, 0.1, 0.3), 6 have a total at least 0.5 from 0
    close(result.pValue, 6 / 16, 12)
    close(result.difference, 0.125, 12)
    assert.strictEqual(result.seed, null)
  })

  it("draws random sign patterns for many cases from a seed it records", () => {
    const pairs = Array.from({ length: 40 }, (_, i) => ({ baseline: (i * 37 % 40) / 40, current: (i * 13 % 40) / 40 }))
    const a = Statistics.comparePaired(pairs, { seed: 7, resamples: 999 })
    assert.strictEqual(a.test, "permutation")
    assert.strictEqual(a.seed, 7)
    assert.strictEqual(a.resamples, 999)
    assert.strictEqual(Statistics.comparePaired(pairs, { seed: 7, resamples: 999 }).pValue, a.pValue)
    assert.isTrue(a.pValue! >= 1 / 1000 && a.pValue! <= 1)
  })

  it("says there are no common cases rather than dividing by zero", () => {
    const result = Statistics.comparePaired([{ baseline: [], current: 1 }, { baseline: 1, current: [] }])
    assert.strictEqual(result.cases, 0)
    assert.strictEqual(result.difference, null)
    assert.strictEqual(result.test, "none")
    const [verdict] = Statistics.judge([{ name: "exactMatch", comparison: result }])
    assert.strictEqual(verdict.verdict, "no-common-cases")
    assert.strictEqual(verdict.adjustedPValue, null)
  })

  it("prints a minimum detectable effect that the case count needs for 80% power", () => {
    const sd = Math.sqrt(2 * 0.7 * 0.3)
    const mde = Statistics.minimumDetectableEffect({ cases: 1000, sd })
    close(mde, (1.962341 + 0.842002) * sd / Math.sqrt(1000), 5) // qt(0.975, 999) + qt(0.8, 999)
    assert.strictEqual(Statistics.casesNeeded({ effect: mde, sd }), 1000)
    assert.strictEqual(Statistics.casesNeeded({ effect: 0.06, sd }), 918)
  })
})

describe("Statistics.judge", () => {
  it("adjusts p-values with Holm's method, as R's p.adjust does", () => {
    assert.deepStrictEqual(Statistics.holm([0.01, 0.04, 0.03, 0.005]), [0.03, 0.06, 0.06, 0.02])
    assert.deepStrictEqual(Statistics.holm([0.02, null, 0.5]), [0.04, null, 0.5])
  })

  it("calls a difference a change only when it is significant after Holm and at least the practical difference", () => {
    const drop = Statistics.comparePaired([
      ...Array(30).fill({ baseline: 1, current: 0 }),
      ...Array(170).fill({ baseline: 1, current: 1 })
    ])
    const rise = Statistics.comparePaired([
      ...Array(5).fill({ baseline: 0, current: 1 }),
      ...Array(1).fill({ baseline: 1, current: 0 }),
      ...Array(94).fill({ baseline: 1, current: 1 })
    ])
    const verdicts = Statistics.judge([{ name: "a", comparison: drop }, { name: "b", comparison: rise }])
    assert.deepStrictEqual(verdicts.map((v) => v.verdict), ["regressed", "no-detectable-change"])
    // 0.15 is a real drop, but not one of at least 0.2
    const practical = Statistics.judge([{ name: "a", comparison: drop }], { minimumDifference: 0.2 })
    assert.strictEqual(practical[0].verdict, "no-detectable-change")
    // alone, rise's p = 0.21875 is still no change; with Holm over two scorers its adjusted p doubles at most
    assert.isTrue(verdicts[1].adjustedPValue! >= rise.pValue!)
  })
})

describe("Statistics.matchCases and caseChanges", () => {
  it("matches cases by key, a repeated key by its order, and lists the cases found on one side only", () => {
    const baseline = Statistics.caseKeys([{ name: "a" }, { name: "b" }, { name: "a" }, { name: "gone" }])
    const current = Statistics.caseKeys([{ name: "a" }, { name: "new" }, { name: "a" }, { name: "b" }, { name: "a" }])
    assert.deepStrictEqual(Statistics.matchCases(baseline, current), {
      matched: [[0, 0], [2, 2], [1, 3]],
      onlyBaseline: [3],
      onlyCurrent: [1, 4]
    })
  })

  it("lists the cases that crossed the pass mark and the largest drops", () => {
    const pairs = [
      { baseline: 1, current: 0 },
      { baseline: 0, current: 1 },
      { baseline: [1, 1], current: [1, 0] },
      { baseline: 0.9, current: 0.6 },
      { baseline: [], current: 0 }
    ]
    const changes = Statistics.caseChanges(pairs, { limit: 2 })
    assert.deepStrictEqual(changes.passToFail.map((c) => c.index), [0])
    assert.deepStrictEqual(changes.failToPass.map((c) => c.index), [1])
    assert.deepStrictEqual(changes.largestDrops.map((c) => [c.index, c.difference]), [[0, -1], [2, -0.5]])
    assert.deepStrictEqual(Statistics.caseChanges(pairs, { passMark: 0.7 }).passToFail.map((c) => c.index), [0, 2, 3])
  })
})

describe("Statistics.caseKey", () => {
  it("keys a case by its name, else its id, else a hash of its input that does not change between versions", () => {
    assert.strictEqual(Statistics.caseKey({ name: "refund", id: 3, input: "x" }), "name:refund")
    assert.strictEqual(Statistics.caseKey({ name: "", id: 3, input: "x" }), "id:3")
    assert.strictEqual(
      Statistics.caseKey({ input: { question: "What is 2 + 2?", options: [3, 4] } }),
      "input:913dbb52ae66ad88"
    )
    assert.strictEqual(
      Statistics.caseKey({ input: { options: [3, 4], question: "What is 2 + 2?" } }),
      "input:913dbb52ae66ad88"
    )
    assert.strictEqual(Statistics.fnv1a64(""), "cbf29ce484222325")
    assert.strictEqual(Statistics.fnv1a64("foobar"), "85944171f73967e8")
  })

  it("writes JSON with sorted keys, as JSON.stringify would write the rest", () => {
    const value = { b: [1, undefined, () => 1], a: { d: new Date(0), c: -0 }, e: undefined, f: NaN, g: 10n }
    assert.strictEqual(
      Statistics.canonicalJson(value),
      `{"a":{"c":0,"d":"1970-01-01T00:00:00.000Z"},"b":[1,null,null],"f":null,"g":"10"}`
    )
  })

  it.prop(
    "gives an input and its JSON read back the same key",
    [fc.anything({ withDate: true, withNullPrototype: true, withSparseArray: true, withBoxedValues: true })],
    ([input]) => {
      const text = JSON.stringify(input)
      const back = text === undefined ? undefined : JSON.parse(text)
      return Statistics.caseKey({ input }) === Statistics.caseKey({ input: back })
    }
  )

  it("tells repeated keys apart by their order", () => {
    assert.deepStrictEqual(
      Statistics.caseKeys([{ name: "a" }, { name: "b" }, { name: "a" }, { input: 1 }, { name: "a" }, { input: 1 }]),
      [
        "name:a",
        "name:b",
        "name:a#2",
        `input:${Statistics.fnv1a64("1")}`,
        "name:a#3",
        `input:${Statistics.fnv1a64("1")}#2`
      ]
    )
  })

  it("puts every key in one shard of 1 to n, the same each time, about evenly", () => {
    const counts = [0, 0, 0, 0]
    for (let i = 0; i < 4000; i++) {
      const shard = Statistics.shardOf(`name:case ${i}`, 4)
      assert.strictEqual(Statistics.shardOf(`name:case ${i}`, 4), shard)
      counts[shard - 1]++
    }
    for (const count of counts) assert.isTrue(count > 900 && count < 1100, `${counts}`)
    assert.throws(() => Statistics.shardOf("name:a", 0), /shards must be/)
  })
})
