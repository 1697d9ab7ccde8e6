import { FileSystem } from "@effect/platform"
import { NodeFileSystem } from "@effect/platform-node"
import { assert, describe, expect, it } from "@effect/vitest"
import { HeliconeConfig, HeliconeScores, ScoreQueue } from "@helicone-effect/core"
import { Cause, Effect, Fiber, Inspectable, Layer, Logger, LogLevel, Redacted, Ref, Tracer } from "effect"
import { apiKey, requestId, setup, wakeUpNext } from "./fixtures/Harness.js"
import { captureLogs } from "./fixtures/Logs.js"
import { echo, helicone, reset } from "./fixtures/ScriptedServer.js"

/** Every way a user may turn an error into text: its message, String, JSON, Inspectable and Cause.pretty. */
const renderings = (error: Error) => [
  error.message,
  String(error),
  JSON.stringify(error),
  Inspectable.stringifyCircular(error),
  Cause.pretty(Cause.fail(error))
]

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
        ...renderings(error),
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

  // The same key, every character as a JSON \u escape: what a JSON encoder may write.
  const unicodeEscaped = (text: string) =>
    [...text].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`).join("")
  // A part of the key that no message would hold by chance: even a truncated echo must not show it.
  const keyPart = "7f3a9c1e"

  it.scoped.each(
    [
      ["a 400 in text", echo(400, (auth) => `echo: ${auth}`), "RequestRejected"],
      [
        "a 400 in JSON, the key as a property name",
        echo(400, (auth) => JSON.stringify({ details: { [auth]: "not allowed" } }), "application/json"),
        "RequestRejected"
      ],
      [
        "a 422 with the key JSON-escaped",
        echo(422, (auth) => `{"message":"Validation Failed","details":{"authorization":"${unicodeEscaped(auth)}"}}`),
        "RequestRejected"
      ],
      ["a 401", echo(401, (auth) => JSON.stringify({ error: `bad header ${auth}` })), "Unauthorized"],
      ["a 404", echo(404, (auth) => `<h1>Not Found</h1><pre>Authorization: ${auth}</pre>`), "UnexpectedResponse"],
      // the 200-character snippet would cut the key in two, after keyPart
      ["a 404 cut at 200 characters", echo(404, (auth) => "x".repeat(167) + auth), "UnexpectedResponse"],
      [
        "a 500 in Helicone's JSON",
        echo(500, (auth) => JSON.stringify({ message: "Internal Server Error", details: `echo: ${auth}` })),
        "HeliconeServerError"
      ],
      ["a 502 from a proxy", echo(502, (auth) => `<html>upstream said: ${auth}</html>`), "UnexpectedResponse"]
    ] as const
  )("not from %s echoing the Authorization header: error, its JSON, logs", ([, reply, tag]) =>
    Effect.gen(function*() {
      const { lines, logger } = yield* captureLogs
      const { server, service } = yield* setup([reply], { retry: false })
      const error = yield* service.submitScore(requestId, { accuracy: 92 }).pipe(
        Effect.tapErrorCause((cause) => Effect.logError("score submission failed", cause)),
        Effect.flip,
        Effect.provide(Logger.replace(Logger.defaultLogger, logger)),
        Logger.withMinimumLogLevel(LogLevel.All)
      )
      // the server did echo the key
      const [request] = yield* server.requests
      assert.strictEqual(request.headers.authorization, `Bearer ${apiKey}`)
      assert.strictEqual(error._tag, tag)
      const logged = yield* Ref.get(lines)
      expect(logged.join("\n")).toContain("attempt failed")
      const texts = [
        ...renderings(error),
        ...logged
      ]
      for (const text of texts) {
        assert.notInclude(text, apiKey)
        assert.notInclude(text, keyPart)
      }
      // what the server said is still there, with the key replaced
      expect(error.message).toContain("<redacted>")
    }))

  it.scopedLive("not in the dead-letter file of a ScoreQueue whose server echoes it", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* fs.makeTempDirectoryScoped({ prefix: "helicone-echo-" })
      const deadLetterPath = `${dir}/dead-letter.jsonl`
      const { lines, logger } = yield* captureLogs
      const { server, service } = yield* setup([echo(400, (auth) => `echo: ${auth}`)], { retry: false })
      yield* Effect.gen(function*() {
        yield* ScoreQueue.offer(requestId, { accuracy: 92 })
        yield* ScoreQueue.flush
      }).pipe(
        Effect.provide(
          ScoreQueue.layer({ outboxPath: `${dir}/outbox.jsonl`, deadLetterPath }).pipe(
            Layer.provide(Layer.succeed(HeliconeScores.HeliconeScores, service))
          )
        ),
        Effect.provide(Logger.replace(Logger.defaultLogger, logger)),
        Logger.withMinimumLogLevel(LogLevel.All)
      )
      assert.lengthOf(yield* server.requests, 1)
      const deadLetters = yield* fs.readFileString(deadLetterPath)
      expect(deadLetters).toContain("<redacted>")
      for (const text of [deadLetters, ...(yield* Ref.get(lines))]) {
        assert.notInclude(text, apiKey)
        assert.notInclude(text, keyPart)
      }
    }).pipe(Effect.provide(NodeFileSystem.layer)))

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
