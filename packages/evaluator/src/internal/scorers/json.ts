/**
 * JSON helpers shared by the `jsonValid`, `jsonDiff` and `exactMatch` scorers.
 *
 * @internal
 */

/**
 * A JSON object, as opposed to an array or a primitive.
 *
 * @internal
 */
export const isObject = (u: unknown): u is Readonly<Record<string, unknown>> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

/**
 * Parses `text` when it is JSON for an object or an array; returns `undefined` otherwise
 * (invalid JSON, or a bare string, number, boolean or `null`). Text that does not start with
 * `{` or `[` after JSON whitespace cannot be an object or an array, so it is rejected without
 * calling `JSON.parse` (no exception on the hot path of plain strings).
 *
 * @internal
 */
export const parseStructured = (text: string): object | undefined => {
  let i = 0
  let c = text.charCodeAt(0)
  // JSON whitespace: space, tab, line feed, carriage return
  while (c === 32 || c === 9 || c === 10 || c === 13) c = text.charCodeAt(++i)
  if (c !== 123 && c !== 91) return undefined
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/**
 * What `JSON.stringify` would serialise in place of `u`: the result of its `toJSON` method when it
 * has one (a `Date` becomes its ISO string), otherwise `u` itself.
 *
 * @internal
 */
export const toJsonValue = (u: unknown): unknown =>
  typeof u === "object" && u !== null && typeof (u as { readonly toJSON?: unknown }).toJSON === "function"
    ? (u as { readonly toJSON: (key: string) => unknown }).toJSON("")
    : u
