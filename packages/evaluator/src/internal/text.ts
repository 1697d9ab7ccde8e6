/**
 * Text for messages and files: a value described in a few words, JSON that never throws.
 *
 * @internal
 */
import * as Predicate from "effect/Predicate"

/** A thrown value, a failure or any value in a few words, for an error message. */
export const describe = (u: unknown): string => {
  if (u instanceof Error) return u.message || u.name
  if (Predicate.isRecord(u) && typeof u.message === "string") return u.message
  if (typeof u === "string") return JSON.stringify(u)
  try {
    return String(JSON.stringify(u) ?? u)
  } catch {
    return String(u)
  }
}

/** `JSON.stringify`, with a `bigint` or a cycle written as a string rather than failing. */
export const safeStringify = (value: unknown, indent?: number): string => {
  try {
    // No replacer on the fast path: a replacer function makes JSON.stringify several times slower.
    return JSON.stringify(value, undefined, indent)
  } catch {
    const seen = new WeakSet<object>()
    return JSON.stringify(value, (key, v) => {
      if (typeof v === "bigint") return v.toString()
      if (typeof v === "object" && v !== null) {
        if (seen.has(v)) return "[Circular]"
        seen.add(v)
      }
      return v
    }, indent)
  }
}
