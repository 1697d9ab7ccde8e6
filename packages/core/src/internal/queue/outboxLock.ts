/**
 * The lock of an outbox at `P`: the file `P.lock` says who uses the outbox, as one JSON line: the pid, a random token
 * naming this lock, the process's start time and the boot id (on Linux, from `/proc`), and the host name. It is created
 * atomically with its content (a file of our own, hard-linked to `P.lock`, which fails when `P.lock` exists), so a
 * reader never sees an empty lock, and `P.lock` is never removed to be replaced: a takeover renames over it.
 *
 * A lock is stale, and taken over, when:
 * - its boot id differs from ours (the machine rebooted);
 * - its pid is ours but its start time is not (a container restarted: the same low pid, another process);
 * - its pid runs no process, or one that started at another time than the lock says (the pid was reused);
 * - it names another host and its holder stopped refreshing it: a holder touches `P.lock` every 10 seconds, and a
 *   lock from another host untouched for 60 seconds is stale (a shared volume; its clocks must roughly agree).
 *
 * Takeover is exclusive: to replace a stale lock whose token is `t`, a process first creates `P.lock.takeover-t` (a
 * hard link, which only one process can make), checks that `P.lock` still holds `t`, and renames its claim over
 * `P.lock`. Only the holder of that claim can replace that lock, and a live lock is never replaced, so two processes
 * never both own the outbox. A claim left by a process that died while taking over is itself taken over the same way.
 *
 * @internal
 */
import type * as PlatformError from "@effect/platform/Error"
import type * as FileSystem from "@effect/platform/FileSystem"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import { OutboxLocked } from "../../ScoreQueueError.js"
import { directoryOf, ifMissing } from "./outboxFiles.js"

/** Who holds a lock, as its file says. Fields that could not be known are absent. */
export interface Holder {
  readonly pid: number
  readonly token: string
  readonly start?: string | undefined
  readonly boot?: string | undefined
  readonly host?: string | undefined
}

/** How often a holder touches its lock, and how old a lock from another host must be to be stale. */
const heartbeat = Duration.seconds(10)
const foreignStaleAfter = Duration.seconds(60)
/** Attempts at taking a lock that others are taking over at the same time. */
const rounds = 50

const readTrimmed = (fs: FileSystem.FileSystem, path: string) =>
  fs.readFileString(path).pipe(
    Effect.map((text) => text.trim()),
    Effect.map((text) => text.length > 0 ? text : undefined),
    Effect.orElseSucceed(() => undefined)
  )

/** Field 22 of `/proc/<pid>/stat`: the start time in clock ticks since boot. */
const startTimeOf = (fs: FileSystem.FileSystem, pid: number | "self") =>
  Effect.map(readTrimmed(fs, `/proc/${pid}/stat`), (stat) => {
    if (stat === undefined) return undefined
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    return fields[19]
  })

/** What this process writes in its lock, and whether `/proc` shows its own pid namespace. */
const identify = (fs: FileSystem.FileSystem) =>
  Effect.gen(function*() {
    const self = yield* readTrimmed(fs, "/proc/self/stat")
    const token = Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, "0")).join("")
    const me: Holder = {
      pid: process.pid,
      token,
      start: yield* startTimeOf(fs, "self"),
      boot: yield* readTrimmed(fs, "/proc/sys/kernel/random/boot_id"),
      host: yield* readTrimmed(fs, "/proc/sys/kernel/hostname")
    }
    // with another namespace's /proc mounted, /proc/<pid> is some other process
    const ownProc = self !== undefined && self.startsWith(`${process.pid} `)
    return { me, ownProc }
  })

/** Reads a lock file: `undefined` when there is none, `"unreadable"` when its content is not a lock. */
const read = (fs: FileSystem.FileSystem, path: string) =>
  fs.readFileString(path).pipe(
    Effect.map((text): Holder | "unreadable" => {
      const trimmed = text.trim()
      // the format of earlier versions: the pid alone
      if (/^\d+$/.test(trimmed)) return { pid: Number(trimmed), token: `pid${trimmed}` }
      try {
        const json = JSON.parse(trimmed) as Record<string, unknown>
        if (typeof json.pid !== "number" || typeof json.token !== "string" || !/^[0-9a-z]+$/.test(json.token)) {
          return "unreadable"
        }
        const text = (value: unknown) => typeof value === "string" ? value : undefined
        return {
          pid: json.pid,
          token: json.token,
          start: text(json.start),
          boot: text(json.boot),
          host: text(json.host)
        }
      } catch {
        return "unreadable"
      }
    }),
    ifMissing(() => Effect.succeed(undefined))
  )

/** Whether a process with this pid runs (EPERM: it runs, as another user). */
const isRunning = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as { code?: unknown }).code === "EPERM"
  }
}

/** Why a lock is stale, or `undefined` when its holder may still run. */
const staleness = (
  fs: FileSystem.FileSystem,
  path: string,
  holder: Holder | "unreadable",
  me: Holder,
  ownProc: boolean
): Effect.Effect<string | undefined> =>
  Effect.gen(function*() {
    if (holder === "unreadable") return "an unreadable lock file"
    const who = `process ${holder.pid}`
    if (holder.host !== undefined && me.host !== undefined && holder.host !== me.host) {
      const modified = yield* fs.stat(path).pipe(
        Effect.map((info) => Option.getOrUndefined(info.mtime)),
        Effect.orElseSucceed(() => undefined)
      )
      const age = modified === undefined ? 0 : Date.now() - modified.getTime()
      return age > Duration.toMillis(foreignStaleAfter)
        ? `${who} on ${holder.host}, which has not refreshed it for ${Math.round(age / 1000)} seconds`
        : undefined
    }
    if (holder.boot !== undefined && me.boot !== undefined && holder.boot !== me.boot) {
      return `${who} before the machine restarted`
    }
    const differs = (start: string | undefined) =>
      holder.start !== undefined && start !== undefined && holder.start !== start
    if (holder.pid === me.pid) {
      // a lock in the format of earlier versions is never this process's
      return differs(me.start) || holder.token === `pid${holder.pid}`
        ? `an earlier ${who} (the pid is reused: this process is ${me.pid} now)`
        : undefined
    }
    if (!isRunning(holder.pid)) return `${who}, which is gone`
    if (ownProc && differs(yield* startTimeOf(fs, holder.pid))) return `${who}, whose pid another process reuses`
    return undefined
  })

/**
 * A sleep on the wall clock, not the program's `Clock`: the heartbeat is read by other processes against file times,
 * and a test's `TestClock` must not see it.
 */
const wallClockSleep = (duration: Duration.Duration): Effect.Effect<void> =>
  Effect.async<void>((resume) => {
    const timer = setTimeout(() => resume(Effect.void), Duration.toMillis(duration))
    return Effect.sync(() => clearTimeout(timer))
  })

/** The lock held by this process: `ensure` puts it back if it disappeared (its directory was deleted). */
export interface Lock {
  readonly path: string
  /**
   * Checks that `P.lock` is still this process's, recreating its directory and the lock when they are gone (then it
   * returns `true`); fails with `OutboxLocked` when another process took the path meanwhile.
   */
  readonly ensure: Effect.Effect<boolean, OutboxLocked | PlatformError.PlatformError>
}

/**
 * Takes the lock of the outbox at `outboxPath` for the scope, or fails with `OutboxLocked`. `onRemade` runs each time
 * the lock had to be made again (its directory was deleted), by `ensure` or the heartbeat.
 */
export const acquire = (
  fs: FileSystem.FileSystem,
  outboxPath: string,
  onRemade: () => void = () => {}
): Effect.Effect<Lock, OutboxLocked | PlatformError.PlatformError, Scope.Scope> =>
  Effect.gen(function*() {
    const lockPath = `${outboxPath}.lock`
    const { me, ownProc } = yield* identify(fs)
    const content = JSON.stringify(me) + "\n"
    const mine = `${lockPath}.${me.token}`
    const linkTo = (path: string) =>
      fs.link(mine, path).pipe(
        Effect.as(true),
        Effect.catchTag("SystemError", (error) => error.reason === "AlreadyExists" ? Effect.succeed(false) : error)
      )

    /**
     * Replaces the stale lock at `path` (whose token is `stale`) with ours, exclusively; `false` when another process
     * is taking it over or got there first.
     */
    const replace = (path: string, stale: string, depth: number): Effect.Effect<boolean, PlatformError.PlatformError> =>
      Effect.gen(function*() {
        const claim = `${path}.takeover-${stale}`
        if (!(yield* linkTo(claim))) {
          const claimer = yield* read(fs, claim)
          if (claimer === undefined || depth >= 4) return false
          if (claimer !== "unreadable" && claimer.token === me.token) return false
          if ((yield* staleness(fs, claim, claimer, me, ownProc)) === undefined) return false
          const token = claimer === "unreadable" ? "unreadable" : claimer.token
          if (!(yield* replace(claim, token, depth + 1))) return false
        }
        const current = yield* read(fs, path)
        const token = current === undefined || current === "unreadable" ? current : current.token
        if (token !== stale) {
          // another process replaced it before our claim: ours is not needed
          yield* fs.remove(claim, { force: true })
          return false
        }
        yield* fs.rename(claim, path)
        return true
      })

    const take = Effect.gen(function*() {
      let other: Holder | "unreadable" | undefined
      for (let round = 0; round < rounds; round++) {
        if (yield* linkTo(lockPath)) return
        other = yield* read(fs, lockPath)
        if (other === undefined) continue
        if (other !== "unreadable" && other.token === me.token) return
        const stale = yield* staleness(fs, lockPath, other, me, ownProc)
        if (stale === undefined) break
        if (yield* replace(lockPath, other === "unreadable" ? "unreadable" : other.token, 0)) {
          yield* Effect.logWarning(`ScoreQueue: the outbox ${outboxPath} was locked by ${stale}; taken over`)
          return
        }
        yield* Effect.sleep(Duration.millis(5 + Math.floor(Math.random() * 20)))
      }
      return yield* new OutboxLocked({
        outboxPath,
        lockPath,
        pid: other === undefined || other === "unreadable" ? undefined : other.pid
      })
    })
    const lockOnce = Effect.zipRight(fs.writeFileString(mine, content), take).pipe(
      Effect.ensuring(fs.remove(mine, { force: true }).pipe(Effect.ignore))
    )
    yield* lockOnce
    yield* Effect.addFinalizer(() =>
      // only our own lock: never one another process took over
      read(fs, lockPath).pipe(
        Effect.flatMap((current) =>
          current !== undefined && current !== "unreadable" && current.token === me.token
            ? fs.remove(lockPath, { force: true })
            : Effect.void
        ),
        Effect.ignore
      )
    )

    const ensure = Effect.gen(function*() {
      const current = yield* read(fs, lockPath)
      if (current !== undefined && current !== "unreadable" && current.token === me.token) return false
      if (current === undefined) {
        yield* fs.makeDirectory(directoryOf(lockPath), { recursive: true })
        yield* Effect.logWarning(`ScoreQueue: the lock ${lockPath} is gone (its directory was deleted?); taken again`)
        yield* lockOnce
        onRemade()
        return true
      }
      return yield* new OutboxLocked({
        outboxPath,
        lockPath,
        pid: current === "unreadable" ? undefined : current.pid
      })
    })

    const touch = Effect.flatMap(ensure, () => {
      const now = new Date()
      return fs.utimes(lockPath, now, now)
    }).pipe(
      Effect.catchAll((error) => Effect.logWarning(`ScoreQueue: cannot refresh the outbox lock: ${error.message}`))
    )
    yield* Effect.forkScoped(Effect.forever(Effect.zipRight(wallClockSleep(heartbeat), touch)))

    return { path: lockPath, ensure }
  })
