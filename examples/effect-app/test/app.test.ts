import { NodeHttpServer } from "@effect/platform-node"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpServer from "@effect/platform/HttpServer"
import { assert, describe, it } from "@effect/vitest"
import { HeliconeScores, RequestId, ScoreQueue } from "@helicone-effect/core"
import { LocalHelicone } from "@helicone-effect/local"
import { Effect, Layer, Redacted } from "effect"
import * as Fs from "node:fs"
import { createServer } from "node:http"
import * as Os from "node:os"
import * as Path from "node:path"
import { HttpLive, ScoringLive } from "../src/App.js"
import { layerFaq } from "../src/Assistant.js"

/** The app as main.ts wires it, except: port 0, and Helicone is a local server with a temporary outbox. */
const TestLive = (outboxDir: string) => {
  const helicone = Layer.unwrapEffect(
    Effect.map(
      LocalHelicone.LocalHelicone,
      (local) => HeliconeScores.layer({ apiKey: Redacted.make("sk-example"), baseUrl: local.baseUrl })
    )
  ).pipe(Layer.provide(FetchHttpClient.layer))
  const scoring = ScoringLive(outboxDir).pipe(Layer.provide(helicone))
  return HttpLive.pipe(
    Layer.provide(layerFaq),
    Layer.provideMerge(scoring),
    Layer.provideMerge(NodeHttpServer.layer(createServer, { port: 0 })),
    Layer.provideMerge(LocalHelicone.layer({ acceptUnknownRequests: true }))
  )
}

const tempDir = Effect.acquireRelease(
  Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), "example-effect-app-"))),
  (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
)

const post = (port: number, body: unknown) =>
  Effect.promise(async () => {
    const response = await fetch(`http://127.0.0.1:${port}/answer`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body)
    })
    return { status: response.status, body: await response.json() as Record<string, unknown> }
  })

const withApp = <A, E>(f: (port: number) => Effect.Effect<A, E, ScoreQueue.ScoreQueue | LocalHelicone.LocalHelicone>) =>
  Effect.gen(function*() {
    const dir = yield* tempDir
    return yield* HttpServer.addressWith((address) => f(address._tag === "TcpAddress" ? address.port : 0)).pipe(
      Effect.provide(TestLive(dir))
    )
  }).pipe(Effect.scoped)

describe("effect-app", () => {
  it.live("answers, then the answer's scores are stored in Helicone under the request id", () =>
    withApp((port) =>
      Effect.gen(function*() {
        const response = yield* post(port, { question: "How do I get a refund?" })
        assert.strictEqual(response.status, 200)
        assert.include(String(response.body.answer), "refund")
        const requestId = String(response.body.requestId)
        assert.isTrue(RequestId.is(requestId))

        yield* ScoreQueue.flush
        const local = yield* LocalHelicone.LocalHelicone
        assert.deepStrictEqual(yield* local.scores(requestId), {
          "answered-hcone-bool": 1,
          "cites_docs-hcone-bool": 1,
          "concise-hcone-bool": 1,
          question_overlap: 33 // "a" and "refund" of the six words asked
        })
      })
    ))

  it.live("an unknown question gets the fallback and is scored as unanswered", () =>
    withApp((port) =>
      Effect.gen(function*() {
        const response = yield* post(port, { question: "Can I bring my dog to the office?" })
        yield* ScoreQueue.flush
        const local = yield* LocalHelicone.LocalHelicone
        const scores = yield* local.scores(String(response.body.requestId))
        assert.strictEqual(scores?.["answered-hcone-bool"], 0)
        assert.strictEqual(scores?.["cites_docs-hcone-bool"], 0)
      })
    ))

  it.live("a body without a question is a 400 and nothing is sent to Helicone", () =>
    withApp((port) =>
      Effect.gen(function*() {
        const response = yield* post(port, { q: "refund?" })
        assert.strictEqual(response.status, 400)
        yield* ScoreQueue.flush
        const local = yield* LocalHelicone.LocalHelicone
        assert.strictEqual(yield* local.requestCount, 0)
      })
    ))
})
