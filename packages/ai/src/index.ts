/**
 * LLM judges: scorers that ask a model, through `@effect/ai`'s `LanguageModel`, to grade a case.
 *
 * @since 0.1.0
 */
export * as LlmJudge from "./LlmJudge.js"

/**
 * Record and replay of model calls at the `LanguageModel` level, and each call recorded in the case in progress.
 *
 * @since 0.1.0
 */
export * as CallCache from "./CallCache.js"
