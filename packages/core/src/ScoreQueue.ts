/**
 * Background delivery of scores that never loses one: `offer` checks the scores and returns at once, delivery fibers
 * submit them with `HeliconeScores` (and its retry policy), and what cannot be delivered now goes to a durable outbox
 * file that is replayed later.
 *
 * How an offered score travels:
 * - `offer` validates with the same rules as `submitScore` (a bad id or score is a typed error at the call site,
 *   never queued) and puts the scores in a bounded in-memory buffer. Offers for a request id that is still waiting
 *   are merged into it (later keys win).
 * - `concurrency` fibers deliver the buffer, at most one delivery per request id at a time. While more request ids
 *   wait than fibers run, a fiber is added, up to `maxConcurrency`; each added one stops once nothing waits.
 * - When the buffer is full, or a delivery still fails after the retry policy (rate limit, outage, timeouts), the
 *   scores are appended to the outbox (`outboxPath`, JSON lines, fsynced per batch) with a warning in the log. From
 *   then on, until the outbox is empty, new scores queue behind it, so the value offered last for a score is the one
 *   stored last. The outbox is replayed (at `maxConcurrency`) when the layer starts, when it receives entries, and
 *   every `replayInterval` (or a `Retry-After`, at most `maxRetryAfter`) while Helicone keeps failing; entries leave
 *   it once accepted. The replay records its progress after each chunk and when interrupted, so a pass resumes where
 *   it stopped, in this process or the next, and sends again only what was in flight.
 * - A backlog found at start does not hold up new scores: they are delivered directly beside its replay, which sends
 *   each backlog entry with the newer scores of its id on top (for up to `capacity` ids; past that new scores queue
 *   behind). When new scores start queueing behind the backlog, or at shutdown with the backlog unfinished, those
 *   delivered beside it are written right behind it, so a later replay cannot land an older value last.
 * - A redirect (3xx) is never followed: the scores stay in the outbox, with one warning naming the `Location`.
 * - Rejections that no retry can fix (400/413/422, the integer 500) go to a dead-letter file (`deadLetterPath`, one JSON
 *   line per submission with the error) and are counted as `rejected`; `resendDeadLetters` moves them back.
 * - A refused API key (401/403) stops delivery at once: one error line, nothing more is sent, and every undelivered
 *   score (the refused one included, and every later offer) is kept in the outbox, not dead-lettered. `stats.halted`
 *   and `awaitDelivery` (which fails with `Unauthorized`) say so. A delivery that
 *   dies with a defect (a bug) is logged and kept; after 3 such deaths it is dead-lettered too, counted as `defects`.
 * - An outbox line that cannot be read (not JSON, not UTF-8, longer than 16 MB) is moved to `<outboxPath>.corrupt`
 *   with a warning; start-up goes on. Entries of one id are merged on replay while their lines add up to 4 MB.
 * - A write to the outbox that fails is retried a few times (about 1.5 seconds). If it still fails, the entries are
 *   kept in memory, `offer` fails with `OutboxUnwritable` (nothing more is accepted), and the write is tried again
 *   every `replayInterval` until it succeeds; `flush` waits for it.
 * - When the layer's scope closes (a test's scope, or SIGINT/SIGTERM through `NodeRuntime.runMain`), `offer` fails
 *   with `QueueClosed`, the buffer is delivered for at most `shutdownDeadline`, and the rest is written to the outbox;
 *   if the outbox cannot be written, to the dead-letter file; if that fails too, each entry's line goes to the error
 *   log (counted as `stranded`).
 *
 * Delivery guarantees: at least once (a score may be sent twice, which Helicone's per-key last-write-wins makes
 * harmless). A score is durable once Helicone accepted it (2xx), or once it is in the outbox and fsynced; `flush`
 * waits for exactly that, `awaitDelivery` for acceptance. Until then it lives in process memory: at most `capacity`
 * waiting request ids, plus `maxConcurrency` in flight, plus the outbox batch being written. A clean shutdown loses nothing; a crash (kill -9, OOM,
 * power loss) loses what was in that window, never what the last fsync covered. Only one queue may use an outbox
 * path at a time: a lock file beside it (`<outboxPath>.lock`: pid, start time, boot id, host) makes a second one fail
 * with `OutboxLocked`. It is taken over, exclusively, when its process is gone or its pid now runs another process;
 * a lock from another host (a shared volume) when it has not been refreshed for 60 seconds. A deleted outbox
 * directory is made again, with the lock, at the next write.
 *
 * @example
 * ```ts
 * import { HeliconeScores, ScoreQueue } from "@helicone-effect/core"
 * import { NodeContext, NodeHttpClient, NodeRuntime } from "@effect/platform-node"
 * import { Effect, Layer } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const queue = yield* ScoreQueue.ScoreQueue
 *   yield* queue.offer(requestId, { thumbs_up: true }) // returns at once
 *   yield* queue.flush // delivered, dead-lettered or durably in the outbox
 *   const report = yield* queue.awaitDelivery({ timeout: "60 seconds" }) // accepted or dead-lettered
 * })
 *
 * program.pipe(
 *   Effect.provide(ScoreQueue.layer({ capacity: 10_000 }).pipe(
 *     Layer.provide(HeliconeScores.layerConfig),
 *     Layer.provide([NodeHttpClient.layerUndici, NodeContext.layer])
 *   )),
 *   NodeRuntime.runMain
 * )
 * ```
 *
 * @since 0.1.0
 */
import type * as PlatformError from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import type { InvalidRequestId, InvalidScores, Unauthorized } from "./HeliconeError.js"
import { InvalidConfig } from "./HeliconeError.js"
import * as HeliconeScores from "./HeliconeScores.js"
import { decodeDuration } from "./internal/duration.js"
import * as Engine from "./internal/queue/queue.js"
import * as RetryPolicy from "./RetryPolicy.js"
import type { OutboxLocked, OutboxUnwritable, QueueClosed } from "./ScoreQueueError.js"

/**
 * The queue is shut down (its layer's scope is closing or closed); the scores were not accepted.
 *
 * @since 0.1.0
 * @category errors
 */
export { QueueClosed } from "./ScoreQueueError.js"

/**
 * Another queue holds the outbox: the lock file beside it (`<outboxPath>.lock`) names a process that still runs. A
 * lock left by a process that is gone (kill -9, a crash), or whose pid another process reuses, is taken over instead.
 *
 * @since 0.1.0
 * @category errors
 */
export { OutboxLocked } from "./ScoreQueueError.js"

/**
 * The outbox cannot be written (a full disk, a read-only file system), so `offer` refuses scores: they were not
 * accepted. Scores accepted before stay in memory; the queue tries the outbox again every `replayInterval`.
 *
 * @since 0.1.0
 * @category errors
 */
export { OutboxUnwritable } from "./ScoreQueueError.js"

/**
 * Every way `offer` can fail. None of them means a score was lost: each means it was never accepted.
 *
 * @since 0.1.0
 * @category errors
 */
export type OfferError = InvalidRequestId | InvalidScores | QueueClosed | OutboxUnwritable

/**
 * Counters of the queue, for dashboards and tests.
 *
 * @since 0.1.0
 * @category models
 */
export interface Stats {
  /**
   * Entries in memory and not in flight: request ids waiting for a delivery fiber, plus entries handed to the outbox
   * writer and not yet fsynced (an id can be in both; `inOutbox` counts them once written).
   */
  readonly queued: number
  /** Deliveries in progress. */
  readonly inFlight: number
  /** Submissions Helicone accepted (scores merged for one request id count once). */
  readonly delivered: number
  /** Deliveries attempted again from the outbox, after failing past the retry policy. */
  readonly retried: number
  /**
   * Lines in the outbox files. A replay takes them off as the file loses them (removed, or rewritten to what is still
   * undelivered), not entry by entry, so 0 means the outbox files are gone. One exception: the lines of a write that
   * failed after reaching the disk are counted when the file is next replayed.
   */
  readonly inOutbox: number
  /** Submissions Helicone rejected for good, written to the dead-letter file. */
  readonly rejected: number
  /** Offers refused at the call site (invalid request id or scores). */
  readonly invalid: number
  /** Outbox lines that could not be read and were moved to the `.corrupt` file. */
  readonly corrupt: number
  /**
   * Submissions a shutdown could not write to the outbox: written to the dead-letter file instead (error
   * `OutboxUnwritable`), or, when that failed too, logged at error level, each as its outbox JSON line.
   */
  readonly stranded: number
  /**
   * Submissions written to the dead-letter file (error `Defect`) because their delivery died with a defect, a bug
   * rather than an answer from Helicone, 3 times; each defect is logged at error level.
   */
  readonly defects: number
  /** Delivery fibers running now: `concurrency`, and more (up to `maxConcurrency`) while the buffer fills. */
  readonly concurrency: number
  /**
   * Set once Helicone refused the API key (401/403): delivery has stopped for good in this queue, and every
   * undelivered score is kept in the outbox (not dead-lettered). A queue opened later, with a key that works, sends
   * them.
   */
  readonly halted: Unauthorized | undefined
}

/**
 * Where the scores offered so far are, as `awaitDelivery` found them. Counts are since the queue started.
 *
 * @since 0.1.0
 * @category models
 */
export interface DeliveryReport {
  /** Every score offered (and every outbox entry found at start) was accepted by Helicone or dead-lettered. */
  readonly complete: boolean
  /** Submissions Helicone accepted. */
  readonly delivered: number
  /** Submissions written to the dead-letter file: `rejected + defects + stranded` of {@link Stats}. */
  readonly deadLettered: number
  /** Entries in the outbox files (the one being replayed included), durable, sent by a later queue if not by this. */
  readonly inOutbox: number
  /** Request ids still only in memory (waiting, in flight, or being written to the outbox) when the wait ended. */
  readonly inMemory: number
}

/**
 * The options of `awaitDelivery`.
 *
 * @since 0.1.0
 * @category models
 */
export interface AwaitOptions {
  /** How long to wait at most; without it, the wait ends only when delivery is complete or halted. */
  readonly timeout?: Duration.DurationInput | undefined
}

/**
 * The queue.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /**
   * Accepts scores for background delivery, or fails at once with the reason they are refused. It never waits for
   * the network (only, when the outbox's write buffer is full, for the disk; a shutdown ends that wait, with the
   * scores accepted).
   */
  readonly offer: (
    requestId: string,
    scores: Readonly<Record<string, unknown>>
  ) => Effect.Effect<void, OfferError>
  /** Waits until everything offered so far is delivered, dead-lettered or fsynced in the outbox. */
  readonly flush: Effect.Effect<void>
  /** The current counters. */
  readonly stats: Effect.Effect<Stats>
  /**
   * Waits until every score offered so far, and every entry of the outbox, is accepted by Helicone or
   * dead-lettered, or until `timeout` passes, and says where the scores are. It does not stop delivery: after a
   * timeout, what is left is delivered in the background and, at shutdown, kept in the outbox.
   *
   * Fails with `Unauthorized` once Helicone refused the API key (at once if it already had), after every score in
   * memory has reached the outbox; `stats` then tells how many are there.
   *
   * @example
   * ```ts
   * const report = yield* queue.awaitDelivery({ timeout: "60 seconds" })
   * if (!report.complete) console.log(`${report.inOutbox} scores in the outbox, ${report.inMemory} in memory`)
   * ```
   */
  readonly awaitDelivery: (options?: AwaitOptions) => Effect.Effect<DeliveryReport, Unauthorized>
  /**
   * Moves every dead letter back into delivery: appended to the outbox (fsynced), then taken off the dead-letter
   * file, which keeps only the lines it cannot read. Returns how many were moved; `awaitDelivery` then waits for
   * them. A score that Helicone rejects again is dead-lettered again.
   */
  readonly resendDeadLetters: Effect.Effect<number, PlatformError.PlatformError>
}

/**
 * The score queue service.
 *
 * @since 0.1.0
 * @category tags
 */
export class ScoreQueue extends Context.Tag("@helicone-effect/core/ScoreQueue")<ScoreQueue, Service>() {}

/**
 * The options of {@link layer}; every one is optional.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Request ids held in memory before scores go straight to the outbox. Default 10,000. */
  readonly capacity?: number | undefined
  /** Delivery fibers that always run. Default 8. */
  readonly concurrency?: number | undefined
  /**
   * Deliveries in progress at most: while more request ids wait than fibers run, a fiber is added, up to this; each
   * added one stops once nothing waits. A replay of the outbox (a backlog) runs at this concurrency. Default 64, or
   * `concurrency` if larger.
   */
  readonly maxConcurrency?: number | undefined
  /** The outbox file. Default `.helicone-outbox/outbox.jsonl` (relative to the working directory). */
  readonly outboxPath?: string | undefined
  /** The dead-letter file. Default `.helicone-outbox/dead-letter.jsonl`. */
  readonly deadLetterPath?: string | undefined
  /** How long a shutdown keeps delivering before it writes the rest to the outbox. Default 5 seconds. */
  readonly shutdownDeadline?: Duration.DurationInput | undefined
  /** How often the outbox is tried again while Helicone keeps failing. Default 5 seconds. */
  readonly replayInterval?: Duration.DurationInput | undefined
  /**
   * The longest the replay waits when Helicone's `Retry-After` asks for longer (a huge number, a date far ahead).
   * Default 60 seconds, the retry policy's `maxRetryAfter`.
   */
  readonly maxRetryAfter?: Duration.DurationInput | undefined
}

/**
 * The defaults of {@link Options}.
 *
 * @since 0.1.0
 * @category models
 */
export const defaults = {
  capacity: 10_000,
  concurrency: 8,
  maxConcurrency: 64,
  outboxPath: ".helicone-outbox/outbox.jsonl",
  deadLetterPath: ".helicone-outbox/dead-letter.jsonl",
  shutdownDeadline: Duration.seconds(5),
  replayInterval: Duration.seconds(5),
  maxRetryAfter: RetryPolicy.defaults.maxRetryAfter
} as const

const positiveInteger = (option: string, value: number | undefined, fallback: number) =>
  value === undefined
    ? Either.right(fallback)
    : Number.isSafeInteger(value) && value >= 1
    ? Either.right(value)
    : Either.left(new InvalidConfig({ option, reason: `must be an integer >= 1, got ${value}` }))

const path = (option: string, value: string | undefined, fallback: string) =>
  value === undefined
    ? Either.right(fallback)
    : typeof value === "string" && value.trim().length > 0
    ? Either.right(value)
    : Either.left(new InvalidConfig({ option, reason: "must be a non-empty file path" }))

const resolve = (options: Options): Either.Either<Engine.Config, InvalidConfig> =>
  Either.all({
    capacity: positiveInteger("capacity", options.capacity, defaults.capacity),
    concurrency: positiveInteger("concurrency", options.concurrency, defaults.concurrency),
    maxConcurrency: positiveInteger("maxConcurrency", options.maxConcurrency, defaults.maxConcurrency),
    outboxPath: path("outboxPath", options.outboxPath, defaults.outboxPath),
    deadLetterPath: path("deadLetterPath", options.deadLetterPath, defaults.deadLetterPath),
    shutdownDeadline: decodeDuration("shutdownDeadline", options.shutdownDeadline, defaults.shutdownDeadline),
    replayInterval: decodeDuration("replayInterval", options.replayInterval, defaults.replayInterval),
    maxRetryAfter: decodeDuration("maxRetryAfter", options.maxRetryAfter, defaults.maxRetryAfter)
  }).pipe(
    Either.map((config) => ({
      ...config,
      maxConcurrency: options.maxConcurrency === undefined
        ? Math.max(config.maxConcurrency, config.concurrency)
        : config.maxConcurrency
    })),
    Either.filterOrLeft(
      (config) => config.maxConcurrency >= config.concurrency,
      (config) =>
        new InvalidConfig({
          option: "maxConcurrency",
          reason: `must be at least concurrency (${config.concurrency}), got ${config.maxConcurrency}`
        })
    )
  )

/**
 * Starts a queue in the current scope: opens the outbox (replaying it in the background) and starts the delivery
 * fibers. Closing the scope shuts the queue down (see the module documentation).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: Options = {}
): Effect.Effect<
  Service,
  InvalidConfig | OutboxLocked | PlatformError.PlatformError,
  HeliconeScores.HeliconeScores | FileSystem.FileSystem | Scope.Scope
> =>
  Effect.gen(function*() {
    const config = yield* resolve(options)
    const scores = yield* HeliconeScores.HeliconeScores
    const fs = yield* FileSystem.FileSystem
    return yield* Engine.make(config, scores, fs)
  })

/**
 * The queue as a layer over `HeliconeScores` and a `FileSystem` (`NodeContext.layer` or `NodeFileSystem.layer`).
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Options = {}
): Layer.Layer<
  ScoreQueue,
  InvalidConfig | OutboxLocked | PlatformError.PlatformError,
  HeliconeScores.HeliconeScores | FileSystem.FileSystem
> => Layer.scoped(ScoreQueue, make(options))

/**
 * A queue over the in-memory `HeliconeScores.layerTest`, with its outbox in a temporary directory removed with the
 * layer: for a user's tests, `flush` then read what was submitted from `HeliconeScoresTest`.
 *
 * @example
 * ```ts
 * import { HeliconeScores, ScoreQueue } from "@helicone-effect/core"
 * import { NodeFileSystem } from "@effect/platform-node"
 * import { Effect } from "effect"
 *
 * Effect.gen(function*() {
 *   yield* ScoreQueue.offer(requestId, { accuracy: 92 })
 *   yield* ScoreQueue.flush
 *   const submitted = yield* (yield* HeliconeScores.HeliconeScoresTest).submissions
 * }).pipe(Effect.provide(ScoreQueue.layerTest), Effect.provide(NodeFileSystem.layer))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerTest: Layer.Layer<
  ScoreQueue | HeliconeScores.HeliconeScores | HeliconeScores.HeliconeScoresTest,
  InvalidConfig | OutboxLocked | PlatformError.PlatformError,
  FileSystem.FileSystem
> = Layer.scoped(
  ScoreQueue,
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const dir = yield* fs.makeTempDirectoryScoped({ prefix: "helicone-score-queue-" })
    return yield* make({ outboxPath: `${dir}/outbox.jsonl`, deadLetterPath: `${dir}/dead-letter.jsonl` })
  })
).pipe(Layer.provideMerge(HeliconeScores.layerTest))

/**
 * Offers scores to the `ScoreQueue` of the context.
 *
 * @since 0.1.0
 * @category accessors
 */
export const offer = (
  requestId: string,
  scores: Readonly<Record<string, unknown>>
): Effect.Effect<void, OfferError, ScoreQueue> => Effect.flatMap(ScoreQueue, (queue) => queue.offer(requestId, scores))

/**
 * Waits until everything offered to the `ScoreQueue` of the context is delivered, dead-lettered or in the outbox.
 *
 * @since 0.1.0
 * @category accessors
 */
export const flush: Effect.Effect<void, never, ScoreQueue> = Effect.flatMap(ScoreQueue, (queue) => queue.flush)

/**
 * The counters of the `ScoreQueue` of the context.
 *
 * @since 0.1.0
 * @category accessors
 */
export const stats: Effect.Effect<Stats, never, ScoreQueue> = Effect.flatMap(ScoreQueue, (queue) => queue.stats)

/**
 * Waits until the scores offered to the `ScoreQueue` of the context are accepted or dead-lettered, or the timeout
 * passes (see `Service.awaitDelivery`).
 *
 * @since 0.1.0
 * @category accessors
 */
export const awaitDelivery = (
  options?: AwaitOptions
): Effect.Effect<DeliveryReport, Unauthorized, ScoreQueue> =>
  Effect.flatMap(ScoreQueue, (queue) => queue.awaitDelivery(options))

/**
 * Moves the dead letters of the `ScoreQueue` of the context back into delivery (see `Service.resendDeadLetters`).
 *
 * @since 0.1.0
 * @category accessors
 */
export const resendDeadLetters: Effect.Effect<number, PlatformError.PlatformError, ScoreQueue> = Effect.flatMap(
  ScoreQueue,
  (queue) => queue.resendDeadLetters
)
