/**
 * Sends each finished case's scores to Helicone from a bounded pool of background fibers, so submissions never hold
 * the runner up for longer than it takes to queue them (the queue is bounded: a run that produces scores faster than
 * Helicone takes them slows down instead of growing without limit).
 *
 * Two deliveries, chosen by what `make` is given:
 * - a `submitScore` function: the pool submits each case's scores itself ("direct");
 * - a `ScoreQueue`: the pool only `offer`s them to the queue (no network wait), `drain` then waits for the queue's
 *   `flush` (delivered, dead-lettered or fsynced in its outbox), and the summary tells what the queue did for this run
 *   from the difference of its `stats` ("queue"). The pool stays in front of the queue so that the runner's hot path
 *   keeps its synchronous `offer`.
 *
 * @internal
 */
import type * as ScoreQueue from "@helicone-effect/core/ScoreQueue"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Queue from "effect/Queue"
import type * as Scope from "effect/Scope"
import type { HeliconeSummary } from "../../EvalReport.js"
import { describe } from "../report/text.js"

/** Submits one case's scores to Helicone. */
export type Send = (
  requestId: string,
  scores: Readonly<Record<string, number | boolean>>
) => Effect.Effect<void, { readonly _tag: string; readonly message: string }>

/** Where the scores go: straight to Helicone, or to a durable `ScoreQueue`. */
export type Submit = Send | ScoreQueue.Service

export interface Job {
  readonly index: number
  readonly trial: number
  readonly requestId: string
  readonly scores: Readonly<Record<string, number | boolean>>
}

export interface Submitter {
  /** Queues a job; returns an Effect to wait on only when the queue is full. */
  readonly offer: (job: Job) => Effect.Effect<void> | undefined
  /** Waits for every queued job (interruptible: what is left then counts as skipped). */
  readonly drain: Effect.Effect<void>
  /** Stops the pool; what was not sent counts as skipped. */
  readonly summary: Effect.Effect<HeliconeSummary>
}

/** Whether a `strict` run fails: a submission failed, or (through a queue) was dead-lettered or is left over. */
export const strictFailure = (summary: HeliconeSummary): boolean =>
  summary.failed > 0 || (summary.deadLettered ?? 0) > 0 || (summary.outbox ?? 0) > 0

const keepFailures = 100
const stop = Symbol("stop")

export const make = (
  submit: Submit,
  concurrency: number
): Effect.Effect<Submitter, never, Scope.Scope> =>
  Effect.gen(function*() {
    const target = typeof submit === "function" ? undefined : submit
    const send: Send = target === undefined ? submit as Send : target.offer
    const before = target === undefined ? undefined : yield* target.stats
    const queue = yield* Queue.bounded<Job | typeof stop>(concurrency * 64)
    let offered = 0
    let submitted = 0
    let failed = 0
    const failures: Array<HeliconeSummary["failures"][number]> = []
    const fail = (job: Job, error: string, message: string) => {
      failed++
      if (failures.length < keepFailures) {
        failures.push({ index: job.index, trial: job.trial, requestId: job.requestId, error, message })
      }
    }
    const run = (job: Job) =>
      send(job.requestId, job.scores).pipe(
        Effect.matchCause({
          onSuccess: () => {
            submitted++
          },
          onFailure: (cause) => {
            const failure = Cause.failureOption(cause)
            if (failure._tag === "Some") fail(job, failure.value._tag, failure.value.message)
            else if (!Cause.isInterruptedOnly(cause)) fail(job, "Defect", describe(Cause.squash(cause)))
          }
        })
      )
    const worker = Effect.gen(function*() {
      while (true) {
        const job = yield* Queue.take(queue)
        if (job === stop) return
        yield* run(job)
      }
    })
    const fibers = yield* Effect.forEach(
      Array.from({ length: concurrency }),
      () => Effect.forkScoped(Effect.interruptible(worker))
    )
    const stopWorkers = Effect.gen(function*() {
      for (let i = 0; i < concurrency; i++) yield* Queue.offer(queue, stop)
      yield* Fiber.joinAll(fibers)
    })
    return {
      offer: (job) => {
        offered++
        return queue.unsafeOffer(job) ? undefined : Queue.offer(queue, job).pipe(Effect.asVoid)
      },
      drain: target === undefined ? stopWorkers : Effect.zipRight(stopWorkers, target.flush),
      summary: Effect.gen(function*() {
        yield* Fiber.interruptAll(fibers)
        yield* Queue.shutdown(queue)
        const skipped = offered - submitted - failed
        if (target === undefined) return { delivery: "direct", submitted, failed, skipped, failures } as const
        // The queue's counters are shared with whatever else it delivers (an older outbox it replays, other
        // callers): what changed during the run is attributed to this run, at most what it queued.
        const after = yield* target.stats
        const delivered = clamp(after.delivered - before!.delivered, submitted)
        const deadLettered = clamp(after.rejected - before!.rejected, submitted - delivered)
        return {
          delivery: "queue",
          submitted,
          failed,
          skipped,
          failures,
          delivered,
          outbox: submitted - delivered - deadLettered,
          deadLettered
        } as const
      })
    }
  })

const clamp = (n: number, max: number): number => Math.max(0, Math.min(n, max))
