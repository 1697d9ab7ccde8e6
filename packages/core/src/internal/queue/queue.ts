/**
 * The engine of `ScoreQueue`: the in-memory buffer with coalescing, the delivery fibers, and the shutdown drain. The
 * outbox writer is `queueWriter.ts`, the dead-letter file `queueDeadLetter.ts`, the replay of the outbox
 * `queueReplayer.ts`.
 *
 * Ordering: at most one delivery per request id is in flight, and once a delivery failed or the buffer overflowed,
 * every new entry goes through the outbox (behind what is already there) until it is empty. Beside a backlog found at
 * start, new entries are delivered directly and remembered (`newer`): the replay sends them on top of the backlog's
 * entries of the same id, and they are written behind the backlog before anything else goes there. So for each
 * request id and score name the value offered last is the value stored last, across failures, overflow and restarts.
 *
 * @internal
 */
import type * as PlatformError from "@effect/platform/Error"
import type * as FileSystem from "@effect/platform/FileSystem"
import * as Cause from "effect/Cause"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as FiberSet from "effect/FiberSet"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import type * as Scope from "effect/Scope"
import type { Redirected, Unauthorized } from "../../HeliconeError.js"
import { isRejection } from "../../HeliconeError.js"
import type * as HeliconeScores from "../../HeliconeScores.js"
import * as RequestId from "../../RequestId.js"
import type * as ScoreQueue from "../../ScoreQueue.js"
import type { OutboxLocked } from "../../ScoreQueueError.js"
import { OutboxUnwritable, QueueClosed } from "../../ScoreQueueError.js"
import * as Scores from "../../Scores.js"
import * as DeadLetter from "./deadLetter.js"
import * as Outbox from "./outbox.js"
import * as Replayer from "./replayer.js"
import * as Writer from "./writer.js"

/** Resolved options. */
export interface Config {
  readonly capacity: number
  readonly concurrency: number
  readonly maxConcurrency: number
  readonly outboxPath: string
  readonly deadLetterPath: string
  readonly shutdownDeadline: Duration.Duration
  readonly replayInterval: Duration.Duration
  readonly maxRetryAfter: Duration.Duration
}

type ScoreMap = Outbox.ScoreMap

/** What `flush` waits for: the entries alive when it was called. */
interface Barrier {
  remaining: number
  readonly done: Deferred.Deferred<void>
}

/** One request id's scores on their way: waiting, being delivered, or being written to the outbox. */
interface Item {
  readonly requestId: string
  readonly scores: ScoreMap
  barriers: Array<Barrier> | undefined
  /** A bound on the size of `scores` as a request body, once offers were merged into it. */
  bytes?: number
  /** Offers for the same id that did not fit in this one's body: waiting behind it, delivered after it. */
  next?: Item | undefined
}

/**
 * A bound on the JSON size of scores: each name at most 3 UTF-8 bytes a character, plus quotes, colon, comma and a
 * value of at most 20 characters.
 */
const estimateBytes = (scores: Readonly<ScoreMap>): number => {
  let bytes = 16
  for (const key of Object.keys(scores)) bytes += key.length * 3 + 26
  return bytes
}

/** The items waiting for one id, oldest first. */
const chainOf = (item: Item): Array<Item> => {
  const all = [item]
  for (let next = item.next; next !== undefined; next = next.next) all.push(next)
  return all
}

/** Whether the entries still to deliver for an id (`inFlight`, then the `waiting` chain) hold every name of `scores`. */
const covers = (inFlight: Item | undefined, waiting: Item | undefined, scores: ScoreMap): boolean => {
  const names = new Set<string>()
  if (inFlight !== undefined) { for (const name of Object.keys(inFlight.scores)) names.add(name) }
  if (waiting !== undefined) {
    for (const each of chainOf(waiting)) for (const name of Object.keys(each.scores)) names.add(name)
  }
  if (names.size === 0) return false
  for (const name of Object.keys(scores)) if (!names.has(name)) return false
  return true
}

/** Deliveries of one request id that may die with a defect (a bug) before its entry is dead-lettered. */
const maxDefects = 3
/** Entries per replay chunk: replay progress is recorded after each one. */
const chunkSize = (maxConcurrency: number) => Math.max(1024, maxConcurrency * 16)

const complete = (item: Item): void => {
  const barriers = item.barriers
  if (barriers === undefined) return
  item.barriers = undefined
  for (const barrier of barriers) {
    if (--barrier.remaining === 0) Deferred.unsafeDone(barrier.done, Exit.void)
  }
}

/** Builds the queue and starts its fibers in the scope; closing the scope drains it (see `ScoreQueue.layer`). */
export const make = (
  config: Config,
  scores: HeliconeScores.Service,
  fs: FileSystem.FileSystem
): Effect.Effect<ScoreQueue.Service, OutboxLocked | PlatformError.PlatformError, Scope.Scope> =>
  Effect.gen(function*() {
    const outbox = yield* Outbox.make(fs, config.outboxPath, {
      chunkSize: chunkSize(config.maxConcurrency),
      onShrink: () => notify()
    })
    const ready = yield* Queue.unbounded<string>()
    const deadLetters = yield* DeadLetter.make(fs, config.deadLetterPath)

    /** Waiting entries, by request id, in arrival order. */
    const pending = new Map<string, Item>()
    /** Entries taken by a delivery fiber, by request id. */
    const inFlight = new Map<string, Item>()
    /** Entries handed to the outbox writer and not written yet, in hand-off order. */
    const handedOff = new Set<Item>()
    let closed = false
    /**
     * Whether new entries go through the outbox, behind what it holds: after a failure past the retry policy, a full
     * buffer or a refused key, until the outbox is empty. A backlog found at start does not set it: new scores are
     * delivered directly beside its replay (see `newer`).
     */
    let viaOutbox = false
    const backlogAtStart = outbox.size() > 0 || (yield* fs.exists(outbox.paths.replay))
    /**
     * Scores delivered directly while the outbox holds a backlog, by request id, at most `capacity` ids: the replay
     * sends them on top of the backlog's older entry for the same id, so the value offered last still lands last.
     * Past `capacity` ids, new entries queue behind the backlog. Emptied once the outbox is.
     */
    const newer = new Map<string, { scores: ScoreMap; version: number }>()
    let newerVersion = 0
    /** Notes a direct delivery beside a backlog; `false` when `newer` is full and the entry must queue behind it. */
    const noteNewer = (item: Item): boolean => {
      if (outbox.size() === 0) return true
      const known = newer.get(item.requestId)
      if (known === undefined) {
        if (newer.size >= config.capacity) return false
        newer.set(item.requestId, { scores: { ...item.scores }, version: ++newerVersion })
      } else {
        Outbox.mergeScores(known.scores, item.scores)
        known.version = ++newerVersion
      }
      return true
    }
    const counts = { sending: 0, delivered: 0, retried: 0, rejected: 0, invalid: 0, stranded: 0, defects: 0 }
    /** Deliveries that died with a defect, by request id, until it is delivered or dead-lettered. */
    const defects = new Map<string, number>()
    /** The first 401/403: from then on nothing is sent, and every entry goes to the outbox. */
    let halted: Unauthorized | undefined
    /** Delivery fibers running: `concurrency` always, and more, up to `maxConcurrency`, while the buffer fills. */
    let workerCount = 0
    /** Completed when every score has landed or delivery halted, for `awaitDelivery`; made by the first waiter. */
    let landed: Deferred.Deferred<void> | undefined
    /** Nothing offered is left in memory or in the outbox: each score was accepted or dead-lettered. */
    const settled = () => pending.size === 0 && inFlight.size === 0 && handedOff.size === 0 && outbox.size() === 0
    function notify() {
      if (landed !== undefined && (halted !== undefined || settled())) {
        Deferred.unsafeDone(landed, Exit.void)
        landed = undefined
      }
    }

    /**
     * Sends every new entry through the outbox from now on. Scores delivered beside a backlog go first, into the
     * outbox right behind the backlog: a later process replaying the rest of that backlog then sends them again after
     * it, so the backlog's older values for those ids never land last. (Up to `capacity` ids are sent twice.)
     */
    function switchToOutbox() {
      if (viaOutbox) return
      viaOutbox = true
      if (newer.size === 0 || outbox.size() === 0) return
      for (const [requestId, { scores }] of newer) {
        // an entry of that id still to deliver (in flight, or waiting) goes to the outbox itself, behind the
        // backlog: when it holds every score name delivered beside it, a copy would only be a duplicate
        if (covers(inFlight.get(requestId), pending.get(requestId), scores)) continue
        const item: Item = { requestId, scores: { ...scores }, barriers: undefined }
        handedOff.add(item)
        // the writer's input holds `capacity` entries and nothing went there before: it has room
        writerInput.unsafeOffer(item)
      }
    }

    /** Switches to delivery through the outbox (at once, when called); the effect logs the switch. */
    const fallBack = (reason: string): Effect.Effect<void> => {
      if (viaOutbox) return Effect.void
      switchToOutbox()
      return Effect.logWarning(
        `ScoreQueue: ${reason}; scores go to the outbox ${outbox.paths.outbox} until it is replayed`
      )
    }

    /** Gives an entry to the outbox writer; it is complete once written and fsynced. */
    const handOff = (item: Item): Effect.Effect<void> => {
      switchToOutbox()
      handedOff.add(item)
      return writerInput.unsafeOffer(item) ? Effect.void : Queue.offer(writerInput, item)
    }

    /**
     * Gives an offered entry to the outbox writer. The offer may wait for room; if a shutdown stops the writer
     * meanwhile, the shutdown has saved the entry (it was in `handedOff`), so the offer succeeds; an offer interrupted
     * otherwise takes its entry back.
     */
    const handOffOffered = (item: Item): Effect.Effect<void> => {
      switchToOutbox()
      handedOff.add(item)
      if (writerInput.unsafeOffer(item)) return Effect.void
      return Queue.offer(writerInput, item).pipe(
        Effect.catchAllCause((cause) =>
          closed && Cause.isInterruptedOnly(cause) ? Effect.void : Effect.failCause(cause)
        ),
        Effect.asVoid,
        Effect.onInterrupt(() =>
          Effect.sync(() => {
            if (!closed && handedOff.delete(item)) complete(item)
          })
        )
      )
    }

    // ---- offer

    const accept = (requestId: string, valid: Scores.Scores): Effect.Effect<void> => {
      const waiting = pending.get(requestId)
      if (waiting !== undefined) {
        // merged while the body stays well under Helicone's 10 MB limit; past that, the offer waits behind
        let tail = waiting
        while (tail.next !== undefined) tail = tail.next
        const added = estimateBytes(valid)
        tail.bytes ??= estimateBytes(tail.scores)
        if (tail.bytes + added <= Replayer.maxMergedBytes) {
          Outbox.mergeScores(tail.scores, valid)
          tail.bytes += added
        } else {
          tail.next = { requestId, scores: valid as ScoreMap, barriers: undefined, bytes: added }
        }
        return Effect.void
      }
      const item: Item = { requestId, scores: valid as ScoreMap, barriers: undefined }
      const busy = inFlight.has(requestId)
      // an id in flight always waits in memory, behind its delivery, so that its order holds (at most `concurrency`)
      if (busy || pending.size < config.capacity) {
        pending.set(requestId, item)
        if (!busy) ready.unsafeOffer(requestId)
        if (pending.size > workerCount && workerCount < config.maxConcurrency && !viaOutbox) spawnWorker()
        return Effect.void
      }
      const warning = fallBack(`the buffer is full (${config.capacity} request ids)`)
      return Effect.zipRight(warning, handOffOffered(item))
    }

    const offer = (requestId: string, input: Readonly<Record<string, unknown>>) =>
      Effect.suspend((): Effect.Effect<void, ScoreQueue.OfferError> => {
        if (closed) return Effect.fail(new QueueClosed({ requestId: String(requestId).slice(0, 100) }))
        const id = RequestId.validate(requestId)
        if (Either.isLeft(id)) {
          counts.invalid++
          return Effect.fail(id.left)
        }
        const valid = Scores.validate(input)
        if (Either.isLeft(valid)) {
          counts.invalid++
          return Effect.fail(valid.left)
        }
        const unwritable = writer.unwritable()
        if (unwritable !== undefined) {
          return Effect.fail(
            new OutboxUnwritable({ requestId: id.right, outboxPath: outbox.paths.outbox, reason: unwritable.message })
          )
        }
        return accept(id.right.toLowerCase(), valid.right)
      })

    // ---- delivery

    /** Writes a dead letter, then counts it with `written`; one that cannot be written is kept, not lost. */
    const deadLetter = (
      entry: Outbox.Entry,
      reason: DeadLetter.Reason,
      why: string,
      written: () => void
    ): Effect.Effect<Replayer.Outcome> =>
      deadLetters.write(entry, reason).pipe(
        Effect.zipRight(Effect.suspend(() => {
          written()
          return Effect.logWarning(
            `ScoreQueue: ${why} for ${entry.requestId} (${reason._tag}), written to ${deadLetters.path}: ` +
              reason.message
          )
        })),
        Effect.as(Replayer.deadLettered),
        // not written down anywhere yet: keep it (in the outbox) rather than lose it
        Effect.catchAll((cause) =>
          Effect.as(
            Effect.logError(`ScoreQueue: could not write the dead letter of ${entry.requestId}: ${cause.message}`),
            Replayer.kept
          )
        )
      )

    /**
     * A delivery that died with a defect (a bug, not an answer from Helicone): logged, and kept for another attempt
     * until it has died `maxDefects` times, then dead-lettered so that it cannot block the outbox forever.
     */
    const defect = (entry: Outbox.Entry, cause: Cause.Cause<unknown>): Effect.Effect<Replayer.Outcome> => {
      const attempts = (defects.get(entry.requestId) ?? 0) + 1
      const error = Cause.squash(cause)
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
      const log = Effect.logError(
        `ScoreQueue: the delivery of ${entry.requestId} died with a defect (${attempts} of ${maxDefects}): ${message}`,
        cause
      )
      if (attempts < maxDefects) {
        defects.set(entry.requestId, attempts)
        return Effect.as(log, Replayer.kept)
      }
      defects.delete(entry.requestId)
      return Effect.zipRight(
        log,
        deadLetter(entry, { _tag: "Defect", message }, `delivery died ${attempts} times`, () => counts.defects++)
      )
    }

    /**
     * The first 401/403 stops delivery for good (for this queue, that is this key): one error line, and every entry,
     * this one included, stays in (or goes to) the outbox. Nothing is wrong with the scores.
     */
    const halt = (error: Unauthorized): Effect.Effect<Replayer.Outcome> => {
      if (halted !== undefined) return Effect.succeed(Replayer.kept)
      halted = error
      switchToOutbox()
      notify()
      return Effect.as(
        Effect.logError(
          `ScoreQueue: ${error.message} Delivery is stopped and every undelivered score is kept in the outbox ` +
            `${outbox.paths.outbox}; fix the key, and a queue opened on the outbox sends them.`
        ),
        Replayer.kept
      )
    }

    /** Whether a redirect was logged: once per queue, since every later submission meets the same one. */
    let redirectLogged = false

    /**
     * A redirect (3xx) means the base URL is wrong or moved: nothing was accepted, and no retry can help until the
     * configuration changes. The entry stays in (or goes to) the outbox, never counted delivered nor dead-lettered,
     * and the first one is logged at warning level with where the server pointed.
     */
    const redirected = (error: Redirected, source: "buffer" | "outbox"): Effect.Effect<Replayer.Outcome> => {
      const log = redirectLogged ? Effect.void : Effect.logWarning(
        `ScoreQueue: ${error.message} Scores are kept in the outbox ${outbox.paths.outbox} until a queue with the ` +
          `right base URL sends them.`
      )
      redirectLogged = true
      return Effect.as(
        Effect.zipRight(
          log,
          source === "buffer" ? fallBack(`Helicone answered with a redirect (${error.status})`) : Effect.void
        ),
        Replayer.kept
      )
    }

    /** One delivery with `HeliconeScores` and its retry policy; failures past the policy are sorted here. */
    const deliver = (entry: Outbox.Entry, source: "buffer" | "outbox"): Effect.Effect<Replayer.Outcome> =>
      // nothing more is sent with a key Helicone refused
      halted !== undefined ? Effect.succeed(Replayer.kept) : attemptDelivery(entry, source)

    /** Only the submission can be interrupted: once Helicone answered, the outcome is always accounted for. */
    const attemptDelivery = (entry: Outbox.Entry, source: "buffer" | "outbox"): Effect.Effect<Replayer.Outcome> =>
      Effect.uninterruptibleMask((restore) =>
        Effect.suspend(() => {
          counts.sending++
          if (source === "outbox") counts.retried++
          return restore(scores.submitScore(entry.requestId, entry.scores)).pipe(
            Effect.ensuring(Effect.sync(() => counts.sending--))
          )
        }).pipe(
          Effect.matchCauseEffect({
            onSuccess: () =>
              Effect.sync(() => {
                counts.delivered++
                if (defects.size > 0) defects.delete(entry.requestId)
                return Replayer.delivered
              }),
            onFailure: (cause) => {
              if (Cause.isInterruptedOnly(cause)) return Effect.interrupt
              const failure = Option.getOrUndefined(Cause.failureOption(cause))
              if (failure !== undefined && failure._tag === "Unauthorized") return halt(failure)
              if (failure !== undefined && failure._tag === "Redirected") return redirected(failure, source)
              if (failure !== undefined && isRejection(failure)) {
                return deadLetter(
                  entry,
                  DeadLetter.fromError(failure),
                  "Helicone rejected the scores",
                  () => counts.rejected++
                )
              }
              if (failure === undefined) {
                return Effect.tap(
                  defect(entry, cause),
                  (outcome) =>
                    outcome._tag === "Kept" && source === "buffer" ? fallBack("a delivery died") : Effect.void
                )
              }
              const reason = failure.message
              return Effect.as(
                Effect.zipRight(
                  Effect.logDebug(`ScoreQueue: delivery of ${entry.requestId} failed past the retry policy: ${reason}`),
                  source === "buffer" ? fallBack(`Helicone keeps failing (${reason})`) : Effect.void
                ),
                failure?._tag === "RateLimited" && failure.retryAfter !== undefined
                  ? Replayer.keptFor(failure.retryAfter)
                  : Replayer.kept
              )
            }
          })
        )
      ).pipe(
        Effect.withSpan("ScoreQueue.deliver", {
          captureStackTrace: false,
          attributes: {
            "helicone.request_id": entry.requestId,
            "helicone.score_count": Object.keys(entry.scores).length,
            "score_queue.source": source
          }
        })
      )

    /**
     * Takes the next request id and delivers (or hands off) its entry. Only waiting can be interrupted: an entry is
     * always in `pending`, `inFlight` or `handedOff` until it is complete, which is what shutdown relies on.
     */
    const work = (requestId: string): Effect.Effect<void> =>
      Effect.uninterruptibleMask((restore) =>
        Effect.gen(function*() {
          const item = pending.get(requestId)!
          pending.delete(requestId)
          if (item.next !== undefined) {
            // offered after it: waits until this one is done (see below)
            pending.set(requestId, item.next)
            item.next = undefined
          }
          inFlight.set(requestId, item)
          if (!viaOutbox && !noteNewer(item)) {
            yield* fallBack(
              `${outbox.size()} scores wait in the outbox and ${newer.size} request ids were delivered beside them`
            )
          }
          if (viaOutbox) {
            yield* restore(handOff(item))
          } else {
            const outcome = yield* restore(deliver(item, "buffer"))
            if (outcome._tag === "Kept") {
              yield* restore(handOff(item))
            } else complete(item)
          }
          inFlight.delete(requestId)
          if (pending.has(requestId)) {
            ready.unsafeOffer(requestId)
          } else if (landed !== undefined) notify()
        })
      )
    const worker = Effect.flatMap(Queue.take(ready), work).pipe(Effect.forever)
    /** A delivery fiber beyond `concurrency`: it stops as soon as no request id is waiting. */
    const extraWorker: Effect.Effect<void> = Effect.flatMap(
      Queue.poll(ready),
      (next) => Option.isNone(next) ? Effect.void : Effect.zipRight(work(next.value), extraWorker)
    )

    // ---- outbox writer and replayer

    const replayer = yield* Replayer.make({
      outbox,
      deliver: (entry) => deliver(entry, "outbox"),
      // a replay is a backlog: it runs at the largest concurrency
      concurrency: config.maxConcurrency,
      replayInterval: config.replayInterval,
      maxRetryAfter: config.maxRetryAfter,
      newer: (requestId) => newer.size === 0 ? undefined : newer.get(requestId),
      whenEmpty: () => {
        if (handedOff.size > 0) return false
        newer.clear()
        if (!viaOutbox) return false
        viaOutbox = false
        return true
      }
    })

    const writer = yield* Writer.make<Item>({
      outbox,
      capacity: config.capacity,
      replayInterval: config.replayInterval,
      written: (items) => {
        for (const item of items) {
          handedOff.delete(item)
          complete(item)
        }
      },
      afterWrite: replayer.wake
    })
    const writerInput = writer.input

    // ---- flush, stats, shutdown

    const flush = Effect.suspend(() => {
      const barrier: Barrier = { remaining: 0, done: Deferred.unsafeMake<void>(FiberId.none) }
      const watch = (item: Item) => {
        if (item.barriers === undefined) {
          item.barriers = [barrier]
        } else if (!item.barriers.includes(barrier)) {
          item.barriers.push(barrier)
        } else return
        barrier.remaining++
      }
      handedOff.forEach(watch)
      inFlight.forEach(watch)
      pending.forEach((item) => chainOf(item).forEach(watch))
      return barrier.remaining === 0 ? Effect.void : Deferred.await(barrier.done)
    })

    const stats = Effect.sync((): ScoreQueue.Stats => ({
      queued: pending.size + handedOff.size,
      inFlight: counts.sending,
      delivered: counts.delivered,
      retried: counts.retried,
      inOutbox: outbox.size(),
      rejected: counts.rejected,
      invalid: counts.invalid,
      corrupt: outbox.corrupt(),
      stranded: counts.stranded,
      defects: counts.defects,
      concurrency: workerCount,
      halted
    }))

    const report = (complete: boolean): ScoreQueue.DeliveryReport => ({
      complete,
      delivered: counts.delivered,
      deadLettered: counts.rejected + counts.defects + counts.stranded,
      inOutbox: outbox.size(),
      inMemory: pending.size + inFlight.size + handedOff.size
    })

    const awaitDelivery = (options: ScoreQueue.AwaitOptions = {}) =>
      Effect.gen(function*() {
        if (outbox.size() > 0) yield* replayer.wake
        const wait: Effect.Effect<void, Unauthorized> = Effect.suspend(() => {
          if (halted !== undefined) return Effect.zipRight(flush, Effect.fail(halted))
          if (settled()) return Effect.void
          landed ??= Deferred.unsafeMake<void>(FiberId.none)
          return Effect.zipRight(Deferred.await(landed), wait)
        })
        if (options.timeout === undefined) {
          yield* wait
          return report(true)
        }
        const done = yield* Effect.timeoutTo(wait, {
          duration: options.timeout,
          onSuccess: () => true,
          onTimeout: () => false
        })
        return report(done && settled())
      })

    const resendDeadLetters = deadLetters.takeAll((entries) =>
      Effect.suspend(() => {
        switchToOutbox()
        return Effect.zipRight(outbox.append(entries), replayer.wake)
      })
    )

    const workers = yield* FiberSet.make<void>()
    const runWorker = yield* FiberSet.runtime(workers)<never>()
    const startWorker = (effect: Effect.Effect<void>) => {
      workerCount++
      runWorker(Effect.ensuring(effect, Effect.sync(() => workerCount--)))
    }
    function spawnWorker() {
      startWorker(extraWorker)
    }
    for (let n = 0; n < config.concurrency; n++) startWorker(worker)
    const writerFiber = yield* Effect.forkScoped(writer.run)
    const replayerFiber = yield* Effect.forkScoped(replayer.run)
    if (backlogAtStart) yield* replayer.wake

    /** Says what a shutdown leaves in the outbox files (a replay that did not finish, the entries just written). */
    const leftInOutbox = Effect.suspend(() => {
      const left = outbox.size()
      if (left === 0) return Effect.void
      const why = halted === undefined ? "" : " (Helicone refused the API key)"
      return Effect.logWarning(
        `ScoreQueue: ${left} scores are left in the outbox ${outbox.paths.outbox} and ${outbox.paths.replay}${why}; ` +
          `a queue opened on it sends them`
      )
    })

    /** Stops accepting, drains within the deadline, and writes what is left to the outbox. */
    const shutdown = Effect.gen(function*() {
      closed = true
      yield* Fiber.interrupt(replayerFiber)
      const drained = yield* Effect.interruptible(flush).pipe(Effect.timeout(config.shutdownDeadline), Effect.option)
      yield* FiberSet.clear(workers)
      // a backlog left unfinished: what was delivered beside it is kept behind it (see `switchToOutbox`)
      switchToOutbox()
      yield* Fiber.interrupt(writerFiber)
      // oldest first: entries handed off, then those in flight, then those waiting
      const rest = new Set<Item>(handedOff)
      inFlight.forEach((item) => rest.add(item))
      pending.forEach((item) => chainOf(item).forEach((each) => rest.add(each)))
      if (rest.size === 0) {
        yield* leftInOutbox
        return
      }
      const items = Array.from(rest)
      const after = drained._tag === "None" ? ` after ${Duration.format(config.shutdownDeadline)}` : ""
      yield* outbox.append(items).pipe(
        Effect.zipRight(Effect.logWarning(
          `ScoreQueue: shut down with ${items.length} scores undelivered${after}; ` +
            `written to the outbox ${outbox.paths.outbox}`
        )),
        Effect.catchAll((error) => {
          counts.stranded += items.length
          return DeadLetter.strand(deadLetters, outbox.paths.outbox, items, error)
        })
      )
      items.forEach(complete)
      handedOff.clear()
      inFlight.clear()
      pending.clear()
      yield* leftInOutbox
    }).pipe(
      // an offer still waiting for room in the writer's input: its entry was saved above, let it return
      Effect.ensuring(Queue.shutdown(writerInput))
    )
    yield* Effect.addFinalizer(() => shutdown)

    return { offer, flush, stats, awaitDelivery, resendDeadLetters }
  })
