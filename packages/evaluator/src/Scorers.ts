/**
 * Built-in scorers. Plain checks are values (`Scorers.exactMatch`, `Scorers.levenshtein`);
 * parameterised ones are functions (`Scorers.regex(/…/)`, `Scorers.schema(S)`).
 *
 * Where a scorer has a namesake in Braintrust's `autoevals` (`ExactMatch`, `Levenshtein`,
 * `NumericDiff`, `JSONDiff`, `ValidJSON`), it follows the formula of the project's scorer table
 * (`docs/scorers.md`), which matches autoevals on most inputs; each JSDoc states the formula and
 * lists the inputs where autoevals gives a different number. The one difference they share: a
 * scorer that compares with `expected` fails with {@link MissingExpected} when the case has no
 * expected value (`undefined`), and `Scorer.run` records that as a `ScorerError` with reason
 * `"Failed"` instead of a silent 0. Inputs of the wrong kind fail the same way, with
 * {@link InvalidInput}.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import { exactMatch as isExactMatch } from "./internal/scorers/exactMatch.js"
import { parseStructured } from "./internal/scorers/json.js"
import { jsonDiff as jsonSimilarity } from "./internal/scorers/jsonDiff.js"
import { similarity } from "./internal/scorers/levenshtein.js"
import { numericDiff as numericSimilarity } from "./internal/scorers/numericDiff.js"
import * as Scorer from "./Scorer.js"

/**
 * The case has no expected value (`expected` is `undefined`) but the scorer compares the output
 * with one. An explicit `null` is a value, not a missing one.
 *
 * @since 0.1.0
 * @category errors
 */
export class MissingExpected extends Schema.TaggedError<MissingExpected>("@helicone-effect/evaluator/MissingExpected")(
  "MissingExpected",
  { scorer: Schema.String }
) {
  /**
   * @since 0.1.0
   */
  override get message(): string {
    return `the case has no expected value to compare the output with`
  }
}

/**
 * The output or the expected value is not of a kind the scorer can score (for example an object
 * given to `levenshtein`, or `"n/a"` given to `numericDiff`).
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidInput extends Schema.TaggedError<InvalidInput>("@helicone-effect/evaluator/InvalidInput")(
  "InvalidInput",
  {
    scorer: Schema.String,
    field: Schema.Literal("output", "expected"),
    wanted: Schema.String,
    received: Schema.String
  }
) {
  /**
   * @since 0.1.0
   */
  override get message(): string {
    return `${this.field} must be ${this.wanted}, got ${this.received}`
  }
}

/**
 * Why a built-in scorer could not score a case.
 *
 * @since 0.1.0
 * @category errors
 */
export type InputError = MissingExpected | InvalidInput

const missingExpected = (scorer: string): Effect.Effect<never, MissingExpected> =>
  Effect.fail(new MissingExpected({ scorer }))

const invalidInput = (
  scorer: string,
  field: "output" | "expected",
  wanted: string,
  value: unknown
): Effect.Effect<never, InvalidInput> =>
  Effect.fail(new InvalidInput({ scorer, field, wanted, received: preview(value) }))

const preview = (u: unknown): string => {
  if (u === null || u === undefined) return String(u)
  if (Array.isArray(u)) return "an array"
  switch (typeof u) {
    case "string":
      return JSON.stringify(u.length > 40 ? `${u.slice(0, 40)}…` : u)
    case "object":
      return "an object"
    case "function":
      return "a function"
    default:
      return String(u)
  }
}

// exactMatch ------------------------------------------------------------------------------------

/**
 * 1 if the output equals the expected value, else 0 (autoevals' `ExactMatch`). Equality is deep
 * for objects and arrays and ignores key order (`{ a: 1, b: 2 }` = `{ b: 2, a: 1 }`); objects
 * follow JSON, so a key whose value is `undefined` counts as absent and a `Date` compares as its
 * ISO string. Strings are compared as they are: no trimming, no case folding, no parsing
 * (`'{"a":1}'` ≠ `{ a: 1 }`). Types are never coerced (`123` ≠ `"123"`, `undefined` ≠ `null`).
 * `NaN` equals `NaN`, and `0` equals `-0`.
 *
 * Differences from autoevals (which compares `JSON.stringify` / `String` texts): key order
 * (autoevals: 0), `123` vs `"123"` and JSON text vs the object it encodes (autoevals: 1), and a
 * missing `expected` fails with {@link MissingExpected} (autoevals compares with `null`).
 *
 * @since 0.1.0
 * @category scorers
 */
export const exactMatch: Scorer.Scorer<unknown, unknown, unknown, MissingExpected> = Scorer.make<
  unknown,
  unknown,
  unknown,
  number,
  MissingExpected
>(
  "exactMatch",
  ({ expected, output }) =>
    expected === undefined ? missingExpected("exactMatch") : isExactMatch(output, expected) ? 1 : 0
)

// contains --------------------------------------------------------------------------------------

/**
 * Options of the `contains` family. `caseSensitive` defaults to `true`; when `false`, both sides
 * are compared in their `toLowerCase()` form (locale-independent).
 *
 * @since 0.1.0
 * @category models
 */
export interface ContainsOptions {
  readonly caseSensitive?: boolean | undefined
}

const lower = (s: string): string => s.toLowerCase()
const same = (s: string): string => s

/**
 * Like {@link contains}, with options: 1 if the output string contains the expected string,
 * else 0.
 *
 * @example
 * ```ts
 * import { Scorers } from "@helicone-effect/evaluator"
 *
 * const mentionsCity = Scorers.containsWith({ caseSensitive: false })
 * ```
 *
 * @since 0.1.0
 * @category scorers
 */
export const containsWith = (options?: ContainsOptions): Scorer.Scorer<unknown, string, string, InputError> => {
  const fold = options?.caseSensitive === false ? lower : same
  return Scorer.make<unknown, string, string, number, InputError>("contains", ({ expected, output }) => {
    if (typeof output !== "string") return invalidInput("contains", "output", "a string", output)
    if (expected === undefined) return missingExpected("contains")
    if (typeof expected !== "string") return invalidInput("contains", "expected", "a string", expected)
    return fold(output).includes(fold(expected)) ? 1 : 0
  })
}

/**
 * 1 if the output string contains the case's expected string, else 0. Case-sensitive (use
 * {@link containsWith} for `{ caseSensitive: false }`); an empty expected string is contained in
 * every output. Fails with {@link InvalidInput} when either side is not a string and with
 * {@link MissingExpected} when the case has no expected value.
 *
 * @since 0.1.0
 * @category scorers
 */
export const contains: Scorer.Scorer<unknown, string, string, InputError> = containsWith()

const containsNeedles = (
  name: "containsAll" | "containsAny",
  needles: ReadonlyArray<string>,
  options: ContainsOptions | undefined
): Scorer.Scorer<unknown, string, unknown, InvalidInput> => {
  const fold = options?.caseSensitive === false ? lower : same
  const folded = needles.map(fold)
  const all = name === "containsAll"
  return Scorer.make<unknown, string, unknown, number, InvalidInput>(name, ({ output }) => {
    if (typeof output !== "string") return invalidInput(name, "output", "a string", output)
    const haystack = fold(output)
    for (const needle of folded) {
      if (haystack.includes(needle) !== all) return all ? 0 : 1
    }
    return all ? 1 : 0
  })
}

/**
 * 1 if the output string contains every one of `needles`, else 0 (so an empty list scores 1).
 * The case's expected value is not used. Case-sensitive unless `{ caseSensitive: false }`.
 *
 * @example
 * ```ts
 * import { Scorers } from "@helicone-effect/evaluator"
 *
 * const citesBoth = Scorers.containsAll(["[1]", "[2]"])
 * ```
 *
 * @since 0.1.0
 * @category scorers
 */
export const containsAll = (
  needles: ReadonlyArray<string>,
  options?: ContainsOptions
): Scorer.Scorer<unknown, string, unknown, InvalidInput> => containsNeedles("containsAll", needles, options)

/**
 * 1 if the output string contains at least one of `needles`, else 0 (so an empty list scores 0).
 * The case's expected value is not used. Case-sensitive unless `{ caseSensitive: false }`.
 *
 * @example
 * ```ts
 * import { Scorers } from "@helicone-effect/evaluator"
 *
 * const refuses = Scorers.containsAny(["I can't", "I cannot"], { caseSensitive: false })
 * ```
 *
 * @since 0.1.0
 * @category scorers
 */
export const containsAny = (
  needles: ReadonlyArray<string>,
  options?: ContainsOptions
): Scorer.Scorer<unknown, string, unknown, InvalidInput> => containsNeedles("containsAny", needles, options)

// regex -----------------------------------------------------------------------------------------

/**
 * 1 if `pattern` matches somewhere in the output string, else 0 (anchor it with `^…$` to match
 * the whole output). A string pattern is compiled with `new RegExp(pattern)`. The `g` and `y`
 * flags do not carry state from one case to the next: every case is matched from index 0, and
 * the caller's `RegExp` object is never mutated.
 *
 * @example
 * ```ts
 * import { Scorers } from "@helicone-effect/evaluator"
 *
 * const isIsoDate = Scorers.regex(/^\d{4}-\d{2}-\d{2}$/)
 * ```
 *
 * @since 0.1.0
 * @category scorers
 */
export const regex = (pattern: RegExp | string): Scorer.Scorer<unknown, string, unknown, InvalidInput> => {
  const re = typeof pattern === "string" ? new RegExp(pattern) : new RegExp(pattern.source, pattern.flags)
  return Scorer.make<unknown, string, unknown, number, InvalidInput>("regex", ({ output }) => {
    if (typeof output !== "string") return invalidInput("regex", "output", "a string", output)
    re.lastIndex = 0
    return re.test(output) ? 1 : 0
  })
}

// levenshtein -----------------------------------------------------------------------------------

const asText = (u: unknown): string | undefined => {
  switch (typeof u) {
    case "string":
      return u
    case "number":
    case "boolean":
    case "bigint":
      return String(u)
    default:
      return u === null ? "null" : undefined
  }
}

/**
 * Normalised Levenshtein similarity — autoevals' `Levenshtein`:
 * `1 − d / max(len(output), len(expected))`, where `d` is the edit distance (insertions,
 * deletions, substitutions). Lengths and distance count UTF-16 code units, i.e. JavaScript
 * string length, so `"😀"` vs `"😃"` (two surrogate pairs sharing a high surrogate) scores 0.5.
 * Both empty → 1. Numbers, booleans and `null` are compared as their `String(…)` text, as in
 * autoevals.
 *
 * Differences from autoevals: a missing `expected` fails with {@link MissingExpected} (as in
 * autoevals, which throws), and objects, arrays or `undefined` fail with {@link InvalidInput}
 * (autoevals compares `"[object Object]"` texts).
 *
 * @since 0.1.0
 * @category scorers
 */
export const levenshtein: Scorer.Scorer<unknown, string, string, InputError> = Scorer.make<
  unknown,
  string,
  string,
  number,
  InputError
>("levenshtein", ({ expected, output }) => {
  if (typeof output === "string" && typeof expected === "string") return similarity(output, expected)
  if (expected === undefined) return missingExpected("levenshtein")
  const a = asText(output)
  if (a === undefined) return invalidInput("levenshtein", "output", "a string", output)
  const b = asText(expected)
  if (b === undefined) return invalidInput("levenshtein", "expected", "a string", expected)
  return similarity(a, b)
})

// numericDiff -----------------------------------------------------------------------------------

const asNumber = (u: unknown): number | undefined => {
  if (typeof u === "number") return u
  if (typeof u === "string" && u.trim() !== "") {
    const n = Number(u)
    return Number.isNaN(n) ? undefined : n
  }
  return undefined
}

const numberWanted = "a number or a numeric string"

/**
 * Normalised numeric difference — autoevals' `NumericDiff`:
 * `1 − |output − expected| / (|output| + |expected|)`; both 0 → 1; never below 0 (numbers of
 * opposite sign score 0). Numeric strings (`"42"`, `" 1e3 "`) are read with `Number(…)`, as
 * JavaScript arithmetic in autoevals would.
 *
 * Differences from autoevals: a missing `expected` fails with {@link MissingExpected} (autoevals
 * throws); anything that is not a number or a non-blank numeric string fails with
 * {@link InvalidInput} (autoevals coerces `""`, `null` and `true` to numbers); infinities and NaN
 * score 0 unless both sides are the same infinity (autoevals gives NaN).
 *
 * @since 0.1.0
 * @category scorers
 */
export const numericDiff: Scorer.Scorer<unknown, number, number, InputError> = Scorer.make<
  unknown,
  number,
  number,
  number,
  InputError
>("numericDiff", ({ expected, output }) => {
  if (typeof output === "number" && typeof expected === "number") return numericSimilarity(output, expected)
  if (expected === undefined) return missingExpected("numericDiff")
  const a = asNumber(output)
  if (a === undefined) return invalidInput("numericDiff", "output", numberWanted, output)
  const b = asNumber(expected)
  if (b === undefined) return invalidInput("numericDiff", "expected", numberWanted, expected)
  return numericSimilarity(a, b)
})

// JSON ------------------------------------------------------------------------------------------

/**
 * 1 if the output is JSON for an object or an array, else 0 — autoevals' `ValidJSON` (without
 * its JSON-Schema option; use {@link schema} to check the shape). A string output is parsed; a
 * bare JSON string, number, boolean or `null` scores 0, as does invalid JSON. An output that is
 * already an object or an array (e.g. from structured outputs) scores 1. Needs no expected value.
 *
 * @since 0.1.0
 * @category scorers
 */
export const jsonValid: Scorer.Scorer<unknown, unknown, unknown> = Scorer.make<unknown, unknown, unknown, number>(
  "jsonValid",
  ({ output }) => {
    if (typeof output === "string") return parseStructured(output) === undefined ? 0 : 1
    return typeof output === "object" && output !== null ? 1 : 0
  }
)

/**
 * Structural JSON similarity (autoevals' `JSONDiff` with its default string and number
 * scorers). Recursive:
 * - a string holding JSON for an object or an array is parsed first, at every level;
 * - objects: the mean over the union of keys, a key missing on one side scoring 0 even when the
 *   other side is `null` (a key whose value is `undefined` counts as missing); both empty → 1;
 * - arrays: compared element by element like objects keyed by index, the sum divided by the
 *   longer length (extra elements score 0); both empty → 1;
 * - strings → {@link levenshtein}; numbers → {@link numericDiff};
 * - other leaves (booleans, `null`) → exact match, 1 or 0;
 * - mismatched types (an object against an array, a number against a string, `null` against
 *   anything else) → 0.
 *
 * Differences from autoevals (which scores the Levenshtein similarity of the two JSON texts for
 * any other pair): `true` vs `false` → 0 (autoevals: 0.2), mismatched types → 0 (`1` vs `"1"`:
 * autoevals 1/3), a key missing on one side against `null` → 0 (autoevals: 1), and a missing
 * top-level `expected` fails with {@link MissingExpected} (autoevals scores it like `null`).
 *
 * @example
 * ```ts
 * import { Scorers } from "@helicone-effect/evaluator"
 *
 * // { a: 1 } vs { a: 2 }: numericDiff(1, 2) = 1 − 1/3 ≈ 0.667
 * const scorer = Scorers.jsonDiff
 * ```
 *
 * @since 0.1.0
 * @category scorers
 */
export const jsonDiff: Scorer.Scorer<unknown, unknown, unknown, MissingExpected> = Scorer.make<
  unknown,
  unknown,
  unknown,
  number,
  MissingExpected
>(
  "jsonDiff",
  ({ expected, output }) => expected === undefined ? missingExpected("jsonDiff") : jsonSimilarity(output, expected)
)

/**
 * 1 if the output decodes with `schema`, else 0 with the parse error (all issues) as
 * `metadata.error`. The output is decoded as it is: for JSON text, pass
 * `Schema.parseJson(S)`. Needs no expected value.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Scorers } from "@helicone-effect/evaluator"
 *
 * const isPerson = Scorers.schema(Schema.parseJson(Schema.Struct({ name: Schema.String, age: Schema.Number })))
 * ```
 *
 * @since 0.1.0
 * @category scorers
 */
export const schema = <A, I>(schema: Schema.Schema<A, I, never>): Scorer.Scorer<unknown, unknown, unknown> => {
  const decode = Schema.decodeUnknownEither(schema, { errors: "all" })
  return Scorer.make<unknown, unknown, unknown, Scorer.ScoreResult>("schema", ({ output }) => {
    const result = decode(output)
    return Either.isRight(result) ? 1 : { score: 0, metadata: { error: result.left.message } }
  })
}
