import { NodeContext } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { Eval, MarkdownReport, Reporter, Scorers } from "../src/index.js"

const cases = (n: number) => Array.from({ length: n }, (_, i) => ({ input: i, expected: i }))

const tempDir = Effect.acquireRelease(
  Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), "helicone-eval-markdown-"))),
  (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
)

describe("MarkdownReport", () => {
  it.effect("a passing run: its status, and a row per scorer with the mean and the value a threshold is judged on", () =>
    Effect.gen(function*() {
      const report = yield* Eval.run(Eval.make({
        name: "capitals",
        data: cases(4),
        task: (n: number) => n,
        scorers: [Scorers.exactMatch],
        thresholds: { exactMatch: 0.75 }
      }))
      const text = MarkdownReport.render([report])
      const lines = text.split("\n")
      assert.strictEqual(lines[0], "## helicone-eval: passed")
      assert.strictEqual(lines[2], "### capitals: ✅ passed")
      assert.include(text, "| scorer | mean | 95% CI | judged on | threshold | result | scored | errors |")
      assert.match(text, /\| exactMatch \| 1\.000 \| 0\.\d{3}–1\.000 \| 1\.000 \| ≥ 0\.75 \| pass \| 4 \| 0 \|/)
    }))

  it.effect("a failing run says why first, and the errored cases come after the table; nothing in them is markup", () =>
    Effect.gen(function*() {
      const report = yield* Eval.run(Eval.make({
        name: "bot | <b>",
        data: cases(3),
        task: (n: number): number => {
          if (n === 0) throw new Error("| broken | <script>alert(1)</script> [x](http://evil) **")
          return n
        },
        scorers: [Scorers.exactMatch],
        maxErrors: 0
      }))
      const text = MarkdownReport.render([report])
      const lines = text.split("\n")
      assert.strictEqual(lines[0], "## helicone-eval: failed")
      assert.strictEqual(lines[2], "### bot \\| &lt;b&gt;: ❌ failed")
      assert.match(lines[4], /^- \*\*1 of 3 cases errored \(max 0\)/)
      assert.notInclude(text, "<script>")
      assert.notInclude(text, "[x](")
      const table = text.indexOf("| exactMatch |")
      const errors = text.indexOf("**Errored cases** (1):")
      assert.isTrue(table > 0 && errors > table, "the errored cases follow the table")
      // every table row has the header's 8 cells: an escaped | does not split a cell
      const row = lines.find((line) => line.startsWith("| exactMatch"))!
      assert.strictEqual(row.split(/(?<!\\)\|/).length - 2, 8)
    }))

  it.effect("several suites: a count in the heading; past the limit, every suite's table is kept and a note says so", () =>
    Effect.gen(function*() {
      const failing = (name: string) =>
        Eval.run(Eval.make({
          name,
          data: cases(300),
          task: (n: number): number => {
            throw new Error(`error number ${n} `.repeat(8))
          },
          scorers: [Scorers.exactMatch]
        }))
      const reports = [yield* failing("first"), yield* failing("second")]
      const whole = MarkdownReport.render(reports)
      assert.strictEqual(whole.split("\n")[0], "## helicone-eval: 0/2 suites passed")
      const maxLength = 1500
      assert.isAbove(whole.length, maxLength)
      const cut = MarkdownReport.render(reports, { maxLength, fullReport: "reports/eval.json" })
      assert.isAtMost(cut.length, maxLength)
      assert.include(cut, "### first: ❌ failed")
      assert.include(cut, "### second: ❌ failed")
      assert.include(cut, "| exactMatch | – |")
      assert.match(
        cut,
        /> Truncated to stay under 1,500 characters: \d+ lines left out; the full report is reports\/eval\.json\.\n$/
      )
      // GitHub's own limit, by default
      assert.isAtMost(MarkdownReport.render(Array.from({ length: 400 }, () => reports[0])).length, 65_536)
    }))

  it.scoped("Reporter.markdown writes the file, or appends to it as $GITHUB_STEP_SUMMARY expects", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = Path.join(dir, "summary", "eval.md")
      const suite = Eval.make({ name: "tiny", data: cases(1), task: (n: number) => n, scorers: [Scorers.exactMatch] })
      yield* Eval.run(suite, { reporters: [Reporter.markdown(file)] })
      const once = Fs.readFileSync(file, "utf8")
      assert.strictEqual(once.split("\n")[2], "### tiny: ✅ passed")
      yield* Eval.run(suite, { reporters: [Reporter.markdown(file, { append: true })] })
      // appended after the first run's summary (the second's duration may differ by a tenth of a second)
      const twice = Fs.readFileSync(file, "utf8")
      assert.isTrue(twice.startsWith(once))
      assert.strictEqual(twice.length, 2 * once.length)
      assert.strictEqual(twice.split("### tiny: ✅ passed").length, 3)
    }).pipe(Effect.provide(NodeContext.layer)))
})
