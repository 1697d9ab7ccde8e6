import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { assert, layer } from "@effect/vitest"
import { HeliconeScores } from "@helicone-effect/core"
import { LocalHelicone } from "@helicone-effect/local"
import { Effect, Redacted } from "effect"

// This test scores a request id of its own, which no call through the gateway logged: keep its scores anyway.
const server = LocalHelicone.layer({ faults: "503=0.2", seed: 1, acceptUnknownRequests: true })

// Live services, so the client's retry delays run on the real clock.
layer(server, { excludeTestServices: true })((it) => {
  it.effect("survives outages", () =>
    Effect.gen(function*() {
      const local = yield* LocalHelicone.LocalHelicone
      const helicone = yield* HeliconeScores.HeliconeScores.pipe(
        Effect.provide(HeliconeScores.layer({ apiKey: Redacted.make("test"), baseUrl: local.baseUrl })),
        Effect.provide(FetchHttpClient.layer)
      )
      yield* helicone.submitScore("8d0b4a5e-5f7e-4c59-9d36-2bd7c1a4a9a1", { accuracy: 90 })
      assert.deepStrictEqual(yield* local.scores("8d0b4a5e-5f7e-4c59-9d36-2bd7c1a4a9a1"), { accuracy: 90 })
    }))
})
