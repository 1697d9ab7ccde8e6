/**
 * The terminal reporter: live progress, then the summary table.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import type { EvalReport } from "../../EvalReport.js"
import type { Progress, Reporter, RunInfo, TerminalOptions } from "../../Reporter.js"
import * as Figures from "./figures.js"
import { caseLabel, plural } from "./labels.js"
import * as Usage from "./usage.js"

export const make = (options: TerminalOptions): Reporter => {
  const progressOut = options.write ?? ((text: string) => void process.stderr.write(text))
  const summaryOut = options.write ?? ((text: string) => void process.stdout.write(text))
  const tty = options.tty ?? process.stderr.isTTY === true
  const interval = options.interval ?? (tty ? 100 : 10_000)
  // the summary's colours follow where the summary goes: stdout, unless `write` takes both
  const color = options.color ??
    ((options.write === undefined ? process.stdout.isTTY === true : tty) && (process.env.NO_COLOR ?? "") === "")
  return {
    onStart: (run) =>
      Effect.gen(function*() {
        // When the count of cases done last changed, for how long nothing has finished.
        let lastDone = 0
        let lastChange = 0
        const show = Effect.sync(() => {
          const progress = run.progress()
          if (progress.done !== lastDone) {
            lastDone = progress.done
            lastChange = progress.elapsed
          }
          const line = progressLine(run, progress, tty, progress.elapsed - lastChange)
          progressOut(tty ? `\r\x1b[2K${line}` : `${line}\n`)
        })
        yield* Effect.forkScoped(Effect.interruptible(Effect.repeat(Effect.delay(show, interval), Schedule.forever)))
        if (tty) yield* Effect.addFinalizer(() => Effect.zipRight(show, Effect.sync(() => progressOut("\n"))))
      }),
    onEnd: (report) => Effect.sync(() => summaryOut(summary(report, color)))
  }
}

const count = (n: number): string => Math.round(n).toLocaleString("en-US")

const seconds = (ms: number): string =>
  ms < 1000 ?
    `${Math.round(ms)}ms` :
    ms < 60_000 ?
    `${(ms / 1000).toFixed(1)}s` :
    `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`

/** How long, in milliseconds, the oldest case in flight must have run, and nothing finished, for progress to name it. */
const stalledAfter = 10_000

/** How many times the mean case time a case in flight must have run for progress to name it while others finish. */
const slowerThanMean = 10

/**
 * The cases in flight that have run the longest, when they look stuck: the oldest has run 10 s or more and no case
 * finished in the last 10 s (`idle`), or it has run more than 10 times the mean case time.
 */
const stalled = (progress: Progress, idle: number): string => {
  const running = progress.running
  if (running === undefined || running.length === 0 || running[0].elapsed < stalledAfter) return ""
  const mean = progress.meanDuration ?? 0
  if (idle < stalledAfter && !(mean > 0 && running[0].elapsed > slowerThanMean * mean)) return ""
  return ` · running longest: ${running.map((c) => `${caseLabel(c)} ${seconds(c.elapsed)}`).join(", ")}`
}

/** `idle`: milliseconds since a case last finished (or the run started). */
export const progressLine = (run: RunInfo, progress: Progress, bar: boolean, idle = 0): string => {
  const rate = progress.elapsed > 0 ? progress.done / (progress.elapsed / 1000) : 0
  const errored = progress.errored > 0 ? ` ${count(progress.errored)} errored` : ""
  const stuck = stalled(progress, idle)
  if (run.total === undefined || run.total === 0) {
    return `${run.name} ${count(progress.done)} cases${errored} ${count(rate)}/s ${seconds(progress.elapsed)}${stuck}`
  }
  const ratio = Math.min(1, progress.done / run.total)
  // An estimate from the rate so far says nothing while a case looks stuck: the run cannot end before it does.
  const eta = rate > 0 && stuck === "" ? seconds(((run.total - progress.done) / rate) * 1000) : "?"
  const width = 24
  const filled = Math.round(ratio * width)
  const graphic = bar ? `[${"█".repeat(filled)}${"░".repeat(width - filled)}] ` : ""
  return `${run.name} ${graphic}${count(progress.done)}/${count(run.total)} ${(ratio * 100).toFixed(0)}%${errored} ${
    count(rate)
  }/s ETA ${eta}${stuck}`
}

const fixed = (n: number | null | undefined): string => (n === null || n === undefined ? "-" : n.toFixed(3))

/** Below this, in milliseconds, no case is worth listing as slow. */
const slowEnough = 10

/** How many errored cases the summary lists. */
const shownErrors = 3

/** How many flaky cases, and largest drops against the baseline, the summary lists per scorer. */
const shownFlaky = 5

type Paint = (text: string) => string

/** The comparison with the baseline: which cases matched, then a row per scorer, then the largest drops. */
const baselineLines = (
  report: EvalReport,
  paint: { readonly red: Paint; readonly green: Paint; readonly dim: Paint }
): Array<string> => {
  const b = report.baseline!
  const lines = [
    `baseline ${b.name} of ${b.startedAt}: ${plural(b.matched, "case")} matched, ${count(b.onlyBaseline)} only in ` +
    `the baseline, ${count(b.onlyCurrent)} only in this run`
  ]
  if (b.matched === 0) lines.push(paint.red("  no common cases: nothing to compare"))
  const rows: Array<Array<string>> = [[
    "  scorer",
    "baseline",
    "now",
    "diff",
    "95% CI",
    "p (Holm)",
    "verdict",
    "MDE",
    "pass→fail",
    "fail→pass"
  ]]
  // the verdict column's colour, per row: painted once padded, so that widths count the text only
  const verdictPaint: Array<Paint> = [paint.dim]
  for (const s of b.scorers) {
    const c = s.comparison
    verdictPaint.push(s.verdict === "regressed" ? paint.red : s.verdict === "improved" ? paint.green : (t) => t)
    rows.push([
      `  ${s.name}`,
      fixed(c.baselineMean),
      fixed(c.currentMean),
      Figures.signed(c.difference),
      Figures.differenceBounds(c),
      Figures.pValue(s.adjustedPValue),
      Figures.verdict(s.verdict),
      fixed(c.minimumDetectableEffect),
      count(s.passToFail),
      count(s.failToPass)
    ])
  }
  if (b.matched > 0) {
    const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)))
    for (const [r, row] of rows.entries()) {
      const cells = row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c])))
      if (r === 0) lines.push(paint.dim(cells.join("  ")))
      else {
        cells[6] = verdictPaint[r](cells[6])
        lines.push(cells.join("  "))
      }
    }
  }
  for (const s of b.scorers) {
    const drops = s.changes.largestDrops.slice(0, shownFlaky)
    if (drops.length === 0 || s.verdict === "no-common-cases") continue
    lines.push(
      `  largest drops ${s.name}: ${
        drops.map((d) =>
          `${caseLabel({ index: d.index, trial: 0, name: d.name })} ${fixed(d.baseline)} → ${fixed(d.current)}`
        ).join(", ")
      }`
    )
  }
  return lines
}

const oneLine = (text: string): string => {
  const line = text.replace(/\s+/g, " ").trim()
  return line.length > 160 ? `${line.slice(0, 159)}…` : line
}

export const summary = (report: EvalReport, color: boolean): string => {
  const paint = (code: number) => (text: string) => color ? `\x1b[${code}m${text}\x1b[0m` : text
  const green = paint(32)
  const red = paint(31)
  const yellow = paint(33)
  const dim = paint(2)
  const lines: Array<string> = []
  const status = report.interrupted ? red("INTERRUPTED") : report.passed ? green("PASSED") : red("FAILED")
  const { totals, timings } = report
  const counts = `${plural(totals.cases, "case")}, ${count(totals.errored)} errored${
    totals.interrupted === undefined ? "" : ` (${count(totals.interrupted)} stopped in flight)`
  }, ${seconds(timings.duration)} (${count(timings.casesPerSecond)} cases/s)`
  // The reason first: the line a CI log shows is the one that says why. An interrupted run says so in its status.
  const reasons = report.verdict.reasons.filter((reason) => !(report.interrupted && reason.kind === "interrupted"))
  if (reasons.length === 0) lines.push(`${report.name}: ${status}  ${counts}`)
  else {
    lines.push(`${report.name}: ${status}: ${reasons[0].message}`)
    for (const reason of reasons.slice(1)) lines.push(`  and ${reason.message}`)
    lines.push(`  ${counts}`)
  }
  // `judged on` is what a threshold is judged on: the threshold mean (a case the scorer did not score counts as 0),
  // or the lower bound of its interval
  const judged = report.scorers.some((s) => s.threshold !== undefined)
  const lower = report.scorers.some((s) => s.thresholdOn === "lower")
  const rows: Array<Array<string>> = [[
    "scorer",
    "mean",
    "95% CI",
    ...(judged ? [lower ? "judged on" : "threshold mean"] : []),
    "min",
    "max",
    "scored",
    "errors",
    "threshold",
    ""
  ]]
  for (const s of report.scorers) {
    rows.push([
      s.name,
      fixed(s.mean),
      Figures.bounds(s.interval),
      ...(judged ? [s.threshold === undefined ? "" : fixed(Figures.judged(s))] : []),
      fixed(s.min),
      fixed(s.max),
      count(s.count),
      count(s.errors),
      Figures.threshold(s),
      s.passed === undefined ? "" : s.passed ? green("pass") : red("FAIL")
    ])
  }
  if (report.scorers.length > 0) {
    const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)))
    for (const [r, row] of rows.entries()) {
      const text = row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("  ")
      lines.push(r === 0 ? dim(text) : text)
    }
  }
  for (const s of report.scorers) {
    const p = s.passAtK
    if (p === undefined) continue
    const flaky = p.flaky.slice(0, shownFlaky).map((c) =>
      `${caseLabel({ index: c.index, trial: 0, name: c.name })} ${c.passes}/${c.trials}`
    )
    const more = p.flakyCount - flaky.length
    lines.push(
      `${s.name}: pass@${p.k} ${fixed(p.passAtK.mean)} (${Figures.bounds(p.passAtK)}), pass^${p.k} ${
        fixed(p.passHatK.mean)
      } (${Figures.bounds(p.passHatK)}), ${
        p.flakyCount === 0 ?
          "no flaky case" :
          `${plural(p.flakyCount, "flaky case")}: ${flaky.join(", ")}${more > 0 ? `, … ${count(more)} more` : ""}`
      }`
    )
  }
  if (report.baseline !== undefined) lines.push(...baselineLines(report, { red, green, dim }))
  // a list of cases that all took a few milliseconds says nothing
  if (timings.slowest.some((ref) => ref.duration >= slowEnough)) {
    lines.push(`slowest: ${timings.slowest.map((ref) => `${caseLabel(ref)} ${seconds(ref.duration)}`).join(", ")}`)
  }
  for (const s of report.scorers) {
    const worst = s.worst.filter((ref) => ref.score !== undefined && ref.score < 1)
    if (worst.length > 0) {
      lines.push(`worst ${s.name}: ${worst.map((ref) => `${caseLabel(ref)} ${fixed(ref.score)}`).join(", ")}`)
    }
  }
  if (totals.errored > 0) {
    const errored = report.cases.filter((result) => result.errors.length > 0)
    lines.push(red(`errors: ${plural(totals.errored, "case")}`))
    for (const result of errored.slice(0, shownErrors)) {
      const error = result.errors[0]
      lines.push(`  ${caseLabel(result)} ${error.scorer ?? error.source}: ${oneLine(error.message)}`)
    }
    const more = totals.errored - Math.min(errored.length, shownErrors)
    if (more > 0) {
      lines.push(dim(`  … ${count(more)} more${report.casesFile === undefined ? "" : ` in ${report.casesFile}`}`))
    }
  }
  if (report.helicone !== undefined) {
    const h = report.helicone
    const failed = h.failed > 0 ? red(`${count(h.failed)} failed`) : "0 failed"
    const skipped = h.skipped > 0 ? `, ${count(h.skipped)} skipped` : ""
    if (h.delivery === "queue") {
      const outbox = h.outbox ?? 0
      const dead = h.deadLettered ?? 0
      lines.push(
        `helicone: ${count(h.submitted)} queued, ${count(h.delivered ?? 0)} delivered, ` +
          `${outbox > 0 ? yellow(`${count(outbox)} in outbox`) : "0 in outbox"}, ` +
          `${dead > 0 ? red(`${count(dead)} dead-lettered`) : "0 dead-lettered"}` +
          `${h.failed > 0 ? `, ${failed}` : ""}${skipped}`
      )
    } else {
      lines.push(`helicone: ${count(h.submitted)} submitted, ${failed}${skipped}`)
    }
    for (const failure of h.failures.slice(0, 3)) {
      lines.push(dim(`  ${caseLabel(failure)} ${failure.requestId}: ${failure.error}: ${failure.message}`))
    }
  }
  if (report.usage !== undefined) lines.push(...Usage.lines(report.usage))
  if (report.casesFile !== undefined) lines.push(`cases: ${report.casesFile}`)
  for (const warning of report.warnings ?? []) lines.push(red(`warning: ${warning}`))
  return lines.join("\n") + "\n"
}
