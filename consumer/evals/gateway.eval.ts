/**
 * The capitals suite with a real model call: the task asks `gpt-4o-mini` through Helicone's gateway, and a
 * `closedQA` judge asks it whether the answer is right. Offline, against answers recorded in fixtures/recording.jsonl:
 *
 *   npx helicone-eval run evals/gateway.eval.ts --local --recording fixtures/recording.jsonl
 *
 * `--local` points `HeliconeGateway.layerConfig()` at the embedded gateway; with HELICONE_API_KEY set (and no
 * `--local`), the same file calls Helicone's AI Gateway. gateway.js runs the same suite from plain node.
 */
import { LanguageModel } from "@effect/ai"
import { NodeContext, NodeHttpClient } from "@effect/platform-node"
import * as CallCache from "@helicone-effect/ai/CallCache"
import * as HeliconeGateway from "@helicone-effect/ai/HeliconeGateway"
import * as LlmJudge from "@helicone-effect/ai/LlmJudge"
import { Eval, Scorers } from "@helicone-effect/evaluator"
import { Effect, Layer } from "effect"
import { cases } from "../src/capitals.js"

/** What the task asks; fixtures/recording.jsonl holds the model's answer to each country's question. */
export const question = (country: string): string =>
  `What is the capital of ${country}? Answer with the city's name only.`

/** The model the CLI provides to the suite: HELICONE_* from the environment, the cache in .helicone-eval/cache/. */
export const layer = HeliconeGateway.model("gpt-4o-mini", { temperature: 0 }).pipe(
  Layer.provide(HeliconeGateway.layerConfig()),
  Layer.provide(CallCache.layerStore()),
  Layer.provide([NodeHttpClient.layerUndici, NodeContext.layer])
)

export default Eval.make({
  name: "capitals-gateway",
  data: cases,
  task: (country: string) =>
    LanguageModel.generateText({ prompt: question(country) }).pipe(Effect.map((response) => response.text.trim())),
  scorers: [
    Scorers.exactMatch,
    LlmJudge.closedQA({ criteria: "The answer is the capital city of the country the question asks about." })
  ],
  thresholds: { exactMatch: 0.75, closedQA: 0.75 }
})
