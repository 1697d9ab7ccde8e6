import { NodeContext } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Cli } from "@helicone-effect/cli"
import { Eval, Scorer } from "@helicone-effect/evaluator"
import { describeEval } from "@helicone-effect/vitest"
import { Effect } from "effect"
import { fileURLToPath } from "node:url"
import suite from "../src/answers.eval.js"
import { faithfulness } from "../src/faithfulness.js"
import { layerFake } from "../src/Judge.js"

describe("a scorer that needs a Judge", () => {
  it.effect("scores with the judge of the layer, keeping its reason as metadata", () =>
    Effect.gen(function*() {
      const score = yield* Scorer.run(faithfulness, {
        input: "q",
        output: "Refunds take 5 days",
        expected: "Refunds take 5 business days",
        metadata: {}
      }).pipe(Effect.provide(layerFake))
      assert.strictEqual(score.score, 0.8)
      assert.deepStrictEqual(score.metadata, { reason: "uses 4 of the reference's 5 words" })
    }))

  it.effect("the judge's failure is the scorer's error, not a crash", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        Scorer.run(faithfulness, { input: "q", output: " ", expected: "x", metadata: {} }).pipe(
          Effect.provide(layerFake)
        )
      )
      assert.strictEqual(error.reason, "Failed")
      assert.include(error.message, "the judge gave no verdict: empty answer")
    }))

  it.live("the suite runs with the layer provided around Eval.run", () =>
    Effect.gen(function*() {
      const report = yield* Eval.run(suite).pipe(Effect.provide(layerFake))
      const summary = report.scorers.find((s) => s.name === "faithfulness")
      assert.strictEqual(summary?.count, 3)
      assert.isTrue(report.passed)
    }))

  it.live("helicone-eval provides the eval file's exported layer", () =>
    Effect.gen(function*() {
      let stdout = ""
      const code = yield* Cli.run(
        ["node", "helicone-eval", "run", fileURLToPath(new URL("../src/answers.eval.ts", import.meta.url))],
        { loader: "native", stdout: (text) => void (stdout += text), stderr: () => {} }
      ).pipe(Effect.provide(NodeContext.layer))
      assert.strictEqual(code, Cli.ExitCode.passed, stdout)
      assert.include(stdout, "support-answers: PASSED")
    }))
})

// The same suite as Vitest tests, the judge provided by the `layer` option. The per-case bar is lower than the
// suite's mean threshold: one answer leaves out Switzerland.
describeEval(suite, { layer: layerFake, thresholds: { faithfulness: 0.5 } })
