/**
 * The OpenAI-compatible routes, answered as Helicone's gateway answers them: the Helicone key is checked, the call is
 * answered by an upstream (a provider base URL, or a recording), and the request is logged with the id, properties
 * and session the client sent, so that scores can be attached to it afterwards.
 *
 * Two ways to authenticate, as Helicone has them:
 * - AI Gateway: `Authorization: Bearer <helicone key>`; the provider key is the one the server was configured with;
 * - proxy: `Helicone-Auth: Bearer <helicone key>`, with the provider key in `Authorization`, forwarded as it is.
 */
import * as NodeHttpServerRequest from "@effect/platform-node/NodeHttpServerRequest"
import type * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Crypto from "node:crypto"
import type { RateDecision } from "./faults.js"
import { authenticate, handle, json, quotedForLog, readBody, requestIdPattern } from "./http.js"
import type { Response, Step } from "./http.js"
import * as Recording from "./recording.js"
import type { LoggedRequest, Store } from "./store.js"
import * as Validation from "./validation.js"

/**
 * Where answers come from. With a recording and an upstream, the recording answers what it has and the upstream the
 * rest.
 *
 * @internal
 */
export interface GatewayContext {
  readonly store: Store
  readonly apiKeys: ReadonlySet<string> | undefined
  readonly rateLimit: (key: string) => Effect.Effect<RateDecision>
  readonly client: HttpClient.HttpClient
  /** A base URL such as `https://api.openai.com/v1`; `/v1/responses` is forwarded to `<base>/responses`. */
  readonly upstream: string | undefined
  readonly upstreamApiKey: Redacted.Redacted | undefined
  readonly recording: Recording.Recording | undefined
  readonly recorder: Recording.Recorder | undefined
  /** A recorded answer's `latencyMs` is waited times this before answering (0: at once). */
  readonly replaySpeed: number
}

/** An OpenAI-style error body, which OpenAI clients know how to read. */
const openAiError = (status: number, message: string, type: string, code: string | null, headers = {}): Response =>
  json({ error: { message, type, param: null, code } }, status, headers)

/** The Helicone key, from `Helicone-Auth` when it is sent (proxy style), else from `Authorization` (AI Gateway). */
const admit = (ctx: GatewayContext): Step<{ readonly proxy: boolean; readonly headers: Record<string, string> }> =>
  Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
    const proxy = request.headers["helicone-auth"] !== undefined
    return authenticate(ctx.apiKeys, proxy ? "helicone-auth" : "authorization").pipe(
      Effect.flatMap(ctx.rateLimit),
      Effect.flatMap((decision) =>
        decision._tag === "Limited"
          ? Effect.fail(decision.response)
          : Effect.succeed({ proxy, headers: decision.headers })
      )
    )
  })

/** What the Helicone headers of a request say, with property names as the client wrote them. */
interface HeliconeHeaders {
  readonly requestId: string
  readonly properties: Record<string, string>
  readonly userId: string | null
  readonly sessionId: string | null
  readonly sessionPath: string | null
  readonly sessionName: string | null
}

const propertyPrefix = "helicone-property-"

/** Helicone keeps the session headers among the properties, under their own names. */
const sessionHeaders = {
  "helicone-session-id": "Helicone-Session-Id",
  "helicone-session-path": "Helicone-Session-Path",
  "helicone-session-name": "Helicone-Session-Name"
} as const

const heliconeHeaders = (request: HttpServerRequest.HttpServerRequest): Effect.Effect<HeliconeHeaders> =>
  Effect.gen(function*() {
    // Node lowercases `headers`; `rawHeaders` keeps the names as sent, so `Helicone-Property-Case` stays `Case`.
    const raw = NodeHttpServerRequest.toIncomingMessage(request).rawHeaders
    const properties: Record<string, string> = {}
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = raw[i]
      const lower = name.toLowerCase()
      if (lower.startsWith(propertyPrefix) && lower.length > propertyPrefix.length) {
        properties[name.slice(propertyPrefix.length)] = raw[i + 1]
      } else if (lower in sessionHeaders) {
        properties[sessionHeaders[lower as keyof typeof sessionHeaders]] = raw[i + 1]
      }
    }
    const header = (name: string): string | null => request.headers[name] ?? null
    const sent = request.headers["helicone-request-id"]
    let requestId: string = Crypto.randomUUID()
    if (sent !== undefined && requestIdPattern.test(sent.trim())) {
      requestId = sent.trim().toLowerCase()
    } else if (sent !== undefined) {
      yield* Effect.logWarning(
        `helicone-local: Helicone-Request-Id ${quotedForLog(sent)} is not a UUID version 1 to 5, so the request is ` +
          `logged as ${requestId}, as Helicone replaces it`
      )
    }
    return {
      requestId,
      properties,
      userId: header("helicone-user-id"),
      sessionId: header("helicone-session-id"),
      sessionPath: header("helicone-session-path"),
      sessionName: header("helicone-session-name")
    }
  })

/** The answer to send, as the upstream (or the recording) gave it. */
interface Answer {
  readonly status: number
  readonly contentType: string
  readonly body: string
  readonly targetUrl: string
}

const isObject = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

const tokens = (u: unknown): number | null => typeof u === "number" && Number.isFinite(u) ? u : null

interface Usage {
  readonly model: string | null
  readonly promptTokens: number | null
  readonly completionTokens: number | null
  readonly totalTokens: number | null
}

const noUsage: Usage = { model: null, promptTokens: null, completionTokens: null, totalTokens: null }

/** The model and token counts of one JSON answer, or of a streamed event (`response.completed` nests the response). */
const usageOfJson = (body: unknown): Usage | undefined => {
  if (!isObject(body)) return undefined
  const response = isObject(body.response) ? body.response : body
  const usage = isObject(response.usage) ? response.usage : undefined
  const model = typeof response.model === "string" ? response.model : null
  if (usage === undefined) return model === null ? undefined : { ...noUsage, model }
  const promptTokens = tokens(usage.input_tokens) ?? tokens(usage.prompt_tokens)
  const completionTokens = tokens(usage.output_tokens) ?? tokens(usage.completion_tokens)
  const totalTokens = tokens(usage.total_tokens) ??
    (promptTokens === null && completionTokens === null ? null : (promptTokens ?? 0) + (completionTokens ?? 0))
  return { model, promptTokens, completionTokens, totalTokens }
}

/** For a streamed answer, the last event that names a model or carries usage wins. */
const usageOf = (answer: Answer): Usage => {
  if (answer.contentType.includes("text/event-stream")) {
    let found: Usage = noUsage
    for (const line of answer.body.split("\n")) {
      if (!line.startsWith("data:")) continue
      try {
        const usage = usageOfJson(JSON.parse(line.slice(5)))
        if (usage !== undefined) {
          found = {
            model: usage.model ?? found.model,
            promptTokens: usage.promptTokens ?? found.promptTokens,
            completionTokens: usage.completionTokens ?? found.completionTokens,
            totalTokens: usage.totalTokens ?? found.totalTokens
          }
        }
      } catch {
        // `data: [DONE]` and other lines that are not JSON carry no usage.
      }
    }
    return found
  }
  try {
    return usageOfJson(JSON.parse(answer.body)) ?? noUsage
  } catch {
    return noUsage
  }
}

const short = (value: unknown): string => Validation.truncate(JSON.stringify(value) ?? "undefined")

const recordingMiss = (recording: Recording.Recording, match: Recording.Match): Response => {
  const what = match.endpoint === "/v1/chat/completions"
    ? `messages ${short(match.messages)}`
    : `input ${short(match.input)}`
  const instructions = match.instructions === undefined ? "" : `, instructions ${short(match.instructions)}`
  const forModel = Recording.countForModel(recording, match.model)
  return openAiError(
    404,
    `helicone-local: the recording ${JSON.stringify(recording.file)} has no answer for POST ${match.endpoint} with ` +
      `model ${JSON.stringify(match.model)}${instructions}${match.stream ? ", stream: true" : ""} and ${what}. ` +
      `It holds ${forModel} answer${forModel === 1 ? "" : "s"} for this model and ${recording.answers.size} in all. ` +
      "Record it with --record while forwarding to --upstream, or add the line by hand (the whole request is logged: " +
      "GET /v1/request/<this answer's Helicone-Id>?includeBody=true) and restart the server, which reads the " +
      "recording at start.",
    "invalid_request_error",
    "recording_miss"
  )
}

const forward = (
  ctx: GatewayContext,
  upstream: string,
  endpoint: Recording.Endpoint,
  text: string,
  clientAuthorization: string | undefined
): Effect.Effect<Answer, Response> => {
  const targetUrl = `${upstream.replace(/\/+$/, "")}${endpoint.slice("/v1".length)}`
  const authorization = clientAuthorization ??
    (ctx.upstreamApiKey === undefined ? undefined : `Bearer ${Redacted.value(ctx.upstreamApiKey)}`)
  const request = HttpClientRequest.post(targetUrl).pipe(
    HttpClientRequest.bodyText(text, "application/json"),
    authorization === undefined ? (r) => r : HttpClientRequest.setHeader("authorization", authorization)
  )
  return ctx.client.execute(request).pipe(
    Effect.flatMap((response) =>
      Effect.map(response.text, (body): Answer => ({
        status: response.status,
        contentType: response.headers["content-type"] ?? "application/json",
        body,
        targetUrl
      }))
    ),
    Effect.scoped,
    Effect.catchAll((error) =>
      Effect.fail(openAiError(
        502,
        `helicone-local could not reach the upstream ${targetUrl}: ${
          error._tag === "RequestError" ? error.reason : error.message
        }`,
        "upstream_error",
        "upstream_unreachable"
      ))
    )
  )
}

const answerFromEntry = (recording: Recording.Recording, entry: Recording.Entry): Answer => {
  const response = Recording.responseOf(entry)
  return {
    status: entry.status,
    contentType: entry.contentType,
    body: typeof response === "string" ? response : JSON.stringify(response),
    targetUrl: `recording:${recording.file}`
  }
}

/** Records a forwarded answer; a recording that cannot be written is said in the log and the call still answered. */
const record = (ctx: GatewayContext, match: Recording.Match, answer: Answer): Effect.Effect<void> => {
  if (ctx.recorder === undefined || answer.status < 200 || answer.status >= 300) return Effect.void
  const json = answer.contentType.includes("application/json")
  let response: unknown = answer.body
  if (json) {
    try {
      response = JSON.parse(answer.body)
    } catch {
      response = answer.body
    }
  }
  return ctx.recorder.add(match, {
    ...match,
    status: answer.status,
    contentType: json ? "application/json" : answer.contentType,
    response
  }).pipe(
    Effect.catchAll((error) =>
      Effect.logError(`helicone-local: could not write the recording ${JSON.stringify(error.file)}: ${error.reason}`)
    )
  )
}

const answer = (
  ctx: GatewayContext,
  endpoint: Recording.Endpoint,
  text: string,
  body: Record<string, unknown>,
  clientAuthorization: string | undefined
): Effect.Effect<Answer, Response> =>
  Effect.gen(function*() {
    const match = Recording.matchOf(endpoint, body)
    if (ctx.recording !== undefined) {
      const entry = Recording.lookup(ctx.recording, match)
      if (Option.isSome(entry)) {
        const delay = (entry.value.latencyMs ?? 0) * ctx.replaySpeed
        if (delay > 0) yield* Effect.sleep(delay)
        return answerFromEntry(ctx.recording, entry.value)
      }
      if (ctx.upstream === undefined) return yield* Effect.fail(recordingMiss(ctx.recording, match))
    }
    if (ctx.upstream === undefined) {
      return yield* Effect.fail(openAiError(
        501,
        "helicone-local has no upstream to answer model calls: start it with --upstream <base url> (option " +
          "`upstream`) or --recording <file> (option `recording`)",
        "invalid_request_error",
        "no_upstream"
      ))
    }
    const forwarded = yield* forward(ctx, ctx.upstream, endpoint, text, clientAuthorization)
    yield* record(ctx, match, forwarded)
    return forwarded
  })

const invalidBody = (message: string) => openAiError(400, message, "invalid_request_error", null)

const route = (ctx: GatewayContext, endpoint: Recording.Endpoint) =>
  handle(Effect.gen(function*() {
    const { headers: rateHeaders, proxy } = yield* admit(ctx)
    const request = yield* HttpServerRequest.HttpServerRequest
    const helicone = yield* heliconeHeaders(request)
    const text = yield* readBody
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch {
      return yield* Effect.fail(invalidBody("helicone-local: the request body is not JSON"))
    }
    if (!isObject(body)) return yield* Effect.fail(invalidBody("helicone-local: the request body is not a JSON object"))
    const model = typeof body.model === "string" ? body.model : null
    if (model === null) {
      return yield* Effect.fail(invalidBody("helicone-local: the request body has no \"model\" string"))
    }

    const startedAt = yield* Clock.currentTimeMillis
    const result = yield* Effect.either(
      answer(ctx, endpoint, text, body, proxy ? request.headers["authorization"] : undefined)
    )
    const endedAt = yield* Clock.currentTimeMillis
    const sent: Answer = result._tag === "Right" ? result.right : {
      status: result.left.status,
      contentType: "application/json",
      body: bodyText(result.left),
      targetUrl: ctx.upstream ?? (ctx.recording === undefined ? "" : `recording:${ctx.recording.file}`)
    }
    const usage = usageOf(sent)
    const logged: LoggedRequest = {
      requestId: helicone.requestId,
      createdAt: new Date(startedAt).toISOString(),
      respondedAt: new Date(endedAt).toISOString(),
      path: endpoint,
      targetUrl: sent.targetUrl,
      model,
      responseModel: usage.model,
      status: sent.status,
      latencyMs: endedAt - startedAt,
      promptTokens: usage.promptTokens,
      completionTokens: usage.completionTokens,
      totalTokens: usage.totalTokens,
      properties: helicone.properties,
      userId: helicone.userId,
      sessionId: helicone.sessionId,
      sessionPath: helicone.sessionPath,
      sessionName: helicone.sessionName,
      requestBody: text,
      responseBody: sent.body
    }
    // Helicone logs after it answers and a failed log never fails the call; here the log is written first, so that a
    // score sent as soon as the answer arrives finds its request.
    yield* ctx.store.logRequest(logged).pipe(
      Effect.catchAll((error) => Effect.logError("helicone-local: could not log the request", error))
    )
    return HttpServerResponse.text(sent.body, {
      status: sent.status,
      contentType: sent.contentType,
      headers: { ...rateHeaders, "helicone-id": helicone.requestId }
    })
  }))

/** The JSON text of a response this module built with `json`. */
const bodyText = (response: Response): string => {
  const body = response.body
  return body._tag === "Uint8Array" ? new TextDecoder().decode(body.body) : ""
}

/**
 * The gateway's routes, by path.
 *
 * @internal
 */
export const routes = (
  ctx: GatewayContext
): ReadonlyArray<readonly [Recording.Endpoint, Effect.Effect<Response, never, HttpServerRequest.HttpServerRequest>]> =>
  (["/v1/responses", "/v1/chat/completions", "/v1/embeddings"] as const).map((endpoint) =>
    [endpoint, route(ctx, endpoint)] as const
  )
