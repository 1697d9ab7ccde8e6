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

const blockSize = 64 * 1024

/**
 * The cases of a JSONL file, read through `FileSystem` 64 KiB at a time into one reused block, decoded with a
 * streaming `TextDecoder` and split on `\n` here. Measured on a million lines (bench/README.md): this reads and
 * parses them in about 0.75 s; `FileSystem.stream` with `Stream.decodeText` and `Stream.splitLines` took 1.5-1.9 s
 * and 30-60 MB more RSS, mostly for a fresh buffer per block. `Ndjson.unpack` does not fit either: it fails the whole
 * stream on one bad line, where a run records the line as a `data` error and goes on, and it decodes each block on
 * its own, which breaks a character split across two blocks.
 */
export const fromJsonlFile = (
  path: string
): Effect.Effect<Source<unknown>, never, Scope.Scope | FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const opened = yield* Effect.either(fs.open(path, { flag: "r" }))
    if (opened._tag === "Left") {
      return fromArray([new Invalid(`cannot open ${path}: ${describe(opened.left)}`, undefined)])
    }
    const file = opened.right
    const decoder = new TextDecoder("utf-8")
    const block = new Uint8Array(blockSize)
    let rest = ""
    let line = 0
    let done = false
    const parseLines = (text: string, final: boolean): Array<unknown> => {
      const items: Array<unknown> = []
      let start = 0
      for (let end = text.indexOf("\n"); end !== -1; end = text.indexOf("\n", start)) {
        parseLine(text.slice(start, end), ++line, items)
        start = end + 1
      }
      rest = text.slice(start)
      if (final && rest.length > 0) {
        parseLine(rest, ++line, items)
        rest = ""
      }
      return items
    }
    return buffered<unknown>(Effect.suspend((): Effect.Effect<ReadonlyArray<unknown> | typeof Done> => {
      if (done) return Effect.succeed(Done)
      return file.read(block).pipe(
        Effect.map((size): ReadonlyArray<unknown> => {
          const bytesRead = Number(size)
          if (bytesRead === 0) {
            done = true
            return parseLines(rest + decoder.decode(), true)
          }
          return parseLines(rest + decoder.decode(block.subarray(0, bytesRead), { stream: true }), false)
        }),
        Effect.catchAllCause((cause) => {
          done = true
          return recover<unknown>(`cannot read ${path}`)(cause)
        })
      )
    }))
  })

const parseLine = (raw: string, line: number, into: Array<unknown>): void => {
  const text = raw.endsWith("\r") ? raw.slice(0, -1) : raw
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
