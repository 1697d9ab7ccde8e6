/**
 * Building an {@link EvalReport} from a run's summaries: one place for `passed`, the totals and the timings, used by
 * the runner and by `describeEval`'s summary test.
 *
 * @internal
 */
import type { Stopped } from "../../Cost.js"
import type { MaxErrors } from "../../Eval.js"
import type { CaseResult, EvalReport, HeliconeSummary } from "../../EvalReport.js"
import type { Usage } from "../../ModelCalls.js"
import * as Comparison from "./comparison.js"
import type { Summary } from "./summary.js"
import * as Verdict from "./verdict.js"

export interface Parts {
  readonly name: string
  readonly trials: number
  readonly concurrency: number
  readonly interrupted: boolean
  readonly summary: Summary
  readonly maxErrors?: MaxErrors | undefined
  readonly startedAt: Date
  /** Milliseconds. */
  readonly duration: number
  readonly cases: ReadonlyArray<CaseResult>
  readonly helicone?: { readonly summary: HeliconeSummary; readonly strict: boolean } | undefined
  readonly casesFile?: string | undefined
  readonly shard?: { readonly index: number; readonly count: number } | undefined
  /** The baseline to compare with, and how its comparison is judged. */
  readonly baseline?: { readonly prepared: Comparison.Prepared; readonly rule: Comparison.Rule } | undefined
  /** Why a baseline that was to gate the run (`failOnRegression`) could not be compared: a failing reason. */
  readonly baselineProblem?: string | undefined
  /** The totals of the run's model calls, when it made any. */
  readonly usage?: Usage | undefined
  /** Why the run stopped starting cases early: its budget. */
  readonly stopped?: Stopped | undefined
}

/**
 * The report, with its verdict: the one place where a run is judged (see `verdict.ts` for the rules), so that
 * `passed` is `verdict.passed` on every report, whoever built it.
 */
export const build = (parts: Parts): { -readonly [K in keyof EvalReport]: EvalReport[K] } => {
  const { duration, helicone, startedAt, summary } = parts
  const scorers = summary.scorers()
  const baseline = parts.baseline === undefined ?
    undefined :
    Comparison.compare(parts.baseline.prepared, summary, parts.baseline.rule)
  const verdict = Verdict.judge({
    interrupted: parts.interrupted,
    cases: summary.cases,
    stopped: summary.interrupted,
    errored: summary.errored,
    unreadable: summary.unreadable,
    unreadableMessage: summary.unreadableMessage,
    firstError: summary.firstError,
    scores: summary.scores,
    scorers,
    maxErrors: parts.maxErrors,
    regressions: parts.baselineProblem !== undefined ?
      [{ kind: "baseline", message: parts.baselineProblem }] :
      baseline === undefined ?
      undefined :
      Comparison.regressions(baseline),
    helicone,
    budget: parts.stopped
  })
  const report: { -readonly [K in keyof EvalReport]: EvalReport[K] } = {
    version: 2,
    name: parts.name,
    interrupted: parts.interrupted,
    passed: verdict.passed,
    verdict,
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
  if (parts.maxErrors !== undefined) report.maxErrors = parts.maxErrors
  if (parts.shard !== undefined) report.shard = parts.shard
  if (baseline !== undefined) report.baseline = baseline
  if (parts.usage !== undefined) report.usage = parts.usage
  if (parts.stopped !== undefined) report.stopped = parts.stopped
  return report
}
