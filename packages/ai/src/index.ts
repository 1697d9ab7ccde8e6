/**
 * LLM judges: scorers that ask a model, through `@effect/ai`'s `LanguageModel`, to grade a case.
 *
 * @since 0.1.0
 */
export * as LlmJudge from "./LlmJudge.js"
