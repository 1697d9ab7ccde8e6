/**
 * A question-answering suite scored by an LLM judge. `helicone-eval run src/answers.eval.ts` provides the exported
 * `layer` to the suite; swap `layerFake` for a real judge to grade with a model.
 */
import { Eval, Scorers } from "@helicone-effect/evaluator"
import { faithfulness } from "./faithfulness.js"
import { layerFake } from "./Judge.js"

/** What the suite needs, for `helicone-eval run`. */
export const layer = layerFake

const answers: Record<string, string> = {
  "How long do refunds take?": "Refunds reach your card within 5 business days.",
  "Can I change my delivery address?": "Yes, until the order ships, from the order page.",
  "Do you ship abroad?": "We ship to the EU and the UK."
}

export default Eval.make({
  name: "support-answers",
  data: [
    { input: "How long do refunds take?", expected: "Refunds reach your card within 5 business days." },
    {
      input: "Can I change my delivery address?",
      expected: "Yes, you can change it from the order page until it ships."
    },
    { input: "Do you ship abroad?", expected: "We ship to the EU, the UK and Switzerland." }
  ],
  task: (question: string) => answers[question] ?? "",
  scorers: [faithfulness, Scorers.levenshtein],
  thresholds: { faithfulness: 0.7 }
})
