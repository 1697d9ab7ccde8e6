/**
 * Merging the reports of a run's shards into the report one whole run would have produced: their cases folded again,
 * in the data's order, through the same summary, verdict and baseline comparison as a run.
 *
 * @internal
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import type * as Path from "@effect/platform/Path"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import type * as Cost from "../../Cost.js"
import type { MaxErrors, Threshold } from "../../Eval.js"
import type { CaseResult, EvalReport, HeliconeSummary } from "../../EvalReport.js"
import { baselinePaths } from "../runner/evalRun.js"
import { caseKey } from "../stats/caseKey.js"
import * as Comparison from "./comparison.js"
import * as ReadCases from "./readCases.js"
import * as Report from "./report.js"
import { Summary } from "./summary.js"
import * as Usage from "./usage.js"

/** Why the reports cannot be merged; the public module makes it a `MergeError`. */
export interface Problem {
  readonly reason: "no-reports" | "not-a-shard" | "other-suite" | "other-trials" | "shards" | "cases-file" | "baseline"
  readonly detail: string
}

/** The shards' checks: one suite, one number of trials and of shards, each shard once, none missing. */
export const check = (reports: ReadonlyArray<EvalReport>): Problem | undefined => {
  if (reports.length === 0) return { reason: "no-reports", detail: "no report was given" }
  const first = reports[0]
  for (const report of reports) {
    if (report.shard === undefined) {
      return {
        reason: "not-a-shard",
        detail: `a report of ${JSON.stringify(report.name)} is of a whole run, not a shard`
      }
    }
    if (report.name !== first.name) {
      return {
        reason: "other-suite",
        detail: `the reports are of different suites: ${JSON.stringify(first.name)} and ${JSON.stringify(report.name)}`
      }
    }
    if (report.trials !== first.trials) {
      return { reason: "other-trials", detail: `the shards ran ${first.trials} and ${report.trials} trials a case` }
    }
  }
  const count = first.shard!.count
  const seen = new Set<number>()
  for (const report of reports) {
    const shard = report.shard!
    if (shard.count !== count) {
      return { reason: "shards", detail: `the reports split the cases into ${count} and ${shard.count} shards` }
    }
    if (seen.has(shard.index)) return { reason: "shards", detail: `shard ${shard.index}/${count} is given twice` }
    seen.add(shard.index)
  }
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !seen.has(i))
  if (missing.length > 0) {
    return {
      reason: "shards",
      detail: `shard${missing.length > 1 ? "s" : ""} ${missing.map((i) => `${i}/${count}`).join(", ")} missing`
    }
  }
  return undefined
}

const casesOf = (report: EvalReport): Stream.Stream<CaseResult, Problem, FileSystem.FileSystem> => {
  const path = report.casesFile
  if (path === undefined) return Stream.fromIterable(report.cases)
  return Stream.mapError(
    ReadCases.fromFile(path),
    (unreadable): Problem => ({
      reason: "cases-file",
      detail: `cannot read the cases file ${path}: ${unreadable.reason}`
    })
  )
}

/** The shards' Helicone summaries added up, or `undefined` when none sent scores. */
const heliconeOf = (reports: ReadonlyArray<EvalReport>): HeliconeSummary | undefined => {
  const summaries = reports.flatMap((report) => (report.helicone === undefined ? [] : [report.helicone]))
  if (summaries.length === 0) return undefined
  const sum = (get: (h: HeliconeSummary) => number | undefined): number | undefined =>
    summaries.some((h) => get(h) !== undefined) ? summaries.reduce((n, h) => n + (get(h) ?? 0), 0) : undefined
  const merged: { -readonly [K in keyof HeliconeSummary]: HeliconeSummary[K] } = {
    submitted: sum((h) => h.submitted)!,
    failed: sum((h) => h.failed)!,
    skipped: sum((h) => h.skipped)!,
    failures: summaries.flatMap((h) => h.failures).sort((a, b) => a.index - b.index || a.trial - b.trial).slice(0, 20)
  }
  if (summaries[0].delivery !== undefined) merged.delivery = summaries[0].delivery
  const delivered = sum((h) => h.delivered)
  if (delivered !== undefined) merged.delivered = delivered
  const outbox = sum((h) => h.outbox)
  if (outbox !== undefined) merged.outbox = outbox
  const deadLettered = sum((h) => h.deadLettered)
  if (deadLettered !== undefined) merged.deadLettered = deadLettered
  return merged
}

/** The shards that stopped at their budget, as one stop: their costs and the cases they did not run summed. */
const stoppedOf = (reports: ReadonlyArray<EvalReport>): Cost.Stopped | undefined => {
  const stops = reports.flatMap((report) => (report.stopped === undefined ? [] : [report.stopped]))
  if (stops.length === 0) return undefined
  return {
    reason: "budget",
    maxCost: stops[0].maxCost,
    cost: stops.reduce((sum, stop) => sum + stop.cost, 0),
    casesNotRun: stops.some((stop) => stop.casesNotRun === null) ?
      null :
      stops.reduce((sum, stop) => sum + stop.casesNotRun!, 0)
  }
}

/**
 * The merged report of checked shards. `baseline` is the baseline to compare with, already read; `undefined` when the
 * shards were not compared.
 */
export const merge = (
  reports: ReadonlyArray<EvalReport>,
  baseline: { readonly prepared: Comparison.Prepared; readonly rule: Comparison.Rule } | undefined
): Effect.Effect<EvalReport, Problem, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const first = reports[0]
    const results: Array<CaseResult> = []
    for (const report of reports) {
      yield* Stream.runForEach(casesOf(report), (result) => Effect.sync(() => results.push(result)))
    }
    results.sort((a, b) => a.index - b.index || a.trial - b.trial)

    const thresholds: Record<string, Threshold> = {}
    const names: Array<string> = []
    let k: number | undefined
    for (const report of reports) {
      for (const s of report.scorers) {
        if (!names.includes(s.name)) names.push(s.name)
        if (s.threshold !== undefined) thresholds[s.name] = { min: s.threshold, on: s.thresholdOn ?? "mean" }
        k ??= s.passAtK?.k
      }
    }
    const summary = new Summary(names, thresholds, { trials: first.trials, k })
    if (baseline !== undefined) {
      // keyed over the whole data, as the run keyed them: a repeated key told apart by its order
      const raw: Array<string> = []
      const at: Array<CaseResult> = []
      for (const result of results) {
        if (at.length > 0 && at[at.length - 1].index === result.index) continue
        at.push(result)
        raw.push(caseKey({ name: result.name, input: result.input }))
      }
      Comparison.dedupe(raw).forEach((key, i) => summary.keyCase(at[i].index, at[i].name, key))
    }
    for (const result of results) summary.add(result)

    const helicone = heliconeOf(reports)
    const strict = reports.some((report) => report.verdict.reasons.some((reason) => reason.kind === "delivery"))
    const startedAt = Math.min(...reports.map((report) => Date.parse(report.timings.startedAt)))
    const finishedAt = Math.max(...reports.map((report) => Date.parse(report.timings.finishedAt)))
    const report = Report.build({
      name: first.name,
      trials: first.trials,
      concurrency: first.concurrency,
      interrupted: reports.some((report) => report.interrupted),
      summary,
      maxErrors: first.maxErrors as MaxErrors | undefined,
      startedAt: new Date(startedAt),
      duration: finishedAt - startedAt,
      cases: results,
      helicone: helicone === undefined ? undefined : { summary: helicone, strict },
      baseline,
      usage: Usage.sum(reports.map((report) => report.usage)),
      stopped: stoppedOf(reports)
    })
    const warnings = [...new Set(reports.flatMap((report) => report.warnings ?? []))]
    if (warnings.length > 0) report.warnings = warnings
    return report
  })

/**
 * `EvalReport.merge`: the shards checked, the baseline to compare with found (given, or read again from the path the
 * shards' comparison records, with `load`), then merged.
 */
export const mergeShards = (
  reports: ReadonlyArray<EvalReport>,
  given: EvalReport | undefined,
  load: (
    path: string,
    suite: string
  ) => Effect.Effect<EvalReport, { readonly message: string }, FileSystem.FileSystem | Path.Path>
): Effect.Effect<EvalReport, Problem, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const problem = check(reports)
    if (problem !== undefined) return yield* Effect.fail(problem)
    const compared = reports.find((report) => report.baseline !== undefined)?.baseline
    const rule: Comparison.Rule = {
      failOnRegression: compared?.failOnRegression ?? false,
      minimumDifference: compared?.minimumDifference ?? 0,
      seed: compared?.seed ?? 1
    }
    let baseline = given
    if (baseline === undefined && compared !== undefined) {
      if (compared.path === undefined) {
        return yield* Effect.fail<Problem>({
          reason: "baseline",
          detail: `the shards were compared with a baseline (${
            JSON.stringify(compared.name)
          } of ${compared.startedAt}) whose file is not known: give it as the baseline option`
        })
      }
      baseline = yield* Effect.mapError(
        load(compared.path, reports[0].name),
        (error): Problem => ({ reason: "baseline", detail: error.message })
      )
    }
    const prepared = baseline === undefined ? undefined : yield* Effect.mapError(
      Comparison.prepare(baseline, baselinePaths.get(baseline)),
      (unreadable): Problem => ({
        reason: "baseline",
        detail: `cannot read the baseline's cases file ${unreadable.path}: ${unreadable.reason}`
      })
    )
    return yield* merge(reports, prepared === undefined ? undefined : { prepared, rule })
  })
