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

/**
 * Embedding scorers on `@effect/ai`'s `EmbeddingModel`: `embeddingSimilarity`.
 *
 * @since 0.1.0
 */
export * as Embeddings from "./Embeddings.js"

/**
 * Adaptive rate limiting of model calls per provider and model, on the provider's `HttpClient`.
 *
 * @since 0.1.0
 */
export * as ModelLimiter from "./ModelLimiter.js"
