/**
 * The gateway's client against a loopback stand-in for Helicone: the headers on the wire for a task's two calls and
 * a judge's, the routes' authorization, and no secret in an error or a log.
 */
import { LanguageModel } from "@effect/ai"
import { OpenAiLanguageModel } from "@effect/ai-openai"
import { NodeContext } from "@effect/platform-node"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { assert, describe, it } from "@effect/vitest"
import { Cause, ConfigProvider, Effect, Exit, FastCheck, Layer, Logger, LogLevel, Redacted, Schema } from "effect"
import * as Http from "node:http"
import * as CallCache from "../src/CallCache.js"
import * as HeliconeGateway from "../src/HeliconeGateway.js"
import * as Case from "./fixtures/Case.js"
import * as Gateway from "./fixtures/Gateway.js"

const heliconeKey = "sk-helicone-SECRET-1234"
const openAiKey = "sk-openai-SECRET-5678"

const modelLayer = (options: HeliconeGateway.Options) =>
  HeliconeGateway.model("gpt-4o-mini", { temperature: 0 }).pipe(
    Layer.provide(HeliconeGateway.layer(options)),
    Layer.provide(CallCache.layerStore({ directory: "/nonexistent/never-used" })),
    Layer.provide([FetchHttpClient.layer, NodeContext.layer])
  )

const ConfigProviderFromEnv = (env: Record<string, string>) => ConfigProvider.fromMap(new Map(Object.entries(env)))

const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

describe("HeliconeGateway", () => {
  it.live("a task's two calls and a judge's carry the case: request ids, properties, session", () =>
    Effect.gen(function*() {
      const server = yield* Gateway.make((body) =>
        body.text?.format?.type === "json_schema"
          ? { text: JSON.stringify({ choice: "C" }) }
          : { text: `answer to ${Gateway.promptOf(body)}` }
      )
      const { calls, judge, kase } = Case.make({ suite: "capitals ✓", key: "café/1", trial: 1 })

      const task = Effect.gen(function*() {
        const first = yield* LanguageModel.generateText({ prompt: "What is the capital of France?" })
        const second = yield* LanguageModel.generateText({ prompt: "And of Italy?" })
        return [first.text, second.text]
      })
      const judgeCall = LanguageModel.generateObject({
        prompt: "Grade it",
        schema: Schema.Struct({ choice: Schema.String }),
        objectName: "grade"
      })
      const [texts, grade] = yield* Effect.all([
        task.pipe(Case.within(kase)),
        judgeCall.pipe(Case.within(judge("factuality ü")))
      ]).pipe(Effect.provide(modelLayer({ baseUrl: server.apiUrl, apiKey: Redacted.make(heliconeKey) })))

      assert.deepStrictEqual(texts, ["answer to What is the capital of France?", "answer to And of Italy?"])
      assert.deepStrictEqual(grade.value, { choice: "C" })
      assert.strictEqual(server.received.length, 3)
      const [one, two, three] = server.received.map((r) => r.headers)

      for (const headers of [one, two, three]) {
        assert.strictEqual(headers["authorization"], `Bearer ${heliconeKey}`)
        assert.strictEqual(headers["helicone-auth"], undefined)
        assert.strictEqual(headers["helicone-property-eval"], "capitals %E2%9C%93")
        assert.strictEqual(headers["helicone-property-case"], "caf%C3%A9/1")
        assert.strictEqual(headers["helicone-property-trial"], "1")
        assert.strictEqual(headers["helicone-property-run"], kase.runId)
        assert.strictEqual(headers["helicone-session-id"], kase.runId)
        assert.strictEqual(headers["helicone-session-name"], "capitals %E2%9C%93")
        assert.match(headers["helicone-request-id"] as string, uuid)
      }
      assert.strictEqual(decodeURIComponent(one["helicone-property-case"] as string), "café/1")

      // The task's first call carries the case's request id (where its scores go); every other call its own.
      assert.strictEqual(one["helicone-request-id"], kase.requestId)
      assert.strictEqual(
        new Set([one, two, three].map((h) => h["helicone-request-id"])).size,
        3
      )
      assert.strictEqual(one["helicone-property-role"], "task")
      assert.strictEqual(two["helicone-property-role"], "task")
      assert.strictEqual(three["helicone-property-role"], "judge")
      assert.strictEqual(one["helicone-property-scorer"], undefined)
      assert.strictEqual(three["helicone-property-scorer"], "factuality %C3%BC")
      assert.strictEqual(one["helicone-session-path"], "/caf%C3%A9%2F1/trial-1")
      assert.strictEqual(two["helicone-session-path"], "/caf%C3%A9%2F1/trial-1")
      assert.strictEqual(three["helicone-session-path"], "/caf%C3%A9%2F1/trial-1/factuality%20%C3%BC")

      // Every id sent is recorded with its call, as the case's `calls`.
      assert.deepStrictEqual(
        calls.map((c) => c.requestId).sort(),
        [one, two, three].map((h) => h["helicone-request-id"] as string).sort()
      )
      const taskCall = calls.find((c) => c.requestId === kase.requestId)!
      // Latency and the limiter's waiting are times: only their presence is checked.
      assert.isAtLeast(taskCall.latencyMs, 0)
      assert.isAtLeast(taskCall.waitedMs, 0)
      assert.deepStrictEqual({ ...taskCall, latencyMs: 0, waitedMs: 0 }, {
        requestId: kase.requestId,
        role: "task",
        scorer: undefined,
        provider: "openai",
        model: "gpt-4o-mini",
        inputTokens: 100,
        outputTokens: 20,
        latencyMs: 0,
        cache: "off",
        waitedMs: 0,
        failed: false
      })
      const judged = calls.find((c) => c.role === "judge")!
      assert.strictEqual(judged.scorer, "factuality ü")
      assert.strictEqual(judged.requestId, three["helicone-request-id"])
      assert.strictEqual(server.received[0].path, "/v1/responses")
      assert.strictEqual(server.received[0].body.model, "gpt-4o-mini")
    }).pipe(Effect.scoped))

  it.live("a plain OpenAiLanguageModel on the gateway's client gets a request id per request from the case", () =>
    Effect.gen(function*() {
      const server = yield* Gateway.make(() => ({ text: "hi" }))
      const { kase, requestIds } = Case.make()
      yield* Effect.all([
        LanguageModel.generateText({ prompt: "one" }),
        LanguageModel.generateText({ prompt: "two" })
      ]).pipe(
        Case.within(kase),
        Effect.provide(
          OpenAiLanguageModel.model("gpt-4o-mini").pipe(
            Layer.provide(HeliconeGateway.layer({ baseUrl: server.apiUrl, apiKey: Redacted.make(heliconeKey) })),
            Layer.provide(FetchHttpClient.layer)
          )
        )
      )
      assert.deepStrictEqual(server.received.map((r) => r.headers["helicone-request-id"]), requestIds)
      assert.strictEqual(requestIds[0], kase.requestId)
      assert.strictEqual(new Set(requestIds).size, 2)
    }).pipe(Effect.scoped))

  it.live("outside a case, no Helicone headers but the route's authorization", () =>
    Effect.gen(function*() {
      const server = yield* Gateway.make(() => ({ text: "hi" }))
      yield* LanguageModel.generateText({ prompt: "hello" }).pipe(
        Effect.provide(modelLayer({ baseUrl: server.apiUrl, apiKey: Redacted.make(heliconeKey) }))
      )
      const headers = server.received[0].headers
      assert.strictEqual(headers["authorization"], `Bearer ${heliconeKey}`)
      assert.deepStrictEqual(Object.keys(headers).filter((name) => name.startsWith("helicone-")), [])
    }).pipe(Effect.scoped))

  it.live("the proxy route sends the provider's key as Authorization and Helicone's as Helicone-Auth", () =>
    Effect.gen(function*() {
      const server = yield* Gateway.make(() => ({ text: "hi" }))
      const { kase } = Case.make()
      yield* LanguageModel.generateText({ prompt: "hello" }).pipe(
        Case.within(kase),
        Effect.provide(modelLayer({
          route: "proxy",
          baseUrl: server.apiUrl,
          apiKey: Redacted.make(heliconeKey),
          providerApiKey: Redacted.make(openAiKey)
        }))
      )
      const headers = server.received[0].headers
      assert.strictEqual(headers["authorization"], `Bearer ${openAiKey}`)
      assert.strictEqual(headers["helicone-auth"], `Bearer ${heliconeKey}`)
      assert.strictEqual(headers["helicone-request-id"], kase.requestId)
    }).pipe(Effect.scoped))

  it.live("layerConfig: HELICONE_API_KEY alone is the AI Gateway, with OPENAI_API_KEY the proxy", () =>
    Effect.gen(function*() {
      const server = yield* Gateway.make(() => ({ text: "hi" }))
      const viaConfig = (env: Record<string, string>) =>
        LanguageModel.generateText({ prompt: "hello" }).pipe(
          Effect.provide(
            HeliconeGateway.model("gpt-4o-mini").pipe(
              Layer.provide(HeliconeGateway.layerConfig()),
              Layer.provide(CallCache.layerStore()),
              Layer.provide([FetchHttpClient.layer, NodeContext.layer]),
              Layer.provide(Layer.setConfigProvider(ConfigProviderFromEnv(env)))
            )
          )
        )
      yield* viaConfig({ HELICONE_API_KEY: heliconeKey, HELICONE_GATEWAY_URL: server.apiUrl })
      yield* viaConfig({
        HELICONE_API_KEY: heliconeKey,
        OPENAI_API_KEY: openAiKey,
        HELICONE_GATEWAY_URL: server.apiUrl
      })
      assert.strictEqual(server.received[0].headers["authorization"], `Bearer ${heliconeKey}`)
      assert.strictEqual(server.received[0].headers["helicone-auth"], undefined)
      assert.strictEqual(server.received[1].headers["authorization"], `Bearer ${openAiKey}`)
      assert.strictEqual(server.received[1].headers["helicone-auth"], `Bearer ${heliconeKey}`)

      const missing = yield* viaConfig({}).pipe(Effect.exit)
      assert.isTrue(Exit.isFailure(missing))
      assert.include(Cause.pretty((missing as Exit.Failure<unknown, unknown>).cause), "HELICONE_API_KEY")
    }).pipe(Effect.scoped))

  it.live("a failed call's error and the logs name no key", () =>
    Effect.gen(function*() {
      const server = yield* Gateway.make(() => ({ status: 401, error: "Invalid API key" }))
      const logs: Array<string> = []
      const logger = Logger.make(({ annotations, cause, message }) => {
        logs.push(JSON.stringify({ message, cause: Cause.pretty(cause), annotations: [...annotations] }))
      })
      const { calls, kase } = Case.make()
      const exit = yield* LanguageModel.generateText({ prompt: "hello" }).pipe(
        Effect.tapErrorCause((cause) => Effect.logError("the call failed", cause)),
        Case.within(kase),
        Effect.provide(modelLayer({
          route: "proxy",
          baseUrl: server.apiUrl,
          apiKey: Redacted.make(heliconeKey),
          providerApiKey: Redacted.make(openAiKey)
        })),
        Effect.provide(Logger.replace(Logger.defaultLogger, logger)),
        Logger.withMinimumLogLevel(LogLevel.All),
        Effect.exit
      )
      assert.isTrue(Exit.isFailure(exit))
      const cause = (exit as Exit.Failure<unknown, unknown>).cause
      const error = Cause.squash(cause)
      const surfaces = [Cause.pretty(cause), String(error), JSON.stringify(error), JSON.stringify(calls), ...logs]
      assert.isAbove(logs.length, 0)
      assert.include(Cause.pretty(cause), "401")
      for (const text of surfaces) {
        assert.notInclude(text, "SECRET", text)
      }
      assert.strictEqual(calls.length, 1)
      assert.isTrue(calls[0].failed)
      assert.strictEqual(server.received[0].headers["helicone-auth"], `Bearer ${heliconeKey}`)
    }).pipe(Effect.scoped))

  it.prop("any suite, case key and scorer make headers Node sends, whose values decode back", [
    FastCheck.string({ unit: "binary" }),
    FastCheck.string({ unit: "binary" }),
    FastCheck.string({ unit: "binary" })
  ], ([suite, key, scorer]) => {
    const kase = Case.make({ suite, key }).judge(scorer)
    const headers = HeliconeGateway.caseHeaders(kase, kase.requestId)
    for (const [name, value] of Object.entries(headers)) {
      Http.validateHeaderName(name)
      Http.validateHeaderValue(name, value)
    }
    const wellFormed = (text: string) => decodeURIComponent(HeliconeGateway.encodeHeaderValue(text))
    assert.strictEqual(decodeURIComponent(headers["Helicone-Property-Eval"]), wellFormed(suite))
    assert.strictEqual(decodeURIComponent(headers["Helicone-Property-Case"]), wellFormed(key))
    assert.strictEqual(decodeURIComponent(headers["Helicone-Property-Scorer"]), wellFormed(scorer))
    // Only a lone surrogate, which UTF-8 cannot carry, comes back changed (as U+FFFD).
    if (!loneSurrogate.test(key)) assert.strictEqual(wellFormed(key), key)
    const segments = headers["Helicone-Session-Path"].split("/")
    assert.deepStrictEqual(segments.slice(2), ["trial-0", encodeURIComponent(wellFormed(scorer))])
    assert.strictEqual(decodeURIComponent(segments[1]), wellFormed(key))
  })

  it("header values: printable ASCII as it is, the rest percent-encoded and decodable", () => {
    assert.strictEqual(HeliconeGateway.encodeHeaderValue("plain value-1"), "plain value-1")
    assert.strictEqual(HeliconeGateway.encodeHeaderValue("100%"), "100%25")
    assert.strictEqual(HeliconeGateway.encodeHeaderValue("a\nb\tc\u0000"), "a%0Ab%09c%00")
    assert.strictEqual(HeliconeGateway.encodeHeaderValue(" edge "), "%20edge%20")
    for (const value of ["café ✓ 😀", "line\r\nbreak", " %41 ", "\uD800 lone"]) {
      const encoded = HeliconeGateway.encodeHeaderValue(value)
      assert.match(encoded, /^[\x21-\x7E]([\x20-\x7E]*[\x21-\x7E])?$/)
      assert.strictEqual(decodeURIComponent(encoded), value.replace("\uD800", "\uFFFD"))
    }
  })
})
