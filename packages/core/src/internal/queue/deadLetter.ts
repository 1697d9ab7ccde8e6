/**
 * The dead-letter file of `ScoreQueue`: one JSON line per submission that will never be delivered, with the reason,
 * appended and fsynced one at a time.
 *
 * @internal
 */
import type * as PlatformError from "@effect/platform/Error"
import type * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import type { SubmitScoreError } from "../../HeliconeError.js"
import * as Outbox from "./outbox.js"
import { appendDurably } from "./outboxFiles.js"

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
}

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
      lock.withPermits(1)(Effect.suspend(() => appendDurably(fs, path, entries.map((e) => encode(e, reason)).join(""))))
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
