/**
 * The outbox writer of `ScoreQueue`: takes the entries handed to it, in order, and appends them to the outbox one
 * fsynced batch at a time.
 *
 * A failing disk is retried a few times (`writeRetry`, about 1.5 seconds). Then the writer reports the outbox
 * `unwritable` (the queue refuses offers meanwhile) and tries the same batch again every `replayInterval`, before any
 * later one so that order holds; the batch stays in memory until then. The first write that succeeds clears it.
 *
 * @internal
 */
import type * as PlatformError from "@effect/platform/Error"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Queue from "effect/Queue"
import * as Schedule from "effect/Schedule"
import type * as Outbox from "./outbox.js"

const writeBatch = 1024
/** A failing outbox write is tried 5 times over about 1.5 seconds before the outbox is reported unwritable. */
const writeRetry = Schedule.exponential("100 millis").pipe(Schedule.intersect(Schedule.recurs(4)))

/** What the writer needs from the queue. */
export interface Options<A extends Outbox.Entry> {
  readonly outbox: Outbox.Outbox
  /** Entries waiting for the writer, at most (offers wait for room beyond it). */
  readonly capacity: number
  readonly replayInterval: Duration.Duration
  /** Runs once a batch is fsynced, in the same uninterruptible step as the write. */
  readonly written: (items: ReadonlyArray<A>) => void
  /** Runs after each batch (the replayer's wake-up). */
  readonly afterWrite: Effect.Effect<void>
}

/** The writer. */
export interface Writer<A extends Outbox.Entry> {
  /** Where entries are handed to the writer. */
  readonly input: Queue.Queue<A>
  /** Why the last write failed, while none has succeeded since. */
  readonly unwritable: () => PlatformError.PlatformError | undefined
  /** The write loop; runs until interrupted. */
  readonly run: Effect.Effect<never>
}

/** Makes the writer; fork `run` to start it. */
export const make = <A extends Outbox.Entry>(options: Options<A>): Effect.Effect<Writer<A>> =>
  Effect.map(Queue.bounded<A>(Math.max(options.capacity, writeBatch)), (input) => {
    const { outbox, replayInterval } = options
    let unwritable: PlatformError.PlatformError | undefined

    const run = Effect.gen(function*() {
      const items = Array.from(yield* Queue.takeBetween(input, 1, writeBatch))
      // written and accounted for as one step, so that a shutdown never writes them twice
      const write = Effect.uninterruptible(Effect.zipRight(
        outbox.append(items),
        Effect.sync(() => {
          options.written(items)
          const recovered = unwritable !== undefined
          unwritable = undefined
          return recovered
        })
      ))
      while (true) {
        const result = yield* Effect.either(Effect.retry(write, writeRetry))
        if (Either.isRight(result)) {
          if (result.right) yield* Effect.logInfo(`ScoreQueue: the outbox ${outbox.paths.outbox} can be written again`)
          break
        }
        if (unwritable === undefined) {
          yield* Effect.logError(
            `ScoreQueue: cannot write the outbox ${outbox.paths.outbox} (${result.left.message}); the scores ` +
              `handed to it are kept in memory and offers fail with OutboxUnwritable until it can be written, ` +
              `tried again every ${Duration.format(replayInterval)}`
          )
        }
        unwritable = result.left
        yield* Effect.sleep(replayInterval)
      }
      yield* options.afterWrite
    }).pipe(Effect.forever)

    return { input, unwritable: () => unwritable, run }
  })
