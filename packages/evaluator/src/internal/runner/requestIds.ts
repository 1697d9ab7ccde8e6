/**
 * Fresh request ids (random UUID v4) for the runner's cases, made in batches.
 *
 * `crypto.randomUUID()` (what `RequestId.make` calls) builds its text by concatenating 20 pieces, and V8 keeps the
 * result as a tree of about a dozen cons strings: some 470 bytes of heap per id instead of 48 for a flat string. A
 * run that keeps its case results keeps one id per case, and that tree was the largest part of each result; the GC
 * spent its time copying it. Here the random bytes for 256 ids come from one `crypto.getRandomValues` call (the Web
 * Crypto global of Node 20+, Deno, Bun and every browser) and each id is made by one `String.fromCharCode` call: a
 * flat string, in about a third of the time of `randomUUID`.
 *
 * @internal
 */
import type { RequestId } from "@helicone-effect/core/RequestId"

const batch = 256
const random = new Uint8Array(16 * batch)
let next = batch

/** The character codes of a byte's high and low hex digits. */
const high = new Uint8Array(256)
const low = new Uint8Array(256)
for (let byte = 0; byte < 256; byte++) {
  high[byte] = "0123456789abcdef".charCodeAt(byte >> 4)
  low[byte] = "0123456789abcdef".charCodeAt(byte & 15)
}
const dash = 0x2d

/** A fresh random UUID v4, lower-case, as a flat string. */
export const make = (): RequestId => {
  if (next === batch) {
    globalThis.crypto.getRandomValues(random)
    next = 0
  }
  const r = 16 * next++
  const x = random
  const b6 = (x[r + 6] & 0x0f) | 0x40 // version 4
  const b8 = (x[r + 8] & 0x3f) | 0x80 // variant 10
  // One call with 36 character codes: a flat string, with no buffer or substring in between.
  return String.fromCharCode(
    high[x[r]],
    low[x[r]],
    high[x[r + 1]],
    low[x[r + 1]],
    high[x[r + 2]],
    low[x[r + 2]],
    high[x[r + 3]],
    low[x[r + 3]],
    dash,
    high[x[r + 4]],
    low[x[r + 4]],
    high[x[r + 5]],
    low[x[r + 5]],
    dash,
    high[b6],
    low[b6],
    high[x[r + 7]],
    low[x[r + 7]],
    dash,
    high[b8],
    low[b8],
    high[x[r + 9]],
    low[x[r + 9]],
    dash,
    high[x[r + 10]],
    low[x[r + 10]],
    high[x[r + 11]],
    low[x[r + 11]],
    high[x[r + 12]],
    low[x[r + 12]],
    high[x[r + 13]],
    low[x[r + 13]],
    high[x[r + 14]],
    low[x[r + 14]],
    high[x[r + 15]],
    low[x[r + 15]]
  ) as RequestId
}
