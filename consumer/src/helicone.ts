/**
 * How a program wires the packages together, type-checked under `module: nodenext` (tsconfig.json) and
 * `moduleResolution: bundler` (tsconfig.bundler.json): Helicone from the environment through a durable queue, a
 * local server for tests, an LLM judge next to the built-in scorers, and the modules by their own paths too.
 */
import type { LanguageModel } from "@effect/ai"
import { NodeContext, NodeHttpClient } from "@effect/platform-node"
import { LlmJudge } from "@helicone-effect/ai"
import { Cli } from "@helicone-effect/cli"
import { HeliconeScores, ScoreQueue, Scores } from "@helicone-effect/core"
import * as HeliconeConfig from "@helicone-effect/core/HeliconeConfig"
import { Eval, type EvalReport, Reporter, Scorer, Scorers } from "@helicone-effect/evaluator"
import * as Dataset from "@helicone-effect/evaluator/Dataset"
import { LocalHelicone } from "@helicone-effect/local"
import { Effect, Layer, Redacted } from "effect"
import { capitalOf, cases } from "./capitals.js"

/** Helicone from HELICONE_API_KEY (and HELICONE_BASE_URL), scores made durable by a queue with its outbox on disk. */
export const heliconeFromEnv = ScoreQueue.layer({ outboxPath: ".helicone-outbox/outbox.jsonl" }).pipe(
  Layer.provideMerge(HeliconeScores.layerConfig),
  Layer.provide([NodeHttpClient.layerUndici, NodeContext.layer])
)

/** Helicone at a given URL, with the key in a `Redacted`. */
export const heliconeAt = (baseUrl: string, apiKey: string) =>
  HeliconeScores.layer({ apiKey: Redacted.make(apiKey), baseUrl, timeout: "5 seconds" }).pipe(
    Layer.provide(NodeHttpClient.layerUndici)
  )

/** A scorer of one's own: does the answer start with a capital letter? A boolean, stored by Helicone as such. */
export const capitalised = Scorer.make<string, string, string>(
  "capitalised",
  ({ output }) => /^[A-Z]/.test(output)
)

export const suite = Eval.make({
  name: "capitals",
  data: Dataset.from(cases),
  task: (country: string, ctx) =>
    Effect.succeed(`${capitalOf(country)}`).pipe(Effect.annotateLogs(ctx.heliconeHeaders)),
  scorers: [Scorers.exactMatch, Scorers.levenshtein, capitalised],
  thresholds: { exactMatch: 0.75 }
})

/** A judged suite: its requirements say it needs a language model. */
export const judged = Eval.make({
  name: "capitals-judged",
  data: cases,
  task: capitalOf,
  scorers: [LlmJudge.factuality]
})
export const judgedNeedsAModel: Effect.Effect<EvalReport.EvalReport, never, LanguageModel.LanguageModel> = Eval.run(
  judged
)

/** Runs the suite against a local server started in this process and returns the stored scores of the first case. */
export const againstLocal = Effect.gen(function*() {
  const local = yield* LocalHelicone.LocalHelicone
  const report = yield* Eval.run(suite, {
    reporters: [Reporter.terminal({ color: false })],
    helicone: { strict: true }
  })
    .pipe(Effect.provide(heliconeAt(local.baseUrl, "sk-local")))
  const first = report.cases[0]
  const stored = first === undefined ? null : yield* local.scores(first.requestId)
  const exact: number | undefined = stored?.["exactMatch"]
  return { passed: report.passed, exact, scale: Scores.fromUnit(1) }
}).pipe(Effect.provide(LocalHelicone.layer({ database: ":memory:" })))

export const regions = Object.keys(HeliconeConfig.regions) as ReadonlyArray<HeliconeConfig.Region>
export const exitCodes: { readonly passed: 0; readonly failed: 1 } = Cli.ExitCode
