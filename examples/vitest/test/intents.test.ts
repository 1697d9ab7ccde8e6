/**
 * The intents suite as Vitest tests: one test per case, then a summary test that checks the mean scores against
 * the suite's thresholds. `pnpm vitest --project example-vitest` re-runs them as you edit src/classify.ts.
 *
 * Vitest must know the tests when it collects this file, so the cases are loaded with top-level `await` and passed
 * as an array.
 */
import { describeEval } from "@helicone-effect/vitest"
import { loadCases, makeSuite } from "../src/intents.eval.js"

const cases = await loadCases()

describeEval(makeSuite(cases))
