/**
 * The errors of `ScoreQueue`: what `offer` and the layer can fail with besides bad input. `ScoreQueue` re-exports
 * each of them.
 *
 * @since 0.1.0
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

/**
 * Another queue holds the outbox: its lock file names a process that is still running (possibly this one). Two queues
 * on one outbox would replay and rewrite each other's files.
 *
 * @since 0.1.0
 * @category errors
 */
export class OutboxLocked extends Schema.TaggedError<OutboxLocked>("@helicone-effect/core/OutboxLocked")(
  "OutboxLocked",
  { outboxPath: Schema.String, lockPath: Schema.String, pid: Schema.optional(Schema.Number) }
) {
  /**
   * @since 0.1.0
   */
  override get message(): string {
    const holder = this.pid === undefined ? "another process" : `process ${this.pid}`
    return `The outbox ${this.outboxPath} is in use by ${holder} (lock file ${this.lockPath}); ` +
      `give each process its own outboxPath. If ${holder} is not a score queue, remove the lock file.`
  }
}

/**
 * The outbox cannot be written (a full disk, a read-only file system) and the scores would have had to go through it;
 * they were not accepted. Scores accepted before are kept in memory; the queue tries the outbox again every
 * `replayInterval` and accepts scores once it can write.
 *
 * @since 0.1.0
 * @category errors
 */
export class OutboxUnwritable extends Schema.TaggedError<OutboxUnwritable>("@helicone-effect/core/OutboxUnwritable")(
  "OutboxUnwritable",
  { requestId: Schema.String, outboxPath: Schema.String, reason: Schema.String }
) {
  /**
   * @since 0.1.0
   */
  override get message(): string {
    return `The outbox ${this.outboxPath} cannot be written (${this.reason}); the scores of ${this.requestId} ` +
      `were not accepted.`
  }
}

/**
 * Every error of this module.
 *
 * @since 0.1.0
 * @category errors
 */
export type ScoreQueueError = QueueClosed | OutboxLocked | OutboxUnwritable
