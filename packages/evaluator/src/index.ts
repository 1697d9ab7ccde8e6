/**
 * @since 0.1.0
 */
export * as Scorer from "./Scorer.js"

/**
 * @since 0.1.0
 */
export * as Scorers from "./Scorers.js"
