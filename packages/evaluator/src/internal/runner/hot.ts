/**
 * What the runner checks and reads once or more per case, without the costs of the general-purpose versions.
 *
 * @internal
 */
import type * as Effect from "effect/Effect"
import { EffectTypeId } from "effect/Effect"

/**
 * `Effect.isEffect`, without the `arguments` handling of `Predicate.hasProperty`'s `dual` wrapper (a run of
 * 100,000 cases spent some 9% of its time in it).
 */
export const isEffect = (u: unknown): u is Effect.Effect<unknown, unknown, unknown> =>
  ((typeof u === "object" && u !== null) || typeof u === "function") && EffectTypeId in u

/** Whether a task or a scorer answered asynchronously: with an Effect or a Promise-like. */
export const suspends = (u: unknown): u is Effect.Effect<unknown, unknown, unknown> | PromiseLike<unknown> =>
  ((typeof u === "object" && u !== null) || typeof u === "function") &&
  (EffectTypeId in u || typeof (u as { readonly then?: unknown }).then === "function")

/** `performance`, read once: Node defines the global with a getter that would run on every read. */
export const clock: Performance = globalThis.performance
