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

/**
 * A typed failure in a few words, led by its tag when it has one (`MalformedOutput: …`), the way Effect prints a
 * failure: the tag is what a user matches on, and many errors' messages do not repeat it.
 */
export const describeFailure = (u: unknown): string => {
  const tag = Predicate.hasProperty(u, "_tag") && typeof u._tag === "string" ? u._tag : undefined
  // `Effect.tryPromise` without `catch`: the message is generic, the rejection is in `error`
  if (tag === "UnknownException" && Predicate.hasProperty(u, "error")) return `${tag}: ${describe(u.error)}`
  const text = describe(u)
  return tag === undefined || text === tag || text.startsWith(`${tag}:`) ? text : `${tag}: ${text}`
}

/**
 * `JSON.stringify`, with a `bigint` or a cycle written as a string rather than failing. Only an object that contains
 * itself is a cycle: one object reached twice by different paths (a shared score, the same input in every trial) is
 * written twice, as `JSON.stringify` does.
 */
export const safeStringify = (value: unknown, indent?: number): string => {
  try {
    // No replacer on the fast path: a replacer function makes JSON.stringify several times slower.
    return JSON.stringify(value, undefined, indent)
  } catch {
    // The objects being written, outermost first: `this` is the one that holds `v`, so what follows it is done.
    const ancestors: Array<object> = []
    return JSON.stringify(value, function(this: unknown, _key, v: unknown) {
      if (typeof v === "bigint") return v.toString()
      if (typeof v !== "object" || v === null) return v
      while (ancestors.length > 0 && ancestors[ancestors.length - 1] !== this) ancestors.pop()
      if (ancestors.includes(v)) return "[Circular]"
      ancestors.push(v)
      return v
    }, indent)
  }
}
