import { NodeContext } from "@effect/platform-node"
import { assert, describe, expect, it } from "@effect/vitest"
import { HeliconeScores } from "@helicone-effect/core"
import { Context, Effect } from "effect"
import { Dataset, Eval, EvalReport, HtmlReport, JUnitReport, Reporter, Scorer, Scorers } from "../src/index.js"

const firstLine = (report: EvalReport.EvalReport) => Reporter.summaryText(report).split("\n")[0]
const kinds = (report: EvalReport.EvalReport) => report.verdict.reasons.map((reason) => reason.kind)
const junitCounts = (xml: string) =>
  /<testsuite name="[^"]*" tests="(\d+)" failures="(\d+)"/.exec(xml)!.slice(1).map(Number)

const cases = (n: number) => Array.from({ length: n }, (_, i) => ({ input: i, expected: i }))

describe("the verdict: a run that measured nothing fails", () => {
  it.effect("a task that throws on every case, no thresholds: FAILED, errors first, nothing scored", () =>
    Effect.gen(function*() {
      const report = yield* Eval.run(Eval.make({
        name: "no key",
        data: cases(3),
        task: (): number => {
          throw new Error("OPENAI_API_KEY is not set")
        },
        scorers: [Scorers.exactMatch]
      }))
      assert.isFalse(report.passed)
      assert.isFalse(report.verdict.passed)
      assert.deepStrictEqual(kinds(report), ["errors", "nothing-scored"])
      assert.deepInclude(report.verdict.reasons[0], { errored: 3, allowed: 0 })
      assert.strictEqual(
        firstLine(report),
        "no key: FAILED: 3 of 3 cases errored (max 0): task: OPENAI_API_KEY is not set"
      )
      assert.strictEqual(report.verdict.reasons[1].message, "nothing was scored: every case errored")
      const xml = JUnitReport.render(report)
      // 3 errored cases, errors over the max, nothing scored
      assert.deepStrictEqual(junitCounts(xml), [5, 5])
      assert.include(xml, `name="nothing-scored"`)
      assert.include(HtmlReport.render(report), "FAILED: 3 of 3 cases errored (max 0): task: OPENAI_API_KEY is not set")
    }))

  it.effect("a dataset file that does not exist: FAILED, unreadable data", () =>
    Effect.gen(function*() {
      const report = yield* Eval.run(Eval.make({
        name: "missing",
        data: Dataset.jsonl<number, number>("/nonexistent/helicone-eval/cases.jsonl"),
        task: (n: number) => n,
        scorers: [Scorers.exactMatch]
      }))
      assert.isFalse(report.passed)
      assert.strictEqual(kinds(report)[0], "unreadable-data")
      assert.match(firstLine(report), /^missing: FAILED: the data could not be read: .*ENOENT/)
      const json = yield* EvalReport.fromJson(EvalReport.toJson(report))
      assert.deepStrictEqual(json.verdict, report.verdict, "the JSON report carries the verdict")
      assert.include(JUnitReport.render(report), `name="unreadable-data"`)
    }).pipe(Effect.provide(NodeContext.layer)))

  it.effect("a service that was not provided (the task dies with Service not found): FAILED", () =>
    Effect.gen(function*() {
      class Db extends Context.Tag("Db")<Db, { readonly lookup: (n: number) => number }>() {}
      const suite = Eval.make({
        name: "db",
        data: cases(2),
        task: (n: number) => Effect.map(Db, (db) => db.lookup(n)),
        scorers: [Scorers.exactMatch]
      })
      // what a loader that erased the types (tsx) runs: the suite without its layer
      const report = yield* (Eval.run(suite) as Effect.Effect<EvalReport.EvalReport>)
      assert.isFalse(report.passed)
      assert.deepStrictEqual(kinds(report), ["errors", "nothing-scored"])
      assert.include(firstLine(report), "db: FAILED: 2 of 2 cases errored (max 0): task: Service not found: Db")
    }))

  it.effect("an empty dataset fails: nothing was scored", () =>
    Effect.gen(function*() {
      const report = yield* Eval.run(Eval.make({ name: "empty", data: [], task: (n: number) => n, scorers: [] }))
      assert.isFalse(report.passed)
      assert.deepStrictEqual(report.verdict.reasons, [{
        kind: "nothing-scored",
        message: "nothing was scored: the data has no cases"
      }])
      assert.strictEqual(firstLine(report), "empty: FAILED: nothing was scored: the data has no cases")
      assert.deepStrictEqual(junitCounts(JUnitReport.render(report)), [1, 1])
    }))

  it.effect("a run that scored, with no errors and no thresholds, passes: one line, no reasons", () =>
    Effect.gen(function*() {
      const report = yield* Eval.run(
        Eval.make({ name: "one", data: cases(1), task: (n: number) => n, scorers: [Scorers.exactMatch] })
      )
      assert.isTrue(report.passed)
      assert.deepStrictEqual(report.verdict, { passed: true, reasons: [] })
      assert.match(firstLine(report), /^one: PASSED {2}1 case, 0 errored, /)
      assert.deepStrictEqual(junitCounts(JUnitReport.render(report)), [0, 0])
      assert.include(HtmlReport.render(report), `<p class="verdict pass">PASSED</p>`)
    }))
})

describe("maxErrors", () => {
  // 1 case in 4 errors
  const options = {
    name: "flaky",
    data: cases(4),
    task: (n: number) => n === 2 ? Effect.fail("rate limited") : Effect.succeed(n),
    scorers: [Scorers.exactMatch]
  }

  it.effect("default 0: one errored case fails the run; a count or a percentage allows some", () =>
    Effect.gen(function*() {
      const strict = yield* Eval.run(Eval.make(options))
      assert.deepStrictEqual(kinds(strict), ["errors"])
      assert.strictEqual(strict.verdict.reasons[0].message, "1 of 4 cases errored (max 0): task: \"rate limited\"")
      assert.isTrue((yield* Eval.run(Eval.make({ ...options, maxErrors: 1 }))).passed)
      assert.isTrue((yield* Eval.run(Eval.make({ ...options, maxErrors: "25%" }))).passed, "25% of 4 allows 1")
      const percent = yield* Eval.run(Eval.make({ ...options, maxErrors: "20%" }))
      assert.isFalse(percent.passed, "20% of 4 allows 0 (rounded down)")
      assert.strictEqual(
        percent.verdict.reasons[0].message,
        "1 of 4 cases errored (max 20% = 0): task: \"rate limited\""
      )
    }))

  it.effect("Eval.run's maxErrors overrides the suite's", () =>
    Effect.gen(function*() {
      const suite = Eval.make({ ...options, maxErrors: 1 })
      assert.isFalse((yield* Eval.run(suite, { maxErrors: 0 })).passed)
      assert.isTrue((yield* Eval.run(Eval.make(options), { maxErrors: "100%" })).passed)
    }))

  it.effect("allowed errors do not hide a run that scored nothing", () =>
    Effect.gen(function*() {
      const report = yield* Eval.run(Eval.make({ ...options, task: () => Effect.fail("down"), maxErrors: "100%" }))
      assert.deepStrictEqual(kinds(report), ["nothing-scored"])
    }))

  it("a bad value is a RangeError where it is given", () => {
    for (const bad of [-1, 1.5, Number.NaN, "abc", "150%", "-2%"]) {
      expect(() => Eval.make({ ...options, maxErrors: bad as Eval.MaxErrors }), String(bad)).toThrow(RangeError)
    }
    expect(() => Eval.run(Eval.make(options), { maxErrors: "2 %" as Eval.MaxErrors })).toThrow(/maxErrors/)
    expect(() => Eval.make({ ...options, maxErrors: "2.5%" })).not.toThrow()
  })
})

describe("thresholds", () => {
  it.effect("the first line names the missed threshold with the threshold mean it is judged on and the mean", () =>
    Effect.gen(function*() {
      const report = yield* Eval.run(Eval.make({
        name: "judge",
        data: cases(4),
        task: (n: number) => n,
        scorers: [
          Scorer.make(
            "judge",
            ({ input }: { input: number }) => input === 0 ? Effect.fail("judge down") : Effect.succeed(1)
          )
        ],
        thresholds: { judge: 0.9 },
        maxErrors: 1
      }))
      assert.deepStrictEqual(kinds(report), ["threshold"])
      assert.deepInclude(report.verdict.reasons[0], { scorer: "judge", value: 0.75, mean: 1, threshold: 0.9 })
      assert.strictEqual(
        firstLine(report),
        "judge: FAILED: judge: threshold mean 0.750 < 0.9 (mean 1.000 over 3 scored cases, 1 errored)"
      )
      const xml = JUnitReport.render(report)
      assert.deepStrictEqual(junitCounts(xml), [2, 1], "the threshold fails; the errored case is allowed")
      assert.include(xml, `message="judge: threshold mean 0.750, mean 1.000, threshold 0.9"`)
      const html = HtmlReport.render(report)
      assert.include(html, "<th title=")
      assert.match(
        html,
        /<td>1\.000<\/td><td>0\.\d{3}–1\.000<\/td><td>0\.750<\/td>/,
        "the mean, its interval, the threshold mean"
      )
    }))

  it("a threshold on a scorer the suite does not have is a TypeError with the closest name", () => {
    const make = (thresholds: Record<string, number>) =>
      Eval.make({
        name: "typo",
        data: [{ input: "a", expected: "a" }],
        task: (text: string) => text,
        scorers: [Scorers.exactMatch, Scorers.levenshtein],
        thresholds
      })
    expect(() => make({ exactmatch: 0.9 })).toThrow(TypeError)
    expect(() => make({ exactmatch: 0.9 })).toThrow(`"exactmatch" (did you mean "exactMatch"?)`)
    expect(() => make({ accuracy: 0.9 })).toThrow(`"accuracy"; its scorers: exactMatch, levenshtein`)
    const suite = make({})
    assert.deepStrictEqual(Eval.unknownThresholds(suite, { levenstein: 0.5, exactMatch: 1, zzz: 1 }), [
      { name: "levenstein", suggestion: "levenshtein" },
      { name: "zzz", suggestion: undefined }
    ])
  })
})

describe("the verdict elsewhere", () => {
  it.effect("with helicone.strict, scores Helicone refused fail the run with a delivery reason", () =>
    Effect.gen(function*() {
      const report = yield* Eval.run(
        Eval.make({
          name: "refused",
          data: cases(1),
          task: (n: number) => n,
          scorers: [Scorer.make("helicone-score-feedback", () => 1)]
        }),
        { helicone: { strict: true } }
      ).pipe(Effect.provide(HeliconeScores.layerTest))
      assert.deepStrictEqual(kinds(report), ["delivery"])
      assert.include(firstLine(report), "refused: FAILED: Helicone did not take every score (strict): 1 failed")
    }))

  it.effect("failWith adds a failing reason to a passing report", () =>
    Effect.gen(function*() {
      const report = yield* Eval.run(
        Eval.make({ name: "ok", data: cases(2), task: (n: number) => n, scorers: [Scorers.exactMatch] })
      )
      const failed = EvalReport.failWith(report, { kind: "delivery", message: "12 scores still in the outbox" })
      assert.isTrue(report.passed)
      assert.isFalse(failed.passed)
      assert.deepStrictEqual(failed.verdict, {
        passed: false,
        reasons: [{ kind: "delivery", message: "12 scores still in the outbox" }]
      })
      assert.strictEqual(firstLine(failed), "ok: FAILED: 12 scores still in the outbox")
      assert.include(JUnitReport.render(failed), `name="delivery"`)
    }))

  it.effect("fromResults judges the same results as Eval.run does", () =>
    Effect.gen(function*() {
      const suite = Eval.make({
        name: "same",
        data: cases(4),
        task: (n: number) => (n === 3 ? Effect.fail("boom") : Effect.succeed(n === 1 ? -1 : n)),
        scorers: [Scorers.exactMatch],
        thresholds: { exactMatch: 0.6 }
      })
      const report = yield* Eval.run(suite)
      const rebuilt = EvalReport.fromResults({
        name: suite.name,
        scorers: ["exactMatch"],
        thresholds: suite.thresholds,
        trials: 1,
        results: report.cases
      })
      assert.deepStrictEqual(rebuilt.verdict, report.verdict)
      assert.deepStrictEqual(kinds(rebuilt), ["errors", "threshold"])
      const allowed = EvalReport.fromResults({
        name: suite.name,
        trials: 1,
        scorers: ["exactMatch"],
        thresholds: {},
        results: report.cases,
        maxErrors: 1
      })
      assert.isTrue(allowed.passed)
    }))

  it.effect("a report written before verdicts gets one when read back", () =>
    Effect.gen(function*() {
      const report = yield* Eval.run(Eval.make({
        name: "old",
        data: cases(2),
        task: (n: number) => (n === 1 ? Effect.fail("boom") : Effect.succeed(n)),
        scorers: [Scorers.exactMatch]
      }))
      const { verdict: _, ...written } = { ...report, passed: true }
      const read = yield* EvalReport.fromJson(JSON.stringify(written))
      assert.isFalse(read.passed)
      assert.deepStrictEqual(read.verdict, report.verdict)
    }))
})
