/**
 * `helicone-eval run --dry-run`: what a run would do, with no task run and nothing sent. Per suite, the cases and
 * trials it would run (its data read as the run reads it, picked and sharded as the run would), the calls the call
 * cache would answer, and the calls, tokens and cost to expect for the rest, from the calls the cache recorded for the
 * suite.
 *
 * @internal
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Cost from "@helicone-effect/evaluator/Cost"
import * as Dataset from "@helicone-effect/evaluator/Dataset"
import type * as Eval from "@helicone-effect/evaluator/Eval"
import * as Statistics from "@helicone-effect/evaluator/Statistics"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as NodePath from "node:path"
import * as Load from "./load.js"
import type * as CliOptions from "./options.js"

/**
 * The facts of a call cache entry that an estimate needs; the request and response in the file are not read. A call
 * made outside a case (an embedding of the data made before the run) has no suite, case, trial nor role.
 */
const Entry = Schema.Struct({
  suite: Schema.NullOr(Schema.String),
  case: Schema.NullOr(Schema.String),
  trial: Schema.NullOr(Schema.Number),
  role: Schema.NullOr(Schema.Literal("task", "judge")),
  scorer: Schema.optional(Schema.NullOr(Schema.String)),
  provider: Schema.String,
  model: Schema.String,
  usage: Schema.Struct({
    inputTokens: Schema.optional(Schema.NullOr(Schema.Number)),
    outputTokens: Schema.optional(Schema.NullOr(Schema.Number))
  }),
  latencyMs: Schema.Number,
  recordedAt: Schema.String
})

/** A call cache entry, as {@link readCache} decodes it. */
export interface Entry extends Schema.Schema.Type<typeof Entry> {}

const decodeEntry = Schema.decodeUnknownEither(Schema.parseJson(Entry))

/** The entries of a call cache directory, and how many of its files were not entries. */
export interface CallCache {
  readonly entries: ReadonlyArray<Entry>
  /** `.json` files that could not be read or did not decode as an entry. */
  readonly skipped: number
  /** Whether the directory exists at all. */
  readonly found: boolean
}

/** Reads every `.json` file below `dir` as a cache entry; a file that does not decode is counted, not fatal. */
export const readCache = (dir: string): Effect.Effect<CallCache, never, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const listed = yield* Effect.either(fs.readDirectory(dir, { recursive: true }))
    if (Either.isLeft(listed)) return { entries: [], skipped: 0, found: false }
    const files = listed.right.filter((name) => name.endsWith(".json")).sort()
    const decoded = yield* Effect.forEach(
      files,
      (name) =>
        fs.readFileString(NodePath.join(dir, name)).pipe(
          Effect.map((text) => Either.getRight(decodeEntry(text))),
          Effect.orElseSucceed(() => undefined)
        ),
      { concurrency: 16 }
    )
    const entries: Array<Entry> = []
    let skipped = 0
    for (const entry of decoded) {
      if (entry !== undefined && entry._tag === "Some") entries.push(entry.value)
      else skipped++
    }
    return { entries, skipped, found: true }
  })

// A dataset's cases are handed out by its source (`Dataset.open`), with these two markers for the end of the data and
// an empty buffer; the evaluator has no public way to read a dataset that is not at hand (a JSONL file, a stream).
const Done = Symbol.for("@helicone-effect/evaluator/source/Done")
const Empty = Symbol.for("@helicone-effect/evaluator/source/Empty")

/**
 * The keys of a dataset's cases, as the runner gives them (`name:…`, else `input:<hash>`, a repeated key numbered
 * `#2`), read through to its end.
 */
export const caseKeys = <I, E, R>(
  dataset: Dataset.Dataset<I, E, R>
): Effect.Effect<Array<string>, never, R> =>
  Effect.scoped(Effect.gen(function*() {
    const source = yield* dataset.open
    const keys: Array<string> = []
    const seen = new Map<string, number>()
    for (;;) {
      const item: unknown = source.take()
      if (item === Done) return keys
      if (item === Empty) {
        yield* source.fill
        continue
      }
      const raw = Dataset.isUnreadable(item)
        ? Statistics.caseKey({})
        : Statistics.caseKey({ name: (item as Dataset.Case<I, E>).name, input: (item as Dataset.Case<I, E>).input })
      const n = (seen.get(raw) ?? 0) + 1
      seen.set(raw, n)
      keys.push(n === 1 ? raw : `${raw}#${n}`)
    }
  }))

/** The estimate of a suite whose cases cannot be counted without running something. */
const unknownCases = (suite: Eval.Suite<any, any, any, any>, reason: string): SuiteEstimate => ({
  suite: suite.name,
  cases: undefined,
  unreadable: reason,
  trials: suite.trials,
  cachedRuns: 0,
  cachedCalls: 0,
  uncachedRuns: 0,
  recordedRuns: 0,
  expected: undefined
})

/** The estimate for one suite. */
export interface SuiteEstimate {
  readonly suite: string
  /** The cases it would run; `undefined` when its data could not be read without running anything. */
  readonly cases: number | undefined
  /** Why the cases are unknown. */
  readonly unreadable: string | undefined
  readonly trials: number
  /** Case × trial runs whose calls the cache has (with `--cache auto` or `replay`). */
  readonly cachedRuns: number
  /** The calls the cache would answer. */
  readonly cachedCalls: number
  /** Case × trial runs the cache would not answer. */
  readonly uncachedRuns: number
  /** The suite's case × trial runs in the cache, whose calls the averages are taken over. */
  readonly recordedRuns: number
  /** Calls, tokens and cost to expect for the uncached runs; `undefined` when the cache has no call of the suite. */
  readonly expected:
    | {
      /** The recorded calls per case × trial, on average. */
      readonly perRun: number
      readonly calls: number
      readonly inputTokens: number | undefined
      readonly outputTokens: number | undefined
      /** US dollars; `undefined` when a recorded model has no price, or a recorded call has no token counts. */
      readonly cost: number | undefined
      /** The recorded models that have no price. */
      readonly unpriced: ReadonlyArray<string>
    }
    | undefined
}

/** What the dry run needs of the command line. */
export interface Options {
  readonly cache: CliOptions.CacheMode
  readonly shard: CliOptions.Shard | undefined
  /** The built-in prices with `--prices` over them. */
  readonly prices: Cost.PriceTable
}

/** Estimates a suite (overrides and picks already applied) against the cache's entries. */
export const estimate = <I, O, E, R>(
  suite: Eval.Suite<I, O, E, R>,
  cache: CallCache,
  options: Options
): Effect.Effect<SuiteEstimate, never, R> =>
  Effect.gen(function*() {
    const read = yield* caseKeys(suite.data).pipe(
      Effect.map((keys) => ({ keys, reason: undefined })),
      Effect.catchAllCause((cause) =>
        Effect.succeed({ keys: undefined, reason: Cause.pretty(cause).split("\n")[0] ?? "the data cannot be read" })
      )
    )
    const shard = options.shard
    const keys = read.keys?.filter((key) => shard === undefined || Statistics.shardOf(key, shard.count) === shard.index)
    const recorded = new Map<string, Array<Entry>>()
    for (const entry of cache.entries) {
      if (entry.suite !== suite.name || entry.case === null || entry.trial === null) continue
      const run = `${entry.trial}\u0000${entry.case}`
      const calls = recorded.get(run)
      if (calls === undefined) recorded.set(run, [entry])
      else calls.push(entry)
    }
    const answers = options.cache === "auto" || options.cache === "replay"
    let cachedRuns = 0
    let cachedCalls = 0
    let uncachedRuns = 0
    for (const key of keys ?? []) {
      for (let trial = 0; trial < suite.trials; trial++) {
        const calls = answers ? recorded.get(`${trial}\u0000${key}`) : undefined
        if (calls === undefined) {
          uncachedRuns++
        } else {
          cachedRuns++
          cachedCalls += calls.length
        }
      }
    }
    return {
      suite: suite.name,
      cases: keys?.length,
      unreadable: read.reason,
      trials: suite.trials,
      cachedRuns,
      cachedCalls,
      uncachedRuns,
      recordedRuns: recorded.size,
      expected: recorded.size === 0
        ? undefined
        : expected([...recorded.values()].flat(), recorded.size, uncachedRuns, options.prices)
    }
  })

/** The calls, tokens and cost of `runs` runs, from the average of `recordedRuns` recorded ones. */
const expected = (
  entries: ReadonlyArray<Entry>,
  recordedRuns: number,
  runs: number,
  prices: Cost.PriceTable
): NonNullable<SuiteEstimate["expected"]> => {
  let input = 0
  let output = 0
  let inputKnown = false
  let outputKnown = false
  let cost = 0
  let counted = true
  const unpriced = new Set<string>()
  for (const entry of entries) {
    const inputTokens = entry.usage.inputTokens ?? undefined
    const outputTokens = entry.usage.outputTokens ?? undefined
    if (inputTokens !== undefined) {
      input += inputTokens
      inputKnown = true
    }
    if (outputTokens !== undefined) {
      output += outputTokens
      outputKnown = true
    }
    const price = Cost.priceOf(prices, entry.model)
    if (price === undefined) unpriced.add(entry.model)
    else if (inputTokens === undefined || outputTokens === undefined) counted = false
    else cost += Cost.costOf(price, inputTokens, outputTokens)
  }
  const scale = runs / recordedRuns
  return {
    perRun: entries.length / recordedRuns,
    calls: Math.round(entries.length * scale),
    inputTokens: inputKnown ? Math.round(input * scale) : undefined,
    outputTokens: outputKnown ? Math.round(output * scale) : undefined,
    cost: unpriced.size === 0 && counted ? cost * scale : undefined,
    unpriced: [...unpriced].sort()
  }
}

const count = (n: number): string => n.toLocaleString("en-US")
const plural = (n: number, noun: string): string => `${count(n)} ${noun}${n === 1 ? "" : "s"}`
const runs = (n: number): string => plural(n, "case×trial")
const calls = (n: number): string => plural(n, "call")

/** US dollars, as the reports print them. */
export const usd: (amount: number) => string = Cost.formatUsd

const tokens = (input: number | undefined, output: number | undefined): string =>
  `${input === undefined ? "unknown" : count(input)} input + ${
    output === undefined ? "unknown" : count(output)
  } output tokens`

const cost = (expected: NonNullable<SuiteEstimate["expected"]>): string =>
  expected.cost !== undefined
    ? `estimated cost ${usd(expected.cost)}`
    : expected.unpriced.length > 0
    ? `estimated cost unknown (no price for ${expected.unpriced.join(", ")}; see --prices)`
    : "estimated cost unknown (recorded calls without token counts)"

/** The dry run's report: the cache read, each suite's estimate, and the total of what is known. */
export const render = (
  estimates: ReadonlyArray<SuiteEstimate>,
  cache: CallCache,
  options: Options & { readonly cacheDir: string; readonly maxCost: number | undefined }
): string => {
  const lines = ["dry run: no task is run and nothing is sent"]
  const skipped = cache.skipped === 0 ? "" : `, ${plural(cache.skipped, "file")} skipped (not cache entries)`
  lines.push(
    `call cache ${options.cacheDir}: ${cache.found ? plural(cache.entries.length, "recorded call") : "none"}${skipped}`
  )
  let totalCalls = 0
  let totalInput = 0
  let totalOutput = 0
  let totalCost = 0
  const unknown: Array<string> = []
  const unknownCost: Array<string> = []
  let tokensKnown = true
  for (const estimate of estimates) {
    if (estimate.cases === undefined) {
      lines.push(`${estimate.suite}: cases unknown (${estimate.unreadable}) × ${plural(estimate.trials, "trial")}`)
      unknown.push(estimate.suite)
      continue
    }
    const shard = options.shard === undefined ? "" : ` in shard ${options.shard.index}/${options.shard.count}`
    const total = runs(estimate.cases * estimate.trials)
    lines.push(
      `${estimate.suite}: ${plural(estimate.cases, "case")}${shard} × ${plural(estimate.trials, "trial")} = ${total}`
    )
    lines.push(
      options.cache === "off" || options.cache === "record"
        ? `  from the cache: nothing (--cache ${options.cache} calls the model for every call)`
        : `  from the cache (--cache ${options.cache}): ${calls(estimate.cachedCalls)} for ${runs(estimate.cachedRuns)}`
    )
    if (estimate.uncachedRuns === 0) continue
    if (options.cache === "replay") {
      lines.push(
        `  not in the cache: ${runs(estimate.uncachedRuns)}, each failing with CacheMiss (replay calls no model)`
      )
      continue
    }
    const expected = estimate.expected
    if (expected === undefined) {
      lines.push(
        `  to call: ${runs(estimate.uncachedRuns)}, calls unknown (the cache has no recorded call of this suite)`
      )
      unknown.push(estimate.suite)
      continue
    }
    lines.push(
      `  to call: ${runs(estimate.uncachedRuns)} × ${Number(expected.perRun.toFixed(1))} calls (the average of ${
        runs(estimate.recordedRuns)
      } recorded) = ${calls(expected.calls)}, ${tokens(expected.inputTokens, expected.outputTokens)}, ${cost(expected)}`
    )
    totalCalls += expected.calls
    if (expected.inputTokens === undefined || expected.outputTokens === undefined) tokensKnown = false
    totalInput += expected.inputTokens ?? 0
    totalOutput += expected.outputTokens ?? 0
    if (expected.cost === undefined) unknownCost.push(estimate.suite)
    else totalCost += expected.cost
  }
  if (estimates.length > 1) {
    const also = unknown.length === 0 ? "" : ` (and unknown for ${unknown.join(", ")})`
    lines.push(
      `total to call: ${calls(totalCalls)}${also}, ${
        tokensKnown ? tokens(totalInput, totalOutput) : "tokens unknown"
      }, estimated cost ${
        unknownCost.length > 0 || unknown.length > 0
          ? `unknown (${usd(totalCost)} for the suites with prices and recorded calls)`
          : usd(totalCost)
      }`
    )
  }
  if (options.maxCost !== undefined) {
    const budget = `--max-cost ${usd(options.maxCost)}`
    lines.push(
      unknownCost.length > 0 || unknown.length > 0
        ? `${budget}: the estimate is unknown, so is whether the run stays within it`
        : totalCost >= options.maxCost
        ? `${budget}: the estimate reaches it; the run would stop starting cases before its end (exit 4)`
        : `${budget}: the estimate stays within it`
    )
  }
  return lines.join("\n") + "\n"
}

/** A suite to estimate (overrides and picks applied), with its file and the layer that file exports. */
export interface DrySuite {
  readonly suite: Eval.Suite<any, any, any, any>
  readonly file: string
  readonly layer: Layer.Layer<any, any, never> | undefined
}

/**
 * The dry run: reads the cache, then each suite's data with its file's layer provided (a dataset may need one of its
 * services, as in the run), and answers with the report to print.
 */
export const run = (
  suites: ReadonlyArray<DrySuite>,
  options: Options & {
    readonly cacheDir: string
    readonly shownCacheDir: string
    readonly maxCost: number | undefined
  }
): Effect.Effect<string, never, FileSystem.FileSystem | Scope.Scope> =>
  Effect.gen(function*() {
    const cache = yield* readCache(options.cacheDir)
    const contexts = new Map<Layer.Layer<any, any, never>, Either.Either<Context.Context<never>, string>>()
    const estimates: Array<SuiteEstimate> = []
    for (const { file, layer, suite } of suites) {
      let context: Either.Either<Context.Context<never>, string> = Either.right(Context.empty())
      if (layer !== undefined) {
        context = contexts.get(layer) ?? (yield* Layer.build(layer).pipe(
          Effect.map((built) => Either.right(built as Context.Context<never>)),
          Effect.catchAllCause((cause) =>
            Effect.succeed(
              Either.left(`the layer exported by ${file} failed to build: ${Load.reasonOf(Cause.squash(cause))}`)
            )
          )
        ))
        contexts.set(layer, context)
      }
      estimates.push(
        Either.isLeft(context)
          ? unknownCases(suite, context.left)
          : yield* (Effect.provide(estimate(suite, cache, options), context.right) as Effect.Effect<
            SuiteEstimate,
            never,
            FileSystem.FileSystem
          >)
      )
    }
    return render(estimates, cache, { ...options, cacheDir: options.shownCacheDir })
  })
