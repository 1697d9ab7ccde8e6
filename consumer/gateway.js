/**
 * A suite whose task calls a model through Helicone's gateway, run with plain `node gateway.js` twice: once with the
 * call cache recording into a temporary directory, once replaying from it. Checks that the first run's model calls
 * were logged by the gateway with the case's scores on them, that the replay sent no request at all, and that both
 * runs scored the same and counted the same tokens. Exits 0 when every check holds, 1 otherwise.
 *
 * The environment says where things are:
 * - HELICONE_GATEWAY_URL: the gateway's base URL (`HeliconeGateway.layerConfig()` reads it);
 * - HELICONE_BASE_URL and HELICONE_API_KEY: Helicone's score API and key (`HeliconeScores.layerConfig`).
 *
 * Offline: `npx helicone-local --port 0 --db :memory: --recording fixtures/recording.jsonl` answers the model calls
 * from recorded answers and serves both, at the URL on its first line (the gateway at `<url>/v1`). It keeps scores
 * only for requests its gateway logged, as Helicone does.
 *
 * The suite is evals/gateway.eval.ts's, written again here because plain node does not load `.ts` files.
 */
import { LanguageModel } from "@effect/ai"
import { FileSystem, HttpClient, HttpClientRequest, HttpClientResponse } from "@effect/platform"
import { NodeContext, NodeHttpClient, NodeRuntime } from "@effect/platform-node"
import * as CallCache from "@helicone-effect/ai/CallCache"
import * as HeliconeGateway from "@helicone-effect/ai/HeliconeGateway"
import * as LlmJudge from "@helicone-effect/ai/LlmJudge"
import { HeliconeScores, Scores } from "@helicone-effect/core"
import { Eval, Scorers } from "@helicone-effect/evaluator"
import { Config, Effect, Layer, Option, Schema } from "effect"
import { randomUUID } from "node:crypto"

const capitals = { France: "Paris", Japan: "Tokyo", Italy: "Rome", Kenya: "Nairobi", Australia: "Canberra" }

const suite = Eval.make({
  name: "capitals-gateway",
  data: Object.entries(capitals).map(([input, expected]) => ({ input, expected })),
  task: (country) =>
    LanguageModel.generateText({ prompt: `What is the capital of ${country}? Answer with the city's name only.` }).pipe(
      Effect.map((response) => response.text.trim())
    ),
  scorers: [
    Scorers.exactMatch,
    LlmJudge.closedQA({ criteria: "The answer is the capital city of the country the question asks about." })
  ],
  thresholds: { exactMatch: 0.75, closedQA: 0.75 }
})

/** HTTP requests the model client sent, counted as they leave this process. */
let modelRequests = 0

/** The model through the gateway, the call cache in `directory`. */
const modelLayer = (directory) =>
  HeliconeGateway.model("gpt-4o-mini", { temperature: 0 }).pipe(
    Layer.provide(HeliconeGateway.layerConfig({
      transformClient: HttpClient.tapRequest(() => Effect.sync(() => modelRequests++))
    })),
    Layer.provide(CallCache.layerStore({ directory })),
    Layer.provide([NodeHttpClient.layerUndici, NodeContext.layer])
  )

/** The part of Helicone's `GET /v1/request/:requestId` read here. */
const StoredRequest = Schema.Struct({
  data: Schema.Struct({
    request_id: Schema.String,
    request_model: Schema.NullOr(Schema.String),
    request_properties: Schema.NullOr(Schema.Record({ key: Schema.String, value: Schema.String })),
    prompt_tokens: Schema.NullOr(Schema.Number),
    completion_tokens: Schema.NullOr(Schema.Number),
    scores: Schema.NullOr(Schema.Record({ key: Schema.String, value: Schema.Number }))
  })
})

/** The request the server logged under `requestId`, or none when it answers 404. */
const storedRequest = (requestId) =>
  Effect.gen(function*() {
    const baseUrl = yield* Config.string("HELICONE_BASE_URL")
    const apiKey = yield* Config.redacted("HELICONE_API_KEY")
    const client = yield* HttpClient.HttpClient
    const response = yield* client.execute(
      HttpClientRequest.get(`${baseUrl}/v1/request/${requestId}`).pipe(
        HttpClientRequest.bearerToken(apiKey),
        HttpClientRequest.acceptJson
      )
    )
    if (response.status === 404) return Option.none()
    const body = yield* HttpClientResponse.schemaBodyJson(StoredRequest)(
      yield* HttpClientResponse.filterStatusOk(response)
    )
    return Option.some(body.data)
  }).pipe(Effect.scoped)

/** What the evaluator sends for a case's scores: a 0..1 score as an integer out of 100. */
const sentScores = (result) =>
  Object.fromEntries(result.scores.map((score) => [score.name, Scores.fromUnit(score.score)]))

/** Equal as JSON, whatever the order of an object's keys. */
const same = (a, b) => JSON.stringify(sorted(a)) === JSON.stringify(sorted(b))
const sorted = (value) =>
  value === null || typeof value !== "object"
    ? value
    : Object.fromEntries(Object.keys(value).sort().map((key) => [key, sorted(value[key])]))

/**
 * A logged request's property: undici sends header names lowercased, so `Helicone-Property-Role` is logged as `role`
 * (curl's would keep `Role`).
 */
const property = (logged, name) =>
  Object.entries(logged.request_properties ?? {}).find(([key]) => key.toLowerCase() === name.toLowerCase())?.[1]
const check = (holds, message) => holds ? Effect.void : Effect.fail(new Error(`gateway.js: ${message}`))

const program = Effect.gen(function*() {
  const fs = yield* FileSystem.FileSystem
  const directory = yield* fs.makeTempDirectoryScoped({ prefix: "helicone-eval-cache-" })

  // First run: every call goes to the model and into the cache; the scores go to Helicone.
  const recorded = yield* Eval.run(suite, { cache: "record", helicone: { strict: true } }).pipe(
    Effect.provide(modelLayer(directory))
  )
  const recordRequests = modelRequests
  const summary = (report) => JSON.stringify(report.scorers.map(({ mean, name }) => ({ name, mean })))
  yield* check(
    recorded.passed,
    `the recorded run did not pass: ${summary(recorded)}; ${JSON.stringify(recorded.cases.map((c) => c.errors))}`
  )
  yield* check(
    recorded.helicone?.submitted === 5 && recorded.helicone.failed === 0,
    `not every case's scores were submitted: ${JSON.stringify(recorded.helicone)}`
  )
  const usage = recorded.usage
  yield* check(
    usage !== undefined && same(usage.calls, { task: 5, judge: 5 }) && same(usage.cache, { hits: 0, misses: 10 }),
    `the recorded run should make 5 task and 5 judge calls, all stored: ${JSON.stringify(usage)}`
  )
  yield* check(recordRequests === 10, `the recorded run sent ${recordRequests} model requests, expected 10`)
  const entries = (yield* fs.readDirectory(directory)).filter((name) => name.endsWith(".json"))
  yield* check(entries.length === 10, `the cache holds ${entries.length} entries, expected 10`)
  const apiKey = yield* Config.string("HELICONE_API_KEY")
  for (const entry of entries) {
    const text = yield* fs.readFileString(`${directory}/${entry}`)
    yield* check(!text.includes(apiKey), `the cache entry ${entry} holds the API key`)
  }

  // Every call was logged by the gateway; each case's scores are on its task call, the judge calls are marked.
  let promptTokens = 0
  let completionTokens = 0
  for (const result of recorded.cases) {
    const task = yield* storedRequest(result.requestId)
    yield* check(Option.isSome(task), `case ${result.input}: the gateway logged no request ${result.requestId}`)
    const logged = task.value
    yield* check(
      logged.request_model === "gpt-4o-mini" && property(logged, "Role") === "task",
      `case ${result.input}: logged as ${JSON.stringify(logged)}`
    )
    yield* check(
      same(logged.scores, sentScores(result)),
      `case ${result.input}: the server stored ${JSON.stringify(logged.scores)}, the evaluator sent ${
        JSON.stringify(sentScores(result))
      }`
    )
    for (const call of result.calls ?? []) {
      const stored = yield* storedRequest(call.requestId)
      yield* check(
        Option.isSome(stored),
        `case ${result.input}: the gateway logged no ${call.role} call ${call.requestId}`
      )
      yield* check(
        property(stored.value, "Role") === call.role,
        `case ${result.input}: call ${call.requestId} is logged with the role ${property(stored.value, "Role")}`
      )
      promptTokens += stored.value.prompt_tokens ?? 0
      completionTokens += stored.value.completion_tokens ?? 0
    }
  }
  yield* check(
    promptTokens === usage.inputTokens.total && completionTokens === usage.outputTokens.total,
    `the server logged ${promptTokens} + ${completionTokens} tokens, report.usage counts ${
      JSON.stringify([usage.inputTokens, usage.outputTokens])
    }`
  )
  const australia = recorded.cases.find((result) => result.input === "Australia")
  const scoreOf = (result, name) => result?.scores.find((score) => score.name === name)?.score
  yield* check(
    scoreOf(australia, "exactMatch") === 0 && scoreOf(australia, "closedQA") === 0,
    `Australia should score 0 (the model answers Sydney): ${JSON.stringify(australia?.scores)}`
  )

  // A score for a request the gateway never logged is answered 201 and dropped, as Helicone drops it.
  const unknown = randomUUID()
  const helicone = yield* HeliconeScores.HeliconeScores
  yield* helicone.submitScore(unknown, { probe: 1 })
  yield* check(Option.isNone(yield* storedRequest(unknown)), `the score for the unlogged request ${unknown} was kept`)

  // Second run: answered from the cache alone, no request leaves (and no scores, which would land on no request).
  const replayed = yield* Eval.run(suite, { cache: "replay" }).pipe(Effect.provide(modelLayer(directory)))
  yield* check(modelRequests === recordRequests, `the replay sent ${modelRequests - recordRequests} model requests`)
  yield* check(
    replayed.usage !== undefined && same(replayed.usage.cache, { hits: 10, misses: 0 }),
    `the replay should answer all 10 calls from the cache: ${JSON.stringify(replayed.usage)}`
  )
  for (const result of replayed.cases) {
    for (const call of result.calls ?? []) {
      yield* check(call.cache === "hit", `replayed case ${result.input}: a call was a cache ${call.cache}`)
      const stored = yield* storedRequest(call.requestId)
      yield* check(Option.isNone(stored), `replayed case ${result.input}: the gateway logged ${call.requestId}`)
    }
    const before = recorded.cases.find((earlier) => earlier.input === result.input)
    yield* check(
      before !== undefined && same(sentScores(result), sentScores(before)) && result.output === before.output,
      `case ${result.input}: replayed ${JSON.stringify(result.scores)}, recorded ${JSON.stringify(before?.scores)}`
    )
  }
  yield* check(
    replayed.passed && summary(replayed) === summary(recorded),
    `the replay scored ${summary(replayed)}, the recorded run ${summary(recorded)}`
  )
  yield* check(
    same(replayed.usage.inputTokens, usage.inputTokens) && same(replayed.usage.outputTokens, usage.outputTokens),
    `replayed tokens ${JSON.stringify(replayed.usage)}, recorded ${JSON.stringify(usage)}`
  )

  yield* Effect.log(
    `gateway.js on Node ${process.version}: ${recordRequests} model calls logged with their scores, ` +
      `then replayed with ${modelRequests - recordRequests} (${replayed.usage.cache.hits} cache hits), ` +
      `${usage.inputTokens.total} + ${usage.outputTokens.total} tokens both times`
  )
})

program.pipe(
  Effect.scoped,
  Effect.provide(HeliconeScores.layerConfig.pipe(Layer.provideMerge(NodeHttpClient.layerUndici))),
  Effect.provide(NodeContext.layer),
  NodeRuntime.runMain
)
