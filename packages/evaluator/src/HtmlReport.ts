/**
 * A self-contained HTML page of a report: one file that opens from disk with no network. The verdict, totals, scorer
 * table, trials, baseline comparison and slowest cases are plain HTML; the cases are embedded as JSON and shown by
 * the page's own bundled script (a virtualised list with sorting, filters, search and the state in the URL hash; one
 * case opened with its diff, scores and metadata). Every value is shown as text: an output containing `<script>`
 * never runs.
 *
 * @since 0.1.0
 */
import type { EvalReport, HeliconeSummary } from "./EvalReport.js"
import * as Figures from "./internal/report/figures.js"
import * as Page from "./internal/report/html/page.js"
import { caseLabel, plural } from "./internal/report/labels.js"
import type { OnUnwritable } from "./internal/report/text.js"
import * as Usage from "./internal/report/usage.js"

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

const num = (n: number | null | undefined): string => (n === null || n === undefined ? "–" : n.toFixed(3))

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
 * Renders the page with the report's in-memory cases. For a run whose cases went to a JSONL file (`casesFile`), the
 * page says so and lists none: `Reporter.html` streams them from the file into the page.
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
export const renderCounting = (report: EvalReport, onUnwritable: OnUnwritable | undefined): string =>
  Page.render(pageOptions(report), report.casesFile === undefined ? report.cases : [], onUnwritable)

/**
 * The page's parts around its cases, for a writer that streams them (`Reporter.html` with a cases file).
 *
 * @internal
 */
export const pageOptions = (report: EvalReport): Page.PageOptions => {
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
  const usage = report.usage === undefined ?
    "" :
    `<p class="usage">${Usage.lines(report.usage).map(escapeHtml).join("<br>")}</p>\n`
  const warnings = (report.warnings ?? []).map((w) => `<li class="fail">${escapeHtml(w)}</li>`).join("")
  const head = `<h1>${escapeHtml(report.name)} <span class="${report.passed ? "pass" : "fail"}">${status}</span></h1>
${verdictText(report)}
<p>${plural(report.totals.cases, "case")} (${report.trials} trial${
    report.trials === 1 ? "" : "s"
  } each), ${report.totals.errored} with errors, ${(report.timings.duration / 1000).toFixed(2)} s, started ${
    escapeHtml(report.timings.startedAt)
  }</p>
${helicone}${usage}${warnings === "" ? "" : `<ul>${warnings}</ul>`}
<h2>Scorers</h2>
<table class="scorers"><thead><tr><th>scorer</th><th>mean</th><th title="the mean's 95% interval, clustered by case">95% CI</th><th title="what a threshold is judged on: the threshold mean, where a case the scorer did not score counts as 0, or the lower bound of its interval">judged on</th><th>min</th><th>max</th><th>scored</th><th>errors</th><th>threshold</th><th></th></tr></thead><tbody>
${scorerRows}
</tbody></table>
${passAtKSection(report)}${baselineSection(report)}
<h2>Slowest cases</h2><ul>${slowest}</ul>
${report.casesFile === undefined ? "" : `<p>Every case is in <code>${escapeHtml(report.casesFile)}</code>.</p>`}`
  return { title: `${escapeHtml(report.name)} – eval report`, head, report }
}
