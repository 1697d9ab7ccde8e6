import * as OpenAiClient from "@effect/ai-openai/OpenAiClient"
import type * as OpenAiEmbeddingModel from "@effect/ai-openai/OpenAiEmbeddingModel"
import * as EmbeddingModel from "@effect/ai/EmbeddingModel"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as CallCache from "../../CallCache.js"
import * as CallCacheModule from "../../CallCache.js"
import { allocate, answered, begin, type Call, lookup, miss, record, store, timed } from "./languageModel.js"

const provider = "openai"

/**
 * An OpenAI embedding model over the call cache. Each input text is its own entry (keyed by provider, model, options
 * and text, shared by trials); the texts a batch does not find are sent in one request, whose tokens are shared
 * among their entries in proportion to their lengths.
 */
export const layer = (options: {
  readonly model: string
  readonly config?:
    | Omit<OpenAiEmbeddingModel.Config.Service, "model"> & { readonly maxBatchSize?: number | undefined }
    | undefined
}): Layer.Layer<EmbeddingModel.EmbeddingModel, never, OpenAiClient.OpenAiClient | CallCache.Store> =>
  Layer.effect(
    EmbeddingModel.EmbeddingModel,
    Effect.gen(function*() {
      const client = yield* OpenAiClient.OpenAiClient
      const cacheStore = yield* CallCacheModule.Store
      const { maxBatchSize = 2048, ...config } = options.config ?? {}
      const callOf = (input: string) =>
        begin({ provider, model: options.model, config, request: { embedding: input }, shared: true, allocate: false })

      const embedMany = (inputs: ReadonlyArray<string>) =>
        Effect.gen(function*() {
          const calls = yield* Effect.forEach(inputs, (input) =>
            Effect.flatMap(callOf(input), (call) => Effect.map(lookup(call), (entry) => ({ call, input, entry }))))
          const results: Array<EmbeddingModel.Result> = []
          const missing: Array<{ readonly call: Call; readonly input: string; readonly index: number }> = []
          calls.forEach(({ call, entry, input }, index) => {
            if (Option.isSome(entry) && entry.value.response.embedding !== undefined) {
              results.push({ index, embeddings: [...entry.value.response.embedding] })
            } else {
              missing.push({ call, input, index })
            }
          })
          const hits = calls.flatMap(({ entry }) =>
            Option.isSome(entry) && entry.value.response.embedding !== undefined ? [entry.value] : []
          )
          if (hits.length > 0) {
            // The texts found in the store count as one replayed call, as they would have been one request.
            yield* record(allocate(calls[0].call), {
              usage: {
                inputTokens: hits.reduce((sum, e) =>
                  sum + (e.usage.inputTokens ?? 0), 0),
                outputTokens: undefined
              },
              latencyMs: Math.max(...hits.map((e) => e.latencyMs)),
              cache: "hit",
              failed: false
            })
          }
          if (missing.length === 0) return results
          const first = allocate(missing[0].call)
          if (first.mode === "replay") return yield* miss(first)
          const { exit, latencyMs } = yield* timed(
            first,
            client.createEmbedding({ model: options.model, ...config, input: missing.map((m) => m.input) } as any)
          )
          if (Exit.isFailure(exit)) {
            yield* record(first, {
              usage: { inputTokens: undefined, outputTokens: undefined },
              latencyMs,
              cache: answered(first.mode),
              failed: true
            })
            return yield* exit
          }
          const tokens = exit.value.usage?.prompt_tokens
          yield* record(first, {
            usage: { inputTokens: tokens, outputTokens: undefined },
            latencyMs,
            cache: answered(first.mode),
            failed: false
          })
          const totalLength = missing.reduce((sum, m) => sum + m.input.length, 0)
          for (const { embedding, index } of exit.value.data) {
            const { call, input, index: position } = missing[index]
            const embeddings = [...(embedding as ReadonlyArray<number>)]
            results.push({ index: position, embeddings })
            const share = tokens === undefined || totalLength === 0
              ? undefined
              : Math.round(tokens * input.length / totalLength)
            yield* store(call, {
              usage: { inputTokens: share, outputTokens: undefined },
              latencyMs,
              response: { embedding: embeddings }
            })
          }
          return results
        }).pipe(Effect.provideService(CallCacheModule.Store, cacheStore)) as Effect.Effect<
          Array<EmbeddingModel.Result>,
          any
        >

      return yield* EmbeddingModel.make({ maxBatchSize, embedMany })
    })
  )
