import type * as Statistics from "../../Statistics.js"

const encoder = new TextEncoder()

/**
 * FNV-1a, 64-bit, over the UTF-8 bytes of `text`, as 16 lower-case hex digits. The 64-bit product is done in two
 * 32-bit halves: the prime is 2^40 + 0x1b3, so `h * prime` is `h * 0x1b3 + (h << 40)`.
 */
export const fnv1a64 = (text: string): string => {
  let hi = 0xcbf29ce4
  let lo = 0x84222325
  for (const byte of encoder.encode(text)) {
    lo ^= byte
    const low = (lo >>> 0) * 0x1b3
    const carry = Math.floor(low / 0x100000000)
    hi = (Math.imul(hi, 0x1b3) + carry + (lo << 8)) >>> 0
    lo = low >>> 0
  }
  return hi.toString(16).padStart(8, "0") + (lo >>> 0).toString(16).padStart(8, "0")
}

/**
 * `value` as JSON with every object's keys sorted (by UTF-16 code units, as RFC 8785 does), written as
 * `JSON.stringify` would write it otherwise: `toJSON` is called, `undefined`, functions and symbols are left out of
 * objects and are `null` in arrays, and a number that is not finite is `null`. So a value and its JSON read back have
 * the same canonical form. A bigint is written as the string of its digits; a value met again inside itself, as
 * `"[circular]"`.
 */
export const canonicalJson = (value: unknown): string => write(value, new Set()) ?? "null"

const write = (value: unknown, open: Set<object>): string | undefined => {
  if (value !== null && typeof value === "object" && typeof (value as { toJSON?: unknown }).toJSON === "function") {
    value = (value as { toJSON: () => unknown }).toJSON()
  }
  switch (typeof value) {
    case "string":
      return JSON.stringify(value)
    case "number":
      return Number.isFinite(value) ? JSON.stringify(value) : "null"
    case "boolean":
      return value ? "true" : "false"
    case "bigint":
      return JSON.stringify(value.toString())
    case "object": {
      if (value === null) return "null"
      if (open.has(value)) return "\"[circular]\""
      open.add(value)
      let out: string
      if (Array.isArray(value)) {
        // by index, not `map`, which skips the holes of a sparse array (JSON writes them as null)
        const items: Array<string> = []
        for (let i = 0; i < value.length; i++) items.push(write(value[i], open) ?? "null")
        out = "[" + items.join(",") + "]"
      } else if (value instanceof Number || value instanceof String || value instanceof Boolean) {
        out = write(value.valueOf(), open) ?? "null"
      } else {
        const parts: Array<string> = []
        for (const key of Object.keys(value).sort()) {
          const item = write((value as Record<string, unknown>)[key], open)
          if (item !== undefined) parts.push(JSON.stringify(key) + ":" + item)
        }
        out = "{" + parts.join(",") + "}"
      }
      open.delete(value)
      return out
    }
    default:
      return undefined
  }
}

/** @see Statistics.caseKey */
export const caseKey = (c: Statistics.KeyedCase): string => {
  if (typeof c.name === "string" && c.name !== "") return `name:${c.name}`
  if ((typeof c.id === "string" && c.id !== "") || typeof c.id === "number") return `id:${c.id}`
  return `input:${fnv1a64(canonicalJson(c.input))}`
}

/** @see Statistics.caseKeys */
export const caseKeys = (cases: Iterable<Statistics.KeyedCase>): Array<string> => {
  const seen = new Map<string, number>()
  const keys: Array<string> = []
  for (const c of cases) {
    const key = caseKey(c)
    const n = (seen.get(key) ?? 0) + 1
    seen.set(key, n)
    keys.push(n === 1 ? key : `${key}#${n}`)
  }
  return keys
}

/** @see Statistics.shardOf */
export const shardOf = (key: string, shards: number): number => {
  if (!Number.isInteger(shards) || shards < 1) throw new RangeError(`shards must be a whole number of at least 1`)
  // FNV-1a leaves keys that differ in their last characters close together: MurmurHash3's finaliser (fmix32) spreads
  // them over every bit before the remainder is taken
  const hash = fnv1a64(key)
  let h = (Number.parseInt(hash.slice(0, 8), 16) ^ Number.parseInt(hash.slice(8), 16)) >>> 0
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return (h >>> 0) % shards + 1
}
