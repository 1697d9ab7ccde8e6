import { NodeContext } from "@effect/platform-node"
import * as FileSystem from "@effect/platform/FileSystem"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Path from "node:path"
import { Eval, EvalReport, Scorer, Scorers, Statistics } from "../src/index.js"

/** A deterministic 0..1 from a string: the same for a case in every run. */
const hash = (text: string): number => Number.parseInt(Statistics.fnv1a64(text).slice(0, 8), 16) / 0x100000000

const data = Array.from({ length: 90 }, (_, i) => ({
  // a repeated input and a repeated name, told apart by their order
  input: i % 30 === 7 ? "repeated" : `q${i}`,
  expected: `Q${i}`,
  ...(i % 10 === 3 ? { name: i < 50 ? "named" : `case ${i}` } : {})
}))

const suite = (shift: number, name = "sharded") =>
  Eval.make({
    name,
    data,
    trials: 3,
    // a case that errors, cases that disagree between trials, graded scores
    task: (input: string, ctx: Eval.TaskContext) => {
      if (ctx.index === 41) throw new Error("no answer")
      return hash(`${input}/${ctx.trial}/${shift}`) < 0.7 ? `Q${ctx.index}` : input
    },
    scorers: [
      Scorers.exactMatch,
      Scorer.make("graded", ({ input }: { input: string }) => hash(`${input}/${shift}`))
    ],
    thresholds: { exactMatch: { min: 0.5, on: "lower" }, graded: 0.4 },
    maxErrors: 3
  })

/** A report without what differs from run to run: timings, durations and request ids. */
const timeless = (report: EvalReport.EvalReport): unknown =>
  JSON.parse(
    JSON.stringify(report, (key, value) =>
      key === "timings" || key === "duration" || key === "requestId" || key === "casesPerSecond" ? undefined : value)
  )

describe("shards", () => {
  it.effect("split the cases by key: every case once, in the shard Statistics.shardOf names, with its own index", () =>
    Effect.gen(function*() {
      const keys = Statistics.caseKeys(data)
      const seen: Array<number> = []
      for (let index = 1; index <= 3; index++) {
        const report = yield* Eval.run(suite(0), { shard: { index, count: 3 } })
        assert.deepStrictEqual(report.shard, { index, count: 3 })
        const indexes = [...new Set(report.cases.map((c) => c.index))]
        assert.isAbove(indexes.length, 15)
        for (const i of indexes) assert.strictEqual(Statistics.shardOf(keys[i], 3), index)
        seen.push(...indexes)
      }
      assert.deepStrictEqual(seen.sort((a, b) => a - b), data.map((_, i) => i))
    }))

  it.scoped("merged, 3 shards give the whole run's report field by field (timings aside), baseline comparison included", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* fs.makeTempDirectoryScoped()
      const baselinePath = Path.join(dir, "baseline.json")
      yield* fs.writeFileString(baselinePath, EvalReport.toJson(yield* Eval.run(suite(1))))
      const baseline = yield* EvalReport.loadBaseline(baselinePath)
      const options = { baseline, failOnRegression: { minimumDifference: 0.01 }, seed: 7 } as const

      const whole = yield* Eval.run(suite(0), options)
      const shards: Array<EvalReport.EvalReport> = []
      for (let index = 1; index <= 3; index++) {
        // the second shard keeps its cases in a cases file, as a large shard does
        const casesFile = index === 2 ? Path.join(dir, "shard-2.cases.jsonl") : undefined
        shards.push(yield* Eval.run(suite(0), { ...options, shard: { index, count: 3 }, casesFile }))
      }
      assert.strictEqual(shards[1].cases.length, 0)
      // merge reads the baseline again from its path
      const merged = yield* EvalReport.merge([shards[2], shards[0], shards[1]])
      assert.deepStrictEqual(timeless(merged), timeless(whole))

      // what the comparison is made of is there to compare
      assert.isDefined(whole.scorers[0].interval)
      assert.isDefined(whole.scorers[0].passAtK)
      assert.isAbove(whole.scorers[0].passAtK!.flakyCount, 0)
      assert.strictEqual(whole.baseline!.matched, 90)
      assert.strictEqual(whole.baseline!.scorers[1].comparison.test, "permutation")
      assert.strictEqual(whole.baseline!.scorers[1].comparison.seed, 7)
      assert.strictEqual(whole.totals.errored, 3)

      // and with the baseline given, the same
      const given = yield* EvalReport.merge(shards, { baseline })
      assert.deepStrictEqual(timeless(given), timeless(whole))
    }).pipe(Effect.provide(NodeContext.layer)))

  it.effect("what cannot be merged is a MergeError that says why", () =>
    Effect.gen(function*() {
      const shard = (index: number, count = 3, s = suite(0)) => Eval.run(s, { shard: { index, count } })
      const one = yield* shard(1)
      const two = yield* shard(2)
      const reason = (reports: ReadonlyArray<EvalReport.EvalReport>) =>
        Effect.map(Effect.flip(EvalReport.merge(reports)), (e) => [e._tag, e.reason, e.message] as const)
      assert.deepStrictEqual(yield* reason([one, two]), [
        "MergeError",
        "shards",
        "cannot merge the shard reports: shard 3/3 missing"
      ])
      assert.strictEqual((yield* reason([one, one, two]))[1], "shards")
      assert.strictEqual((yield* reason([one, yield* shard(2, 4)]))[1], "shards")
      assert.strictEqual((yield* reason([]))[1], "no-reports")
      assert.strictEqual((yield* reason([one, yield* Eval.run(suite(0))]))[1], "not-a-shard")
      assert.strictEqual((yield* reason([one, yield* shard(2, 3, suite(0, "other"))]))[1], "other-suite")
    }).pipe(Effect.provide(NodeContext.layer)))

  it("a shard outside 1..count is a RangeError", () => {
    for (
      const shard of [{ index: 0, count: 4 }, { index: 5, count: 4 }, { index: 1.5, count: 4 }, { index: 1, count: 0 }]
    ) {
      assert.throws(() => Eval.run(suite(0), { shard }), RangeError)
    }
  })
})
