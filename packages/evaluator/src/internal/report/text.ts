/**
 * Text for messages and files: a value described in a few words, JSON that never throws.
 *
 * Every value a task, a scorer or a dataset hands the evaluator reaches text through here, so these functions never
 * throw, whatever the value: a thrown value whose `message` getter throws, a revoked `Proxy`, an object whose `toJSON`
 * or getters throw, a `bigint`, a cycle. Ordinary values take the plain path (`JSON.stringify`, `.message`) at its
 * usual cost; the guarded path runs only once the plain one has thrown.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Predicate from "effect/Predicate"

/** A thrown value, a failure or any value in a few words, for an error message. */
export const describe = (u: unknown): string => {
  try {
    if (u instanceof Error) return u.message || u.name
    if (Predicate.isRecord(u) && typeof u.message === "string") return u.message
    if (typeof u === "string") return JSON.stringify(u)
    return String(JSON.stringify(u) ?? u)
  } catch (error) {
    try {
      // a `bigint`, or an object with a cycle, a `toJSON` or a getter that throws, a revoked Proxy
      if (typeof u !== "object" || u === null) return String(u)
      if (u instanceof Error) return `${String(u.name)} whose message cannot be read (${shallowMessage(error)})`
      let whole: string | undefined
      const text = safeStringify(u, undefined, (path, why) => {
        if (path === "") whole = why
      })
      return whole === undefined ? text : `a value that cannot be read (${whole})`
    } catch (again) {
      return `a value that cannot be read (${shallowMessage(again)})`
    }
  }
}

/**
 * A typed failure in a few words, led by its tag when it has one (`MalformedOutput: …`), the way Effect prints a
 * failure: the tag is what a user matches on, and many errors' messages do not repeat it.
 */
export const describeFailure = (u: unknown): string => {
  let tag: string | undefined
  try {
    tag = Predicate.hasProperty(u, "_tag") && typeof u._tag === "string" ? u._tag : undefined
    // `Effect.tryPromise` without `catch`: the message is generic, the rejection is in `error`
    if (tag === "UnknownException" && Predicate.hasProperty(u, "error")) return `${tag}: ${describe(u.error)}`
  } catch {
    return describe(u)
  }
  const text = describe(u)
  return tag === undefined || text === tag || text.startsWith(`${tag}:`) ? text : `${tag}: ${text}`
}

/** `Cause.pretty`, or the squashed cause in a few words when printing it throws (a hostile value in the cause). */
export const prettyCause = (cause: Cause.Cause<unknown>): string => {
  try {
    return Cause.pretty(cause)
  } catch {
    return describe(Cause.squash(cause))
  }
}

/**
 * The message of an error thrown while reading a value, without reading anything that may throw again in turn (the
 * error may be as hostile as the value).
 */
const shallowMessage = (error: unknown): string => {
  try {
    if (typeof error === "string") return error
    if (error instanceof Error && typeof error.message === "string" && error.message !== "") return error.message
  } catch {
    // fall through
  }
  return "reading it threw"
}

/**
 * Told of each value that {@link safeStringify} could not write and wrote a note in place of: where it is (a path
 * from the top value, `output.items[2]`, or `` for the top value itself) and why.
 */
export type OnUnwritable = (path: string, why: string) => void

/**
 * Collects what {@link safeStringify} could not write, for one warning: `add` is its `onUnwritable`.
 */
export class Unwritable {
  count = 0
  private readonly first: Array<string> = []
  readonly add: OnUnwritable = (path, why) => {
    this.count++
    if (this.first.length < 3) this.first.push(path === "" ? why : `${path}: ${why}`)
  }
  /** `undefined` when every value was written; else a warning that `what` (`the JSON report r.json`) names. */
  warning(what: string): string | undefined {
    if (this.count === 0) return undefined
    const values = this.count === 1 ? "1 value" : `${this.count.toLocaleString("en-US")} values`
    const more = this.count > this.first.length ? `; ${this.count - this.first.length} more` : ""
    return `${what}: ${values} could not be written as JSON and ${
      this.count === 1 ? "is" : "are"
    } written as "[unwritable: …]" in ${this.count === 1 ? "its place" : "their places"} (${
      this.first.join("; ")
    }${more})`
  }
}

/**
 * `JSON.stringify`, written whatever the value. A `bigint` is written as its digits and a cycle as `"[Circular]"`;
 * a value that cannot be read (a `toJSON` or a getter that throws, a revoked `Proxy`, nesting too deep) as a string
 * that says why, `"[unwritable: its toJSON threw: boom]"`, with `onUnwritable` told. Only an object that contains
 * itself is a cycle: one object reached twice by different paths (a shared score, the same input in every trial) is
 * written twice, as `JSON.stringify` does.
 */
export const safeStringify = (value: unknown, indent?: number, onUnwritable?: OnUnwritable): string => {
  try {
    // No replacer on the fast path: a replacer function makes JSON.stringify several times slower.
    return JSON.stringify(value, undefined, indent)
  } catch {
    // `JSON.stringify` calls `toJSON` and getters before a replacer sees their values, so no replacer can catch what
    // they throw: the value is copied into plain data by `writable`, reading each part once, and that is written.
    const walk = new Walk(onUnwritable)
    try {
      return JSON.stringify(walk.writable(value, ""), undefined, indent)
    } catch (error) {
      // the copy itself could not be made (a stack already nearly full)
      const why = `it could not be copied: ${shallowMessage(error)}`
      onUnwritable?.("", why)
      return JSON.stringify(unwritable(why))
    }
  }
}

/** Deeper than this, a value is written as a note: `JSON.stringify` itself throws at some depth. */
const maxDepth = 1000

const unwritable = (why: string): string => `[unwritable: ${why}]`

/** What `JSON.stringify` writes in place of a value, as plain data that it writes without calling anything. */
class Walk {
  /** The objects being copied, outermost first, and the keys that lead to each from its parent. */
  private readonly ancestors: Array<object> = []
  private readonly keys: Array<string> = []
  constructor(private readonly onUnwritable: OnUnwritable | undefined) {}

  private note(key: string, why: string): string {
    this.onUnwritable?.(this.path(key), why)
    return unwritable(why)
  }

  private path(key: string): string {
    let path = ""
    for (const k of [...this.keys.slice(1), key]) {
      path += /^\d+$/.test(k) ? `[${k}]` : path === "" ? k : `.${k}`
    }
    return path
  }

  /** The value as `JSON.stringify` would see it under `key` (`""` at the top), copied into plain data. */
  writable(value: unknown, key: string): unknown {
    let v = value
    if ((typeof v === "object" && v !== null) || typeof v === "bigint") {
      let toJSON: unknown
      try {
        toJSON = (v as { readonly toJSON?: unknown }).toJSON
      } catch (error) {
        return this.note(key, `reading it threw: ${shallowMessage(error)}`)
      }
      if (typeof toJSON === "function") {
        try {
          v = toJSON.call(v, key)
        } catch (error) {
          return this.note(key, `its toJSON threw: ${shallowMessage(error)}`)
        }
      }
    }
    switch (typeof v) {
      case "string":
      case "number":
      case "boolean":
        return v
      case "bigint":
        return v.toString()
      case "undefined":
      case "function":
      case "symbol":
        return undefined
    }
    if (v === null) return null
    const object = v as object
    if (this.ancestors.includes(object)) return "[Circular]"
    if (this.ancestors.length >= maxDepth) return this.note(key, `nested more than ${maxDepth} deep`)
    this.ancestors.push(object)
    this.keys.push(key)
    let copy: unknown
    let failure: { readonly error: unknown } | undefined
    try {
      copy = this.copy(object)
    } catch (error) {
      // a revoked Proxy, a `valueOf` or an `ownKeys` trap that throws
      failure = { error }
    } finally {
      this.ancestors.pop()
      this.keys.pop()
    }
    return failure === undefined ? copy : this.note(key, `reading it threw: ${shallowMessage(failure.error)}`)
  }

  private copy(v: object): unknown {
    // boxed primitives, which `JSON.stringify` writes as their values
    if (v instanceof Number) return Number(v)
    if (v instanceof String) return String(v)
    if (v instanceof Boolean) return v.valueOf()
    if (Array.isArray(v)) {
      const length: number = v.length
      const copy: Array<unknown> = new Array(length)
      for (let i = 0; i < length; i++) copy[i] = this.property(v, String(i))
      return copy
    }
    // No prototype: a key such as `__proto__` is a key like any other.
    const copy: Record<string, unknown> = Object.create(null)
    for (const k of Object.keys(v)) copy[k] = this.property(v, k)
    return copy
  }

  private property(holder: object, key: string): unknown {
    let value: unknown
    try {
      value = (holder as Record<string, unknown>)[key]
    } catch (error) {
      return this.note(key, `reading it threw: ${shallowMessage(error)}`)
    }
    return this.writable(value, key)
  }
}
