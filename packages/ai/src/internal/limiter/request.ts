/**
 * What the limiter reads from a request and its answer: the model named in a JSON body, an estimate of the tokens a
 * request uses before it is sent, and the tokens it used, from the answer's `usage`.
 */
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"

const decoder = new TextDecoder()

/** The request's JSON body, when it has one in memory; `undefined` for streams, forms and bodies that do not parse. */
export const jsonBody = (request: HttpClientRequest.HttpClientRequest): unknown => {
  const body = request.body
  if (body._tag !== "Uint8Array" || !body.contentType.includes("json")) return undefined
  try {
    return JSON.parse(decoder.decode(body.body))
  } catch {
    return undefined
  }
}

/** The `model` field of a JSON body, if it is a string. */
export const modelOf = (json: unknown): string | undefined => {
  const model = typeof json === "object" && json !== null ? (json as { model?: unknown }).model : undefined
  return typeof model === "string" ? model : undefined
}

/** The default key: the URL's origin and first path segment (`https://api.openai.com/v1`), and the model if any. */
export const defaultKey = (request: HttpClientRequest.HttpClientRequest, model: string | undefined): string => {
  let prefix: string
  try {
    const url = new URL(request.url)
    const segment = url.pathname.split("/").find((s) => s !== "")
    prefix = segment === undefined ? url.origin : `${url.origin}/${segment}`
  } catch {
    prefix = request.url
  }
  return model === undefined ? prefix : `${prefix} ${model}`
}

const count = (value: unknown): number => typeof value === "number" && Number.isFinite(value) && value > 0 ? value : 0

/**
 * Tokens a request may use, before it is sent, as providers count their limits: the body's length in bytes over 4
 * (about one token in 4 characters of English, and the JSON around the prompt makes it an over-estimate), plus the
 * answer's maximum length when the body sets one.
 */
export const estimateTokens = (request: HttpClientRequest.HttpClientRequest, json: unknown): number => {
  const bytes = request.body._tag === "Uint8Array" ? request.body.body.byteLength : 0
  const body = typeof json === "object" && json !== null ? json as Record<string, unknown> : {}
  const output = count(body.max_tokens) || count(body.max_completion_tokens) || count(body.max_output_tokens)
  return Math.ceil(bytes / 4) + output
}

/**
 * The tokens an answer used, from its `usage` (OpenAI's chat `prompt_tokens` / `completion_tokens`, the Responses
 * API's and Anthropic's `input_tokens` / `output_tokens`, or `total_tokens`); `undefined` when it does not say.
 */
export const usedTokens = (text: string): number | undefined => {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return undefined
  }
  const usage = typeof json === "object" && json !== null ? (json as { usage?: unknown }).usage : undefined
  if (typeof usage !== "object" || usage === null) return undefined
  const u = usage as Record<string, unknown>
  const total = count(u.total_tokens)
  if (total > 0) return total
  const sum = count(u.prompt_tokens) + count(u.completion_tokens) + count(u.input_tokens) + count(u.output_tokens)
  return sum > 0 ? sum : undefined
}
