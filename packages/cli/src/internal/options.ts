/**
 * The run options of `helicone-eval run` that change a suite (concurrency, trials, timeout, thresholds) and the small
 * parsers behind them. A parser returns a string when the value is wrong: the one-line reason the CLI prints.
 *
 * @internal
 */
import type * as Eval from "@helicone-effect/evaluator/Eval"
import { suiteSlug } from "@helicone-effect/evaluator/EvalReport"
import * as Duration from "effect/Duration"
import * as Either from "effect/Either"

/** What the command line overrides; absent fields keep the suite's own value. */
export interface Overrides {
  readonly concurrency?: number | undefined
  readonly trials?: number | undefined
  readonly timeout?: Duration.Duration | undefined
  /** Merged over the suite's thresholds, scorer by scorer. */
  readonly thresholds?: Readonly<Record<string, number>> | undefined
}

/**
 * The suite with the overrides applied. A suite is a plain record (see `Eval.Suite`), so the copy keeps its type id
 * and everything else.
 */
export const applyOverrides = <I, O, E, R>(
  suite: Eval.Suite<I, O, E, R>,
  overrides: Overrides
): Eval.Suite<I, O, E, R> => ({
  ...suite,
  concurrency: overrides.concurrency ?? suite.concurrency,
  trials: overrides.trials ?? suite.trials,
  timeout: overrides.timeout ?? suite.timeout,
  thresholds: overrides.thresholds === undefined ? suite.thresholds : { ...suite.thresholds, ...overrides.thresholds }
})

/** `name=value` with a value in [0, 1]: the mean score the scorer `name` must reach. */
export const parseThreshold = (text: string): Either.Either<readonly [string, number], string> => {
  const at = text.lastIndexOf("=")
  const name = text.slice(0, at).trim()
  const raw = text.slice(at + 1).trim()
  const value = Number(raw)
  if (at <= 0 || name === "" || raw === "") {
    return Either.left(`--threshold expects name=value (e.g. exactMatch=0.8), got "${text}"`)
  }
  if (!Number.isFinite(value) || value < 0 || value > 1) {
    return Either.left(`--threshold ${name}: the value must be a number from 0 to 1, got "${raw}"`)
  }
  return Either.right([name, value] as const)
}

const units: Record<string, Duration.Unit> = {
  ms: "millis",
  s: "seconds",
  sec: "seconds",
  m: "minutes",
  min: "minutes",
  h: "hours"
}

/** `500ms`, `30s`, `2m`, `1h`, a bare number of milliseconds, or Effect's `"30 seconds"`. */
export const parseDuration = (text: string): Either.Either<Duration.Duration, string> => {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim())
  if (match !== null) {
    const amount = Number(match[1])
    const unit = match[2].toLowerCase()
    if (unit === "") return Either.right(Duration.millis(amount))
    if (unit in units) return Either.right(Duration.decode(`${amount} ${units[unit]}`))
    const decoded = Duration.decodeUnknown(`${amount} ${unit}`)
    if (decoded._tag === "Some") return Either.right(decoded.value)
  }
  return Either.left(`--timeout expects a duration such as 500ms, 30s or 2m, got "${text}"`)
}

/** An integer >= 1, for `--concurrency` and `--trials`. */
export const parsePositive = (option: string, text: string): Either.Either<number, string> => {
  const value = Number(text.trim())
  return /^\s*\d+\s*$/.test(text) && Number.isSafeInteger(value) && value >= 1
    ? Either.right(value)
    : Either.left(`--${option} must be an integer >= 1, got "${text}"`)
}

/** The path of a report for one of several suites: `report.json` becomes `report.<suite>.json`. */
export const reportPath = (path: string, suiteName: string, suiteCount: number): string => {
  if (suiteCount <= 1) return path
  const slug = suiteSlug(suiteName)
  const dot = path.lastIndexOf(".")
  const slash = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"))
  return dot > slash + 1 ? `${path.slice(0, dot)}.${slug}${path.slice(dot)}` : `${path}.${slug}`
}
