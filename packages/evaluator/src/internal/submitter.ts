/**
 * Sends each finished case's scores to Helicone from a bounded pool of background fibers, so submissions never hold
 * the runner up for longer than it takes to queue them (the queue is bounded: a run that produces scores faster than
 * Helicone takes them slows down instead of growing without limit).
 *
 * This is the seam a durable `ScoreQueue` replaces: everything Helicone-specific enters through `submit`.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Queue from "effect/Queue"
import type * as Scope from "effect/Scope"
import type { HeliconeSummary } from "../EvalReport.js"
import { describe } from "../Scorer.js"

export type Submit = (
  requestId: string,
  scores: Readonly<Record<string, number | boolean>>
) => Effect.Effect<void, { readonly _tag: string; readonly message: string }>

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

const keepFailures = 100
const stop = Symbol("stop")

export const make = (
  submit: Submit,
  concurrency: number
): Effect.Effect<Submitter, never, Scope.Scope> =>
  Effect.gen(function*() {
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
    const send = (job: Job) =>
      submit(job.requestId, job.scores).pipe(
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
        yield* send(job)
      }
    })
    const fibers = yield* Effect.forEach(
      Array.from({ length: concurrency }),
      () => Effect.forkScoped(Effect.interruptible(worker))
    )
    return {
      offer: (job) => {
        offered++
        return queue.unsafeOffer(job) ? undefined : Queue.offer(queue, job).pipe(Effect.asVoid)
      },
      drain: Effect.gen(function*() {
        for (let i = 0; i < concurrency; i++) yield* Queue.offer(queue, stop)
        yield* Fiber.joinAll(fibers)
      }),
      summary: Effect.gen(function*() {
        yield* Fiber.interruptAll(fibers)
        yield* Queue.shutdown(queue)
        return { submitted, failed, skipped: offered - submitted - failed, failures }
      })
    }
  })
