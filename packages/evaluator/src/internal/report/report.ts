/**
 * Building an {@link EvalReport} from a run's summaries: one place for `passed`, the totals and the timings, used by
 * the runner and by `describeEval`'s summary test.
 *
 * @internal
 */
import type { CaseResult, EvalReport, HeliconeSummary } from "../../EvalReport.js"
import * as Submitter from "../runner/submitter.js"
import type { Summary } from "./summary.js"

export interface Parts {
  readonly name: string
  readonly trials: number
  readonly concurrency: number
  readonly interrupted: boolean
  readonly summary: Summary
  readonly startedAt: Date
  /** Milliseconds. */
  readonly duration: number
  readonly cases: ReadonlyArray<CaseResult>
  readonly helicone?: { readonly summary: HeliconeSummary; readonly strict: boolean } | undefined
  readonly casesFile?: string | undefined
}

/**
 * The report; `passed` is false when the run was interrupted, a scorer misses its threshold or, with `strict`, a
 * Helicone submission failed (see `Submitter.strictFailure`).
 */
export const build = (parts: Parts): { -readonly [K in keyof EvalReport]: EvalReport[K] } => {
  const { duration, helicone, startedAt, summary } = parts
  const scorers = summary.scorers()
  const passed = !parts.interrupted && scorers.every((s) => s.passed !== false) &&
    !(helicone !== undefined && helicone.strict && Submitter.strictFailure(helicone.summary))
  const report: { -readonly [K in keyof EvalReport]: EvalReport[K] } = {
    version: 1,
    name: parts.name,
    interrupted: parts.interrupted,
    passed,
    trials: parts.trials,
    concurrency: parts.concurrency,
    totals: summary.totals(),
    scorers,
    timings: {
      startedAt: startedAt.toISOString(),
      finishedAt: new Date(startedAt.getTime() + duration).toISOString(),
      duration,
      casesPerSecond: duration > 0 ? summary.finished / (duration / 1000) : 0,
      slowest: summary.slowestCases()
    },
    cases: parts.cases
  }
  if (helicone !== undefined) report.helicone = helicone.summary
  if (parts.casesFile !== undefined) report.casesFile = parts.casesFile
  return report
}
