/**
 * The interactive HTML page: a static head (the verdict, totals, scorer table, rendered by `HtmlReport`), the case
 * data embedded as one JSON document, and the bundled client (`client/`, built into `app.generated.ts` by
 * `scripts/build-report-app.mjs`) that renders the case list on demand.
 *
 * The page is written in parts (`open`, one `caseJson` per case joined by commas, `close`) so that a reporter can
 * stream a run's cases from its cases file without holding them all.
 *
 * The embedded JSON ("data" below) is `{ scorers, helicone, baseline, cases }`, each case an array
 * `[index, trial, name, input, output, expected, scores, errors, duration, requestId, metadata]` where `scores` is
 * `[[scorerIndex, score, boolean (0/1), metadata?], …]` and `errors` is `[[source, message, scorer?, line?], …]`.
 *
 * @internal
 */
import type { CaseResult, EvalReport } from "../../../EvalReport.js"
import { caseLabel } from "../labels.js"
import { type OnUnwritable, safeStringify } from "../text.js"
import * as App from "./app.generated.js"

/**
 * Makes JSON text safe inside a `<script>` element: no `</script>` or `<!--` can appear (every `<` becomes `\u003c`),
 * and U+2028/U+2029 are escaped. JSON.parse reads the same value back.
 */
export const scriptSafe = (json: string): string =>
  json.replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029")

/** What the page needs of the report besides its cases. */
export interface PageOptions {
  readonly title: string
  /** The static HTML above the case list (already escaped). */
  readonly head: string
  readonly report: EvalReport
}

/** The page up to the first case. */
export const open = (options: PageOptions): string => {
  const { report } = options
  const thresholds = new Map(report.scorers.map((s) => [s.name, s.threshold]))
  const names = report.scorers.map((s) => s.name)
  const baseline = report.baseline === undefined ? null : {
    name: report.baseline.name,
    regressed: [...new Set(report.baseline.scorers.flatMap((s) => s.changes.passToFail.map((c) => c.index)))],
    fixed: [...new Set(report.baseline.scorers.flatMap((s) => s.changes.failToPass.map((c) => c.index)))],
    listed: report.baseline.scorers.some((s) =>
      s.passToFail > s.changes.passToFail.length || s.failToPass > s.changes.failToPass.length
    )
  }
  const meta = {
    scorers: names.map((name) => ({ name, threshold: thresholds.get(name) ?? null })),
    helicone: report.helicone !== undefined && report.helicone.submitted > 0,
    baseline
  }
  const metaJson = scriptSafe(JSON.stringify(meta))
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${options.title}</title><style>${App.css}</style></head><body>
<header class="head">${options.head}</header>
<main id="app"><p class="muted">Loading the cases… (this page needs JavaScript for its case list)</p></main>
<script type="application/json" id="report-data">${metaJson.slice(0, -1)},"cases":[`
}

/** The page after the last case. */
export const close = `]}</script>
<script>${App.js.replace(/<\/script/gi, "<\\/script")}</script>
</body></html>
`

/** The fields of a case's row, in the order {@link caseJson} writes them. */
const rowFields = [
  "index",
  "trial",
  "name",
  "input",
  "output",
  "expected",
  "scores",
  "errors",
  "duration",
  "requestId",
  "metadata"
]

/** One case as the page embeds it (script-safe JSON text). */
export const caseJson = (
  result: CaseResult,
  scorerIndex: (name: string) => number,
  onUnwritable: OnUnwritable | undefined
): string => {
  // a value that could not be written is named by its case and field (`#3 output.nested`), not its row position
  const named: OnUnwritable | undefined = onUnwritable === undefined ? undefined : (path, why) => {
    const match = /^\[(\d+)\](.*)$/.exec(path)
    onUnwritable(
      `${caseLabel(result)} ${match === null ? path : `${rowFields[Number(match[1])] ?? match[1]}${match[2]}`}`,
      why
    )
  }
  const scores = result.scores.map((s) => {
    const row: Array<unknown> = [scorerIndex(s.name), s.score, s.boolean ? 1 : 0]
    if (s.metadata !== undefined) row.push(s.metadata)
    return row
  })
  const errors = result.errors.map((e) => {
    const row: Array<unknown> = [e.source, e.message]
    if (e.scorer !== undefined || e.line !== undefined) row.push(e.scorer ?? null)
    if (e.line !== undefined) row.push(e.line)
    return row
  })
  return scriptSafe(safeStringify(
    [
      result.index,
      result.trial,
      result.name ?? null,
      result.input ?? null,
      result.output ?? null,
      result.expected ?? null,
      scores,
      errors,
      result.duration,
      result.requestId,
      result.metadata ?? null
    ],
    undefined,
    named
  ))
}

/** The scorer index for a name in the report's summaries; -1 for a name no summary has. */
export const scorerIndexer = (report: EvalReport): (name: string) => number => {
  const index = new Map(report.scorers.map((s, i) => [s.name, i]))
  return (name) => index.get(name) ?? -1
}

/** The whole page for cases held in memory. */
export const render = (
  options: PageOptions,
  cases: Iterable<CaseResult>,
  onUnwritable: OnUnwritable | undefined
): string => {
  const indexOf = scorerIndexer(options.report)
  const parts: Array<string> = []
  for (const result of cases) parts.push(caseJson(result, indexOf, onUnwritable))
  return `${open(options)}${parts.join(",")}${close}`
}
