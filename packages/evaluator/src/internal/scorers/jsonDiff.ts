/**
 * Structural JSON similarity, the formula of `docs/scorers.md` for `jsonDiff`.
 *
 * @internal
 */
import { isObject, parseStructured, toJsonValue } from "./json.js"
import { similarity } from "./levenshtein.js"
import { numericDiff } from "./numericDiff.js"

/**
 * Recursive similarity in [0, 1]. At every level a value with a `toJSON` method (a `Date`) is
 * replaced by what it returns, and a string holding JSON for an object or an array is parsed;
 * then:
 * - two objects: the mean over the union of their keys, a key missing on one side scoring 0
 *   (whatever the other side holds, `null` included); a key whose value is `undefined` counts as
 *   absent, as in JSON; both without keys → 1;
 * - two arrays: compared like objects keyed by index, so the sum over the common indices divided
 *   by the longer length (extra elements score 0); both empty → 1;
 * - two strings: Levenshtein similarity; two numbers: numeric difference;
 * - other leaves (booleans, `null`, `undefined`): 1 if `===`, else 0;
 * - mismatched types (an object against an array, a number against a string, `null` against
 *   anything else): 0.
 *
 * @internal
 */
export const jsonDiff = (output: unknown, expected: unknown): number => {
  const a = normalize(output)
  const b = normalize(expected)
  if (typeof a === "string") return typeof b === "string" ? similarity(a, b) : 0
  if (typeof a === "number") return typeof b === "number" ? numericDiff(a, b) : 0
  if (Array.isArray(a)) return Array.isArray(b) ? arrayDiff(a, b) : 0
  if (isObject(a)) return isObject(b) ? objectDiff(a, b) : 0
  return a === b ? 1 : 0
}

const normalize = (u: unknown): unknown => {
  const value = toJsonValue(u)
  return typeof value === "string" ? parseStructured(value) ?? value : value
}

const objectDiff = (a: Readonly<Record<string, unknown>>, b: Readonly<Record<string, unknown>>): number => {
  let sum = 0
  let count = 0
  for (const key of Object.keys(a)) {
    const value = a[key]
    if (value === undefined) continue
    count++
    const other = Object.hasOwn(b, key) ? b[key] : undefined
    if (other !== undefined) sum += jsonDiff(value, other)
  }
  for (const key of Object.keys(b)) {
    if (b[key] !== undefined && (!Object.hasOwn(a, key) || a[key] === undefined)) count++
  }
  return count === 0 ? 1 : sum / count
}

const arrayDiff = (a: ReadonlyArray<unknown>, b: ReadonlyArray<unknown>): number => {
  if (a.length === 0 && b.length === 0) return 1
  const common = Math.min(a.length, b.length)
  let sum = 0
  for (let i = 0; i < common; i++) sum += jsonDiff(a[i], b[i])
  return sum / Math.max(a.length, b.length)
}
