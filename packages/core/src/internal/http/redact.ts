/**
 * Redaction of the API key in text a server sent back: a proxy or a misbehaving server may echo the request's
 * `Authorization` header in its body, a header or a `Location`, as written, JSON-escaped, URL-encoded or in base64.
 * That text ends up in errors, logs, spans and the queue's dead-letter file, so each of them goes through here.
 *
 * @internal
 */
import * as Predicate from "effect/Predicate"
import * as Redacted from "effect/Redacted"

/**
 * What a text shows in place of the API key.
 *
 * @internal
 */
export const redactedMarker = "<redacted>"

/**
 * A function that replaces every form of the key in a text with `<redacted>`: the key as written, JSON-escaped,
 * URL-encoded (upper- or lower-case hex, `+` or `%20` for a space), and base64 or base64url at each of the three
 * byte alignments it can have inside a longer encoded text (`Bearer <key>` in base64 does not contain the key's own
 * base64). Redact before truncating, which could cut the key in two.
 *
 * @internal
 */
export const redactor = (apiKey: Redacted.Redacted<string> | string): (text: string) => string => {
  const secret = typeof apiKey === "string" ? apiKey : Redacted.value(apiKey)
  if (secret === "") return (text) => text
  const needles = formsOf(secret)
  return (text) => {
    let out = text
    for (const needle of needles) {
      if (out.includes(needle)) out = out.split(needle).join(redactedMarker)
    }
    return out
  }
}

/**
 * The same, through every string (and property name) of a parsed JSON value.
 *
 * @internal
 */
export const redactJson = (redact: (text: string) => string) => {
  const go = (value: unknown): unknown => {
    if (typeof value === "string") return redact(value)
    if (Array.isArray(value)) return value.map(go)
    if (Predicate.isRecord(value)) {
      const out: Record<string, unknown> = {}
      for (const [key, field] of Object.entries(value)) {
        Object.defineProperty(out, redact(key), {
          value: go(field),
          enumerable: true,
          writable: true,
          configurable: true
        })
      }
      return out
    }
    return value
  }
  return go
}

/** Every encoded form of the secret worth looking for, longest first (a shorter one may be inside a longer one). */
const formsOf = (secret: string): ReadonlyArray<string> => {
  const forms = new Set<string>([secret, JSON.stringify(secret).slice(1, -1)])
  const component = encodeURIComponent(secret)
  forms.add(component)
  forms.add(component.replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase()))
  forms.add(encodeURI(secret))
  const bytes = new TextEncoder().encode(secret)
  for (const base64 of base64Cores(bytes)) {
    forms.add(base64)
    const url = base64.replace(/\+/g, "-").replace(/\//g, "_")
    forms.add(url)
    forms.add(encodeURIComponent(base64))
  }
  // a form too short to be told from ordinary text is left out (a key is never that short in practice)
  return [...forms].filter((form) => form.length >= 8).sort((a, b) => b.length - a.length)
}

/**
 * The base64 of the secret's bytes wherever they sit in a longer input: the whole encoding (with padding) when the
 * secret starts a 3-byte group, and, for each offset, the characters that depend on the secret's bytes alone.
 */
const base64Cores = (bytes: Uint8Array): ReadonlyArray<string> => {
  const cores: Array<string> = [encodeBase64(bytes)]
  for (let offset = 0; offset < 3; offset++) {
    const padded = new Uint8Array(offset + bytes.length)
    padded.set(bytes, offset)
    const encoded = encodeBase64(padded).replace(/=+$/, "")
    // the first group mixes in the padding bytes, the last partial group the bytes that follow the secret
    const start = offset === 0 ? 0 : 4
    const whole = Math.floor(padded.length / 3) * 4
    cores.push(encoded.slice(start, whole))
  }
  return cores
}

const encodeBase64 = (bytes: Uint8Array): string => {
  let binary = ""
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary)
}
