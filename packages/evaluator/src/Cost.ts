/**
 * What a run's model calls cost: a price table per model (USD per million input and output tokens), built-in prices
 * for a few common models with the date they were taken, and the errors of a table or a budget that cannot be used.
 *
 * `Eval.run` takes `prices` (merged over {@link builtInPrices}) and `maxCost`; the report's `usage.cost` is the sum
 * over the calls that were not answered from the cache, or `null` when a model called has no price.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"

/**
 * The price of one model, in USD per million tokens.
 *
 * @since 0.1.0
 * @category models
 */
export interface Price {
  readonly input: number
  readonly output: number
}

/**
 * Prices by model name, as the model layer records it (`"gpt-4o-mini"`). A model called with a dated name
 * (`"gpt-4o-mini-2024-07-18"`, `"claude-3-5-haiku-20241022"`, `"...-latest"`) takes the price of its undated name when
 * the table has no entry for the dated one.
 *
 * @since 0.1.0
 * @category models
 */
export type PriceTable = Readonly<Record<string, Price>>

/**
 * The schema of a price table, to read one from a file (`Schema.decodeUnknown(Cost.PriceTable)`); {@link merge}
 * checks the prices themselves.
 *
 * @since 0.1.0
 * @category schemas
 */
export const PriceTable: Schema.Schema<PriceTable> = Schema.Record({
  key: Schema.String,
  value: Schema.Struct({ input: Schema.Number, output: Schema.Number })
})

/**
 * When {@link builtInPrices} were taken from OpenAI's and Anthropic's price pages (standard tier, no batch or
 * cache discounts). Prices change: pass your own table for the models you use.
 *
 * @since 0.1.0
 * @category constants
 */
export const builtInPricesDate = "2025-06-01"

/**
 * Prices for a few common models, in USD per million tokens, as of {@link builtInPricesDate}.
 *
 * @since 0.1.0
 * @category constants
 */
export const builtInPrices: PriceTable = {
  "gpt-4o": { input: 2.5, output: 10 },
  "gpt-4o-mini": { input: 0.15, output: 0.6 },
  "gpt-4.1": { input: 2, output: 8 },
  "gpt-4.1-mini": { input: 0.4, output: 1.6 },
  "gpt-4.1-nano": { input: 0.1, output: 0.4 },
  "o3-mini": { input: 1.1, output: 4.4 },
  "o4-mini": { input: 1.1, output: 4.4 },
  "text-embedding-3-small": { input: 0.02, output: 0 },
  "text-embedding-3-large": { input: 0.13, output: 0 },
  "claude-3-5-haiku": { input: 0.8, output: 4 },
  "claude-3-5-sonnet": { input: 3, output: 15 },
  "claude-3-7-sonnet": { input: 3, output: 15 },
  "claude-sonnet-4": { input: 3, output: 15 },
  "claude-opus-4": { input: 15, output: 75 }
}

/**
 * A price table that cannot be used: a model's `input` or `output` price is missing, negative or not a finite
 * number. `Eval.run` fails with it before any case starts.
 *
 * @since 0.1.0
 * @category errors
 */
export class PriceTableError extends Schema.TaggedError<PriceTableError>()("PriceTableError", {
  model: Schema.String,
  price: Schema.Literal("input", "output"),
  problem: Schema.Literal("missing", "negative", "not-finite"),
  /** The value given, as text. */
  value: Schema.String
}) {
  override get message(): string {
    const what = this.problem === "missing" ?
      "is missing" :
      this.problem === "negative" ?
      `is negative (${this.value})` :
      `is not a finite number (${this.value})`
    return `the ${this.price} price of ${JSON.stringify(this.model)} ${what}: give USD per million tokens, >= 0`
  }
}

/**
 * A `maxCost` that is not a finite number >= 0. `Eval.run` fails with it before any case starts.
 *
 * @since 0.1.0
 * @category errors
 */
export class MaxCostError extends Schema.TaggedError<MaxCostError>()("MaxCostError", {
  /** The value given, as text. */
  value: Schema.String
}) {
  override get message(): string {
    return `maxCost must be a finite number of USD >= 0, got ${this.value}`
  }
}

const describeValue = (value: unknown): string => typeof value === "string" ? JSON.stringify(value) : String(value)

/** The first problem of one price, if any. */
const check = (model: string, price: "input" | "output", value: unknown): PriceTableError | undefined => {
  if (value === undefined || value === null) {
    return new PriceTableError({ model, price, problem: "missing", value: String(value) })
  }
  if (typeof value !== "number" || !Number.isFinite(value)) {
    return new PriceTableError({ model, price, problem: "not-finite", value: describeValue(value) })
  }
  if (value < 0) return new PriceTableError({ model, price, problem: "negative", value: String(value) })
  return undefined
}

/**
 * The built-in prices with `user`'s over them, each price checked: fails with the first {@link PriceTableError}.
 *
 * @example
 * ```ts
 * import { Cost } from "@helicone-effect/evaluator"
 *
 * const prices = Cost.merge({ "my-finetune": { input: 0.3, output: 1.2 } }) // Effect<PriceTable, PriceTableError>
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const merge = (user?: PriceTable | undefined): Effect.Effect<PriceTable, PriceTableError> =>
  Effect.suspend(() => {
    if (user === undefined) return Effect.succeed(builtInPrices)
    for (const [model, price] of Object.entries(user)) {
      const record = typeof price === "object" && price !== null ? price as Partial<Price> : {}
      const error = check(model, "input", record.input) ?? check(model, "output", record.output)
      if (error !== undefined) return Effect.fail(error)
    }
    return Effect.succeed({ ...builtInPrices, ...user })
  })

/**
 * Checks a budget: fails with {@link MaxCostError} unless it is a finite number >= 0.
 *
 * @since 0.1.0
 * @category constructors
 */
export const checkMaxCost = (maxCost: number): Effect.Effect<number, MaxCostError> =>
  typeof maxCost === "number" && Number.isFinite(maxCost) && maxCost >= 0 ?
    Effect.succeed(maxCost) :
    Effect.fail(new MaxCostError({ value: describeValue(maxCost) }))

const dated = /-(?:\d{4}-\d{2}-\d{2}|\d{8}|latest)$/

/**
 * The price of `model` in `table`: its own entry, else that of its name without a date or `-latest` suffix.
 *
 * @since 0.1.0
 * @category pricing
 */
export const priceOf = (table: PriceTable, model: string): Price | undefined => {
  if (Object.hasOwn(table, model)) return table[model]
  const undated = model.replace(dated, "")
  return undated !== model && Object.hasOwn(table, undated) ? table[undated] : undefined
}

/**
 * What a call cost, in USD: its tokens (a count the provider did not give counts as 0) at `price`.
 *
 * @since 0.1.0
 * @category pricing
 */
export const costOf = (price: Price, inputTokens: number | undefined, outputTokens: number | undefined): number =>
  ((inputTokens ?? 0) * price.input + (outputTokens ?? 0) * price.output) / 1_000_000

/**
 * An amount of US dollars as reports print it: cents from a dollar up, four decimals below, and two significant
 * digits for less than a hundredth of a cent, so that a small budget never reads `$0.0000`.
 *
 * @since 0.1.0
 * @category formatting
 */
export const formatUsd = (amount: number): string => {
  if (amount >= 1) return `$${amount.toFixed(2)}`
  if (amount === 0 || amount >= 0.0001) return `$${amount.toFixed(4)}`
  return `$${amount.toFixed(Math.min(20, 1 - Math.floor(Math.log10(amount))))}`
}

/**
 * Why a run stopped starting cases before the end of its data: its cost reached its budget (`maxCost`). Cases in
 * flight then finished; `casesNotRun` counts the case trials never started (`null` when the size of the data was not
 * known).
 *
 * @since 0.1.0
 * @category models
 */
export const Stopped = Schema.Struct({
  reason: Schema.Literal("budget"),
  maxCost: Schema.Number,
  cost: Schema.Number,
  casesNotRun: Schema.NullOr(Schema.Number)
}).annotations({ identifier: "Stopped" })

/**
 * @since 0.1.0
 * @category models
 */
export interface Stopped extends Schema.Schema.Type<typeof Stopped> {}
