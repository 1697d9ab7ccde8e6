import { FetchHttpClient, type HttpClient } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, expect, it } from "@effect/vitest"
import { HeliconeScores } from "@helicone-effect/core"
import { Cause, Context, Effect, Exit, Inspectable, Layer, Logger, LogLevel, Redacted, Ref, Tracer } from "effect"
import * as Http from "node:http"
import type * as Net from "node:net"
import { requestId } from "./fixtures/Harness.js"
import { captureLogs } from "./fixtures/Logs.js"

// Characters that URL-encoding and JSON escaping change, so that each form differs from the key as written.
const apiKey = "sk-helicone-7f3a9c1e/+&=?%\"-do-not-leak"

const base64 = (text: string) => Buffer.from(text, "utf8").toString("base64")
const base64url = (text: string) => Buffer.from(text, "utf8").toString("base64url")

/**
 * Every form of the key a server may send back. The base64 forms put the key at each of the three byte alignments
 * (`Bearer ` is 7 bytes, `ab` 2), where its encoding differs; each also counts through a slice from its middle, which
 * no redaction of the whole encoding alone would catch.
 */
const leakedForms = (authorization: string) => {
  const encoded = [
    base64(apiKey),
    base64(authorization),
    base64(`ab${apiKey}`),
    base64url(apiKey),
    base64url(authorization),
    encodeURIComponent(base64(authorization))
  ]
  return {
    echoes: {
      plain: authorization,
      json: JSON.stringify(authorization).slice(1, -1),
      url: encodeURIComponent(authorization),
      urlLower: encodeURIComponent(authorization).replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase()),
      form: encodeURIComponent(authorization).replace(/%20/g, "+"),
      base64Bearer: base64(authorization),
      base64Key: base64(apiKey),
      base64Offset2: base64(`ab${apiKey}`),
      base64url: base64url(authorization),
      base64InUrl: encodeURIComponent(base64(authorization))
    },
    forbidden: [
      apiKey,
      JSON.stringify(apiKey).slice(1, -1),
      encodeURIComponent(apiKey),
      "7f3a9c1e",
      ...encoded,
      ...encoded.map((text) => text.slice(12, 28))
    ]
  }
}

type Scenario = "echoing headers" | "a Location" | "an HTML body" | "a JSON 422" | "a JSON 401"

/** A server that echoes the request's Authorization header, in every form, where the scenario says. */
const echoServer = (scenario: Scenario) =>
  Effect.acquireRelease(
    Effect.async<Http.Server>((resume) => {
      const server = Http.createServer((request, response) => {
        request.resume()
        request.on("end", () => {
          const { echoes } = leakedForms(request.headers.authorization ?? "")
          const headers: Record<string, string> = {}
          for (const [form, text] of Object.entries(echoes)) headers[`x-echo-${form.toLowerCase()}`] = text
          const everyForm = Object.values(echoes).join(" | ")
          switch (scenario) {
            case "echoing headers":
              response.writeHead(503, { ...headers, "content-type": "text/plain" })
              return response.end("unavailable")
            case "a Location": {
              const query = Object.entries(echoes).map(([form, text]) => `${form}=${text}`).join("&")
              response.writeHead(302, { ...headers, location: `https://elsewhere.example/login?${query}` })
              return response.end()
            }
            case "an HTML body":
              response.writeHead(502, { "content-type": "text/html" })
              return response.end(`<html><body>${everyForm}</body></html>`)
            case "a JSON 422":
              response.writeHead(422, { "content-type": "application/json" })
              return response.end(JSON.stringify({ message: "Validation Failed", details: echoes }))
            case "a JSON 401":
              response.writeHead(401, { "content-type": "application/json" })
              return response.end(JSON.stringify({ error: `No API key found: ${everyForm}` }))
          }
        })
      })
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
    }),
    (server) =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  )

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

const clients: ReadonlyArray<readonly [string, Layer.Layer<HttpClient.HttpClient>]> = [
  ["NodeHttpClient.layerUndici", NodeHttpClient.layerUndici],
  ["FetchHttpClient", FetchHttpClient.layer]
]

const scenarios: ReadonlyArray<Scenario> = [
  "echoing headers",
  "a Location",
  "an HTML body",
  "a JSON 422",
  "a JSON 401"
]

describe("the key, echoed back by a server in any form, reaches no error, log or span", () => {
  for (const [label, client] of clients) {
    it.live.each(scenarios)(`${label}: %s`, (scenario) =>
      Effect.gen(function*() {
        const server = yield* echoServer(scenario)
        const baseUrl = `http://127.0.0.1:${(server.address() as Net.AddressInfo).port}`
        const context = yield* Layer.build(
          HeliconeScores.layer({
            apiKey: Redacted.make(apiKey),
            baseUrl,
            retry: { maxAttempts: 2, baseDelay: "1 millis" }
          }).pipe(Layer.provide(client))
        )
        const service = Context.get(context, HeliconeScores.HeliconeScores)
        const { lines, logger } = yield* captureLogs
        const { spans, tracer } = yield* recordSpans
        const error = yield* service.submitScore(requestId, { accuracy: 92 }).pipe(
          Effect.tapErrorCause((cause) => Effect.logError("score submission failed", cause)),
          Effect.flip,
          Effect.withTracer(tracer),
          Effect.provide(Logger.replace(Logger.defaultLogger, logger)),
          Logger.withMinimumLogLevel(LogLevel.All)
        )
        const logged = yield* Ref.get(lines)
        const texts = [
          error.message,
          String(error),
          JSON.stringify(error),
          Inspectable.stringifyCircular(error),
          Cause.pretty(Cause.fail(error)),
          ...logged,
          ...spans.map((span) => Inspectable.stringifyCircular([span.name, [...span.attributes]])),
          // what a tracer exports of how a span ended: the failure (a success's value is the response object)
          ...spans.map((span) =>
            span.status._tag === "Ended" && Exit.isFailure(span.status.exit) ? Cause.pretty(span.status.exit.cause) : ""
          )
        ]
        const { forbidden } = leakedForms(`Bearer ${apiKey}`)
        for (const text of texts) {
          for (const form of forbidden) assert.notInclude(text, form)
        }
        // the checks above looked at the server's answer: its status and the redaction marker are there
        const httpSpan = spans.find((span) => span.attributes.has("http.response.status_code"))
        assert.isDefined(httpSpan)
        if (scenario === "echoing headers" || scenario === "a Location") {
          assert.strictEqual(String(httpSpan!.attributes.get("http.response.header.x-echo-plain")), "<redacted>")
        }
        if (scenario === "a Location") {
          assert.strictEqual(error._tag, "Redirected")
          expect(JSON.stringify(error)).toContain("https://elsewhere.example/login?plain=Bearer <redacted>")
        } else if (scenario !== "echoing headers") {
          expect(JSON.stringify(error)).toContain("<redacted>")
        }
        expect(logged.join("\n")).toContain("score submission failed")
      }).pipe(Effect.scoped))
  }
})
