import { assert, describe, it } from "@effect/vitest"
import { Scorer, Scorers } from "@helicone-effect/evaluator"
import { Effect, Schema } from "effect"

type AnyScorer = Scorer.Scorer<any, any, any, any>

const run = (scorer: AnyScorer, output: unknown, expected?: unknown) =>
  Scorer.run(scorer, { input: null, output, expected, metadata: {} })

/** Runs every `[output, expected, score]` case and checks the number within 1e-12. */
const expectScores = (scorer: AnyScorer, cases: ReadonlyArray<readonly [unknown, unknown, number]>) =>
  Effect.forEach(cases, ([output, expected, want]) =>
    Effect.map(run(scorer, output, expected), (score) => {
      assert.strictEqual(score.name, scorer.name)
      assert.isFalse(score.boolean)
      assert.closeTo(
        score.score,
        want,
        1e-12,
        `${scorer.name}(${JSON.stringify(output)}, ${JSON.stringify(expected)})`
      )
    }), { discard: true })

/** The ScorerError the user gets, as recorded by `Scorer.run`. */
const failure = (scorer: AnyScorer, output: unknown, expected?: unknown) => Effect.flip(run(scorer, output, expected))

describe("exactMatch", () => {
  it.effect("compares strings as they are: no trimming, no case folding, no parsing", () =>
    expectScores(Scorers.exactMatch, [
      ["hello", "hello", 1],
      ["hello", "world", 0],
      ["hello ", "hello", 0],
      ["Hello", "hello", 0],
      ["", "", 1],
      ["😀", "😀", 1],
      ["{\"a\":1}", "{\"a\":1}", 1],
      ["{\"a\":1}", "{\"a\": 1}", 0],
      // a JSON string is not the object it encodes
      ["{\"a\":1}", { a: 1 }, 0],
      [{ a: 1, b: 2 }, "{\"a\": 1, \"b\": 2}", 0],
      ["null", null, 0],
      ["x", null, 0]
    ]))

  it.effect("compares objects and arrays deeply, ignoring key order", () =>
    expectScores(Scorers.exactMatch, [
      [{ a: 1, b: 2 }, { a: 1, b: 2 }, 1],
      [{ a: 1, b: 2 }, { b: 2, a: 1 }, 1],
      [{ a: 1, b: 2 }, { a: 1, b: 3 }, 0],
      [{ a: 1, b: 2 }, { b: 2, a: 1, c: 3 }, 0],
      [{ a: 1, b: 2, c: 3 }, { a: 1, b: 2 }, 0],
      [{ a: [1, { b: "x", c: null }] }, { a: [1, { c: null, b: "x" }] }, 1],
      [{ a: [1, { b: "x" }] }, { a: [1, { b: "y" }] }, 0],
      [{ a: { b: 1 } }, { a: { b: 1, c: 2 } }, 0],
      [[1, 2, 3], [1, 2, 3], 1],
      [[1, 2, 3], [3, 2, 1], 0],
      [[1, 2], [1, 2, 3], 0],
      [[], [], 1],
      [{}, {}, 1],
      [[], {}, 0],
      [[1, 2], { 0: 1, 1: 2 }, 0],
      [{ a: 1 }, ["a", 1], 0],
      [{ a: null }, {}, 0],
      [{ a: null }, { a: null }, 1]
    ]))

  it.effect("follows JSON for objects: an undefined value is an absent key, a Date is its ISO text", () =>
    expectScores(Scorers.exactMatch, [
      [{ a: 1, b: undefined }, { a: 1 }, 1],
      [{ a: 1 }, { b: undefined, a: 1 }, 1],
      [{ a: undefined }, {}, 1],
      [{ a: undefined }, { a: null }, 0],
      [{ a: undefined, b: 1 }, { b: 1, c: undefined }, 1],
      [new Date(0), new Date(0), 1],
      [new Date(0), new Date(1), 0],
      [{ at: new Date(0) }, { at: "1970-01-01T00:00:00.000Z" }, 1]
    ]))

  it.effect("never coerces between types", () =>
    expectScores(Scorers.exactMatch, [
      [123, 123, 1],
      [123, 124, 0],
      [123, "123", 0],
      ["123", 123, 0],
      [true, true, 1],
      [true, false, 0],
      [true, "true", 0],
      [1, true, 0],
      [0, false, 0],
      ["", 0, 0],
      [null, null, 1],
      [undefined, null, 0],
      [null, {}, 0],
      [[null], [undefined], 0],
      [{ a: 1 }, { a: "1" }, 0],
      // documented choices for the two numbers that are not `===` to themselves or each other
      [NaN, NaN, 1],
      [{ a: NaN }, { a: NaN }, 1],
      [0, -0, 1]
    ]))

  it.effect("fails with MissingExpected when the case has no expected value", () =>
    Effect.gen(function*() {
      const error = yield* failure(Scorers.exactMatch, "hello", undefined)
      assert.strictEqual(error._tag, "ScorerError")
      assert.strictEqual(error.scorer, "exactMatch")
      assert.strictEqual(error.reason, "Failed")
      assert.strictEqual(error.detail, "MissingExpected: the case has no expected value to compare the output with")
    }))
})

describe("contains", () => {
  it.effect("checks the output contains the expected string, case-sensitively", () =>
    expectScores(Scorers.contains, [
      ["Paris is the capital", "Paris", 1],
      ["Paris is the capital", "paris", 0],
      ["Paris", "Paris is the capital", 0],
      ["anything", "", 1],
      ["", "", 1],
      ["", "a", 0],
      ["emoji 😀 here", "😀", 1]
    ]))

  it.effect("containsWith({ caseSensitive: false }) ignores case", () =>
    expectScores(Scorers.containsWith({ caseSensitive: false }), [
      ["Paris is the capital", "PARIS", 1],
      ["STRASSE", "strasse", 1],
      ["Paris", "Lyon", 0]
    ]))

  it.effect("fails on a non-string output and on a missing expected", () =>
    Effect.gen(function*() {
      const notString = yield* failure(Scorers.contains, 42, "4")
      assert.strictEqual(notString.reason, "Failed")
      assert.strictEqual(notString.detail, "InvalidInput: output must be a string, got 42")
      const notStringExpected = yield* failure(Scorers.contains, "42", { a: 1 })
      assert.strictEqual(notStringExpected.detail, "InvalidInput: expected must be a string, got an object")
      const missing = yield* failure(Scorers.contains, "42", undefined)
      assert.strictEqual(missing.detail, "MissingExpected: the case has no expected value to compare the output with")
    }))

  it.effect("containsAll needs every needle, containsAny one of them; neither reads expected", () =>
    Effect.gen(function*() {
      yield* expectScores(Scorers.containsAll(["a", "b"]), [
        ["a and b", undefined, 1],
        ["a only", "ignored", 0],
        ["b", undefined, 0]
      ])
      yield* expectScores(Scorers.containsAll([]), [["x", undefined, 1]])
      yield* expectScores(Scorers.containsAll(["FOO", "Bar"], { caseSensitive: false }), [["foo bar", undefined, 1]])
      yield* expectScores(Scorers.containsAny(["x", "y"]), [
        ["y", undefined, 1],
        ["z", undefined, 0],
        ["Y", undefined, 0]
      ])
      yield* expectScores(Scorers.containsAny([]), [["x", undefined, 0]])
      yield* expectScores(Scorers.containsAny(["NO"], { caseSensitive: false }), [["no way", undefined, 1]])
      assert.strictEqual(Scorers.containsAll(["a"]).name, "containsAll")
      assert.strictEqual(Scorers.containsAny(["a"]).name, "containsAny")
      const error = yield* failure(Scorers.containsAny(["a"]), ["a"])
      assert.strictEqual(error.detail, "InvalidInput: output must be a string, got an array")
    }))
})

describe("regex", () => {
  it.effect("scores 1 when the pattern matches somewhere in the output", () =>
    Effect.gen(function*() {
      yield* expectScores(Scorers.regex(/^\d{4}-\d{2}-\d{2}$/), [
        ["2024-01-31", undefined, 1],
        ["on 2024-01-31", undefined, 0]
      ])
      yield* expectScores(Scorers.regex("b+"), [
        ["abbc", undefined, 1],
        ["ac", undefined, 0]
      ])
      yield* expectScores(Scorers.regex(/HELLO/i), [["well, hello", undefined, 1]])
    }))

  it.effect("a global or sticky pattern keeps no state between cases and the caller's RegExp is untouched", () =>
    Effect.gen(function*() {
      const global = /a/g
      const scorer = Scorers.regex(global)
      // with a shared lastIndex the second identical case would not match
      yield* expectScores(scorer, [["a", undefined, 1], ["a", undefined, 1], ["ba", undefined, 1]])
      assert.strictEqual(global.lastIndex, 0)
      yield* expectScores(Scorers.regex(/a/y), [["ab", undefined, 1], ["ba", undefined, 0], ["ab", undefined, 1]])
    }))

  it.effect("fails on a non-string output", () =>
    Effect.gen(function*() {
      const error = yield* failure(Scorers.regex(/1/), 1)
      assert.strictEqual(error.detail, "InvalidInput: output must be a string, got 1")
    }))
})

describe("levenshtein", () => {
  it.effect("1 − d / max length (autoevals' Levenshtein cases)", () =>
    expectScores(Scorers.levenshtein, [
      ["", "", 1],
      ["", "a", 0],
      ["a", "", 0],
      ["a", "a", 1],
      ["a", "b", 0],
      ["ab", "ac", 1 / 2],
      ["ac", "bc", 1 / 2],
      ["abc", "axc", 2 / 3],
      // d = 6 of 13
      ["xabxcdxxefxgx", "1ab2cd34ef5g6", 7 / 13],
      // d = 3 of 7
      ["kitten", "sitting", 4 / 7],
      ["flaw", "lawn", 1 / 2]
    ]))

  it.effect("counts UTF-16 code units: surrogate pairs are two, nothing is normalised", () =>
    expectScores(Scorers.levenshtein, [
      // U+1F600 and U+1F603 share their high surrogate: d = 1 of 2 units
      ["😀", "😃", 1 / 2],
      ["😀", "", 0],
      ["😀", "😀", 1],
      // "a😀" is 3 units, "a" is 1: d = 2 of 3
      ["a😀", "a", 1 / 3],
      ["café", "cafe", 3 / 4],
      // precomposed U+00E9 vs e + U+0301: substitute and insert, d = 2 of 2
      ["\u00e9", "e\u0301", 0],
      // 33+ units takes fastest-levenshtein's multi-word path: one substitution in 40
      ["a".repeat(40), `${"a".repeat(39)}b`, 39 / 40],
      ["😀".repeat(20), "😃".repeat(20), 1 / 2]
    ]))

  it.effect("numbers, booleans and null are compared as text, as in autoevals", () =>
    expectScores(Scorers.levenshtein, [
      [123, 124, 2 / 3],
      [123, "123", 1],
      [true, "true", 1],
      [null, "null", 1]
    ]))

  it.effect("fails on objects, arrays, undefined output and a missing expected", () =>
    Effect.gen(function*() {
      assert.strictEqual(
        (yield* failure(Scorers.levenshtein, { a: 1 }, "x")).detail,
        "InvalidInput: output must be a string, got an object"
      )
      assert.strictEqual(
        (yield* failure(Scorers.levenshtein, undefined, "x")).detail,
        "InvalidInput: output must be a string, got undefined"
      )
      assert.strictEqual(
        (yield* failure(Scorers.levenshtein, "x", ["x"])).detail,
        "InvalidInput: expected must be a string, got an array"
      )
      const missing = yield* failure(Scorers.levenshtein, "x", undefined)
      assert.strictEqual(missing.reason, "Failed")
      assert.strictEqual(missing.detail, "MissingExpected: the case has no expected value to compare the output with")
    }))
})

describe("numericDiff", () => {
  it.effect("1 − |a − b| / (|a| + |b|), both zero → 1, opposite signs → 0", () =>
    expectScores(Scorers.numericDiff, [
      [0, 0, 1],
      [-0, 0, 1],
      [0, 1, 0],
      [0, -5, 0],
      [1, 2, 2 / 3],
      [2, 1, 2 / 3],
      [1.0, 2.0, 2 / 3],
      [-1, 2, 0],
      [-1, -2, 2 / 3],
      [-3, 3, 0],
      [5, 5, 1],
      [1, 3, 1 / 2],
      [100, 90, 18 / 19],
      [0.1, 0.2, 2 / 3],
      [1e-300, 2e-300, 2 / 3]
    ]))

  it.effect("stays in [0, 1] at the edges of the number line", () =>
    expectScores(Scorers.numericDiff, [
      // |a| + |b| overflows: the ratio is computed on halves
      [1.5e308, 7.5e307, 2 / 3],
      [1e308, -1e308, 0],
      [Infinity, Infinity, 1],
      [Infinity, 1, 0],
      [-Infinity, Infinity, 0],
      [NaN, NaN, 0],
      [Number.MAX_VALUE, Number.MIN_VALUE, 0]
    ]))

  it.effect("reads numeric strings like autoevals' arithmetic does", () =>
    expectScores(Scorers.numericDiff, [
      ["42", 42, 1],
      [" 1e3 ", "1000", 1],
      ["-2", "-1", 2 / 3]
    ]))

  it.effect("fails on non-numbers and a missing expected", () =>
    Effect.gen(function*() {
      assert.strictEqual(
        (yield* failure(Scorers.numericDiff, "n/a", 1)).detail,
        "InvalidInput: output must be a number or a numeric string, got \"n/a\""
      )
      assert.strictEqual(
        (yield* failure(Scorers.numericDiff, "", 1)).detail,
        "InvalidInput: output must be a number or a numeric string, got \"\""
      )
      assert.strictEqual(
        (yield* failure(Scorers.numericDiff, 1, true)).detail,
        "InvalidInput: expected must be a number or a numeric string, got true"
      )
      assert.strictEqual(
        (yield* failure(Scorers.numericDiff, 1, null)).detail,
        "InvalidInput: expected must be a number or a numeric string, got null"
      )
      assert.strictEqual(
        (yield* failure(Scorers.numericDiff, 1, undefined)).detail,
        "MissingExpected: the case has no expected value to compare the output with"
      )
    }))
})

describe("jsonValid", () => {
  it.effect("1 only for JSON objects and arrays (autoevals' ValidJSON cases)", () =>
    expectScores(Scorers.jsonValid, [
      ["1", undefined, 0],
      ["{ \"a\": 1, \"b\": \"hello\" }", undefined, 1],
      ["[{ \"a\": 1 }]", undefined, 1],
      ["[{ \"a\": 1 }", undefined, 0],
      ["{ \"mapping\": { \"a\": \"foo\", \"b\": \"bar\" }, \"extra\": 4 }", undefined, 1],
      ["{ mapping: { \"a\": \"foo\", \"b\": \"bar\" }, \"extra\": 4 }", undefined, 0],
      [{ a: "1", b: "1" }, undefined, 1],
      [[{ a: "1" }, { a: "1", b: 22 }], undefined, 1],
      [100, undefined, 0],
      ["100", undefined, 0],
      ["\"a string\"", undefined, 0],
      ["null", undefined, 0],
      ["true", undefined, 0],
      ["", undefined, 0],
      ["  \n\t{\"a\": 1}\r\n", undefined, 1],
      ["[]", undefined, 1],
      ["{} trailing", undefined, 0],
      [null, undefined, 0],
      [undefined, undefined, 0]
    ]))
})

describe("jsonDiff", () => {
  it.effect("strings are compared with Levenshtein", () =>
    expectScores(Scorers.jsonDiff, [
      ["", "", 1],
      ["", "a", 0],
      ["a", "a", 1],
      ["ab", "ac", 1 / 2],
      ["abc", "axc", 2 / 3],
      ["xabxcdxxefxgx", "1ab2cd34ef5g6", 7 / 13]
    ]))

  it.effect("objects average over the union of keys, recursively (autoevals' JSONDiff cases)", () =>
    expectScores(Scorers.jsonDiff, [
      [null, null, 1],
      [undefined, null, 0],
      ["", null, 0],
      [[], {}, 0],
      [[], [], 1],
      [{}, {}, 1],
      [{ a: 1 }, { a: 1 }, 1],
      [{ a: 1 }, { a: 2 }, 2 / 3],
      // x: numericDiff(1, 2) = 2/3, y: levenshtein("abc", "abd") = 2/3
      [{ x: 1, y: "abc" }, { x: 2, y: "abd" }, (2 / 3 + 2 / 3) / 2],
      [{ a: 1 }, { b: { a: 1 } }, 0],
      [{ a: 1 }, { a: null }, 0],
      // a: 1, b: missing on the left → 0, c: missing on the right → 0
      [{ a: 1, c: "x" }, { a: 1, b: 2 }, 1 / 3],
      // mapping: (2/3 + 2/3) / 2, Extra: missing → 0
      [{ mapping: { a: "foo", b: "bar" } }, { mapping: { a: "Foo", b: "Bar" }, Extra: 5 }, 1 / 3],
      [{ a: { b: { c: "abc" } } }, { a: { b: { c: "axc" } } }, 2 / 3],
      [{ a: 1, b: "x", c: true }, { c: true, b: "x", a: 1 }, 1]
    ]))

  it.effect("JSON text is parsed at every level (autoevals' semantic cases)", () =>
    expectScores(Scorers.jsonDiff, [
      ["{\"x\": 1, \"y\": 2}", "{\"y\": 2, \"x\": 1}", 1],
      ["{\"zs\": [\"a\", \"b\"], \"x\": 1, \"y\": 2}", "{\"y\": 2, \"zs\": [\"a\", \"b\"], \"x\": 1}", 1],
      ["{\"xs\": [{\"o1\": {\"x\": 1, \"y\": [2]}}]}", "{\"xs\": [{\"o1\": {\"y\": [2], \"x\": 1}}]}", 1],
      // o1: (numericDiff(2, 1) + 1) / 2
      ["{\"o1\": {\"x\": 2, \"y\": 2}}", "{\"o1\": {\"y\": 2, \"x\": 1}}", 5 / 6],
      [{ o1: { x: 2, y: 2 } }, "{\"o1\": {\"y\": 2, \"x\": 1}}", 5 / 6],
      ["{\"x\": 1, \"y\": 2}", "{\"x\": 1, \"z\": 2}", 1 / 3],
      ["[1, 2]", "[1, 2]", 1],
      ["[1, 2]", "[2, 1]", 2 / 3],
      [{ a: "{\"b\": 1}" }, { a: { b: 1 } }, 1],
      // bare JSON scalars stay strings: Levenshtein of "1" and "2"
      ["1", "2", 0],
      ["{not json", "{not json", 1]
    ]))

  it.effect("arrays of different lengths: extra elements score 0", () =>
    expectScores(Scorers.jsonDiff, [
      [[1, 2, 3], [1, 2], 2 / 3],
      [[1, 2], [1, 2, 3, 4], 1 / 2],
      [[], [1], 0],
      [["abc"], ["axc", "extra"], 1 / 3],
      [[[1], [2, 3]], [[1], [2]], 3 / 4]
    ]))

  it.effect("booleans and null are exact matches; mismatched types score 0", () =>
    expectScores(Scorers.jsonDiff, [
      [true, true, 1],
      [false, false, 1],
      [true, false, 0],
      [{ a: true }, { a: false }, 0],
      [{ a: true, b: 1 }, { a: true, b: 1 }, 1],
      [{ a: null }, { a: null }, 1],
      [1, "1", 0],
      ["1", 1, 0],
      [1, true, 0],
      [{ a: true }, { a: "true" }, 0],
      [{ a: 1 }, ["a", 1], 0],
      [{ b: 2, a: 1 }, [{ a: 1, b: 2 }], 0],
      [null, {}, 0],
      [null, [], 0],
      [null, 0, 0],
      [null, "", 0],
      [null, false, 0],
      // a: null vs 1 → 0, b: 2 vs 2 → 1
      [{ a: null, b: 2 }, { a: 1, b: 2 }, 1 / 2],
      [[null, "x"], [undefined, "x"], 1 / 2]
    ]))

  it.effect("a key missing on one side scores 0, even against null; an undefined value is a missing key", () =>
    expectScores(Scorers.jsonDiff, [
      [{ a: null }, {}, 0],
      [{}, { a: null }, 0],
      [{ a: 0 }, {}, 0],
      // a: 1, b: missing on the right → 0
      [{ a: 1, b: null }, { a: 1 }, 1 / 2],
      [{ a: undefined }, {}, 1],
      [{ a: 1, b: undefined }, { a: 1 }, 1],
      [{ a: undefined }, { a: null }, 0],
      [{ a: 1, b: undefined }, { a: 1, b: 2 }, 1 / 2]
    ]))

  it.effect("a Date is compared as its ISO text, as JSON would carry it", () =>
    expectScores(Scorers.jsonDiff, [
      [new Date(0), "1970-01-01T00:00:00.000Z", 1],
      [{ at: new Date(0) }, { at: new Date(0) }, 1],
      // "1970-01-01T00:00:00.000Z" vs "1970-01-01T00:00:00.001Z": d = 1 of 24
      [{ at: new Date(0) }, { at: new Date(1) }, 23 / 24]
    ]))

  it.effect("fails with MissingExpected when the case has no expected value", () =>
    Effect.gen(function*() {
      const error = yield* failure(Scorers.jsonDiff, { a: 1 }, undefined)
      assert.strictEqual(error.reason, "Failed")
      assert.strictEqual(error.detail, "MissingExpected: the case has no expected value to compare the output with")
    }))
})

describe("schema", () => {
  const Person = Schema.Struct({ name: Schema.String, age: Schema.Number })

  it.effect("1 when the output decodes, 0 with every parse issue in metadata.error", () =>
    Effect.gen(function*() {
      const scorer = Scorers.schema(Person)
      assert.strictEqual(scorer.name, "schema")
      const ok = yield* run(scorer, { name: "Ada", age: 36 })
      assert.strictEqual(ok.score, 1)
      assert.isUndefined(ok.metadata)
      const bad = yield* run(scorer, { name: 1 })
      assert.strictEqual(bad.score, 0)
      const error = bad.metadata?.error
      assert.isString(error)
      assert.include(error, "[\"name\"]")
      assert.include(error, "Expected string, actual 1")
      assert.include(error, "[\"age\"]")
      assert.include(error, "is missing")
    }))

  it.effect("decodes JSON text with Schema.parseJson", () =>
    Effect.gen(function*() {
      const scorer = Scorers.schema(Schema.parseJson(Person))
      assert.strictEqual((yield* run(scorer, "{\"name\":\"Ada\",\"age\":36}")).score, 1)
      const bad = yield* run(scorer, "{\"name\":\"Ada\"")
      assert.strictEqual(bad.score, 0)
      assert.isString(bad.metadata?.error)
    }))
})
