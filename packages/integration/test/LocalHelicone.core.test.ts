import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { assert, describe, it } from "@effect/vitest"
import { HeliconeScores, RequestId, Scores } from "@helicone-effect/core"
import { Faults, LocalHelicone } from "@helicone-effect/local"
import { Effect, Layer, Redacted } from "effect"
import * as Routes from "../../local/src/internal/routes.js"

/** The core client pointed at a running local server. */
const client = (local: LocalHelicone.Service, options: Partial<HeliconeScores.Options> = {}) =>
  HeliconeScores.HeliconeScores.pipe(
    Effect.provide(
      HeliconeScores.layer({ apiKey: Redacted.make("sk-e2e"), baseUrl: local.baseUrl, ...options }).pipe(
        Layer.provide(FetchHttpClient.layer)
      )
    )
  )

describe("the core client against the local server", () => {
  it.live("submits scores and feedback that read back as Helicone stores them", () =>
    Effect.gen(function*() {
      const local = yield* LocalHelicone.make({ acceptUnknownRequests: true, apiKeys: ["sk-e2e"] })
      const helicone = yield* client(local)
      const id = RequestId.make()
      yield* helicone.submitScore(id, { accuracy: 92, grounded: true })
      yield* helicone.submitScore(id, { accuracy: 95 })
      yield* helicone.submitFeedback(id, false)
      assert.deepStrictEqual(yield* local.scores(id), {
        accuracy: 95,
        "grounded-hcone-bool": 1,
        "helicone-score-feedback": 0
      })
    }).pipe(Effect.scoped))

  it.live("a key the server does not know is Unauthorized, and nothing is stored", () =>
    Effect.gen(function*() {
      const local = yield* LocalHelicone.make({ acceptUnknownRequests: true, apiKeys: ["sk-someone-else"] })
      const helicone = yield* client(local)
      const id = RequestId.make()
      const error = yield* Effect.flip(helicone.submitScore(id, { accuracy: 1 }))
      assert.strictEqual(error._tag, "Unauthorized")
      assert.isNull(yield* local.scores(id))
      assert.strictEqual(yield* local.requestCount, 1, "401 is not retried")
    }).pipe(Effect.scoped))

  it.live(
    "retries through injected 429, 503, resets and stalls with nothing lost and nothing extra",
    () =>
      Effect.gen(function*() {
        const spec = { 429: 0.1, 503: 0.15, reset: 0.05, stall: 0.05 } as const
        const seed = 6
        const submissions = 10
        // The requests the server will see: each submission retries until it meets a request with no fault.
        const sequence: Array<Faults.Fault | "ok"> = []
        for (let ok = 0, n = 0; ok < submissions; n++) {
          const fault = Faults.faultAt(spec, seed, n)
          sequence.push(fault ?? "ok")
          if (fault === undefined) ok++
        }
        for (const fault of [429, 503, "reset", "stall"] as const) {
          assert.include(sequence, fault, "the seed exercises it")
        }

        const local = yield* LocalHelicone.make({
          acceptUnknownRequests: true,
          faults: spec,
          seed,
          apiKeys: ["sk-e2e"]
        })
        const helicone = yield* client(local, {
          timeout: "1 second",
          retry: { maxAttempts: 8, baseDelay: "10 millis" }
        })
        const id = RequestId.make()
        for (let i = 0; i < submissions; i++) {
          yield* helicone.submitScore(id, { [`item_${i}`]: i, last: i })
        }

        const expected: Record<string, number> = { last: submissions - 1 }
        for (let i = 0; i < submissions; i++) {
          expected[`item_${i}`] = i
        }
        assert.deepStrictEqual(yield* local.scores(id), expected)
        assert.strictEqual(yield* local.requestCount, sequence.length)
      }).pipe(Effect.scoped),
    60_000
  )
})

describe("rules the server and the client both apply (local cannot import core at run time, so each keeps a copy)", () => {
  it("the request-id pattern is the same", () => {
    assert.strictEqual(Routes.requestIdPattern.source, RequestId.pattern.source)
    assert.strictEqual(Routes.requestIdPattern.flags, RequestId.pattern.flags)
  })

  it("the reserved feedback score name is the same", () => {
    assert.strictEqual(Routes.feedbackScoreName, Scores.reservedName)
  })
})
