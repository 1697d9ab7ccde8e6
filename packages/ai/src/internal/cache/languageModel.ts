import type * as AiError from "@effect/ai/AiError"
import * as LanguageModel from "@effect/ai/LanguageModel"
import * as Response from "@effect/ai/Response"
import type * as Tool from "@effect/ai/Tool"
import type * as Toolkit from "@effect/ai/Toolkit"
import * as ModelCalls from "@helicone-effect/evaluator/ModelCalls"
import * as Clock from "effect/Clock"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import type * as CallCache from "../../CallCache.js"
import * as CallCacheModule from "../../CallCache.js"
import { CurrentCall } from "../call.js"
import { canonical, describeCall, hashOf } from "./key.js"

type Usage = { readonly inputTokens: number | undefined; readonly outputTokens: number | undefined }

/** The cache's view of one call: its key, what it asks, and the case it is made for. */
export interface Call {
  readonly key: string
  readonly request: Record<string, unknown>
  readonly kase: ModelCalls.Case | undefined
  readonly mode: ModelCalls.CacheMode
  /** The suite and trial in the key (`null` for a call shared by suites and trials). */
  readonly suite: string | null
  readonly trial: number | null
  readonly shared: boolean
  readonly state: { readonly requestId: string; waitedMs: number } | undefined
  readonly provider: string
  readonly model: string
}

const nullable = <A>(a: A | undefined): A | null => a === undefined ? null : a

/**
 * Starts a call: its mode, its key, and (unless `allocate` is false) the case's next request id. A `shared` call's
 * key leaves out the suite and the trial.
 */
export const begin = (options: {
  readonly provider: string
  readonly model: string
  readonly config: unknown
  readonly request: Record<string, unknown>
  readonly shared?: boolean | undefined
  readonly allocate?: boolean | undefined
}): Effect.Effect<Call, never, CallCache.Store> =>
  Effect.gen(function*() {
    const store = yield* CallCacheModule.Store
    const kase = yield* ModelCalls.CurrentCase
    const mode = kase?.cache ?? store.mode
    const suite = options.shared === true ? null : nullable(kase?.suite)
    const trial = options.shared === true ? null : nullable(kase?.trial)
    const key = yield* hashOf({
      version: 1,
      suite,
      provider: options.provider,
      model: options.model,
      config: canonical(options.config) ?? null,
      request: options.request,
      trial
    })
    const call: Call = {
      key,
      request: options.request,
      kase,
      mode,
      suite,
      trial,
      shared: options.shared === true,
      state: undefined,
      provider: options.provider,
      model: options.model
    }
    return options.allocate === false ? call : allocate(call)
  })

/** The call with the case's next request id (none outside a case). */
export const allocate = (call: Call): Call => {
  const requestId = call.kase?.nextRequestId()
  return requestId === undefined ? call : { ...call, state: { requestId, waitedMs: 0 } }
}

/** The stored entry of the call, when the mode reads the store and it has one for this call. */
export const lookup = (
  call: Call
): Effect.Effect<Option.Option<CallCache.Entry>, CallCache.CacheEntryError, CallCache.Store> =>
  call.mode === "auto" || call.mode === "replay"
    ? Effect.flatMap(
      CallCacheModule.Store,
      (store) =>
        store.get(call.key, {
          provider: call.provider,
          model: call.model,
          ...(call.shared ? {} : { suite: call.suite, trial: call.trial })
        })
    )
    : Effect.succeedNone

/** Records the call in its case, if it was made inside one. */
export const record = (
  call: Call,
  outcome: {
    readonly usage: Usage
    readonly latencyMs: number
    readonly cache: ModelCalls.CacheOutcome
    readonly failed: boolean
  }
): Effect.Effect<void> =>
  Effect.sync(() => {
    if (call.kase === undefined || call.state === undefined) return
    call.kase.record({
      requestId: call.state.requestId,
      role: call.kase.role,
      scorer: call.kase.scorer,
      provider: call.provider,
      model: call.model,
      inputTokens: outcome.usage.inputTokens,
      outputTokens: outcome.usage.outputTokens,
      latencyMs: outcome.latencyMs,
      cache: outcome.cache,
      waitedMs: call.state.waitedMs,
      failed: outcome.failed
    })
  })

const noUsage: Usage = { inputTokens: undefined, outputTokens: undefined }

/** A replay-mode miss: recorded, and failed with `CacheMiss` before any request is made. */
export const miss = (call: Call): Effect.Effect<never, CallCache.CacheMiss, CallCache.Store> =>
  Effect.flatMap(
    CallCacheModule.Store,
    (store) =>
      record(call, { usage: noUsage, latencyMs: 0, cache: "miss", failed: true }).pipe(
        Effect.zipRight(
          new CallCacheModule.CacheMiss({ provider: call.provider, model: call.model, file: store.fileOf(call.key) })
        )
      )
  )

/** Stores the answer the model gave, if the mode writes the store. */
export const store = (
  call: Call,
  answer: { readonly usage: Usage; readonly latencyMs: number; readonly response: CallCache.Entry["response"] }
): Effect.Effect<void, CallCache.CacheEntryError, CallCache.Store> =>
  call.mode === "auto" || call.mode === "record"
    ? Effect.gen(function*() {
      const store = yield* CallCacheModule.Store
      const now = yield* DateTime.now
      yield* store.set({
        key: call.key,
        suite: nullable(call.kase?.suite),
        case: nullable(call.kase?.key),
        trial: nullable(call.kase?.trial),
        role: nullable(call.kase?.role),
        scorer: nullable(call.kase?.scorer),
        provider: call.provider,
        model: call.model,
        usage: { inputTokens: nullable(answer.usage.inputTokens), outputTokens: nullable(answer.usage.outputTokens) },
        latencyMs: answer.latencyMs,
        recordedAt: DateTime.formatIso(now),
        request: call.request,
        response: answer.response
      })
    })
    : Effect.void

/** The outcome of a call answered by the model, by the mode. */
export const answered = (mode: ModelCalls.CacheMode): ModelCalls.CacheOutcome => mode === "off" ? "off" : "miss"

/** Runs `effect` (the model's call) as the call, timing it; the time it waited for the rate limiter is left out. */
export const timed = <A, E, R>(call: Call, effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const start = yield* Clock.currentTimeMillis
    const exit = yield* Effect.exit(
      call.state === undefined ? effect : Effect.provideService(effect, CurrentCall, call.state)
    )
    const end = yield* Clock.currentTimeMillis
    return { exit, latencyMs: Math.max(0, end - start - (call.state?.waitedMs ?? 0)) }
  })

const usageOf = (parts: ReadonlyArray<unknown>): Usage => {
  const finish = parts.find((part: any) => part?.type === "finish") as
    | { readonly usage?: { readonly inputTokens?: number; readonly outputTokens?: number } }
    | undefined
  return { inputTokens: finish?.usage?.inputTokens, outputTokens: finish?.usage?.outputTokens }
}

const storedUsage = (entry: CallCache.Entry): Usage => ({
  inputTokens: entry.usage.inputTokens ?? undefined,
  outputTokens: entry.usage.outputTokens ?? undefined
})

/** A toolkit of the call's tools for the wrapped model; tool calls are resolved by the wrapping model, never here. */
const toolkitOf = (tools: ReadonlyArray<Tool.Any>): Toolkit.WithHandler<any> => ({
  tools: Object.fromEntries(tools.map((tool) => [tool.name, tool])),
  handle: () => Effect.dieMessage("CallCache: the wrapped model does not resolve tool calls")
})

const innerOptions = (options: LanguageModel.ProviderOptions): any =>
  options.tools.length === 0
    ? { prompt: options.prompt }
    : {
      prompt: options.prompt,
      toolkit: toolkitOf(options.tools),
      toolChoice: options.toolChoice,
      disableToolCallResolution: true
    }

const entryParts = <A, I>(
  schema: Schema.Schema<A, I>,
  entry: CallCache.Entry,
  file: string
): Effect.Effect<Array<I>, CallCache.CacheEntryError> =>
  Schema.decodeUnknown(Schema.Array(schema))(entry.response.parts ?? null).pipe(
    Effect.map(() => entry.response.parts as Array<I>),
    Effect.mapError((error) =>
      new CallCacheModule.CacheEntryError({ file, reason: `its response is not a list of parts: ${error.message}` })
    )
  )

/** Wraps `model` with the call cache and the case's call log. */
export const wrap = (
  model: LanguageModel.Service,
  options: CallCache.ModelOptions
): Effect.Effect<LanguageModel.Service, never, CallCache.Store> =>
  Effect.gen(function*() {
    const cacheStore = yield* CallCacheModule.Store
    const configOf = Effect.map(Effect.context<never>(), (context) => {
      const override = options.configOverride === undefined
        ? undefined
        : context.unsafeMap.get(options.configOverride.key)
      return override === undefined ? options.config : { ...(options.config as object), ...override }
    })
    const begin_ = (providerOptions: LanguageModel.ProviderOptions, stream: boolean) =>
      Effect.flatMap(configOf, (config) =>
        begin({
          provider: options.provider,
          model: options.model,
          config,
          request: describeCall(providerOptions, stream)
        })).pipe(Effect.provideService(CallCacheModule.Store, cacheStore))

    const generateText = (providerOptions: LanguageModel.ProviderOptions) =>
      Effect.gen(function*() {
        const call = yield* begin_(providerOptions, false)
        const toolkit = toolkitOf(providerOptions.tools)
        const stored = yield* lookup(call)
        if (Option.isSome(stored)) {
          const parts = yield* entryParts(Response.Part(toolkit), stored.value, cacheStore.fileOf(call.key))
          yield* record(call, {
            usage: storedUsage(stored.value),
            latencyMs: stored.value.latencyMs,
            cache: "hit",
            failed: false
          })
          return parts
        }
        if (call.mode === "replay") return yield* miss(call)
        const format = providerOptions.responseFormat
        const { exit, latencyMs } = yield* timed(
          call,
          format.type === "json"
            ? model.generateObject({
              ...innerOptions(providerOptions),
              schema: format.schema,
              objectName: format.objectName
            })
            : model.generateText(innerOptions(providerOptions))
        )
        if (Exit.isFailure(exit)) {
          yield* record(call, { usage: noUsage, latencyMs, cache: answered(call.mode), failed: true })
          return yield* exit
        }
        const parts = yield* Schema.encode(Schema.Array(Response.Part(toolkit)))(exit.value.content).pipe(Effect.orDie)
        const usage = usageOf(parts)
        // Recorded before it is stored: the call was made and paid for even if the store then fails.
        yield* record(call, { usage, latencyMs, cache: answered(call.mode), failed: false })
        yield* store(call, { usage, latencyMs, response: { parts } })
        return parts as Array<Response.PartEncoded>
      }).pipe(Effect.provideService(CallCacheModule.Store, cacheStore)) as Effect.Effect<
        Array<Response.PartEncoded>,
        AiError.AiError
      >

    const streamText = (providerOptions: LanguageModel.ProviderOptions) =>
      Stream.unwrap(
        Effect.gen(function*() {
          const call = yield* begin_(providerOptions, true)
          const toolkit = toolkitOf(providerOptions.tools)
          const stored = yield* lookup(call)
          if (Option.isSome(stored)) {
            const parts = yield* entryParts(Response.StreamPart(toolkit), stored.value, cacheStore.fileOf(call.key))
            yield* record(call, {
              usage: storedUsage(stored.value),
              latencyMs: stored.value.latencyMs,
              cache: "hit",
              failed: false
            })
            return Stream.fromIterable(parts)
          }
          if (call.mode === "replay") return yield* miss(call)
          const encode = Schema.encode(Response.StreamPart(toolkit))
          const parts: Array<Response.StreamPartEncoded> = []
          const start = yield* Clock.currentTimeMillis
          const latency = Effect.map(
            Clock.currentTimeMillis,
            (end) => Math.max(0, end - start - (call.state?.waitedMs ?? 0))
          )
          const inner = model.streamText(innerOptions(providerOptions)).pipe(
            Stream.mapEffect((part) => Effect.orDie(encode(part))),
            Stream.tap((part) => Effect.sync(() => parts.push(part))),
            Stream.tapError(() =>
              Effect.flatMap(
                latency,
                (latencyMs) => record(call, { usage: noUsage, latencyMs, cache: answered(call.mode), failed: true })
              )
            ),
            Stream.concat(
              Stream.fromEffect(
                Effect.gen(function*() {
                  const latencyMs = yield* latency
                  const usage = usageOf(parts)
                  yield* record(call, { usage, latencyMs, cache: answered(call.mode), failed: false })
                  yield* store(call, { usage, latencyMs, response: { parts } })
                })
              ).pipe(Stream.drain)
            )
          )
          return call.state === undefined ? inner : Stream.provideService(inner, CurrentCall, call.state)
        })
      ).pipe(Stream.provideService(CallCacheModule.Store, cacheStore)) as Stream.Stream<
        Response.StreamPartEncoded,
        AiError.AiError
      >

    return yield* LanguageModel.make({ generateText, streamText })
  })

/** The wrapping layer: the `LanguageModel` it is given, wrapped. */
export const layer = (
  options: CallCache.ModelOptions
): Layer.Layer<LanguageModel.LanguageModel, never, LanguageModel.LanguageModel | CallCache.Store> =>
  Layer.effect(
    LanguageModel.LanguageModel,
    Effect.flatMap(LanguageModel.LanguageModel, (model) => wrap(model, options))
  )
