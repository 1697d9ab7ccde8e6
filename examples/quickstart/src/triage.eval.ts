/**
 * A support-ticket triage suite: the model reads a customer's message and answers JSON with the ticket's category,
 * its priority and the order id it mentions. Run it with
 *
 *   pnpm exec helicone-eval run src/triage.eval.ts --local --recording fixtures/recording.jsonl
 *
 * or through `pnpm demo` (src/demo.ts), which also reads the logged requests and their scores back.
 *
 * The task makes a real `@effect/ai` call through Helicone's gateway (`layer` below). With no key, that gateway is
 * the embedded `helicone-local`, answering from answers recorded from a model (fixtures/recording.jsonl), mistakes
 * included: no network. With `HELICONE_API_KEY` (and `OPENAI_API_KEY` for the proxy route) the same call goes to
 * Helicone and the model.
 */
import { LanguageModel } from "@effect/ai"
import { FetchHttpClient } from "@effect/platform"
import { NodeContext } from "@effect/platform-node"
import { CallCache } from "@helicone-effect/ai"
import * as HeliconeGateway from "@helicone-effect/ai/HeliconeGateway"
import { Dataset, Eval, Scorer, Scorers } from "@helicone-effect/evaluator"
import { Effect, Layer, Schema } from "effect"
import { fileURLToPath } from "node:url"

/** What the model must answer. */
export const Triage = Schema.Struct({
  category: Schema.Literal("billing", "shipping", "account", "product", "other"),
  priority: Schema.Literal("low", "normal", "urgent"),
  orderId: Schema.NullOr(Schema.String)
})
export type Triage = typeof Triage.Type

export interface Ticket {
  readonly ticket: string
}

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url))

/** The model the suite asks. */
export const model = "gpt-4o-mini"

/** The instructions the model gets before each ticket. */
export const instructions = "You triage customer support tickets. Answer with JSON only, no prose: " +
  "{\"category\": \"billing\" | \"shipping\" | \"account\" | \"product\" | \"other\", " +
  "\"priority\": \"low\" | \"normal\" | \"urgent\", \"orderId\": the order id the ticket mentions, or null}."

/**
 * The model through Helicone's gateway, configured from the environment (`HELICONE_API_KEY`, `OPENAI_API_KEY`,
 * `HELICONE_GATEWAY_URL`; `helicone-eval run --local` and `pnpm demo` point it at the embedded gateway), with the
 * call cache in `.helicone-eval/cache/` of the working directory (used as `--cache` says; off by default).
 */
export const modelLayer = (options: { readonly cacheDirectory?: string | undefined } = {}) =>
  HeliconeGateway.model(model, { temperature: 0 }).pipe(
    Layer.provide(HeliconeGateway.layerConfig()),
    Layer.provide(CallCache.layerStore({ directory: options.cacheDirectory })),
    Layer.provide(Layer.mergeAll(FetchHttpClient.layer, NodeContext.layer))
  )

/** What `helicone-eval run` provides to this file's suite. */
export const layer = modelLayer()

/** The model's JSON, also when it wrapped it in a Markdown fence; `undefined` when there is none. */
const parseAnswer = (output: string): Partial<Triage> | undefined => {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/.exec(output)
  try {
    return JSON.parse(fenced?.[1] ?? output)
  } catch {
    return undefined
  }
}

/** Did the model pick the right category? A boolean score: Helicone stores it as a boolean. */
const category = Scorer.make<Ticket, string, Triage>(
  "category",
  ({ expected, output }) => parseAnswer(output)?.category === expected?.category
)

/** Is the raw output exactly the JSON we asked for (no prose, no fence, every field valid)? */
const validTriage: Scorer.Scorer<Ticket, string, Triage> = Scorer.withName(
  Scorers.schema(Schema.parseJson(Triage)),
  "validTriage"
)

export default Eval.make({
  name: "support-triage",
  data: Dataset.jsonl<Ticket, Triage>(fixture("tickets.jsonl")),
  // No Helicone headers here: the gateway's client adds the case's request id, properties and session.
  task: ({ ticket }: Ticket) =>
    LanguageModel.generateText({
      prompt: [{ role: "system", content: instructions }, { role: "user", content: ticket }]
    }).pipe(Effect.map((response) => response.text)),
  scorers: [Scorers.jsonValid, validTriage, Scorers.jsonDiff, category],
  concurrency: 4,
  thresholds: { jsonValid: 0.9, validTriage: 0.9, jsonDiff: 0.85, category: 0.85 }
})
