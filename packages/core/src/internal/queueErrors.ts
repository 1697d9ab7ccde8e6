/**
 * The errors of `ScoreQueue`, in a module of their own so that the engine (`queue.ts`) and the public module
 * (`ScoreQueue.ts`, which re-exports them) do not import each other.
 *
 * @internal
 */
import * as Schema from "effect/Schema"

/**
 * The queue is shut down (its layer's scope is closing or closed); the scores were not accepted.
 *
 * @since 0.1.0
 * @category errors
 */
export class QueueClosed extends Schema.TaggedError<QueueClosed>("@helicone-effect/core/QueueClosed")(
  "QueueClosed",
  { requestId: Schema.String }
) {
  /**
   * @since 0.1.0
   */
  override get message(): string {
    return `The score queue is shut down; the scores of ${this.requestId} were not accepted.`
  }
}
