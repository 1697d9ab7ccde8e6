import type * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import * as Schema from "effect/Schema"
import {
  HeliconeServerError,
  HeliconeUnavailable,
  RateLimited,
  Redirected,
  RequestRejected,
  type SubmitScoreError,
  Unauthorized,
  UnexpectedResponse
} from "../../HeliconeError.js"
import { redactJson } from "./redact.js"

/** How many characters of an unexpected body an error keeps. */
const snippetLength = 200

/** How many characters of a `Location` an error keeps. */
const locationLength = 500

// The error bodies Helicone's server documents.
const ErrorBody = Schema.Union(
  // tsoa's errors: {"message":"Internal Server Error","details":"..."} (self-hosted: details holds the reason)
  Schema.Struct({ message: Schema.String, details: Schema.optional(Schema.Unknown) }),
  // ResultError and the auth/rate-limit middlewares: {"data":null,"error":"..."}, {"error":"...","trace":"..."}
  Schema.Struct({ error: Schema.String }),
  // a key without write permission: {"trace":"isAuthenticated.error"}
  Schema.Struct({ trace: Schema.String })
)
type ErrorBody = typeof ErrorBody.Type

const decodeErrorBody = Schema.decodeUnknownOption(Schema.parseJson(ErrorBody))
const decodeJson = Schema.decodeUnknownOption(Schema.parseJson())

const serverMessageOf = (body: ErrorBody): string | undefined => {
  if ("message" in body) return typeof body.details === "string" ? body.details : body.message
  if ("error" in body) return body.error
  return undefined
}

/**
 * Turns a response into success or a domain error. Any 2xx is success and its body is not read: Helicone answers
 * 201 where the spec says 200, and the body says nothing more. A 3xx is `Redirected`, never followed. `redact`
 * (`redactor(apiKey)`) runs over the body and the `Location` before an error is built from them.
 *
 * @internal
 */
export const classify = (
  response: HttpClientResponse.HttpClientResponse,
  redact: (text: string) => string
): Effect.Effect<void, SubmitScoreError> => {
  const status = response.status
  if (status >= 200 && status < 300) return Effect.void
  if (status >= 300 && status < 400) {
    const location = response.headers["location"]
    return Effect.zipRight(
      drain(response),
      Effect.fail(
        new Redirected({
          status,
          followed: false,
          ...(location === undefined ? {} : { location: redact(location).slice(0, locationLength) })
        })
      )
    )
  }
  if (status === 429) {
    return Effect.flatMap(
      Effect.zipRight(drain(response), retryAfterOf(response)),
      (retryAfter) => Effect.fail(new RateLimited(retryAfter === undefined ? {} : { retryAfter }))
    )
  }
  return Effect.flatMap(readText(response, redact), (raw): Effect.Effect<never, SubmitScoreError> => {
    const text = redact(raw)
    // parsed from the raw text, then redacted string by string: catches the key behind JSON escapes too
    const body = Option.map(decodeErrorBody(raw), (body) => redactJson(redact)(body) as ErrorBody)
    if (status === 401 || status === 403) {
      return Effect.fail(
        new Unauthorized(withMessage({ status }, Option.flatMap(body, (b) => Option.fromNullable(serverMessageOf(b)))))
      )
    }
    if (status === 400 || status === 413 || status === 422) {
      const json = Option.map(decodeJson(raw), redactJson(redact))
      const details = Option.match(json, {
        onNone: () => text.slice(0, snippetLength),
        onSome: (json) => Predicate.isRecord(json) && "details" in json ? json.details : json
      })
      return Effect.fail(new RequestRejected({ status, details }))
    }
    if (status === 408) {
      return Effect.fail(new HeliconeUnavailable({ reason: "the server timed out reading the request (408)" }))
    }
    if (status >= 500 && status < 600 && Option.isSome(body)) {
      return Effect.fail(
        new HeliconeServerError(withMessage({ status }, Option.fromNullable(serverMessageOf(body.value))))
      )
    }
    return Effect.fail(new UnexpectedResponse({ status, body: text.slice(0, snippetLength) }))
  })
}

/**
 * Reads a response's body to its end and ignores it, so that its connection can be reused (keep-alive). The caller's
 * timeout bounds it; a failure (a body cut short) is ignored.
 *
 * @internal
 */
export const drain = (response: HttpClientResponse.HttpClientResponse): Effect.Effect<void> =>
  Effect.ignore(response.arrayBuffer)

const withMessage = (
  fields: { readonly status: number },
  serverMessage: Option.Option<string>
): { readonly status: number; readonly serverMessage?: string } =>
  Option.isSome(serverMessage) ? { ...fields, serverMessage: serverMessage.value } : fields

const readText = (
  response: HttpClientResponse.HttpClientResponse,
  redact: (text: string) => string
): Effect.Effect<string, HeliconeUnavailable> =>
  Effect.mapError(
    response.text,
    (error) =>
      new HeliconeUnavailable({
        reason: redact(`the connection failed while reading the ${response.status} response (${describe(error)})`)
      })
  )

/**
 * `Retry-After` as a duration: delay-seconds, or an HTTP-date measured against the `Clock`.
 *
 * @internal
 */
export const retryAfterOf = (
  response: HttpClientResponse.HttpClientResponse
): Effect.Effect<Duration.Duration | undefined> => {
  const header = response.headers["retry-after"]?.trim()
  if (header === undefined || header === "") return Effect.succeed(undefined)
  if (/^\d+$/.test(header)) return Effect.succeed(Duration.seconds(Number(header)))
  const date = Date.parse(header)
  if (Number.isNaN(date)) return Effect.succeed(undefined)
  return Effect.map(Clock.currentTimeMillis, (now) => Duration.millis(Math.max(0, date - now)))
}

/**
 * A transport failure as a domain error. Only the reason and the cause's message are kept: never the request, whose
 * headers hold the key.
 *
 * @internal
 */
export const fromClientError = (redact: (text: string) => string) =>
(
  error: HttpClientError.HttpClientError
): Effect.Effect<never, HeliconeUnavailable> =>
  error._tag === "RequestError" && error.reason !== "Transport"
    ? Effect.dieMessage(redact(`HttpClient ${error.reason} error: ${describe(error)}`))
    : Effect.fail(new HeliconeUnavailable({ reason: redact(`the request failed in transport (${describe(error)})`) }))

/**
 * The failure for a 2xx that answered another request than the one sent: the `HttpClient` followed a redirect
 * (`HttpClient.followRedirects`, a custom client), so the answer says nothing about the submission.
 *
 * @internal
 */
export const followedRedirect = (
  response: HttpClientResponse.HttpClientResponse,
  redact: (text: string) => string
): Effect.Effect<never, Redirected> =>
  Effect.zipRight(
    drain(response),
    Effect.fail(
      new Redirected({
        status: response.status,
        followed: true,
        location: redact(response.request.url).slice(0, locationLength)
      })
    )
  )

const describe = (error: HttpClientError.HttpClientError): string => {
  const cause = error.cause
  const causeMessage = cause instanceof Error
    ? (cause.cause instanceof Error ? `${cause.message}: ${cause.cause.message}` : cause.message)
    : undefined
  return error.description ?? causeMessage ?? error.reason
}
