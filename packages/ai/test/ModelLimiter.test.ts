/**
 * ModelLimiter against a real loopback server (node:http) that holds each request until the test answers it, so the
 * test sees what reached the wire and when. Waits run on the TestClock: a test forks the requests, looks at the
 * sleeps the limiter registered, and moves the clock; the polls for the server's side use the live clock.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as PlatformHeaders from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { assert, describe, it } from "@effect/vitest"
import { Eval, Scorers } from "@helicone-effect/evaluator"
import { CurrentCase } from "@helicone-effect/evaluator/ModelCalls"
import type * as ModelCalls from "@helicone-effect/evaluator/ModelCalls"
import { Chunk, Effect, Fiber, Schema, TestClock, TestServices } from "effect"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import { CurrentCall } from "../src/internal/call.js"
import * as Headers from "../src/internal/limiter/headers.js"
import * as ModelLimiter from "../src/ModelLimiter.js"

interface Answer {
  readonly status: number
  readonly headers?: Record<string, string>
  readonly body?: unknown
}

interface Pending {
  readonly body: any
  readonly answer: (answer: Answer) => void
}

/** A server that holds every request in `pending` until the test answers it, or answers at once with `auto`. */
const server = (auto?: (body: any, index: number) => Answer) =>
  Effect.acquireRelease(
    Effect.async<{ readonly url: string; readonly pending: Array<Pending>; readonly received: Array<any> }>(
      (resume) => {
        const pending: Array<Pending> = []
        const received: Array<any> = []
        const http = Http.createServer((req, res) => {
          const chunks: Array<Buffer> = []
          req.on("data", (chunk: Buffer) => chunks.push(chunk))
          req.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8")
            const body = text === "" ? undefined : JSON.parse(text)
            received.push(body)
            const answer = (a: Answer) =>
              res.writeHead(a.status, { "content-type": "application/json", ...a.headers })
                .end(JSON.stringify(a.body ?? { ok: a.status < 400 }))
            if (auto !== undefined) answer(auto(body, received.length - 1))
            else pending.push({ body, answer })
          })
        })
        http.listen(0, "127.0.0.1", () => {
          const { port } = http.address() as AddressInfo
          resume(Effect.succeed({ url: `http://127.0.0.1:${port}/v1/chat/completions`, pending, received, http }))
        })
      }
    ),
    (s) => Effect.async<void>((resume) => (s as any).http.close(() => resume(Effect.void)))
  )

/** Polls (on the live clock) until `check` holds, for at most ~10 s. */
const until = (what: string, check: () => boolean) => untilEffect(what, Effect.sync(check))

const untilEffect = (what: string, check: Effect.Effect<boolean>, left = 2000): Effect.Effect<void> =>
  Effect.flatMap(check, (ok) => {
    if (ok) return Effect.void
    if (left === 0) return Effect.dieMessage(`gave up waiting for ${what}`)
    return Effect.zipRight(
      TestServices.provideLive(Effect.sleep("5 millis")),
      Effect.suspend(() => untilEffect(what, check, left - 1))
    )
  })

/** Waits until `n` sleeps are registered on the TestClock, and returns them, in ms from now. */
const sleepsOf = (n: number) =>
  Effect.gen(function*() {
    yield* untilEffect(`${n} sleeps`, Effect.map(TestClock.sleeps(), (sleeps) => sleeps.length >= n))
    const now = yield* TestClock.currentTimeMillis
    return Chunk.toReadonlyArray(yield* TestClock.sleeps()).map((at) => at - now)
  })

const post = (client: HttpClient.HttpClient, url: string, body: unknown = { model: "gpt-4o-mini", input: "hi" }) =>
  HttpClientRequest.post(url).pipe(HttpClientRequest.bodyUnsafeJson(body), client.execute, Effect.map((r) => r.status))

const limited = (options?: ModelLimiter.Options) =>
  Effect.gen(function*() {
    const limiter = yield* ModelLimiter.make(options)
    const client = limiter.limit(yield* HttpClient.HttpClient)
    const status = Effect.map(limiter.status, (all) => all[0])
    return { client, status }
  }).pipe(Effect.provide(FetchHttpClient.layer))

const answerAll = (pending: Array<Pending>, answer: Answer) => {
  for (const p of pending.splice(0)) p.answer(answer)
}

const tooMany = (headers: Record<string, string>): Answer => ({
  status: 429,
  headers,
  body: { error: { message: "Rate limit reached", type: "requests" } }
})

describe("ModelLimiter", () => {
  it.scoped("a burst of 429s halves the window once; successes grow it back by one slot per window", () =>
    Effect.gen(function*() {
      const s = yield* server()
      const { client, status } = yield* limited({ initialConcurrency: 4 })
      const fiber = yield* Effect.forEach(Array.from({ length: 8 }), () => post(client, s.url), {
        concurrency: "unbounded"
      }).pipe(Effect.fork)

      yield* until("4 requests at the server", () => s.pending.length === 4)
      assert.deepInclude(yield* status, {
        concurrency: 4,
        inFlight: 4,
        queued: 4,
        key: `${new URL(s.url).origin}/v1 gpt-4o-mini`
      })

      answerAll(s.pending, tooMany({ "retry-after-ms": "1000" }))
      // The window went to 2: two slots, handed to the first two in line, which wait for the hold on the key.
      assert.deepStrictEqual(yield* sleepsOf(2), [1000, 1000])
      assert.deepInclude(yield* status, { concurrency: 2, inFlight: 2, rateLimited: 4 })
      assert.strictEqual(s.received.length, 4)

      yield* TestClock.adjust(1000)
      yield* until("2 requests after the hold", () => s.pending.length === 2)
      answerAll(s.pending, { status: 200 })
      yield* until("2 more", () => s.pending.length === 2)
      assert.strictEqual((yield* status).concurrency, 2 + 1 / 2 + 1 / 2.5)
      answerAll(s.pending, { status: 200 })
      // 2.9 + 1 / 2.9: three slots.
      yield* until("3 in flight", () => s.pending.length === 3)
      assert.deepInclude(yield* status, { inFlight: 3, queued: 1 })
      answerAll(s.pending, { status: 200 })
      yield* until("the last one", () => s.pending.length === 1)
      answerAll(s.pending, { status: 200 })

      assert.deepStrictEqual(yield* Fiber.join(fiber), Array(8).fill(200))
      assert.strictEqual(s.received.length, 12)
    }))

  it.scoped("Retry-After in seconds: held that long, in the case's waiting, added to the call's waitedMs", () =>
    Effect.gen(function*() {
      const s = yield* server()
      const { client } = yield* limited()
      const waits: Array<string> = []
      const call = { requestId: "r-1", waitedMs: 0 }
      const fiber = yield* post(client, s.url).pipe(
        Effect.provideService(CurrentCall, call),
        Effect.provideService(CurrentCase, testCase(waits)),
        Effect.fork
      )
      yield* until("the request", () => s.pending.length === 1)
      answerAll(s.pending, tooMany({ "retry-after": "3" }))
      assert.deepStrictEqual(yield* sleepsOf(1), [3000])
      yield* TestClock.adjust(2999)
      assert.strictEqual(s.received.length, 1)
      yield* TestClock.adjust(1)
      yield* until("the retry", () => s.pending.length === 1)
      answerAll(s.pending, { status: 200 })
      assert.strictEqual(yield* Fiber.join(fiber), 200)
      assert.strictEqual(call.waitedMs, 3000)
      assert.deepStrictEqual(waits, ["start", "end", "start", "end"])
    }))

  it.scoped("Retry-After as an HTTP date is read against the clock", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(Date.UTC(2026, 11, 3, 12, 0, 0))
      const s = yield* server()
      const { client } = yield* limited()
      const fiber = yield* Effect.fork(post(client, s.url))
      yield* until("the request", () => s.pending.length === 1)
      const now = yield* TestClock.currentTimeMillis
      answerAll(s.pending, tooMany({ "retry-after": new Date(now + 7000).toUTCString() }))
      assert.deepStrictEqual(yield* sleepsOf(1), [7000])
      yield* TestClock.adjust(7000)
      yield* until("the retry", () => s.pending.length === 1)
      answerAll(s.pending, { status: 200 })
      assert.strictEqual(yield* Fiber.join(fiber), 200)
    }))

  it.scoped("retry-after-ms is preferred to Retry-After, as OpenAI sends both", () =>
    Effect.gen(function*() {
      const s = yield* server()
      const { client } = yield* limited()
      const fiber = yield* Effect.fork(post(client, s.url))
      yield* until("the request", () => s.pending.length === 1)
      answerAll(s.pending, tooMany({ "retry-after-ms": "250", "retry-after": "1" }))
      assert.deepStrictEqual(yield* sleepsOf(1), [250])
      yield* TestClock.adjust(250)
      yield* until("the retry", () => s.pending.length === 1)
      answerAll(s.pending, { status: 200 })
      assert.strictEqual(yield* Fiber.join(fiber), 200)
    }))

  it.scoped("garbage rate-limit headers give the default back-off, doubled at each 429", () =>
    Effect.gen(function*() {
      const s = yield* server()
      const { client } = yield* limited({ backoff: "500 millis" })
      const fiber = yield* Effect.fork(post(client, s.url))
      const garbage = [
        { "retry-after": "soon", "retry-after-ms": "-5", "x-ratelimit-remaining-requests": "lots" },
        { "retry-after": "Thu, 99 Foo 20xx", "retry-after-ms": "NaN", "x-ratelimit-reset-requests": "1y" }
      ]
      for (const [i, headers] of garbage.entries()) {
        yield* until("the request", () => s.pending.length === 1)
        answerAll(s.pending, tooMany(headers))
        assert.deepStrictEqual(yield* sleepsOf(1), [500 * 2 ** i])
        yield* TestClock.adjust(500 * 2 ** i)
      }
      yield* until("the last retry", () => s.pending.length === 1)
      answerAll(s.pending, { status: 200 })
      assert.strictEqual(yield* Fiber.join(fiber), 200)
    }))

  it.prop("no header value makes the reading throw or ask for a negative or infinite wait", [
    Schema.String,
    Schema.String,
    Schema.String
  ], ([a, b, c]) => {
    const headers = PlatformHeaders.fromInput({
      "retry-after": a,
      "retry-after-ms": b,
      "x-ratelimit-remaining-requests": c,
      "x-ratelimit-limit-requests": b,
      "x-ratelimit-reset-requests": a
    })
    const signal = Headers.read(headers, Date.UTC(2026, 0, 1), 3, 100)
    for (const ms of [signal.retryAfterMs, signal.resetMs]) {
      if (ms !== undefined) assert.isTrue(Number.isFinite(ms) && ms >= 0, String(ms))
    }
  })

  it("reads OpenAI's and Anthropic's remaining requests and tokens, and their time to be back", () => {
    const now = Date.UTC(2026, 11, 3, 12)
    const read = (headers: Record<string, string>, inFlight: number, tokens: number) =>
      Headers.read(PlatformHeaders.fromInput(headers), now, inFlight, tokens)
    const openAi = {
      "x-ratelimit-limit-requests": "500",
      "x-ratelimit-remaining-requests": "0",
      "x-ratelimit-reset-requests": "1m0s"
    }
    // 500 a minute: one request is back after 120 ms, two after 240 ms.
    assert.deepStrictEqual(read(openAi, 0, 0), { retryAfterMs: undefined, exhausted: true, resetMs: 120 })
    assert.strictEqual(read(openAi, 1, 0).resetMs, 240)
    assert.isFalse(read({ ...openAi, "x-ratelimit-remaining-requests": "10" }, 3, 0).exhausted)
    const tokens = {
      "x-ratelimit-limit-tokens": "10000",
      "x-ratelimit-remaining-tokens": "100",
      "x-ratelimit-reset-tokens": "1h2m3.5s"
    }
    assert.isFalse(read(tokens, 0, 100).exhausted)
    assert.strictEqual(read(tokens, 0, 199).resetMs, (99 * 3_723_500) / 9900)
    const anthropic = {
      "anthropic-ratelimit-requests-limit": "50",
      "anthropic-ratelimit-requests-remaining": "0",
      "anthropic-ratelimit-requests-reset": new Date(now + 60_000).toISOString()
    }
    assert.deepStrictEqual(read(anthropic, 0, 0), { retryAfterMs: undefined, exhausted: true, resetMs: 1200 })
    for (const [text, ms] of [["6m0s", 360_000], ["20ms", 20], ["17.28s", 17_280], ["2", 2000]] as const) {
      assert.strictEqual(Headers.parseResetDuration(text), ms, text)
    }
    for (const text of ["", "m", "1y", "-1s", "1s2h"]) assert.isUndefined(Headers.parseResetDuration(text), text)
  })

  it.scoped("past the maximum wait the request fails with RateLimitWaitExceeded, and a wait asked past it fails at once", () =>
    Effect.gen(function*() {
      const s = yield* server()
      const { client } = yield* limited({ maxWait: "5 seconds" })
      const call = { requestId: "r-1", waitedMs: 0 }
      const fiber = yield* Effect.fork(Effect.flip(post(client, s.url).pipe(Effect.provideService(CurrentCall, call))))
      for (let i = 0; i < 2; i++) {
        yield* until("the request", () => s.pending.length === 1)
        answerAll(s.pending, tooMany({ "retry-after": "2" }))
        assert.deepStrictEqual(yield* sleepsOf(1), [2000])
        yield* TestClock.adjust(2000)
      }
      yield* until("the third request", () => s.pending.length === 1)
      answerAll(s.pending, tooMany({ "retry-after": "2" }))
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error._tag, "RequestError")
      const exceeded = ModelLimiter.findWaitExceeded(error)!
      assert.instanceOf(exceeded, ModelLimiter.RateLimitWaitExceeded)
      assert.deepInclude(exceeded, { waitedMs: 4000, askedMs: 2000, maxWaitMs: 5000 })
      assert.include(exceeded.key, "gpt-4o-mini")
      assert.include(exceeded.message, "maximum wait of 5000 ms")
      assert.strictEqual(call.waitedMs, 4000)

      // An hour asked: no sleeping an hour to fail then.
      const other = yield* Effect.fork(Effect.flip(post(client, s.url, { model: "gpt-4o" })))
      yield* until("the request", () => s.pending.length === 1)
      answerAll(s.pending, tooMany({ "retry-after": "3600" }))
      assert.deepInclude(ModelLimiter.findWaitExceeded(yield* Fiber.join(other)), { waitedMs: 0, askedMs: 3_600_000 })
      assert.strictEqual(s.received.length, 4)
    }))

  it.scoped("remaining requests near zero lower the window and hold the key until one is back", () =>
    Effect.gen(function*() {
      const s = yield* server()
      const { client, status } = yield* limited({ initialConcurrency: 2 })
      const fiber = yield* Effect.forEach(Array.from({ length: 3 }), () => post(client, s.url), {
        concurrency: "unbounded"
      }).pipe(Effect.fork)
      yield* until("2 requests", () => s.pending.length === 2)
      // 1 left of 100, refilled in 6 s: with one other request in flight, the next must wait for one more (60 ms).
      s.pending.shift()!.answer({
        status: 200,
        headers: {
          "x-ratelimit-limit-requests": "100",
          "x-ratelimit-remaining-requests": "1",
          "x-ratelimit-reset-requests": "5.94s"
        }
      })
      yield* untilEffect("the window halved", Effect.map(status, (w) => w.concurrency === 1))
      // The other answer grows it back to 2, and the third request is sent once the 60 ms have passed.
      answerAll(s.pending, { status: 200 })
      assert.deepStrictEqual(yield* sleepsOf(1), [60])
      assert.strictEqual(s.received.length, 2)
      yield* TestClock.adjust(60)
      yield* until("the third", () => s.pending.length === 1)
      answerAll(s.pending, { status: 200 })
      assert.deepStrictEqual(yield* Fiber.join(fiber), [200, 200, 200])
    }))

  it.scoped("a request interrupted in line, or while held, gives its slot back (as a case's timeout interrupts it)", () =>
    Effect.gen(function*() {
      const s = yield* server()
      const { client, status } = yield* limited({ initialConcurrency: 1 })
      const first = yield* Effect.fork(post(client, s.url))
      yield* until("the first request", () => s.pending.length === 1)
      const inLine = yield* Effect.fork(post(client, s.url))
      yield* untilEffect("one in line", Effect.map(status, (w) => w.queued === 1))
      yield* Fiber.interrupt(inLine)
      assert.deepInclude(yield* status, { queued: 0, inFlight: 1 })

      answerAll(s.pending, tooMany({ "retry-after-ms": "500" }))
      yield* sleepsOf(1)
      yield* Fiber.interrupt(first)
      assert.deepInclude(yield* status, { queued: 0, inFlight: 0 })

      const next = yield* Effect.fork(post(client, s.url))
      yield* sleepsOf(1)
      yield* TestClock.adjust(500)
      yield* until("the next request", () => s.pending.length === 1)
      answerAll(s.pending, { status: 200 })
      assert.strictEqual(yield* Fiber.join(next), 200)
      assert.strictEqual(s.received.length, 2)
    }))

  it.scoped("budgets: requests a minute, and tokens a minute corrected by the answer's usage", () =>
    Effect.gen(function*() {
      const s = yield* server((_, i) => ({ status: 200, body: { usage: { total_tokens: i === 0 ? 10 : 900 } } }))
      const requests = yield* limited({ maxRequestsPerMinute: 2 })
      yield* post(requests.client, s.url)
      yield* post(requests.client, s.url)
      const third = yield* Effect.fork(post(requests.client, s.url))
      assert.deepStrictEqual(yield* sleepsOf(1), [30_000])
      yield* TestClock.adjust(30_000)
      assert.strictEqual(yield* Fiber.join(third), 200)

      // Each request is estimated at ~620 tokens of 1,000: the first used 10, so the second goes at once; it used
      // 900, so the third waits until the bucket holds its estimate again.
      s.received.length = 0
      const tokens = yield* limited({ maxTokensPerMinute: 1000 })
      const body = { model: "gpt-4o-mini", input: "hi", max_output_tokens: 600 }
      yield* post(tokens.client, s.url, body)
      yield* post(tokens.client, s.url, body)
      const last = yield* Effect.fork(post(tokens.client, s.url, body))
      const [wait] = yield* sleepsOf(1)
      assert.isTrue(wait > 0 && wait < 60_000, String(wait))
      yield* TestClock.adjust(wait)
      assert.strictEqual(yield* Fiber.join(last), 200)
      assert.strictEqual(s.received.length, 3)
    }))

  it.scopedLive("a 429 storm against a token-bucket server fails no case of an Eval.run", () =>
    Effect.gen(function*() {
      // 100 requests a second, a burst of 5: 64 cases at once overrun it at every turn.
      let tokens = 5
      let last = Date.now()
      let tooMany = 0
      const s = yield* server(() => {
        const now = Date.now()
        tokens = Math.min(5, tokens + (now - last) / 10)
        last = now
        if (tokens < 1) {
          tooMany++
          return tooManyAnswer(Math.ceil((1 - tokens) * 10))
        }
        tokens -= 1
        return { status: 200, body: { output: "ok" } }
      })
      const { client, status } = yield* limited()
      const suite = Eval.make({
        name: "storm",
        data: Array.from({ length: 150 }, (_, i) => ({ input: i, expected: "200" })),
        task: () => Effect.map(post(client, s.url), String),
        scorers: [Scorers.exactMatch],
        concurrency: 64
      })
      const report = yield* Eval.run(suite)
      assert.deepStrictEqual(report.cases.flatMap((c) => c.errors), [])
      assert.strictEqual(report.scorers[0].mean, 1)
      assert.isAbove(tooMany, 0)
      assert.strictEqual(s.received.length, 150 + tooMany)
      assert.strictEqual((yield* status).rateLimited, tooMany)
    }))
})

const tooManyAnswer = (ms: number): Answer => tooMany({ "retry-after-ms": String(ms), "retry-after": "1" })

/** A case whose `waiting` notes when a wait starts and ends. */
const testCase = (waits: Array<string>): ModelCalls.Case => ({
  suite: "s",
  runId: "run",
  index: 0,
  trial: 0,
  key: "k",
  name: undefined,
  requestId: "r-1",
  role: "task",
  scorer: undefined,
  cache: "off",
  nextRequestId: () => "r-2",
  record: () => {},
  waiting: (wait) =>
    Effect.sync(() => waits.push("start")).pipe(
      Effect.zipRight(wait),
      Effect.ensuring(Effect.sync(() => waits.push("end")))
    )
})
