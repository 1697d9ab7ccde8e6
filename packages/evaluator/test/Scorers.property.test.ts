import { assert, describe, it } from "@effect/vitest"
import { Scorer, Scorers } from "@helicone-effect/evaluator"
import { Effect, Either, FastCheck as fc, Schema } from "effect"

const builtIns: ReadonlyArray<Scorer.Scorer<any, any, any, any>> = [
  Scorers.exactMatch,
  Scorers.contains,
  Scorers.containsWith({ caseSensitive: false }),
  Scorers.containsAll(["a", "{"]),
  Scorers.containsAny(["a", "1"], { caseSensitive: false }),
  Scorers.regex(/a+/g),
  Scorers.levenshtein,
  Scorers.numericDiff,
  Scorers.jsonValid,
  Scorers.jsonDiff,
  Scorers.schema(Schema.Struct({ a: Schema.Number }))
]

// JSON values, JSON text (so the parsing paths run), numeric strings and a few non-JSON values
const anyInput = fc.oneof(
  fc.jsonValue(),
  fc.json(),
  fc.double().map(String),
  fc.constantFrom(undefined, NaN, Infinity, -0)
)

/** Textbook dynamic-programming Levenshtein distance over UTF-16 code units. */
const naiveDistance = (a: string, b: string): number => {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        previous[j] + 1,
        current[j - 1] + 1,
        previous[j - 1] + (a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1)
      )
    }
    previous = current
  }
  return previous[b.length]
}

/** The same JSON value with the keys of every object in reverse order. */
const reverseKeys = (u: unknown): unknown =>
  Array.isArray(u)
    ? u.map(reverseKeys)
    : typeof u === "object" && u !== null
    ? Object.fromEntries(Object.entries(u).reverse().map(([k, v]) => [k, reverseKeys(v)]))
    : u

const scoreOf = (scorer: Scorer.Scorer<any, any, any, any>, output: unknown, expected: unknown) =>
  Scorer.run(scorer, { input: null, output, expected, metadata: {} }).pipe(
    Effect.map((score) => score.score),
    Effect.orDie
  )

describe("built-in scorers on arbitrary input", () => {
  it.effect.prop(
    "every built-in returns a score in [0, 1] or a ScorerError with reason Failed, never a defect",
    [anyInput, anyInput],
    ([output, expected]) =>
      Effect.forEach(builtIns, (scorer) =>
        Scorer.run(scorer, { input: null, output, expected, metadata: {} }).pipe(
          Effect.either,
          Effect.map((result) => {
            if (Either.isRight(result)) {
              const { score } = result.right
              assert.isTrue(score >= 0 && score <= 1, `${scorer.name} gave ${score}`)
            } else {
              assert.strictEqual(result.left.reason, "Failed", `${scorer.name}: ${result.left.message}`)
            }
          })
        ), { discard: true }),
    { fastCheck: { numRuns: 300 } }
  )

  it.effect.prop(
    "exactMatch and jsonDiff score any JSON value against a copy of itself 1",
    [fc.jsonValue()],
    ([value]) =>
      Effect.gen(function*() {
        const copy = structuredClone(value)
        assert.strictEqual(yield* scoreOf(Scorers.exactMatch, value, copy), 1)
        assert.strictEqual(yield* scoreOf(Scorers.jsonDiff, value, copy), 1)
        // JSON text is parsed when it holds an object or an array (bare scalars stay strings)
        if (typeof value === "object" && value !== null) {
          assert.strictEqual(yield* scoreOf(Scorers.jsonDiff, JSON.stringify(value), copy), 1)
        }
      })
  )

  it.effect.prop(
    "exactMatch and jsonDiff ignore key order at every level; exactMatch is symmetric",
    [fc.jsonValue(), fc.jsonValue()],
    ([value, other]) =>
      Effect.gen(function*() {
        const reversed = reverseKeys(value)
        assert.strictEqual(yield* scoreOf(Scorers.exactMatch, value, reversed), 1)
        assert.strictEqual(yield* scoreOf(Scorers.jsonDiff, value, reversed), 1)
        assert.strictEqual(
          yield* scoreOf(Scorers.exactMatch, value, other),
          yield* scoreOf(Scorers.exactMatch, other, value)
        )
      })
  )

  it.effect.prop(
    "jsonDiff, levenshtein and numericDiff are symmetric",
    [
      fc.jsonValue(),
      fc.jsonValue(),
      fc.string({ unit: "binary", maxLength: 50 }),
      fc.string(),
      fc.double(),
      fc.double()
    ],
    ([a, b, s, t, x, y]) =>
      Effect.gen(function*() {
        assert.closeTo(yield* scoreOf(Scorers.jsonDiff, a, b), yield* scoreOf(Scorers.jsonDiff, b, a), 1e-12)
        assert.strictEqual(yield* scoreOf(Scorers.levenshtein, s, t), yield* scoreOf(Scorers.levenshtein, t, s))
        assert.strictEqual(yield* scoreOf(Scorers.numericDiff, x, y), yield* scoreOf(Scorers.numericDiff, y, x))
      })
  )

  it.effect.prop(
    "levenshtein equals 1 − d / max length with d from the textbook algorithm, in UTF-16 code units",
    [fc.string({ unit: "binary", maxLength: 80 }), fc.string({ unit: "binary", maxLength: 80 })],
    ([a, b]) =>
      Effect.gen(function*() {
        const max = Math.max(a.length, b.length)
        const want = max === 0 ? 1 : 1 - naiveDistance(a, b) / max
        assert.strictEqual(yield* scoreOf(Scorers.levenshtein, a, b), want)
      })
  )
})
