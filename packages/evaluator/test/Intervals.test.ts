import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Eval, Scorer, Scorers, Statistics } from "../src/index.js"

const cases = (n: number, wrong: (i: number) => boolean) =>
  Array.from({ length: n }, (_, i) => ({ input: `q${i}`, expected: wrong(i) ? "other" : `Q${i}` }))

const upper = (input: string) => input.toUpperCase()

describe("intervals in the report", () => {
  it.effect("every scorer's mean has its interval, clustered by case: repeating a case's trials does not narrow it", () =>
    Effect.gen(function*() {
      const data = cases(40, (i) => i % 4 === 0)
      const once = yield* Eval.run(Eval.make({ name: "once", data, task: upper, scorers: [Scorers.exactMatch] }))
      const five = yield* Eval.run(
        Eval.make({ name: "five", data, task: upper, scorers: [Scorers.exactMatch], trials: 5 })
      )
      const a = once.scorers[0].interval!
      const b = five.scorers[0].interval!
      assert.deepStrictEqual(a, Statistics.meanInterval(data.map((_, i) => (i % 4 === 0 ? 0 : 1))))
      assert.strictEqual(a.mean, 0.75)
      assert.strictEqual(b.mean, 0.75)
      assert.deepStrictEqual([b.cases, b.scores, b.method], [40, 200, "jeffreys"])
      assert.closeTo(b.lower!, a.lower!, 1e-9)
      assert.closeTo(b.upper!, a.upper!, 1e-9)
    }))

  it.effect("pass@k, pass^k and the flaky cases, with trials; k may be chosen", () =>
    Effect.gen(function*() {
      // case i passes on trials below i % 4: never, 1 of 3, 2 of 3, always
      const suite = Eval.make({
        name: "flaky",
        data: Array.from({ length: 8 }, (_, i) => ({ input: i, ...(i === 1 ? { name: "first flaky" } : {}) })),
        task: (i: number, ctx: Eval.TaskContext) => ctx.trial < i % 4,
        scorers: [Scorer.make("ok", ({ output }: { output: boolean }) => output)],
        trials: 3
      })
      const report = yield* Eval.run(suite)
      const p = report.scorers[0].passAtK!
      assert.strictEqual(p.k, 3)
      assert.strictEqual(p.passAtK.mean, 6 / 8)
      assert.strictEqual(p.passHatK.mean, 2 / 8)
      assert.strictEqual(p.flakyCount, 4)
      assert.deepStrictEqual(p.flaky.slice(0, 2), [
        { index: 1, name: "first flaky", passes: 1, trials: 3 },
        { index: 2, passes: 2, trials: 3 }
      ])
      assert.deepStrictEqual(
        p.passAtK,
        Statistics.passAtK(Array.from({ length: 8 }, (_, i) => [0, 1, 2].map((t) => (t < i % 4 ? 1 : 0))), { k: 3 })
          .passAtK
      )
      const k1 = (yield* Eval.run(suite, { passAtK: 1 })).scorers[0].passAtK!
      assert.strictEqual(k1.k, 1)
      assert.closeTo(k1.passAtK.mean!, 0.5, 1e-12)
      assert.throws(() => Eval.run(suite, { passAtK: 4 }), RangeError)
      const single = yield* Eval.run(Eval.make({ ...suite, data: [1, 2].map((input) => ({ input })), trials: 1 }))
      assert.isUndefined(single.scorers[0].passAtK)
    }))
})

describe("a threshold on the interval's lower bound", () => {
  // 19 of 20 right: a mean of 0.95, with a lower bound near 0.79
  const data = cases(20, (i) => i === 7)

  it.effect("passes on the mean and fails on the lower bound, the reason giving the value judged on", () =>
    Effect.gen(function*() {
      const onMean = yield* Eval.run(
        Eval.make({ name: "m", data, task: upper, scorers: [Scorers.exactMatch], thresholds: { exactMatch: 0.9 } })
      )
      assert.isTrue(onMean.passed)
      assert.strictEqual(onMean.scorers[0].thresholdValue, 0.95)
      const report = yield* Eval.run(
        Eval.make({
          name: "lower",
          data,
          task: upper,
          scorers: [Scorers.exactMatch],
          thresholds: { exactMatch: { min: 0.9, on: "lower" } }
        })
      )
      assert.isFalse(report.passed)
      const s = report.scorers[0]
      assert.strictEqual(s.thresholdOn, "lower")
      assert.strictEqual(s.thresholdValue, s.thresholdInterval!.lower)
      assert.closeTo(s.thresholdValue!, 0.79, 0.02)
      const reason = report.verdict.reasons[0]
      assert.deepInclude(reason, { kind: "threshold", on: "lower", value: s.thresholdValue, threshold: 0.9 })
      assert.match(reason.message, /^exactMatch: lower bound 0\.\d{3} < 0\.9 \(threshold mean 0\.950, 95% CI /)
    }))

  it.effect("judges the same population as the threshold mean: a scorer's errors count as 0", () =>
    Effect.gen(function*() {
      const flaky = Scorer.make("half", ({ input }: { input: string }) => {
        if (Number(input.slice(1)) % 2 === 0) throw new Error("judge down")
        return 1
      })
      const report = yield* Eval.run(
        Eval.make({
          name: "errors",
          data,
          task: upper,
          scorers: [flaky],
          thresholds: { half: { min: 0.2, on: "lower" } },
          maxErrors: "100%"
        })
      )
      const s = report.scorers[0]
      assert.strictEqual(s.mean, 1)
      assert.strictEqual(s.thresholdMean, 0.5)
      assert.strictEqual(s.thresholdInterval!.mean, 0.5)
      assert.strictEqual(s.thresholdInterval!.cases, 20)
      assert.isBelow(s.thresholdValue!, 0.5)
    }))

  it("a threshold that is neither a number nor { min, on } is a TypeError; unknownThresholds takes both forms", () => {
    const make = (thresholds: Record<string, unknown>) =>
      Eval.make({ name: "t", data, task: upper, scorers: [Scorers.exactMatch], thresholds: thresholds as never })
    assert.throws(() => make({ exactMatch: { min: "0.9" } }), TypeError)
    assert.throws(() => make({ exactMatch: { min: 0.9, on: "upper" } }), TypeError)
    const suite = make({ exactMatch: { min: 0.9 } })
    assert.deepStrictEqual(Eval.unknownThresholds(suite, { exactmatch: { min: 0.9, on: "lower" } }), [
      { name: "exactmatch", suggestion: "exactMatch" }
    ])
  })
})
