import { assert, describe, it } from "@effect/vitest"
import { HeliconeScores } from "@helicone-effect/core"
import { Deferred, Effect, Exit, Logger } from "effect"
import { Cost, Eval, Reporter, Scorers } from "../src/index.js"
import { recordCall } from "./fixtures/modelCall.js"

/** A model layer's record of one call of `model`, 1,000 tokens in and 100 out. */
const call = (model: string): Effect.Effect<void> => recordCall({ model, inputTokens: 1000, outputTokens: 100 })

const suiteOf = (models: ReadonlyArray<string>, started: Array<number> = []) =>
  Eval.make({
    name: "priced",
    data: models.map((model, i) => ({ input: model, expected: model, name: `case ${i}` })),
    concurrency: 1,
    task: (model: string, ctx) =>
      Effect.as(Effect.zipRight(Effect.sync(() => started.push(ctx.index)), call(model)), model),
    scorers: [Scorers.exactMatch]
  })

/** Runs `effect` with its log lines at warning level and above kept in `logs`. */
const logged = <A, E, R>(effect: Effect.Effect<A, E, R>, logs: Array<string>) =>
  Effect.provide(
    effect,
    Logger.replace(
      Logger.defaultLogger,
      Logger.make(({ logLevel, message }) => {
        if (logLevel._tag === "Warning") logs.push(String(Array.isArray(message) ? message.join(" ") : message))
      })
    )
  )

describe("Cost", () => {
  it("built-in prices have their date, and a dated model name takes its undated price", () => {
    assert.match(Cost.builtInPricesDate, /^\d{4}-\d{2}-\d{2}$/)
    assert.deepStrictEqual(Cost.priceOf(Cost.builtInPrices, "gpt-4o-mini-2024-07-18"), { input: 0.15, output: 0.6 })
    assert.deepStrictEqual(Cost.priceOf(Cost.builtInPrices, "claude-3-5-haiku-20241022"), { input: 0.8, output: 4 })
    assert.isUndefined(Cost.priceOf(Cost.builtInPrices, "gpt-4o-mini-turbo"), "no guess past a date suffix")
    assert.closeTo(Cost.costOf({ input: 2.5, output: 10 }, 1000, 100), 0.0035, 1e-15)
  })

  it.effect("a negative, non-finite or missing price fails Eval.run with PriceTableError before any case starts", () =>
    Effect.gen(function*() {
      const bad: ReadonlyArray<[unknown, string, string]> = [
        [{ m: { input: -1, output: 1 } }, "negative", "the input price of \"m\" is negative (-1)"],
        [
          { m: { input: 1, output: Number.NaN } },
          "not-finite",
          "the output price of \"m\" is not a finite number (NaN)"
        ],
        [{ m: { input: 1 } }, "missing", "the output price of \"m\" is missing"],
        [{ m: { input: "1", output: 1 } }, "not-finite", "the input price of \"m\" is not a finite number (\"1\")"]
      ]
      for (const [prices, problem, message] of bad) {
        const started: Array<number> = []
        const exit = yield* Effect.exit(Eval.run(suiteOf(["gpt-4o"], started), { prices: prices as Cost.PriceTable }))
        assert.isTrue(Exit.isFailure(exit))
        const error = yield* Effect.flip(Eval.run(suiteOf(["gpt-4o"], started), { prices: prices as Cost.PriceTable }))
        assert.instanceOf(error, Cost.PriceTableError)
        assert.strictEqual(error._tag, "PriceTableError")
        assert.strictEqual(error.problem, problem)
        assert.include(error.message, message)
        assert.deepStrictEqual(started, [], "no case started")
      }
    }))

  it.effect("a model missing from the table logs one warning per model, and its cost shows as unknown", () =>
    Effect.gen(function*() {
      const logs: Array<string> = []
      const report = yield* logged(
        Eval.run(suiteOf(["gpt-4o", "mystery", "mystery", "enigma"]), {
          prices: { "my-model": { input: 1, output: 2 } }
        }),
        logs
      )
      assert.deepStrictEqual(logs, [
        "no price for the model \"mystery\": the cost of its calls is unknown (give its price in the prices option, or --prices <file.json> to helicone-eval)",
        "no price for the model \"enigma\": the cost of its calls is unknown (give its price in the prices option, or --prices <file.json> to helicone-eval)"
      ])
      assert.isNull(report.usage!.cost)
      assert.deepStrictEqual(report.usage!.unknownPriceModels, ["enigma", "mystery"])
      assert.isTrue(report.passed, "an unknown price is no failure")
    }))
})

describe("maxCost", () => {
  // each case costs 1,000 * 2.5 / 1e6 + 100 * 10 / 1e6 = $0.0035 on gpt-4o
  const models = Array.from({ length: 10 }, () => "gpt-4o")

  it.effect("stops starting cases once the cost reaches it: a partial report that says so, and does not pass", () =>
    Effect.gen(function*() {
      const started: Array<number> = []
      const report = yield* Eval.run(suiteOf(models, started), { maxCost: 0.01 })
      assert.deepStrictEqual(started, [0, 1, 2], "$0.0105 spent after 3 cases: the fourth does not start")
      assert.strictEqual(report.totals.cases, 3)
      assert.deepStrictEqual(report.stopped, {
        reason: "budget",
        maxCost: 0.01,
        cost: report.usage!.cost!,
        casesNotRun: 7
      })
      assert.closeTo(report.stopped!.cost, 0.0105, 1e-12)
      assert.isFalse(report.passed)
      assert.strictEqual(report.verdict.reasons[0].kind, "budget")
      const first = Reporter.summaryText(report).split("\n")[0]
      assert.strictEqual(
        first,
        "priced: FAILED: stopped at the budget: $0.0105 spent of maxCost $0.0100, 7 cases not run"
      )
    }))

  it.effect("a run whose cases all started before the budget was reached says it went over, and why", () =>
    Effect.gen(function*() {
      // two cases at once, each $0.0035, neither calling before both have started: the run ends at $0.007
      const bothStarted = yield* Deferred.make<void>()
      let started = 0
      const wide = Eval.make({
        name: "priced",
        data: [{ input: "gpt-4o" }, { input: "gpt-4o" }],
        concurrency: 2,
        task: (model: string) =>
          Effect.gen(function*() {
            if (++started === 2) yield* Deferred.succeed(bothStarted, undefined)
            yield* Deferred.await(bothStarted)
            yield* call(model)
            return model
          }),
        scorers: [Scorers.exactMatch]
      })
      const report = yield* Eval.run(wide, { maxCost: 0.000001 })
      assert.strictEqual(report.totals.cases, 2)
      assert.isUndefined(report.stopped)
      assert.deepStrictEqual(report.warnings, [
        "the run cost $0.0070, over maxCost $0.0000010, with every case started before the budget was reached (the " +
        "budget stops starting cases; a lower concurrency stops sooner)"
      ])
      assert.strictEqual(Cost.formatUsd(0.0000001), "$0.00000010")
      assert.strictEqual(Cost.formatUsd(0), "$0.0000")
      assert.strictEqual(Cost.formatUsd(12.345), "$12.35")
    }))

  it.effect("a run within its budget passes and has no stop", () =>
    Effect.gen(function*() {
      const report = yield* Eval.run(suiteOf(models), { maxCost: 1 })
      assert.strictEqual(report.totals.cases, 10)
      assert.isUndefined(report.stopped)
      assert.isTrue(report.passed)
    }))

  it.effect("a negative or NaN maxCost is a MaxCostError before any case starts", () =>
    Effect.gen(function*() {
      for (const maxCost of [-1, Number.NaN, Infinity]) {
        const started: Array<number> = []
        const error = yield* Effect.flip(Eval.run(suiteOf(models, started), { maxCost }))
        assert.instanceOf(error, Cost.MaxCostError)
        assert.strictEqual(error.message, `maxCost must be a finite number of USD >= 0, got ${maxCost}`)
        assert.deepStrictEqual(started, [])
      }
    }))
})

describe("cache", () => {
  it.effect("a cache mode that no model call went through is a warning: it had no effect", () =>
    Effect.gen(function*() {
      const plain = Eval.make({ name: "no model", data: [{ input: 1 }], task: (n: number) => n, scorers: [] })
      const logs: Array<string> = []
      const report = yield* logged(Eval.run(plain, { cache: "replay" }), logs)
      const warning = "the cache mode \"replay\" had no effect: no model call went through the run's model layers " +
        "(give the task and the judges @helicone-effect/ai's model layers)"
      assert.deepStrictEqual(report.warnings, [warning])
      assert.deepStrictEqual(logs, [])
      const used = yield* Eval.run(suiteOf(["gpt-4o"]), { cache: "replay" })
      assert.isUndefined(used.warnings)
      const off = yield* Eval.run(plain)
      assert.isUndefined(off.warnings)
    }))

  it.effect("a case whose scores' request was answered from the cache is not sent to Helicone, and the run says so", () =>
    Effect.gen(function*() {
      const replayed = Eval.make({
        name: "replayed",
        data: [{ input: "hit" as const, expected: "hit" }, { input: "off" as const, expected: "off" }],
        task: (cache: "hit" | "off") =>
          Effect.as(recordCall({ model: "gpt-4o", inputTokens: 10, outputTokens: 1, cache }), cache),
        scorers: [Scorers.exactMatch]
      })
      const report = yield* Eval.run(replayed, { helicone: {} })
      const sent = yield* Effect.flatMap(HeliconeScores.HeliconeScoresTest, (test) => test.submissions)
      // Helicone would drop scores for a request it never logged: only the case whose call went out is sent
      assert.deepStrictEqual(sent.map((s) => s.requestId), [report.cases[1]!.requestId])
      assert.deepStrictEqual(report.warnings, [
        "1 case's scores were not sent to Helicone: the task's first model call, whose request id they go to, was " +
        "answered from the call cache, so no request was logged under it and Helicone would drop them"
      ])
      assert.strictEqual(report.helicone?.submitted, 1)
    }).pipe(Effect.provide(HeliconeScores.layerTest)))
})
