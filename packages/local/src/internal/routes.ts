import * as NodeHttpServerRequest from "@effect/platform-node/NodeHttpServerRequest"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Effect from "effect/Effect"
import type { RateDecision } from "./faults.js"
import type { Store } from "./store.js"
import * as Validation from "./validation.js"

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

/**
 * The score the feedback endpoint writes; a copy of core's `Scores.reservedName`, checked equal in test/core.test.ts.
 *
 * @internal
 */
export const feedbackScoreName = "helicone-score-feedback"

/** @internal */
export interface RouteContext {
  readonly store: Store
  /** `undefined`: any non-empty token is accepted. */
  readonly apiKeys: ReadonlySet<string> | undefined
  readonly rateLimit: (key: string) => Effect.Effect<RateDecision>
}

type Response = HttpServerResponse.HttpServerResponse

/** Every step either continues with a value or stops with the response to send; see `handle`. */
type Step<A> = Effect.Effect<A, Response, HttpServerRequest.HttpServerRequest>

const json = (body: unknown, status: number, headers?: Record<string, string>): Response =>
  HttpServerResponse.unsafeJson(body, headers === undefined ? { status } : { status, headers })

const authenticate = (apiKeys: RouteContext["apiKeys"]): Step<string> =>
  Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
    const header = request.headers["authorization"]
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

/** Authenticates, then counts the request against the key's rate limit; yields the `RateLimit-*` headers to send. */
const admit = (ctx: RouteContext): Step<Record<string, string>> =>
  authenticate(ctx.apiKeys).pipe(
    Effect.flatMap(ctx.rateLimit),
    Effect.flatMap((decision) =>
      decision._tag === "Limited" ? Effect.fail(decision.response) : Effect.succeed(decision.headers)
    )
  )

const tooLarge = Symbol("tooLarge")

/**
 * Reads the whole body. Past 10 MB it keeps draining without storing, so that the client is not cut off while it
 * writes and reads the 413 cleanly.
 */
const readBody: Step<string> = Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
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

/** Like express.json: only an `application/json` body is parsed; anything else leaves the body `{}`. */
const readJsonBody: Step<unknown> = Effect.flatMap(
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

const validated = <A>(result: Validation.Validated<A>): Step<A> =>
  result._tag === "Valid"
    ? Effect.succeed(result.value)
    : Effect.fail(json({ message: "Validation Failed", details: result.details }, 422))

const requestIdParam = Effect.map(HttpRouter.RouteContext, (route) => route.params["requestId"] ?? "")

/**
 * Text as a JSON string literal, also escaping DEL, the C1 controls and U+2028/U+2029: a request id arrives
 * URL-decoded, so a `%0A` in it must not start a new line in the log.
 */
const quotedForLog = (text: string): string =>
  JSON.stringify(text).replace(
    /[\u007f-\u009f\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`
  )

/** Runs a handler whose failures are responses, turning them into the response. */
const handle = <R>(handler: Effect.Effect<Response, Response, R>): Effect.Effect<Response, never, R> =>
  Effect.merge(handler)

const storeFailed = (error: string) => (cause: unknown) =>
  Effect.zipRight(
    Effect.logError("helicone-local: could not write to the database", cause),
    Effect.fail(json({ data: null, error }, 500))
  )

/**
 * Helicone's self-hosted 500 for a value it cannot store. Past the safe-integer range a JSON number is no longer the
 * integer the client wrote (2 ** 60 + 1 parses as 2 ** 60, 1e20 is beyond Int64), so storing it would store a
 * different score: it is refused like a fraction, and the message keeps the "must be an integer" words that clients
 * read as "do not retry".
 */
const scoreValueRejected = (key: string, value: number, headers: Record<string, string>): Response => {
  const name = Validation.truncate(key)
  const message = Number.isInteger(value)
    ? `Score value for key '${name}' must be an integer between ${Number.MIN_SAFE_INTEGER} and ` +
      `${Number.MAX_SAFE_INTEGER} (Helicone stores Int64, and JSON carries integers exactly only in this range). ` +
      `Received: ${BigInt(value)}`
    : `Score value for key '${name}' must be an integer. Received: ${value}`
  return json(
    {
      message: "Internal Server Error",
      details: message,
      stack: `Error: ${message}\n    at ScoreManager.addScores (helicone-local)`
    },
    500,
    headers
  )
}

const submitScore = (ctx: RouteContext) =>
  handle(Effect.gen(function*() {
    const rawId = yield* requestIdParam
    // Before the body: a client without a valid key is answered at once, and Node discards its body unbuffered.
    const headers = yield* admit(ctx)
    const body = yield* readJsonBody
    const scores = yield* validated(Validation.scoreRequest(body))
    const rows: Array<readonly [string, number]> = []
    for (const [name, value] of Object.entries(scores)) {
      if (typeof value === "number" && !Number.isSafeInteger(value)) {
        return yield* Effect.fail(scoreValueRejected(name, value, headers))
      }
      if (name === "") continue
      rows.push(typeof value === "boolean" ? [`${name}-hcone-bool`, value ? 1 : 0] : [name, value])
    }
    if (!requestIdPattern.test(rawId)) {
      yield* Effect.logWarning(
        `helicone-local: accepted scores for request id ${quotedForLog(rawId)} but did not store them: ` +
          "Helicone only keeps scores for request ids that are UUID versions 1 to 5"
      )
    } else {
      yield* ctx.store.upsert(rawId.toLowerCase(), rows).pipe(
        Effect.catchAll(storeFailed("Error adding scores to request."))
      )
    }
    return json({ data: null, error: null }, 201, headers)
  }))

const submitFeedback = (ctx: RouteContext) =>
  handle(Effect.gen(function*() {
    const rawId = yield* requestIdParam
    const headers = yield* admit(ctx)
    const body = yield* readJsonBody
    const rating = yield* validated(Validation.feedbackRequest(body))
    if (!requestIdPattern.test(rawId)) {
      return yield* Effect.fail(json({ data: null, error: "Invalid requestId: must be a valid UUID" }, 500, headers))
    }
    yield* ctx.store.upsert(rawId.toLowerCase(), [[feedbackScoreName, rating ? 1 : 0]]).pipe(
      Effect.catchAll(storeFailed("Error adding feedback to request."))
    )
    return json({ data: null, error: null }, 201, headers)
  }))

const getRequest = (ctx: RouteContext) =>
  handle(Effect.gen(function*() {
    const rawId = yield* requestIdParam
    const headers = yield* admit(ctx)
    const requestId = rawId.toLowerCase()
    const scores = yield* ctx.store.scores(requestId).pipe(Effect.catchAll(storeFailed("Could not read the request.")))
    if (scores === undefined) {
      return json({ data: null, error: `Request not found: ${rawId}` }, 404, headers)
    }
    return json({ data: { request_id: requestId, scores }, error: null }, 200, headers)
  }))

const getScoreNames = (ctx: RouteContext) =>
  handle(Effect.gen(function*() {
    const headers = yield* admit(ctx)
    const names = yield* ctx.store.scoreNames.pipe(Effect.catchAll(storeFailed("Could not read the score names.")))
    return json({ data: names, error: null }, 200, headers)
  }))

/**
 * The routes of Helicone's score API, answering as Helicone does; anything else is a JSON 404.
 *
 * @internal
 */
export const make = (ctx: RouteContext) =>
  HttpRouter.empty.pipe(
    HttpRouter.post("/v1/request/:requestId/score", submitScore(ctx)),
    HttpRouter.post("/v1/request/:requestId/feedback", submitFeedback(ctx)),
    HttpRouter.get("/v1/request/:requestId", getRequest(ctx)),
    HttpRouter.get("/v1/evals/scores", getScoreNames(ctx)),
    Effect.catchTag("RouteNotFound", (error) =>
      Effect.succeed(json({ data: null, error: `Not found: ${error.request.method} ${error.request.url}` }, 404)))
  )
