/**
 * Equality as autoevals' `ExactMatch` decides it.
 *
 * @internal
 */
/**
 * Two strings are equal when they are identical. Otherwise both sides are turned into text and
 * the texts compared: an object, an array or `null` becomes its `JSON.stringify` text (so key
 * order matters), `undefined` counts as `null`, and when either side is an object, array or
 * `null`, a string on the other side holding JSON is re-serialised (`'{"a": 1}'` equals
 * `{ a: 1 }`); anything else becomes `String(value)` (so `123` equals `"123"`).
 *
 * @internal
 */
export const exactMatch = (output: unknown, expected: unknown): boolean => {
  if (typeof output === "string" && typeof expected === "string") return output === expected
  const structured = typeof output === "object" || typeof expected === "object"
  return toText(output ?? null, structured) === toText(expected ?? null, structured)
}

const toText = (u: unknown, structured: boolean): string | undefined => {
  if (typeof u === "object") return JSON.stringify(u)
  if (typeof u === "string" && structured) return reserialize(u)
  return String(u)
}

const reserialize = (text: string): string => {
  try {
    return JSON.stringify(JSON.parse(text))
  } catch {
    return text
  }
}
