/**
 * The code under evaluation: routes a customer message to an intent. Here a few keyword rules stand in for a model
 * call, so the example runs offline; the eval does not care how the answer is made.
 */
import { Effect } from "effect"

export type Intent = "refund" | "tracking" | "account" | "other"

const rules: ReadonlyArray<readonly [Intent, RegExp]> = [
  ["refund", /\b(refund|money back|return)\b/i],
  ["tracking", /\b(parcel|package|tracking|arrived|delivery)\b/i],
  ["account", /\b(password|email|profile|account|log ?in)\b/i]
]

export const classify = (message: string): Effect.Effect<Intent> =>
  Effect.sync(() => rules.find(([, pattern]) => pattern.test(message))?.[0] ?? "other")
