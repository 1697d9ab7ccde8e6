/**
 * JUnit XML for CI systems, judged as the run is (the report's `verdict`), so that a CI test view agrees with the
 * exit code:
 * - one `<testcase>` per threshold (`<name>.thresholds`), failing when it is missed, its message giving the threshold
 *   mean it is judged on, the plain mean and the threshold;
 * - one `<testcase>` per errored case (`<name>.errors`), failing with its errors; when `maxErrors` allows the run's
 *   errors, these are `<skipped>` instead (with the errors in the message), since the run passed;
 * - one `<testcase>` (`<name>.verdict`) for each other reason the run failed: unreadable data, nothing scored,
 *   errored cases over `maxErrors`, an interruption, Helicone delivery.
 *
 * A case that scored below a threshold is not a failing test case of its own: a threshold is judged on the mean.
 * The suite's `<properties>` carry each scorer's mean with its 95% interval (`<scorer>.lower`, `<scorer>.upper`), its
 * threshold and the value judged on, pass@k with trials, and against a baseline the difference, its interval, the
 * Holm-adjusted p-value and the verdict (`<scorer>.baseline.*`); a run that made model calls carries their totals
 * (`usage.calls.task`, `usage.inputTokens.total`, `usage.cost`, ...: `report.usage`), one stopped at its budget
 * `stopped.*`, with a failing `<name>.verdict` test case `budget`. `failures` counts the failing test cases; a
 * `regression` reason is a failing `<name>.verdict` test case.
 *
 * @since 0.1.0
 */
import type * as PlatformError from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import type { CaseResult, EvalReport, UnreadableCasesFile } from "./EvalReport.js"
import { readCases } from "./EvalReport.js"
import { caseLabel } from "./internal/report/labels.js"
import * as Usage from "./internal/report/usage.js"

/**
 * Escapes text for an XML attribute or element, dropping the characters XML 1.0 cannot carry.
 *
 * @since 0.1.0
 * @category rendering
 */
export const escapeXml = (text: string): string =>
  text
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;")

const fixed = (n: number | null | undefined): string => (n === null || n === undefined ? "none" : n.toFixed(3))

const element = (tag: string, type: string, message: string): string =>
  `      <${tag} type="${escapeXml(type)}" message="${escapeXml(message)}">${escapeXml(message)}</${tag}>`

/** Whether the run failed on its errored cases: then each errored case fails; else they are skipped. */
const errorsFail = (report: EvalReport): boolean =>
  report.verdict.reasons.some((reason) => reason.kind === "errors" || reason.kind === "unreadable-data")

/** An errored case (one stopped in flight by an interruption is not: the `interrupted` reason says it). */
const isErrored = (result: CaseResult): boolean =>
  result.errors.length > 0 && !result.errors.some((error) => error.source === "interrupted")

const caseTestcase = (report: EvalReport, result: CaseResult, fail: boolean): string => {
  const attrs = `classname="${escapeXml(`${report.name}.errors`)}" name="${escapeXml(caseLabel(result))}" time="${
    (result.duration / 1000).toFixed(4)
  }"`
  const message = result.errors.map((e) => `${e.scorer ?? e.source}: ${e.message}`).join("; ")
  const body = fail
    ? element("failure", result.errors[0].source, message)
    : `      <skipped message="${escapeXml(`errored, allowed by maxErrors: ${message}`)}"/>`
  return `    <testcase ${attrs}>\n${body}\n      <system-out>requestId=${
    escapeXml(result.requestId)
  }</system-out>\n    </testcase>\n`
}

/** The test cases of the run's own verdict: each threshold, and each failing reason that is not a threshold. */
const verdictTestcases = (report: EvalReport): { xml: string; tests: number; failures: number } => {
  const parts: Array<string> = []
  let failures = 0
  for (const s of report.scorers) {
    if (s.threshold === undefined) continue
    const lower = s.thresholdOn === "lower"
    const name = `${s.name} ${lower ? "lower bound" : "threshold mean"} >= ${s.threshold}`
    const attrs = `classname="${escapeXml(`${report.name}.thresholds`)}" name="${escapeXml(name)}" time="0"`
    const facts = `${lower ? `lower bound ${fixed(s.thresholdValue)}, ` : ""}threshold mean ${
      fixed(s.thresholdMean)
    }, mean ${fixed(s.mean)}, threshold ${s.threshold}`
    if (s.passed) {
      parts.push(`    <testcase ${attrs}>\n      <system-out>${escapeXml(facts)}</system-out>\n    </testcase>\n`)
    } else {
      failures++
      parts.push(
        `    <testcase ${attrs}>\n${element("failure", "threshold", `${s.name}: ${facts}`)}\n    </testcase>\n`
      )
    }
  }
  for (const reason of report.verdict.reasons) {
    if (reason.kind === "threshold") continue
    failures++
    const attrs = `classname="${escapeXml(`${report.name}.verdict`)}" name="${escapeXml(reason.kind)}" time="0"`
    parts.push(`    <testcase ${attrs}>\n${element("failure", reason.kind, reason.message)}\n    </testcase>\n`)
  }
  return { xml: parts.join(""), tests: parts.length, failures }
}

const properties = (report: EvalReport): string => {
  const props: Array<[string, string]> = [["passed", String(report.passed)]]
  for (const s of report.scorers) {
    props.push([`${s.name}.mean`, fixed(s.mean)])
    if (s.interval !== undefined) {
      props.push([`${s.name}.lower`, fixed(s.interval.lower)], [`${s.name}.upper`, fixed(s.interval.upper)])
    }
    if (s.threshold !== undefined) {
      props.push([`${s.name}.thresholdMean`, fixed(s.thresholdMean)], [`${s.name}.threshold`, String(s.threshold)])
      if (s.thresholdOn === "lower") props.push([`${s.name}.thresholdLower`, fixed(s.thresholdValue)])
    }
    if (s.passAtK !== undefined) {
      const p = s.passAtK
      props.push(
        [`${s.name}.passAt${p.k}`, fixed(p.passAtK.mean)],
        [`${s.name}.passHat${p.k}`, fixed(p.passHatK.mean)],
        [`${s.name}.flaky`, String(p.flakyCount)]
      )
    }
  }
  for (const s of report.baseline?.scorers ?? []) {
    const c = s.comparison
    props.push(
      [`${s.name}.baseline.mean`, fixed(c.baselineMean)],
      [`${s.name}.baseline.difference`, fixed(c.difference)],
      [`${s.name}.baseline.lower`, fixed(c.lower)],
      [`${s.name}.baseline.upper`, fixed(c.upper)],
      [`${s.name}.baseline.pValue`, c.pValue === null ? "-" : String(s.adjustedPValue)],
      [`${s.name}.baseline.verdict`, s.verdict]
    )
  }
  props.push(...Usage.properties(report.usage, report.stopped))
  return `    <properties>\n${
    props.map(([name, value]) => `      <property name="${escapeXml(name)}" value="${escapeXml(value)}"/>\n`).join("")
  }    </properties>\n`
}

const open = (report: EvalReport, counts: { tests: number; failures: number; skipped: number }) => {
  const time = (report.timings.duration / 1000).toFixed(3)
  const attrs =
    `tests="${counts.tests}" failures="${counts.failures}" errors="0" skipped="${counts.skipped}" time="${time}"`
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="${escapeXml(report.name)}" ${attrs}>\n` +
    `  <testsuite name="${escapeXml(report.name)}" ${attrs} timestamp="${escapeXml(report.timings.startedAt)}">\n` +
    properties(report)
}
const close = "  </testsuite>\n</testsuites>\n"

const counted = (report: EvalReport, errored: number, verdict: { tests: number; failures: number }) => {
  const fail = errorsFail(report)
  return {
    tests: verdict.tests + errored,
    failures: verdict.failures + (fail ? errored : 0),
    skipped: fail ? 0 : errored
  }
}

/**
 * Renders the report's in-memory cases (for a run whose cases went to a file, use {@link write}).
 *
 * @since 0.1.0
 * @category rendering
 */
export const render = (report: EvalReport, cases: Iterable<CaseResult> = report.cases): string => {
  const verdict = verdictTestcases(report)
  const fail = errorsFail(report)
  const body: Array<string> = []
  for (const result of cases) if (isErrored(result)) body.push(caseTestcase(report, result, fail))
  return open(report, counted(report, body.length, verdict)) + verdict.xml + body.join("") + close
}

/**
 * Writes the JUnit XML of a report to a file (creating its directory), reading the cases back from
 * `report.casesFile` (streamed, for its errored cases) when the run spilled them there. Files go through
 * `@effect/platform`'s `FileSystem` and `Path`: on Node, provide `NodeContext.layer` from `@effect/platform-node`.
 *
 * @since 0.1.0
 * @category rendering
 */
export const write = (
  report: EvalReport,
  path: string
): Effect.Effect<void, PlatformError.PlatformError | UnreadableCasesFile, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const paths = yield* Path.Path
    yield* fs.makeDirectory(paths.dirname(path), { recursive: true })
    if (report.casesFile === undefined) return yield* fs.writeFileString(path, render(report))
    const verdict = verdictTestcases(report)
    const fail = errorsFail(report)
    // every case is in the file: the errored ones, less those stopped in flight, are the totals'
    const errored = report.totals.errored - (report.totals.interrupted ?? 0)
    const cases = Stream.mapChunks(readCases(report), (results) => {
      let xml = ""
      for (const result of results) if (isErrored(result)) xml += caseTestcase(report, result, fail)
      return Chunk.of(xml)
    })
    yield* Stream.make(open(report, counted(report, errored, verdict)) + verdict.xml).pipe(
      Stream.concat(cases),
      Stream.concat(Stream.make(close)),
      Stream.encodeText,
      Stream.run(fs.sink(path))
    )
  })
