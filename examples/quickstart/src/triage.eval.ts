/**
 * A support-ticket triage suite: the model reads a customer's message and answers JSON with the ticket's category,
 * its priority and the order id it mentions. Run it with
 *
 *   pnpm exec helicone-eval run src/triage.eval.ts --local
 *
 * or through `pnpm demo` (src/demo.ts), which also reads the scores back from the server.
 *
 * The task replays outputs recorded from a model (fixtures/recorded-outputs.json), mistakes included, so the suite
 * runs with no network and no key. In your own suite, call the model in the task and send `ctx.heliconeHeaders`
 * with the request through Helicone's gateway: the scores then land on that logged request.
 */
import { Dataset, Eval, Scorer, Scorers } from "@helicone-effect/evaluator"
import { Effect, Schema } from "effect"
import * as Fs from "node:fs"
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

const recorded: Record<string, { readonly output: string; readonly latencyMs: number }> = JSON.parse(
  Fs.readFileSync(fixture("recorded-outputs.json"), "utf8")
)

/** How fast recordings are replayed: 1 is the recorded latency, 0 is no waiting (tests). */
export const replay = { speed: Number(process.env.REPLAY_SPEED ?? 0.25) }

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
  task: (_ticket: Ticket, ctx) =>
    Effect.gen(function*() {
      // A real task: `yield* model.generateText({ prompt: …, headers: ctx.heliconeHeaders })`.
      const recording = recorded[ctx.name ?? ""]
      if (recording === undefined) return yield* Effect.fail(new Error(`no recording for ${ctx.name}`))
      if (replay.speed > 0) yield* Effect.sleep(recording.latencyMs * replay.speed)
      return recording.output
    }),
  scorers: [Scorers.jsonValid, validTriage, Scorers.jsonDiff, category],
  concurrency: 4,
  thresholds: { jsonValid: 0.9, validTriage: 0.9, jsonDiff: 0.85, category: 0.85 }
})
