/**
 * Reading what a provider's answer says about its rate limit. Every parser returns `undefined` for a value it cannot
 * use (garbage, negative, not finite), so a provider's bad header means "not said", never a throw.
 */
import type * as Headers from "@effect/platform/Headers"

/** What one answer says: how long it asks to wait, and whether its remaining requests or tokens are near zero. */
export interface Signal {
  /** The wait asked by `retry-after-ms` or `Retry-After`, in milliseconds. */
  readonly retryAfterMs: number | undefined
  /** Whether `x-ratelimit-remaining-requests` or `-tokens` is near zero. */
  readonly exhausted: boolean
  /** When {@link exhausted}: how long until what was short is back, from `x-ratelimit-reset-*`, if it can tell. */
  readonly resetMs: number | undefined
}

const decimal = /^\s*(\d+(?:\.\d+)?)\s*$/

/** A non-negative decimal number, else `undefined`. */
export const parseNumber = (value: string | undefined): number | undefined => {
  if (value === undefined) return undefined
  const match = decimal.exec(value)
  if (match === null) return undefined
  const n = Number(match[1])
  return Number.isFinite(n) ? n : undefined
}

/**
 * `Retry-After` (RFC 9110): delay-seconds, or an HTTP date, read against `now`. A date in the past asks for no wait.
 */
export const parseRetryAfter = (value: string | undefined, now: number): number | undefined => {
  if (value === undefined) return undefined
  const seconds = parseNumber(value)
  if (seconds !== undefined) return seconds * 1000
  // Only dates with a weekday or month name: Date.parse also takes strings such as "1" or "-5" as years.
  if (!/[a-z]{3}/i.test(value)) return undefined
  const at = Date.parse(value)
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined
}

const openAiDuration = /^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+(?:\.\d+)?)ms)?$/

/** OpenAI's `x-ratelimit-reset-*` durations (`"1s"`, `"6m0s"`, `"20ms"`, `"1h2m3.5s"`), or plain seconds. */
export const parseResetDuration = (value: string | undefined): number | undefined => {
  if (value === undefined) return undefined
  const seconds = parseNumber(value)
  if (seconds !== undefined) return seconds * 1000
  const trimmed = value.trim()
  const match = openAiDuration.exec(trimmed)
  if (trimmed === "" || match === null) return undefined
  const [, h, m, s, ms] = match
  const total = Number(h ?? 0) * 3_600_000 + Number(m ?? 0) * 60_000 + Number(s ?? 0) * 1000 + Number(ms ?? 0)
  return Number.isFinite(total) ? total : undefined
}

/**
 * How long until `needed` more units (requests or tokens) are available, when `remaining` are left of `limit` and the
 * whole limit is back after `resetMs`: the provider refills at `(limit - remaining) / resetMs`. `undefined` without
 * the limit, since the time to a full reset can be minutes while the next unit is milliseconds away.
 */
const refillMs = (
  needed: number,
  remaining: number,
  limit: number | undefined,
  resetMs: number | undefined
): number | undefined => {
  if (limit === undefined || resetMs === undefined || limit <= remaining) return undefined
  return Math.min(resetMs, (needed * resetMs) / (limit - remaining))
}

/**
 * Reads the answer's rate-limit headers. `inFlight` is how many other requests to the same model are on their way
 * (each will take one of the remaining requests), `tokens` what this request was estimated to use: remaining
 * requests are near zero when they do not cover the requests in flight, remaining tokens when they are fewer than
 * this request's estimate.
 */
export const read = (headers: Headers.Headers, now: number, inFlight: number, tokens: number): Signal => {
  const retryAfterMs = parseNumber(headers["retry-after-ms"]) ?? parseRetryAfter(headers["retry-after"], now)
  const requests = parseNumber(headers["x-ratelimit-remaining-requests"])
  const remainingTokens = parseNumber(headers["x-ratelimit-remaining-tokens"])
  const requestsShort = requests !== undefined && requests <= inFlight
  const tokensShort = remainingTokens !== undefined && remainingTokens < tokens
  let resetMs: number | undefined
  if (requestsShort) {
    resetMs = refillMs(
      inFlight + 1 - requests,
      requests,
      parseNumber(headers["x-ratelimit-limit-requests"]),
      parseResetDuration(headers["x-ratelimit-reset-requests"])
    )
  }
  if (tokensShort) {
    const wait = refillMs(
      tokens - remainingTokens,
      remainingTokens,
      parseNumber(headers["x-ratelimit-limit-tokens"]),
      parseResetDuration(headers["x-ratelimit-reset-tokens"])
    )
    if (wait !== undefined) resetMs = Math.max(resetMs ?? 0, wait)
  }
  return { retryAfterMs, exhausted: requestsShort || tokensShort, resetMs }
}
