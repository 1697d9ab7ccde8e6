/**
 * The verdict of a run: whether it passed and why not, from its summaries. `Report.build` calls it, once per report;
 * every surface (terminal, JSON, HTML, JUnit, Vitest, the CLI's exit code) shows what it decided.
 *
 * @internal
 */
import { formatUsd, type Stopped } from "../../Cost.js"
import type { MaxErrors } from "../../Eval.js"
import type { HeliconeSummary, ScorerSummary, Verdict, VerdictReason } from "../../EvalReport.js"
import * as Submitter from "../runner/submitter.js"
import { plural } from "./labels.js"

/** What the verdict is judged on: the counts of the run and its scorers' summaries. */
export interface Facts {
  readonly interrupted: boolean
  /** Case trials, the ones stopped in flight included. */
  readonly cases: number
  /** Cases stopped in flight by an interruption. */
  readonly stopped: number
  /** Cases with at least one error (the ones stopped in flight included). */
  readonly errored: number
  /** Cases with a `data` error, and the first such error's message. */
  readonly unreadable: number
  readonly unreadableMessage: string | undefined
  /** The first error of the first errored case (by index, then trial), as the summary prints it. */
  readonly firstError: string | undefined
  readonly scores: number
  readonly scorers: ReadonlyArray<ScorerSummary>
  readonly maxErrors: MaxErrors | undefined
  /** The `regression` reasons of a baseline comparison that fails the run. */
  readonly regressions?: ReadonlyArray<VerdictReason> | undefined
  readonly helicone?: { readonly summary: HeliconeSummary; readonly strict: boolean } | undefined
  /** Why the run stopped starting cases early: its budget. */
  readonly budget?: Stopped | undefined
}

/** `maxErrors` read and checked; a `RangeError` names the bad value. */
export const checkMaxErrors = (value: unknown): MaxErrors => {
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return value
  if (typeof value === "string") {
    const match = /^(\d+(?:\.\d+)?)%$/.exec(value.trim())
    if (match !== null && Number(match[1]) <= 100) return value.trim() as `${number}%`
  }
  throw new RangeError(
    `maxErrors must be an integer >= 0 or a percentage from 0% to 100% (like "2%"), got ${
      typeof value === "string" ? JSON.stringify(value) : String(value)
    }`
  )
}

/** How many errored cases `maxErrors` allows among `finished` cases: a percentage is rounded down. */
export const allowedErrors = (maxErrors: MaxErrors | undefined, finished: number): number => {
  if (maxErrors === undefined) return 0
  if (typeof maxErrors === "number") return maxErrors
  return Math.floor((finished * Number(maxErrors.slice(0, -1))) / 100 + 1e-9)
}

const oneLine = (text: string): string => {
  const line = text.replace(/\s+/g, " ").trim()
  return line.length > 200 ? `${line.slice(0, 199)}…` : line
}

const fixed = (n: number | null | undefined): string => (n === null || n === undefined ? "-" : n.toFixed(3))

const maxText = (maxErrors: MaxErrors | undefined, allowed: number): string =>
  typeof maxErrors === "string" ? `max ${maxErrors} = ${allowed}` : `max ${allowed}`

/** The failing reasons in the order they are shown: the first is the one a reader acts on first. */
export const judge = (facts: Facts): Verdict => {
  const reasons: Array<VerdictReason> = []
  const finished = facts.cases - facts.stopped
  if (facts.interrupted) {
    reasons.push({
      kind: "interrupted",
      message: `interrupted after ${plural(finished, "case")}${
        facts.stopped > 0 ? `, ${plural(facts.stopped, "case")} stopped in flight` : ""
      }`
    })
  }
  if (facts.budget !== undefined) reasons.push(budgetReason(facts.budget))
  if (facts.unreadable > 0) {
    reasons.push({
      kind: "unreadable-data",
      message: `the data could not be read${facts.unreadable > 1 ? ` (${plural(facts.unreadable, "case")})` : ""}: ${
        oneLine(facts.unreadableMessage ?? "unknown error")
      }`,
      errored: facts.unreadable
    })
  }
  const errored = facts.errored - facts.stopped
  const allowed = allowedErrors(facts.maxErrors, finished)
  if (errored > allowed) {
    const first = facts.firstError === undefined || facts.unreadable === errored ? "" : `: ${oneLine(facts.firstError)}`
    reasons.push({
      kind: "errors",
      message: `${errored} of ${plural(finished, "case")} errored (${maxText(facts.maxErrors, allowed)})${first}`,
      errored,
      allowed
    })
  }
  if (!facts.interrupted && facts.scores === 0) {
    reasons.push({
      kind: "nothing-scored",
      message: facts.cases === 0 ?
        "nothing was scored: the data has no cases" :
        facts.scorers.length === 0 ?
        "nothing was scored: the suite has no scorers" :
        errored === finished ?
        `nothing was scored: ${finished === 1 ? "the only case" : "every case"} errored` :
        "nothing was scored"
    })
  }
  for (const s of facts.scorers) {
    if (s.threshold === undefined || s.passed !== false) continue
    const on = s.thresholdOn ?? "mean"
    const value = s.thresholdValue !== undefined ? s.thresholdValue : s.thresholdMean ?? null
    const interval = s.thresholdInterval
    const ci = interval === undefined || interval.lower === null ?
      "" :
      `, 95% CI ${fixed(interval.lower)}–${fixed(interval.upper)}`
    reasons.push({
      kind: "threshold",
      message: value === null ?
        `${s.name}: nothing to judge against the threshold ${s.threshold}` :
        on === "lower" ?
        `${s.name}: lower bound ${fixed(value)} < ${s.threshold} (threshold mean ${fixed(s.thresholdMean)}${ci}; mean ${
          fixed(s.mean)
        } over ${plural(s.count, "scored case")}${s.errors > 0 ? `, ${s.errors} errored` : ""})` :
        `${s.name}: threshold mean ${fixed(value)} < ${s.threshold} (mean ${fixed(s.mean)} over ${
          plural(s.count, "scored case")
        }${s.errors > 0 ? `, ${s.errors} errored` : ""})`,
      scorer: s.name,
      value,
      mean: s.mean,
      threshold: s.threshold,
      on
    })
  }
  if (facts.regressions !== undefined) reasons.push(...facts.regressions)
  const helicone = facts.helicone
  if (helicone !== undefined && helicone.strict && Submitter.strictFailure(helicone.summary)) {
    reasons.push(deliveryReason(helicone.summary))
  }
  return { passed: reasons.length === 0, reasons }
}

/** The `delivery` reason for a strict run whose scores Helicone did not all take. */
export const deliveryReason = (h: HeliconeSummary): VerdictReason => {
  const parts: Array<string> = []
  if (h.failed > 0) parts.push(`${h.failed} failed`)
  if ((h.deadLettered ?? 0) > 0) parts.push(`${h.deadLettered} dead-lettered`)
  if ((h.outbox ?? 0) > 0) parts.push(`${h.outbox} left in the outbox`)
  return { kind: "delivery", message: `Helicone did not take every score (strict): ${parts.join(", ")}` }
}

const usd: (n: number) => string = formatUsd

const budgetReason = (stopped: Stopped): VerdictReason => ({
  kind: "budget",
  message: `stopped at the budget: ${usd(stopped.cost)} spent of maxCost ${usd(stopped.maxCost)}${
    stopped.casesNotRun === null
      ? ", the rest of the cases not run"
      : `, ${plural(stopped.casesNotRun, "case")} not run`
  }`
})
