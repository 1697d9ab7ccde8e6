/**
 * Embedding scorers on `@effect/ai`'s `EmbeddingModel`: {@link embeddingSimilarity} scores how close in meaning the
 * output is to `expected`, as autoevals' `EmbeddingSimilarity` does.
 *
 * The model comes from the context, so any `@effect/ai` provider works: provide an `EmbeddingModel` (for example
 * `OpenAiEmbeddingModel.layerBatched({ model: "text-embedding-3-small" })` from `@effect/ai-openai`) to `Eval.run`.
 *
 * @example
 * ```ts
 * import { OpenAiClient, OpenAiEmbeddingModel } from "@effect/ai-openai"
 * import { FetchHttpClient } from "@effect/platform"
 * import { Eval } from "@helicone-effect/evaluator"
 * import * as Embeddings from "@helicone-effect/ai/Embeddings"
 * import { Config, Effect, Layer } from "effect"
 *
 * const suite = Eval.make({
 *   name: "capitals",
 *   data: [{ input: "What is the capital of France?", expected: "Paris is the capital of France." }],
 *   task: (question: string) => `The capital city of France is Paris. (${question})`,
 *   scorers: [Embeddings.embeddingSimilarity]
 * })
 *
 * const Embedder = OpenAiEmbeddingModel.layerBatched({ model: "text-embedding-3-small" }).pipe(
 *   Layer.provide(OpenAiClient.layerConfig({ apiKey: Config.redacted("OPENAI_API_KEY") })),
 *   Layer.provide(FetchHttpClient.layer)
 * )
 *
 * Effect.runPromise(Eval.run(suite).pipe(Effect.provide(Embedder)))
 * ```
 *
 * @since 0.1.0
 */
import type * as AiError from "@effect/ai/AiError"
import * as EmbeddingModel from "@effect/ai/EmbeddingModel"
import { CurrentCase } from "@helicone-effect/evaluator/ModelCalls"
import * as Scorer from "@helicone-effect/evaluator/Scorer"
import { MissingExpected } from "@helicone-effect/evaluator/Scorers"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Schema from "effect/Schema"
import * as Memo from "./internal/embeddings/memo.js"
import * as Retry from "./internal/judges/retry.js"

/**
 * How {@link embeddingSimilarityWith} builds its scorer.
 *
 * @since 0.1.0
 * @category models
 */
export interface SimilarityOptions {
  /** The scorer's name, as reports and Helicone show it. Default `"embeddingSimilarity"`. */
  readonly name?: string | undefined
  /**
   * The cosine similarity that scores 0: similarities at or below it score 0, those above it are scaled linearly up
   * to 1. A number in [-1, 1). Default 0.7, as autoevals'.
   */
  readonly expectedMin?: number | undefined
  /** Put before both texts before they are embedded (autoevals' `prefix`), to name their domain. Default none. */
  readonly prefix?: string | undefined
  /**
   * How a value that is not a string becomes the text that is embedded. Default: its JSON (`String(value)` for what
   * JSON cannot write: `undefined`, a cycle, a `bigint`).
   */
  readonly stringify?: ((value: unknown) => string) | undefined
  /**
   * How a failed embedding call is tried again (transport failures, 408, 409, 429, 5xx), as a judge's:
   * `maxAttempts` in all (default 3), from `baseDelay` (default 500 ms) doubling up to 8 seconds, with jitter.
   */
  readonly retry?: {
    readonly maxAttempts?: number | undefined
    readonly baseDelay?: Duration.DurationInput | undefined
  } | undefined
}

/**
 * The model answered with vectors that have no cosine: one is all zeros, or the two have different lengths.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidEmbedding extends Schema.TaggedError<InvalidEmbedding>("@helicone-effect/ai/InvalidEmbedding")(
  "InvalidEmbedding",
  { scorer: Schema.String, description: Schema.String }
) {
  /**
   * @since 0.1.0
   */
  override get message(): string {
    return this.description
  }
}

/**
 * What an embedding scorer fails with: the embedding call's `AiError` (after the retries), `InvalidEmbedding`, or
 * `MissingExpected`.
 *
 * @since 0.1.0
 * @category errors
 */
export type EmbeddingError = AiError.AiError | InvalidEmbedding | MissingExpected

const json = (value: unknown): string => {
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}

/**
 * Runs an embedding call in a fiber of its own, so that the case can be interrupted (at its timeout) while the call is
 * in flight. `@effect/ai`'s `EmbeddingModel.make` sends its texts through Effect's request batching, and a batch of
 * two or more texts does not stop when the fiber waiting for it is interrupted: awaited in place, a provider that
 * never answers would hold the case, and the run, past any timeout. The call is told to stop, without waiting for it.
 */
const detached = <A, E>(call: Effect.Effect<A, E>): Effect.Effect<A, E> =>
  Effect.flatMap(
    Effect.forkDaemon(call),
    (fiber) => Effect.onInterrupt(Fiber.join(fiber), () => Fiber.interruptFork(fiber))
  )

/** The cosine of the angle between `a` and `b`, or an error when it has none. */
const cosine = (
  scorer: string,
  a: ReadonlyArray<number>,
  b: ReadonlyArray<number>
): Effect.Effect<number, InvalidEmbedding> => {
  const malformed = (description: string) => Effect.fail(new InvalidEmbedding({ scorer, description }))
  if (a.length !== b.length || a.length === 0) {
    return malformed(`the embeddings of output and expected have ${a.length} and ${b.length} dimensions`)
  }
  let dot = 0
  let aa = 0
  let bb = 0
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i]
    aa += a[i] * a[i]
    bb += b[i] * b[i]
  }
  if (aa === 0 || bb === 0) return malformed(`the embedding of ${aa === 0 ? "output" : "expected"} is all zeros`)
  return Effect.succeed(dot / Math.sqrt(aa * bb))
}

/**
 * A scorer of how close in meaning the output is to `expected`: the cosine similarity `cos` of their embeddings by the
 * `EmbeddingModel` in the context, rescaled as autoevals' `EmbeddingSimilarity`:
 * `score = max(0, (cos − expectedMin) / (1 − expectedMin))`, at most 1, with `expectedMin` 0.7 by default. The
 * score's metadata holds the raw `similarity`.
 *
 * Each distinct `expected` text is embedded once per run and per model, whatever the number of cases, trials and
 * scorers that compare with it (kept in memory for the model's 4 latest runs). The first case to need it sends its
 * output and its expected value in one `embedMany` call; a later case sends its output alone. A model in
 * `mode: "data-loader"` also batches the texts of concurrent cases into one request.
 *
 * A case without `expected` fails with `MissingExpected`, without an embedding call. A failed call is tried again as
 * `retry` says, and is then the scorer's typed error, recorded for that case; so is a vector of zeros or of another
 * length than the other (`InvalidEmbedding`). At the case's timeout the scorer stops at once, but an embedding request
 * of two texts already sent is left to finish: `@effect/ai` cannot abort one. Throws at construction when
 * `expectedMin` is not in [-1, 1) or `retry.maxAttempts` is not an integer of at least 1.
 *
 * Differences from autoevals: a value that is not a string is embedded as its JSON, not as `String(value)`
 * (`[object Object]`); output and expected of the same text score 1 without an embedding call; floating-point error
 * never takes a score above 1; the model is the context's, not `text-embedding-ada-002`.
 *
 * @example
 * ```ts
 * import * as Embeddings from "@helicone-effect/ai/Embeddings"
 *
 * const close = Embeddings.embeddingSimilarityWith({ name: "close", expectedMin: 0.8, prefix: "Medical: " })
 * ```
 *
 * @since 0.1.0
 * @category scorers
 */
export const embeddingSimilarityWith = (
  options?: SimilarityOptions
): Scorer.Scorer<unknown, unknown, unknown, EmbeddingError, EmbeddingModel.EmbeddingModel> => {
  const name = options?.name ?? "embeddingSimilarity"
  const refuse = (why: string): never => {
    throw new Error(`Embeddings.embeddingSimilarityWith "${name}": ${why}`)
  }
  const expectedMin = options?.expectedMin ?? 0.7
  if (!(typeof expectedMin === "number" && expectedMin >= -1 && expectedMin < 1)) {
    refuse(`expectedMin is ${String(expectedMin)}; it must be a number in [-1, 1)`)
  }
  const retry = Retry.make(options?.retry, refuse)
  const prefix = options?.prefix ?? ""
  const stringify = options?.stringify ?? json
  const text = (value: unknown): string => prefix + (typeof value === "string" ? value : stringify(value))

  return Scorer.make(
    name,
    (args: Scorer.ScorerArgs<unknown, unknown, unknown>): Effect.Effect<
      Scorer.ScoreResult,
      EmbeddingError,
      EmbeddingModel.EmbeddingModel
    > => {
      if (args.expected === undefined) return Effect.fail(new MissingExpected({ scorer: name }))
      const output = text(args.output)
      const expected = text(args.expected)
      if (output === expected) return Effect.succeed({ score: 1, metadata: { similarity: 1 } })
      return Effect.gen(function*() {
        const model = yield* EmbeddingModel.EmbeddingModel
        const run = yield* CurrentCase
        const memo = Memo.of(model, run?.runId ?? "")
        const [a, b] = yield* Memo.pair(memo, output, expected, (texts) => detached(retry(model.embedMany(texts))))
        const similarity = yield* cosine(name, a, b)
        const score = Math.min(1, Math.max(0, (similarity - expectedMin) / (1 - expectedMin)))
        return { score, metadata: { similarity } }
      })
    }
  )
}

/**
 * {@link embeddingSimilarityWith} with its defaults: `expectedMin` 0.7, no prefix, values that are not strings as
 * JSON, named `"embeddingSimilarity"`.
 *
 * @since 0.1.0
 * @category scorers
 */
export const embeddingSimilarity: Scorer.Scorer<
  unknown,
  unknown,
  unknown,
  EmbeddingError,
  EmbeddingModel.EmbeddingModel
> = embeddingSimilarityWith()
