/**
 * A markdown summary of one or more runs, for a pull-request comment or a GitHub job summary
 * (`$GITHUB_STEP_SUMMARY`), judged as the run is (the report's `verdict`), so it agrees with the exit code:
 * - a heading per suite with its status, and the reasons it failed first;
 * - one table row per scorer: the mean and its 95% interval, the value a threshold is judged on, the threshold and its
 *   result, and against a baseline its mean, the difference with its interval and the verdict;
 * - then the worst regressions against the baseline, the flaky cases, the errored cases, the worst-scored cases and
 *   Helicone's delivery, and the totals of the run's model calls (calls, tokens, cost, cache, time waited).
 *
 * It stays under GitHub's 65,536-character limit for a comment: past `maxLength` the details of each suite go first,
 * then its lines, and a note at the end says what was left out. Text from the run (names, error messages) is escaped,
 * so a case's output cannot break the table or inject markup.
 *
 * @since 0.1.0
 */
import type { EvalReport } from "./EvalReport.js"
import * as Figures from "./internal/report/figures.js"
import { caseLabel } from "./internal/report/labels.js"
import * as Usage from "./internal/report/usage.js"

/**
 * GitHub's limit on a comment's body, in characters.
 *
 * @since 0.1.0
 * @category constants
 */
export const githubCommentLimit = 65_536

/**
 * @since 0.1.0
 * @category models
 */
export interface RenderOptions {
  /** The longest the text may be, in characters (default {@link githubCommentLimit}). */
  readonly maxLength?: number | undefined
  /** Where the full report is, named in the truncation note (`reports/eval.json`). */
  readonly fullReport?: string | undefined
}

/**
 * Escapes text for a markdown table cell or line: no line breaks, no `|`, no HTML, no emphasis or links.
 *
 * @since 0.1.0
 * @category rendering
 */
export const escapeMarkdown = (text: string): string =>
  text
    .replace(/\s+/g, " ")
    .trim()
    .replace(/[\\`*_{}[\]|~]/g, (c) => `\\${c}`)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")

const clip = (text: string, length: number): string => (text.length > length ? `${text.slice(0, length - 1)}…` : text)

const fixed = (n: number | null | undefined): string => (n === null || n === undefined ? "–" : n.toFixed(3))

const plural = (count: number, noun: string): string =>
  `${count.toLocaleString("en-US")} ${noun}${count === 1 ? "" : "s"}`

/** How many errored cases each suite lists. */
const shownErrors = 10

interface Section {
  /** The heading, the reasons and the scorer table: kept first when the text must be cut. */
  readonly core: ReadonlyArray<string>
  /** The lists of cases: cut before any suite's core. */
  readonly details: ReadonlyArray<string>
}

const section = (report: EvalReport): Section => {
  const core: Array<string> = []
  const status = report.interrupted ? "⚠️ interrupted" : report.passed ? "✅ passed" : "❌ failed"
  core.push(`### ${escapeMarkdown(report.name)}: ${status}`, "")
  const reasons = report.verdict.reasons.filter((reason) => !(report.interrupted && reason.kind === "interrupted"))
  for (const reason of reasons) core.push(`- **${escapeMarkdown(clip(reason.message, 300))}**`)
  if (reasons.length > 0) core.push("")
  const { totals, timings } = report
  core.push(
    `${plural(totals.cases, "case")}, ${totals.errored.toLocaleString("en-US")} errored` +
      (totals.interrupted === undefined ? "" : ` (${totals.interrupted.toLocaleString("en-US")} stopped in flight)`) +
      `, ${(timings.duration / 1000).toFixed(1)} s`,
    ""
  )
  const baseline = report.baseline
  if (baseline !== undefined) {
    core.push(
      `Against the baseline ${escapeMarkdown(baseline.name)} of ${escapeMarkdown(baseline.startedAt)}: ${
        plural(baseline.matched, "case")
      } matched, ${baseline.onlyBaseline.toLocaleString("en-US")} only in the baseline, ${
        baseline.onlyCurrent.toLocaleString("en-US")
      } only in this run${baseline.matched === 0 ? " — **no common cases**, nothing to compare" : ""}.`,
      ""
    )
  }
  if (report.scorers.length > 0) {
    // `judged on` is what a threshold is judged on: the threshold mean (a case the scorer did not score counts as 0)
    // or, with `on: "lower"`, its interval's lower bound
    const compared = new Map((baseline?.scorers ?? []).map((c) => [c.name, c]))
    core.push(
      `| scorer | mean | 95% CI | judged on | threshold | result | scored | errors |${
        baseline === undefined ? "" : " baseline | difference (95% CI) | verdict |"
      }`
    )
    core.push(
      `| --- | ---: | ---: | ---: | ---: | --- | ---: | ---: |${baseline === undefined ? "" : " ---: | ---: | --- |"}`
    )
    for (const s of report.scorers) {
      const judged = s.threshold === undefined ? "" : fixed(Figures.judged(s))
      const threshold = s.threshold === undefined
        ? ""
        : `≥ ${s.threshold}${s.thresholdOn === "lower" ? " (lower bound)" : ""}`
      const result = s.passed === undefined ? "" : s.passed ? "pass" : "**FAIL**"
      const c = compared.get(s.name)
      const against = baseline === undefined ?
        "" :
        c === undefined ?
        " | | |" :
        ` ${fixed(c.comparison.baselineMean)} | ${Figures.signed(c.comparison.difference, "–")}${
          c.comparison.lower === null ? "" : ` (${Figures.differenceBounds(c.comparison)})`
        } | ${c.verdict === "regressed" ? "**regressed**" : Figures.verdict(c.verdict)} |`
      core.push(
        `| ${escapeMarkdown(s.name)} | ${fixed(s.mean)} | ${
          Figures.bounds(s.interval)
        } | ${judged} | ${threshold} | ${result} | ${s.count} | ${s.errors} |${against}`
      )
    }
    core.push("")
  }
  if (report.helicone !== undefined) {
    const h = report.helicone
    core.push(
      h.delivery === "queue"
        ? `Helicone: ${h.submitted} queued, ${h.delivered ?? 0} delivered, ${h.outbox ?? 0} in outbox, ` +
          `${h.deadLettered ?? 0} dead-lettered${h.failed > 0 ? `, ${h.failed} failed` : ""}`
        : `Helicone: ${h.submitted} submitted, ${h.failed} failed${h.skipped > 0 ? `, ${h.skipped} skipped` : ""}`,
      ""
    )
  }

  if (report.usage !== undefined) core.push(Usage.lines(report.usage).join("; "), "")

  const details: Array<string> = []
  for (const c of baseline?.scorers ?? []) {
    const drops = c.changes.largestDrops
    if (c.verdict === "no-common-cases" || (drops.length === 0 && c.passToFail === 0)) continue
    details.push(
      `**Worst regressions of ${escapeMarkdown(c.name)}** (${plural(c.passToFail, "case")} from pass to fail, ${
        plural(c.failToPass, "case")
      } from fail to pass):`,
      ""
    )
    for (const d of drops.slice(0, shownErrors)) {
      details.push(
        `- ${escapeMarkdown(caseLabel({ index: d.index, trial: 0, name: d.name }))}: ${fixed(d.baseline)} → ${
          fixed(d.current)
        }`
      )
    }
    details.push("")
  }
  for (const s of report.scorers) {
    const p = s.passAtK
    if (p === undefined || p.flakyCount === 0) continue
    details.push(
      `**Flaky ${escapeMarkdown(s.name)}** (${plural(p.flakyCount, "case")} whose trials disagree; pass@${p.k} ${
        fixed(p.passAtK.mean)
      }, pass^${p.k} ${fixed(p.passHatK.mean)}): ${
        p.flaky.slice(0, shownErrors).map((c) =>
          `${escapeMarkdown(caseLabel({ index: c.index, trial: 0, name: c.name }))} ${c.passes}/${c.trials}`
        ).join(", ")
      }${p.flakyCount > Math.min(p.flaky.length, shownErrors) ? ", …" : ""}`,
      ""
    )
  }
  const errored = report.cases.filter((result) => result.errors.length > 0)
  if (totals.errored > 0) {
    details.push(`**Errored cases** (${totals.errored}):`, "")
    for (const result of errored.slice(0, shownErrors)) {
      const error = result.errors[0]
      details.push(
        `- ${escapeMarkdown(caseLabel(result))}: ${escapeMarkdown(error.scorer ?? error.source)}: ${
          escapeMarkdown(clip(error.message, 200))
        }`
      )
    }
    const more = totals.errored - Math.min(errored.length, shownErrors)
    if (more > 0) details.push(`- … ${more} more`)
    details.push("")
  }
  for (const s of report.scorers) {
    const worst = s.worst.filter((ref) => ref.score !== undefined && ref.score < 1)
    if (worst.length === 0) continue
    details.push(
      `Worst ${escapeMarkdown(s.name)}: ${
        worst.map((ref) => `${escapeMarkdown(caseLabel(ref))} ${fixed(ref.score)}`).join(", ")
      }`,
      ""
    )
  }
  for (const warning of report.warnings ?? []) details.push(`> warning: ${escapeMarkdown(clip(warning, 300))}`, "")
  return { core, details }
}

/** Adds lines while they fit in `room` characters (each with its newline); returns how many fit. */
const fill = (out: Array<string>, lines: ReadonlyArray<string>, room: { left: number }): number => {
  let taken = 0
  for (const line of lines) {
    if (line.length + 1 > room.left) break
    out.push(line)
    room.left -= line.length + 1
    taken++
  }
  return taken
}

/**
 * Renders the summary of the runs of one `helicone-eval` invocation (or one `Eval.run`).
 *
 * @since 0.1.0
 * @category rendering
 */
export const render = (
  reports: ReadonlyArray<EvalReport>,
  options: RenderOptions = {}
): string => {
  const maxLength = options.maxLength ?? githubCommentLimit
  const passed = reports.filter((report) => report.passed).length
  const head = reports.length === 1
    ? [`## helicone-eval: ${reports[0].passed ? "passed" : "failed"}`, ""]
    : [`## helicone-eval: ${passed}/${reports.length} suites passed`, ""]
  const sections = reports.map(section)
  const whole = [...head, ...sections.flatMap((s) => [...s.core, ...s.details])]
  const text = whole.join("\n") + "\n"
  if (text.length <= maxLength) return text

  const note = (left: number) =>
    `> Truncated to stay under ${maxLength.toLocaleString("en-US")} characters: ${
      left.toLocaleString("en-US")
    } lines left out${
      options.fullReport === undefined ? "" : `; the full report is ${escapeMarkdown(options.fullReport)}`
    }.`
  // room for the note, whatever number it ends up with
  const room = { left: maxLength - note(whole.length).length - 1 }
  const out: Array<string> = []
  let kept = fill(out, head, room)
  // every suite's heading and table first, then the lists of cases while they fit
  const cores: Array<Array<string>> = sections.map(() => [])
  for (const [i, s] of sections.entries()) kept += fill(cores[i], s.core, room)
  const details: Array<Array<string>> = sections.map(() => [])
  for (const [i, s] of sections.entries()) kept += fill(details[i], s.details, room)
  for (const [i] of sections.entries()) out.push(...cores[i], ...details[i])
  out.push(note(whole.length - kept))
  return out.join("\n") + "\n"
}
