/**
 * Type-level tests of `describeEval` (checked by `pnpm check`, never run): the `helicone` option needs a layer or an
 * `it` that provides `HeliconeScores`.
 */
import { layer } from "@effect/vitest"
import { HeliconeScores } from "@helicone-effect/core"
import { Eval, Scorer } from "@helicone-effect/evaluator"
import { Context, Effect, Layer } from "effect"
import { describeEval } from "../src/index.js"

class Judge extends Context.Tag("types/Judge")<Judge, number>() {}
const JudgeLive = Layer.succeed(Judge, 1)
const plain = Eval.make({ name: "plain", data: [{ input: 1 }], task: (n: number) => n, scorers: [] })
const judged = Eval.make({
  name: "judged",
  data: [{ input: 1 }],
  task: (n: number) => n,
  scorers: [Scorer.make("judge", () => Judge.pipe(Effect.map((n) => n)))]
})

export const typeTests = () => {
  // @ts-expect-error -- helicone without a layer that provides HeliconeScores
  describeEval(plain, { helicone: {} })
  // @ts-expect-error -- the layer provides what the suite needs, not HeliconeScores
  describeEval(judged, { layer: JudgeLive, helicone: {} })
  layer(JudgeLive)("judge only", (it) => {
    // @ts-expect-error -- the block's it does not provide HeliconeScores
    describeEval(judged, { it, helicone: {} })
  })

  describeEval(plain, { layer: HeliconeScores.layerTest, helicone: {} })
  describeEval(judged, { layer: Layer.merge(JudgeLive, HeliconeScores.layerTest), helicone: { strict: true } })
  layer(Layer.merge(JudgeLive, HeliconeScores.layerTest))("judge and Helicone", (it) => {
    describeEval(judged, { it, helicone: {} })
  })
  describeEval(judged, { layer: JudgeLive })
  describeEval(plain)
}
