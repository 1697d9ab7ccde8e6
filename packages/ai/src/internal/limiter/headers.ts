/**
 * Reading what a provider's answer says about its rate limit. Every parser returns `undefined` for a value it cannot
 * use (garbage, negative, not finite), so a provider's bad header means "not said", never a throw.
 */
import type * as Headers from "@effect/platform/Headers"

/** What one answer says: how long it asks to wait, and whether its remaining requests or tokens are near zero. */
export interface Signal {
  /** The wait asked by `retry-after-ms` or `Retry-After`, in milliseconds. */
  readonly retryAfterMs: number | undefined
  /** Whether the remaining requests or tokens (`x-ratelimit-remaining-*`, `anthropic-ratelimit-*-remaining`) are near zero. */
  readonly exhausted: boolean
  /** When {@link exhausted}: how long until what was short is back, from the limit and its reset, if it can tell. */
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

/** One limit as an answer states it: what is left of it, its size, and the time until it is whole again. */
interface Limit {
  readonly remaining: number | undefined
  readonly limit: number | undefined
  readonly resetMs: number | undefined
}

/**
 * A limit from OpenAI's headers (`x-ratelimit-remaining-requests`, `-limit-`, `-reset-` as a duration), else from
 * Anthropic's (`anthropic-ratelimit-requests-remaining`, `-limit`, `-reset` as an RFC 3339 date).
 */
const limitOf = (headers: Headers.Headers, what: "requests" | "tokens", now: number): Limit => {
  const openAi = parseNumber(headers[`x-ratelimit-remaining-${what}`])
  if (openAi !== undefined) {
    return {
      remaining: openAi,
      limit: parseNumber(headers[`x-ratelimit-limit-${what}`]),
      resetMs: parseResetDuration(headers[`x-ratelimit-reset-${what}`])
    }
  }
  const reset = headers[`anthropic-ratelimit-${what}-reset`]
  const at = reset === undefined ? NaN : Date.parse(reset)
  return {
    remaining: parseNumber(headers[`anthropic-ratelimit-${what}-remaining`]),
    limit: parseNumber(headers[`anthropic-ratelimit-${what}-limit`]),
    resetMs: Number.isFinite(at) ? Math.max(0, at - now) : undefined
  }
}

/**
 * Reads the answer's rate-limit headers (OpenAI's, or Anthropic's). `inFlight` is how many other requests to the
 * same model are on their way (each will take one of the remaining requests), `tokens` what this request was
 * estimated to use: remaining requests are near zero when they do not cover the requests in flight, remaining
 * tokens when they are fewer than this request's estimate.
 */
export const read = (headers: Headers.Headers, now: number, inFlight: number, tokens: number): Signal => {
  const retryAfterMs = parseNumber(headers["retry-after-ms"]) ?? parseRetryAfter(headers["retry-after"], now)
  const requests = limitOf(headers, "requests", now)
  const budget = limitOf(headers, "tokens", now)
  const requestsShort = requests.remaining !== undefined && requests.remaining <= inFlight
  const tokensShort = budget.remaining !== undefined && budget.remaining < tokens
  let resetMs: number | undefined
  if (requestsShort) {
    resetMs = refillMs(inFlight + 1 - requests.remaining!, requests.remaining!, requests.limit, requests.resetMs)
  }
  if (tokensShort) {
    const wait = refillMs(tokens - budget.remaining!, budget.remaining!, budget.limit, budget.resetMs)
    if (wait !== undefined) resetMs = Math.max(resetMs ?? 0, wait)
  }
  return { retryAfterMs, exhausted: requestsShort || tokensShort, resetMs }
}
