/**
 * The bounded retry policy of score submissions, reusable by anything that submits later (a background queue).
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Either from "effect/Either"
import * as Schedule from "effect/Schedule"
import type { SubmitScoreError } from "./HeliconeError.js"
import { InvalidConfig, isRetriable } from "./HeliconeError.js"
import { decodeDuration } from "./internal/duration.js"

/**
 * A resolved retry policy.
 *
 * - `maxAttempts`: attempts in total, the first one included (1 = no retry).
 * - `baseDelay`: the first backoff delay; it doubles at each retry, with ±20% jitter.
 * - `maxRetryAfter`: the longest `Retry-After` that is waited for. A 429 asking for longer is not retried: the call
 *   fails at once with `RateLimited { retryAfter }`, so the caller can decide when to come back.
 *
 * @since 0.1.0
 * @category models
 */
export interface RetryPolicy {
  readonly maxAttempts: number
  readonly baseDelay: Duration.Duration
  readonly maxRetryAfter: Duration.Duration
}

/**
 * The options a user sets; every one is optional.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly maxAttempts?: number | undefined
  readonly baseDelay?: Duration.DurationInput | undefined
  readonly maxRetryAfter?: Duration.DurationInput | undefined
}

/**
 * 5 attempts, a first backoff of 500 ms, and `Retry-After` honoured up to 60 seconds.
 *
 * @since 0.1.0
 * @category constructors
 */
export const defaults: RetryPolicy = {
  maxAttempts: 5,
  baseDelay: Duration.millis(500),
  maxRetryAfter: Duration.seconds(60)
}

/**
 * A policy that never retries.
 *
 * @since 0.1.0
 * @category constructors
 */
export const none: RetryPolicy = { ...defaults, maxAttempts: 1 }

/**
 * Resolves options into a policy (`false` means no retry), or fails when one is out of range.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options | false | undefined): Either.Either<RetryPolicy, InvalidConfig> => {
  if (options === false) return Either.right(none)
  if (options === undefined) return Either.right(defaults)
  const maxAttempts = options.maxAttempts ?? defaults.maxAttempts
  if (!Number.isSafeInteger(maxAttempts) || maxAttempts < 1) {
    return Either.left(
      new InvalidConfig({ option: "retry.maxAttempts", reason: `must be an integer >= 1, got ${maxAttempts}` })
    )
  }
  return Either.all({
    maxAttempts: Either.right(maxAttempts),
    baseDelay: decodeDuration("retry.baseDelay", options.baseDelay, defaults.baseDelay),
    maxRetryAfter: decodeDuration("retry.maxRetryAfter", options.maxRetryAfter, defaults.maxRetryAfter)
  })
}

/**
 * The schedule that retries a submission under a policy: only errors for which `HeliconeError.isRetriable` holds, at
 * most `maxAttempts - 1` times, with exponential backoff and jitter. After a 429 the delay is the larger of the
 * backoff and the server's `Retry-After`; a `Retry-After` above `maxRetryAfter` stops the retries. Delays use the
 * `Clock` service, so `TestClock` drives them.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { HeliconeScores, RetryPolicy } from "@helicone-effect/core"
 *
 * // a queue that submits with `retry: false` can retry on its own terms
 * const submit = HeliconeScores.submitScore(id, { accuracy: 92 }).pipe(
 *   Effect.retry(RetryPolicy.schedule(RetryPolicy.defaults))
 * )
 * ```
 *
 * @since 0.1.0
 * @category retries
 */
export const schedule = (policy: RetryPolicy): Schedule.Schedule<SubmitScoreError, SubmitScoreError> =>
  Schedule.exponential(policy.baseDelay, 2).pipe(
    Schedule.jittered,
    Schedule.intersect(Schedule.recurs(policy.maxAttempts - 1)),
    Schedule.zipRight(Schedule.identity<SubmitScoreError>()),
    Schedule.whileInput((error: SubmitScoreError) =>
      isRetriable(error) && !(error._tag === "RateLimited" && error.retryAfter !== undefined &&
        Duration.greaterThan(error.retryAfter, policy.maxRetryAfter))
    ),
    Schedule.modifyDelay((error, delay) =>
      error._tag === "RateLimited" && error.retryAfter !== undefined ? Duration.max(delay, error.retryAfter) : delay
    )
  )
