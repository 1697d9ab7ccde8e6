/**
 * Appends case results to a JSONL file as they finish.
 *
 * Each result is encoded straight into a byte buffer, which is written with one synchronous write per 64 KB. The
 * bytes are exactly those of `JSON.stringify(result)` (the tests compare them), but the common values cost a copy
 * loop rather than a call into the JSON serializer: `JSON.stringify` costs a fixed few hundred nanoseconds per call,
 * and a line built by string concatenation is a tree of cons strings that the write has to flatten. Strings that
 * need escaping or are not ASCII, objects, arrays and errors still go through `JSON.stringify`; a result it cannot
 * encode (a `bigint`, a cycle) is written by `safeStringify` instead, as before.
 *
 * Writes are synchronous on purpose: asynchronous writes were tried first, and while synchronous cases kept the
 * event loop busy their callbacks came late, so megabytes of text outlived young-generation collections and the
 * process's RSS grew by a hundred megabytes of garbage on a million-case run.
 *
 * @internal
 */
import * as NodeFs from "node:fs"
import * as Path from "node:path"
import type { CaseResult } from "../EvalReport.js"
import type { Score } from "../Scorer.js"
import { safeStringify } from "./text.js"
import { describe } from "./text.js"

const flushAt = 64 * 1024

export interface CasesFile {
  readonly path: string
  readonly write: (result: CaseResult) => void
  /** Writes what is left and closes the file; gives the error if a write failed (later lines are then dropped). */
  readonly close: () => string | undefined
}

/** Opens (truncates) the file, once per run. */
export const open = (path: string): CasesFile | string => {
  let fd: number
  try {
    NodeFs.mkdirSync(Path.dirname(path), { recursive: true })
    fd = NodeFs.openSync(path, "w")
  } catch (error) {
    return `cannot write the cases file ${path}: ${describe(error)}`
  }
  const encoder = new Encoder()
  let failure: string | undefined
  const flush = () => {
    if (encoder.at > 0 && failure === undefined) {
      try {
        NodeFs.writeSync(fd, encoder.bytes, 0, encoder.at)
      } catch (error) {
        failure = `writing the cases file ${path} failed: ${describe(error)}`
      }
    }
    encoder.at = 0
  }
  return {
    path,
    write: (result) => {
      encoder.line(result)
      if (encoder.at >= flushAt) flush()
    },
    close: () => {
      flush()
      try {
        NodeFs.closeSync(fd)
      } catch {
        // the data is written; a failing close changes nothing for the reader
      }
      return failure
    }
  }
}

const quote = 0x22
const backslash = 0x5c
const newline = 0x0a

const bytesOf = (text: string): Uint8Array => Buffer.from(text, "utf8")
const indexKey = bytesOf("{\"index\":")
const trialKey = bytesOf(",\"trial\":")
const scoresKey = bytesOf(",\"scores\":[")
const noErrorsKey = bytesOf("],\"errors\":[]")
const errorsKey = bytesOf("],\"errors\":")
const durationKey = bytesOf(",\"duration\":")
const requestIdKey = bytesOf(",\"requestId\":")
const nameKey = bytesOf(",\"name\":")
const metadataKey = bytesOf(",\"metadata\":")
const isTrue = bytesOf(",\"boolean\":true")
const isFalse = bytesOf(",\"boolean\":false")
const nextScore = bytesOf(",")
const close = bytesOf("}")
const maxBinaryScores = 6

/**
 * Encodes case results as JSON lines into a growing buffer. Only for results built by the runner: the keys are
 * written in the order the runner creates them (`index, trial, input, output, expected, scores, errors, duration,
 * requestId`, then `name` and `metadata` when present), which is the order `JSON.stringify` follows.
 *
 * Per-character loops in JavaScript cost more here than a native call, so text goes in with `Buffer#write`,
 * constant keys with `Uint8Array#set`, and only the written bytes of a string are scanned for what JSON escapes.
 */
export class Encoder {
  bytes: Buffer = Buffer.allocUnsafe(2 * flushAt)
  at = 0
  /** By scorer position: the name last seen there and its encoded `{"name":…,"score":`. */
  private readonly names: Array<string> = []
  private readonly prefixes: Array<Uint8Array> = []
  /** The scorer names of the cached binary sections, and the sections by pattern. */
  private layout: ReadonlyArray<string> = []
  private sections: Array<Uint8Array | undefined> = []

  /** Appends `JSON.stringify(result)` and a newline (`safeStringify` for a result JSON cannot hold). */
  line(result: CaseResult): void {
    const start = this.at
    try {
      this.result(result)
    } catch {
      this.at = start
      this.text(safeStringify(result))
    }
    this.ensure(1)
    this.bytes[this.at++] = newline
  }

  private result(r: CaseResult): void {
    this.put(indexKey)
    this.number(r.index)
    this.put(trialKey)
    this.number(r.trial)
    // The three values of unknown type in one call (it throws on a bigint or a cycle): `{"input":…,"expected":…}`
    // with the keys JSON leaves out already left out. Written in place, its `{` becomes the `,` after the trial.
    const values = JSON.stringify({ input: r.input, output: r.output, expected: r.expected })
    if (values.length > 2) {
      const at = this.at
      this.text(values)
      this.bytes[at] = 0x2c // ","
      this.at-- // the "}"
    }
    const section = this.binarySection(r)
    if (section !== undefined) this.put(section)
    else {
      this.put(scoresKey)
      const scores = r.scores
      for (let i = 0; i < scores.length; i++) {
        if (i > 0) this.put(nextScore)
        this.score(i, scores[i])
      }
      if (r.errors.length === 0) this.put(noErrorsKey)
      else {
        this.put(errorsKey)
        this.text(JSON.stringify(r.errors))
      }
      this.put(durationKey)
    }
    this.number(r.duration)
    this.put(requestIdKey)
    this.string(r.requestId)
    if (r.name !== undefined) {
      this.put(nameKey)
      this.string(r.name)
    }
    this.field(metadataKey, r.metadata)
    this.put(close)
  }

  /**
   * `,"scores":[…],"errors":[],"duration":` as one cached chunk, for a result with no errors whose scores are all 0 or
   * 1 with no metadata (pass/fail scorers, booleans): there are only 4^n such sections for n scorers.
   */
  private binarySection(r: CaseResult): Uint8Array | undefined {
    const scores = r.scores
    if (r.errors.length !== 0 || scores.length > maxBinaryScores) return undefined
    let layout = scores.length === this.layout.length
    let pattern = 0
    for (let i = 0; i < scores.length; i++) {
      const score = scores[i]
      const value = score.score
      if ((value !== 0 && value !== 1) || score.metadata !== undefined) return undefined
      if (score.name !== this.layout[i]) layout = false
      pattern = 4 * pattern + 2 * value + (score.boolean ? 1 : 0)
    }
    if (!layout) {
      this.layout = scores.map((score) => score.name)
      this.sections = []
    }
    let section = this.sections[pattern]
    if (section === undefined) {
      const text = scores.map((s) => `{"name":${JSON.stringify(s.name)},"score":${s.score},"boolean":${s.boolean}}`)
      section = this.sections[pattern] = bytesOf(`,"scores":[${text.join(",")}],"errors":[],"duration":`)
    }
    return section
  }

  private score(i: number, score: Score): void {
    if (this.names[i] !== score.name) {
      this.names[i] = score.name
      this.prefixes[i] = bytesOf(`{"name":${JSON.stringify(score.name)},"score":`)
    }
    this.put(this.prefixes[i])
    this.number(score.score)
    this.put(score.boolean ? isTrue : isFalse)
    this.field(metadataKey, score.metadata)
    this.put(close)
  }

  /** A key and its value, or nothing when JSON leaves the key out (`undefined`, a function, a symbol). */
  private field(key: Uint8Array, value: unknown): void {
    if (value === undefined) return
    const json = JSON.stringify(value) as string | undefined // throws on a bigint or a cycle
    if (json === undefined) return
    this.put(key)
    this.text(json)
  }

  /** A number as JSON writes it; small non-negative integers digit by digit, with no string in between. */
  private number(n: number): void {
    if (!(n >= 0 && n < 1e9 && n === Math.floor(n))) {
      this.text(Number.isFinite(n) ? "" + n : "null")
      return
    }
    this.ensure(9)
    const bytes = this.bytes
    let digits = 1
    for (let rest = n; rest >= 10; rest = Math.floor(rest / 10)) digits++
    let at = this.at + digits
    this.at = at
    let rest = n
    do {
      const next = Math.floor(rest / 10)
      bytes[--at] = 0x30 + rest - 10 * next
      rest = next
    } while (rest > 0)
  }

  /**
   * A JSON string: its UTF-8 bytes between quotes, when they hold nothing JSON escapes; else `JSON.stringify`'s
   * text. A lone surrogate is written by `Buffer#write` as U+FFFD (EF BF BD), so those bytes also take the slow way.
   */
  private string(s: string): void {
    this.ensure(3 * s.length + 2)
    const bytes = this.bytes
    const start = this.at
    bytes[start] = quote
    const end = start + 1 + bytes.write(s, start + 1)
    for (let i = start + 1; i < end; i++) {
      const c = bytes[i]
      if (
        c < 0x20 || c === quote || c === backslash || (c === 0xef && bytes[i + 1] === 0xbf && bytes[i + 2] === 0xbd)
      ) {
        this.text(JSON.stringify(s))
        return
      }
    }
    bytes[end] = quote
    this.at = end + 1
  }

  /** Any text, as UTF-8. */
  private text(s: string): void {
    this.ensure(3 * s.length)
    this.at += this.bytes.write(s, this.at)
  }

  private put(chunk: Uint8Array): void {
    this.ensure(chunk.length)
    this.bytes.set(chunk, this.at)
    this.at += chunk.length
  }

  /** Room for `n` more bytes after `at`; the buffer grows (rarely: a long line) and keeps what it holds. */
  private ensure(n: number): void {
    if (this.at + n <= this.bytes.length) return
    const bigger = Buffer.allocUnsafe(Math.max(2 * this.bytes.length, this.at + n))
    this.bytes.copy(bigger, 0, 0, this.at)
    this.bytes = bigger
  }
}
