/**
 * Body validation with the error shapes of Helicone's server (tsoa's validator with `throw-on-extras`): each bad
 * field becomes an entry of `details`, keyed by its path from `requestBody`.
 */

/** @internal */
export interface FieldError {
  readonly message: string
  readonly value?: unknown
}

/** @internal */
export type FieldErrors = Record<string, FieldError>

/** @internal */
export type Validated<A> =
  | { readonly _tag: "Valid"; readonly value: A }
  | { readonly _tag: "Invalid"; readonly details: FieldErrors }

const isObject = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

const field = (message: string, value: unknown): FieldError => value === undefined ? { message } : { message, value }

const finish = <A>(errors: FieldErrors, value: A): Validated<A> =>
  Object.keys(errors).length > 0 ? { _tag: "Invalid", details: errors } : { _tag: "Valid", value }

/**
 * `{ scores: Record<string, number | boolean> }`, a named model: excess keys are reported one by one.
 *
 * @internal
 */
export const scoreRequest = (body: unknown): Validated<Record<string, number | boolean>> => {
  const errors: FieldErrors = {}
  if (!isObject(body)) {
    errors["requestBody"] = field("invalid object", body)
    return finish(errors, {})
  }
  const scores = body.scores
  if (scores === undefined) {
    errors["requestBody.scores"] = field("'scores' is required", undefined)
  } else if (!isObject(scores)) {
    errors["requestBody.scores"] = field("invalid object", scores)
  } else {
    for (const [key, value] of Object.entries(scores)) {
      if (typeof value === "number" || typeof value === "boolean") continue
      const path = `requestBody.scores.${key}`
      const issues = [
        { [path]: field("invalid float number", value) },
        { [path]: field("invalid boolean value", value) }
      ]
      errors[path] = field(
        `Could not match the union against any of the items. Issues: ${JSON.stringify(issues)}`,
        value
      )
    }
  }
  for (const key of Object.keys(body)) {
    if (key !== "scores") {
      errors[`requestBody.${key}`] = field(`"${key}" is an excess property and therefore is not allowed`, key)
    }
  }
  return finish(errors, isObject(scores) ? scores as Record<string, number | boolean> : {})
}

/**
 * `{ rating: boolean }`, an inline object literal: excess keys are reported together, on `requestBody` itself.
 *
 * @internal
 */
export const feedbackRequest = (body: unknown): Validated<boolean> => {
  const errors: FieldErrors = {}
  if (!isObject(body)) {
    errors["requestBody"] = field("invalid object", body)
    return finish(errors, false)
  }
  const excess = Object.keys(body).filter((key) => key !== "rating")
  if (excess.length > 0) {
    errors["requestBody"] = field(
      `"${excess.join(",")}" is an excess property and therefore is not allowed`,
      excess.reduce((acc, key) => ({ [key]: body[key], ...acc }), {})
    )
  }
  const rating = body.rating
  if (rating === undefined) {
    errors["requestBody.rating"] = field("'rating' is required", undefined)
  } else if (typeof rating !== "boolean") {
    errors["requestBody.rating"] = field("invalid boolean value", rating)
  }
  return finish(errors, rating === true)
}
