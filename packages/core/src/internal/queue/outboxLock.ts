/**
 * The lock of an outbox at `P`: the file `P.lock` holds the pid of the process using it. It is created atomically
 * with its content (a file of our own, hard-linked to `P.lock`, which fails when `P.lock` exists), so a reader never
 * sees an empty lock. A lock whose process is gone (kill -9, a crash) is taken over; one whose process runs fails
 * with `OutboxLocked`. The lock is removed when the scope closes.
 *
 * Limits: pids are per machine, so an outbox on a network share used from two machines is not protected; a lock
 * whose pid was reused by an unrelated process must be removed by hand (the error says so).
 *
 * @internal
 */
import type * as PlatformError from "@effect/platform/Error"
import type * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { OutboxLocked } from "../../ScoreQueueError.js"
import { ifMissing } from "./outboxFiles.js"

/** Whether a process with this pid runs (EPERM: it runs, as another user). */
const isRunning = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as { code?: unknown }).code === "EPERM"
  }
}

/** The pid in a lock file: `undefined` when there is no such file, `NaN` when it cannot be read as one. */
const holder = (fs: FileSystem.FileSystem, lockPath: string) =>
  fs.readFileString(lockPath).pipe(
    Effect.map((text): number | undefined => /^\d+$/.test(text.trim()) ? Number(text.trim()) : Number.NaN),
    ifMissing(() => Effect.succeed(undefined))
  )

/** Takes the lock of the outbox at `outboxPath` for the scope, or fails with `OutboxLocked`. */
export const acquire = (
  fs: FileSystem.FileSystem,
  outboxPath: string
): Effect.Effect<void, OutboxLocked | PlatformError.PlatformError, Scope.Scope> =>
  Effect.gen(function*() {
    const lockPath = `${outboxPath}.lock`
    const pid = process.pid
    const mine = `${lockPath}.${pid}`
    yield* fs.writeFileString(mine, `${pid}\n`)
    const link = fs.link(mine, lockPath).pipe(
      Effect.as(true),
      Effect.catchTag("SystemError", (error) => error.reason === "AlreadyExists" ? Effect.succeed(false) : error)
    )
    const take = Effect.gen(function*() {
      let other: number | undefined
      // each round that finds a stale lock removes it; another process may take it in between, hence a few rounds
      for (let round = 0; round < 3; round++) {
        if (yield* link) return
        other = yield* holder(fs, lockPath)
        if (other === undefined) continue
        if (!Number.isNaN(other) && isRunning(other)) break
        yield* Effect.logWarning(
          `ScoreQueue: the outbox ${outboxPath} was locked by ${
            Number.isNaN(other) ? "an unreadable lock file" : `process ${other}, which is gone`
          }; taking it over`
        )
        yield* fs.remove(lockPath, { force: true })
      }
      return yield* new OutboxLocked({
        outboxPath,
        lockPath,
        pid: other === undefined || Number.isNaN(other) ? undefined : other
      })
    })
    yield* Effect.ensuring(take, fs.remove(mine, { force: true }).pipe(Effect.ignore))
    yield* Effect.addFinalizer(() =>
      // only our own lock: never one another process took over
      holder(fs, lockPath).pipe(
        Effect.flatMap((current) => current === pid ? fs.remove(lockPath, { force: true }) : Effect.void),
        Effect.ignore
      )
    )
  })
