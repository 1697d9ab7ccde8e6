/**
 * Deep equality of JSON values, as the `exactMatch` scorer decides it.
 *
 * @internal
 */
import { isObject, toJsonValue } from "./json.js"

/**
 * `true` when `a` and `b` are the same JSON value:
 * - strings, numbers, booleans and `null` are equal only to the same value of the same type: no
 *   coercion (`123` ≠ `"123"`), and strings are neither trimmed nor parsed (`'{"a":1}'` ≠
 *   `{ a: 1 }`); `NaN` equals `NaN` and `0` equals `-0`;
 * - arrays are equal element by element, in order;
 * - objects are equal when they have the same keys with equal values, in any order; a key whose
 *   value is `undefined` counts as absent, as in JSON (`{ a: 1, b: undefined }` = `{ a: 1 }`);
 * - a value with a `toJSON` method (a `Date`) is compared as what it returns, as
 *   `JSON.stringify` would see it;
 * - anything else (`undefined`, bigints, functions, symbols) only with `===`.
 *
 * Identical values, and so the common case of two equal strings, are decided by the first `===`.
 *
 * @internal
 */
export const exactMatch = (a: unknown, b: unknown): boolean => a === b || sameJson(toJsonValue(a), toJsonValue(b))

const sameJson = (a: unknown, b: unknown): boolean => {
  if (a === b) return true
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) {
    // NaN is the one value that is not `===` to itself
    return a !== a && b !== b
  }
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false
    for (let i = 0; i < a.length; i++) {
      if (!exactMatch(a[i], b[i])) return false
    }
    return true
  }
  return isObject(a) && isObject(b) && sameEntries(a, b)
}

const sameEntries = (a: Readonly<Record<string, unknown>>, b: Readonly<Record<string, unknown>>): boolean => {
  let defined = 0
  for (const key of Object.keys(a)) {
    const value = a[key]
    if (value === undefined) continue
    if (!Object.hasOwn(b, key) || !exactMatch(value, b[key])) return false
    defined++
  }
  // every defined key of `a` is a defined key of `b`: the key sets are equal when the counts are
  for (const key of Object.keys(b)) {
    if (b[key] !== undefined) defined--
  }
  return defined === 0
}
