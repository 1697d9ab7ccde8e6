import { FetchHttpClient, HttpClient } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { HeliconeError, HeliconeScores } from "@helicone-effect/core"
import { Context, Effect, Layer, Redacted } from "effect"
import { apiKey, assertError, requestId } from "./fixtures/Harness.js"
import * as ScriptedServer from "./fixtures/ScriptedServer.js"

const clients = [
  ["FetchHttpClient", FetchHttpClient.layer],
  ["NodeHttpClient.layerUndici", NodeHttpClient.layerUndici]
] as const

/** A client that follows redirects itself, as a user may build one. */
const following = Layer.effect(HttpClient.HttpClient, Effect.map(HttpClient.HttpClient, HttpClient.followRedirects()))
  .pipe(Layer.provide(NodeHttpClient.layerUndici))

const statuses = [301, 302, 307, 308] as const

/**
 * Helicone's base URL on `origin`, which answers every request with `status` and a Location: a path on itself, or the
 * same path on a second loopback server, `target`, that would accept anything.
 */
const redirecting = (
  client: Layer.Layer<HttpClient.HttpClient>,
  status: number,
  where: "same-origin" | "cross-origin"
) =>
  Effect.gen(function*() {
    const target = yield* ScriptedServer.make([ScriptedServer.helicone.accepted])
    const path = `/moved/v1/request/${requestId}/score`
    const location = where === "same-origin" ? path : `${target.baseUrl}${path}`
    const origin = yield* ScriptedServer.make([ScriptedServer.respond(status, "", { location })])
    const context = yield* Layer.build(
      HeliconeScores.layer({
        apiKey: Redacted.make(apiKey),
        baseUrl: origin.baseUrl,
        // a retry would come within a millisecond: the request counts below would see it
        retry: { maxAttempts: 3, baseDelay: "1 millis" },
        timeout: "10 seconds"
      }).pipe(Layer.provide(client))
    )
    return { origin, target, location, service: Context.get(context, HeliconeScores.HeliconeScores) }
  })

describe("a score submission never follows a redirect", () => {
  for (const [label, client] of clients) {
    for (const where of ["same-origin", "cross-origin"] as const) {
      it.live.each(statuses)(`${label}, ${where}: %s is Redirected with its Location, sent once, nothing elsewhere`, (
        status
      ) =>
        Effect.gen(function*() {
          const { location, origin, service, target } = yield* redirecting(client, status, where)
          const error = yield* Effect.flip(service.submitScore(requestId, { accuracy: 92 }))
          assertError(error, new HeliconeError.Redirected({ status, location, followed: false }))
          assert.isFalse(HeliconeError.isRetriable(error))
          assert.isFalse(HeliconeError.isRejection(error))
          const sent = yield* origin.requests
          assert.deepStrictEqual(sent.map((r) => [r.method, r.path]), [["POST", `/v1/request/${requestId}/score`]])
          // nothing reached the redirect's target: neither the POST nor a GET made of it
          assert.deepStrictEqual(yield* target.requests, [])
        }).pipe(Effect.scoped))
    }
  }

  it.live.each(statuses)(
    "an HttpClient that follows redirects itself: the target's 201 after a %s is Redirected, not success",
    (status) =>
      Effect.gen(function*() {
        const { location, origin, service, target } = yield* redirecting(following, status, "cross-origin")
        const error = yield* Effect.flip(service.submitScore(requestId, { accuracy: 92 }))
        assertError(error, new HeliconeError.Redirected({ status: 201, location, followed: true }))
        assert.strictEqual((yield* origin.requests).length, 1)
        // the client went there on its own, once; the submission did not count it, nor retry
        assert.strictEqual((yield* target.requests).length, 1)
      }).pipe(Effect.scoped)
  )

  it.live("a FetchHttpClient.RequestInit set by the program is kept, with redirects still not followed", () =>
    Effect.gen(function*() {
      const { origin, service, target } = yield* redirecting(
        FetchHttpClient.layer.pipe(
          Layer.provideMerge(Layer.succeed(FetchHttpClient.RequestInit, { headers: { "x-from-program": "yes" } }))
        ),
        302,
        "cross-origin"
      )
      const error = yield* Effect.flip(service.submitScore(requestId, { accuracy: 92 }))
      assert.strictEqual(error._tag, "Redirected")
      const [sent] = yield* origin.requests
      assert.strictEqual(sent.headers["x-from-program"], "yes")
      assert.deepStrictEqual(yield* target.requests, [])
    }).pipe(Effect.scoped))
})
