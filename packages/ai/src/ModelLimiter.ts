/**
 * Adaptive rate limiting of model calls, per provider and model: the limiter lowers its concurrency on a 429, a
 * `Retry-After` / `retry-after-ms` or an `x-ratelimit-remaining-*` near zero, waits the time asked, and grows back
 * after successes. It works on the provider's `HttpClient`, so tasks and judges share one limit.
 *
 * Each key (by default the request URL's origin and first path segment, and the `model` of a JSON body) has its own
 * window, AIMD as TCP's: it starts at `initialConcurrency` requests in flight; each success while requests wait for
 * a slot adds one slot per window of successes, up to `maxConcurrency`; a rate-limit answer halves it, once per
 * window. A 429 is not returned to the caller: every request of the key holds off for the time the provider asked
 * (`retry-after-ms`, else `Retry-After` in seconds or as an HTTP date, else a back-off of `backoff` doubled at each
 * 429 of the request that said nothing usable), then the request is sent again. An answer whose remaining requests
 * (`x-ratelimit-remaining-requests`, or Anthropic's `anthropic-ratelimit-requests-remaining`) do not cover the requests
 * in flight, or whose remaining tokens are under the request's estimate, lowers the window too, and holds the key until
 * the limit's reset (`x-ratelimit-reset-*`, `anthropic-ratelimit-*-reset`) says enough is back.
 *
 * The time a request waits (for a slot, for the provider, for the budgets) runs inside the current case's
 * `CurrentCase.waiting`, so a case's timeout does not count it, and is added to the current call's `waitedMs`.
 *
 * @example
 * ```ts
 * import { OpenAiClient } from "@effect/ai-openai"
 * import { FetchHttpClient, HttpClient } from "@effect/platform"
 * import * as ModelLimiter from "@helicone-effect/ai/ModelLimiter"
 * import { Config, Effect, Layer } from "effect"
 *
 * // One limiter for the whole run, so tasks and judges share it.
 * const LimitedHttpClient = Layer.effect(
 *   HttpClient.HttpClient,
 *   Effect.gen(function*() {
 *     const limiter = yield* ModelLimiter.make({ maxRequestsPerMinute: 500 })
 *     return limiter.limit(yield* HttpClient.HttpClient)
 *   })
 * ).pipe(Layer.provide(FetchHttpClient.layer))
 *
 * const Client = OpenAiClient.layerConfig({ apiKey: Config.redacted("OPENAI_API_KEY") }).pipe(
 *   Layer.provide(LimitedHttpClient)
 * )
 * ```
 *
 * @since 0.1.0
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { CurrentCase } from "@helicone-effect/evaluator/ModelCalls"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { CurrentCall } from "./internal/call.js"
import * as Budget from "./internal/limiter/budget.js"
import * as Headers from "./internal/limiter/headers.js"
import * as Request from "./internal/limiter/request.js"
import * as Window from "./internal/limiter/window.js"

/**
 * A request waited longer than `maxWait` because its provider asked it to (429s, `Retry-After`, remaining near
 * zero), or the provider asked for a wait that would take it past `maxWait`. The limited client fails with an
 * `HttpClientError.RequestError` whose `cause` is this error (the `HttpClient` interface allows no other error);
 * {@link findWaitExceeded} finds it in an error's causes.
 *
 * @since 0.1.0
 * @category errors
 */
export class RateLimitWaitExceeded
  extends Schema.TaggedError<RateLimitWaitExceeded>("@helicone-effect/ai/RateLimitWaitExceeded")(
    "RateLimitWaitExceeded",
    {
      /** The limiter's key: provider and model. */
      key: Schema.String,
      /** Milliseconds the request had waited at the provider's request. */
      waitedMs: Schema.Number,
      /** Milliseconds the provider asked it to wait on top of that. */
      askedMs: Schema.Number,
      maxWaitMs: Schema.Number
    }
  )
{
  /**
   * @since 0.1.0
   */
  override get message(): string {
    return `The rate limit of ${this.key} kept the request waiting: it waited ${Math.round(this.waitedMs)} ms, the ` +
      `provider asked for ${Math.round(this.askedMs)} ms more, past the maximum wait of ${this.maxWaitMs} ms ` +
      `(ModelLimiter's maxWait).`
  }
}

/**
 * The {@link RateLimitWaitExceeded} in `error` or in its chain of `cause`s (as an `AiError` from a provider holds the
 * `HttpClientError` of the limited client), if any.
 *
 * @since 0.1.0
 * @category errors
 */
export const findWaitExceeded = (error: unknown): RateLimitWaitExceeded | undefined => {
  let current = error
  for (let depth = 0; depth < 16 && typeof current === "object" && current !== null; depth++) {
    if (current instanceof RateLimitWaitExceeded) return current
    current = (current as { cause?: unknown }).cause
  }
  return undefined
}

/**
 * How one key's window stands, for progress displays and reports.
 *
 * @since 0.1.0
 * @category models
 */
export interface KeyStatus {
  readonly key: string
  /** The window's limit: requests allowed in flight (its whole part counts). */
  readonly concurrency: number
  readonly inFlight: number
  /** Requests waiting for a slot. */
  readonly queued: number
  /** Rate-limit answers (429) received, each retried. */
  readonly rateLimited: number
}

/**
 * A limiter: `limit` wraps the provider's HTTP client so each request goes through it. Clients wrapped by one limiter
 * share its windows and budgets.
 *
 * @since 0.1.0
 * @category models
 */
export interface ModelLimiter {
  readonly limit: (client: HttpClient.HttpClient) => HttpClient.HttpClient
  /** Every key's window as it stands. */
  readonly status: Effect.Effect<ReadonlyArray<KeyStatus>>
}

/**
 * How the limiter behaves. The budgets are per key (OpenAI's and Anthropic's limits are per model).
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** At most this many requests a minute per key, as a token bucket that starts full. Default: no budget. */
  readonly maxRequestsPerMinute?: number | undefined
  /**
   * At most this many tokens a minute per key. A request reserves its estimate (its body's bytes / 4, plus its
   * `max_tokens` / `max_completion_tokens` / `max_output_tokens`), corrected by the answer's `usage` when it is a
   * JSON body. Default: no budget.
   */
  readonly maxTokensPerMinute?: number | undefined
  /** Requests in flight per key at the start. Default 8. */
  readonly initialConcurrency?: number | undefined
  /** The most requests in flight per key the window grows to. Default 64. */
  readonly maxConcurrency?: number | undefined
  /**
   * The most a request waits because its provider asked it to (after 429s, `Retry-After`, remaining near zero)
   * before it fails with {@link RateLimitWaitExceeded}; a wait asked past it fails at once. Waiting for a slot and
   * for the budgets does not count: those end as other requests finish. Default 60 seconds.
   */
  readonly maxWait?: Duration.DurationInput | undefined
  /** The wait after a 429 without a usable `retry-after-ms` / `Retry-After`, doubled at each such 429. Default 1 s. */
  readonly backoff?: Duration.DurationInput | undefined
  /** The key of a request; `model` is the `model` field of its JSON body. Default: origin, first segment, model. */
  readonly key?: ((request: HttpClientRequest.HttpClientRequest, model: string | undefined) => string) | undefined
}

/** The least a 429 holds a key, so that a provider asking for no wait at all is not hammered. */
const minRetryMs = 10
/** The back-off doubles up to this many times. */
const maxDoublings = 5

interface Entry {
  readonly window: Window.Window
  readonly requests: Budget.Budget | undefined
  readonly tokens: Budget.Budget | undefined
}

/**
 * One attempt of a request: the slot it holds, whether it was sent, and the budget units it reserved and has not
 * used (given back when the attempt ends).
 */
interface Ticket extends Window.Slot {
  sent: boolean
  request: number
  tokens: number
}

const positive = (name: string, value: number | undefined, fallback: number): number => {
  const n = value ?? fallback
  if (!(Number.isFinite(n) && n > 0)) throw new RangeError(`ModelLimiter: ${name} must be a positive number, got ${n}`)
  return n
}

/**
 * Makes a limiter. Options out of range (not positive numbers) are a defect.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options = {}): Effect.Effect<ModelLimiter> =>
  Effect.sync(() => {
    const initial = positive("initialConcurrency", options.initialConcurrency, 8)
    const max = Math.max(initial, positive("maxConcurrency", options.maxConcurrency, 64))
    const bounds: Window.Bounds = { initial, min: 1, max, decrease: 0.5 }
    const rpm = options.maxRequestsPerMinute === undefined
      ? undefined
      : positive("maxRequestsPerMinute", options.maxRequestsPerMinute, 0)
    const tpm = options.maxTokensPerMinute === undefined
      ? undefined
      : positive("maxTokensPerMinute", options.maxTokensPerMinute, 0)
    const maxWaitMs = Duration.toMillis(options.maxWait ?? Duration.seconds(60))
    const backoffMs = positive("backoff", Duration.toMillis(options.backoff ?? Duration.seconds(1)), 1000)
    const keyOf = options.key ?? Request.defaultKey
    const entries = new Map<string, Entry>()

    const entryOf = (key: string, now: number): Entry => {
      let entry = entries.get(key)
      if (entry === undefined) {
        entry = {
          window: Window.make(key, bounds),
          requests: rpm === undefined ? undefined : Budget.make(rpm, now),
          tokens: tpm === undefined ? undefined : Budget.make(tpm, now)
        }
        entries.set(key, entry)
      }
      return entry
    }

    /**
     * Waits for a slot, then for the provider's hold on the key and for the budgets; returns how long the provider
     * held it. Fails when the provider's holds would take the request past `maxWait`.
     */
    const takeTurn = (
      entry: Entry,
      ticket: Ticket,
      estimate: number,
      heldBefore: number
    ): Effect.Effect<number, RateLimitWaitExceeded> =>
      Effect.zipRight(
        Window.acquire(entry.window, ticket),
        Effect.gen(function*() {
          const window = entry.window
          const start = yield* Clock.currentTimeMillis
          let budgetMs = 0
          if (entry.requests !== undefined) {
            ticket.request = 1
            budgetMs = Budget.reserve(entry.requests, start, 1).waitMs
          }
          if (entry.tokens !== undefined) {
            const reserved = Budget.reserve(entry.tokens, start, estimate)
            ticket.tokens = reserved.units
            budgetMs = Math.max(budgetMs, reserved.waitMs)
          }
          let heldMs = 0
          let now = start
          // Another request's 429 may move the hold further while this one sleeps: look again after each sleep.
          while (true) {
            const holdMs = window.blockedUntil - now
            const budgetLeft = start + budgetMs - now
            if (holdMs <= 0 && budgetLeft <= 0) return heldMs
            if (holdMs > 0 && heldBefore + heldMs + holdMs > maxWaitMs) {
              return yield* new RateLimitWaitExceeded({
                key: window.key,
                waitedMs: heldBefore + heldMs,
                askedMs: holdMs,
                maxWaitMs
              })
            }
            yield* Effect.sleep(Math.max(holdMs, budgetLeft))
            const after = yield* Clock.currentTimeMillis
            if (holdMs > 0) heldMs += Math.min(after - now, holdMs)
            now = after
          }
        })
      )

    /** Ends an attempt: gives back its slot, and the budget units it reserved and did not use. */
    const settle = (entry: Entry, ticket: Ticket) =>
      Effect.clockWith((clock) =>
        Effect.sync(() => {
          const now = clock.unsafeCurrentTimeMillis()
          if (entry.requests !== undefined && !ticket.sent) Budget.adjust(entry.requests, now, ticket.request)
          if (entry.tokens !== undefined) Budget.adjust(entry.tokens, now, ticket.tokens)
          Window.release(entry.window, ticket)
        })
      )

    /** One attempt: the answer, or `undefined` after a 429 (the key is then held for the time asked). */
    const attempt = (
      send: Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError>,
      entry: Entry,
      estimate: number,
      state: { held: number; backoffs: number }
    ) =>
      Effect.gen(function*() {
        const current = yield* CurrentCase
        const call = yield* CurrentCall
        const window = entry.window
        const ticket: Ticket = { held: false, sent: false, request: 0, tokens: 0 }
        return yield* Effect.gen(function*() {
          const waitStart = yield* Clock.currentTimeMillis
          const wait = takeTurn(entry, ticket, estimate, state.held).pipe(
            Effect.ensuring(Effect.clockWith((clock) =>
              Effect.sync(() => {
                if (call !== undefined) call.waitedMs += clock.unsafeCurrentTimeMillis() - waitStart
              })
            ))
          )
          state.held += yield* (current === undefined ? wait : current.waiting(wait))
          const epoch = window.epoch
          ticket.sent = true
          const response = yield* send
          const now = yield* Clock.currentTimeMillis
          const signal = Headers.read(response.headers, now, window.inFlight - 1, estimate)
          if (response.status === 429) {
            window.rateLimited++
            Window.limited(window, bounds, epoch)
            const asked = signal.retryAfterMs ?? backoffMs * 2 ** Math.min(maxDoublings, state.backoffs++)
            Window.block(window, now + Math.max(minRetryMs, asked))
            yield* Effect.ignore(response.text)
            return undefined
          }
          if (signal.exhausted) {
            Window.limited(window, bounds, epoch)
            if (signal.resetMs !== undefined) Window.block(window, now + signal.resetMs)
          } else if (response.status < 400) {
            Window.succeeded(window, bounds, Window.saturated(window))
          }
          if (entry.tokens !== undefined && response.status < 300) {
            const used = yield* usedTokens(response)
            ticket.tokens = used === undefined ? 0 : ticket.tokens - used
          }
          return response
        }).pipe(Effect.ensuring(settle(entry, ticket)))
      })

    const run = (
      send: Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError>,
      request: HttpClientRequest.HttpClientRequest
    ): Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError> =>
      Effect.gen(function*() {
        const json = Request.jsonBody(request)
        const key = keyOf(request, Request.modelOf(json))
        const estimate = Request.estimateTokens(request, json)
        const state = { held: 0, backoffs: 0 }
        while (true) {
          const entry = entryOf(key, yield* Clock.currentTimeMillis)
          const answer = yield* attempt(send, entry, estimate, state)
          if (answer !== undefined) return answer
        }
      }).pipe(
        Effect.catchTag("RateLimitWaitExceeded", (cause) =>
          Effect.fail(
            new HttpClientError.RequestError({ request, reason: "Transport", cause, description: cause.message })
          ))
      )

    const limit = (client: HttpClient.HttpClient): HttpClient.HttpClient => HttpClient.transform(client, run)

    const status = Effect.sync(() =>
      Array.from(entries.values(), ({ window }): KeyStatus => ({
        key: window.key,
        concurrency: window.limit,
        inFlight: window.inFlight,
        queued: window.waiters.length,
        rateLimited: window.rateLimited
      }))
    )

    return { limit, status }
  })

/** The tokens a JSON answer's `usage` says the request used, if it says. */
const usedTokens = (response: HttpClientResponse.HttpClientResponse): Effect.Effect<number | undefined> => {
  if (!(response.headers["content-type"] ?? "").includes("json")) return Effect.succeed(undefined)
  return Effect.map(
    Effect.option(response.text),
    (text) => text._tag === "Some" ? Request.usedTokens(text.value) : undefined
  )
}
