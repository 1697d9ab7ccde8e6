/**
 * A scorer turns one eval case (input, output, expected, metadata) into a score in [0, 1].
 *
 * Scorers are written as plain functions, async functions or Effects; `Scorer.run`
 * normalises every outcome (a number, a boolean, `{ score, metadata }`, a NaN, an
 * out-of-range number, a thrown exception, a typed failure or a defect) into either a
 * {@link Score} or a {@link ScorerError}, so one bad scorer never crashes a run.
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import { dual } from "effect/Function"
import * as Predicate from "effect/Predicate"
import * as Schema from "effect/Schema"
import { describe, describeFailure } from "./internal/report/text.js"
import { suspends } from "./internal/runner/hot.js"
import { fromPromiseLike } from "./internal/runner/promise.js"

/**
 * What a scorer is given for one case.
 *
 * @since 0.1.0
 * @category models
 */
export interface ScorerArgs<Input, Output, Expected> {
  readonly input: Input
  readonly output: Output
  readonly expected: Expected | undefined
  readonly metadata: Readonly<Record<string, unknown>>
  /**
   * Aborted when the case runs out of time or the run is interrupted, with the reason (a `TimeoutError`
   * `DOMException` at the timeout): give it to what the scorer awaits (`fetch`, a model SDK) so the call stops too.
   * `Eval.run` always sets it; a caller of {@link run} may leave it out.
   */
  readonly signal?: AbortSignal | undefined
}

/**
 * What a scorer function may return: a number in [0, 1], a boolean (true = 1), or an
 * object carrying the score and optional metadata (shown in reports).
 *
 * @since 0.1.0
 * @category models
 */
export type ScoreResult =
  | number
  | boolean
  | { readonly score: number | boolean; readonly metadata?: Readonly<Record<string, unknown>> | undefined }

/**
 * A named scorer. Build one with {@link make}; run one with {@link run}.
 *
 * @since 0.1.0
 * @category models
 */
export interface Scorer<in Input = any, in Output = any, in Expected = any, out E = never, out R = never> {
  readonly name: string
  readonly score: (args: ScorerArgs<Input, Output, Expected>) => Effect.Effect<ScoreResult, E, R>
  /**
   * The function given to {@link make}, when the scorer was built from one: {@link runEager} calls it directly so a
   * plain synchronous scorer costs a function call, not an Effect.
   */
  readonly function?: ((args: ScorerArgs<Input, Output, Expected>) => unknown) | undefined
}

/**
 * A normalised score: `score` is in [0, 1]; `boolean` says whether the scorer answered
 * with a boolean (so Helicone receives a boolean, not 0/100).
 *
 * @since 0.1.0
 * @category models
 */
export const Score = Schema.Struct({
  name: Schema.String,
  score: Schema.Number,
  boolean: Schema.Boolean,
  metadata: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Unknown }))
}).annotations({ identifier: "Score" })

/**
 * A plain object rather than a `Schema.Class`: a runner builds one per scorer per case, and a class instance costs
 * microseconds (field merging and validation) where a literal costs nanoseconds.
 *
 * @since 0.1.0
 * @category models
 */
export interface Score extends Schema.Schema.Type<typeof Score> {}

/**
 * Why a scorer produced no score for a case: it returned something that is not a score
 * (`InvalidScore`), failed with a typed error (`Failed`), threw or died (`Defect`) or ran
 * out of time (`Timeout`).
 *
 * @since 0.1.0
 * @category errors
 */
export class ScorerError extends Schema.TaggedError<ScorerError>("@helicone-effect/evaluator/ScorerError")(
  "ScorerError",
  {
    scorer: Schema.String,
    reason: Schema.Literal("InvalidScore", "Failed", "Defect", "Timeout"),
    detail: Schema.String
  }
) {
  /**
   * @since 0.1.0
   */
  override get message(): string {
    return `Scorer "${this.scorer}" ${reasonText[this.reason]}: ${this.detail}`
  }
}

const reasonText: Record<ScorerError["reason"], string> = {
  InvalidScore: "returned an invalid score",
  Failed: "failed",
  Defect: "threw",
  Timeout: "timed out"
}

/**
 * Builds a scorer from a function that returns a {@link ScoreResult} plainly, as a Promise
 * or as an Effect (whose errors and requirements become the scorer's).
 *
 * @example
 * ```ts
 * import { Scorer } from "@helicone-effect/evaluator"
 *
 * const isShort = Scorer.make("isShort", ({ output }: { output: string }) => output.length < 280)
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = <
  Input = any,
  Output = any,
  Expected = any,
  A extends ScoreResult = ScoreResult,
  E = never,
  R = never
>(
  name: string,
  fn: (args: ScorerArgs<Input, Output, Expected>) => A | PromiseLike<A> | Effect.Effect<A, E, R>
): Scorer<Input, Output, Expected, E, R> => ({
  name,
  function: fn,
  score: (args) =>
    Effect.suspend(() => {
      const result = fn(args)
      if (Effect.isEffect(result)) return result as Effect.Effect<A, E, R>
      if (Predicate.isPromiseLike(result)) return fromPromiseLike(result as PromiseLike<A>)
      return Effect.succeed(result as A)
    })
})

/**
 * What an autoevals-style scorer answers.
 *
 * @since 0.1.0
 * @category models
 */
export interface AutoevalsScore {
  readonly name: string
  readonly score: number | null
  readonly metadata?: unknown
}

/**
 * Adapts an autoevals-style scorer (`(args) => { name, score }` or a Promise of it, as exported by Braintrust's
 * `autoevals` package: `Levenshtein` answers synchronously, the LLM judges with a Promise) to a {@link Scorer}. A
 * `null` score is an error.
 *
 * @example
 * ```ts
 * import { Scorer } from "@helicone-effect/evaluator"
 * import { Factuality, Levenshtein } from "autoevals"
 *
 * const scorers = [Scorer.fromAutoevals(Levenshtein), Scorer.fromAutoevals(Factuality, "factuality")]
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromAutoevals = <Output = any, Expected = any>(
  fn: (args: {
    readonly input?: any
    readonly output: Output
    readonly expected?: Expected
    readonly [key: string]: unknown
  }) => AutoevalsScore | PromiseLike<AutoevalsScore>,
  name?: string
): Scorer<unknown, Output, Expected> =>
  make(name ?? (fn.name || "autoevals"), (args: ScorerArgs<unknown, Output, Expected>) => {
    const result = fn({
      input: args.input,
      output: args.output,
      ...(args.expected === undefined ? {} : { expected: args.expected }),
      metadata: args.metadata
    })
    // A synchronous answer stays synchronous, so the runner scores it inline.
    return Predicate.isPromiseLike(result)
      ? Effect.map(fromPromiseLike(result), fromAutoevalsScore)
      : fromAutoevalsScore(result)
  })

const fromAutoevalsScore = (result: AutoevalsScore): ScoreResult =>
  result.score === null
    ? Number.NaN
    : Predicate.isRecord(result.metadata)
    ? { score: result.score, metadata: result.metadata }
    : result.score

/**
 * A scorer under another name: its scores, errors and Helicone score key use `name`.
 *
 * @example
 * ```ts
 * import { Scorer, Scorers } from "@helicone-effect/evaluator"
 * import { Schema } from "effect"
 *
 * const Triage = Schema.Struct({ category: Schema.String })
 * const validTriage = Scorer.withName(Scorers.schema(Schema.parseJson(Triage)), "validTriage")
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const withName: {
  (name: string): <Input, Output, Expected, E, R>(
    self: Scorer<Input, Output, Expected, E, R>
  ) => Scorer<Input, Output, Expected, E, R>
  <Input, Output, Expected, E, R>(self: Scorer<Input, Output, Expected, E, R>, name: string): Scorer<
    Input,
    Output,
    Expected,
    E,
    R
  >
} = dual(2, <Input, Output, Expected, E, R>(
  self: Scorer<Input, Output, Expected, E, R>,
  name: string
): Scorer<Input, Output, Expected, E, R> => ({ ...self, name }))

/**
 * Runs a scorer on one case and normalises the outcome: a valid result becomes a
 * {@link Score}; anything else (NaN, a number outside [0, 1], a typed failure, a thrown
 * exception or defect) becomes a {@link ScorerError}. Interruption is left as interruption.
 *
 * @since 0.1.0
 * @category running
 */
export const run = <Input, Output, Expected, E, R>(
  scorer: Scorer<Input, Output, Expected, E, R>,
  args: ScorerArgs<Input, Output, Expected>
): Effect.Effect<Score, ScorerError, R> =>
  Effect.suspend(() => scorer.score(args)).pipe(
    Effect.catchAllCause((cause) => {
      if (Cause.isInterruptedOnly(cause)) return Effect.failCause(cause as Cause.Cause<never>)
      const failure = Cause.failureOption(cause)
      return Effect.fail(
        failure._tag === "Some"
          ? new ScorerError({ scorer: scorer.name, reason: "Failed", detail: describeFailure(failure.value) })
          : new ScorerError({ scorer: scorer.name, reason: "Defect", detail: describe(Cause.squash(cause)) })
      )
    }),
    Effect.flatMap((result) => normalize(scorer.name, result))
  )

/**
 * A scorer's most frequent scores, made once: 0 and 1 from a number, `false` and `true` from a boolean, without
 * metadata. They are frozen, so one object can stand in every case that scored it; a run that keeps its cases keeps
 * one object per scorer for each of these instead of one per case.
 *
 * @since 0.1.0
 * @category models
 */
export interface SharedScores {
  readonly zero: Score
  readonly one: Score
  readonly no: Score
  readonly yes: Score
}

/**
 * The {@link SharedScores} of the scorer called `name`, for {@link runEager}.
 *
 * @since 0.1.0
 * @category running
 */
export const sharedScores = (name: string): SharedScores => ({
  zero: Object.freeze({ name, score: 0, boolean: false }),
  one: Object.freeze({ name, score: 1, boolean: false }),
  no: Object.freeze({ name, score: 0, boolean: true }),
  yes: Object.freeze({ name, score: 1, boolean: true })
})

/**
 * Runs a scorer like {@link run}, with the same outcomes, but eagerly: when the scorer is a plain function (built by
 * {@link make}) that returns a plain value or throws, the {@link Score} or {@link ScorerError} is returned at once,
 * with no Effect to run. Otherwise (a Promise, an Effect, a scorer built by hand) the Effect of {@link run} is
 * returned. Runners use it on their hot path; given the scorer's {@link SharedScores}, a plain 0, 1, `false` or
 * `true` gives the shared object instead of a new one.
 *
 * @since 0.1.0
 * @category running
 */
export const runEager = <Input, Output, Expected, E, R>(
  scorer: Scorer<Input, Output, Expected, E, R>,
  args: ScorerArgs<Input, Output, Expected>,
  shared?: SharedScores
): Score | ScorerError | Effect.Effect<Score, ScorerError, R> => {
  const fn = scorer.function
  if (fn === undefined) return run(scorer, args)
  let result: unknown
  let effect: Effect.Effect<ScoreResult, E, R> | undefined
  try {
    result = fn(args)
    // `await` reads a Promise-like's `then` too, and takes a `then` getter (or a revoked Proxy) that throws as a
    // rejection: so does the scorer.
    if (suspends(result)) effect = score(result as Effect.Effect<ScoreResult, E, R> | PromiseLike<ScoreResult>)
  } catch (error) {
    return new ScorerError({ scorer: scorer.name, reason: "Defect", detail: describe(error) })
  }
  if (effect !== undefined) return run<Input, Output, Expected, E, R>({ name: scorer.name, score: () => effect }, args)
  return normalizeEager(scorer.name, result as ScoreResult, shared)
}

const score = <A, E, R>(result: Effect.Effect<A, E, R> | PromiseLike<A>): Effect.Effect<A, E, R> =>
  Effect.isEffect(result) ? result : fromPromiseLike(result)

const normalize = (name: string, result: ScoreResult): Effect.Effect<Score, ScorerError> => {
  const normalized = normalizeEager(name, result)
  return normalized instanceof ScorerError ? Effect.fail(normalized) : Effect.succeed(normalized)
}

const normalizeEager = (name: string, result: ScoreResult, shared?: SharedScores): Score | ScorerError => {
  // The common results first: a number in [0, 1] (NaN fails both comparisons) or a boolean.
  if (typeof result === "number" && result >= 0 && result <= 1) {
    if (shared !== undefined && (result === 1 || result === 0)) return result === 1 ? shared.one : shared.zero
    return { name, score: result, boolean: false }
  }
  if (typeof result === "boolean") {
    if (shared !== undefined) return result ? shared.yes : shared.no
    return { name, score: result ? 1 : 0, boolean: true }
  }
  let value: unknown
  let metadata: Readonly<Record<string, unknown>> | undefined
  try {
    value = Predicate.isRecord(result) ? result.score : result
    metadata = Predicate.isRecord(result) && Predicate.isRecord(result.metadata) ? result.metadata : undefined
  } catch (error) {
    // a getter that throws, a revoked Proxy
    return new ScorerError({
      scorer: name,
      reason: "InvalidScore",
      detail: `its result cannot be read: ${describe(error)}`
    })
  }
  if (typeof value === "boolean") return scoreOf(name, value ? 1 : 0, true, metadata)
  if (typeof value !== "number" || Number.isNaN(value) || value < 0 || value > 1) {
    return new ScorerError({
      scorer: name,
      reason: "InvalidScore",
      detail: `expected a number in [0, 1] or a boolean, got ${describe(value)}`
    })
  }
  return scoreOf(name, value, false, metadata)
}

const scoreOf = (
  name: string,
  score: number,
  boolean: boolean,
  metadata: Readonly<Record<string, unknown>> | undefined
): Score => metadata === undefined ? { name, score, boolean } : { name, score, boolean, metadata }
