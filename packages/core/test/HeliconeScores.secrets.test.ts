import { assert, describe, expect, it } from "@effect/vitest"
import { HeliconeConfig } from "@helicone-effect/core"
import { Cause, Effect, Fiber, Inspectable, Logger, LogLevel, Redacted, Ref, Tracer } from "effect"
import { apiKey, requestId, setup, wakeUpNext } from "./fixtures/Harness.js"
import { helicone, reset } from "./fixtures/ScriptedServer.js"

const captureLogs = Effect.map(Ref.make<Array<string>>([]), (lines) => ({
  lines,
  logger: Logger.make((options) => {
    const text = Logger.logfmtLogger.log(options)
    const structured = Inspectable.stringifyCircular(Logger.structuredLogger.log(options))
    Effect.runSync(Ref.update(lines, (all) => [...all, text, structured]))
  })
}))

const recordSpans = Effect.map(Effect.tracer, (base) => {
  const spans: Array<Tracer.Span> = []
  const tracer = Tracer.make({
    span: (...args) => {
      const span = base.span(...args)
      spans.push(span)
      return span
    },
    context: base.context
  })
  return { spans, tracer }
})

describe("the API key never leaks", () => {
  it.scoped.each(
    [
      ["an unknown key (401)", [helicone.unknownKey]],
      ["a 422", [helicone.scoresRequired]],
      ["a connection reset", [reset]]
    ] as const
  )("not from the error, its JSON, String(error), logs or spans of %s", ([, replies]) =>
    Effect.gen(function*() {
      const { lines, logger } = yield* captureLogs
      const { spans, tracer } = yield* recordSpans
      const { service } = yield* setup(replies, { retry: { maxAttempts: 2 }, timeout: "1 hour" })
      const fiber = yield* service.submitScore(requestId, { accuracy: 92 }).pipe(
        // what a user does with a failure: log it with its cause
        Effect.tapErrorCause((cause) => Effect.logError("score submission failed", cause)),
        Effect.flip,
        Effect.withTracer(tracer),
        Effect.provide(Logger.replace(Logger.defaultLogger, logger)),
        Logger.withMinimumLogLevel(LogLevel.All),
        Effect.fork
      )
      if (replies[0] === reset) yield* wakeUpNext("1 minute")
      const error = yield* Fiber.join(fiber)
      const logged = yield* Ref.get(lines)
      expect(logged.length).toBeGreaterThan(0)
      const texts = [
        error.message,
        String(error),
        JSON.stringify(error),
        Inspectable.stringifyCircular(error),
        Cause.pretty(Cause.fail(error)),
        ...logged,
        ...spans.map((span) => Inspectable.stringifyCircular([span.name, [...span.attributes]]))
      ]
      for (const text of texts) assert.notInclude(text, apiKey)
      // the failure did reach the logs, so the check above looked at something
      expect(logged.join("\n")).toContain("score submission failed")
      const span = spans.find((span) => span.name === "HeliconeScores.submitScore")
      assert.isDefined(span)
      assert.strictEqual(span!.attributes.get("helicone.request_id"), requestId)
      assert.strictEqual(span!.attributes.get("helicone.score_count"), 1)
      // the HTTP client's span records request headers, with the Authorization header redacted
      const httpSpan = spans.find((span) => span.attributes.has("http.request.header.authorization"))
      assert.isDefined(httpSpan)
      assert.notInclude(String(httpSpan!.attributes.get("http.request.header.authorization")), apiKey)
    }))

  it.effect("JSON.stringify and String of the resolved config show no key", () =>
    Effect.gen(function*() {
      const config = yield* HeliconeConfig.make({ apiKey: Redacted.make(apiKey) })
      assert.notInclude(JSON.stringify(config), apiKey)
      assert.notInclude(String(config.apiKey), apiKey)
      assert.notInclude(Inspectable.stringifyCircular(config), apiKey)
      assert.strictEqual(Redacted.value(config.apiKey), apiKey)
    }))

  it.effect("an InvalidConfig error never holds the key", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        HeliconeConfig.make({ apiKey: Redacted.make(apiKey), baseUrl: "http://api.example.com" })
      )
      for (const text of [error.message, String(error), JSON.stringify(error)]) assert.notInclude(text, apiKey)
    }))
})
