/**
 * Pull-based case sources shared by the runner's workers.
 *
 * A source hands out one item at a time with a synchronous `take` (no Effect, no allocation for arrays) and is
 * refilled with `fill` only when its buffer runs dry, so the per-case cost of reading data is a function call.
 *
 * @internal
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as FiberId from "effect/FiberId"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { describe } from "../report/text.js"
import { fromPromiseLike } from "./promise.js"

/** A dataset row that could not be read; becomes a case with a `data` error. */
export class Invalid {
  constructor(readonly message: string, readonly line: number | undefined) {}
}

/** The source has no more items. */
export const Done: unique symbol = Symbol.for("@helicone-effect/evaluator/source/Done")
/** The buffer is empty: run `fill`, then `take` again. */
export const Empty: unique symbol = Symbol.for("@helicone-effect/evaluator/source/Empty")

export interface Source<A> {
  readonly take: () => A | Invalid | typeof Done | typeof Empty
  /** Refills the buffer; concurrent callers share one refill. */
  readonly fill: Effect.Effect<void>
}

export const fromArray = <A>(items: ReadonlyArray<A>): Source<A> => {
  let i = 0
  return { take: () => (i < items.length ? items[i++] : Done), fill: Effect.void }
}

export const fromIterator = <A>(iterator: Iterator<A>): Source<A> => {
  let done = false
  return {
    take: () => {
      if (done) return Done
      try {
        const next = iterator.next()
        if (next.done) {
          done = true
          return Done
        }
        return next.value
      } catch (error) {
        done = true
        return new Invalid(`the data iterator threw: ${describe(error)}`, undefined)
      }
    },
    fill: Effect.void
  }
}

/**
 * A source refilled by `pull`, which returns the next block of items or `Done`. A failure of `pull` must already be
 * turned into an `Invalid` item by the caller.
 */
const buffered = <A>(pull: Effect.Effect<ReadonlyArray<A | Invalid> | typeof Done>): Source<A> => {
  let buffer: ReadonlyArray<A | Invalid> = []
  let head = 0
  let done = false
  let refill: Deferred.Deferred<void> | undefined
  return {
    take: () => (head < buffer.length ? buffer[head++] : done ? Done : Empty),
    fill: Effect.suspend(() => {
      if (head < buffer.length || done) return Effect.void
      if (refill !== undefined) return Deferred.await(refill)
      const latch = Deferred.unsafeMake<void>(FiberId.none)
      refill = latch
      return pull.pipe(
        Effect.map((items) => {
          if (items === Done) done = true
          else {
            buffer = items
            head = 0
          }
        }),
        Effect.ensuring(Effect.suspend(() => {
          refill = undefined
          return Deferred.succeed(latch, undefined)
        }))
      )
    })
  }
}

const recover = <A>(what: string) => (cause: Cause.Cause<unknown>) =>
  Cause.isInterruptedOnly(cause)
    ? Effect.failCause(cause as Cause.Cause<never>)
    : Effect.succeed<ReadonlyArray<A | Invalid>>([new Invalid(`${what}: ${describe(Cause.squash(cause))}`, undefined)])

export const fromAsyncIterator = <A>(
  iterate: () => AsyncIterator<A>
): Effect.Effect<Source<A>, never, Scope.Scope> =>
  Effect.gen(function*() {
    let done = false
    const iterator = yield* Effect.acquireRelease(
      Effect.sync(iterate),
      // What closing the iterator rejects with (or throws) is not the run's to report: its cases are recorded.
      (it) =>
        done || it.return === undefined ?
          Effect.void :
          Effect.catchAllCause(fromPromiseLike(Promise.resolve().then(() => it.return!())), () => Effect.void)
    )
    return buffered<A>(Effect.suspend((): Effect.Effect<ReadonlyArray<A | Invalid> | typeof Done> => {
      if (done) return Effect.succeed(Done)
      return Effect.tryPromise(() => iterator.next()).pipe(
        Effect.map((next): ReadonlyArray<A | Invalid> | typeof Done => {
          if (next.done) {
            done = true
            return Done
          }
          return [next.value]
        }),
        Effect.catchAllCause((cause) => {
          done = true
          return recover<A>("the data iterator failed")(cause)
        })
      )
    }))
  })

export const fromStream = <A, E, R>(
  stream: Stream.Stream<A, E, R>
): Effect.Effect<Source<A>, never, Scope.Scope | R> =>
  Effect.gen(function*() {
    const context = yield* Effect.context<R>()
    const pull = Effect.provide(yield* Stream.toPull(stream), context) as Effect.Effect<
      Chunk.Chunk<A>,
      Option.Option<E>
    >
    let done = false
    return buffered<A>(Effect.suspend((): Effect.Effect<ReadonlyArray<A | Invalid> | typeof Done> => {
      if (done) return Effect.succeed(Done)
      return pull.pipe(
        Effect.map((chunk): ReadonlyArray<A | Invalid> => Chunk.toReadonlyArray(chunk)),
        Effect.catchAll((error): Effect.Effect<ReadonlyArray<A | Invalid> | typeof Done> => {
          done = true
          return Option.isNone(error)
            ? Effect.succeed(Done)
            : Effect.succeed([new Invalid(`the data stream failed: ${describe(error.value)}`, undefined)])
        }),
        Effect.catchAllCause((cause) => {
          done = true
          return recover<A>("the data stream died")(cause)
        })
      )
    }))
  })

/** What `Dataset.jsonl` reads at a time, and the longest line it reads by default. */
const blockSize = 64 * 1024
export const defaultMaxLineBytes = 16 * 1024 * 1024

/**
 * The cases of a JSONL file, read through `FileSystem` 64 KiB at a time into one reused block and split on `\n`
 * bytes here: a line never holds a `\n` byte inside a character, so every complete line of a block is decoded at
 * once (`TextDecoder` with `fatal`), and only a block with invalid UTF-8 is decoded again line by line, to find the
 * lines at fault. A line that continues past its block is kept as copies of its parts until its end, or until it
 * passes `maxLineBytes`: then its parts are dropped and the rest of it is skipped as it is read, so memory stays
 * bounded by the limit and time is linear in the file. A UTF-8 byte order mark at the start is skipped.
 *
 * Measured on a million lines (bench/README.md): this reads and parses them in about 0.75 s; `FileSystem.stream`
 * with `Stream.decodeText` and `Stream.splitLines` took 1.5-1.9 s and 30-60 MB more RSS, mostly for a fresh buffer
 * per block. `Ndjson.unpack` does not fit either: it fails the whole stream on one bad line, where a run records
 * the line as a `data` error and goes on, and it decodes each block on its own, which breaks a character split
 * across two blocks.
 */
export const fromJsonlFile = (
  path: string,
  maxLineBytes: number = defaultMaxLineBytes
): Effect.Effect<Source<unknown>, never, Scope.Scope | FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const opened = yield* Effect.either(fs.open(path, { flag: "r" }))
    if (opened._tag === "Left") {
      return fromArray([new Invalid(`cannot open ${path}: ${describe(opened.left)}`, undefined)])
    }
    const file = opened.right
    const lines = new Lines(maxLineBytes)
    // A block no longer than the limit: a line that fits in one block is then within the limit too, and only a line
    // carried across blocks needs counting.
    const block = new Uint8Array(Math.min(blockSize, maxLineBytes))
    let done = false
    return buffered<unknown>(Effect.suspend((): Effect.Effect<ReadonlyArray<unknown> | typeof Done> => {
      if (done) return Effect.succeed(Done)
      return file.read(block).pipe(
        Effect.map((size): ReadonlyArray<unknown> => {
          const bytesRead = Number(size)
          if (bytesRead === 0) {
            done = true
            return lines.end()
          }
          return lines.push(block.subarray(0, bytesRead))
        }),
        Effect.catchAllCause((cause) => {
          done = true
          return recover<unknown>(`cannot read ${path}`)(cause)
        })
      )
    }))
  })

/** The largest JSONL file whose cases are counted before a run, for its progress bar: past it, no total is shown. */
export const countLimitBytes = 512 * 1024 * 1024

/**
 * The cases of a JSONL file, counted up front for progress: its lines that are not blank (what
 * {@link fromJsonlFile} reads, a line it cannot parse included). `undefined` for a file that cannot be read or is
 * larger than {@link countLimitBytes}; the run then reads it without a total.
 */
export const countJsonlLines = (
  path: string
): Effect.Effect<number | undefined, never, Scope.Scope | FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const info = yield* fs.stat(path)
    if (info.type !== "File" || Number(info.size) > countLimitBytes) return undefined
    const file = yield* fs.open(path, { flag: "r" })
    const block = new Uint8Array(1024 * 1024)
    let count = 0
    // whether the line being read has had a byte other than whitespace yet
    let filled = false
    while (true) {
      const bytesRead = Number(yield* file.read(block))
      if (bytesRead === 0) break
      for (let i = 0; i < bytesRead; i++) {
        const byte = block[i]
        if (byte === newline) {
          if (filled) count++
          filled = false
        } else if (!filled && byte !== 0x20 && byte !== 0x09 && byte !== 0x0d) {
          filled = true
          // the rest of the line cannot change the count: skip to its end
          const end = block.indexOf(newline, i + 1)
          if (end === -1 || end >= bytesRead) break
          i = end - 1
        }
      }
    }
    return filled ? count + 1 : count
  }).pipe(Effect.orElseSucceed(() => undefined))

const newline = 0x0a

/** A JSONL file's bytes in, its parsed lines (or `Invalid` rows) out. */
class Lines {
  private readonly decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true })
  /** The lines parsed so far, counted from 1. */
  private line = 0
  /** The parts of the line that continues past the last block (copies: the block is reused), and their length. */
  private parts: Array<Uint8Array> = []
  private carried = 0
  /** Whether the line carried is past the limit: its bytes are skipped until its end. */
  private skipping = false
  constructor(private readonly maxLineBytes: number) {}

  push(bytes: Uint8Array): Array<unknown> {
    const items: Array<unknown> = []
    let start = 0
    if (this.carried > 0 || this.skipping) {
      const end = bytes.indexOf(newline)
      if (end === -1) {
        this.carry(bytes)
        return items
      }
      this.finishCarried(bytes.subarray(0, end), items)
      start = end + 1
    }
    const last = bytes.lastIndexOf(newline)
    if (last >= start) {
      this.complete(bytes.subarray(start, last), items)
      start = last + 1
    }
    if (start < bytes.length) this.carry(bytes.subarray(start))
    return items
  }

  /** The last line, when the file does not end with a newline. */
  end(): Array<unknown> {
    const items: Array<unknown> = []
    if (this.carried > 0 || this.skipping) this.finishCarried(new Uint8Array(0), items)
    return items
  }

  private carry(bytes: Uint8Array): void {
    if (this.skipping) return
    this.carried += bytes.length
    if (this.carried > this.maxLineBytes) {
      this.skipping = true
      this.parts = []
      return
    }
    this.parts.push(bytes.slice())
  }

  /** Ends the line carried from earlier blocks with `tail`, the bytes before its newline. */
  private finishCarried(tail: Uint8Array, items: Array<unknown>): void {
    const length = this.carried + tail.length
    const parts = this.parts
    const skipped = this.skipping
    this.parts = []
    this.carried = 0
    this.skipping = false
    if (skipped || length > this.maxLineBytes) {
      const line = ++this.line
      items.push(
        new Invalid(
          `line ${line} is longer than the limit of ${this.maxLineBytes.toLocaleString("en-US")} bytes ` +
            "(maxLineBytes): it is not read",
          line
        )
      )
      return
    }
    let bytes = tail
    if (parts.length > 0) {
      bytes = new Uint8Array(length)
      let at = 0
      for (const part of parts) {
        bytes.set(part, at)
        at += part.length
      }
      bytes.set(tail, at)
    }
    this.one(bytes, items)
  }

  /** Whole lines, without the newline after the last: decoded at once, or line by line if that fails. */
  private complete(bytes: Uint8Array, items: Array<unknown>): void {
    let text: string
    try {
      text = this.decoder.decode(bytes)
    } catch {
      for (let start = 0;;) {
        const end = bytes.indexOf(newline, start)
        this.one(bytes.subarray(start, end === -1 ? bytes.length : end), items)
        if (end === -1) return
        start = end + 1
      }
    }
    let start = 0
    for (let end = text.indexOf("\n"); end !== -1; end = text.indexOf("\n", start)) {
      parseLine(text.slice(start, end), ++this.line, items)
      start = end + 1
    }
    parseLine(start === 0 ? text : text.slice(start), ++this.line, items)
  }

  /** One line's bytes. */
  private one(bytes: Uint8Array, items: Array<unknown>): void {
    const line = ++this.line
    let text: string
    try {
      text = this.decoder.decode(bytes)
    } catch {
      items.push(new Invalid(`line ${line} is not valid UTF-8`, line))
      return
    }
    parseLine(text, line, items)
  }
}

const parseLine = (raw: string, line: number, into: Array<unknown>): void => {
  let text = raw.endsWith("\r") ? raw.slice(0, -1) : raw
  // a byte order mark, which some editors put at the start of a UTF-8 file
  if (line === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1)
  if (text.trim().length === 0) return
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    into.push(new Invalid(`line ${line} is not valid JSON: ${describe(error)}`, line))
    return
  }
  const problem = caseProblem(value)
  into.push(problem === undefined ? value : new Invalid(`line ${line} ${problem}`, line))
}

const caseProblem = (u: unknown): string | undefined => {
  if (!Predicate.isRecord(u)) return "is not a JSON object"
  if (!("input" in u)) return "has no \"input\" key"
  if (u.name !== undefined && typeof u.name !== "string") return "has a \"name\" that is not a string"
  if (u.metadata !== undefined && !Predicate.isRecord(u.metadata)) return "has a \"metadata\" that is not an object"
  return undefined
}

/**
 * Every item of a source that has them all at hand (an array, a synchronous iterable); `undefined` for one that
 * would have to wait (a file, a stream, an async iterable).
 */
export const takeAllNow = <A>(
  open: Effect.Effect<Source<A>, never, Scope.Scope>
): Array<A | Invalid> | undefined => {
  const exit = Effect.runSyncExit(Effect.scoped(Effect.map(open, (src) => {
    const items: Array<A | Invalid> = []
    for (;;) {
      const item = src.take()
      if (item === Done) return items
      if (item === Empty) return undefined
      items.push(item)
    }
  })))
  return exit._tag === "Success" ? exit.value : undefined
}
