/**
 * The run options of `helicone-eval run` that change a suite (concurrency, trials, timeout, thresholds): how their
 * values are decoded, and how they are applied to a suite.
 *
 * @internal
 */
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as ValidationError from "@effect/cli/ValidationError"
import type * as Eval from "@helicone-effect/evaluator/Eval"
import { suiteSlug } from "@helicone-effect/evaluator/EvalReport"
import * as Config from "effect/Config"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as HashMap from "effect/HashMap"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"

/** `CI` set to anything but blank, `0` or `false`: what turns `--typecheck` and `--strict-delivery` on by default. */
export const ciConfig: Config.Config<boolean> = Config.string("CI").pipe(
  Config.map((value) => !/^(?:|0|false)$/i.test(value.trim()))
)

/** The exit code of a run whose scores did not all leave the outbox, with `--strict-delivery` (or `CI`). */
export const deliveryExitCode = 3

/** How long `--helicone` / `--local` wait after the run for the scores to be delivered, by default. */
export const defaultDeliveryTimeout: Duration.Duration = Duration.seconds(60)

/** The exit code of a run that `--max-cost` stopped: its budget was spent before every case had started. */
export const budgetExitCode = 4

/** The modes of `--cache`, as `Eval.run`'s `cache` option takes them. */
export const cacheModes = ["auto", "record", "replay", "off"] as const

/** A mode of `--cache`. */
export type CacheMode = typeof cacheModes[number]

/** `--cache` when neither the command line nor `HELICONE_EVAL_CACHE` gives one. */
export const defaultCacheMode: CacheMode = "off"

/** `HELICONE_EVAL_CACHE`: the `--cache` mode of a machine (a CI job that replays), under the command line's. */
export const cacheConfig: Config.Config<CacheMode> = Config.literal(...cacheModes)("HELICONE_EVAL_CACHE")

/** Where the call cache is, relative to the working directory, by default. */
export const defaultCacheDir = ".helicone-eval/cache"

/** `--max-cost`: a budget in US dollars, finite and not negative (`Options.float` lets `NaN` and `Infinity` by). */
export const MaxCost: Schema.Schema<number> = Schema.Number.pipe(
  Schema.filter((usd) => Number.isFinite(usd) && usd >= 0, {
    message: (issue) => `--max-cost expects an amount of US dollars >= 0 (such as 2.50), got ${issue.actual}`
  })
)

/** Cases files kept per suite in `.helicone-eval/`, by default. */
export const defaultKeepRuns = 10

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
 * and everything else. A `--threshold` goes to the suites that have a scorer of that name (the run checks first that
 * one of them has).
 */
export const applyOverrides = <I, O, E, R>(
  suite: Eval.Suite<I, O, E, R>,
  overrides: Overrides
): Eval.Suite<I, O, E, R> => {
  const scorers = new Set(suite.scorers.map((scorer) => scorer.name))
  const thresholds = Object.entries(overrides.thresholds ?? {}).filter(([name]) => scorers.has(name))
  return {
    ...suite,
    concurrency: overrides.concurrency ?? suite.concurrency,
    trials: overrides.trials ?? suite.trials,
    timeout: overrides.timeout ?? suite.timeout,
    thresholds: thresholds.length === 0 ? suite.thresholds : { ...suite.thresholds, ...Object.fromEntries(thresholds) }
  }
}

/** An integer of at least 1, for `--concurrency` and `--trials` (which `Options.integer` has already parsed). */
export const AtLeastOne = (option: string) =>
  Schema.Int.pipe(
    Schema.greaterThanOrEqualTo(1, { message: (issue) => `--${option} must be an integer >= 1, got ${issue.actual}` })
  )

/**
 * The value of an option that takes one: never the next option, which `@effect/cli` would take as the value when
 * the value is missing (`--json --local`).
 */
export const Value = (option: string, pseudoName: string) =>
  Schema.String.pipe(
    Schema.filter((text) => !text.startsWith("-"), {
      message: (issue) => `--${option} needs a value (--${option} <${pseudoName}>), got ${issue.actual}`
    })
  )

const units: Record<string, Duration.Unit> = {
  ms: "millis",
  s: "seconds",
  sec: "seconds",
  m: "minutes",
  min: "minutes",
  h: "hours"
}

const decodeDuration = (text: string): Duration.Duration | undefined => {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim())
  if (match === null) return undefined
  const amount = Number(match[1])
  const unit = match[2].toLowerCase()
  if (unit === "") return Duration.millis(amount)
  if (unit in units) return Duration.decode(`${amount} ${units[unit]}`)
  const decoded = Duration.decodeUnknown(`${amount} ${unit}`)
  return decoded._tag === "Some" ? decoded.value : undefined
}

/** `500ms`, `30s`, `2m`, `1h`, a bare number of milliseconds, or Effect's `"30 seconds"`. */
export const DurationFromText: Schema.Schema<Duration.Duration, string> = Schema.transformOrFail(
  Schema.String,
  Schema.DurationFromSelf,
  {
    strict: true,
    decode: (text, _, ast) => {
      const duration = decodeDuration(text)
      return duration === undefined ? ParseResult.fail(new ParseResult.Type(ast, text)) : ParseResult.succeed(duration)
    },
    encode: (duration) => ParseResult.succeed(`${Duration.toMillis(duration)}ms`)
  }
).annotations({
  message: (issue) => ({
    message: `--timeout expects a duration such as 500ms, 30s or 2m, got ${JSON.stringify(issue.actual)}`,
    override: true
  })
})

/**
 * `--timeout`: a {@link DurationFromText} above zero, or `off` (also `none`, `infinity`) for no limit, which is
 * `Duration.infinity` as `Eval.Suite` takes it.
 */
export const CaseTimeoutFromText: Schema.Schema<Duration.Duration, string> = Schema.transformOrFail(
  Schema.String,
  Schema.DurationFromSelf,
  {
    strict: true,
    decode: (text, _, ast) => {
      if (/^(off|none|infinity)$/i.test(text.trim())) return ParseResult.succeed(Duration.infinity)
      const duration = decodeDuration(text)
      return duration === undefined || Duration.toMillis(duration) <= 0
        ? ParseResult.fail(new ParseResult.Type(ast, text))
        : ParseResult.succeed(duration)
    },
    encode: (duration) => ParseResult.succeed(Duration.isFinite(duration) ? `${Duration.toMillis(duration)}ms` : "off")
  }
).annotations({
  message: (issue) => ({
    message: `--timeout expects a duration above zero such as 500ms, 30s or 2m, or off for no limit, got ${
      JSON.stringify(issue.actual)
    }`,
    override: true
  })
})

/** {@link DurationFromText} for another option than `--timeout`, which its error message names. */
export const durationFor = (option: string): Schema.Schema<Duration.Duration, string> =>
  DurationFromText.annotations({
    message: (issue) => ({
      message: `--${option} expects a duration such as 500ms, 30s or 2m, got ${JSON.stringify(issue.actual)}`,
      override: true
    })
  })

/** `--max-errors`: a count of errored cases (`5`) or a percentage of the cases (`2%`), as `Eval.MaxErrors`. */
export const MaxErrorsFromText: Schema.Schema<Eval.MaxErrors, string> = Schema.transformOrFail(
  Schema.String,
  Schema.Union(Schema.Number, Schema.TemplateLiteral(Schema.Number, "%")),
  {
    strict: true,
    decode: (text, _, ast) => {
      const match = /^(\d+(?:\.\d+)?)(%?)$/.exec(text.trim())
      const amount = match === null ? Number.NaN : Number(match[1])
      if (match !== null && match[2] === "%" && amount <= 100) return ParseResult.succeed(`${amount}%` as const)
      if (match !== null && match[2] === "" && Number.isSafeInteger(amount)) return ParseResult.succeed(amount)
      return ParseResult.fail(new ParseResult.Type(ast, text))
    },
    encode: (value) => ParseResult.succeed(String(value))
  }
).annotations({
  message: (issue) => ({
    message: `--max-errors expects a count of cases (5) or a percentage of them (2%), got ${
      JSON.stringify(issue.actual)
    }`,
    override: true
  })
})

/** `--shard i/n`: the `i`th of `n` parts of every suite's cases, 1-based, as `Eval.run`'s `shard` takes it. */
export interface Shard {
  readonly index: number
  readonly count: number
}

/** `2/4`: the second of four shards; `0/4`, `5/4` and `a/b` are refused. */
export const ShardFromText: Schema.Schema<Shard, string> = Schema.transformOrFail(
  Schema.String,
  Schema.Struct({ index: Schema.Int, count: Schema.Int }),
  {
    strict: true,
    decode: (text, _, ast) => {
      const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text)
      const index = match === null ? Number.NaN : Number(match[1])
      const count = match === null ? Number.NaN : Number(match[2])
      return Number.isSafeInteger(index) && Number.isSafeInteger(count) && index >= 1 && index <= count
        ? ParseResult.succeed({ index, count })
        : ParseResult.fail(new ParseResult.Type(ast, text))
    },
    encode: (shard) => ParseResult.succeed(`${shard.index}/${shard.count}`)
  }
).annotations({
  message: (issue) => ({
    message: `--shard expects i/n, the ith of n shards with 1 <= i <= n (such as 2/4), got ${
      JSON.stringify(issue.actual)
    }`,
    override: true
  })
})

/** `--min-difference`: the smallest change in a scorer's mean, from 0 to 1, that `--fail-on-regression` counts. */
export const MinDifferenceFromText: Schema.Schema<number, string> = Schema.NumberFromString.pipe(
  Schema.finite(),
  Schema.between(0, 1)
).annotations({
  message: (issue) => ({
    message: `--min-difference expects a difference of means from 0 to 1 (such as 0.02), got ${
      JSON.stringify(issue.actual)
    }`,
    override: true
  })
})

const invalid = (message: string) => ValidationError.invalidValue(HelpDoc.p(message))

/** The `--threshold name=value` pairs as numbers from 0 to 1: the mean score each scorer must reach. */
export const thresholdsOf = (
  pairs: HashMap.HashMap<string, string>
): Effect.Effect<Readonly<Record<string, number>>, ValidationError.ValidationError> =>
  Effect.suspend(() => {
    const thresholds: Record<string, number> = {}
    for (const [name, raw] of pairs) {
      const value = raw.trim() === "" ? Number.NaN : Number(raw)
      if (name.trim() === "") return Effect.fail(invalid(`--threshold expects name=value, got "=${raw}"`))
      if (!Number.isFinite(value) || value < 0 || value > 1) {
        return Effect.fail(invalid(`--threshold ${name}: the value must be a number from 0 to 1, got "${raw}"`))
      }
      thresholds[name.trim()] = value
    }
    return Effect.succeed(thresholds)
  })

/** The path of a report for one of several suites: `report.json` becomes `report.<suite>.json`. */
export const reportPath = (path: string, suiteName: string, suiteCount: number): string => {
  if (suiteCount <= 1) return path
  const slug = suiteSlug(suiteName)
  const dot = path.lastIndexOf(".")
  const slash = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"))
  return dot > slash + 1 ? `${path.slice(0, dot)}.${slug}${path.slice(dot)}` : `${path}.${slug}`
}
