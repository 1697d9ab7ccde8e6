/**
 * @since 0.1.0
 */
export * as Scorer from "./Scorer.js"
