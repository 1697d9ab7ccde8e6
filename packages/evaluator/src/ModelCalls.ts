/**
 * What the runner tells the model layers about the case in progress, and what they tell it back. While a task or a
 * scorer runs, {@link CurrentCase} holds the case: its suite, run, index, trial, the Helicone request ids to give its
 * model calls, the cache mode of the run, and a log the layers write each model call into. The runner provides it;
 * `@helicone-effect/ai`'s gateway and model layers read it, so a task needs no code to tie its calls to the case.
 *
 * Outside a run, `CurrentCase` is `undefined` and model layers behave as plain `@effect/ai` ones. The runner provides
 * it around an Effect task and, as a judge's, around each scorer's Effect; a Promise task finds it as
 * `ctx.currentCase` and provides it to the Effects it runs. Its state (the call log, the ids given) is made at the
 * first call, so a case that makes none costs nothing more.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"

/**
 * Who made a model call: the task under evaluation, or a scorer judging its output.
 *
 * @since 0.1.0
 * @category models
 */
export type Role = "task" | "judge"

/**
 * How the run uses the call cache:
 * - `auto`: answer from the store when it has the call, else call the model and store the answer;
 * - `record`: always call the model, and store the answer;
 * - `replay`: answer from the store only; a call it does not have fails with `CacheMiss`, with no network call;
 * - `off`: never read nor write the store.
 *
 * @since 0.1.0
 * @category models
 */
export type CacheMode = "auto" | "record" | "replay" | "off"

/**
 * How a model call was answered: `hit` from the cache (a replayed answer), `miss` by the model and stored, `off`
 * by the model with no cache.
 *
 * @since 0.1.0
 * @category models
 */
export type CacheOutcome = "hit" | "miss" | "off"

/**
 * One model call made inside a case, as the model layer saw it. For a replayed answer (`cache: "hit"`), the tokens
 * and latency are the recorded call's, so cost figures stay true.
 *
 * @since 0.1.0
 * @category models
 */
export interface ModelCall {
  /** The `Helicone-Request-Id` the call was sent with (a replayed call keeps the id it was given, unsent). */
  readonly requestId: string
  readonly role: Role
  /** For a judge call, the scorer that made it. */
  readonly scorer: string | undefined
  /** The provider, as `@effect/ai` names it (`"openai"`). */
  readonly provider: string
  readonly model: string
  /** Input (prompt) tokens, when the provider said. */
  readonly inputTokens: number | undefined
  /** Output (completion) tokens, when the provider said. */
  readonly outputTokens: number | undefined
  /** How long the model took to answer, in milliseconds (the recorded call's when replayed). */
  readonly latencyMs: number
  readonly cache: CacheOutcome
  /** How long the call waited for the rate limiter before it was sent, in milliseconds. */
  readonly waitedMs: number
  /** Whether the call failed (the error is the task's or the scorer's). */
  readonly failed: boolean
}

/**
 * A {@link ModelCall} as a report's JSON holds it (where a field that is `undefined` is absent), to read it back.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ModelCall = Schema.Struct({
  requestId: Schema.String,
  role: Schema.Literal("task", "judge"),
  scorer: Schema.optional(Schema.String),
  provider: Schema.String,
  model: Schema.String,
  inputTokens: Schema.optional(Schema.Number),
  outputTokens: Schema.optional(Schema.Number),
  latencyMs: Schema.Number,
  cache: Schema.Literal("hit", "miss", "off"),
  waitedMs: Schema.Number,
  failed: Schema.Boolean
}).annotations({ identifier: "ModelCall" })

/**
 * A case's calls that went through the cache: answered from it (`hits`), or by the model and stored (`misses`).
 *
 * @since 0.1.0
 * @category models
 */
export const CacheCounts = Schema.Struct({ hits: Schema.Number, misses: Schema.Number }).annotations({
  identifier: "CacheCounts"
})

/**
 * @since 0.1.0
 * @category models
 */
export interface CacheCounts extends Schema.Schema.Type<typeof CacheCounts> {}

/**
 * Tokens by who spent them, and in all.
 *
 * @since 0.1.0
 * @category models
 */
export const TokensByRole = Schema.Struct({ task: Schema.Number, judge: Schema.Number, total: Schema.Number })

/**
 * @since 0.1.0
 * @category models
 */
export interface TokensByRole extends Schema.Schema.Type<typeof TokensByRole> {}

/**
 * The totals of a run's model calls (`report.usage`), present when the run made any:
 * - `calls`: how many the task and the judges made;
 * - `inputTokens`, `outputTokens`: by role and in all, replayed calls counting their recorded tokens;
 * - `cost`: USD, over the calls not answered from the cache, at the run's prices (`Cost`); `null` when a model
 *   called has no price (`unknownPriceModels` names them): an unknown cost is never 0;
 * - `cache`: calls answered from the cache (`hits`) and by the model then stored (`misses`);
 * - `waitedMs`: the time cases spent waiting for a rate limiter, summed over cases (kept out of their timeouts);
 * - `latencyMs`: the calls' latencies, summed.
 *
 * @since 0.1.0
 * @category models
 */
export const Usage = Schema.Struct({
  calls: Schema.Struct({ task: Schema.Number, judge: Schema.Number }),
  inputTokens: TokensByRole,
  outputTokens: TokensByRole,
  cost: Schema.NullOr(Schema.Number),
  unknownPriceModels: Schema.Array(Schema.String),
  cache: CacheCounts,
  waitedMs: Schema.Number,
  latencyMs: Schema.Number
}).annotations({ identifier: "Usage" })

/**
 * @since 0.1.0
 * @category models
 */
export interface Usage extends Schema.Schema.Type<typeof Usage> {}

/**
 * The case in progress, as a task or a scorer sees it from inside a model layer.
 *
 * @since 0.1.0
 * @category models
 */
export interface Case {
  /** The suite's name. */
  readonly suite: string
  /** A UUID v4 for the whole run: the Helicone session of its calls. */
  readonly runId: string
  /** The case's position in the dataset, from 0. */
  readonly index: number
  /** The trial, from 0. */
  readonly trial: number
  /**
   * The case's key: its name, else a hash of its input, as baseline comparisons match cases; a key met again in the
   * data gets `#2`, `#3`, ... when the run keys its cases (with a baseline, a shard or a cache mode other than `off`).
   */
  readonly key: string
  readonly name: string | undefined
  /** The Helicone request id the case's scores are sent to. */
  readonly requestId: string
  /** Who is calling now: the task, or the scorer named `scorer`. */
  readonly role: Role
  readonly scorer: string | undefined
  /** The run's cache mode. */
  readonly cache: CacheMode
  /**
   * The request id for the next model call: the task's first call gets {@link requestId}, so the case's scores land
   * on the request its task made first; every other call (the task's later ones, every judge call) gets a fresh
   * UUID v4. Every id given is recorded with its call.
   */
  readonly nextRequestId: () => string
  /** Records a model call made for this case. */
  readonly record: (call: ModelCall) => void
  /**
   * Runs `wait` (waiting for a rate limiter) with its time kept out of the case's timeout, and counted as the case's
   * waiting time.
   */
  readonly waiting: <A, E, R>(wait: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
}

/**
 * The case in progress, provided by the runner around each task and scorer; `undefined` outside a run.
 *
 * @since 0.1.0
 * @category references
 */
export class CurrentCase extends Context.Reference<CurrentCase>()("@helicone-effect/evaluator/CurrentCase", {
  defaultValue: (): Case | undefined => undefined
}) {}
