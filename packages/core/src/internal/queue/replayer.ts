/**
 * The replayer of `ScoreQueue`: when woken (at start, and each time the writer appended entries) it delivers the
 * outbox chunk by chunk until it is empty; while Helicone keeps failing it tries again every `replayInterval`, or
 * after the longest `Retry-After` it was told.
 *
 * A chunk starts with a probe: its first entry is delivered alone, and when that fails the whole chunk stays in the
 * outbox untouched, so an outage costs one request per attempt rather than one per entry.
 *
 * @internal
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Queue from "effect/Queue"
import type * as Scope from "effect/Scope"
import * as Outbox from "./outbox.js"

/** How one delivery ended: accepted, written to the dead-letter file, or kept for a later attempt. */
export type Outcome =
  | { readonly _tag: "Delivered" }
  | { readonly _tag: "DeadLettered" }
  | { readonly _tag: "Kept"; readonly retryAfter: Duration.Duration | undefined }

/** The outcomes without a payload, allocated once. */
export const delivered: Outcome = { _tag: "Delivered" }
export const deadLettered: Outcome = { _tag: "DeadLettered" }
export const kept: Outcome = { _tag: "Kept", retryAfter: undefined }
/** Kept, with the `Retry-After` Helicone answered. */
export const keptFor = (retryAfter: Duration.Duration): Outcome => ({ _tag: "Kept", retryAfter })

/** What the replayer needs from the queue. */
export interface Options {
  readonly outbox: Outbox.Outbox
  /** One delivery of an outbox entry, with the retry policy; never fails. */
  readonly deliver: (entry: Outbox.Entry) => Effect.Effect<Outcome>
  readonly concurrency: number
  readonly replayInterval: Duration.Duration
  /**
   * Runs when the outbox is found empty, while appends are held off; says whether the queue went back to direct
   * delivery (which is then logged).
   */
  readonly whenEmpty: () => boolean
}

/** The replayer. */
export interface Replayer {
  /** Asks for a replay pass (at once, or after the one running). */
  readonly wake: Effect.Effect<void>
  /** The replay loop; runs until interrupted. */
  readonly run: Effect.Effect<never>
}

/** Makes the replayer; fork `run` to start it. */
export const make = (options: Options): Effect.Effect<Replayer, never, Scope.Scope> =>
  Effect.gen(function*() {
    const { concurrency, deliver, outbox, replayInterval } = options
    const wake = yield* Queue.dropping<void>(1)
    /** Whether the current pass got anything through, and the longest `Retry-After` it was told. */
    let progressed = false
    let retryAfter: Duration.Duration = Duration.zero

    const note = (outcome: Outcome): boolean => {
      if (outcome._tag !== "Kept") return false
      if (outcome.retryAfter !== undefined) retryAfter = Duration.max(retryAfter, outcome.retryAfter)
      return true
    }

    /** Delivers a chunk of the outbox, merging entries of the same id; a failed probe spares the rest. */
    const deliverChunk = (chunk: ReadonlyArray<Outbox.Entry>) =>
      Effect.gen(function*() {
        const merged = new Map<string, Outbox.ScoreMap>()
        for (const entry of chunk) {
          const known = merged.get(entry.requestId)
          if (known === undefined) {
            merged.set(entry.requestId, { ...entry.scores })
          } else Outbox.mergeScores(known, entry.scores)
        }
        const entries = Array.from(merged, ([requestId, scores]) => ({ requestId, scores }))
        if (note(yield* deliver(entries[0]))) return chunk
        progressed = true
        const rest = yield* Effect.forEach(
          entries.slice(1),
          (entry) => Effect.map(deliver(entry), (outcome) => note(outcome) ? [entry] : []),
          { concurrency }
        )
        return rest.flat()
      })

    const run = Effect.gen(function*() {
      yield* Queue.take(wake)
      while (true) {
        progressed = false
        retryAfter = Duration.zero
        let switched = false
        const result = yield* outbox.replay(deliverChunk, () => {
          switched = options.whenEmpty() || switched
        }).pipe(
          Effect.catchAll((error) =>
            Effect.as(Effect.logError(`ScoreQueue: cannot replay the outbox: ${error.message}`), "stalled" as const)
          )
        )
        if (result === "drained") {
          if (switched) yield* Effect.logInfo("ScoreQueue: outbox replayed, delivering directly again")
          return
        }
        if (!progressed) yield* Effect.sleep(Duration.max(replayInterval, retryAfter))
      }
    }).pipe(Effect.forever)

    return { wake: Effect.asVoid(Queue.offer(wake, undefined)), run }
  })
