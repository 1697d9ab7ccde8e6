/**
 * The durable outbox of `ScoreQueue`: an append-only JSON-lines file of score entries that could not be delivered
 * yet, replayed in order.
 *
 * Layout, for an outbox path `P`:
 * - `P` is the active file. Batches are appended to it and fsynced; nothing else writes it.
 * - `P.replay` is the file being replayed. A replay renames `P` to `P.replay` (under the append lock), delivers it
 *   chunk by chunk, and removes it when every entry is delivered or dead-lettered. When a chunk fails, `P.replay` is
 *   rewritten (temp file + fsync + rename) to the failed entries followed by the unread rest, so order is kept and
 *   delivered entries leave the file. Everything in `P.replay` is older than everything in `P`.
 * - `P.replay.offset` records the replay's progress: the byte offset in `P.replay` up to which every entry was
 *   delivered or dead-lettered, written after each chunk. An interrupted pass (a shutdown, a short CLI run, a crash)
 *   resumes there instead of at line 1; an interrupted chunk records how far it got (the entries before the first one
 *   not yet delivered), so what is sent again is what was in flight. It is removed
 *   before `P.replay` is rewritten or removed and before `P` is renamed to `P.replay`, so it never applies to another
 *   file; an offset that is not a line boundary of `P.replay` (a torn write) counts as 0, which only re-sends.
 * - `P.tmp` is the rewrite in progress (a leftover one is removed at start).
 * - `P.lock` names the process using the outbox (see `outboxLock.ts`): a second process fails to open it. Each append
 *   checks it first, and makes it (and the directory) again when they were deleted.
 * - `P.corrupt` receives the lines that cannot be read (truncated by a crash, edited by hand), verbatim.
 *
 * Memory stays bounded: the files are read in blocks, a chunk at a time, and a line longer than 16 MB is set aside
 * (see `lineReader.ts`).
 *
 * @internal
 */
import type * as PlatformError from "@effect/platform/Error"
import { SystemError } from "@effect/platform/Error"
import type * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as RequestId from "../../RequestId.js"
import type { OutboxLocked } from "../../ScoreQueueError.js"
import * as Scores from "../../Scores.js"
import * as LineReader from "./lineReader.js"
import { appendDurably, directoryOf, fileSize, ifMissing, syncDirectory } from "./outboxFiles.js"
import * as OutboxLock from "./outboxLock.js"

/** One score submission waiting in the outbox. */
export interface Entry {
  readonly requestId: string
  readonly scores: Readonly<Record<string, number | boolean>>
}

/** Scores on their way, mutable while they are merged. */
export type ScoreMap = Record<string, number | boolean>

/** Merges `source` into `target`, later keys winning; `__proto__` is an ordinary score name, defined not assigned. */
export const mergeScores = (target: ScoreMap, source: Readonly<ScoreMap>): void => {
  for (const key of Object.keys(source)) {
    if (key === "__proto__") {
      Object.defineProperty(target, key, { value: source[key], enumerable: true, writable: true, configurable: true })
    } else {
      target[key] = source[key]
    }
  }
}

/** The files of an outbox. */
export interface Paths {
  readonly outbox: string
  readonly replay: string
  readonly progress: string
  readonly temp: string
  readonly corrupt: string
}

/** The files of the outbox at `outboxPath`. */
export const paths = (outboxPath: string): Paths => ({
  outbox: outboxPath,
  replay: `${outboxPath}.replay`,
  progress: `${outboxPath}.replay.offset`,
  temp: `${outboxPath}.tmp`,
  corrupt: `${outboxPath}.corrupt`
})

/** How a replay pass ended: everything replayed (the outbox was empty), or a chunk failed and was kept. */
export type ReplayResult = "drained" | "stalled"

/** What a delivery of a chunk tells the outbox as it goes, so that an interrupted chunk resumes where it stopped. */
export interface ChunkProgress {
  /** The size of entry `index`'s line, in bytes: a bound on its size as a request body. */
  readonly bytes: (index: number) => number
  /** Entry `index` is settled: delivered or dead-lettered, never to be sent again. */
  readonly settled: (index: number) => void
}

/**
 * Delivers a chunk of entries (in outbox order) and returns those to keep in the outbox, in order: the ones that
 * failed and are worth another attempt later. Entries neither delivered nor kept are the delivery's to account for
 * (dead letters).
 */
export type DeliverChunk = (
  chunk: ReadonlyArray<Entry>,
  progress: ChunkProgress
) => Effect.Effect<ReadonlyArray<Entry>>

/** The outbox. */
export interface Outbox {
  readonly paths: Paths
  /** Entries in the outbox files. */
  readonly size: () => number
  /** Lines set aside as corrupt since the outbox was opened. */
  readonly corrupt: () => number
  /** Appends a batch and fsyncs it: when this succeeds, the entries survive a crash. */
  readonly append: (entries: ReadonlyArray<Entry>) => Effect.Effect<void, PlatformError.PlatformError>
  /**
   * Replays the outbox until it is empty or a chunk fails. `whenEmpty` runs when the outbox is found empty, while
   * appends are held off, so a caller can switch back to direct delivery without an append slipping in between.
   */
  readonly replay: (
    deliver: DeliverChunk,
    whenEmpty: () => void
  ) => Effect.Effect<ReplayResult, PlatformError.PlatformError>
}

const blockSize = 64 * 1024
const newline = 10
const encoder = new TextEncoder()
const newlineBytes = new Uint8Array([newline])

/** The line of an entry, newline included. */
export const encodeEntry = (entry: Entry): string =>
  JSON.stringify({ requestId: entry.requestId, scores: entry.scores }) + "\n"

/** Reads an outbox line back, or says why it cannot be read. */
export const decodeEntry = (line: string): Either.Either<Entry, string> => {
  let json: unknown
  try {
    json = JSON.parse(line)
  } catch {
    return Either.left("not valid JSON (a line cut short by a crash?)")
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    return Either.left("not a JSON object")
  }
  const { requestId, scores } = json as { requestId?: unknown; scores?: unknown }
  const id = RequestId.validate(requestId)
  if (Either.isLeft(id)) return Either.left(id.left.message)
  const valid = Scores.validate(scores)
  if (Either.isLeft(valid)) return Either.left(valid.left.message)
  return Either.right({ requestId: id.right, scores: valid.right })
}

const decoder = new TextDecoder("utf-8", { fatal: true })

/** Reads an outbox line's bytes back, or says why they cannot be read. */
const decodeLine = (line: LineReader.Line, maxLineBytes: number): Either.Either<Entry, string> => {
  if (line._tag === "TooLong") {
    return Either.left(
      `${line.length} bytes long, over the limit of ${maxLineBytes}; its first ${line.head.length} are kept`
    )
  }
  let text: string
  try {
    text = decoder.decode(line.bytes)
  } catch {
    return Either.left("not valid UTF-8")
  }
  return decodeEntry(text)
}

/** Where the replay of `P.replay` resumes: the recorded offset when it is a line boundary of the file, else 0. */
export const replayStart = (fs: FileSystem.FileSystem, files: Paths) =>
  Effect.gen(function*() {
    const text = yield* fs.readFileString(files.progress).pipe(Effect.orElseSucceed(() => ""))
    if (!/^\d+$/.test(text.trim())) return 0
    const offset = Number(text.trim())
    if (offset <= 0 || offset > (yield* fileSize(fs, files.replay))) return 0
    const before = yield* Effect.scoped(Effect.gen(function*() {
      const file = yield* fs.open(files.replay, { flag: "r" })
      yield* file.seek(offset - 1, "start")
      return yield* file.readAlloc(1)
    }))
    return Option.isSome(before) && before.value[0] === newline ? offset : 0
  }).pipe(Effect.orElseSucceed(() => 0))

const countLines = (fs: FileSystem.FileSystem, path: string, from = 0) =>
  Effect.scoped(Effect.gen(function*() {
    const file = yield* fs.open(path, { flag: "r" })
    if (from > 0) yield* file.seek(from, "start")
    const reader = LineReader.make(file, from)
    let count = 0
    while (true) {
      const lines = yield* reader.take(4096)
      if (lines.length === 0) return count
      count += lines.length
    }
  })).pipe(
    ifMissing(() => Effect.succeed(0))
  )

/**
 * Opens the outbox at `outboxPath` for the scope: creates its directory, takes its lock, removes a leftover rewrite,
 * counts the entries waiting, and notes whether the active file ends in the middle of a line (a crash during a
 * write), so the next append starts on a fresh line.
 */
export const make = (
  fs: FileSystem.FileSystem,
  outboxPath: string,
  options: {
    readonly chunkSize: number
    /** The longest line read; a longer one is set aside as corrupt. Default 16 MB. */
    readonly maxLineBytes?: number | undefined
    /** Runs each time the count of entries drops. */
    readonly onShrink?: (() => void) | undefined
  }
): Effect.Effect<Outbox, OutboxLocked | PlatformError.PlatformError, Scope.Scope> =>
  Effect.gen(function*() {
    const files = paths(outboxPath)
    const maxLineBytes = options.maxLineBytes ?? LineReader.defaultMaxLineBytes
    yield* fs.makeDirectory(directoryOf(files.outbox), { recursive: true })
    // before anything else: the files may be another process's
    // the lock gone means the files beside it went too: the count is made again from the files at the next rotation
    const outboxLock = yield* OutboxLock.acquire(fs, files.outbox, () => {
      uncounted = true
    })
    yield* fs.remove(files.temp, { force: true })
    const lock = yield* Effect.makeSemaphore(1)

    const dropProgress = fs.remove(files.progress, { force: true })

    if (!(yield* fs.exists(files.replay))) yield* dropProgress
    let size = (yield* countLines(fs, files.replay, yield* replayStart(fs, files))) +
      (yield* countLines(fs, files.outbox))
    let corrupt = 0
    let needsNewline = yield* endsMidLine(fs, files.outbox)
    let fresh = !(yield* fs.exists(files.outbox))
    /** An append failed: some of its lines may be on disk, uncounted, and its retry writes them again. */
    let uncounted = false

    /** The lock is still ours (made again if it is gone); if another process took the path, fails as `Busy`. */
    const ensureLock = outboxLock.ensure.pipe(
      Effect.catchTag("OutboxLocked", (locked) =>
        Effect.fail(
          new SystemError({
            module: "FileSystem",
            method: "open",
            reason: "Busy",
            pathOrDescriptor: files.outbox,
            description: locked.message
          })
        ))
    )

    /**
     * Opens the active file for appending, once the lock is checked (a read of a small file per batch). When its directory is gone (deleted under a running
     * queue), the directory and the lock are made again; if another process took the lock meanwhile, the append
     * fails (as `Busy`) until it lets go, and nothing is written under another process's lock.
     */
    const openForAppend = Effect.zipRight(ensureLock, Effect.suspend(() => fs.open(files.outbox, { flag: "a" }))).pipe(
      ifMissing(() =>
        Effect.gen(function*() {
          yield* fs.makeDirectory(directoryOf(files.outbox), { recursive: true })
          yield* ensureLock
          fresh = true
          needsNewline = false
          uncounted = true
          return yield* fs.open(files.outbox, { flag: "a" })
        })
      )
    )

    const append = (entries: ReadonlyArray<Entry>) =>
      entries.length === 0 ? Effect.void : lock.withPermits(1)(
        Effect.scoped(Effect.gen(function*() {
          const file = yield* openForAppend
          let text = needsNewline ? "\n" : ""
          for (const entry of entries) text += encodeEntry(entry)
          // until the fsync succeeds, assume a partial line may be on disk
          needsNewline = true
          yield* file.writeAll(encoder.encode(text))
          yield* file.sync
          needsNewline = false
          size += entries.length
          if (fresh) {
            yield* syncDirectory(fs, files.outbox)
            fresh = false
          }
        })).pipe(Effect.tapErrorCause(() => Effect.sync(() => uncounted = true)))
      )

    const setAside = (bytes: Uint8Array, reason: string, lineNumber: number) =>
      Effect.zipRight(
        appendDurably(fs, files.corrupt, bytes[bytes.length - 1] === newline ? bytes : [bytes, newlineBytes]),
        Effect.logWarning(
          `ScoreQueue: outbox line ${lineNumber} of ${files.replay} cannot be read (${reason}); ` +
            `moved to ${files.corrupt}`
        )
      )

    /**
     * Replays `P.replay` from its recorded progress: `true` when it was fully replayed and removed. After each chunk
     * that is done, the progress and `size` move on together. An interruption records the progress up to the first
     * line of the chunk in flight that is not settled, so what is sent again later is what was in flight (and what
     * finished after it), which Helicone's last-write-wins makes harmless. When a chunk is kept only in part, the file
     * is rewritten to the kept entries followed by the unread rest. `size` drops only once the files on disk (or the
     * progress) have lost the entries, so an empty count always means empty files.
     */
    const replayFile = (deliver: DeliverChunk) =>
      Effect.gen(function*() {
        const start = yield* replayStart(fs, files)
        const outcome = yield* Effect.scoped(Effect.gen(function*() {
          const source = yield* fs.open(files.replay, { flag: "r" })
          if (start > 0) yield* source.seek(start, "start")
          const reader = LineReader.make(source, start, maxLineBytes)
          let lineNumber = 0
          const record = (offset: number, lines: number) =>
            lines === 0 ? Effect.void : Effect.uninterruptible(Effect.zipRight(
              fs.writeFileString(files.progress, String(offset)),
              Effect.sync(() => {
                size -= lines
                options.onShrink?.()
              })
            ))
          while (true) {
            let lineStart = reader.offset()
            const lines = yield* reader.take(options.chunkSize)
            if (lines.length === 0) return "done" as const
            const entries: Array<Entry> = []
            const bytes: Array<number> = []
            /** For each line of the chunk, the index of its entry, or -1 when it was set aside. */
            const entryOf: Array<number> = []
            /** Lines of this chunk set aside as corrupt. */
            let setAsideCount = 0
            for (const line of lines) {
              lineNumber++
              const entry = decodeLine(line, maxLineBytes)
              const lineBytes = line.end - lineStart
              lineStart = line.end
              if (Either.isRight(entry)) {
                entryOf.push(entries.length)
                entries.push(entry.right)
                bytes.push(lineBytes)
              } else {
                yield* setAside(line._tag === "TooLong" ? line.head : line.bytes, entry.left, lineNumber)
                entryOf.push(-1)
                corrupt++
                setAsideCount++
              }
            }
            const settled = entries.map(() => false)
            /** Records the progress up to the first line that is not settled. */
            const recordSettled = Effect.suspend(() => {
              let count = 0
              while (count < lines.length && (entryOf[count] < 0 || settled[entryOf[count]])) count++
              return count === 0 ? Effect.void : record(lines[count - 1].end, count)
            }).pipe(Effect.ignore)
            const kept = entries.length === 0 ? [] : yield* deliver(entries, {
              bytes: (index) => bytes[index],
              settled: (index) => {
                settled[index] = true
              }
            }).pipe(Effect.onInterrupt(() => recordSettled))
            if (kept.length === 0) {
              yield* record(reader.offset(), lines.length)
              continue
            }
            // nothing got through and nothing was set aside: leave the file (and the progress) alone
            if (setAsideCount === 0 && kept.length === entries.length) return "stalled" as const
            // the kept entries, then the unread rest: written aside, renamed over once the source is closed
            yield* Effect.scoped(Effect.gen(function*() {
              const out = yield* fs.open(files.temp, { flag: "w" })
              let head = ""
              for (const entry of kept) head += encodeEntry(entry)
              yield* out.writeAll(encoder.encode(head))
              yield* source.seek(reader.offset(), "start")
              while (true) {
                const block = yield* source.readAlloc(blockSize)
                if (Option.isNone(block)) break
                yield* out.writeAll(block.value)
              }
              yield* out.sync
            }))
            return { gone: setAsideCount + entries.length - kept.length }
          }
        }))
        if (outcome === "stalled") return false
        // the file change and the count go together: a shutdown cannot leave one without the other
        return yield* Effect.uninterruptible(Effect.gen(function*() {
          // the progress goes first: an offset must never apply to the rewritten file, nor to the next one
          yield* dropProgress
          if (outcome === "done") {
            yield* fs.remove(files.replay)
          } else {
            yield* fs.rename(files.temp, files.replay)
            size -= outcome.gone
          }
          options.onShrink?.()
          yield* syncDirectory(fs, files.replay)
          return outcome === "done"
        }))
      })

    const replay = (deliver: DeliverChunk, whenEmpty: () => void) =>
      Effect.gen(function*() {
        while (true) {
          if (!(yield* fs.exists(files.replay))) {
            const rotated = yield* lock.withPermits(1)(Effect.gen(function*() {
              if ((yield* fileSize(fs, files.outbox)) === 0) {
                size = 0
                whenEmpty()
                options.onShrink?.()
                return false
              }
              yield* dropProgress
              yield* fs.rename(files.outbox, files.replay)
              needsNewline = false
              fresh = true
              // the lines of a failed append, counted at last: `size` is what the files hold (if they cannot be
              // read now, the count stays as it was and is tried again at the next rotation)
              if (uncounted) {
                const lines = yield* Effect.option(countLines(fs, files.replay))
                if (lines._tag === "Some") {
                  size = lines.value
                  uncounted = false
                }
              }
              yield* syncDirectory(fs, files.outbox)
              return true
            }))
            if (!rotated) return "drained" as const
          }
          if (!(yield* replayFile(deliver))) return "stalled" as const
        }
      })

    return {
      paths: files,
      size: () => size,
      corrupt: () => corrupt,
      append,
      replay
    }
  })

const endsMidLine = (fs: FileSystem.FileSystem, path: string) =>
  Effect.gen(function*() {
    const length = yield* fileSize(fs, path)
    if (length === 0) return false
    return yield* Effect.scoped(Effect.gen(function*() {
      const file = yield* fs.open(path, { flag: "r" })
      yield* file.seek(length - 1, "start")
      const last = yield* file.readAlloc(1)
      return Option.isSome(last) && last.value[0] !== newline
    }))
  })
