import { assert, describe, expect, it } from "@effect/vitest"
import { HeliconeError } from "@helicone-effect/core"
import { Duration, Effect, Fiber, TestClock } from "effect"
import { apiKey, assertError, nextWakeUp, requestId, setup, wakeUpNext } from "./fixtures/Harness.js"
import { helicone, json, reset, respond, stall } from "./fixtures/ScriptedServer.js"

const scores = { accuracy: 92, hallucinated: false }
// While a test waits for a backoff sleep, each attempt's own timeout sleep is also pending on the TestClock; a
// timeout far away keeps the two apart.
const slowTimeout = { timeout: "1 hour" } as const

describe("HeliconeScores over HTTP", () => {
  describe("success", () => {
    it.scoped("sends exactly the documented request and accepts Helicone's 201", () =>
      Effect.gen(function*() {
        const { server, service } = yield* setup([helicone.accepted])
        yield* service.submitScore(requestId, scores)
        const requests = yield* server.requests
        assert.strictEqual(requests.length, 1)
        const [request] = requests
        assert.strictEqual(request.method, "POST")
        assert.strictEqual(request.path, `/v1/request/${requestId}/score`)
        assert.strictEqual(request.headers.authorization, `Bearer ${apiKey}`)
        assert.strictEqual(request.headers["content-type"], "application/json")
        assert.strictEqual(request.headers.accept, "application/json")
        assert.strictEqual(request.body, `{"scores":{"accuracy":92,"hallucinated":false}}`)
      }))

    it.scoped("accepts the 200 of the OpenAPI spec", () =>
      Effect.gen(function*() {
        const { server, service } = yield* setup([helicone.acceptedPerSpec])
        yield* service.submitScore(requestId, scores)
        assert.strictEqual((yield* server.requests).length, 1)
      }))

    it.scoped("accepts an upper-case request id and keeps it as given in the path", () =>
      Effect.gen(function*() {
        const { server, service } = yield* setup([helicone.accepted])
        yield* service.submitScore(requestId.toUpperCase(), { accuracy: 1 })
        assert.strictEqual((yield* server.requests)[0].path, `/v1/request/${requestId.toUpperCase()}/score`)
      }))

    it.scoped("a 2xx is success whatever its body: truncated JSON in a 201", () =>
      Effect.gen(function*() {
        const { server, service } = yield* setup([respond(201, `{"data":nu`, { "content-type": "application/json" })])
        yield* service.submitScore(requestId, scores)
        assert.strictEqual((yield* server.requests).length, 1)
      }))

    it.scoped("a 2xx is success even when the connection drops in the middle of its body", () =>
      Effect.gen(function*() {
        const { server, service } = yield* setup([
          { _tag: "CutBody", status: 201, body: `{"data":null,"er`, declaredLength: 200 }
        ])
        yield* service.submitScore(requestId, scores)
        assert.strictEqual((yield* server.requests).length, 1)
      }))

    it.scoped("submitFeedback posts the rating to the feedback endpoint", () =>
      Effect.gen(function*() {
        const { server, service } = yield* setup([helicone.accepted])
        yield* service.submitFeedback(requestId, false)
        const [request] = yield* server.requests
        assert.strictEqual(request.method, "POST")
        assert.strictEqual(request.path, `/v1/request/${requestId}/feedback`)
        assert.strictEqual(request.headers.authorization, `Bearer ${apiKey}`)
        assert.strictEqual(request.headers["content-type"], "application/json")
        assert.strictEqual(request.body, `{"rating":false}`)
      }))
  })

  describe("errors that are not retried", () => {
    it.scoped.each(
      [
        ["no Authorization header", helicone.noAuthorizationHeader, "No authorization header"],
        ["an unknown key", helicone.unknownKey, "No API key found"],
        ["a key without write permission", helicone.keyWithoutWrite, undefined]
      ] as const
    )("401 for %s is Unauthorized, sent once", ([, reply, serverMessage]) =>
      Effect.gen(function*() {
        const { server, service } = yield* setup([reply, helicone.accepted])
        const error = yield* Effect.flip(service.submitScore(requestId, scores))
        assert.strictEqual(error._tag, "Unauthorized")
        assertError(error, new HeliconeError.Unauthorized({ status: 401, ...(serverMessage ? { serverMessage } : {}) }))
        expect(error.message).toContain("HELICONE_API_KEY")
        assert.strictEqual((yield* server.requests).length, 1)
      }))

    it.scoped("403 is Unauthorized with its status, sent once", () =>
      Effect.gen(function*() {
        const { server, service } = yield* setup([json(403, { trace: "isAuthenticated.error" }), helicone.accepted])
        const error = yield* Effect.flip(service.submitScore(requestId, scores))
        assertError(error, new HeliconeError.Unauthorized({ status: 403 }))
        expect(error.message).toContain("(403)")
        assert.isFalse(HeliconeError.isRetriable(error))
        assert.strictEqual((yield* server.requests).length, 1)
      }))

    it.scoped("400 plain text is RequestRejected with the text, sent once", () =>
      Effect.gen(function*() {
        const { server, service } = yield* setup([helicone.invalidToken, helicone.accepted])
        const error = yield* Effect.flip(service.submitScore(requestId, scores))
        assertError(error, new HeliconeError.RequestRejected({ status: 400, details: "Invalid token." }))
        expect(error.message).toContain("Invalid token.")
        assert.strictEqual((yield* server.requests).length, 1)
      }))

    it.scoped("422 is RequestRejected with the server's details, sent once", () =>
      Effect.gen(function*() {
        const { server, service } = yield* setup([helicone.scoresRequired, helicone.accepted])
        const error = yield* Effect.flip(service.submitScore(requestId, scores))
        assertError(
          error,
          new HeliconeError.RequestRejected({
            status: 422,
            details: { "requestBody.scores": { message: "'scores' is required" } }
          })
        )
        expect(error.message).toContain("requestBody.scores: 'scores' is required")
        assert.strictEqual((yield* server.requests).length, 1)
      }))

    it.scoped("the integer-rejection 500 is HeliconeServerError with the server's text, sent once", () =>
      Effect.gen(function*() {
        const { server, service } = yield* setup([helicone.integerRejection, helicone.accepted])
        const error = yield* Effect.flip(service.submitScore(requestId, scores))
        assertError(
          error,
          new HeliconeError.HeliconeServerError({
            status: 500,
            serverMessage: "Score value for key 'accuracy' must be an integer. Received: 0.92"
          })
        )
        expect(error.message).toContain("must be an integer")
        assert.isFalse(HeliconeError.isRetriable(error))
        assert.strictEqual((yield* server.requests).length, 1)
      }))

    it.scoped("a Retry-After beyond maxRetryAfter is not waited: RateLimited at once, with the delay", () =>
      Effect.gen(function*() {
        const { server, service } = yield* setup([helicone.rateLimited(300), helicone.accepted])
        const error = yield* Effect.flip(service.submitScore(requestId, scores))
        assertError(error, new HeliconeError.RateLimited({ retryAfter: Duration.seconds(300) }))
        expect(error.message).toContain("5m")
        assert.strictEqual((yield* server.requests).length, 1)
      }))

    it.scoped("a status Helicone never sends (404 from a wrong base URL) is UnexpectedResponse", () =>
      Effect.gen(function*() {
        const { server, service } = yield* setup([respond(404, "Cannot POST /v1/request")])
        const error = yield* Effect.flip(service.submitScore(requestId, scores))
        assertError(error, new HeliconeError.UnexpectedResponse({ status: 404, body: "Cannot POST /v1/request" }))
        assert.strictEqual((yield* server.requests).length, 1)
      }))
  })

  describe("retries", () => {
    it.scoped("429 is retried after exactly its Retry-After, driven by the TestClock", () =>
      Effect.gen(function*() {
        const { server, service } = yield* setup([helicone.rateLimited(30), helicone.accepted], slowTimeout)
        const fiber = yield* Effect.fork(service.submitScore(requestId, scores))
        yield* server.nextRequest
        // the backoff (500 ms ± 20%) is shorter, so the wait is the server's 30 s
        const wait = yield* nextWakeUp("5 minutes")
        assert.strictEqual(Duration.toMillis(wait), 30_000)
        yield* TestClock.adjust("29999 millis")
        assert.strictEqual((yield* server.requests).length, 1)
        yield* TestClock.adjust("1 millis")
        const second = yield* server.nextRequest
        yield* Fiber.join(fiber)
        const [first] = yield* server.requests
        assert.strictEqual(second.body, first.body)
        assert.strictEqual((yield* server.requests).length, 2)
      }))

    it.scoped("a Retry-After exactly maxRetryAfter is waited for, then the call is retried", () =>
      Effect.gen(function*() {
        const { server, service } = yield* setup([helicone.rateLimited(30), helicone.accepted], {
          ...slowTimeout,
          retry: { maxRetryAfter: "30 seconds" }
        })
        const fiber = yield* Effect.fork(service.submitScore(requestId, scores))
        yield* server.nextRequest
        const wait = yield* nextWakeUp("5 minutes")
        assert.strictEqual(Duration.toMillis(wait), 30_000)
        yield* TestClock.adjust(wait)
        yield* Fiber.join(fiber)
        assert.strictEqual((yield* server.requests).length, 2)
      }))

    it.scoped("a 429 without Retry-After is retried with the exponential backoff, then is RateLimited", () =>
      Effect.gen(function*() {
        const tooMany = json(429, { error: "Too many requests, please try again later." })
        const { server, service } = yield* setup([tooMany], { ...slowTimeout, retry: { maxAttempts: 3 } })
        const fiber = yield* Effect.fork(service.submitScore(requestId, scores))
        // 500 ms, then 1 s, each with ±20% jitter
        for (const [low, high] of [[400, 600], [800, 1200]]) {
          const wait = yield* nextWakeUp("1 minute")
          expect(Duration.toMillis(wait)).toBeGreaterThanOrEqual(low)
          expect(Duration.toMillis(wait)).toBeLessThanOrEqual(high)
          yield* TestClock.adjust(wait)
        }
        const error = yield* Effect.flip(Fiber.join(fiber))
        assertError(error, new HeliconeError.RateLimited({}))
        assert.strictEqual((yield* server.requests).length, 3)
      }))

    it.scoped("production's integer rejection (details \"Internal Server Error\") cannot be told apart: retried", () =>
      Effect.gen(function*() {
        // what the cloud answers a float with, per the API page: the same body as any other internal error
        const production = json(500, { message: "Internal Server Error", details: "Internal Server Error" })
        const { server, service } = yield* setup([production], slowTimeout)
        const fiber = yield* Effect.fork(service.submitScore(requestId, scores))
        for (let i = 0; i < 4; i++) yield* wakeUpNext("1 minute")
        const error = yield* Effect.flip(Fiber.join(fiber))
        assertError(
          error,
          new HeliconeError.HeliconeServerError({ status: 500, serverMessage: "Internal Server Error" })
        )
        assert.isTrue(HeliconeError.isRetriable(error))
        assert.strictEqual((yield* server.requests).length, 5)
      }))

    it.scoped("a Retry-After given as an HTTP date is measured against the Clock", () =>
      Effect.gen(function*() {
        yield* TestClock.setTime(Date.parse("Wed, 21 Oct 2026 07:28:00 GMT"))
        const { server, service } = yield* setup([
          json(429, { error: "Too many requests, please try again later." }, {
            "retry-after": "Wed, 21 Oct 2026 07:28:20 GMT"
          }),
          helicone.accepted
        ], slowTimeout)
        const fiber = yield* Effect.fork(service.submitScore(requestId, scores))
        yield* server.nextRequest
        const wait = yield* nextWakeUp("5 minutes")
        assert.strictEqual(Duration.toMillis(wait), 20_000)
        yield* TestClock.adjust(wait)
        yield* Fiber.join(fiber)
        assert.strictEqual((yield* server.requests).length, 2)
      }))

    it.scoped.each(
      [
        ["a 504", respond(504, "")],
        ["a 408", respond(408, "")]
      ] as const
    )("%s is retried", ([, reply]) =>
      Effect.gen(function*() {
        const { server, service } = yield* setup([reply, helicone.accepted], slowTimeout)
        const fiber = yield* Effect.fork(service.submitScore(requestId, scores))
        yield* wakeUpNext("5 seconds")
        yield* Fiber.join(fiber)
        assert.strictEqual((yield* server.requests).length, 2)
      }))

    it.scoped("503 then 201 is retried with the same request and succeeds", () =>
      Effect.gen(function*() {
        const { server, service } = yield* setup([helicone.unavailable, helicone.accepted], slowTimeout)
        const fiber = yield* Effect.fork(service.submitScore(requestId, scores))
        yield* server.nextRequest
        const wait = yield* nextWakeUp("5 seconds")
        // the first backoff is 500 ms with ±20% jitter
        expect(Duration.toMillis(wait)).toBeGreaterThanOrEqual(400)
        expect(Duration.toMillis(wait)).toBeLessThanOrEqual(600)
        yield* TestClock.adjust(wait)
        yield* Fiber.join(fiber)
        const [first, second] = yield* server.requests
        assert.deepStrictEqual(
          [second.method, second.path, second.headers.authorization, second.body],
          [first.method, first.path, first.headers.authorization, first.body]
        )
        assert.strictEqual((yield* server.requests).length, 2)
      }))

    it.scoped("a 500 in the ResultError shape is retried until the attempts run out", () =>
      Effect.gen(function*() {
        const { server, service } = yield* setup([helicone.resultError], slowTimeout)
        const fiber = yield* Effect.fork(service.submitScore(requestId, scores))
        for (let i = 0; i < 4; i++) yield* wakeUpNext("1 minute")
        const error = yield* Effect.flip(Fiber.join(fiber))
        assertError(
          error,
          new HeliconeError.HeliconeServerError({ status: 500, serverMessage: "Error inserting scores" })
        )
        assert.strictEqual((yield* server.requests).length, 5)
      }))

    it.scoped("a connection reset is retried and then succeeds", () =>
      Effect.gen(function*() {
        const { server, service } = yield* setup([reset, helicone.accepted], slowTimeout)
        const fiber = yield* Effect.fork(service.submitScore(requestId, scores))
        yield* wakeUpNext("5 seconds")
        yield* Fiber.join(fiber)
        assert.strictEqual((yield* server.requests).length, 2)
      }))

    it.scoped("connection resets until the attempts run out are HeliconeUnavailable", () =>
      Effect.gen(function*() {
        const { server, service } = yield* setup([reset], { ...slowTimeout, retry: { maxAttempts: 3 } })
        const fiber = yield* Effect.fork(service.submitScore(requestId, scores))
        yield* wakeUpNext("5 seconds")
        yield* wakeUpNext("5 seconds")
        const error = yield* Effect.flip(Fiber.join(fiber))
        assert.strictEqual(error._tag, "HeliconeUnavailable")
        assert.isTrue(HeliconeError.isRetriable(error))
        assert.strictEqual((yield* server.requests).length, 3)
      }))

    it.scoped("a stall past the per-attempt timeout is HeliconeUnavailable", () =>
      Effect.gen(function*() {
        const { server, service } = yield* setup([stall], { retry: false })
        const fiber = yield* Effect.fork(service.submitScore(requestId, scores))
        yield* server.nextRequest
        const wait = yield* nextWakeUp("1 minute")
        assert.strictEqual(Duration.toMillis(wait), 10_000)
        yield* TestClock.adjust(wait)
        const error = yield* Effect.flip(Fiber.join(fiber))
        assertError(error, new HeliconeError.HeliconeUnavailable({ reason: "no answer within 10s" }))
        assert.strictEqual((yield* server.requests).length, 1)
      }))

    it.scoped("a stalled attempt is abandoned at the timeout and the retry succeeds", () =>
      Effect.gen(function*() {
        const { server, service } = yield* setup([stall, helicone.accepted], { timeout: "2 seconds" })
        const fiber = yield* Effect.fork(service.submitScore(requestId, scores))
        yield* server.nextRequest
        yield* TestClock.adjust("2 seconds")
        yield* wakeUpNext("1 second")
        yield* Fiber.join(fiber)
        assert.strictEqual((yield* server.requests).length, 2)
      }))

    // Decision: an HTML page is not Helicone's answer, so after the retries the error is UnexpectedResponse with
    // the status and the first 200 characters, not HeliconeServerError (which carries a message Helicone wrote).
    it.scoped("an HTML 502 page is retried, then UnexpectedResponse with the status and the start of the page", () =>
      Effect.gen(function*() {
        const { server, service } = yield* setup([helicone.htmlBadGateway], slowTimeout)
        const fiber = yield* Effect.fork(service.submitScore(requestId, scores))
        for (let i = 0; i < 4; i++) yield* wakeUpNext("1 minute")
        const error = yield* Effect.flip(Fiber.join(fiber))
        assert.strictEqual(error._tag, "UnexpectedResponse")
        if (error._tag !== "UnexpectedResponse") return
        assert.strictEqual(error.status, 502)
        expect(error.body).toContain("<title>502 Bad Gateway</title>")
        expect(error.body.length).toBeLessThanOrEqual(200)
        assert.strictEqual((yield* server.requests).length, 5)
      }))

    it.scoped("truncated JSON in a 500 is UnexpectedResponse, retried like the 500 it is", () =>
      Effect.gen(function*() {
        const { server, service } = yield* setup([
          respond(500, `{"data":null,"error":"Err`, { "content-type": "application/json" }),
          helicone.accepted
        ], slowTimeout)
        const fiber = yield* Effect.fork(service.submitScore(requestId, scores))
        yield* wakeUpNext("5 seconds")
        yield* Fiber.join(fiber)
        assert.strictEqual((yield* server.requests).length, 2)
      }))

    it.scoped("truncated JSON in a 500, once attempts run out, keeps the body it got", () =>
      Effect.gen(function*() {
        const { service } = yield* setup([
          respond(500, `{"data":null,"error":"Err`, { "content-type": "application/json" })
        ], { retry: false })
        const error = yield* Effect.flip(service.submitScore(requestId, scores))
        assertError(error, new HeliconeError.UnexpectedResponse({ status: 500, body: `{"data":null,"error":"Err` }))
      }))

    it.scoped("a JSON 503 without a known shape is UnexpectedResponse", () =>
      Effect.gen(function*() {
        const { service } = yield* setup([json(503, [1, 2, 3])], { retry: false })
        const error = yield* Effect.flip(service.submitScore(requestId, scores))
        assertError(error, new HeliconeError.UnexpectedResponse({ status: 503, body: "[1,2,3]" }))
      }))
  })
})
