/**
 * An eval suite for the CLI: `npx helicone-eval run evals/capitals.eval.ts --local` runs it, sends each case's scores
 * to a local Helicone-compatible server and exits 0, since 4 answers in 5 meet the 0.75 threshold.
 */
import { Eval, Scorers } from "@helicone-effect/evaluator"
import { capitalOf, cases } from "../src/capitals.js"

export default Eval.make({
  name: "capitals",
  data: cases,
  task: (country: string) => capitalOf(country),
  scorers: [Scorers.exactMatch, Scorers.levenshtein],
  thresholds: { exactMatch: 0.75 }
})
