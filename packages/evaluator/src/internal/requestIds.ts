/**
 * Fresh request ids (random UUID v4) for the runner's cases, made in batches.
 *
 * `crypto.randomUUID()` (what `RequestId.make` calls) builds its text by concatenating 20 pieces, and V8 keeps the
 * result as a tree of about a dozen cons strings: some 470 bytes of heap per id instead of 48 for a flat string. A
 * run that keeps its case results keeps one id per case, and that tree was the largest part of each result; the GC
 * spent its time copying it. Here the random bytes for 256 ids come from one `crypto.getRandomValues` call, their
 * hex text is written into a buffer, and each id is read out of it as one flat string.
 *
 * @internal
 */
import type { RequestId } from "@helicone-effect/core/RequestId"

const batch = 256
const random = new Uint8Array(16 * batch)
const text = Buffer.allocUnsafe(36 * batch)
const hex = Buffer.from("0123456789abcdef", "latin1")
let next = batch

const refill = (): void => {
  globalThis.crypto.getRandomValues(random)
  let at = 0
  for (let id = 0; id < batch; id++) {
    const r = id * 16
    random[r + 6] = (random[r + 6] & 0x0f) | 0x40 // version 4
    random[r + 8] = (random[r + 8] & 0x3f) | 0x80 // variant 10
    for (let i = 0; i < 16; i++) {
      if (i === 4 || i === 6 || i === 8 || i === 10) text[at++] = 0x2d // "-"
      const byte = random[r + i]
      text[at++] = hex[byte >> 4]
      text[at++] = hex[byte & 15]
    }
  }
  next = 0
}

/** A fresh random UUID v4, lower-case, as a flat string. */
export const make = (): RequestId => {
  if (next === batch) refill()
  const start = 36 * next++
  return text.toString("latin1", start, start + 36) as RequestId
}
