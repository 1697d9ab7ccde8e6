/**
 * JUnit XML for CI systems: one `<testcase>` per eval case and trial, failing when one of its scores is below that
 * scorer's threshold (`<failure>`) or the case had an error (`<error>`), plus one `<testcase>` per threshold for the
 * run-level gate (mean score against threshold).
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

interface Verdict {
  readonly failures: ReadonlyArray<string>
  readonly errors: ReadonlyArray<string>
}

const judge = (report: EvalReport, result: CaseResult): Verdict => {
  const thresholds = new Map(report.scorers.flatMap((s) => (s.threshold === undefined ? [] : [[s.name, s.threshold]])))
  const failures: Array<string> = []
  for (const score of result.scores) {
    const threshold = thresholds.get(score.name)
    if (threshold !== undefined && score.score < threshold) {
      failures.push(`${score.name} scored ${score.score} below the threshold ${threshold}`)
    }
  }
  const errors = result.errors.map((e) => `${e.scorer ?? e.source}: ${e.message}`)
  return { failures, errors }
}

const testcase = (report: EvalReport, result: CaseResult): { xml: string; failed: boolean; errored: boolean } => {
  const verdict = judge(report, result)
  const attrs = `classname="${escapeXml(report.name)}" name="${escapeXml(caseLabel(result))}" time="${
    (result.duration / 1000).toFixed(4)
  }"`
  const body: Array<string> = []
  if (verdict.failures.length > 0) {
    const message = verdict.failures.join("; ")
    body.push(`      <failure type="threshold" message="${escapeXml(message)}">${escapeXml(message)}</failure>`)
  }
  if (verdict.errors.length > 0) {
    const message = verdict.errors.join("; ")
    body.push(
      `      <error type="${escapeXml(result.errors[0].source)}" message="${escapeXml(message)}">${
        escapeXml(message)
      }</error>`
    )
  }
  body.push(`      <system-out>requestId=${escapeXml(result.requestId)}</system-out>`)
  return {
    xml: `    <testcase ${attrs}>\n${body.join("\n")}\n    </testcase>\n`,
    failed: verdict.failures.length > 0,
    errored: verdict.errors.length > 0
  }
}

const gate = (report: EvalReport): { xml: string; tests: number; failures: number } => {
  const parts: Array<string> = []
  let failures = 0
  for (const s of report.scorers) {
    if (s.threshold === undefined) continue
    const name = `${s.name} mean >= ${s.threshold}`
    const attrs = `classname="${escapeXml(`${report.name}.thresholds`)}" name="${escapeXml(name)}" time="0"`
    if (s.passed) parts.push(`    <testcase ${attrs}/>\n`)
    else {
      failures++
      const message = `${s.name} mean ${s.mean ?? "none"} is below the threshold ${s.threshold}`
      parts.push(
        `    <testcase ${attrs}>\n      <failure type="threshold" message="${escapeXml(message)}">${
          escapeXml(message)
        }</failure>\n    </testcase>\n`
      )
    }
  }
  return { xml: parts.join(""), tests: parts.length, failures }
}

const open = (report: EvalReport, counts: { tests: number; failures: number; errors: number }) => {
  const time = (report.timings.duration / 1000).toFixed(3)
  const attrs = `tests="${counts.tests}" failures="${counts.failures}" errors="${counts.errors}" time="${time}"`
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="${escapeXml(report.name)}" ${attrs}>\n` +
    `  <testsuite name="${escapeXml(report.name)}" ${attrs} timestamp="${escapeXml(report.timings.startedAt)}">\n`
}
const close = "  </testsuite>\n</testsuites>\n"

/**
 * Renders the report's in-memory cases (for a run whose cases went to a file, use {@link write}).
 *
 * @since 0.1.0
 * @category rendering
 */
export const render = (report: EvalReport, cases: Iterable<CaseResult> = report.cases): string => {
  const g = gate(report)
  const counts = { tests: g.tests, failures: g.failures, errors: 0 }
  const body: Array<string> = []
  for (const result of cases) {
    const t = testcase(report, result)
    counts.tests++
    if (t.failed) counts.failures++
    if (t.errored) counts.errors++
    body.push(t.xml)
  }
  return open(report, counts) + body.join("") + g.xml + close
}

/**
 * Writes the JUnit XML of a report to a file (creating its directory), reading the cases back from
 * `report.casesFile` (in two streaming passes, counts first) when the run spilled them there. Files go through
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
    const g = gate(report)
    const counts = { tests: g.tests, failures: g.failures, errors: 0 }
    yield* Stream.runForEachChunk(readCases(report), (results) =>
      Effect.sync(() => {
        for (const result of results) {
          const verdict = judge(report, result)
          counts.tests++
          if (verdict.failures.length > 0) counts.failures++
          if (verdict.errors.length > 0) counts.errors++
        }
      }))
    const cases = Stream.mapChunks(readCases(report), (results) => {
      let xml = ""
      for (const result of results) xml += testcase(report, result).xml
      return Chunk.of(xml)
    })
    yield* Stream.make(open(report, counts)).pipe(
      Stream.concat(cases),
      Stream.concat(Stream.make(g.xml + close)),
      Stream.encodeText,
      Stream.run(fs.sink(path))
    )
  })
