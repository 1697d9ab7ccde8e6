/**
 * What every route of the server does the same way: JSON answers, the bearer token, reading a body within Helicone's
 * limits, and handlers whose failures are the response to send.
 */
import * as NodeHttpServerRequest from "@effect/platform-node/NodeHttpServerRequest"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Effect from "effect/Effect"

/** Helicone's body limit (express.json with `limit: "10mb"`). */
const maxBodyBytes = 10 * 1024 * 1024

/**
 * How deep a JSON body may nest arrays and objects. `JSON.parse` has no limit: 5 million levels (a 10 MB body) take
 * seconds and hundreds of MB to parse, and `JSON.stringify` overflows the stack on such a value when it is quoted back.
 */
const maxJsonDepth = 256

/**
 * The request ids Helicone keeps scores for: UUID versions 1 to 5. A copy of core's `RequestId.pattern` (the server
 * does not depend on the client at run time); test/core.test.ts checks that the two stay equal.
 *
 * @internal
 */
export const requestIdPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i

/** @internal */
export type Response = HttpServerResponse.HttpServerResponse

/** Every step either continues with a value or stops with the response to send; see `handle`. */
export type Step<A> = Effect.Effect<A, Response, HttpServerRequest.HttpServerRequest>

/** @internal */
export const json = (body: unknown, status: number, headers?: Record<string, string>): Response =>
  HttpServerResponse.unsafeJson(body, headers === undefined ? { status } : { status, headers })

/**
 * The key in a header (`authorization` unless told), checked as Helicone checks it; `apiKeys` undefined accepts any
 * non-empty token.
 *
 * @internal
 */
export const authenticate = (
  apiKeys: ReadonlySet<string> | undefined,
  headerName = "authorization"
): Step<string> =>
  Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
    const header = request.headers[headerName]
    if (header === undefined || header === "") {
      return Effect.fail(json({ error: "No authorization header", trace: "isAuthenticated.error" }, 401))
    }
    // `Bearer` is optional; a header holding only the word (HTTP clients trim "Bearer ") carries no token.
    const token = header.trim().replace(/^Bearer(\s+|$)/, "").trim()
    if (token === "" || (apiKeys !== undefined && !apiKeys.has(token))) {
      return Effect.fail(json({ error: "No API key found", trace: "isAuthenticated.error" }, 401))
    }
    return Effect.succeed(token)
  })

const tooLarge = Symbol("tooLarge")

/**
 * Reads the whole body. Past 10 MB it keeps draining without storing, so that the client is not cut off while it
 * writes and reads the 413 cleanly.
 */
/** @internal */
export const readBody: Step<string> = Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
  const contentLength = Number(request.headers["content-length"] ?? "0")
  if (contentLength > maxBodyBytes) return Effect.fail(payloadTooLarge)
  const source = NodeHttpServerRequest.toIncomingMessage(request)
  return Effect.async<string | typeof tooLarge, Response>((resume) => {
    const chunks: Array<Buffer> = []
    let size = 0
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size <= maxBodyBytes) chunks.push(chunk)
    }
    const onEnd = () => resume(Effect.succeed(size > maxBodyBytes ? tooLarge : Buffer.concat(chunks).toString("utf8")))
    const onError = () => resume(Effect.fail(json({ data: null, error: "Could not read the request body" }, 400)))
    source.on("data", onData)
    source.once("end", onEnd)
    source.once("error", onError)
    return Effect.sync(() => {
      source.off("data", onData)
      source.off("end", onEnd)
      source.off("error", onError)
    })
  }).pipe(Effect.flatMap((body) => body === tooLarge ? Effect.fail(payloadTooLarge) : Effect.succeed(body)))
})

const payloadTooLarge = json({ data: null, error: "request entity too large" }, 413)

/** Whether JSON text opens more than `limit` arrays or objects inside one another (brackets in strings do not count). */
const nestsDeeperThan = (text: string, limit: number): boolean => {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c) i++ // a backslash: skip the escaped character
      else if (c === 0x22) inString = false
    } else if (c === 0x22) inString = true
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true
    } else if (c === 0x5d || c === 0x7d) depth--
  }
  return false
}

const nestedTooDeeply = json(
  { data: null, error: `Invalid JSON body: arrays and objects nested deeper than ${maxJsonDepth} levels` },
  400
)

/**
 * Like express.json: only an `application/json` body is parsed; anything else leaves the body `{}`.
 *
 * @internal
 */
/** @internal */
export const readJsonBody: Step<unknown> = Effect.flatMap(
  HttpServerRequest.HttpServerRequest,
  (request) =>
    Effect.flatMap(readBody, (text) => {
      const mime = (request.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase()
      if (mime !== "application/json" || text.trim() === "") return Effect.succeed({})
      if (text.length > maxJsonDepth && nestsDeeperThan(text, maxJsonDepth)) return Effect.fail(nestedTooDeeply)
      return Effect.try({
        try: () => JSON.parse(text) as unknown,
        catch: () => json({ data: null, error: "Invalid JSON body" }, 400)
      })
    })
)

/**
 * Text as a JSON string literal, also escaping DEL, the C1 controls and U+2028/U+2029: a request id arrives
 * URL-decoded, so a `%0A` in it must not start a new line in the log.
 *
 * @internal
 */
export const quotedForLog = (text: string): string =>
  JSON.stringify(text).replace(
    /[\u007f-\u009f\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`
  )

/**
 * Runs a handler whose failures are responses, turning them into the response.
 *
 * @internal
 */
export const handle = <R>(handler: Effect.Effect<Response, Response, R>): Effect.Effect<Response, never, R> =>
  Effect.merge(handler)
