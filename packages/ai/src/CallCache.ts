/**
 * Record and replay of model calls, at the `LanguageModel` level, for any `@effect/ai` provider: {@link layer} wraps a
 * `LanguageModel` so that each `generateText`, `generateObject` and `streamText` call is
 * - given the next request id of the case in progress (`ModelCalls.CurrentCase`), which the gateway's HTTP client
 *   sends as `Helicone-Request-Id`;
 * - answered from the {@link Store} or by the model, as the run's cache mode says (`auto`, `record`, `replay`,
 *   `off`; outside a run, the store's `mode`);
 * - recorded in the case as a `ModelCalls.ModelCall`: provider, model, tokens, latency, cache outcome, waiting.
 *
 * A call's key is the SHA-256 of the canonical JSON of the suite, provider, model, model options, the normalised
 * prompt, the tools (name, description, JSON schema), the response format, the tool choice, whether it streams, and
 * the trial: trials never share an entry. The store holds one pretty JSON file per entry, keys sorted, named
 * `<key>.json`, under `.helicone-eval/cache/` by default, written through `@effect/platform`'s `KeyValueStore`.
 * Tool calls in an answer are resolved by your handlers on every call, replayed or not.
 *
 * The errors, {@link CacheMiss} and {@link CacheEntryError}, travel in the model call's error channel beside
 * `AiError` (the `LanguageModel` interface cannot name them): the runner records them as the case's error; catch them
 * with `Effect.catchIf(CallCache.isCallCacheError, ...)`.
 *
 * @since 0.1.0
 */
import type * as LanguageModel from "@effect/ai/LanguageModel"
import type * as FileSystem from "@effect/platform/FileSystem"
import * as KeyValueStore from "@effect/platform/KeyValueStore"
import * as Path from "@effect/platform/Path"
import type * as ModelCalls from "@helicone-effect/evaluator/ModelCalls"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import * as Schema from "effect/Schema"
import { prettyJson } from "./internal/cache/key.js"
import * as internal from "./internal/cache/languageModel.js"

/**
 * A call the store does not have, in `replay` mode: the call fails without reaching the network.
 *
 * @since 0.1.0
 * @category errors
 */
export class CacheMiss extends Schema.TaggedError<CacheMiss>("@helicone-effect/ai/CacheMiss")("CacheMiss", {
  provider: Schema.String,
  model: Schema.String,
  /** The file the answer would be in. */
  file: Schema.String
}) {
  /** @since 0.1.0 */
  override get message(): string {
    return `No recorded answer for this ${this.provider}/${this.model} call in replay mode (${this.file}); ` +
      `record it with the cache mode "auto" or "record"`
  }
}

/**
 * A store entry that cannot be read or written: not JSON, not an entry, or a file system error. Only the case whose
 * call needed it fails.
 *
 * @since 0.1.0
 * @category errors
 */
export class CacheEntryError
  extends Schema.TaggedError<CacheEntryError>("@helicone-effect/ai/CacheEntryError")("CacheEntryError", {
    file: Schema.String,
    reason: Schema.String
  })
{
  /** @since 0.1.0 */
  override get message(): string {
    return `The call cache entry ${this.file} cannot be used: ${this.reason}`
  }
}

/**
 * What a cached call can fail with besides the model's `AiError`.
 *
 * @since 0.1.0
 * @category errors
 */
export type CallCacheError = CacheMiss | CacheEntryError

/**
 * Whether `u` is a {@link CallCacheError}.
 *
 * @since 0.1.0
 * @category errors
 */
export const isCallCacheError = (u: unknown): u is CallCacheError =>
  Predicate.isTagged(u, "CacheMiss") || Predicate.isTagged(u, "CacheEntryError")

/**
 * A store entry: who recorded it, what it cost, what was asked (`request`, for diffs) and the answer (`response`:
 * `parts` encoded with `@effect/ai`'s `Response.Part` schema, `Response.StreamPart` for a stream, or an
 * `embedding`). A field that does not apply is `null`.
 *
 * @since 0.1.0
 * @category models
 */
export const Entry = Schema.Struct({
  key: Schema.String,
  suite: Schema.NullOr(Schema.String),
  case: Schema.NullOr(Schema.String),
  trial: Schema.NullOr(Schema.Number),
  role: Schema.NullOr(Schema.Literal("task", "judge")),
  scorer: Schema.NullOr(Schema.String),
  provider: Schema.String,
  model: Schema.String,
  usage: Schema.Struct({
    inputTokens: Schema.NullOr(Schema.Number),
    outputTokens: Schema.NullOr(Schema.Number)
  }),
  latencyMs: Schema.Number,
  recordedAt: Schema.String,
  request: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  response: Schema.Struct({
    parts: Schema.optional(Schema.Array(Schema.Unknown)),
    embedding: Schema.optional(Schema.Array(Schema.Number))
  })
})

/**
 * @since 0.1.0
 * @category models
 */
export type Entry = typeof Entry.Type

/**
 * The store of recorded calls.
 *
 * @since 0.1.0
 * @category models
 */
export interface StoreService {
  /** The directory of the entries. */
  readonly directory: string
  /** The cache mode of calls made outside a run; inside one, the run's mode applies. */
  readonly mode: ModelCalls.CacheMode
  /** The file of the entry under `key`. */
  readonly fileOf: (key: string) => string
  /**
   * The entry under `key`, if there is one and it was recorded for the same provider and model, and the suite and
   * trial when they are given (an entry for another is a miss, never an answer).
   */
  readonly get: (
    key: string,
    expected: Pick<Entry, "provider" | "model"> & Partial<Pick<Entry, "suite" | "trial">>
  ) => Effect.Effect<Option.Option<Entry>, CacheEntryError>
  readonly set: (entry: Entry) => Effect.Effect<void, CacheEntryError>
}

/**
 * The store of recorded calls.
 *
 * @since 0.1.0
 * @category tags
 */
export class Store extends Context.Tag("@helicone-effect/ai/CallCache/Store")<Store, StoreService>() {}

/**
 * The default directory of the store, relative to the working directory.
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_DIRECTORY = ".helicone-eval/cache"

const decodeEntry = Schema.decodeUnknownEither(Schema.parseJson(Entry))

/**
 * Makes the store over a `KeyValueStore` whose keys are file names under `directory`, as
 * `KeyValueStore.layerFileSystem(directory)`'s are.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: {
  readonly directory: string
  readonly mode?: ModelCalls.CacheMode | undefined
  readonly store: Effect.Effect<KeyValueStore.KeyValueStore, CacheEntryError>
}): Effect.Effect<StoreService, never, Path.Path> =>
  Effect.gen(function*() {
    const path = yield* Path.Path
    const fileOf = (key: string) => path.join(options.directory, encodeURIComponent(`${key}.json`))
    const failure = (key: string) => (error: { readonly message: string }) =>
      new CacheEntryError({ file: fileOf(key), reason: error.message })
    return Store.of({
      directory: options.directory,
      mode: options.mode ?? "off",
      fileOf,
      get: (key, expected) =>
        Effect.gen(function*() {
          const store = yield* options.store
          const text = yield* store.get(`${key}.json`).pipe(Effect.mapError(failure(key)))
          if (Option.isNone(text)) return Option.none()
          const entry = decodeEntry(text.value)
          if (entry._tag === "Left") {
            return yield* new CacheEntryError({
              file: fileOf(key),
              reason: `not a call cache entry: ${entry.left.message}`
            })
          }
          const matches = entry.right.key === key && entry.right.provider === expected.provider &&
            entry.right.model === expected.model &&
            (!("suite" in expected) || entry.right.suite === expected.suite) &&
            (!("trial" in expected) || entry.right.trial === expected.trial)
          return matches ? Option.some(entry.right) : Option.none()
        }),
      set: (entry) =>
        Effect.flatMap(options.store, (store) => store.set(`${entry.key}.json`, prettyJson(entry))).pipe(
          Effect.mapError(failure(entry.key))
        )
    })
  })

/**
 * The store as files under `directory` (default {@link DEFAULT_DIRECTORY}), through `KeyValueStore.layerFileSystem`.
 * The directory is made on the first call that uses the store. `mode` (default `"off"`) is the cache mode of calls
 * made outside a run.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerStore = (options: {
  readonly directory?: string | undefined
  readonly mode?: ModelCalls.CacheMode | undefined
} = {}): Layer.Layer<Store, never, FileSystem.FileSystem | Path.Path> =>
  Layer.effect(
    Store,
    Effect.gen(function*() {
      const directory = options.directory ?? DEFAULT_DIRECTORY
      const context = yield* Effect.context<FileSystem.FileSystem | Path.Path>()
      const store = yield* Effect.cached(
        Layer.build(KeyValueStore.layerFileSystem(directory)).pipe(
          Effect.scoped,
          Effect.map(Context.get(KeyValueStore.KeyValueStore)),
          Effect.provide(context),
          Effect.mapError((error) => new CacheEntryError({ file: directory, reason: error.message }))
        )
      )
      return yield* make({ directory, mode: options.mode, store })
    })
  )

/**
 * What the cache needs to know of the model it wraps.
 *
 * @since 0.1.0
 * @category models
 */
export interface ModelOptions {
  /** The provider, as `@effect/ai` names it (`"openai"`, `"anthropic"`). */
  readonly provider: string
  readonly model: string
  /** The model's options (temperature, …): part of the key. */
  readonly config?: unknown
  /**
   * The provider's per-call config tag (`OpenAiLanguageModel.Config`): an override found in the context at call time
   * is part of the key too.
   */
  readonly configOverride?: Context.Tag<any, any> | undefined
}

/**
 * Wraps a `LanguageModel` with the call cache and the case's call log.
 *
 * @since 0.1.0
 * @category constructors
 */
export const wrap = (
  model: LanguageModel.Service,
  options: ModelOptions
): Effect.Effect<LanguageModel.Service, never, Store> => internal.wrap(model, options)

/**
 * A `LanguageModel` that wraps the one its layer is given with the call cache and the case's call log.
 *
 * @example
 * ```ts
 * import { AnthropicLanguageModel } from "@effect/ai-anthropic"
 * import * as CallCache from "@helicone-effect/ai/CallCache"
 * import { Layer } from "effect"
 *
 * const Model = CallCache.layer({ provider: "anthropic", model: "claude-sonnet-4-5" }).pipe(
 *   Layer.provide(AnthropicLanguageModel.layer({ model: "claude-sonnet-4-5" }))
 * )
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: ModelOptions
): Layer.Layer<LanguageModel.LanguageModel, never, LanguageModel.LanguageModel | Store> => internal.layer(options)
