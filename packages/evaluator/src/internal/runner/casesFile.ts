/**
 * Appends case results to a JSONL file as they finish.
 *
 * Each result is encoded as one line of text, exactly `JSON.stringify(result)` (the tests compare them). The common
 * values are concatenated rather than passed to the JSON serializer: a call to `JSON.stringify` costs about a
 * microsecond here even for three short strings, more than a concatenated line's parts together, and a string that
 * JSON does not escape (one regular expression test) is its own JSON between quotes. Strings that need escaping,
 * objects, arrays and errors still go through `JSON.stringify`; a result it cannot encode (a `bigint`, a cycle) is
 * written by `safeStringify` instead.
 *
 * Every 64 K characters of text (plus the line that passes the mark) become one `Buffer`, off the V8 heap, written
 * asynchronously at its own offset in the file, so the write itself runs on libuv's thread pool while the next cases
 * run. The runner gives the event loop a turn every few milliseconds, which completes them; once `maxPending` are in
 * flight the next chunk is written synchronously, so at most that many chunks ever wait. (Asynchronous writes of
 * strings were tried first: while synchronous cases starved the event loop, their callbacks never came, and megabytes
 * of text outlived young-generation collections.) `close` waits for the writes in flight. If a write fails, the
 * writes already in flight after it may still land, so `close` cuts the file at the start of the first chunk that
 * was not written whole: the file always ends on a line boundary, with every line before the failure.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as NodeFs from "node:fs"
import * as Path from "node:path"
import type { CaseResult } from "../../EvalReport.js"
import type { Score } from "../../Scorer.js"
import { describe, safeStringify } from "../report/text.js"

const flushAt = 64 * 1024

/** The JSONL file of a run's case results. */
export interface CasesFile {
  /** Where the file is. */
  readonly path: string
  /** Appends one result as a line; written to the file 64 K characters at a time. */
  readonly write: (result: CaseResult) => void
  /**
   * Writes what is left, waits for the writes in flight and closes the file, once; gives the error if a write
   * failed (the file then ends with the last line before the failure).
   */
  readonly close: Effect.Effect<string | undefined>
}

/** Chunks in flight at which the next one is written synchronously. */
const maxPending = 32

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
  const fail = (error: unknown) => {
    failure ??= `writing the cases file ${path} failed: ${describe(error)}`
  }
  /** Where the first chunk that was not written whole starts; the file is cut there when it closes. */
  let cutAt = Infinity
  let position = 0
  let pending = 0
  let drained: (() => void) | undefined
  let closed = false
  /** Writes the chunk at `start` in the file from its byte `from` on, synchronously; no more after a failure. */
  const writeRest = (bytes: Buffer, start: number, from: number): void => {
    try {
      while (from < bytes.length && failure === undefined) {
        const written = NodeFs.writeSync(fd, bytes, from, bytes.length - from, start + from)
        if (written === 0) throw new Error("the file system took no bytes")
        from += written
      }
    } catch (error) {
      fail(error)
    }
    if (from < bytes.length) cutAt = Math.min(cutAt, start)
  }
  const flush = (): void => {
    const text = encoder.take()
    if (text.length === 0 || failure !== undefined) return
    const bytes = Buffer.from(text, "utf8")
    const start = position
    position += bytes.length
    if (pending >= maxPending) {
      writeRest(bytes, start, 0)
      return
    }
    pending++
    NodeFs.write(fd, bytes, 0, bytes.length, start, (error, written) => {
      if (error !== null) {
        fail(error)
        cutAt = Math.min(cutAt, start)
      } else if (written < bytes.length) {
        writeRest(bytes, start, written)
      }
      if (--pending === 0 && drained !== undefined) drained()
    })
  }
  return {
    path,
    write: (result) => {
      encoder.line(result)
      if (encoder.length >= flushAt) flush()
    },
    close: Effect.uninterruptible(Effect.async<string | undefined>((resume) => {
      if (closed) return resume(Effect.succeed(failure))
      closed = true
      const done = () => {
        drained = undefined
        try {
          if (cutAt !== Infinity) NodeFs.ftruncateSync(fd, cutAt)
          NodeFs.closeSync(fd)
        } catch {
          // the failure is reported already; a failing cut or close adds nothing the reader can use
        }
        resume(Effect.succeed(failure))
      }
      flush()
      if (pending === 0) done()
      else drained = done
    }))
  }
}

/** What `JSON.stringify` escapes in a string: control characters, `"`, `\`, and (lone) surrogates. */
// eslint-disable-next-line no-control-regex -- the control characters are what it looks for
const needsEscape = /[\u0000-\u001f"\\\ud800-\udfff]/
const maxBinaryScores = 6

/**
 * Encodes case results as JSON lines. Only for results built by the runner: the keys are written in the order the
 * runner creates them (`index, trial, input, output, expected, scores, errors, duration, requestId`, then `name`
 * and `metadata` when present), which is the order `JSON.stringify` follows.
 */
export class Encoder {
  /** The lines encoded since the last `take`, each ending in a newline. */
  private text = ""
  /** By scorer position: the name last seen there and its encoded `{"name":…,"score":`. */
  private readonly names: Array<string> = []
  private readonly prefixes: Array<string> = []
  /** The scorer names of the cached binary sections, and the sections by pattern. */
  private layout: ReadonlyArray<string> = []
  private sections: Array<string | undefined> = []

  /** The length, in UTF-16 units, of the text not yet taken. */
  get length(): number {
    return this.text.length
  }

  /** Gives the lines encoded since the last call, and forgets them. */
  take(): string {
    const text = this.text
    this.text = ""
    return text
  }

  /** Appends `JSON.stringify(result)` and a newline (`safeStringify` for a result JSON cannot hold). */
  line(result: CaseResult): void {
    let line: string
    try {
      line = this.result(result)
    } catch {
      // a bigint, a cycle, or a value whose `toJSON` takes its key: the whole result, exactly as JSON writes it
      line = safeStringify(result)
    }
    this.text += line + "\n"
  }

  private result(r: CaseResult): string {
    let line = "{\"index\":" + number(r.index) + ",\"trial\":" + number(r.trial) +
      field(",\"input\":", r.input) + field(",\"output\":", r.output) +
      field(",\"expected\":", r.expected)
    const section = this.binarySection(r)
    if (section !== undefined) line += section
    else {
      line += ",\"scores\":["
      const scores = r.scores
      for (let i = 0; i < scores.length; i++) {
        if (i > 0) line += ","
        line += this.score(i, scores[i])
      }
      line += r.errors.length === 0 ? "],\"errors\":[],\"duration\":" : "],\"errors\":" + JSON.stringify(r.errors) +
        ",\"duration\":"
    }
    line += number(r.duration) + ",\"requestId\":" + string(r.requestId)
    if (r.name !== undefined) line += ",\"name\":" + string(r.name)
    return line + field(",\"metadata\":", r.metadata) + "}"
  }

  /**
   * `,"scores":[…],"errors":[],"duration":` as one cached string, for a result with no errors whose scores are all 0
   * or 1 with no metadata (pass/fail scorers, booleans): there are only 4^n such sections for n scorers.
   */
  private binarySection(r: CaseResult): string | undefined {
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
      section = this.sections[pattern] = `,"scores":[${text.join(",")}],"errors":[],"duration":`
    }
    return section
  }

  private score(i: number, score: Score): string {
    if (this.names[i] !== score.name) {
      this.names[i] = score.name
      this.prefixes[i] = `{"name":${JSON.stringify(score.name)},"score":`
    }
    return this.prefixes[i] + number(score.score) + (score.boolean ? ",\"boolean\":true" : ",\"boolean\":false") +
      field(",\"metadata\":", score.metadata) + "}"
  }
}

/** A number as JSON writes it (`-0` as `0`, what is not finite as `null`). */
const number = (n: number): string => Number.isFinite(n) ? "" + n : "null"

/** A string as JSON writes it: between quotes as it is, unless it holds what JSON escapes. */
const string = (s: string): string => needsEscape.test(s) ? JSON.stringify(s) : "\"" + s + "\""

/** A key and its value, or nothing when JSON leaves the key out (`undefined`, a function, a symbol). */
const field = (key: string, value: unknown): string => {
  if (typeof value === "string") return key + string(value)
  if (typeof value === "number") return key + number(value)
  if (value === undefined) return ""
  // `JSON.stringify(result)` calls a value's own `toJSON` with its key; on its own the value would get "". Such a
  // line (a Date, a custom `toJSON`) is written by `line`'s fallback, the whole result through `JSON.stringify`.
  if (hasToJson(value)) throw keyedToJson
  const json = JSON.stringify(value) as string | undefined // throws on a bigint or a cycle
  return json === undefined ? "" : key + json
}

const hasToJson = (value: unknown): boolean =>
  typeof value === "object" && value !== null && typeof (value as { toJSON?: unknown }).toJSON === "function"

/** Thrown by `field` to have the whole line written by `JSON.stringify`. */
const keyedToJson = new Error("a value with its own toJSON")
