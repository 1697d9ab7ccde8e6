import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Eval, type EvalReport, HtmlReport, JUnitReport, Reporter, Scorers } from "../src/index.js"

// Two trials of three cases: one with a name, one whose task fails on every trial.
const suite = Eval.make({
  name: "labels",
  data: [
    { input: "a", expected: "A", name: "refund request" },
    { input: "b", expected: "B" },
    { input: "boom", expected: "?" }
  ],
  task: (text: string) => {
    if (text === "boom") throw new Error("the model\n  timed out")
    return text === "a" ? "A" : text
  },
  scorers: [Scorers.exactMatch],
  trials: 2
})

const printed = (report: EvalReport.EvalReport) =>
  Effect.gen(function*() {
    let text = ""
    const reporter = Reporter.terminal({ write: (chunk) => void (text += chunk), tty: false, color: false })
    yield* reporter.onEnd!(report)
    return text
  })

describe("case labels", () => {
  it.effect("a case reads the same in the terminal summary, the JUnit XML and the HTML page", () =>
    Effect.gen(function*() {
      const report = yield* Eval.run(suite)
      const slow = {
        ...report,
        timings: {
          ...report.timings,
          slowest: [{ index: 0, trial: 1, name: "refund request", requestId: "r", duration: 1200 }]
        }
      }
      assert.include(yield* printed(slow), "slowest: #0 refund request (trial 1) 1.2s")
      assert.include(yield* printed(report), "worst exactMatch: #1 0.000, #1 (trial 1) 0.000")
      const xml = JUnitReport.render(report)
      // JUnit has a test case for an errored case only: "boom" errored on both trials
      assert.include(xml, "name=\"#2 (trial 1)\"")
      assert.include(xml, "name=\"#2\"")
      assert.include(HtmlReport.render(slow), "<li>#0 refund request (trial 1) – 1200 ms")
    }))
})

describe("terminal summary", () => {
  it.effect("lists the first errored cases with their source and message, one line each", () =>
    Effect.gen(function*() {
      const report = yield* Eval.run(suite)
      const text = yield* printed(report)
      assert.include(
        text,
        "errors: 2 cases\n  #2 task: the model timed out\n  #2 (trial 1) task: the model timed out\n"
      )
    }))

  it.effect("says how many more errored cases there are, and where they are once the cases went to a file", () =>
    Effect.gen(function*() {
      const report = yield* Eval.run(suite)
      const many = { ...report, totals: { ...report.totals, errored: 7 } }
      assert.include(yield* printed(many), "  … 5 more\n")
      const spilled = { ...report, cases: [], casesFile: "/tmp/labels.cases.jsonl" }
      assert.include(yield* printed(spilled), "errors: 2 cases\n  … 2 more in /tmp/labels.cases.jsonl\n")
    }))

  it.effect("shows no slowest cases when every case took under 10 ms", () =>
    Effect.gen(function*() {
      const report = yield* Eval.run(suite)
      const fast = {
        ...report,
        timings: { ...report.timings, slowest: [{ index: 0, trial: 0, requestId: "r", duration: 9 }] }
      }
      assert.notInclude(yield* printed(fast), "slowest")
    }))
})

describe("HTML report", () => {
  it.effect("shows where queued scores went: delivered, in the outbox, dead-lettered", () =>
    Effect.gen(function*() {
      const report = yield* Eval.run(suite)
      const html = HtmlReport.render({
        ...report,
        helicone: {
          delivery: "queue",
          submitted: 6,
          failed: 0,
          skipped: 0,
          failures: [],
          delivered: 3,
          outbox: 2,
          deadLettered: 1
        }
      })
      assert.include(
        html,
        "Helicone: 6 queued, 3 delivered, 2 in the outbox (replayed by a later run), " +
          "<span class=\"fail\">1 dead-lettered</span>, 0 skipped"
      )
      const direct = HtmlReport.render({
        ...report,
        helicone: {
          submitted: 5,
          failed: 1,
          skipped: 0,
          failures: [{ index: 2, trial: 1, requestId: "r-2", error: "Unauthorized", message: "bad <key>" }]
        }
      })
      assert.include(direct, "Helicone: 5 submitted, <span class=\"fail\">1 failed</span>, 0 skipped")
      assert.include(direct, "#2 (trial 1) r-2: Unauthorized: bad &lt;key&gt;")
    }))
})
