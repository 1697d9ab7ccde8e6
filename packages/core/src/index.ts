/**
 * @since 0.1.0
 */
export * as HeliconeConfig from "./HeliconeConfig.js"

/**
 * @since 0.1.0
 */
export * as HeliconeError from "./HeliconeError.js"

/**
 * @since 0.1.0
 */
export * as HeliconeScores from "./HeliconeScores.js"

/**
 * @since 0.1.0
 */
export * as RequestId from "./RequestId.js"

/**
 * @since 0.1.0
 */
export * as RetryPolicy from "./RetryPolicy.js"

/**
 * @since 0.1.0
 */
export * as Scores from "./Scores.js"

/**
 * @since 0.1.0
 */
export * as ScoreOutbox from "./ScoreOutbox.js"

/**
 * @since 0.1.0
 */
export * as ScoreQueue from "./ScoreQueue.js"

/**
 * @since 0.1.0
 */
export * as ScoreQueueError from "./ScoreQueueError.js"
