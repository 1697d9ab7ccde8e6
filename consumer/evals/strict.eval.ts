/**
 * The same suite held to a threshold it misses (exactMatch is 0.8): `npx helicone-eval run evals/strict.eval.ts` exits
 * 1, which is how a CI job fails on a regression.
 */
import { Eval, Scorers } from "@helicone-effect/evaluator"
import { capitalOf, cases } from "../src/capitals.js"

export default Eval.make({
  name: "capitals-strict",
  data: cases,
  task: (country: string) => capitalOf(country),
  scorers: [Scorers.exactMatch],
  thresholds: { exactMatch: 0.9 }
})
