/**
 * A scorer that needs a service: `Scorer.make` accepts a function returning an Effect, and the Effect's
 * requirements (here `Judge`) become the scorer's, then the suite's. Whoever runs the suite provides them:
 * `Effect.provide(layer)` around `Eval.run`, `describeEval(suite, { layer })`, or `export const layer` in an eval
 * file for `helicone-eval run`. The judge's reason goes to the score's metadata, shown in reports.
 */
import { Scorer } from "@helicone-effect/evaluator"
import { Effect } from "effect"
import { Judge } from "./Judge.js"

export const faithfulness = Scorer.make("faithfulness", ({ expected, input, output }: {
  readonly input: string
  readonly output: string
  readonly expected: string | undefined
}) =>
  Effect.gen(function*() {
    const judge = yield* Judge
    const verdict = yield* judge.grade({ question: input, answer: output, reference: expected ?? "" })
    return { score: verdict.score, metadata: { reason: verdict.reason } }
  }))
