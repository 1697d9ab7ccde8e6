import { NodeHttpClient } from "@effect/platform-node"
import { assert, expect, layer } from "@effect/vitest"
import { HeliconeScores, Scores } from "@helicone-effect/core"
import { Effect, Either, Layer, Redacted } from "effect"
import { jsonScores } from "./fixtures/Arbitraries.js"
import { apiKey, requestId } from "./fixtures/Harness.js"
import * as ScriptedServer from "./fixtures/ScriptedServer.js"

const Live = Layer.unwrapEffect(
  Effect.map(
    ScriptedServer.ScriptedServer,
    (server) => HeliconeScores.layer({ apiKey: Redacted.make(apiKey), baseUrl: server.baseUrl })
  )
).pipe(
  Layer.provide(NodeHttpClient.layerUndici),
  Layer.provideMerge(ScriptedServer.layer([ScriptedServer.helicone.accepted]))
)

layer(Live)("HeliconeScores with arbitrary JSON as scores, over HTTP", (it) => {
  it.effect.prop(
    "never a defect: invalid input is InvalidScores with nothing sent, valid input goes on the wire unchanged",
    [jsonScores],
    ([scores]) =>
      Effect.gen(function*() {
        const server = yield* ScriptedServer.ScriptedServer
        const before = (yield* server.requests).length
        const exit = yield* Effect.exit(HeliconeScores.submitScore(requestId, scores as never))
        const requests = yield* server.requests
        if (exit._tag === "Success") {
          assert.isTrue(Either.isRight(Scores.validate(scores)))
          assert.strictEqual(requests.length, before + 1)
          assert.strictEqual(requests[before].body, JSON.stringify({ scores }))
        } else {
          assert.strictEqual(exit.cause._tag, "Fail")
          if (exit.cause._tag === "Fail") {
            assert.strictEqual(exit.cause.error._tag, "InvalidScores")
            if (exit.cause.error._tag === "InvalidScores") expect(exit.cause.error.issues.length).toBeGreaterThan(0)
          }
          assert.strictEqual(requests.length, before)
        }
      }),
    { fastCheck: { numRuns: 200 } }
  )
})
