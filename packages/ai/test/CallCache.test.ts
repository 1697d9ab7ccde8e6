/**
 * Record and replay of model calls against a loopback stand-in for Helicone's gateway, with the store in a
 * temporary directory: what a replay sends (nothing), what a miss, a corrupt entry or another model's entry does,
 * what the files hold (and do not: no key), and embeddings cached per text.
 */
import { EmbeddingModel, LanguageModel, Tool, Toolkit } from "@effect/ai"
import { OpenAiLanguageModel } from "@effect/ai-openai"
import { NodeContext } from "@effect/platform-node"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import { assert, describe, it } from "@effect/vitest"
import type { ModelCalls } from "@helicone-effect/evaluator"
import { Cause, Chunk, Effect, Exit, Layer, Option, Redacted, Schema, Stream } from "effect"
import * as CallCache from "../src/CallCache.js"
import * as HeliconeGateway from "../src/HeliconeGateway.js"
import * as Case from "./fixtures/Case.js"
import * as Gateway from "./fixtures/Gateway.js"

const heliconeKey = "sk-helicone-SECRET-1234"
const openAiKey = "sk-openai-SECRET-5678"

const clientLayer = (apiUrl: string) =>
  HeliconeGateway.layer({
    route: "proxy",
    baseUrl: apiUrl,
    apiKey: Redacted.make(heliconeKey),
    providerApiKey: Redacted.make(openAiKey)
  })

const modelIn = (apiUrl: string, directory: string, name = "gpt-4o-mini") =>
  HeliconeGateway.model(name, { temperature: 0 }).pipe(
    Layer.provide(clientLayer(apiUrl)),
    Layer.provide(CallCache.layerStore({ directory })),
    Layer.provide([FetchHttpClient.layer, NodeContext.layer])
  )

/** The stand-in answers `answer to <prompt>`, as `{ "text": ... }` when the call asks for an object. */
const answering = () =>
  Gateway.make((body) => {
    const text = `answer to ${Gateway.promptOf(body)}`
    return { text: body.text?.format?.type === "json_schema" ? JSON.stringify({ text }) : text }
  })

const tempDirectory = Effect.flatMap(FileSystem.FileSystem, (fs) => fs.makeTempDirectoryScoped()).pipe(
  Effect.provide(NodeContext.layer)
)

const entries = (directory: string) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const names = (yield* fs.readDirectory(directory)).sort()
    return yield* Effect.forEach(names, (name) =>
      Effect.map(fs.readFileString(path.join(directory, name)), (text) => ({
        file: path.join(directory, name),
        text,
        entry: JSON.parse(text)
      })))
  }).pipe(Effect.provide(NodeContext.layer))

/** The model call in a case: one text answer. */
const ask = (prompt: string, kase: ModelCalls.Case) =>
  LanguageModel.generateText({ prompt }).pipe(Effect.map((r) => r.text), Case.within(kase))

const failureOf = <A, E>(exit: Exit.Exit<A, E>): unknown =>
  Exit.isFailure(exit) ? Option.getOrUndefined(Cause.failureOption(exit.cause)) : undefined

describe("CallCache", () => {
  it.live("auto records each call; replay answers from the files with zero HTTP requests, usage and latency kept", () =>
    Effect.gen(function*() {
      const directory = yield* tempDirectory
      const recording = yield* answering()
      const first = Case.make({ cache: "auto" })
      const judge = first.judge("grader")

      const calls = Effect.gen(function*() {
        const text = yield* ask("What is the capital of France?", first.kase)
        const grade = yield* LanguageModel.generateObject({
          prompt: "Grade it",
          schema: Schema.Struct({ text: Schema.String }),
          objectName: "grade"
        }).pipe(Case.within(judge))
        const streamed = yield* LanguageModel.streamText({ prompt: "Stream it" }).pipe(
          Stream.filter((part) => part.type === "text-delta"),
          Stream.map((part) => (part as { readonly delta: string }).delta),
          Stream.runCollect,
          Effect.map((deltas) => Chunk.join(deltas, "")),
          Case.within(first.kase)
        )
        return { text, grade: grade.value, streamed }
      })

      const recorded = yield* calls.pipe(Effect.provide(modelIn(recording.apiUrl, directory)))
      assert.strictEqual(recording.received.length, 3)
      assert.deepStrictEqual(recorded, {
        text: "answer to What is the capital of France?",
        grade: { text: "answer to Grade it" },
        streamed: "answer to Stream it"
      })
      assert.deepStrictEqual(first.calls.map((c) => [c.role, c.cache, c.inputTokens, c.outputTokens]), [
        ["task", "miss", 100, 20],
        ["judge", "miss", 100, 20],
        ["task", "miss", 100, 20]
      ])
      const files = yield* entries(directory)
      assert.strictEqual(files.length, 3)

      const replaying = yield* Gateway.make(() => ({ status: 500, error: "must not be called" }))
      const second = Case.make({ cache: "replay", runId: crypto.randomUUID() })
      const replayed = yield* Effect.gen(function*() {
        const text = yield* ask("What is the capital of France?", second.kase)
        const grade = yield* LanguageModel.generateObject({
          prompt: "Grade it",
          schema: Schema.Struct({ text: Schema.String }),
          objectName: "grade"
        }).pipe(Case.within(second.judge("grader")))
        const streamed = yield* LanguageModel.streamText({ prompt: "Stream it" }).pipe(
          Stream.filter((part) => part.type === "text-delta"),
          Stream.map((part) => (part as { readonly delta: string }).delta),
          Stream.runCollect,
          Effect.map((deltas) => Chunk.join(deltas, "")),
          Case.within(second.kase)
        )
        return { text, grade: grade.value, streamed }
      }).pipe(Effect.provide(modelIn(replaying.apiUrl, directory)))

      assert.deepStrictEqual(replayed, recorded)
      assert.strictEqual(replaying.received.length, 0)
      const latencies = new Map(files.map(({ entry }) => [entry.request.prompt.content[0].content, entry.latencyMs]))
      assert.deepStrictEqual(second.calls.map((c) => [c.role, c.cache, c.inputTokens, c.outputTokens, c.latencyMs]), [
        ["task", "hit", 100, 20, latencies.get("What is the capital of France?")],
        ["judge", "hit", 100, 20, latencies.get("Grade it")],
        ["task", "hit", 100, 20, latencies.get("Stream it")]
      ])
      // A replayed call keeps the request id it was given: the first is still the case's.
      assert.strictEqual(second.calls[0].requestId, second.kase.requestId)
    }).pipe(Effect.scoped))

  it.live("entries: one pretty JSON file per call, keys sorted, with the case, usage, request and response", () =>
    Effect.gen(function*() {
      const directory = yield* tempDirectory
      const server = yield* answering()
      const { kase } = Case.make({ cache: "record", suite: "capitals", key: "france", trial: 2 })
      yield* ask("What is the capital of France?", kase).pipe(Effect.provide(modelIn(server.apiUrl, directory)))
      const [{ entry, file, text }] = yield* entries(directory)

      assert.match(file, /[0-9a-f]{64}\.json$/)
      assert.strictEqual(file.endsWith(`${entry.key}.json`), true)
      const sortedKeys = (value: unknown): boolean =>
        typeof value !== "object" || value === null ||
        (Array.isArray(value) ? value.every(sortedKeys) : (() => {
          const keys = Object.keys(value)
          return keys.join() === [...keys].sort().join() && Object.values(value).every(sortedKeys)
        })())
      assert.isTrue(sortedKeys(entry))
      assert.strictEqual(text, `${JSON.stringify(entry, null, 2)}\n`)
      assert.deepStrictEqual(
        {
          suite: entry.suite,
          case: entry.case,
          trial: entry.trial,
          role: entry.role,
          scorer: entry.scorer,
          provider: entry.provider,
          model: entry.model,
          usage: entry.usage
        },
        {
          suite: "capitals",
          case: "france",
          trial: 2,
          role: "task",
          scorer: null,
          provider: "openai",
          model: "gpt-4o-mini",
          usage: { inputTokens: 100, outputTokens: 20 }
        }
      )
      assert.isNumber(entry.latencyMs)
      assert.isFalse(Number.isNaN(Date.parse(entry.recordedAt)))
      assert.deepStrictEqual(entry.request.prompt, {
        content: [{ role: "user", content: "What is the capital of France?", options: {} }]
      })
      assert.deepStrictEqual(entry.request.responseFormat, { type: "text" })
      assert.deepStrictEqual(
        entry.response.parts.find((p: any) => p.type === "text").text,
        "answer to What is the capital of France?"
      )
    }).pipe(Effect.scoped))

  it.live("a recording holds no API key nor Authorization value", () =>
    Effect.gen(function*() {
      const directory = yield* tempDirectory
      const server = yield* answering()
      const { kase } = Case.make({ cache: "auto" })
      yield* ask("What is the capital of France?", kase).pipe(Effect.provide(modelIn(server.apiUrl, directory)))
      yield* ask("And Italy?", Case.make({ cache: "record" }).judge("j")).pipe(
        Effect.provide(modelIn(server.apiUrl, directory))
      )
      // The keys were sent...
      assert.strictEqual(server.received[0].headers["authorization"], `Bearer ${openAiKey}`)
      assert.strictEqual(server.received[0].headers["helicone-auth"], `Bearer ${heliconeKey}`)
      // ...and are in no file.
      const files = yield* entries(directory)
      assert.strictEqual(files.length, 2)
      for (const { text } of files) {
        assert.notInclude(text, "SECRET")
        assert.notMatch(text, /bearer|authorization|helicone-auth/i)
      }
    }).pipe(Effect.scoped))

  it.live("trials get distinct entries: a second trial calls the model, a rerun of both does not", () =>
    Effect.gen(function*() {
      const directory = yield* tempDirectory
      const server = yield* answering()
      const model = modelIn(server.apiUrl, directory)
      const runId = crypto.randomUUID()
      for (const trial of [0, 1]) {
        yield* ask("Same question", Case.make({ cache: "auto", trial, runId }).kase).pipe(Effect.provide(model))
      }
      assert.strictEqual(server.received.length, 2)
      const files = yield* entries(directory)
      assert.deepStrictEqual(files.map(({ entry }) => entry.trial).sort(), [0, 1])

      const rerun = [Case.make({ cache: "auto", trial: 0 }), Case.make({ cache: "auto", trial: 1 })]
      for (const { kase } of rerun) yield* ask("Same question", kase).pipe(Effect.provide(model))
      assert.strictEqual(server.received.length, 2)
      assert.deepStrictEqual(rerun.map(({ calls }) => calls[0].cache), ["hit", "hit"])
    }).pipe(Effect.scoped))

  it.live("replay: a call the store lacks fails its case with CacheMiss, sends nothing, and the others answer", () =>
    Effect.gen(function*() {
      const directory = yield* tempDirectory
      const server = yield* answering()
      yield* ask("Known", Case.make({ cache: "auto" }).kase).pipe(Effect.provide(modelIn(server.apiUrl, directory)))
      assert.strictEqual(server.received.length, 1)

      const known = Case.make({ cache: "replay", key: "known" })
      const unknown = Case.make({ cache: "replay", key: "unknown" })
      const [ok, missed] = yield* Effect.all([
        Effect.exit(ask("Known", known.kase)),
        Effect.exit(ask("Unknown", unknown.kase))
      ], { concurrency: 2 }).pipe(Effect.provide(modelIn(server.apiUrl, directory)))

      assert.deepStrictEqual(ok, Exit.succeed("answer to Known"))
      const error = failureOf(missed)
      assert.instanceOf(error, CallCache.CacheMiss)
      const miss = error as CallCache.CacheMiss
      assert.strictEqual(miss._tag, "CacheMiss")
      assert.strictEqual(miss.model, "gpt-4o-mini")
      assert.isTrue(miss.file.startsWith(directory))
      assert.include(miss.message, miss.file)
      assert.isTrue(CallCache.isCallCacheError(miss))
      assert.strictEqual(server.received.length, 1)
      assert.deepStrictEqual(unknown.calls.map((c) => [c.cache, c.failed]), [["miss", true]])
    }).pipe(Effect.scoped))

  it.live("a corrupt entry is a CacheEntryError naming its file, for that call only", () =>
    Effect.gen(function*() {
      const directory = yield* tempDirectory
      const server = yield* answering()
      const model = modelIn(server.apiUrl, directory)
      yield* ask("First", Case.make({ cache: "auto" }).kase).pipe(Effect.provide(model))
      const [{ file: firstFile }] = yield* entries(directory)
      yield* ask("Second", Case.make({ cache: "auto" }).kase).pipe(Effect.provide(model))
      const second = (yield* entries(directory)).find((e) => e.file !== firstFile)!
      const fs = yield* Effect.provide(FileSystem.FileSystem, NodeContext.layer)
      yield* fs.writeFileString(firstFile, "{ \"key\": \"truncated")

      const [corrupt, fine] = yield* Effect.all([
        Effect.exit(ask("First", Case.make({ cache: "replay" }).kase)),
        Effect.exit(ask("Second", Case.make({ cache: "replay" }).kase))
      ]).pipe(Effect.provide(model))
      const error = failureOf(corrupt)
      assert.instanceOf(error, CallCache.CacheEntryError)
      assert.strictEqual((error as CallCache.CacheEntryError).file, firstFile)
      assert.include((error as CallCache.CacheEntryError).message, firstFile)
      assert.deepStrictEqual(fine, Exit.succeed("answer to Second"))

      // An entry that is JSON but not an entry (its parts are not parts) is named too.
      yield* fs.writeFileString(
        second.file,
        JSON.stringify({ ...second.entry, response: { parts: [{ type: "nonsense" }] } })
      )
      const bad = yield* Effect.exit(ask("Second", Case.make({ cache: "replay" }).kase)).pipe(Effect.provide(model))
      assert.strictEqual((failureOf(bad) as CallCache.CacheEntryError).file, second.file)
    }).pipe(Effect.scoped))

  it.live("another model's or suite's entry is a miss, never its answer", () =>
    Effect.gen(function*() {
      const directory = yield* tempDirectory
      const server = yield* answering()
      yield* ask("Question", Case.make({ cache: "auto", suite: "s" }).kase).pipe(
        Effect.provide(modelIn(server.apiUrl, directory, "gpt-4o-mini"))
      )
      const [recorded] = yield* entries(directory)

      const otherModel = yield* Effect.exit(ask("Question", Case.make({ cache: "replay", suite: "s" }).kase)).pipe(
        Effect.provide(modelIn(server.apiUrl, directory, "gpt-4.1"))
      )
      const missFile = (failureOf(otherModel) as CallCache.CacheMiss).file
      assert.notStrictEqual(missFile, recorded.file)
      // Even under the other model's file name, the entry says whose answer it is, and is not used.
      const fs = yield* Effect.provide(FileSystem.FileSystem, NodeContext.layer)
      yield* fs.writeFileString(missFile, recorded.text)
      const again = yield* Effect.exit(ask("Question", Case.make({ cache: "replay", suite: "s" }).kase)).pipe(
        Effect.provide(modelIn(server.apiUrl, directory, "gpt-4.1"))
      )
      assert.instanceOf(failureOf(again), CallCache.CacheMiss)

      // A per-call override of the model's options is another call too.
      const overridden = yield* Effect.exit(
        ask("Question", Case.make({ cache: "replay", suite: "s" }).kase).pipe(
          OpenAiLanguageModel.withConfigOverride({ temperature: 1 })
        )
      ).pipe(Effect.provide(modelIn(server.apiUrl, directory, "gpt-4o-mini")))
      assert.instanceOf(failureOf(overridden), CallCache.CacheMiss)
      const same = yield* ask("Question", Case.make({ cache: "replay", suite: "s" }).kase).pipe(
        Effect.provide(modelIn(server.apiUrl, directory, "gpt-4o-mini"))
      )
      assert.strictEqual(same, "answer to Question")

      const otherSuite = yield* Effect.exit(ask("Question", Case.make({ cache: "replay", suite: "t" }).kase)).pipe(
        Effect.provide(modelIn(server.apiUrl, directory, "gpt-4o-mini"))
      )
      assert.instanceOf(failureOf(otherSuite), CallCache.CacheMiss)
      assert.strictEqual(server.received.length, 1)
    }).pipe(Effect.scoped))

  it.live("off neither reads nor writes; outside a run the store's mode applies", () =>
    Effect.gen(function*() {
      const directory = yield* tempDirectory
      const server = yield* answering()
      const off = Case.make({ cache: "off" })
      yield* ask("Q", off.kase).pipe(Effect.provide(modelIn(server.apiUrl, directory)))
      assert.deepStrictEqual(yield* entries(directory), [])
      assert.strictEqual(off.calls[0].cache, "off")

      const outside = HeliconeGateway.model("gpt-4o-mini").pipe(
        Layer.provide(clientLayer(server.apiUrl)),
        Layer.provide(CallCache.layerStore({ directory, mode: "auto" })),
        Layer.provide([FetchHttpClient.layer, NodeContext.layer])
      )
      yield* LanguageModel.generateText({ prompt: "Q" }).pipe(Effect.provide(outside))
      yield* LanguageModel.generateText({ prompt: "Q" }).pipe(Effect.provide(outside))
      assert.strictEqual(server.received.length, 2)
      const [{ entry }] = yield* entries(directory)
      assert.deepStrictEqual([entry.suite, entry.case, entry.trial], [null, null, null])
    }).pipe(Effect.scoped))

  it.live("tools: a replayed tool call is resolved by the handler again; a changed tool is another call", () =>
    Effect.gen(function*() {
      const directory = yield* tempDirectory
      const server = yield* Gateway.make(() => ({ toolCall: { name: "GetCapital", params: { country: "France" } } }))
      const handled: Array<string> = []
      const toolkitWith = (description: string) => {
        const GetCapital = Tool.make("GetCapital", {
          description,
          parameters: { country: Schema.String },
          success: Schema.String
        })
        const toolkit = Toolkit.make(GetCapital)
        const handlers = toolkit.toLayer({
          GetCapital: ({ country }) => Effect.sync(() => (handled.push(country), `the capital of ${country}`))
        })
        return { toolkit, handlers }
      }
      const askWithTool = (kase: ModelCalls.Case, description = "The capital of a country") => {
        const { handlers, toolkit } = toolkitWith(description)
        return LanguageModel.generateText({ prompt: "Capital of France?", toolkit }).pipe(
          Effect.map((response) => response.toolResults.map((r) => [r.name, r.result])),
          Case.within(kase),
          Effect.provide(handlers),
          Effect.provide(modelIn(server.apiUrl, directory))
        )
      }

      const recorded = yield* askWithTool(Case.make({ cache: "auto" }).kase)
      assert.deepStrictEqual(recorded, [["GetCapital", "the capital of France"]])
      assert.strictEqual(server.received.length, 1)
      assert.deepStrictEqual(server.received[0].body.tools.map((t: any) => t.name), ["GetCapital"])
      const [{ entry }] = yield* entries(directory)
      // The model's answer is stored, not the handler's result.
      assert.deepStrictEqual(entry.response.parts.map((p: any) => p.type), ["response-metadata", "tool-call", "finish"])
      assert.strictEqual(entry.request.tools[0].description, "The capital of a country")

      const replayed = yield* askWithTool(Case.make({ cache: "replay" }).kase)
      assert.deepStrictEqual(replayed, recorded)
      assert.deepStrictEqual(handled, ["France", "France"])
      assert.strictEqual(server.received.length, 1)

      const changed = yield* Effect.exit(askWithTool(Case.make({ cache: "replay" }).kase, "Another description"))
      assert.instanceOf(failureOf(changed), CallCache.CacheMiss)
      assert.strictEqual(server.received.length, 1)
    }).pipe(Effect.scoped))

  it.live("embeddings: cached per text, only the missing texts sent, in one batch; replay sends nothing", () =>
    Effect.gen(function*() {
      const directory = yield* tempDirectory
      const server = yield* answering()
      const embeddings = (name: string) =>
        HeliconeGateway.embeddingModel(name).pipe(
          Layer.provide(clientLayer(server.apiUrl)),
          Layer.provide(CallCache.layerStore({ directory })),
          Layer.provide([FetchHttpClient.layer, NodeContext.layer])
        )
      const embed = (texts: Array<string>, kase: ModelCalls.Case, name = "text-embedding-3-small") =>
        Effect.flatMap(EmbeddingModel.EmbeddingModel, (model) => model.embedMany(texts)).pipe(
          Case.within(kase),
          Effect.provide(embeddings(name))
        )

      const first = Case.make({ cache: "auto" })
      const vectors = yield* embed(["a", "bb"], first.kase)
      assert.deepStrictEqual(vectors, [Gateway.embeddingOf("a"), Gateway.embeddingOf("bb")])
      const second = Case.make({ cache: "auto", trial: 1 })
      yield* embed(["a", "ccc"], second.kase)
      assert.deepStrictEqual(server.received.map((r) => [r.path, r.body.input]), [
        ["/v1/embeddings", ["a", "bb"]],
        ["/v1/embeddings", ["ccc"]]
      ])
      assert.deepStrictEqual(first.calls.map((c) => [c.cache, c.inputTokens]), [["miss", 3]])
      assert.deepStrictEqual(second.calls.map((c) => c.cache).sort(), ["hit", "miss"])
      assert.strictEqual(server.received[0].headers["helicone-request-id"], first.kase.requestId)

      const replay = Case.make({ cache: "replay" })
      const replayed = yield* embed(["ccc", "bb", "a"], replay.kase)
      assert.deepStrictEqual(replayed, ["ccc", "bb", "a"].map(Gateway.embeddingOf))
      assert.strictEqual(server.received.length, 2)
      const otherModel = yield* Effect.exit(embed(["a"], Case.make({ cache: "replay" }).kase, "text-embedding-3-large"))
      assert.instanceOf(failureOf(otherModel), CallCache.CacheMiss)
      assert.strictEqual(server.received.length, 2)
    }).pipe(Effect.scoped))
})
