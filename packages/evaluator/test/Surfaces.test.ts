import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Eval, HtmlReport, JUnitReport, MarkdownReport, Reporter, Scorers } from "../src/index.js"

// 60 cases, 2 trials; `bad` says which cases are answered wrongly, and every fifth case (from #1) is flaky
const data = Array.from({ length: 60 }, (_, i) => ({ input: `q${i}`, expected: `Q${i}` }))
const suite = (bad: number) =>
  Eval.make({
    name: "surfaces",
    data,
    task: (q: string, ctx: Eval.TaskContext) => {
      const i = Number(q.slice(1))
      return i % bad === 0 || (ctx.trial === 1 && i % 5 === 1) ? "x" : q.toUpperCase()
    },
    scorers: [Scorers.exactMatch],
    trials: 2,
    thresholds: { exactMatch: { min: 0.5, on: "lower" } }
  })

describe("every surface shows the interval, pass@k and the baseline comparison", () => {
  it.effect("terminal, markdown, HTML and JUnit", () =>
    Effect.gen(function*() {
      const baseline = yield* Eval.run(suite(10))
      const report = yield* Eval.run(suite(3), { baseline, failOnRegression: true })
      const s = report.scorers[0]
      const ci = `${s.interval!.lower!.toFixed(3)}–${s.interval!.upper!.toFixed(3)}`
      const c = report.baseline!.scorers[0].comparison
      const diff = `${c.lower!.toFixed(3)} to ${c.upper!.toFixed(3)}`

      const text = Reporter.summaryText(report)
      assert.match(text, new RegExp(`exactMatch\\s+0\\.600\\s+${ci}\\s+${s.thresholdValue!.toFixed(3)}\\s`))
      assert.include(text, "exactMatch: pass@2 0.667")
      assert.include(text, "8 flaky cases: #1 1/2")
      assert.match(text, new RegExp(`exactMatch\\s+0\\.800\\s+0\\.600\\s+-0\\.200\\s+${diff}\\s+\\S+\\s+regressed`))
      assert.include(text, "largest drops exactMatch: #3 1.000 → 0.000")

      const markdown = MarkdownReport.render([report])
      assert.include(
        markdown,
        `| exactMatch | 0.600 | ${ci} | ${s.thresholdValue!.toFixed(3)} | ≥ 0.5 (lower bound) | **FAIL** | 120 | 0 | ` +
          `0.800 | -0.200 (${diff}) | **regressed** |`
      )
      const regressions = markdown.indexOf("**Worst regressions of exactMatch** (18 cases from pass to fail")
      const flaky = markdown.indexOf("**Flaky exactMatch** (8 cases whose trials disagree")
      assert.isTrue(markdown.indexOf("| exactMatch |") < regressions && regressions < flaky)

      const html = HtmlReport.render(report)
      assert.include(html, `<td>0.600</td><td>${ci}</td>`)
      assert.include(html, "<h2>Against the baseline</h2>")
      assert.include(html, `<td class="fail">regressed</td>`)

      const xml = JUnitReport.render(report)
      assert.include(xml, `<property name="exactMatch.lower" value="${s.interval!.lower!.toFixed(3)}"/>`)
      assert.include(xml, `<property name="exactMatch.baseline.verdict" value="regressed"/>`)
      assert.include(xml, `name="regression"`)
    }))

  it.effect("the markdown stays under GitHub's limit with a baseline comparison in every suite", () =>
    Effect.gen(function*() {
      const baseline = yield* Eval.run(suite(10))
      const report = yield* Eval.run(suite(3), { baseline })
      const text = MarkdownReport.render(Array.from({ length: 300 }, () => report))
      assert.isAtMost(text.length, MarkdownReport.githubCommentLimit)
      assert.match(text, /> Truncated to stay under 65,536 characters/)
    }))
})
