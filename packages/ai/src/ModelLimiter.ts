/**
 * Adaptive rate limiting of model calls, per provider and model: the limiter lowers its concurrency on a 429, a
 * `Retry-After` / `retry-after-ms` or an `x-ratelimit-remaining-*` near zero, waits the time asked, and grows back
 * after successes. It works on the provider's `HttpClient`, so tasks and judges share one limit.
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Effect from "effect/Effect"

/**
 * A limiter: `limit` wraps the provider's HTTP client so each request goes through it.
 *
 * @since 0.1.0
 * @category models
 */
export interface ModelLimiter {
  readonly limit: (client: HttpClient.HttpClient) => HttpClient.HttpClient
}

/**
 * How the limiter behaves.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly maxRequestsPerMinute?: number | undefined
  readonly maxTokensPerMinute?: number | undefined
}

/**
 * Makes a limiter. (Skeleton: passes requests through until the limiter lands.)
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (_options: Options = {}): Effect.Effect<ModelLimiter> =>
  Effect.succeed({ limit: (client) => client })
