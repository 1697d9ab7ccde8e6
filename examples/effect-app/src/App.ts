/**
 * The HTTP service: `POST /answer` with `{ "question": "…" }` answers with `{ answer, requestId }`, and offers the
 * answer's scores to a `ScoreQueue`, which delivers them to Helicone in the background. The response never waits for
 * Helicone, and a Helicone outage never fails a request (undeliverable scores go to the queue's outbox file).
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServer from "@effect/platform/HttpServer"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { ScoreQueue } from "@helicone-effect/core"
import { Effect, Layer, Schema } from "effect"
import { Assistant } from "./Assistant.js"
import { grade } from "./Grading.js"

const Question = Schema.Struct({ question: Schema.NonEmptyTrimmedString })

const answer = Effect.gen(function*() {
  const { question } = yield* HttpServerRequest.schemaBodyJson(Question)
  const reply = yield* Assistant.pipe(Effect.flatMap((assistant) => assistant.answer(question)))
  // `offer` validates and returns at once; delivery, retries and the outbox happen in the queue's fibers.
  yield* ScoreQueue.offer(reply.requestId, grade(question, reply.text)).pipe(
    Effect.catchAll((error) => Effect.logWarning(`scores not queued: ${error.message}`))
  )
  return yield* HttpServerResponse.json({ answer: reply.text, requestId: reply.requestId })
}).pipe(
  Effect.catchTags({
    ParseError: () =>
      HttpServerResponse.json({ error: "expected a JSON body { \"question\": string }" }, { status: 400 }),
    RequestError: () => HttpServerResponse.json({ error: "could not read the request body" }, { status: 400 })
  })
)

/** The routes. */
export const router = HttpRouter.empty.pipe(HttpRouter.post("/answer", answer))

/** The server's routes, served on whatever `HttpServer` is provided (a port, or port 0 in tests). */
export const HttpLive: Layer.Layer<never, never, HttpServer.HttpServer | Assistant | ScoreQueue.ScoreQueue> = HttpServer
  .serve(router)

/**
 * Background score delivery over the `HeliconeScores` client it is given (the real Helicone from the environment
 * in `main.ts`, a local server in the test). The outbox lives in `outboxDir`.
 */
export const ScoringLive = (
  outboxDir = ".helicone-outbox"
) =>
  ScoreQueue.layer({
    outboxPath: `${outboxDir}/outbox.jsonl`,
    deadLetterPath: `${outboxDir}/dead-letter.jsonl`,
    shutdownDeadline: "2 seconds"
  }).pipe(Layer.provide(NodeContext.layer))
