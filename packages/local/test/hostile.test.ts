import { assert, describe, layer } from "@effect/vitest"
import { LocalHelicone } from "@helicone-effect/local"
import { Effect } from "effect"
import { randomUUID } from "node:crypto"
import { partialUpload, postScore } from "./fixtures/Http.js"

const server = LocalHelicone.LocalHelicone

describe("a client without a valid key", () => {
  layer(LocalHelicone.layer({ apiKeys: ["sk-test"] }))((it) => {
    it.effect("is answered 401 before it has sent its body, on both POST routes", () =>
      Effect.gen(function*() {
        const local = yield* server
        const cases = [
          [`/v1/request/${randomUUID()}/score`, { authorization: "Bearer sk-unknown" }, "No API key found"],
          [`/v1/request/${randomUUID()}/feedback`, { authorization: "Bearer sk-unknown" }, "No API key found"],
          [`/v1/request/${randomUUID()}/score`, {}, "No authorization header"]
        ] as const
        for (const [path, headers, error] of cases) {
          // 64 KB of an announced 9.9 MB: an answer proves the server did not wait for the rest.
          const reply = yield* partialUpload(local.port, path, {
            headers: { "content-type": "application/json", ...headers },
            contentLength: Math.floor(9.9 * 1024 * 1024),
            sent: 64 * 1024
          })
          assert.strictEqual(reply.status, 401, path)
          assert.strictEqual(reply.body, `{"error":"${error}","trace":"isAuthenticated.error"}`)
        }
      }))

    it.effect("40 such clients at once are all answered 401 mid-upload", () =>
      Effect.gen(function*() {
        const local = yield* server
        const replies = yield* Effect.forEach(
          Array.from({ length: 40 }, () => randomUUID()),
          (id) =>
            partialUpload(local.port, `/v1/request/${id}/score`, {
              headers: { "content-type": "application/json", authorization: "Bearer sk-unknown" },
              contentLength: Math.floor(9.9 * 1024 * 1024),
              sent: 256 * 1024
            }),
          { concurrency: "unbounded" }
        )
        assert.deepStrictEqual(new Set(replies.map((reply) => reply.status)), new Set([401]))
      }))

    it.effect("a known key still gets 413 for an announced body over 10 MB, and its scores are still stored", () =>
      Effect.gen(function*() {
        const local = yield* server
        const reply = yield* partialUpload(local.port, `/v1/request/${randomUUID()}/score`, {
          headers: { "content-type": "application/json", authorization: "Bearer sk-test" },
          contentLength: 11 * 1024 * 1024,
          sent: 1024
        })
        assert.strictEqual(reply.status, 413)
        assert.strictEqual(reply.body, `{"data":null,"error":"request entity too large"}`)
        const id = randomUUID()
        assert.strictEqual((yield* postScore(local.baseUrl, id, { scores: { a: 1 } })).status, 201)
        assert.deepStrictEqual(yield* local.scores(id), { a: 1 })
      }))
  })
})
