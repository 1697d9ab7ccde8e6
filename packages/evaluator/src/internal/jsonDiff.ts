/**
 * Structural JSON similarity, the number autoevals' `JSONDiff` gives with its default string
 * and number scorers.
 *
 * @internal
 */
import { canonicalJson, isObject, parseStructured } from "./json.js"
import { similarity } from "./levenshtein.js"
import { numericDiff } from "./numericDiff.js"

/**
 * Recursive similarity in [0, 1]. At every level a string holding JSON for an object or an array
 * is parsed first; then:
 * - two objects: 1 if both are empty, else the mean over the union of their own keys, a key
 *   missing on one side comparing `undefined` with the other value;
 * - two arrays: 1 if both are empty, else the sum over the common indices divided by the longer
 *   length (extra elements score 0);
 * - two strings: Levenshtein similarity; two numbers: numeric difference;
 * - `null`/`undefined` on both sides: 1; on one side only: 0;
 * - anything else (booleans, or mismatched types such as an object against an array or a number
 *   against a string): Levenshtein similarity of their JSON texts with sorted keys.
 *
 * @internal
 */
export const jsonDiff = (a: unknown, b: unknown): number => {
  if (typeof a === "string") a = parseStructured(a) ?? a
  if (typeof b === "string") b = parseStructured(b) ?? b
  if (typeof a === "string" && typeof b === "string") return similarity(a, b)
  if (typeof a === "number" && typeof b === "number") return numericDiff(a, b)
  if (Array.isArray(a)) {
    if (Array.isArray(b)) return arrayDiff(a, b)
  } else if (isObject(a) && isObject(b)) {
    return objectDiff(a, b)
  }
  const aNullish = a === null || a === undefined
  const bNullish = b === null || b === undefined
  if (aNullish || bNullish) return aNullish && bNullish ? 1 : 0
  return similarity(canonicalJson(a), canonicalJson(b))
}

const objectDiff = (a: Readonly<Record<string, unknown>>, b: Readonly<Record<string, unknown>>): number => {
  const aKeys = Object.keys(a)
  const bKeys = Object.keys(b)
  if (aKeys.length === 0 && bKeys.length === 0) return 1
  let sum = 0
  let count = aKeys.length
  for (const key of aKeys) {
    sum += jsonDiff(a[key], Object.hasOwn(b, key) ? b[key] : undefined)
  }
  for (const key of bKeys) {
    if (!Object.hasOwn(a, key)) {
      sum += jsonDiff(undefined, b[key])
      count++
    }
  }
  return sum / count
}

const arrayDiff = (a: ReadonlyArray<unknown>, b: ReadonlyArray<unknown>): number => {
  if (a.length === 0 && b.length === 0) return 1
  const common = Math.min(a.length, b.length)
  let sum = 0
  for (let i = 0; i < common; i++) sum += jsonDiff(a[i], b[i])
  return sum / Math.max(a.length, b.length)
}
