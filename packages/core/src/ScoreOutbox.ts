/**
 * The files a `ScoreQueue` leaves behind, read and cleared without a queue (and without an API key): what waits in
 * the outbox, what was dead-lettered and why. To send them, open a `ScoreQueue` on the same paths: it replays the
 * outbox at start, `resendDeadLetters` moves the dead letters back into delivery, and `awaitDelivery` waits for both.
 *
 * @example
 * ```ts
 * import { ScoreOutbox } from "@helicone-effect/core"
 * import { NodeFileSystem } from "@effect/platform-node"
 * import { Effect } from "effect"
 *
 * const contents = ScoreOutbox.read({ limit: 20 }).pipe(Effect.provide(NodeFileSystem.layer))
 * // { outbox: { count, entries: [{ requestId, scoreNames }] }, deadLetters: { count, entries: [..., reason] }, ... }
 * ```
 *
 * @since 0.1.0
 */
import type * as PlatformError from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as DeadLetter from "./internal/queue/deadLetter.js"
import * as Outbox from "./internal/queue/outbox.js"
import { directoryOf, ifMissing } from "./internal/queue/outboxFiles.js"
import * as OutboxLock from "./internal/queue/outboxLock.js"
import { defaults } from "./ScoreQueue.js"
import type { OutboxLocked } from "./ScoreQueueError.js"

/**
 * Where the files are: the same options, with the same defaults, as `ScoreQueue.Options`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Default `.helicone-outbox/outbox.jsonl`. */
  readonly outboxPath?: string | undefined
  /** Default `.helicone-outbox/dead-letter.jsonl`. */
  readonly deadLetterPath?: string | undefined
}

/**
 * A submission waiting in the outbox.
 *
 * @since 0.1.0
 * @category models
 */
export interface OutboxEntry {
  readonly requestId: string
  readonly scoreNames: ReadonlyArray<string>
}

/**
 * A submission in the dead-letter file, with the reason Helicone (or the queue) gave.
 *
 * @since 0.1.0
 * @category models
 */
export interface DeadLetterEntry {
  readonly requestId: string
  readonly scoreNames: ReadonlyArray<string>
  /** The error's tag (`RequestRejected`, `HeliconeServerError`, `Defect`, `OutboxUnwritable`, …), status, message. */
  readonly reason: { readonly _tag: string; readonly status?: number | undefined; readonly message: string }
  /** When it was dead-lettered (ISO 8601), when the line says. */
  readonly at: string | undefined
}

/**
 * What the files hold. `count` is every entry; `entries` the first `limit` of them, oldest first.
 *
 * @since 0.1.0
 * @category models
 */
export interface Contents {
  readonly outbox: {
    readonly count: number
    readonly entries: ReadonlyArray<OutboxEntry>
    /** Lines that cannot be read (a queue moves them to `<outboxPath>.corrupt` when it replays them). */
    readonly unreadable: number
  }
  readonly deadLetters: {
    readonly count: number
    readonly entries: ReadonlyArray<DeadLetterEntry>
    readonly unreadable: number
  }
  /** Lines set aside in `<outboxPath>.corrupt` over time. */
  readonly corrupt: number
}

const defaultOutbox = defaults.outboxPath
const defaultDeadLetter = defaults.deadLetterPath
const decoder = new TextDecoder()

const linesOf = (fs: FileSystem.FileSystem, path: string, from = 0) =>
  fs.readFile(path).pipe(
    Effect.map((bytes) =>
      decoder.decode(from > 0 ? bytes.subarray(from) : bytes).split("\n").filter((line) => line.trim().length > 0)
    ),
    ifMissing(() => Effect.succeed<Array<string>>([]))
  )

/**
 * Reads the outbox (the file being replayed, from where its replay stopped, then the active one) and the dead-letter
 * file. It takes no lock, so it may run while a queue uses the files; the counts are then a snapshot.
 *
 * @since 0.1.0
 * @category reading
 */
export const read = (
  options: Options & { readonly limit?: number | undefined } = {}
): Effect.Effect<Contents, PlatformError.PlatformError, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const files = Outbox.paths(options.outboxPath ?? defaultOutbox)
    const limit = options.limit ?? Number.POSITIVE_INFINITY
    const start = yield* Outbox.replayStart(fs, files)
    const outboxLines = [...(yield* linesOf(fs, files.replay, start)), ...(yield* linesOf(fs, files.outbox))]
    const entries: Array<OutboxEntry> = []
    let count = 0
    let unreadable = 0
    for (const line of outboxLines) {
      const entry = Outbox.decodeEntry(line)
      if (Either.isLeft(entry)) {
        unreadable++
        continue
      }
      count++
      if (entries.length < limit) {
        entries.push({ requestId: entry.right.requestId, scoreNames: Object.keys(entry.right.scores) })
      }
    }
    const letters: Array<DeadLetterEntry> = []
    let deadCount = 0
    let deadUnreadable = 0
    for (const line of yield* linesOf(fs, options.deadLetterPath ?? defaultDeadLetter)) {
      const letter = DeadLetter.decode(line)
      if (Either.isLeft(letter)) {
        deadUnreadable++
        continue
      }
      deadCount++
      if (letters.length < limit) {
        const { at, entry, reason } = letter.right
        letters.push({ requestId: entry.requestId, scoreNames: Object.keys(entry.scores), reason, at })
      }
    }
    const corrupt = (yield* linesOf(fs, files.corrupt)).length
    return {
      outbox: { count, entries, unreadable },
      deadLetters: { count: deadCount, entries: letters, unreadable: deadUnreadable },
      corrupt
    }
  })

/**
 * Removes the outbox files and the dead-letter file, and says how many entries they held. The scores in them are
 * gone for good: ask the user first. It takes the outbox's lock, so it fails with `OutboxLocked` while a queue runs
 * on it. `<outboxPath>.corrupt` is kept.
 *
 * @since 0.1.0
 * @category clearing
 */
export const drop = (
  options: Options = {}
): Effect.Effect<
  { readonly outbox: number; readonly deadLetters: number },
  OutboxLocked | PlatformError.PlatformError,
  FileSystem.FileSystem
> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const files = Outbox.paths(options.outboxPath ?? defaultOutbox)
    const deadLetterPath = options.deadLetterPath ?? defaultDeadLetter
    const contents = yield* read({ ...options, limit: 0 })
    const dropped = {
      outbox: contents.outbox.count + contents.outbox.unreadable,
      deadLetters: contents.deadLetters.count + contents.deadLetters.unreadable
    }
    const present = yield* Effect.forEach(
      [files.outbox, files.replay, files.progress, files.temp, deadLetterPath],
      (path) => fs.exists(path)
    )
    if (!present.some(Boolean)) return dropped
    yield* Effect.scoped(Effect.gen(function*() {
      yield* fs.makeDirectory(directoryOf(files.outbox), { recursive: true })
      yield* OutboxLock.acquire(fs, files.outbox)
      for (const path of [files.progress, files.replay, files.outbox, files.temp, deadLetterPath]) {
        yield* fs.remove(path, { force: true })
      }
    }))
    return dropped
  })
