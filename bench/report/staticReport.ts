/**
 * The static HTML report as it was before the interactive page (commit 1346f0a of packages/evaluator/src/HtmlReport.ts),
 * kept here unchanged as the baseline of bench/report. It shows at most 10,000 case rows.
 */
import type { CaseResult, EvalReport, HeliconeSummary } from "../../packages/evaluator/src/EvalReport.js"
import * as Figures from "../../packages/evaluator/src/internal/report/figures.js"
import { caseLabel, plural } from "../../packages/evaluator/src/internal/report/labels.js"
import { type OnUnwritable, safeStringify } from "../../packages/evaluator/src/internal/report/text.js"

/**
 * Escapes text for HTML element content and attribute values.
 *
 * @since 0.1.0
 * @category rendering
 */
export const escapeHtml = (text: string): string =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(
    /'/g,
    "&#39;"
  )

const maxValueLength = 4000
const maxRows = 10_000

const value = (u: unknown, onUnwritable: OnUnwritable | undefined): string => {
  if (u === undefined) return ""
  const text = typeof u === "string" ? u : safeStringify(u, 2, onUnwritable)
  return escapeHtml(text.length > maxValueLength ? `${text.slice(0, maxValueLength)}…` : text)
}

const num = (n: number | null | undefined): string => (n === null || n === undefined ? "–" : n.toFixed(3))

const style = `
body{font:14px/1.4 system-ui,sans-serif;margin:2rem;color:#222}
h1{font-size:1.4rem}table{border-collapse:collapse;margin:1rem 0}
th,td{border:1px solid #ddd;padding:.3rem .6rem;text-align:left;vertical-align:top}
th{background:#f5f5f5}.pass{color:#17803d}.fail{color:#c62828;font-weight:600}
pre{margin:0;white-space:pre-wrap;word-break:break-word;max-width:40rem}.muted{color:#777}
`

const caseRow = (result: CaseResult, onUnwritable: OnUnwritable | undefined): string => {
  // where a value that could not be written is: `#3 output.items[0]`
  const at = (field: string): OnUnwritable | undefined =>
    onUnwritable === undefined ?
      undefined :
      (path, why) =>
        onUnwritable(`${caseLabel(result)} ${field}${path === "" || path.startsWith("[") ? path : `.${path}`}`, why)
  const scores = result.scores.map((s) => `${escapeHtml(s.name)}: ${s.boolean ? String(s.score === 1) : num(s.score)}`)
  const errors = result.errors.map((e) => `${escapeHtml(e.scorer ?? e.source)}: ${escapeHtml(e.message)}`)
  return `<tr><td>${result.index}${result.trial > 0 ? `.${result.trial}` : ""}</td><td>${
    escapeHtml(result.name ?? "")
  }</td><td><pre>${value(result.input, at("input"))}</pre></td><td><pre>${
    value(result.output, at("output"))
  }</pre></td><td><pre>${value(result.expected, at("expected"))}</pre></td><td>${
    scores.join("<br>")
  }</td><td class="fail">${errors.join("<br>")}</td><td>${Math.round(result.duration)} ms</td><td class="muted">${
    escapeHtml(result.requestId)
  }</td></tr>`
}

const heliconeText = (h: HeliconeSummary): string => {
  const bad = (n: number, text: string) => (n === 0 ? `0 ${text}` : `<span class="fail">${n} ${text}</span>`)
  const failures = h.failures.slice(0, 3).map((f) =>
    `<br><span class="muted">${escapeHtml(`${caseLabel(f)} ${f.requestId}: ${f.error}: ${f.message}`)}</span>`
  ).join("")
  if (h.delivery === "queue") {
    const outbox = h.outbox ?? 0
    return `${h.submitted} queued, ${h.delivered ?? 0} delivered, ${
      outbox === 0 ? "0 in the outbox" : `${outbox} in the outbox (replayed by a later run)`
    }, ${bad(h.deadLettered ?? 0, "dead-lettered")}${
      h.failed === 0 ? "" : `, ${bad(h.failed, "failed")}`
    }, ${h.skipped} skipped${failures}`
  }
  return `${h.submitted} submitted, ${bad(h.failed, "failed")}, ${h.skipped} skipped${failures}`
}

/** The verdict, its reason first: `<p class="verdict fail">FAILED: 3 of 3 cases errored (max 0)</p>`. */
const verdictText = (report: EvalReport): string => {
  const [first, ...more] = report.verdict.reasons
  if (first === undefined) return `<p class="verdict pass">PASSED</p>`
  const rest = more.length === 0
    ? ""
    : `<ul>${more.map((r) => `<li class="fail">${escapeHtml(r.message)}</li>`).join("")}</ul>`
  return `<p class="verdict fail">FAILED: ${escapeHtml(first.message)}</p>${rest}`
}

const passAtKSection = (report: EvalReport): string => {
  const rows = report.scorers.flatMap((s) => {
    const p = s.passAtK
    if (p === undefined) return []
    const flaky = p.flaky.map((c) =>
      `${escapeHtml(caseLabel({ index: c.index, trial: 0, name: c.name }))} ${c.passes}/${c.trials}`
    )
    return [
      `<tr><td>${escapeHtml(s.name)}</td><td>${num(p.passAtK.mean)} <span class="muted">${
        Figures.bounds(p.passAtK)
      }</span></td><td>${num(p.passHatK.mean)} <span class="muted">${
        Figures.bounds(p.passHatK)
      }</span></td><td>${p.flakyCount}</td><td>${flaky.join(", ")}${p.flakyCount > flaky.length ? ", …" : ""}</td></tr>`
    ]
  })
  if (rows.length === 0) return ""
  const k = report.scorers.find((s) => s.passAtK !== undefined)!.passAtK!.k
  return `<h2>Trials</h2>
<table><thead><tr><th>scorer</th><th>pass@${k}</th><th>pass^${k}</th><th>flaky cases</th><th>passes of trials</th></tr></thead><tbody>
${rows.join("\n")}
</tbody></table>
`
}

const baselineSection = (report: EvalReport): string => {
  const b = report.baseline
  if (b === undefined) return ""
  const rows = b.scorers.map((s) => {
    const c = s.comparison
    const cls = s.verdict === "regressed" ? "fail" : s.verdict === "improved" ? "pass" : ""
    return `<tr><td>${escapeHtml(s.name)}</td><td>${num(c.baselineMean)}</td><td>${num(c.currentMean)}</td><td>${
      Figures.signed(c.difference)
    } <span class="muted">${Figures.differenceBounds(c)}</span></td><td>${
      Figures.pValue(s.adjustedPValue)
    }</td><td class="${cls}">${Figures.verdict(s.verdict)}</td><td>${
      num(c.minimumDetectableEffect)
    }</td><td>${s.passToFail}</td><td>${s.failToPass}</td></tr>`
  }).join("\n")
  const drops = b.scorers.flatMap((s) =>
    s.changes.largestDrops.length === 0 ? [] : [
      `<li>${escapeHtml(s.name)}: ${
        s.changes.largestDrops.map((d) =>
          `${escapeHtml(caseLabel({ index: d.index, trial: 0, name: d.name }))} ${num(d.baseline)} → ${num(d.current)}`
        ).join(", ")
      }</li>`
    ]
  ).join("")
  return `<h2>Against the baseline</h2>
<p>${escapeHtml(b.name)} of ${escapeHtml(b.startedAt)}${b.path === undefined ? "" : ` (${escapeHtml(b.path)})`}: ${
    plural(b.matched, "case")
  } matched, ${b.onlyBaseline} only in the baseline, ${b.onlyCurrent} only in this run${
    b.matched === 0 ? ` <span class="fail">— no common cases, nothing to compare</span>` : ""
  }</p>
<table><thead><tr><th>scorer</th><th>baseline</th><th>now</th><th>difference, 95% CI</th><th title="Holm-adjusted across the scorers">p</th><th>verdict</th><th title="minimum detectable effect at 80% power">MDE</th><th>pass→fail</th><th>fail→pass</th></tr></thead><tbody>
${rows}
</tbody></table>
${drops === "" ? "" : `<p>Largest drops:</p><ul>${drops}</ul>`}
`
}

/**
 * Renders the page. Cases come from the report (the first 10,000); for a run whose cases went to a JSONL file the
 * page shows the summaries, the notable cases and the file's path.
 *
 * @since 0.1.0
 * @category rendering
 */
export const render = (report: EvalReport): string => renderCounting(report, undefined)

/**
 * {@link render}, telling `onUnwritable` of each value that could not be written as JSON (shown as a note instead).
 *
 * @internal
 */
export const renderCounting = (report: EvalReport, onUnwritable: OnUnwritable | undefined): string => {
  const status = report.interrupted ? "interrupted" : report.passed ? "passed" : "failed"
  const scorerRows = report.scorers.map((s) =>
    `<tr><td>${escapeHtml(s.name)}</td><td>${num(s.mean)}</td><td>${Figures.bounds(s.interval)}</td><td>${
      s.threshold === undefined ? "" : num(Figures.judged(s))
    }</td><td>${num(s.min)}</td><td>${num(s.max)}</td><td>${s.count}</td><td>${s.errors}</td><td>${
      s.threshold === undefined ? "" : `&ge; ${s.threshold}${s.thresholdOn === "lower" ? " (lower bound)" : ""}`
    }</td><td class="${s.passed === false ? "fail" : "pass"}">${
      s.passed === undefined ? "" : s.passed ? "pass" : "FAIL"
    }</td></tr>`
  ).join("\n")
  const slowest = report.timings.slowest.map((ref) =>
    `<li>${escapeHtml(caseLabel(ref))} – ${Math.round(ref.duration)} ms <span class="muted">${
      escapeHtml(ref.requestId)
    }</span></li>`
  ).join("")
  const helicone = report.helicone === undefined ? "" : `<p>Helicone: ${heliconeText(report.helicone)}</p>`
  const shown = report.cases.slice(0, maxRows)
  const cases = report.casesFile !== undefined ?
    `<p>Every case is in <code>${escapeHtml(report.casesFile)}</code>.</p>` :
    `<table><thead><tr><th>#</th><th>name</th><th>input</th><th>output</th><th>expected</th><th>scores</th><th>errors</th><th>time</th><th>request id</th></tr></thead><tbody>
${shown.map((result) => caseRow(result, onUnwritable)).join("\n")}
</tbody></table>${
      report.cases.length > shown.length
        ? `<p class="muted">${report.cases.length - shown.length} more not shown</p>`
        : ""
    }`
  const warnings = (report.warnings ?? []).map((w) => `<li class="fail">${escapeHtml(w)}</li>`).join("")
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(report.name)} – eval report</title><style>${style}</style></head><body>
<h1>${escapeHtml(report.name)} <span class="${report.passed ? "pass" : "fail"}">${status}</span></h1>
${verdictText(report)}
<p>${plural(report.totals.cases, "case")} (${report.trials} trial${
    report.trials === 1 ? "" : "s"
  } each), ${report.totals.errored} with errors, ${(report.timings.duration / 1000).toFixed(2)} s, started ${
    escapeHtml(report.timings.startedAt)
  }</p>
${helicone}${warnings === "" ? "" : `<ul>${warnings}</ul>`}
<h2>Scorers</h2>
<table><thead><tr><th>scorer</th><th>mean</th><th title="the mean's 95% interval, clustered by case">95% CI</th><th title="what a threshold is judged on: the threshold mean, where a case the scorer did not score counts as 0, or the lower bound of its interval">judged on</th><th>min</th><th>max</th><th>scored</th><th>errors</th><th>threshold</th><th></th></tr></thead><tbody>
${scorerRows}
</tbody></table>
${passAtKSection(report)}${baselineSection(report)}
<h2>Slowest cases</h2><ul>${slowest}</ul>
<h2>Cases</h2>
${cases}
</body></html>
`
}
