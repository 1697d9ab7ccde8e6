import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as Effect from "effect/Effect"
import type { RateDecision } from "./faults.js"
import * as Gateway from "./gateway.js"
import { authenticate, handle, json, quotedForLog, readJsonBody, requestIdPattern } from "./http.js"
import type { Response, Step } from "./http.js"
import type { LoggedRequest, Store } from "./store.js"
import * as Validation from "./validation.js"

export {
  /**
   * The request ids Helicone keeps scores for: UUID versions 1 to 5. A copy of core's `RequestId.pattern` (the server
   * does not depend on the client at run time); test/core.test.ts checks that the two stay equal.
   *
   * @internal
   */
  requestIdPattern
} from "./http.js"

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
  /** `false`, as Helicone: scores for a request the gateway never logged are answered 201 and dropped. */
  readonly acceptUnknownRequests: boolean
  readonly gateway: Gateway.GatewayContext
}

/** Authenticates, then counts the request against the key's rate limit; yields the `RateLimit-*` headers to send. */
const admit = (ctx: RouteContext): Step<Record<string, string>> =>
  authenticate(ctx.apiKeys).pipe(
    Effect.flatMap(ctx.rateLimit),
    Effect.flatMap((decision) =>
      decision._tag === "Limited" ? Effect.fail(decision.response) : Effect.succeed(decision.headers)
    )
  )

const validated = <A>(result: Validation.Validated<A>): Step<A> =>
  result._tag === "Valid"
    ? Effect.succeed(result.value)
    : Effect.fail(json({ message: "Validation Failed", details: result.details }, 422))

const requestIdParam = Effect.map(HttpRouter.RouteContext, (route) => route.params["requestId"] ?? "")

/** Whether a score for this request is to be dropped: strict mode, and the gateway never logged it. */
const isUnknown = (ctx: RouteContext, requestId: string, error: string): Step<boolean> =>
  ctx.acceptUnknownRequests
    ? Effect.succeed(false)
    : ctx.store.isLogged(requestId).pipe(Effect.map((logged) => !logged), Effect.catchAll(storeFailed(error)))

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
    } else if (yield* isUnknown(ctx, rawId.toLowerCase(), "Error adding scores to request.")) {
      yield* Effect.logWarning(
        `helicone-local: accepted scores for request id ${quotedForLog(rawId)} but did not store them: no request ` +
          "with this id was logged through the gateway, and Helicone drops scores for requests it never logged " +
          "(start the server with --accept-unknown-requests to keep them)"
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
    if (yield* isUnknown(ctx, rawId.toLowerCase(), "Error adding feedback to request.")) {
      yield* Effect.logWarning(
        `helicone-local: accepted feedback for request id ${quotedForLog(rawId)} but did not store it: no request ` +
          "with this id was logged through the gateway (start the server with --accept-unknown-requests to keep it)"
      )
    } else {
      yield* ctx.store.upsert(rawId.toLowerCase(), [[feedbackScoreName, rating ? 1 : 0]]).pipe(
        Effect.catchAll(storeFailed("Error adding feedback to request."))
      )
    }
    return json({ data: null, error: null }, 201, headers)
  }))

/**
 * A logged request as Helicone's `GET /v1/request/{id}` gives it (its `HeliconeRequest`), with the fields this server
 * knows; the bodies only when asked for, as `includeBody=true` asks Helicone.
 *
 * @internal
 */
export const heliconeRequest = (
  logged: LoggedRequest,
  scores: Readonly<Record<string, number>> | null,
  includeBody: boolean
): Record<string, unknown> => {
  const body = (text: string): unknown => {
    try {
      return JSON.parse(text)
    } catch {
      return text
    }
  }
  return {
    response_id: null,
    response_created_at: logged.respondedAt,
    ...(includeBody ? { response_body: body(logged.responseBody) } : {}),
    response_status: logged.status,
    response_model: logged.responseModel,
    request_id: logged.requestId,
    request_created_at: logged.createdAt,
    ...(includeBody ? { request_body: body(logged.requestBody) } : {}),
    request_path: logged.path,
    request_user_id: logged.userId,
    request_properties: logged.properties,
    request_model: logged.model,
    model_override: null,
    helicone_user: null,
    provider: "OPENAI",
    delay_ms: logged.latencyMs,
    time_to_first_token: null,
    total_tokens: logged.totalTokens,
    prompt_tokens: logged.promptTokens,
    completion_tokens: logged.completionTokens,
    prompt_id: null,
    country_code: null,
    scores,
    properties: logged.properties,
    target_url: logged.targetUrl,
    model: logged.responseModel ?? logged.model
  }
}

const getRequest = (ctx: RouteContext) =>
  handle(Effect.gen(function*() {
    const rawId = yield* requestIdParam
    const headers = yield* admit(ctx)
    const request = yield* HttpServerRequest.HttpServerRequest
    const requestId = rawId.toLowerCase()
    const readFailed = storeFailed("Could not read the request.")
    const scores = yield* ctx.store.scores(requestId).pipe(Effect.catchAll(readFailed))
    const logged = yield* ctx.store.loggedRequest(requestId).pipe(Effect.catchAll(readFailed))
    if (logged !== undefined) {
      const includeBody = new URL(request.url, "http://localhost").searchParams.get("includeBody") === "true"
      return json({ data: heliconeRequest(logged, scores ?? null, includeBody), error: null }, 200, headers)
    }
    if (scores === undefined) {
      return json({ data: null, error: `Request not found: ${rawId}` }, 404, headers)
    }
    // Scored but never logged: only what the scores say (kept only with acceptUnknownRequests).
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
    (router) =>
      Gateway.routes(ctx.gateway).reduce((router, [path, handler]) => HttpRouter.post(router, path, handler), router),
    Effect.catchTag("RouteNotFound", (error) =>
      Effect.succeed(json({ data: null, error: `Not found: ${error.request.method} ${error.request.url}` }, 404)))
  )
