import { assert, describe, it, layer } from "@effect/vitest"
import { LocalHelicone } from "@helicone-effect/local"
import { Effect, Logger } from "effect"
import { randomUUID } from "node:crypto"
import { auth, call, partialUpload, postScore } from "./fixtures/Http.js"

const server = LocalHelicone.LocalHelicone

/** `depth` arrays inside one another. */
const nested = (depth: number) => "[".repeat(depth) + "]".repeat(depth)

const truncated = (text: string) => `${text.slice(0, 200)}… (truncated, ${text.length} characters)`

describe("a client without a valid key", () => {
  layer(LocalHelicone.layer({ acceptUnknownRequests: true, apiKeys: ["sk-test"] }))((it) => {
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

describe("a 422 quotes large inputs truncated", () => {
  layer(LocalHelicone.layer({ acceptUnknownRequests: true, apiKeys: ["sk-test"] }))((it) => {
    it.effect("a 5 MB value is quoted as its first 200 characters and its length", () =>
      Effect.gen(function*() {
        const local = yield* server
        const big = "y".repeat(5 * 1024 * 1024)
        const reply = yield* postScore(local.baseUrl, randomUUID(), { scores: { bad: big } })
        assert.strictEqual(reply.status, 422)
        assert.isBelow(reply.body.length, 2048)
        const entry = JSON.parse(reply.body).details["requestBody.scores.bad"]
        assert.strictEqual(entry.value, truncated(big))
        assert.strictEqual(
          entry.message,
          "Could not match the union against any of the items. Issues: " +
            `[{"requestBody.scores.bad":{"message":"invalid float number","value":"${truncated(big)}"}},` +
            `{"requestBody.scores.bad":{"message":"invalid boolean value","value":"${truncated(big)}"}}]`
        )
      }))

    it.effect("an object value, a body that is not an object, and a long key are truncated too", () =>
      Effect.gen(function*() {
        const local = yield* server
        const list = Array.from({ length: 100_000 }, (_, i) => i)
        const value = yield* postScore(local.baseUrl, randomUUID(), { scores: { list } })
        assert.strictEqual(value.status, 422)
        assert.strictEqual(
          JSON.parse(value.body).details["requestBody.scores.list"].value,
          truncated(JSON.stringify(list))
        )

        const notObject = yield* postScore(local.baseUrl, randomUUID(), list)
        assert.strictEqual(notObject.status, 422)
        assert.deepStrictEqual(JSON.parse(notObject.body).details, {
          requestBody: { message: "invalid object", value: truncated(JSON.stringify(list)) }
        })

        const key = "k".repeat(1024 * 1024)
        const excess = yield* postScore(local.baseUrl, randomUUID(), { scores: { a: 1 }, [key]: 1 })
        assert.strictEqual(excess.status, 422)
        assert.deepStrictEqual(JSON.parse(excess.body).details, {
          [`requestBody.${truncated(key)}`]: {
            message: `"${truncated(key)}" is an excess property and therefore is not allowed`,
            value: truncated(key)
          }
        })
      }))

    it.effect("100,000 bad fields: the first 20 are listed, the rest counted; the answer stays small", () =>
      Effect.gen(function*() {
        const local = yield* server
        const scores = Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`k${i}`, "bad"]))
        const reply = yield* postScore(local.baseUrl, randomUUID(), { scores })
        assert.strictEqual(reply.status, 422)
        assert.isBelow(reply.body.length, 16 * 1024)
        const details = JSON.parse(reply.body).details
        assert.deepStrictEqual(Object.keys(details), [
          ...Array.from({ length: 20 }, (_, i) => `requestBody.scores.k${i}`),
          "…"
        ])
        assert.deepStrictEqual(details["…"], { message: "99980 more invalid fields, not listed" })
      }))

    it.effect("feedback with 100,000 excess properties lists 20 and counts them all", () =>
      Effect.gen(function*() {
        const local = yield* server
        const body = Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`x${i}`, i]))
        const reply = yield* call(local.baseUrl, `/v1/request/${randomUUID()}/feedback`, {
          body: JSON.stringify({ rating: true, ...body }),
          headers: auth()
        })
        assert.strictEqual(reply.status, 422)
        assert.isBelow(reply.body.length, 4096)
        const names = Array.from({ length: 20 }, (_, i) => `x${i}`)
        assert.deepStrictEqual(JSON.parse(reply.body).details, {
          requestBody: {
            message: `"${names.join(",")},…" is an excess property and therefore is not allowed ` +
              "(100000 excess properties)",
            value: Object.fromEntries(names.map((name, i) => [name, i]).reverse())
          }
        })
      }))

    it.effect("the integer 500 names a long key truncated", () =>
      Effect.gen(function*() {
        const local = yield* server
        const key = "n".repeat(1024 * 1024)
        const reply = yield* postScore(local.baseUrl, randomUUID(), { scores: { [key]: 0.5 } })
        assert.strictEqual(reply.status, 500)
        assert.isBelow(reply.body.length, 2048)
        assert.strictEqual(
          JSON.parse(reply.body).details,
          `Score value for key '${truncated(key)}' must be an integer. Received: 0.5`
        )
      }))
  })
})

describe("deeply nested JSON", () => {
  layer(LocalHelicone.layer({ acceptUnknownRequests: true, apiKeys: ["sk-test"] }))((it) => {
    it.effect("100,000 nested arrays get a 400 with a JSON body, on both POST routes, and nothing is stored", () =>
      Effect.gen(function*() {
        const local = yield* server
        const expected = `{"data":null,"error":"Invalid JSON body: arrays and objects nested deeper than 256 levels"}`
        const id = randomUUID()
        for (
          const [route, body] of [
            ["score", nested(100_000)],
            ["score", `{"scores":{"a":1,"b":${nested(100_000)}}}`],
            ["feedback", `{"rating":true,"x":${nested(100_000)}}`]
          ]
        ) {
          const reply = yield* call(local.baseUrl, `/v1/request/${id}/${route}`, { body, headers: auth() })
          assert.strictEqual(reply.status, 400, route)
          assert.strictEqual(reply.headers.get("content-type"), "application/json")
          assert.strictEqual(reply.body, expected)
        }
        assert.isNull(yield* local.scores(id))
      }))

    it.effect("256 levels are still validated (422); brackets inside strings do not count", () =>
      Effect.gen(function*() {
        const local = yield* server
        // the body object and `scores` are two levels
        const deepest = yield* call(local.baseUrl, `/v1/request/${randomUUID()}/score`, {
          body: `{"scores":{"a":${nested(254)}}}`,
          headers: auth()
        })
        assert.strictEqual(deepest.status, 422)
        const tooDeep = yield* call(local.baseUrl, `/v1/request/${randomUUID()}/score`, {
          body: `{"scores":{"a":${nested(255)}}}`,
          headers: auth()
        })
        assert.strictEqual(tooDeep.status, 400)
        const id = randomUUID()
        const inStrings = yield* postScore(local.baseUrl, id, {
          scores: { a: 1 },
          note: `\\"${"[{".repeat(1000)}`
        })
        assert.strictEqual(inStrings.status, 422)
        assert.deepStrictEqual(Object.keys(JSON.parse(inStrings.body).details), ["requestBody.note"])
      }))
  })
})

describe("the log", () => {
  it.effect("a request id with %0A, U+2028 or an escape sequence stays on its line, quoted as a JSON string", () =>
    Effect.gen(function*() {
      const messages: Array<string> = []
      const capture = Logger.make(({ message }) => {
        messages.push(Array.isArray(message) ? message.join(" ") : String(message))
      })
      const local = yield* LocalHelicone.make({ acceptUnknownRequests: true }).pipe(
        Effect.provide(Logger.replace(Logger.defaultLogger, capture))
      )
      const reply = yield* call(local.baseUrl, "/v1/request/abc%0Dlevel=ERROR%0Aforged%E2%80%A8%C2%85%1B[2J/score", {
        body: `{"scores":{"a":1}}`,
        headers: auth()
      })
      assert.strictEqual(reply.status, 201)
      assert.deepStrictEqual(messages, [
        `helicone-local: accepted scores for request id "abc\\rlevel=ERROR\\nforged\\u2028\\u0085\\u001b[2J" ` +
        "but did not store them: Helicone only keeps scores for request ids that are UUID versions 1 to 5"
      ])
    }).pipe(Effect.scoped))
})
