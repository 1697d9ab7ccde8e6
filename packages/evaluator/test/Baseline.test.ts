import { NodeContext } from "@effect/platform-node"
import * as FileSystem from "@effect/platform/FileSystem"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Path from "node:path"
import { Eval, EvalReport, Scorer, Statistics } from "../src/index.js"

/** 200 cases; `wrong` says which of them the task answers wrongly. */
const suiteOf = (wrong: (i: number) => boolean, name = "answers") =>
  Eval.make({
    name,
    data: Array.from({ length: 200 }, (_, i) => ({ input: `question ${i}`, expected: "yes" })),
    task: (input: string): string => (wrong(Number(input.slice(9))) ? "no" : "yes"),
    scorers: [Scorer.make("correct", ({ expected, output }: { output: string; expected: string | undefined }) =>
      output === expected)]
  })

// 80% right: every fifth case wrong
const baselineSuite = suiteOf((i) => i % 5 === 0)

describe("a baseline comparison", () => {
  it.effect("a run that only got noisier passes: as many cases went each way", () =>
    Effect.gen(function*() {
      const baseline = yield* Eval.run(baselineSuite)
      // 8 cases that passed now fail, and 8 that failed now pass: the same mean, a different run
      const noisier = suiteOf((i) => (i % 5 === 0) !== (i % 25 === 0 || i % 25 === 1))
      const report = yield* Eval.run(noisier, { baseline, failOnRegression: true })
      assert.isTrue(report.passed)
      const c = report.baseline!
      assert.strictEqual(c.matched, 200)
      assert.deepStrictEqual([c.onlyBaseline, c.onlyCurrent], [0, 0])
      const correct = c.scorers[0]
      assert.strictEqual(correct.verdict, "no-detectable-change")
      assert.strictEqual(correct.comparison.test, "mcnemar-exact")
      assert.deepStrictEqual(correct.comparison.discordant, { passToFail: 8, failToPass: 8 })
      assert.deepStrictEqual([correct.passToFail, correct.failToPass], [8, 8])
      assert.strictEqual(correct.changes.passToFail[0].key, "input:" + Statistics.fnv1a64("\"question 1\""))
      assert.isAbove(correct.comparison.minimumDetectableEffect!, 0)
    }))

  it.effect("a real regression fails the run with a regression reason; by less than minimumDifference it passes", () =>
    Effect.gen(function*() {
      const baseline = yield* Eval.run(baselineSuite)
      // 30 more cases wrong: 0.80 -> 0.65
      const worse = suiteOf((i) => i % 5 === 0 || i % 5 === 1 && i < 150)
      const report = yield* Eval.run(worse, { baseline, failOnRegression: true })
      assert.isFalse(report.passed)
      const reason = report.verdict.reasons.find((r) => r.kind === "regression")!
      assert.strictEqual(reason.scorer, "correct")
      assert.closeTo(reason.value!, -0.15, 1e-12)
      assert.isBelow(reason.pValue!, 0.001)
      assert.match(reason.message, /^correct: regressed against the baseline by -0\.150 \(0\.800 → 0\.650/)
      assert.strictEqual(report.baseline!.scorers[0].verdict, "regressed")
      assert.strictEqual(report.baseline!.scorers[0].changes.largestDrops.length, 20)

      const tolerant = yield* Eval.run(worse, { baseline, failOnRegression: { minimumDifference: 0.2 } })
      assert.isTrue(tolerant.passed)
      assert.strictEqual(tolerant.baseline!.scorers[0].verdict, "no-detectable-change")
      // without the gate, the comparison is reported and the run is not failed by it
      const shown = yield* Eval.run(worse, { baseline })
      assert.isTrue(shown.passed)
      assert.strictEqual(shown.baseline!.scorers[0].verdict, "regressed")
    }))

  it.effect("no common cases is a verdict, not a failure or a division by zero", () =>
    Effect.gen(function*() {
      const other = Eval.make({
        name: "answers",
        data: [{ input: "something else", expected: "yes" }],
        task: () => "yes",
        scorers: baselineSuite.scorers
      })
      const baseline = yield* Eval.run(other)
      const report = yield* Eval.run(baselineSuite, { baseline, failOnRegression: true })
      assert.isTrue(report.passed)
      const c = report.baseline!
      assert.deepStrictEqual([c.matched, c.onlyBaseline, c.onlyCurrent], [0, 1, 200])
      assert.strictEqual(c.unmatched.current.length, 20)
      assert.strictEqual(c.scorers[0].verdict, "no-common-cases")
      assert.strictEqual(c.scorers[0].comparison.difference, null)
    }))

  it.effect("a baseline whose cases file cannot be read is not half-compared: a warning, and with the gate a failure", () =>
    Effect.gen(function*() {
      const run = yield* Eval.run(baselineSuite)
      const baseline = { ...run, cases: [], casesFile: "/nonexistent/answers.cases.jsonl" }
      const report = yield* Eval.run(baselineSuite, { baseline, failOnRegression: true })
      assert.isUndefined(report.baseline)
      assert.isFalse(report.passed)
      assert.deepStrictEqual(report.verdict.reasons.map((r) => r.kind), ["baseline"])
      assert.match(report.warnings![0], /^cannot compare with the baseline: cannot read its cases file \/nonexistent/)
      const ungated = yield* Eval.run(baselineSuite, { baseline })
      assert.isTrue(ungated.passed)
      assert.strictEqual(ungated.warnings!.length, 1)
    }).pipe(Effect.provide(NodeContext.layer)))

  it.effect("repeated inputs are matched by their order", () =>
    Effect.gen(function*() {
      const twice = (answers: ReadonlyArray<string>) =>
        Eval.make({
          name: "twice",
          data: answers.map((expected) => ({ input: "same", expected })),
          task: () => "a",
          scorers: baselineSuite.scorers
        })
      const baseline = yield* Eval.run(twice(["a", "b"]))
      const report = yield* Eval.run(twice(["b", "a"]), { baseline })
      const changes = report.baseline!.scorers[0].changes
      assert.deepStrictEqual(changes.passToFail.map((c) => [c.key, c.index]), [[
        Statistics.caseKey({ input: "same" }),
        0
      ]])
      assert.deepStrictEqual(changes.failToPass.map((c) => c.key), [`${Statistics.caseKey({ input: "same" })}#2`])
    }))
})

describe("EvalReport.loadBaseline", () => {
  const files = Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const dir = yield* fs.makeTempDirectoryScoped()
    const write = (name: string, text: string) =>
      Effect.as(fs.writeFileString(Path.join(dir, name), text), Path.join(dir, name))
    return { dir, fs, write }
  })

  it.scoped("refuses what is not a report of this suite, with the reason and a message to act on", () =>
    Effect.gen(function*() {
      const { dir, write } = yield* files
      const report = yield* Eval.run(baselineSuite)
      const json = EvalReport.toJson(report)
      const reason = (path: string, suite?: string) =>
        Effect.map(Effect.flip(EvalReport.loadBaseline(path, { suite })), (e) => [e._tag, e.reason, e.message] as const)

      const missing = yield* reason(Path.join(dir, "missing.json"))
      assert.deepStrictEqual(missing.slice(0, 2), ["BaselineError", "unreadable"])
      const notJson = yield* reason(yield* write("text.json", "hello"))
      assert.deepStrictEqual(notJson.slice(0, 2), ["BaselineError", "not-a-report"])
      assert.match(notJson[2], /is not an eval report \(not JSON/)
      const array = yield* reason(yield* write("array.json", "[1]"))
      assert.strictEqual(array[1], "not-a-report")
      const package_ = yield* reason(yield* write("package.json", `{"name":"x","version":"1.0.0"}`))
      assert.strictEqual(package_[1], "not-a-report")
      const broken = yield* reason(yield* write("broken.json", json.replace(`"totals"`, `"totalz"`)))
      assert.strictEqual(broken[1], "not-a-report")
      const future = yield* reason(yield* write("future.json", json.replace(`"version": 2`, `"version": 3`)))
      assert.deepStrictEqual(future.slice(1), [
        "future-version",
        `the baseline ${Path.join(dir, "future.json")} is a report of version 3, newer than this evaluator reads (up ` +
        "to 2): upgrade @helicone-effect/evaluator, or give a report of this version"
      ])
      const other = yield* reason(yield* write("other.json", json), "another suite")
      assert.deepStrictEqual(other.slice(1), [
        "other-suite",
        `the baseline ${Path.join(dir, "other.json")} is a report of the suite "answers", not "another suite": give ` +
        "a report of the same suite"
      ])
      const noCases = yield* reason(
        yield* write("nocases.json", json.replace(`"cases": [`, `"casesFile": "gone.cases.jsonl", "cases": [`))
      )
      assert.strictEqual(noCases[1], "cases-file")
    }).pipe(Effect.provide(NodeContext.layer)))

  it.scoped("reads a version 1 report, and a cases file next to the report, to compare with", () =>
    Effect.gen(function*() {
      const { dir, fs, write } = yield* files
      // a report of the suite written by an earlier version: no intervals, version 1
      const run = yield* Eval.run(baselineSuite)
      const { baseline: _, maxErrors: __, ...rest } = run
      const v1 = {
        ...rest,
        version: 1,
        scorers: run.scorers.map((
          { interval: _i, passAtK: _p, thresholdInterval: _t, thresholdOn: _o, thresholdValue: _v, ...s }
        ) => s)
      }
      const old = yield* EvalReport.loadBaseline(yield* write("v1.json", JSON.stringify(v1)), { suite: "answers" })
      assert.strictEqual(old.version, 2)
      assert.isUndefined(old.scorers[0].interval)
      const worse = suiteOf((i) => i % 5 < 2)
      const compared = yield* Eval.run(worse, { baseline: old, failOnRegression: true })
      assert.isFalse(compared.passed)
      assert.strictEqual(compared.baseline!.path, Path.join(dir, "v1.json"))

      // a run whose cases went to its cases file, copied with its report into another directory
      const casesFile = Path.join(dir, "run", "answers.cases.jsonl")
      const spilled = yield* Eval.run(baselineSuite, { casesFile })
      assert.strictEqual(spilled.cases.length, 0)
      yield* fs.makeDirectory(Path.join(dir, "artifact"))
      yield* fs.copyFile(casesFile, Path.join(dir, "artifact", "answers.cases.jsonl"))
      const reportPath = yield* write(
        Path.join("artifact", "report.json"),
        EvalReport.toJson({ ...spilled, casesFile: "answers.cases.jsonl" })
      )
      const loaded = yield* EvalReport.loadBaseline(reportPath)
      assert.strictEqual(loaded.casesFile, Path.join(dir, "artifact", "answers.cases.jsonl"))
      const again = yield* Eval.run(worse, { baseline: loaded })
      assert.strictEqual(again.baseline!.matched, 200)
      assert.strictEqual(again.baseline!.scorers[0].verdict, "regressed")
      assert.isUndefined(again.warnings)
    }).pipe(Effect.provide(NodeContext.layer)))
})
