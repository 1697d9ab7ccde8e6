/**
 * The id of a request logged by Helicone: a UUID of version 1 to 5.
 *
 * Helicone silently drops a score whose request id is not a v1–v5 UUID (a v7 UUID is lost without an error), so
 * the id is checked before anything is sent.
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import { InvalidRequestId } from "./HeliconeError.js"

/**
 * The pattern Helicone's server applies to request ids (case-insensitive).
 *
 * @since 0.1.0
 * @category models
 */
export const pattern: RegExp = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i

/**
 * A Helicone request id: a string that is a UUID of version 1 to 5, in any letter case.
 *
 * @since 0.1.0
 * @category models
 */
export const RequestId: Schema.brand<Schema.filter<typeof Schema.String>, "RequestId"> = Schema.String.pipe(
  Schema.filter((s) => pattern.test(s), {
    message: () => "a Helicone request id must be a UUID of version 1 to 5",
    identifier: "RequestIdPattern"
  }),
  Schema.brand("RequestId"),
  Schema.annotations({
    identifier: "RequestId",
    description: "a UUID of version 1 to 5, the id Helicone gives a logged request"
  })
)

/**
 * @since 0.1.0
 * @category models
 */
export type RequestId = typeof RequestId.Type

/**
 * Generates a fresh version 4 request id. Send it to Helicone in the `Helicone-Request-Id` header of the LLM call,
 * then use it to submit scores for that call.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (): RequestId => globalThis.crypto.randomUUID() as RequestId

/**
 * Tells whether a value is a valid request id.
 *
 * @since 0.1.0
 * @category guards
 */
export const is: (u: unknown) => u is RequestId = Schema.is(RequestId)

/**
 * Checks a value and returns it as a `RequestId`, or the `InvalidRequestId` error a submission would fail with.
 *
 * @since 0.1.0
 * @category validation
 */
export const validate = (u: unknown): Either.Either<RequestId, InvalidRequestId> =>
  is(u) ? Either.right(u) : Either.left(new InvalidRequestId({ requestId: describe(u) }))

const describe = (u: unknown): string => {
  const text = typeof u === "string" ? u : `${u === null ? "null" : typeof u} value`
  return text.length > 100 ? `${text.slice(0, 100)}…` : text
}
