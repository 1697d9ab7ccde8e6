import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import {
  Eval,
  EvalReport,
  HtmlReport,
  JUnitReport,
  MarkdownReport,
  ModelCalls,
  Reporter,
  Scorer
} from "../src/index.js"
import { recordCall } from "./fixtures/modelCall.js"

/** A model layer's record of one call, from inside `CurrentCase`. */
const call = (model: string, inputTokens: number, outputTokens: number, cache: ModelCalls.CacheOutcome) =>
  recordCall({ model, inputTokens, outputTokens, cache, latencyMs: 20 })

// 2 cases x 2 trials: the task calls gpt-4o (1,000 in, 100 out) once; the judge calls gpt-4o-mini (500 in, 10 out),
// stored on trial 0 and answered from the cache on trial 1
const judge = Scorer.make(
  "judge",
  (_: { readonly output: string }) =>
    Effect.flatMap(
      ModelCalls.CurrentCase,
      (current) => Effect.as(call("gpt-4o-mini", 500, 10, current!.trial === 0 ? "miss" : "hit"), 1)
    )
)
const suite = Eval.make({
  name: "usage",
  data: [{ input: "a" }, { input: "b" }],
  trials: 2,
  task: (input: string) => Effect.as(call("gpt-4o", 1000, 100, "off"), input),
  scorers: [judge]
})
// gpt-4o at 2.5 / 10 USD per million tokens, gpt-4o-mini at 0.15 / 0.6; a cache hit costs nothing
const taskCost = 4 * (1000 * 2.5 + 100 * 10) / 1e6
const judgeCost = 2 * (500 * 0.15 + 10 * 0.6) / 1e6

describe("report.usage", () => {
  it.effect("sums calls, tokens and cost over trials and judges, by role; a cache hit costs nothing", () =>
    Effect.gen(function*() {
      const report = yield* Eval.run(suite, { cache: "auto" })
      const usage = report.usage!
      assert.deepStrictEqual(usage.calls, { task: 4, judge: 4 })
      assert.deepStrictEqual(usage.inputTokens, { task: 4000, judge: 2000, total: 6000 })
      assert.deepStrictEqual(usage.outputTokens, { task: 400, judge: 40, total: 440 })
      assert.closeTo(usage.cost!, taskCost + judgeCost, 1e-12)
      assert.deepStrictEqual(usage.unknownPriceModels, [])
      assert.deepStrictEqual(usage.cache, { hits: 2, misses: 2 })
      assert.strictEqual(usage.latencyMs, 8 * 20)
      assert.strictEqual(usage.waitedMs, 0)
      // per case: its calls, and the cache's outcome when a call went through it
      for (const result of report.cases) {
        assert.deepStrictEqual(result.calls!.map((c) => [c.role, c.model]), [["task", "gpt-4o"], [
          "judge",
          "gpt-4o-mini"
        ]])
        assert.deepStrictEqual(result.cache, result.trial === 0 ? { hits: 0, misses: 1 } : { hits: 1, misses: 0 })
      }
      // the JSON report carries them, and reads back
      const back = yield* EvalReport.fromJson(EvalReport.toJson(report))
      assert.deepStrictEqual(back.usage, usage)
      assert.deepStrictEqual(back.cases[1].calls, JSON.parse(JSON.stringify(report.cases[1].calls)))
    }))

  it.effect("a user's prices go over the built-in ones; a model with no price makes the cost unknown, not 0", () =>
    Effect.gen(function*() {
      const priced = yield* Eval.run(suite, { prices: { "gpt-4o": { input: 5, output: 20 } } })
      assert.closeTo(priced.usage!.cost!, 2 * taskCost + judgeCost, 1e-12)
      const unknown = yield* Eval.run(
        Eval.make({
          name: "unpriced",
          data: [{ input: "a" }],
          task: (input: string) => Effect.as(call("my-finetune-2025-01-01", 10, 10, "off"), input),
          scorers: []
        })
      )
      assert.isNull(unknown.usage!.cost)
      assert.deepStrictEqual(unknown.usage!.unknownPriceModels, ["my-finetune-2025-01-01"])
      assert.include(Reporter.summaryText(unknown), "cost unknown (no price for my-finetune-2025-01-01)")
    }))

  it.effect("every surface shows the totals: terminal, markdown, HTML, JUnit", () =>
    Effect.gen(function*() {
      const report = yield* Eval.run(suite)
      const lines = [
        "model calls: 8 (task 4, judge 4), tokens 6,000 in / 440 out (judges 2,000 / 40)",
        `cost $${(taskCost + judgeCost).toFixed(4)}, cache 2 hits / 2 misses, waited 0ms`
      ]
      const text = Reporter.summaryText(report)
      for (const line of lines) assert.include(text, line)
      assert.include(MarkdownReport.render([report]), lines.join("; "))
      assert.include(HtmlReport.render(report), `<p class="usage">${lines.join("<br>")}</p>`)
      const xml = JUnitReport.render(report)
      assert.include(xml, `<property name="usage.calls.judge" value="4"/>`)
      assert.include(xml, `<property name="usage.inputTokens.total" value="6000"/>`)
      assert.include(xml, `<property name="usage.cost" value="${report.usage!.cost}"/>`)
      assert.include(xml, `<property name="usage.cache.hits" value="2"/>`)
    }))

  it.effect("a run that made no model call has no usage, and says nothing of it", () =>
    Effect.gen(function*() {
      const report = yield* Eval.run(
        Eval.make({ name: "plain", data: [{ input: 1 }], task: (n: number) => n, scorers: [] })
      )
      assert.isUndefined(report.usage)
      assert.notInclude(Reporter.summaryText(report), "model calls")
    }))
})
