/**
 * The replayer of `ScoreQueue`: when woken (at start, and each time the writer appended entries) it delivers the
 * outbox chunk by chunk until it is empty; while Helicone keeps failing it tries again every `replayInterval`, or
 * after the longest `Retry-After` it was told, at most `maxRetryAfter` (a `Retry-After` of 99999999999 seconds or a date
 * in 9999 must not stop the replay for good).
 *
 * A chunk starts with a probe: its first entry is delivered alone, and when that fails the whole chunk stays in the
 * outbox untouched, so an outage costs one request per attempt rather than one per entry.
 *
 * Entries of a chunk with the same request id are merged into one submission while their lines add up to at most
 * `maxMergedBytes` (well under Helicone's 10 MB body limit); past that, the rest of that id's entries form the next
 * submission, sent after the previous one succeeded, so the later values still land last.
 *
 * @internal
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Queue from "effect/Queue"
import type * as Scope from "effect/Scope"
import * as Outbox from "./outbox.js"

/** The most bytes of outbox lines merged into one submission: a bound on its body, under Helicone's 10 MB. */
export const maxMergedBytes = 4 * 1024 * 1024

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

/** Scores delivered directly beside a backlog; `version` changes each time more are added. */
export interface Newer {
  readonly scores: Readonly<Outbox.ScoreMap>
  readonly version: number
}

/** What the replayer needs from the queue. */
export interface Options {
  readonly outbox: Outbox.Outbox
  /** One delivery of an outbox entry, with the retry policy; never fails. */
  readonly deliver: (entry: Outbox.Entry) => Effect.Effect<Outcome>
  readonly concurrency: number
  readonly replayInterval: Duration.Duration
  /** The longest wait a `Retry-After` can impose between passes. */
  readonly maxRetryAfter: Duration.Duration
  /**
   * Scores of a request id delivered directly since this backlog began, newer than anything in it: sent on top of
   * the backlog's entry for that id, so the backlog never overwrites them.
   */
  readonly newer: (requestId: string) => Newer | undefined
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

    /** A submission of the chunk: the merged scores of one request id, and the chunk's entries it stands for. */
    interface Submission {
      readonly requestId: string
      readonly scores: Outbox.ScoreMap
      readonly indices: Array<number>
      bytes: number
    }

    /**
     * Sends a submission with the newer scores of its id on top. If more were delivered directly while it was in
     * flight, they are sent again after it, so that they land last.
     */
    const send = (submission: Submission, progress: Outbox.ChunkProgress): Effect.Effect<boolean> =>
      Effect.suspend(() => {
        const { requestId } = submission
        const newer = options.newer(requestId)
        const scores = newer === undefined ? submission.scores : { ...submission.scores }
        if (newer !== undefined) Outbox.mergeScores(scores, newer.scores)
        return Effect.flatMap(deliver({ requestId, scores }), (outcome) => {
          if (note(outcome)) return Effect.succeed(false)
          for (const index of submission.indices) progress.settled(index)
          const now = options.newer(requestId)
          return now === undefined || now.version === newer?.version
            ? Effect.succeed(true)
            : Effect.as(deliver({ requestId, scores: now.scores }), true)
        })
      })

    /**
     * Delivers a chunk of the outbox, merging entries of the same id up to `maxMergedBytes`; a failed probe spares
     * the rest. Round `n` sends the `n`th submission of each id, so that one id's submissions go in order.
     */
    const deliverChunk = (chunk: ReadonlyArray<Outbox.Entry>, progress: Outbox.ChunkProgress) =>
      Effect.gen(function*() {
        const byId = new Map<string, Array<Submission>>()
        const all: Array<Submission> = []
        for (let index = 0; index < chunk.length; index++) {
          const entry = chunk[index]
          const bytes = progress.bytes(index)
          const ofId = byId.get(entry.requestId)
          const last = ofId?.[ofId.length - 1]
          if (last !== undefined && last.bytes + bytes <= maxMergedBytes) {
            Outbox.mergeScores(last.scores, entry.scores)
            last.indices.push(index)
            last.bytes += bytes
            continue
          }
          const submission: Submission = {
            requestId: entry.requestId,
            scores: { ...entry.scores },
            indices: [index],
            bytes
          }
          all.push(submission)
          if (ofId === undefined) byId.set(entry.requestId, [submission])
          else ofId.push(submission)
        }
        if (!(yield* send(all[0], progress))) return chunk
        progressed = true
        /** Where each id is in its submissions; a kept one keeps the rest of its id unsent, so that order holds. */
        const next = new Map<string, number>()
        for (const requestId of byId.keys()) next.set(requestId, 0)
        next.set(all[0].requestId, 1)
        const keep = new Set<Submission>()
        while (true) {
          const round: Array<Submission> = []
          for (const [requestId, ofId] of byId) {
            const at = next.get(requestId)!
            if (at < ofId.length) round.push(ofId[at])
          }
          if (round.length === 0) break
          yield* Effect.forEach(round, (submission) =>
            Effect.map(send(submission, progress), (ok) => {
              const ofId = byId.get(submission.requestId)!
              const at = next.get(submission.requestId)!
              if (ok) {
                next.set(submission.requestId, at + 1)
              } else {
                for (const rest of ofId.slice(at)) keep.add(rest)
                next.set(submission.requestId, ofId.length)
              }
            }), { concurrency, discard: true })
        }
        return all.filter((submission) => keep.has(submission)).map(({ requestId, scores }) => ({ requestId, scores }))
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
        if (!progressed) {
          yield* Effect.sleep(Duration.max(replayInterval, Duration.min(retryAfter, options.maxRetryAfter)))
        }
      }
    }).pipe(Effect.forever)

    return { wake: Effect.asVoid(Queue.offer(wake, undefined)), run }
  })
