/**
 * How every surface (terminal, HTML, JUnit, markdown) writes the statistics of a report, so that an interval, a
 * difference or a verdict reads the same everywhere.
 *
 * @internal
 */
import type { ScorerComparison } from "../../Comparison.js"
import type { MeanInterval, ScorerSummary } from "../../EvalReport.js"

/** `0.750`, or `-` for nothing. */
export const fixed = (n: number | null | undefined, none = "-"): string =>
  n === null || n === undefined ? none : n.toFixed(3)

/** `+0.012`, `-0.150`. */
export const signed = (n: number | null | undefined, none = "-"): string =>
  n === null || n === undefined ? none : `${n >= 0 ? "+" : ""}${n.toFixed(3)}`

/** An interval's bounds, `0.601–0.862`; empty when there is none (nothing scored, or a report of version 1). */
export const bounds = (interval: MeanInterval | undefined): string =>
  interval === undefined || interval.lower === null || interval.upper === null ?
    "" :
    `${interval.lower.toFixed(3)}–${interval.upper.toFixed(3)}`

/** A difference's interval, `-0.210 to -0.090`. */
export const differenceBounds = (c: ScorerComparison["comparison"]): string =>
  c.lower === null || c.upper === null ? "" : `${signed(c.lower)} to ${signed(c.upper)}`

/** A p-value in 2 significant digits, `< 0.0001` below that. */
export const pValue = (p: number | null): string => (p === null ? "-" : p < 0.0001 ? "< 0.0001" : p.toPrecision(2))

/** A verdict as a person reads it. */
export const verdict = (v: ScorerComparison["verdict"]): string =>
  v === "no-detectable-change" ? "no detectable change" : v === "no-common-cases" ? "no common cases" : v

/** What a scorer's threshold is, with what it is judged on: `>= 0.9`, `>= 0.9 (lower bound)`. */
export const threshold = (s: ScorerSummary): string =>
  s.threshold === undefined ? "" : `>= ${s.threshold}${s.thresholdOn === "lower" ? " (lower bound)" : ""}`

/** The value a scorer's threshold is judged on: its threshold mean, or the lower bound of that mean's interval. */
export const judged = (s: ScorerSummary): number | null | undefined =>
  s.thresholdValue !== undefined ? s.thresholdValue : s.thresholdMean
