import { NodeContext } from "@effect/platform-node"
import * as FileSystem from "@effect/platform/FileSystem"
import { assert, describe, expect, it } from "@effect/vitest"
import { Chunk, Deferred, Effect, Exit, Fiber, Schema, Stream } from "effect"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { Eval, EvalReport, HtmlReport, JUnitReport, Reporter, Scorer, Scorers } from "../src/index.js"

/** A temporary directory, removed when the test's scope closes. */
const tmpDir = Effect.acquireRelease(
  Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), "helicone-eval-report-"))),
  (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
)

const mixedOptions = {
  name: "mixed <&> suite",
  data: [
    { input: { q: "a" }, expected: "A", name: "first", metadata: { tag: "x" } },
    { input: { q: "b" }, expected: "B" },
    { input: { q: "boom" }, expected: "?" },
    { input: { q: "<script>alert(1)</script>" }, expected: "no" }
  ],
  task: ({ q }: { q: string }) => {
    if (q === "boom") throw new Error("task <exploded> & died")
    return q === "b" ? "b" : q.toUpperCase()
  },
  scorers: [Scorers.exactMatch, Scorer.make("short", ({ output }: { output: string }) => output.length < 5)],
  thresholds: { exactMatch: 0.5 }
}
const mixed = Eval.make(mixedOptions)

describe("EvalReport", () => {
  it.effect("round-trips through its JSON file: encode, JSON text, decode", () =>
    Effect.gen(function*() {
      const report = yield* Eval.run(mixed)
      const json = EvalReport.toJson(report)
      const decoded = yield* EvalReport.fromJson(json)
      expect(decoded).toEqual(report)
      assert.strictEqual(decoded.version, 2)
      assert.isTrue(Schema.is(EvalReport.EvalReport)(decoded))
      const wrongVersion = yield* Effect.flip(EvalReport.fromJson(json.replace(`"version": 2`, `"version": 3`)))
      assert.strictEqual(wrongVersion._tag, "ParseError")
    }))

  it.effect("a bigint in one case does not garble the others: shared objects are written each time, not as cycles", () =>
    Effect.gen(function*() {
      const shared = { tag: "same object" }
      const suite = Eval.make({
        name: "bigint",
        data: [
          { input: "a", expected: "a", metadata: { big: 10n } },
          { input: "b", expected: "b" },
          { input: "c", expected: "c" }
        ],
        task: (input: string) => ({ text: input, left: shared, right: shared }),
        scorers: [
          Scorer.make(
            "text",
            ({ expected, output }: { output: { text: string }; expected: string | undefined }) =>
              output.text === expected
          )
        ],
        trials: 2
      })
      const report = yield* Eval.run(suite)
      const decoded = yield* EvalReport.fromJson(EvalReport.toJson(report))
      assert.strictEqual(decoded.cases.length, 6)
      for (const result of decoded.cases) {
        assert.deepStrictEqual(result.scores, [{ name: "text", score: 1, boolean: true }])
        assert.deepStrictEqual(result.errors, [])
        assert.deepStrictEqual(result.output, { text: result.input, left: shared, right: shared })
      }
      assert.deepStrictEqual(decoded.cases.find((c) => c.input === "a")!.metadata, { big: "10" })
    }))

  it.effect("compares two reports scorer by scorer", () =>
    Effect.gen(function*() {
      const baseline = yield* Eval.run(mixed)
      const current = { ...baseline, scorers: baseline.scorers.map((s) => ({ ...s, mean: (s.mean ?? 0) - 0.25 })) }
      const deltas = EvalReport.compare(baseline, current)
      assert.deepStrictEqual(deltas.map((d) => d.name), ["exactMatch", "short"])
      for (const d of deltas) assert.closeTo(d.delta!, -0.25, 1e-12)
    }))

  it.scoped("past maxCases every case goes to a JSONL file and the report keeps the summaries", () =>
    Effect.gen(function*() {
      const dir = yield* tmpDir
      const suite = Eval.make({
        name: "Spill Me",
        data: Array.from({ length: 25 }, (_, i) => ({ input: i, expected: i % 2 === 0 ? i : -1 })),
        task: (n: number) => n,
        scorers: [Scorers.exactMatch]
      })
      const report = yield* Eval.run(suite, { maxCases: 10, outputDir: dir })
      assert.deepStrictEqual(report.cases, [])
      assert.isDefined(report.casesFile)
      assert.match(report.casesFile!, /spill-me-.*\.cases\.jsonl$/)
      const lines = Fs.readFileSync(report.casesFile!, "utf8").trimEnd().split("\n")
      assert.strictEqual(lines.length, 25)
      const decode = Schema.decodeUnknownSync(Schema.parseJson(EvalReport.CaseResult))
      const indices = lines.map((line) => decode(line).index).sort((a, b) => a - b)
      assert.deepStrictEqual(indices, Array.from({ length: 25 }, (_, i) => i))
      assert.strictEqual(report.scorers[0].count, 25)
      assert.closeTo(report.scorers[0].mean!, 13 / 25, 1e-12)

      const small = yield* Eval.run(suite, { maxCases: 100, outputDir: dir })
      assert.strictEqual(small.cases.length, 25)
      assert.isUndefined(small.casesFile)

      const asked = Path.join(dir, "asked.jsonl")
      const streamed = yield* Eval.run(suite, { casesFile: asked })
      assert.strictEqual(streamed.casesFile, asked)
      assert.strictEqual(Fs.readFileSync(asked, "utf8").trimEnd().split("\n").length, 25)
    }).pipe(Effect.provide(NodeContext.layer)))
})

describe("the cases file", () => {
  const spillSuite = Eval.make({
    name: "spill",
    data: Array.from({ length: 25 }, (_, i) => ({ input: `é${i}😀`, expected: `é${i}😀` })),
    task: (s: string) => s,
    scorers: [Scorers.exactMatch]
  })

  it.effect("without a FileSystem in the context, a run past maxCases keeps the first maxCases and says why", () =>
    Effect.gen(function*() {
      const report = yield* Eval.run(spillSuite, { maxCases: 10 })
      assert.strictEqual(report.cases.length, 10)
      assert.isUndefined(report.casesFile)
      assert.strictEqual(report.totals.cases, 25, "the summaries count every case")
      assert.strictEqual(report.scorers[0].count, 25)
      assert.include(report.warnings?.[0] ?? "", "no FileSystem and Path in the context")
      assert.include(report.warnings?.[1] ?? "", "cases past the first 10 are not kept")
    }))

  it.effect("readCases gives every case, from memory or read back from the file, in order", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* fs.makeTempDirectoryScoped()
      const inMemory = yield* Eval.run(spillSuite)
      const spilled = yield* Eval.run(spillSuite, { maxCases: 10, outputDir: dir })
      assert.isDefined(spilled.casesFile)
      const fromMemory = Chunk.toReadonlyArray(yield* Stream.runCollect(EvalReport.readCases(inMemory)))
      const fromFile = Chunk.toReadonlyArray(yield* Stream.runCollect(EvalReport.readCases(spilled)))
      assert.deepStrictEqual(fromFile.map((c) => [c.index, c.input]), fromMemory.map((c) => [c.index, c.input]))
    }).pipe(Effect.scoped, Effect.provide(NodeContext.layer)))

  it.effect("readCases fails with UnreadableCasesFile, naming the line, on a line that is not JSON", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* fs.makeTempDirectoryScoped()
      const spilled = yield* Eval.run(spillSuite, { casesFile: Path.join(dir, "cases.jsonl") })
      yield* fs.writeFileString(spilled.casesFile!, "\n{not json\n", { flag: "a" })
      const error = yield* Effect.flip(Stream.runDrain(EvalReport.readCases(spilled)))
      assert.strictEqual(error._tag, "UnreadableCasesFile")
      assert.strictEqual(error.line, 27)
      assert.include(error.message, spilled.casesFile!)
      const missing = yield* Effect.flip(Stream.runDrain(EvalReport.readCases({ ...spilled, casesFile: dir + "/x" })))
      assert.isUndefined(missing.line)
    }).pipe(Effect.scoped, Effect.provide(NodeContext.layer)))
})

describe("Reporter", () => {
  it.scoped("an interrupted run still writes its partial report, marked interrupted, for every reporter", () =>
    Effect.gen(function*() {
      const dir = yield* tmpDir
      const stuck = yield* Deferred.make<void>()
      const suite = Eval.make({
        name: "interrupted",
        data: Array.from({ length: 10 }, (_, i) => ({ input: i, expected: i })),
        concurrency: 1,
        task: (n: number) => n < 3 ? n : Effect.zipRight(Deferred.succeed(stuck, undefined), Effect.never),
        scorers: [Scorers.exactMatch]
      })
      const files = ["report.json", "junit.xml", "report.html"].map((name) => Path.join(dir, name))
      const fiber = yield* Effect.fork(Eval.run(suite, {
        reporters: [Reporter.json(files[0]), Reporter.junit(files[1]), Reporter.html(files[2])]
      }))
      yield* Deferred.await(stuck)
      assert.isTrue(Exit.isInterrupted(yield* Fiber.interrupt(fiber)))
      const report = yield* EvalReport.fromJson(Fs.readFileSync(files[0], "utf8"))
      assert.isTrue(report.interrupted)
      assert.isFalse(report.passed)
      assert.strictEqual(report.totals.cases, 4, "three finished, one in flight")
      assert.deepStrictEqual(report.cases[3].errors.map((e) => e.source), ["interrupted"])
      for (const file of files.slice(1)) assert.isTrue(Fs.existsSync(file), file)
      const xml = Fs.readFileSync(files[1], "utf8")
      assert.include(xml, `name="interrupted" time="0">\n      <failure type="interrupted"`)
      assert.notInclude(xml, `name="#3"`, "a case stopped in flight is not an errored case")
    }).pipe(Effect.provide(NodeContext.layer)))
})

describe("JUnitReport", () => {
  const counts = (xml: string) =>
    /<testsuite name="[^"]*" tests="(\d+)" failures="(\d+)" errors="(\d+)" skipped="(\d+)"/.exec(xml)!.slice(1).map(
      Number
    )

  it.effect("a test case per threshold, per errored case and per other failing reason: its failures fail the run", () =>
    Effect.gen(function*() {
      const report = yield* Eval.run(mixed)
      const xml = JUnitReport.render(report)
      assert.match(xml, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites /)
      assert.include(xml, `<testsuite name="mixed &lt;&amp;&gt; suite"`)
      // the exactMatch threshold (threshold mean 1/4 < 0.5), "boom" errored, and errors over the max: 3 failing
      assert.deepStrictEqual(counts(xml), [3, 3, 0, 0])
      assert.strictEqual(xml.match(/<testcase /g)!.length, 3)
      assert.include(
        xml,
        `name="exactMatch threshold mean &gt;= 0.5" time="0">\n      <failure type="threshold" ` +
          `message="exactMatch: threshold mean 0.250, mean 0.333, threshold 0.5"`
      )
      assert.include(xml, `<failure type="task" message="task: task &lt;exploded&gt; &amp; died"`)
      assert.include(xml, `classname="mixed &lt;&amp;&gt; suite.verdict" name="errors"`)
      assert.include(xml, `<property name="exactMatch.thresholdMean" value="0.250"/>`)
      assert.notInclude(xml, `name="#0 first"`, "no per-case test case for a case that did not error")
      assert.notInclude(xml, "<script>")
    }))

  it.effect("agrees with a passing run: errored cases allowed by maxErrors are skipped, not failed", () =>
    Effect.gen(function*() {
      const report = yield* Eval.run(Eval.make({ ...mixedOptions, thresholds: { exactMatch: 0.25 }, maxErrors: 1 }))
      assert.isTrue(report.passed)
      const xml = JUnitReport.render(report)
      assert.deepStrictEqual(counts(xml), [2, 0, 0, 1])
      assert.include(xml, `<skipped message="errored, allowed by maxErrors: task: task &lt;exploded&gt; &amp; died"/>`)
    }))

  it.scoped("writes the same XML from a report whose cases went to a file", () =>
    Effect.gen(function*() {
      const dir = yield* tmpDir
      const inMemory = yield* Eval.run(mixed)
      const spilled = yield* Eval.run(mixed, { casesFile: Path.join(dir, "cases.jsonl") })
      yield* JUnitReport.write(spilled, Path.join(dir, "junit.xml"))
      const fromFile = Fs.readFileSync(Path.join(dir, "junit.xml"), "utf8")
      assert.deepStrictEqual(counts(fromFile), counts(JUnitReport.render(inMemory)))
      assert.strictEqual(fromFile.match(/<testcase /g)!.length, 3)
      assert.include(fromFile, `<failure type="task"`)
    }).pipe(Effect.provide(NodeContext.layer)))
})

describe("HtmlReport", () => {
  it.effect("is one self-contained page with every value escaped", () =>
    Effect.gen(function*() {
      const report = yield* Eval.run(mixed)
      const html = HtmlReport.render(report)
      assert.match(html, /^<!doctype html>/)
      // the page's own two: the embedded data and the bundled script; the output's is JSON text in the data
      assert.strictEqual(html.match(/<script/gi)?.length, 2)
      assert.include(html, "\\u003cSCRIPT>ALERT(1)\\u003c/SCRIPT>")
      assert.include(html, "task &lt;exploded&gt; &amp; died")
      assert.notMatch(html, /(src|href)=/, "no external assets")
      assert.include(html, "mixed &lt;&amp;&gt; suite")
    }))
})

describe("Reporter", () => {
  it.scoped("writes the JSON, JUnit and HTML files and prints the summary", () =>
    Effect.gen(function*() {
      const dir = yield* tmpDir
      let printed = ""
      const report = yield* Eval.run(mixed, {
        reporters: [
          Reporter.json(Path.join(dir, "out/report.json")),
          Reporter.junit(Path.join(dir, "out/junit.xml")),
          Reporter.html(Path.join(dir, "out/report.html")),
          Reporter.terminal({ write: (text) => void (printed += text), tty: false, color: false })
        ]
      })
      const decoded = yield* EvalReport.fromJson(Fs.readFileSync(Path.join(dir, "out/report.json"), "utf8"))
      expect(decoded).toEqual(report)
      assert.include(Fs.readFileSync(Path.join(dir, "out/junit.xml"), "utf8"), "<testsuites")
      assert.include(Fs.readFileSync(Path.join(dir, "out/report.html"), "utf8"), "<!doctype html>")
      assert.strictEqual(
        printed.split("\n")[0],
        "mixed <&> suite: FAILED: 1 of 4 cases errored (max 0): task: task <exploded> & died"
      )
      assert.strictEqual(
        printed.split("\n")[1],
        "  and exactMatch: threshold mean 0.250 < 0.5 (mean 0.333 over 3 scored cases)"
      )
      assert.match(printed.split("\n")[2], /^ {2}4 cases, 1 errored, /)
      // mean, its interval, then the threshold mean the threshold is judged on
      assert.match(
        printed,
        /exactMatch\s+0\.333\s+0\.\d{3}–0\.\d{3}\s+0\.250\s+0\.000\s+1\.000\s+3\s+0\s+>= 0\.5\s+FAIL/
      )
      assert.match(printed, /worst exactMatch: #1 0\.000/)
    }).pipe(Effect.provide(NodeContext.layer)))

  it.effect("a failing reporter becomes a warning, not a failed run", () =>
    Effect.gen(function*() {
      const report = yield* Eval.run(mixed, { reporters: [{ onEnd: () => Effect.fail("disk full") }] })
      assert.strictEqual(report.totals.cases, 4)
      assert.strictEqual(report.warnings?.length, 1)
      assert.include(report.warnings![0], "disk full")
    }))
})
