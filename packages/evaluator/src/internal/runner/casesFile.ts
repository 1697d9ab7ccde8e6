/**
 * Appends case results to a JSONL file as they finish, through `@effect/platform`'s `FileSystem`.
 *
 * Each result is encoded as one line of text, exactly `JSON.stringify(result)` (the tests compare them). The common
 * values are concatenated rather than passed to the JSON serializer: a call to `JSON.stringify` costs about a
 * microsecond here even for three short strings, more than a concatenated line's parts together, and a string that
 * JSON does not escape (one regular expression test) is its own JSON between quotes. Strings that need escaping,
 * objects, arrays and errors still go through `JSON.stringify`; a result it cannot encode (a `bigint`, a cycle, a
 * `toJSON` or a getter that throws) is written by `safeStringify` instead, and the values it wrote notes for are
 * counted for a warning (`unwritable`).
 *
 * Every 64 K characters of text (plus the line that passes the mark) are encoded at once (`encodeInto`) into a 4 MB
 * slab of bytes, off the V8 heap, so the text does not outlive young-generation collections. One writer fiber writes
 * a slab with `writeAll` while the next one fills; when it finishes, it takes whatever was encoded meanwhile, so a
 * run that outpaces the disk writes fewer, larger pieces, and written slabs are filled again (no buffer per chunk).
 * The runner gives the event loop a turn every few milliseconds, which completes the writes. Once `maxSealed` full
 * slabs wait, `write` gives an Effect that waits for the writer, and the runner waits before its next case. `close`
 * waits for the writer; if a write failed, nothing is written after it and the file is cut where that write started:
 * it always ends on a line boundary, with every line before the failure.
 *
 * @internal
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Runtime from "effect/Runtime"
import * as Scope from "effect/Scope"
import type { CaseResult } from "../../EvalReport.js"
import type { Score } from "../../Scorer.js"
import { caseLabel } from "../report/labels.js"
import { describe, safeStringify, Unwritable } from "../report/text.js"

const flushAt = 64 * 1024

/** The JSONL file of a run's case results. */
export interface CasesFile {
  /** Where the file is. */
  readonly path: string
  /**
   * Appends one result as a line; written to the file 64 K characters at a time. Gives an Effect to wait on when
   * the writer has fallen `maxQueued` bytes behind.
   */
  readonly write: (result: CaseResult) => Effect.Effect<void> | undefined
  /**
   * Writes what is left, waits for the writer and closes the file, once; gives the error if a write failed (the
   * file then ends with the last line before the failure).
   */
  readonly close: Effect.Effect<string | undefined>
  /** A warning when values of the results written so far could not be written as JSON (notes stand in their place). */
  readonly unwritable: () => string | undefined
}

/** The bytes of a slab: text is encoded into one while the writer writes others. */
const slabSize = 4 * 1024 * 1024
/** Filled slabs waiting for the writer at which `write` asks the runner to wait. */
const maxSealed = 2

/** Opens (truncates) the file, creating its directory, once per run; gives the reason when it cannot. */
export const open = (
  path: string
): Effect.Effect<CasesFile | string, never, FileSystem.FileSystem | Path.Path> =>
  Effect.uninterruptible(Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const paths = yield* Path.Path
    const scope = yield* Scope.make()
    const opened = yield* fs.makeDirectory(paths.dirname(path), { recursive: true }).pipe(
      Effect.zipRight(fs.open(path, { flag: "w" })),
      Scope.extend(scope),
      Effect.either
    )
    if (Either.isLeft(opened)) {
      yield* Scope.close(scope, Exit.void)
      return `cannot write the cases file ${path}: ${describe(opened.left)}`
    }
    const handle = opened.right
    const runFork = Runtime.runFork(yield* Effect.runtime<never>())
    const encoder = new Encoder()
    let failure: string | undefined
    /** Bytes written whole; after a failure, where the file is cut when it closes. */
    let position = 0
    /** The slab that text is encoded into, and how much of it is filled. */
    let slab: Uint8Array = new Uint8Array(slabSize)
    let used = 0
    /** Filled slabs waiting for the writer, and written ones to fill again. */
    let sealed: Array<Uint8Array> = []
    const free: Array<Uint8Array> = []
    let writing = false
    /** Workers held back by `maxSealed`, woken when the writer takes a slab; and `close`, woken when it stops. */
    let room: Array<() => void> = []
    let idle: Array<() => void> = []
    let closed = false
    const wakeAll = (waiters: Array<() => void>) => {
      for (const wake of waiters) wake()
    }
    const waitIn = (waiters: () => Array<() => void>, done: () => boolean) =>
      Effect.async<void>((resume) => {
        if (done()) return resume(Effect.void)
        const wake = () => resume(Effect.void)
        waiters().push(wake)
        return Effect.sync(() => {
          const list = waiters()
          const at = list.indexOf(wake)
          if (at >= 0) list.splice(at, 1)
        })
      })
    const waitForRoom = waitIn(() => room, () => sealed.length < maxSealed)
    const waitForIdle = waitIn(() => idle, () => !writing)
    /** Hands the filled part of the slab to the writer and takes a fresh slab. */
    const seal = (): void => {
      if (used === 0) return
      sealed.push(slab.subarray(0, used))
      slab = free.pop() ?? new Uint8Array(slabSize)
      used = 0
    }
    /** Writes the sealed slabs, then what was encoded meanwhile, until nothing is left; stops at the first failure. */
    const writer: Effect.Effect<void> = Effect.suspend(() => {
      if (sealed.length === 0) seal()
      const bytes = sealed.shift()
      if (bytes === undefined || failure !== undefined) {
        writing = false
        sealed = []
        const woken = [...room, ...idle]
        room = []
        idle = []
        wakeAll(woken)
        return Effect.void
      }
      const woken = room
      room = []
      wakeAll(woken)
      return handle.writeAll(bytes).pipe(
        Effect.matchEffect({
          onFailure: (error) => {
            failure ??= `writing the cases file ${path} failed: ${describe(error)}`
            return writer
          },
          onSuccess: () => {
            position += bytes.length
            if (bytes.buffer.byteLength === slabSize && free.length < 2) free.push(new Uint8Array(bytes.buffer))
            return writer
          }
        })
      )
    })
    const flush = (): void => {
      const text = encoder.take()
      if (text.length === 0 || failure !== undefined) return
      // UTF-8 takes at most 3 bytes per UTF-16 unit.
      if (slab.length - used < 3 * text.length) {
        seal()
        if (slab.length < 3 * text.length) slab = new Uint8Array(3 * text.length)
      }
      used += textEncoder.encodeInto(text, slab.subarray(used)).written
      if (!writing) {
        writing = true
        runFork(writer)
      }
    }
    return {
      path,
      write: (result) => {
        encoder.line(result)
        if (encoder.length < flushAt) return undefined
        flush()
        return sealed.length >= maxSealed ? waitForRoom : undefined
      },
      close: Effect.uninterruptible(Effect.suspend(() => {
        if (closed) return Effect.succeed(failure)
        closed = true
        flush()
        return waitForIdle.pipe(
          Effect.zipRight(
            Effect.suspend(() => failure === undefined ? Effect.void : Effect.ignore(handle.truncate(position)))
          ),
          Effect.zipRight(Scope.close(scope, Exit.void)),
          Effect.map(() => failure)
        )
      })),
      unwritable: () => encoder.unwritable.warning(`the cases file ${path}`)
    } satisfies CasesFile
  }))

const textEncoder = new TextEncoder()

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
  /** The values `safeStringify` wrote notes for. */
  readonly unwritable = new Unwritable()

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
      // a bigint, a cycle, or a value whose `toJSON` takes its key (or throws): the whole result, as JSON writes it
      line = safeStringify(result, undefined, (path, why) => this.unwritable.add(`${caseLabel(result)} ${path}`, why))
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
