/**
 * A linear reader of newline-separated lines, for the outbox files: each byte is read and scanned once, and a line's
 * blocks are joined once, when its newline arrives. A line longer than `maxLineBytes` is not kept: it is returned as
 * too long (with its first bytes) and memory stays below the limit.
 *
 * @internal
 */
import type * as PlatformError from "@effect/platform/Error"
import type * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"

/** The longest outbox line read; a longer one is set aside. Helicone's body limit is 10 MB. */
export const defaultMaxLineBytes = 16 * 1024 * 1024
/** Bytes of a too-long line kept, to be set aside. */
const headBytes = 64 * 1024
const blockSize = 64 * 1024
const newline = 10

/** A line read: its bytes (newline excluded) and where it ends in the file (its newline included). */
export type Line =
  | { readonly _tag: "Line"; readonly bytes: Uint8Array; readonly end: number }
  | { readonly _tag: "TooLong"; readonly head: Uint8Array; readonly length: number; readonly end: number }

const isBlank = (bytes: Uint8Array): boolean => {
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]
    if (byte !== 32 && byte !== 9 && byte !== 13) return false
  }
  return true
}

const join = (parts: ReadonlyArray<Uint8Array>, length: number): Uint8Array => {
  if (parts.length === 1) return parts[0]
  const joined = new Uint8Array(length)
  let at = 0
  for (const part of parts) {
    joined.set(part, at)
    at += part.length
  }
  return joined
}

/**
 * Reads the lines of `file` from its current position (`start` in the file), a few at a time. Blank lines are
 * skipped; a last line without a newline (cut short by a crash) is still returned, so it can be set aside.
 */
export const make = (file: FileSystem.File, start: number, maxLineBytes: number = defaultMaxLineBytes) => {
  let block: Uint8Array = new Uint8Array(0)
  let position = 0
  /** The start of the current line, before this block. */
  let parts: Array<Uint8Array> = []
  let partLength = 0
  /** The current line passed `maxLineBytes`: its head is kept, the rest counted. */
  let tooLong = false
  let lineLength = 0
  let offset = start
  let eof = false

  const finish = (tail: Uint8Array, lines: Array<Line>, terminated: boolean) => {
    lineLength += tail.length
    offset += tail.length + (terminated ? 1 : 0)
    if (tooLong) {
      lines.push({ _tag: "TooLong", head: join(parts, partLength), length: lineLength, end: offset })
    } else {
      const bytes = parts.length === 0 ? tail : join([...parts, tail], partLength + tail.length)
      if (!isBlank(bytes)) lines.push({ _tag: "Line", bytes, end: offset })
    }
    parts = []
    partLength = 0
    tooLong = false
    lineLength = 0
  }

  const keep = (part: Uint8Array) => {
    lineLength += part.length
    offset += part.length
    if (tooLong) return
    if (partLength + part.length > maxLineBytes) {
      tooLong = true
      const head = join([...parts, part], partLength + part.length).slice(0, headBytes)
      parts = [head]
      partLength = head.length
      return
    }
    parts.push(part)
    partLength += part.length
  }

  const take = (max: number): Effect.Effect<Array<Line>, PlatformError.PlatformError> =>
    Effect.gen(function*() {
      const lines: Array<Line> = []
      while (lines.length < max) {
        if (position < block.length) {
          const end = block.indexOf(newline, position)
          if (end >= 0) {
            finish(block.subarray(position, end), lines, true)
            position = end + 1
          } else {
            keep(block.subarray(position))
            position = block.length
          }
          continue
        }
        if (eof) {
          if (partLength > 0 || tooLong) finish(new Uint8Array(0), lines, false)
          break
        }
        const next = yield* file.readAlloc(blockSize)
        if (Option.isNone(next)) {
          eof = true
        } else {
          block = next.value
          position = 0
        }
      }
      return lines
    })

  return {
    take,
    /** The offset in the file after the last line returned. */
    offset: () => offset
  }
}
