/**
 * The dead-letter file of `ScoreQueue`: one JSON line per submission that will never be delivered, with the reason,
 * appended and fsynced one at a time.
 *
 * @internal
 */
import type * as PlatformError from "@effect/platform/Error"
import type * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type { SubmitScoreError } from "../../HeliconeError.js"
import * as Outbox from "./outbox.js"
import { appendDurably, ifMissing, syncDirectory } from "./outboxFiles.js"

/** Why a submission was dead-lettered, as written in its line. */
export interface Reason {
  readonly _tag: string
  readonly status?: number | undefined
  readonly message: string
}

/** The reason of a rejection by Helicone. */
export const fromError = (error: SubmitScoreError): Reason =>
  "status" in error
    ? { _tag: error._tag, status: error.status, message: error.message }
    : { _tag: error._tag, message: error.message }

/** The dead-letter file. */
export interface DeadLetters {
  readonly path: string
  /** Appends the line of `entry` and fsyncs it; fails (with nothing written down) when the file cannot be written. */
  readonly write: (entry: Outbox.Entry, reason: Reason) => Effect.Effect<void, PlatformError.PlatformError>
  /** Appends the lines of `entries`, all with the same reason, and fsyncs them once. */
  readonly writeAll: (
    entries: ReadonlyArray<Outbox.Entry>,
    reason: Reason
  ) => Effect.Effect<void, PlatformError.PlatformError>
  /**
   * Hands every readable dead letter to `resend` (which must make them durable elsewhere), then leaves only the
   * unreadable lines in the file (or removes it). Returns how many were handed over. A crash in between sends some
   * twice, which Helicone's last-write-wins makes harmless.
   */
  readonly takeAll: <E>(
    resend: (entries: ReadonlyArray<Outbox.Entry>) => Effect.Effect<void, E>
  ) => Effect.Effect<number, E | PlatformError.PlatformError>
}

/** A dead-letter line read back: its entry and reason, or the line itself when it cannot be read. */
export interface DeadLetter {
  readonly entry: Outbox.Entry
  readonly reason: Reason
  readonly at: string | undefined
}

/** Reads a dead-letter line back. */
export const decode = (line: string): Either.Either<DeadLetter, string> => {
  const entry = Outbox.decodeEntry(line)
  if (Either.isLeft(entry)) return Either.left(entry.left)
  // decodeEntry read it as a JSON object already
  const json = JSON.parse(line) as { error?: unknown; at?: unknown }
  const error = typeof json.error === "object" && json.error !== null ? json.error as Record<string, unknown> : {}
  return Either.right({
    entry: entry.right,
    reason: {
      _tag: typeof error._tag === "string" ? error._tag : "Unknown",
      status: typeof error.status === "number" ? error.status : undefined,
      message: typeof error.message === "string" ? error.message : ""
    },
    at: typeof json.at === "string" ? json.at : undefined
  })
}

/** The lines of a file, blank ones skipped; none when the file does not exist. */
export const readLines = (fs: FileSystem.FileSystem, path: string) =>
  fs.readFileString(path).pipe(
    Effect.map((text) => text.split("\n").filter((line) => line.trim().length > 0)),
    ifMissing(() => Effect.succeed<Array<string>>([]))
  )

/** The line of a dead letter, newline included. */
export const encode = (entry: Outbox.Entry, reason: Reason): string =>
  JSON.stringify({ requestId: entry.requestId, scores: entry.scores, error: reason, at: new Date().toISOString() }) +
  "\n"

/** The dead-letter file at `path`; writes are serialized, so lines never interleave. */
export const make = (fs: FileSystem.FileSystem, path: string): Effect.Effect<DeadLetters> =>
  Effect.map(Effect.makeSemaphore(1), (lock) => ({
    path,
    write: (entry, reason) => lock.withPermits(1)(appendDurably(fs, path, encode(entry, reason))),
    writeAll: (entries, reason) =>
      lock.withPermits(1)(
        Effect.suspend(() => appendDurably(fs, path, entries.map((e) => encode(e, reason)).join("")))
      ),
    takeAll: (resend) =>
      lock.withPermits(1)(Effect.gen(function*() {
        const lines = yield* readLines(fs, path)
        const entries: Array<Outbox.Entry> = []
        const unreadable: Array<string> = []
        for (const line of lines) {
          const letter = decode(line)
          if (Either.isRight(letter)) entries.push(letter.right.entry)
          else unreadable.push(line)
        }
        if (entries.length === 0) return 0
        yield* resend(entries)
        if (unreadable.length === 0) {
          yield* fs.remove(path, { force: true })
        } else {
          const temp = `${path}.tmp`
          yield* fs.remove(temp, { force: true })
          yield* appendDurably(fs, temp, unreadable.map((line) => line + "\n").join(""))
          yield* fs.rename(temp, path)
        }
        yield* syncDirectory(fs, path)
        return entries.length
      }))
  }))

/**
 * The last resort of a shutdown whose outbox cannot be written: the dead-letter file (reason `OutboxUnwritable`),
 * else the error log, one outbox line per entry, which can be appended to the outbox by hand to deliver them.
 */
export const strand = (
  deadLetters: DeadLetters,
  outboxPath: string,
  entries: ReadonlyArray<Outbox.Entry>,
  error: PlatformError.PlatformError
): Effect.Effect<void> => {
  const reason = {
    _tag: "OutboxUnwritable",
    message: `the outbox ${outboxPath} could not be written: ${error.message}`
  }
  const what = `could not write ${entries.length} undelivered scores to the outbox ${outboxPath} (${error.message})`
  return deadLetters.writeAll(entries, reason).pipe(
    Effect.zipRight(Effect.logError(`ScoreQueue: ${what}; written to ${deadLetters.path} instead`)),
    Effect.catchAll((deadLetterError) =>
      Effect.zipRight(
        Effect.logError(
          `ScoreQueue: ${what} nor to ${deadLetters.path} (${deadLetterError.message}); their outbox lines follow, ` +
            `append them to the outbox to deliver them`
        ),
        Effect.forEach(entries, (entry) => Effect.logError(`ScoreQueue: unsaved ${Outbox.encodeEntry(entry).trim()}`), {
          discard: true
        })
      )
    )
  )
}
