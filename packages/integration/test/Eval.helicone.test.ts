import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { assert, describe, it } from "@effect/vitest"
import { HeliconeScores } from "@helicone-effect/core"
import { Eval, Scorer } from "@helicone-effect/evaluator"
import { LocalHelicone } from "@helicone-effect/local"
import { Effect, Layer, Redacted } from "effect"
import { expectedScores, numbersSuite } from "./fixtures/HeliconeSuite.js"

const helicone = (local: LocalHelicone.Service, options: Partial<HeliconeScores.Options> = {}) =>
  HeliconeScores.layer({ apiKey: Redacted.make("sk-eval"), baseUrl: local.baseUrl, ...options }).pipe(
    Layer.provide(FetchHttpClient.layer)
  )

const suite = numbersSuite("helicone")

describe("Eval.run with Helicone", () => {
  it.live("sends each case's scores under its request id: 0..1 as integers, booleans as booleans", () =>
    Effect.gen(function*() {
      const local = yield* LocalHelicone.make({ acceptUnknownRequests: true })
      const report = yield* Eval.run(suite, { helicone: { scale: 100 } }).pipe(Effect.provide(helicone(local)))
      assert.deepStrictEqual(report.helicone, {
        delivery: "direct",
        submitted: 12,
        failed: 0,
        skipped: 0,
        failures: []
      })
      assert.strictEqual(report.cases.length, 12)
      for (const c of report.cases) {
        const stored = yield* local.scores(c.requestId)
        assert.deepStrictEqual(stored, expectedScores(c.index), `case ${c.index}`)
      }
      assert.strictEqual(yield* local.requestCount, 12, "one request per case")
    }).pipe(Effect.scoped))

  it.live("a scale of 1000 sends per-mille integers; cases without scores send nothing", () =>
    Effect.gen(function*() {
      const local = yield* LocalHelicone.make({ acceptUnknownRequests: true })
      const failing = Eval.make({
        name: "some fail",
        data: [{ input: 1 }, { input: 2 }],
        task: (n: number) => {
          if (n === 2) throw new Error("no output")
          return n
        },
        scorers: [Scorer.make("partial", () => 0.4567)]
      })
      const report = yield* Eval.run(failing, { helicone: { scale: 1000 } }).pipe(Effect.provide(helicone(local)))
      const ok = report.cases.find((c) => c.index === 0)!
      const failed = report.cases.find((c) => c.index === 1)!
      assert.deepStrictEqual(yield* local.scores(ok.requestId), { partial: 457 })
      assert.isNull(yield* local.scores(failed.requestId))
      assert.strictEqual(report.helicone!.submitted, 1)
      assert.strictEqual(yield* local.requestCount, 1)
    }).pipe(Effect.scoped))

  it.live("records failed submissions in the report without failing the run, unless strict", () =>
    Effect.gen(function*() {
      const local = yield* LocalHelicone.make({ acceptUnknownRequests: true, faults: "503=1" })
      const layer = helicone(local, { retry: false })
      const report = yield* Eval.run(suite, { helicone: {} }).pipe(Effect.provide(layer))
      const summary = report.helicone!
      assert.strictEqual(summary.submitted, 0)
      assert.strictEqual(summary.failed, 12)
      assert.strictEqual(summary.failures.length, 12)
      const failure = summary.failures[0]
      assert.strictEqual(failure.error, "HeliconeServerError")
      assert.include(report.cases.map((c) => c.requestId), failure.requestId)
      assert.isTrue(report.passed, "submission failures do not fail the run by default")
      assert.strictEqual(report.scorers[0].count, 12, "the scores themselves are all there")

      const strict = yield* Eval.run(suite, { helicone: { strict: true } }).pipe(Effect.provide(layer))
      assert.strictEqual(strict.helicone!.failed, 12)
      assert.isFalse(strict.passed)
    }).pipe(Effect.scoped))
})
