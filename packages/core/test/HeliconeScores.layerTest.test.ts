import { assert, describe, it } from "@effect/vitest"
import { HeliconeError, HeliconeScores, RequestId } from "@helicone-effect/core"
import { Effect } from "effect"

describe("HeliconeScores.layerTest", () => {
  it.effect("records what was submitted, in order", () =>
    Effect.gen(function*() {
      const a = RequestId.make()
      const b = RequestId.make()
      yield* HeliconeScores.submitScore(a, { accuracy: 92 })
      yield* HeliconeScores.submitScore(b, { hallucinated: true })
      yield* HeliconeScores.submitFeedback(a, true)
      const test = yield* HeliconeScores.HeliconeScoresTest
      assert.deepStrictEqual(yield* test.submissions, [
        { requestId: a, scores: { accuracy: 92 } },
        { requestId: b, scores: { hallucinated: true } }
      ])
      assert.deepStrictEqual(yield* test.feedback, [{ requestId: a, rating: true }])
    }).pipe(Effect.provide(HeliconeScores.layerTest)))

  it.effect("validates like the real client and records nothing invalid", () =>
    Effect.gen(function*() {
      const scores = yield* Effect.flip(HeliconeScores.submitScore(RequestId.make(), { accuracy: 0.92, "": 1 }))
      assert.strictEqual(scores._tag, "InvalidScores")
      if (scores._tag === "InvalidScores") assert.deepStrictEqual(scores.issues.map((i) => i.key), ["accuracy", ""])
      const id = yield* Effect.flip(HeliconeScores.submitScore("01890a5d-ac96-774b-bcce-b302099a8057", { a: 1 }))
      assert.strictEqual(id._tag, "InvalidRequestId")
      const test = yield* HeliconeScores.HeliconeScoresTest
      assert.deepStrictEqual(yield* test.submissions, [])
    }).pipe(Effect.provide(HeliconeScores.layerTest)))

  it.effect("an unreadable request id or scores fail with a typed error, not a throw", () =>
    Effect.gen(function*() {
      const { proxy, revoke } = Proxy.revocable({}, {})
      revoke()
      const service = yield* HeliconeScores.HeliconeScores
      let calls: Array<Effect.Effect<void, HeliconeError.SubmitScoreError>> = []
      try {
        calls = [
          service.submitScore(Object.create(null), { a: 1 }),
          service.submitScore(RequestId.make(), proxy),
          service.submitFeedback(proxy as never, true)
        ]
      } catch (error) {
        assert.fail(`the call threw synchronously: ${String((error as Error).message)}`)
      }
      const tags = yield* Effect.forEach(calls, (call) => Effect.map(Effect.flip(call), (error) => error._tag))
      assert.deepStrictEqual(tags, ["InvalidRequestId", "InvalidScores", "InvalidRequestId"])
      const test = yield* HeliconeScores.HeliconeScoresTest
      assert.deepStrictEqual(yield* test.submissions, [])
    }).pipe(Effect.provide(HeliconeScores.layerTest)))

  it.effect("can be told to fail, and to succeed again", () =>
    Effect.gen(function*() {
      const test = yield* HeliconeScores.HeliconeScoresTest
      const id = RequestId.make()
      yield* test.failWith(new HeliconeError.RateLimited({}))
      const error = yield* Effect.flip(HeliconeScores.submitScore(id, { a: 1 }))
      assert.strictEqual(error._tag, "RateLimited")
      assert.deepStrictEqual(yield* test.submissions, [])
      yield* test.failWith(undefined)
      yield* HeliconeScores.submitScore(id, { a: 1 })
      assert.deepStrictEqual(yield* test.submissions, [{ requestId: id, scores: { a: 1 } }])
    }).pipe(Effect.provide(HeliconeScores.layerTest)))
})
