import { assert, describe, it, layer } from "@effect/vitest"
import { LocalHelicone } from "@helicone-effect/local"
import { Effect, Logger } from "effect"
import { randomUUID } from "node:crypto"
import { auth, call, postScore } from "./fixtures/Http.js"

const server = LocalHelicone.LocalHelicone

describe("POST /v1/request/:requestId/score", () => {
  layer(LocalHelicone.layer({ acceptUnknownRequests: true, apiKeys: ["sk-test", "sk-other"] }))((it) => {
    it.effect("accepts integers and booleans with 201 and Helicone's body, and stores them as Helicone does", () =>
      Effect.gen(function*() {
        const local = yield* server
        const id = randomUUID()
        const reply = yield* postScore(local.baseUrl, id, {
          scores: { accuracy: 87, cached: true, wrong: false, "": 4 }
        })
        assert.strictEqual(reply.status, 201)
        assert.strictEqual(reply.body, `{"data":null,"error":null}`)
        assert.deepStrictEqual(yield* local.scores(id), { accuracy: 87, "cached-hcone-bool": 1, "wrong-hcone-bool": 0 })
      }))

    it.effect("upserts per key: last write wins, other keys are kept", () =>
      Effect.gen(function*() {
        const local = yield* server
        const id = randomUUID()
        yield* postScore(local.baseUrl, id, { scores: { a: 1, b: 2 } })
        yield* postScore(local.baseUrl, id, { scores: { b: 3, c: -4 } })
        assert.deepStrictEqual(yield* local.scores(id), { a: 1, b: 3, c: -4 })
      }))

    it.effect("treats the request id case-insensitively, as the UUID it is", () =>
      Effect.gen(function*() {
        const local = yield* server
        const id = randomUUID()
        yield* postScore(local.baseUrl, id.toUpperCase(), { scores: { a: 1 } })
        assert.deepStrictEqual(yield* local.scores(id), { a: 1 })
      }))

    it.effect("answers 201 for an id that is not a UUID v1-5, and stores nothing, like the real server", () =>
      Effect.gen(function*() {
        const local = yield* server
        const v7 = "01890a5d-ac96-774b-bcce-b302099a8057"
        for (const id of ["not-a-uuid", v7]) {
          const reply = yield* postScore(local.baseUrl, id, { scores: { a: 1 } })
          assert.strictEqual(reply.status, 201)
          assert.strictEqual(reply.body, `{"data":null,"error":null}`)
          assert.isNull(yield* local.scores(id))
        }
      }))

    it.effect("401 without an Authorization header", () =>
      Effect.gen(function*() {
        const local = yield* server
        const reply = yield* call(local.baseUrl, `/v1/request/${randomUUID()}/score`, {
          body: `{"scores":{"a":1}}`,
          headers: { "content-type": "application/json" }
        })
        assert.strictEqual(reply.status, 401)
        assert.strictEqual(reply.body, `{"error":"No authorization header","trace":"isAuthenticated.error"}`)
      }))

    it.effect("401 with an unknown key; the Bearer prefix is optional for a known one", () =>
      Effect.gen(function*() {
        const local = yield* server
        const id = randomUUID()
        const unknown = yield* postScore(local.baseUrl, id, { scores: { a: 1 } }, "sk-unknown")
        assert.strictEqual(unknown.status, 401)
        assert.strictEqual(unknown.body, `{"error":"No API key found","trace":"isAuthenticated.error"}`)
        assert.isNull(yield* local.scores(id))
        const bare = yield* call(local.baseUrl, `/v1/request/${id}/score`, {
          body: `{"scores":{"a":1}}`,
          headers: { "content-type": "application/json", authorization: "sk-other" }
        })
        assert.strictEqual(bare.status, 201)
        assert.deepStrictEqual(yield* local.scores(id), { a: 1 })
      }))

    it.effect("422 when scores is missing (also when the body is not sent as JSON)", () =>
      Effect.gen(function*() {
        const local = yield* server
        const expected =
          `{"message":"Validation Failed","details":{"requestBody.scores":{"message":"'scores' is required"}}}`
        const missing = yield* postScore(local.baseUrl, randomUUID(), {})
        assert.strictEqual(missing.status, 422)
        assert.strictEqual(missing.body, expected)
        const notJson = yield* call(local.baseUrl, `/v1/request/${randomUUID()}/score`, {
          body: `{"scores":{"a":1}}`,
          headers: { authorization: "Bearer sk-test", "content-type": "text/plain" }
        })
        assert.strictEqual(notJson.status, 422)
        assert.strictEqual(notJson.body, expected)
      }))

    it.effect("422 for an excess property, and stores nothing", () =>
      Effect.gen(function*() {
        const local = yield* server
        const id = randomUUID()
        const reply = yield* postScore(local.baseUrl, id, { scores: { a: 1 }, foo: 2 })
        assert.strictEqual(reply.status, 422)
        assert.strictEqual(
          reply.body,
          `{"message":"Validation Failed","details":{"requestBody.foo":{"message":"\\"foo\\" is an excess property and therefore is not allowed","value":"foo"}}}`
        )
        assert.isNull(yield* local.scores(id))
      }))

    it.effect("422 for a body that is not an object", () =>
      Effect.gen(function*() {
        const local = yield* server
        const reply = yield* postScore(local.baseUrl, randomUUID(), [1, 2])
        assert.strictEqual(reply.status, 422)
        assert.strictEqual(
          reply.body,
          `{"message":"Validation Failed","details":{"requestBody":{"message":"invalid object","value":[1,2]}}}`
        )
      }))

    it.effect("422 for a value that is neither number nor boolean, one entry per bad key", () =>
      Effect.gen(function*() {
        const local = yield* server
        const id = randomUUID()
        const reply = yield* postScore(local.baseUrl, id, { scores: { good: 1, bad: "high", empty: null } })
        assert.strictEqual(reply.status, 422)
        const body = JSON.parse(reply.body)
        assert.strictEqual(body.message, "Validation Failed")
        assert.deepStrictEqual(Object.keys(body.details), ["requestBody.scores.bad", "requestBody.scores.empty"])
        assert.deepStrictEqual(body.details["requestBody.scores.bad"], {
          message: "Could not match the union against any of the items. Issues: " +
            `[{"requestBody.scores.bad":{"message":"invalid float number","value":"high"}},` +
            `{"requestBody.scores.bad":{"message":"invalid boolean value","value":"high"}}]`,
          value: "high"
        })
        assert.isNull(yield* local.scores(id))
      }))

    it.effect("500 with the self-hosted details for a number that is not an integer, and stores nothing", () =>
      Effect.gen(function*() {
        const local = yield* server
        const id = randomUUID()
        const reply = yield* postScore(local.baseUrl, id, { scores: { a: 1, score: 0.92 } })
        assert.strictEqual(reply.status, 500)
        const body = JSON.parse(reply.body)
        assert.strictEqual(body.message, "Internal Server Error")
        assert.strictEqual(body.details, "Score value for key 'score' must be an integer. Received: 0.92")
        assert.isString(body.stack)
        assert.isNull(yield* local.scores(id))
      }))

    it.effect("500 naming the key for an integer beyond the safe range, which JSON cannot carry exactly; stores nothing", () =>
      Effect.gen(function*() {
        const local = yield* server
        const received: Record<string, string> = {
          "100000000000000000000": "100000000000000000000", // 1e20: an integer to JavaScript, beyond Int64
          "1152921504606846976": "1152921504606846976", // 2 ** 60: fits Int64, but not a double's 53-bit mantissa
          "9007199254740993": "9007199254740992", // MAX_SAFE_INTEGER + 2 parses to the double below it
          "-9007199254740992": "-9007199254740992"
        }
        for (const [raw, parsed] of Object.entries(received)) {
          const id = randomUUID()
          const reply = yield* call(local.baseUrl, `/v1/request/${id}/score`, {
            body: `{"scores":{"a":1,"big":${raw}}}`,
            headers: auth()
          })
          assert.strictEqual(reply.status, 500, raw)
          const body = JSON.parse(reply.body)
          assert.strictEqual(body.message, "Internal Server Error")
          assert.strictEqual(
            body.details,
            `Score value for key 'big' must be an integer between -9007199254740991 and 9007199254740991 ` +
              `(Helicone stores Int64, and JSON carries integers exactly only in this range). Received: ${parsed}`
          )
          assert.isNull(yield* local.scores(id), raw)
        }
        const edge = randomUUID()
        const reply = yield* call(local.baseUrl, `/v1/request/${edge}/score`, {
          body: `{"scores":{"max":9007199254740991,"min":-9007199254740991}}`,
          headers: auth()
        })
        assert.strictEqual(reply.status, 201)
        assert.deepStrictEqual(yield* local.scores(edge), {
          max: Number.MAX_SAFE_INTEGER,
          min: Number.MIN_SAFE_INTEGER
        })
      }))

    it.effect("413 for a body over 10 MB", () =>
      Effect.gen(function*() {
        const local = yield* server
        const id = randomUUID()
        const big = JSON.stringify({ scores: { a: 1 }, pad: "x".repeat(10 * 1024 * 1024) })
        const reply = yield* call(local.baseUrl, `/v1/request/${id}/score`, { body: big, headers: auth() })
        assert.strictEqual(reply.status, 413)
        assert.isNull(yield* local.scores(id))
      }))
  })
})

describe("POST /v1/request/:requestId/feedback", () => {
  layer(LocalHelicone.layer({ acceptUnknownRequests: true, apiKeys: ["sk-test"] }))((it) => {
    it.effect("stores the rating as helicone-score-feedback 1/0 next to the scores", () =>
      Effect.gen(function*() {
        const local = yield* server
        const id = randomUUID()
        yield* postScore(local.baseUrl, id, { scores: { a: 1 } })
        const path = `/v1/request/${id}/feedback`
        const up = yield* call(local.baseUrl, path, { body: `{"rating":true}`, headers: auth() })
        assert.strictEqual(up.status, 201)
        assert.strictEqual(up.body, `{"data":null,"error":null}`)
        assert.deepStrictEqual(yield* local.scores(id), { a: 1, "helicone-score-feedback": 1 })
        yield* call(local.baseUrl, path, { body: `{"rating":false}`, headers: auth() })
        assert.deepStrictEqual(yield* local.scores(id), { a: 1, "helicone-score-feedback": 0 })
      }))

    it.effect("500 Invalid requestId for an id that is not a UUID", () =>
      Effect.gen(function*() {
        const local = yield* server
        const reply = yield* call(local.baseUrl, "/v1/request/abc/feedback", {
          body: `{"rating":true}`,
          headers: auth()
        })
        assert.strictEqual(reply.status, 500)
        assert.strictEqual(reply.body, `{"data":null,"error":"Invalid requestId: must be a valid UUID"}`)
      }))

    it.effect("422 for an excess property, reported on requestBody itself, and stores nothing", () =>
      Effect.gen(function*() {
        const local = yield* server
        const id = randomUUID()
        const reply = yield* call(local.baseUrl, `/v1/request/${id}/feedback`, {
          body: `{"rating":true,"comment":"great","extra":1}`,
          headers: auth()
        })
        assert.strictEqual(reply.status, 422)
        assert.strictEqual(
          reply.body,
          `{"message":"Validation Failed","details":{"requestBody":{"message":"\\"comment,extra\\" is an excess property and therefore is not allowed","value":{"extra":1,"comment":"great"}}}}`
        )
        assert.isNull(yield* local.scores(id))
      }))

    it.effect("422 for a rating that is not a boolean, 401 without a key", () =>
      Effect.gen(function*() {
        const local = yield* server
        const path = `/v1/request/${randomUUID()}/feedback`
        const bad = yield* call(local.baseUrl, path, { body: `{"rating":"yes"}`, headers: auth() })
        assert.strictEqual(bad.status, 422)
        assert.strictEqual(
          bad.body,
          `{"message":"Validation Failed","details":{"requestBody.rating":{"message":"invalid boolean value","value":"yes"}}}`
        )
        const anonymous = yield* call(local.baseUrl, path, { body: `{"rating":true}` })
        assert.strictEqual(anonymous.status, 401)
      }))
  })
})

describe("logs", () => {
  it.effect("a score for an id that is not a UUID v1-5 is accepted with a warning saying it was not stored", () =>
    Effect.gen(function*() {
      const lines: Array<{ level: string; message: string }> = []
      const capture = Logger.make(({ logLevel, message }) => {
        lines.push({ level: logLevel.label, message: Array.isArray(message) ? message.join(" ") : String(message) })
      })
      const local = yield* LocalHelicone.make({ acceptUnknownRequests: true }).pipe(
        Effect.provide(Logger.replace(Logger.defaultLogger, capture))
      )
      const v7 = "01890a5d-ac96-774b-bcce-b302099a8057"
      assert.strictEqual((yield* postScore(local.baseUrl, v7, { scores: { a: 1 } })).status, 201)
      assert.strictEqual((yield* postScore(local.baseUrl, randomUUID(), { scores: { a: 1 } })).status, 201)
      assert.deepStrictEqual(lines, [{
        level: "WARN",
        message: `helicone-local: accepted scores for request id "${v7}" but did not store them: ` +
          "Helicone only keeps scores for request ids that are UUID versions 1 to 5"
      }])
    }).pipe(Effect.scoped))
})

describe("GET routes", () => {
  layer(LocalHelicone.layer({ acceptUnknownRequests: true, apiKeys: ["sk-test"] }))((it) => {
    it.effect("GET /v1/request/:requestId returns the stored scores", () =>
      Effect.gen(function*() {
        const local = yield* server
        const id = randomUUID()
        yield* postScore(local.baseUrl, id, { scores: { b: 2, a: true } })
        const reply = yield* call(local.baseUrl, `/v1/request/${id}`, { headers: auth() })
        assert.strictEqual(reply.status, 200)
        assert.strictEqual(reply.body, `{"data":{"request_id":"${id}","scores":{"a-hcone-bool":1,"b":2}},"error":null}`)
      }))

    it.effect("GET /v1/request/:requestId: scores null for a request scored with nothing, 404 for an unknown one", () =>
      Effect.gen(function*() {
        const local = yield* server
        const id = randomUUID()
        yield* postScore(local.baseUrl, id, { scores: {} })
        const empty = yield* call(local.baseUrl, `/v1/request/${id}`, { headers: auth() })
        assert.strictEqual(empty.body, `{"data":{"request_id":"${id}","scores":null},"error":null}`)
        const unknown = yield* call(local.baseUrl, `/v1/request/${randomUUID()}`, { headers: auth() })
        assert.strictEqual(unknown.status, 404)
        const body = JSON.parse(unknown.body)
        assert.isNull(body.data)
        assert.isString(body.error)
        const anonymous = yield* call(local.baseUrl, `/v1/request/${id}`)
        assert.strictEqual(anonymous.status, 401)
      }))

    it.effect("GET /v1/evals/scores lists the distinct score names", () =>
      Effect.gen(function*() {
        const local = yield* server
        yield* postScore(local.baseUrl, randomUUID(), { scores: { zeta: 1, alpha: 2 } })
        yield* postScore(local.baseUrl, randomUUID(), { scores: { alpha: 3, ok: true } })
        const reply = yield* call(local.baseUrl, "/v1/evals/scores", { headers: auth() })
        assert.strictEqual(reply.status, 200)
        const names: Array<string> = JSON.parse(reply.body).data
        for (const name of ["alpha", "ok-hcone-bool", "zeta"]) assert.include(names, name)
        assert.strictEqual(names.filter((name) => name === "alpha").length, 1)
        const anonymous = yield* call(local.baseUrl, "/v1/evals/scores", { headers: { authorization: "Bearer nope" } })
        assert.strictEqual(anonymous.status, 401)
      }))

    it.effect("an unknown route is a JSON 404", () =>
      Effect.gen(function*() {
        const local = yield* server
        const reply = yield* call(local.baseUrl, "/v1/nothing", { headers: auth() })
        assert.strictEqual(reply.status, 404)
        assert.isNull(JSON.parse(reply.body).data)
      }))
  })
})

describe("without configured API keys", () => {
  layer(LocalHelicone.layer({ acceptUnknownRequests: true }))((it) => {
    it.effect("accepts any non-empty bearer token but still rejects a missing header", () =>
      Effect.gen(function*() {
        const local = yield* server
        const id = randomUUID()
        const reply = yield* postScore(local.baseUrl, id, { scores: { a: 1 } }, "anything-at-all")
        assert.strictEqual(reply.status, 201)
        assert.deepStrictEqual(yield* local.scores(id), { a: 1 })
        const empty = yield* call(local.baseUrl, `/v1/request/${id}/score`, {
          body: `{"scores":{"a":2}}`,
          headers: { "content-type": "application/json", authorization: "Bearer " }
        })
        assert.strictEqual(empty.status, 401)
        const missing = yield* call(local.baseUrl, `/v1/request/${id}/score`, {
          body: `{"scores":{"a":2}}`,
          headers: { "content-type": "application/json" }
        })
        assert.strictEqual(missing.status, 401)
        assert.deepStrictEqual(yield* local.scores(id), { a: 1 })
      }))
  })
})
