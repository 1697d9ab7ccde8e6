import type * as AiError from "@effect/ai/AiError"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"

/** How a scorer's failed model call is tried again, as `LlmJudge.ClassifierOptions.retry` documents it. */
export interface RetryOptions {
  readonly maxAttempts?: number | undefined
  readonly baseDelay?: Duration.DurationInput | undefined
}

/** The longest wait between two attempts, as OpenAI's SDK. */
const maxDelay = Duration.seconds(8)

/**
 * What a provider answered that is worth asking again, as OpenAI's own SDK does: a transport failure, and the
 * statuses 408, 409, 429 and 5xx.
 */
const retriable = (error: AiError.AiError): boolean =>
  error._tag === "HttpRequestError"
    ? error.reason === "Transport"
    : error._tag === "HttpResponseError" && error.reason === "StatusCode" &&
      (error.response.status === 408 || error.response.status === 409 || error.response.status === 429 ||
        error.response.status >= 500)

/**
 * The retry of a scorer's model call: `maxAttempts` in all (default 3), from `baseDelay` (default 500 ms) doubling up
 * to 8 seconds, with jitter. Calls `refuse` when `maxAttempts` is not an integer of at least 1.
 */
export const make = (
  options: RetryOptions | undefined,
  refuse: (why: string) => never
): <A, R>(call: Effect.Effect<A, AiError.AiError, R>) => Effect.Effect<A, AiError.AiError, R> => {
  const maxAttempts = options?.maxAttempts ?? 3
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) refuse(`retry.maxAttempts must be an integer >= 1`)
  const policy = {
    schedule: Schedule.exponential(options?.baseDelay ?? "500 millis").pipe(
      Schedule.jittered,
      Schedule.modifyDelay((_, delay) => Duration.min(delay, maxDelay))
    ),
    times: maxAttempts - 1,
    while: retriable
  }
  return (call) => Effect.retry(call, policy)
}
