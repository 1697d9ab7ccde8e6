/**
 * The scores of one request: a map from score name to an integer or a boolean, the only values Helicone stores.
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { InvalidScores, type ScoreIssue } from "./HeliconeError.js"

/**
 * The score name Helicone's feedback endpoint writes; a score may not use it.
 *
 * @since 0.1.0
 * @category models
 */
export const reservedName = "helicone-score-feedback"

/**
 * The longest score name accepted, in UTF-16 code units.
 *
 * @since 0.1.0
 * @category models
 */
export const maxNameLength = 256

/**
 * A score name: not blank, at most 256 characters, and not the reserved `helicone-score-feedback`.
 *
 * @since 0.1.0
 * @category models
 */
export const ScoreName = Schema.String.pipe(
  Schema.filter((name) => name.trim().length >= 1, {
    message: () => "the name is empty or blank",
    identifier: "NonBlankScoreName"
  }),
  Schema.filter((name) => name.length <= maxNameLength, {
    message: (issue) =>
      `the name is ${String(issue.actual).length} characters long, at most ${maxNameLength} are allowed`,
    identifier: "ShortScoreName"
  }),
  Schema.filter((name) => name !== reservedName, {
    message: () => `"${reservedName}" is reserved for Helicone's feedback (use submitFeedback)`,
    identifier: "UnreservedScoreName"
  }),
  Schema.annotations({ identifier: "ScoreName" })
)

/**
 * A score value: a boolean, or a safe integer. Helicone rejects floats; turn a 0..1 score into an integer with
 * {@link fromUnit}.
 *
 * @since 0.1.0
 * @category models
 */
export const ScoreValue = Schema.Union(Schema.Boolean, Schema.Number.pipe(Schema.int())).annotations({
  identifier: "ScoreValue",
  message: (issue) => ({ message: describeBadValue(issue.actual), override: true })
})

/**
 * The scores of one request, as sent to Helicone.
 *
 * @since 0.1.0
 * @category models
 */
export const Scores = Schema.Record({ key: ScoreName, value: ScoreValue }).annotations({ identifier: "Scores" })

/**
 * @since 0.1.0
 * @category models
 */
export type Scores = Readonly<Record<string, number | boolean>>

/**
 * Checks every entry of a score map and returns the scores, or an `InvalidScores` listing every offending key with
 * the reason. It never throws: a value that throws when read (a revoked `Proxy`, a throwing getter) is an
 * `InvalidScores` too.
 *
 * @since 0.1.0
 * @category validation
 */
export const validate = (u: unknown): Either.Either<Scores, InvalidScores> => {
  try {
    return validateReadable(u)
  } catch {
    return Either.left(
      new InvalidScores({ issues: [{ key: "", reason: "scores could not be read: reading the object threw" }] })
    )
  }
}

const validateReadable = (u: unknown): Either.Either<Scores, InvalidScores> => {
  if (typeof u !== "object" || u === null || Array.isArray(u) || !isPlainObject(u)) {
    return Either.left(
      new InvalidScores({
        issues: [{ key: "", reason: `scores must be an object of name -> integer or boolean, got ${kindOf(u)}` }]
      })
    )
  }
  const issues: Array<ScoreIssue> = []
  const entries: Array<[string, number | boolean]> = []
  for (const key of Object.keys(u)) {
    const value = (u as Record<string, unknown>)[key]
    const name = decodeName(key)
    if (Either.isLeft(name)) issues.push({ key, reason: reasonOf(name.left) })
    const score = decodeValue(value)
    if (Either.isLeft(score)) issues.push({ key, reason: reasonOf(score.left) })
    else entries.push([key, score.right])
  }
  // Object.fromEntries defines own properties, so a key such as "__proto__" stays a plain score name.
  return issues.length > 0 ? Either.left(new InvalidScores({ issues })) : Either.right(Object.fromEntries(entries))
}

/**
 * Turns a score between 0 and 1 into the integer Helicone accepts: `Math.round(score * scale)`, so with the
 * default scale of 100 it is a percentage (`0.923` -> `92`, `0.925` -> `93`; halves round up). The multiplication is
 * done in floating point, so a value whose binary form falls just under a half rounds down (`0.285 * 100` is
 * `28.499999999999996`, giving `28`).
 *
 * Throws a `RangeError` when `score` is not a number between 0 and 1 (NaN and infinities included) or `scale` is
 * not a positive safe integer: such a score is a bug in the scorer, not something to send.
 *
 * @example
 * ```ts
 * import { Scores } from "@helicone-effect/core"
 *
 * Scores.fromUnit(0.923) // 92
 * Scores.fromUnit(0.5, 1000) // 500
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromUnit = (score: number, scale: number = 100): number => {
  if (!Number.isSafeInteger(scale) || scale < 1) {
    throw new RangeError(`Scores.fromUnit: scale must be a positive safe integer, got ${scale}`)
  }
  if (typeof score !== "number" || !(score >= 0 && score <= 1)) {
    throw new RangeError(`Scores.fromUnit: score must be a number between 0 and 1, got ${score}`)
  }
  return Math.round(score * scale)
}

const decodeName = ParseResult.decodeUnknownEither(ScoreName)
const decodeValue = ParseResult.decodeUnknownEither(ScoreValue)

const reasonOf = (issue: ParseResult.ParseIssue): string => ParseResult.TreeFormatter.formatIssueSync(issue)

const isPlainObject = (u: object): boolean => {
  const proto = Object.getPrototypeOf(u)
  return proto === Object.prototype || proto === null
}

const kindOf = (u: unknown): string =>
  u === null ? "null" : Array.isArray(u) ? "an array" : typeof u === "object" ? "a non-plain object" : typeof u

function describeBadValue(actual: unknown): string {
  if (typeof actual === "number") {
    if (Number.isNaN(actual)) return "NaN is not a score; send an integer or a boolean"
    if (!Number.isFinite(actual)) return `${actual} is not a score; send an integer or a boolean`
    if (!Number.isInteger(actual)) {
      return `${actual} is not an integer and Helicone rejects floats; map a 0..1 score with Scores.fromUnit`
    }
    return `${actual} is outside the safe integer range`
  }
  return `expected an integer or a boolean, got ${actual === null ? "null" : typeof actual}`
}
