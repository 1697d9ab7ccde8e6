/**
 * The errors of Helicone's score API, each a `Schema.TaggedError` carrying the facts a caller needs and a message a
 * person can act on. None of them ever holds the API key.
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Predicate from "effect/Predicate"
import * as Schema from "effect/Schema"
import { isIntegerRejection, isRetriableStatus } from "./internal/http/retriable.js"

/**
 * The request id is not a UUID of version 1 to 5; nothing was sent.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidRequestId extends Schema.TaggedError<InvalidRequestId>("@helicone-effect/core/InvalidRequestId")(
  "InvalidRequestId",
  { requestId: Schema.String }
) {
  /**
   * @since 0.1.0
   */
  override get message(): string {
    return `Invalid Helicone request id ${
      JSON.stringify(this.requestId)
    }: it must be a UUID of version 1 to 5 (Helicone silently drops scores for any other id). Nothing was sent.`
  }
}

/**
 * One reason a score map was refused.
 *
 * @since 0.1.0
 * @category models
 */
export const ScoreIssue = Schema.Struct({ key: Schema.String, reason: Schema.String })

/**
 * @since 0.1.0
 * @category models
 */
export interface ScoreIssue extends Schema.Schema.Type<typeof ScoreIssue> {}

/**
 * The scores failed local validation; `issues` lists every offending key with the reason. Nothing was sent.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidScores extends Schema.TaggedError<InvalidScores>("@helicone-effect/core/InvalidScores")(
  "InvalidScores",
  { issues: Schema.Array(ScoreIssue) }
) {
  /**
   * @since 0.1.0
   */
  override get message(): string {
    const lines = this.issues.map((issue) => `  - ${JSON.stringify(issue.key)}: ${issue.reason}`)
    return `Invalid scores, nothing was sent:\n${lines.join("\n")}`
  }
}

/**
 * Helicone refused the API key (401, or 403): it is missing, unknown, or lacks write permission.
 *
 * @since 0.1.0
 * @category errors
 */
export class Unauthorized extends Schema.TaggedError<Unauthorized>("@helicone-effect/core/Unauthorized")(
  "Unauthorized",
  { status: Schema.Number, serverMessage: Schema.optional(Schema.String) }
) {
  /**
   * @since 0.1.0
   */
  override get message(): string {
    const reason = this.serverMessage === undefined
      ? "no reason given (Helicone answers this way for a key without write permission)"
      : this.serverMessage
    return `Helicone refused the API key (${this.status}): ${reason}. Check HELICONE_API_KEY and that the key may write.`
  }
}

/**
 * Helicone's rate limit was hit (429) and the retries did not get through. `retryAfter` is the server's
 * `Retry-After`, when it sent one.
 *
 * @since 0.1.0
 * @category errors
 */
export class RateLimited extends Schema.TaggedError<RateLimited>("@helicone-effect/core/RateLimited")(
  "RateLimited",
  { retryAfter: Schema.optional(Schema.DurationFromSelf) }
) {
  /**
   * @since 0.1.0
   */
  override get message(): string {
    const after = this.retryAfter === undefined
      ? ""
      : ` The server asked to wait ${Duration.format(this.retryAfter)} before trying again.`
    return `Helicone rate-limited the score submission (429).${after}`
  }
}

/**
 * Helicone rejected the request (400 or 422, or 413 for a body over its size limit); `details` is what the server
 * said (the `details` object of a 422, or the text of a 400). Retrying will not help.
 *
 * @since 0.1.0
 * @category errors
 */
export class RequestRejected extends Schema.TaggedError<RequestRejected>("@helicone-effect/core/RequestRejected")(
  "RequestRejected",
  { status: Schema.Number, details: Schema.Unknown }
) {
  /**
   * @since 0.1.0
   */
  override get message(): string {
    return `Helicone rejected the score submission (${this.status}): ${describeDetails(this.details)}`
  }
}

/**
 * Helicone answered with a server error (5xx) after the retries; `serverMessage` is its message, e.g.
 * `Score value for key 'x' must be an integer. Received: 0.5` from a self-hosted server.
 *
 * @since 0.1.0
 * @category errors
 */
export class HeliconeServerError
  extends Schema.TaggedError<HeliconeServerError>("@helicone-effect/core/HeliconeServerError")(
    "HeliconeServerError",
    { status: Schema.Number, serverMessage: Schema.optional(Schema.String) }
  )
{
  /**
   * @since 0.1.0
   */
  override get message(): string {
    return `Helicone failed with a server error (${this.status})${
      this.serverMessage === undefined ? "" : `: ${this.serverMessage}`
    }`
  }
}

/**
 * Helicone could not be reached: a connection failure or no answer within the timeout, after the retries.
 *
 * @since 0.1.0
 * @category errors
 */
export class HeliconeUnavailable
  extends Schema.TaggedError<HeliconeUnavailable>("@helicone-effect/core/HeliconeUnavailable")(
    "HeliconeUnavailable",
    { reason: Schema.String }
  )
{
  /**
   * @since 0.1.0
   */
  override get message(): string {
    return `Helicone is unavailable: ${this.reason}`
  }
}

/**
 * The server answered with something that is not Helicone's API: a status it never sends, or a body that is neither
 * JSON nor a documented shape (an HTML error page from a proxy, truncated JSON). `body` holds its first 200
 * characters.
 *
 * @since 0.1.0
 * @category errors
 */
export class UnexpectedResponse
  extends Schema.TaggedError<UnexpectedResponse>("@helicone-effect/core/UnexpectedResponse")(
    "UnexpectedResponse",
    { status: Schema.Number, body: Schema.String }
  )
{
  /**
   * @since 0.1.0
   */
  override get message(): string {
    return `Unexpected response from Helicone (${this.status}), is the base URL right? Body: ${
      JSON.stringify(this.body)
    }`
  }
}

/**
 * The server answered with a redirect (3xx), or the `HttpClient` followed one and the answer came from elsewhere
 * (`followed`). A score submission never follows a redirect: a 301 or 302 turns the POST into a GET, and the target's
 * 200 would count a score nobody stored. The base URL is wrong or moved; the score was not submitted, and it is not
 * retried. `location` is where the server pointed (the URL that answered, when `followed`), with the key redacted.
 *
 * @since 0.1.0
 * @category errors
 */
export class Redirected extends Schema.TaggedError<Redirected>("@helicone-effect/core/Redirected")(
  "Redirected",
  { status: Schema.Number, location: Schema.optional(Schema.String), followed: Schema.Boolean }
) {
  /**
   * @since 0.1.0
   */
  override get message(): string {
    const where = this.location === undefined ? "without a Location" : `to ${JSON.stringify(this.location)}`
    const what = this.followed
      ? `The HTTP client followed a redirect ${where} (answered ${this.status})`
      : `Helicone's base URL answered with a redirect (${this.status}) ${where}`
    return `${what}. Score submissions never follow redirects: nothing was accepted. Set the base URL to the server's ` +
      "current address."
  }
}

/**
 * The client was configured wrongly (for example an `http://` base URL to a remote host, where the API key would
 * travel in clear). Raised when the layer is built.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidConfig extends Schema.TaggedError<InvalidConfig>("@helicone-effect/core/InvalidConfig")(
  "InvalidConfig",
  { option: Schema.String, reason: Schema.String }
) {
  /**
   * @since 0.1.0
   */
  override get message(): string {
    return `Invalid Helicone configuration, ${this.option}: ${this.reason}`
  }
}

/**
 * Every way `submitScore` and `submitFeedback` can fail.
 *
 * @since 0.1.0
 * @category errors
 */
export type SubmitScoreError =
  | InvalidRequestId
  | InvalidScores
  | Unauthorized
  | RateLimited
  | RequestRejected
  | HeliconeServerError
  | HeliconeUnavailable
  | UnexpectedResponse
  | Redirected

/**
 * Tells whether the same submission is worth another attempt within the retry policy: rate limits, unavailability,
 * 408 and every 5xx other than the integer rejection. Invalid input, auth failures, rejections and redirects are not.
 *
 * @since 0.1.0
 * @category retries
 */
export const isRetriable = (error: SubmitScoreError): boolean => {
  switch (error._tag) {
    case "RateLimited":
    case "HeliconeUnavailable":
      return true
    case "HeliconeServerError":
      return isRetriableStatus(error.status) && !isIntegerRejection(error.serverMessage)
    case "UnexpectedResponse":
      return isRetriableStatus(error.status)
    default:
      return false
  }
}

/**
 * Tells whether Helicone refused the scores themselves, so that sending them again can never succeed: a queue sets
 * them aside (a dead letter). Failures that are not retriable but say nothing against the scores are not rejections:
 * a refused key (`Unauthorized`) and a redirect (`Redirected`) are fixed in the configuration, after which the same
 * scores go through, so a queue keeps them.
 *
 * @since 0.1.0
 * @category retries
 */
export const isRejection = (error: SubmitScoreError): boolean =>
  error._tag !== "Unauthorized" && error._tag !== "Redirected" && !isRetriable(error)

/**
 * Tells whether a value is one of the errors of this module.
 *
 * @since 0.1.0
 * @category guards
 */
export const isSubmitScoreError = (u: unknown): u is SubmitScoreError =>
  Predicate.isTagged(u, "InvalidRequestId") || Predicate.isTagged(u, "InvalidScores") ||
  Predicate.isTagged(u, "Unauthorized") || Predicate.isTagged(u, "RateLimited") ||
  Predicate.isTagged(u, "RequestRejected") || Predicate.isTagged(u, "HeliconeServerError") ||
  Predicate.isTagged(u, "HeliconeUnavailable") || Predicate.isTagged(u, "UnexpectedResponse") ||
  Predicate.isTagged(u, "Redirected")

const describeDetails = (details: unknown): string => {
  if (typeof details === "string") return details
  if (Predicate.isRecord(details)) {
    const entries = Object.entries(details).map(([field, value]) =>
      Predicate.isRecord(value) && typeof value.message === "string"
        ? `${field}: ${value.message}`
        : `${field}: ${safeJson(value)}`
    )
    if (entries.length > 0) return entries.join("; ")
  }
  return safeJson(details)
}

const safeJson = (u: unknown): string => {
  try {
    return JSON.stringify(u) ?? String(u)
  } catch {
    return String(u)
  }
}
