/**
 * The suite as Vitest tests: `describeEval` registers one test per case and a summary test that checks the mean
 * scores against the suite's thresholds; the last test runs the whole suite with `Eval.run` under `@effect/vitest`.
 */
import { assert, describe, it } from "@effect/vitest"
import { Eval } from "@helicone-effect/evaluator"
import { describeEval } from "@helicone-effect/vitest"
import { Effect } from "effect"
import suite from "../evals/capitals.eval.js"

// The model is wrong about Australia, and the suite allows it (exactMatch >= 0.75 over the run): with `thresholds: {}`
// a case test fails only on an error, and the summary test still holds the mean to the suite's thresholds.
describeEval(suite, { thresholds: {} })

describe("Eval.run", () => {
  it.effect("scores 4 of 5 capitals exactly and passes the 0.75 threshold", () =>
    Effect.gen(function*() {
      const report = yield* Eval.run(suite)
      assert.isTrue(report.passed)
      const exactMatch = report.scorers.find((scorer) => scorer.name === "exactMatch")
      assert.strictEqual(exactMatch?.mean, 0.8)
      assert.strictEqual(report.cases.length, 5)
    }))
})
