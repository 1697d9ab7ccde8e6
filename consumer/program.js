/**
 * A program as a team writes one, run with plain `node program.js` (no tsx, no loader): it runs an eval suite, sends
 * each case's scores to Helicone, then reads them back from the server and checks them against the report. Exits 0
 * when every check holds, 1 otherwise.
 *
 * HELICONE_API_KEY and HELICONE_BASE_URL say where Helicone is; `npx helicone-local --port 0 --db :memory:
 * --accept-unknown-requests` starts a Helicone-compatible server on this machine and prints its URL on its first line.
 * The suite makes no model call, so its request ids are ones no gateway logged: Helicone, and helicone-local by
 * default, answer their scores 201 and drop them; `--accept-unknown-requests` keeps them. gateway.js scores the
 * requests its model calls made, against the default server.
 */
import { FileSystem, HttpClient, HttpClientRequest, HttpClientResponse } from "@effect/platform"
import { NodeContext, NodeHttpClient, NodeRuntime } from "@effect/platform-node"
import { HeliconeScores, Scores } from "@helicone-effect/core"
import { Eval, Reporter, Scorers } from "@helicone-effect/evaluator"
import { Config, Effect, Layer, Schema } from "effect"

const answers = { France: "Paris", Japan: "Tokyo", Italy: "Rome", Kenya: "Nairobi", Australia: "Sydney" }
const capitals = { France: "Paris", Japan: "Tokyo", Italy: "Rome", Kenya: "Nairobi", Australia: "Canberra" }

const suite = Eval.make({
  name: "capitals",
  data: Object.entries(capitals).map(([input, expected]) => ({ input, expected })),
  task: (country) => answers[country] ?? "unknown",
  scorers: [Scorers.exactMatch, Scorers.levenshtein],
  thresholds: { exactMatch: 0.75 }
})

/** What Helicone's `GET /v1/request/:requestId` answers (the part read here). */
const StoredRequest = Schema.Struct({
  data: Schema.Struct({
    request_id: Schema.String,
    scores: Schema.Record({ key: Schema.String, value: Schema.Number })
  })
})

/** The scores of a request, as the server stores them. */
const storedScores = (requestId) =>
  Effect.gen(function*() {
    const baseUrl = yield* Config.string("HELICONE_BASE_URL")
    const apiKey = yield* Config.redacted("HELICONE_API_KEY")
    const client = HttpClient.filterStatusOk(yield* HttpClient.HttpClient)
    const request = HttpClientRequest.get(`${baseUrl}/v1/request/${requestId}`).pipe(
      HttpClientRequest.bearerToken(apiKey),
      HttpClientRequest.acceptJson
    )
    const response = yield* client.execute(request)
    const body = yield* HttpClientResponse.schemaBodyJson(StoredRequest)(response)
    return body.data.scores
  })

/** What the evaluator sends for a case's scores: a 0..1 score as an integer out of 100, a boolean as a boolean. */
const sentScores = (result) =>
  Object.fromEntries(
    result.scores.map((score) =>
      score.boolean
        ? [`${score.name}-hcone-bool`, score.score === 1 ? 1 : 0]
        : [score.name, Scores.fromUnit(score.score)]
    )
  )

const sameScores = (a, b) =>
  Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([name, value]) => b[name] === value)

const check = (holds, message) => holds ? Effect.void : Effect.fail(new Error(`program.js: ${message}`))

const reportFile = ".helicone-eval/report.json"

const program = Effect.gen(function*() {
  const report = yield* Eval.run(suite, {
    reporters: [Reporter.json(reportFile)],
    helicone: { strict: true }
  })
  yield* check(report.passed, `the suite did not pass: ${JSON.stringify(report.scorers)}`)
  yield* check(report.cases.length === 5, `expected 5 cases, the report has ${report.cases.length}`)
  yield* check(
    report.helicone?.submitted === 5 && report.helicone.failed === 0,
    `not every case's scores were submitted: ${JSON.stringify(report.helicone)}`
  )

  for (const result of report.cases) {
    const stored = yield* storedScores(result.requestId)
    const sent = sentScores(result)
    yield* check(
      sameScores(stored, sent),
      `case ${result.input}: the server stored ${JSON.stringify(stored)}, the evaluator sent ${JSON.stringify(sent)}`
    )
  }
  const australia = yield* storedScores(report.cases[4].requestId)
  yield* check(australia.exactMatch === 0, `Australia's exactMatch should be 0, got ${australia.exactMatch}`)

  const fs = yield* FileSystem.FileSystem
  const written = JSON.parse(yield* fs.readFileString(reportFile))
  yield* check(written.cases.length === 5 && written.passed, `${reportFile} does not hold the report`)

  yield* Effect.log(
    `program.js on Node ${process.version}: ${report.cases.length} cases, their scores read back from the server ` +
      `as sent (exactMatch ${report.scorers[0].mean})`
  )
})

program.pipe(
  Effect.provide(HeliconeScores.layerConfig.pipe(Layer.provideMerge(NodeHttpClient.layerUndici))),
  Effect.provide(NodeContext.layer),
  NodeRuntime.runMain
)
