/**
 * Body validation with the error shapes of Helicone's server (tsoa's validator with `throw-on-extras`): each bad
 * field becomes an entry of `details`, keyed by its path from `requestBody`.
 *
 * Unlike tsoa, what an answer quotes back is bounded: each key and value is cut to `maxQuotedChars`, and `details`
 * lists at most `maxDetails` fields, so that a 10 MB body cannot earn a larger answer.
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

/**
 * The most characters of one key or value that an answer quotes.
 *
 * @internal
 */
export const maxQuotedChars = 200

/**
 * The most fields `details` lists; the rest are counted in one more entry, keyed `"…"`.
 *
 * @internal
 */
export const maxDetails = 20

/**
 * The text itself when short, else its first `maxQuotedChars` characters and how long it was.
 *
 * @internal
 */
export const truncate = (text: string): string => {
  if (text.length <= maxQuotedChars) return text
  // Not between the two halves of a surrogate pair.
  const end = text.charCodeAt(maxQuotedChars - 1) >= 0xd800 && text.charCodeAt(maxQuotedChars - 1) <= 0xdbff
    ? maxQuotedChars - 1
    : maxQuotedChars
  return `${text.slice(0, end)}… (truncated, ${text.length} characters)`
}

/** A value as an answer quotes it: itself when short, else its JSON text truncated. */
const quote = (value: unknown): unknown => {
  if (typeof value === "string") return truncate(value)
  if (typeof value !== "object" || value === null) return value
  const text = JSON.stringify(value)
  return text.length <= maxQuotedChars ? value : truncate(text)
}

const isObject = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

const field = (message: string, value: unknown): FieldError =>
  value === undefined ? { message } : { message, value: quote(value) }

/** Collects at most `maxDetails` field errors and counts the rest. */
class Details {
  readonly errors: FieldErrors = {}
  count = 0
  add(path: string, error: () => FieldError): void {
    this.count += 1
    if (this.count <= maxDetails) this.errors[path] = error()
  }
  finish<A>(value: A): Validated<A> {
    if (this.count === 0) return { _tag: "Valid", value }
    if (this.count > maxDetails) {
      this.errors["…"] = { message: `${this.count - maxDetails} more invalid fields, not listed` }
    }
    return { _tag: "Invalid", details: this.errors }
  }
}

/**
 * `{ scores: Record<string, number | boolean> }`, a named model: excess keys are reported one by one.
 *
 * @internal
 */
export const scoreRequest = (body: unknown): Validated<Record<string, number | boolean>> => {
  const details = new Details()
  if (!isObject(body)) {
    details.add("requestBody", () => field("invalid object", body))
    return details.finish({})
  }
  const scores = body.scores
  if (scores === undefined) {
    details.add("requestBody.scores", () => field("'scores' is required", undefined))
  } else if (!isObject(scores)) {
    details.add("requestBody.scores", () => field("invalid object", scores))
  } else {
    for (const [key, value] of Object.entries(scores)) {
      if (typeof value === "number" || typeof value === "boolean") continue
      const path = `requestBody.scores.${truncate(key)}`
      details.add(path, () => {
        const issues = [
          { [path]: field("invalid float number", value) },
          { [path]: field("invalid boolean value", value) }
        ]
        return field(`Could not match the union against any of the items. Issues: ${JSON.stringify(issues)}`, value)
      })
    }
  }
  for (const key of Object.keys(body)) {
    if (key !== "scores") {
      const name = truncate(key)
      details.add(
        `requestBody.${name}`,
        () => field(`"${name}" is an excess property and therefore is not allowed`, key)
      )
    }
  }
  return details.finish(isObject(scores) ? scores as Record<string, number | boolean> : {})
}

/**
 * `{ rating: boolean }`, an inline object literal: excess keys are reported together, on `requestBody` itself.
 *
 * @internal
 */
export const feedbackRequest = (body: unknown): Validated<boolean> => {
  const details = new Details()
  if (!isObject(body)) {
    details.add("requestBody", () => field("invalid object", body))
    return details.finish(false)
  }
  const excess = Object.keys(body).filter((key) => key !== "rating")
  if (excess.length > 0) {
    details.add("requestBody", () => {
      const listed = excess.slice(0, maxDetails)
      // tsoa lists the excess values last key first.
      const values: Record<string, unknown> = {}
      for (let i = listed.length - 1; i >= 0; i--) values[truncate(listed[i])] = quote(body[listed[i]])
      const names = listed.map(truncate).join(",") + (excess.length > listed.length ? ",…" : "")
      const more = excess.length > listed.length ? ` (${excess.length} excess properties)` : ""
      return { message: `"${names}" is an excess property and therefore is not allowed${more}`, value: values }
    })
  }
  const rating = body.rating
  if (rating === undefined) {
    details.add("requestBody.rating", () => field("'rating' is required", undefined))
  } else if (typeof rating !== "boolean") {
    details.add("requestBody.rating", () => field("invalid boolean value", rating))
  }
  return details.finish(rating === true)
}
