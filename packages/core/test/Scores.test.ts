import { assert, describe, expect, it } from "@effect/vitest"
import { HeliconeScores, Scores } from "@helicone-effect/core"
import { Effect, Either, FastCheck, Schema } from "effect"
import { jsonScores } from "./fixtures/Arbitraries.js"

describe("Scores.fromUnit", () => {
  it.each([
    [0.923, 92],
    [0.925, 93],
    [0.5, 50],
    [0.005, 1],
    [0.004, 0],
    [0, 0],
    [1, 100]
  ])("%s -> %s", (score, percent) => {
    assert.strictEqual(Scores.fromUnit(score), percent)
  })

  it("rounds in floating point as documented: 0.285 * 100 is just under 28.5", () => {
    assert.strictEqual(Scores.fromUnit(0.285), 28)
  })

  it("takes another scale", () => {
    assert.strictEqual(Scores.fromUnit(0.9234, 1000), 923)
    assert.strictEqual(Scores.fromUnit(1, 1), 1)
  })

  it.each([1.01, -0.01, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])("throws on %s", (score) => {
    expect(() => Scores.fromUnit(score)).toThrow(RangeError)
  })

  it.each([0, -100, 1.5, Number.NaN])("throws on scale %s", (scale) => {
    expect(() => Scores.fromUnit(0.5, scale)).toThrow(RangeError)
  })

  it.prop("always yields an integer in 0..scale that validates as a score", [
    FastCheck.double({ min: 0, max: 1, noNaN: true }),
    FastCheck.integer({ min: 1, max: 1_000_000 })
  ], ([score, scale]) => {
    const value = Scores.fromUnit(score, scale)
    assert.isTrue(Number.isSafeInteger(value) && value >= 0 && value <= scale)
    assert.isTrue(Either.isRight(Scores.validate({ score: value })))
  })
})

describe("Scores schema", () => {
  it("decodes a valid map and refuses a float", () => {
    assert.deepStrictEqual(Schema.decodeUnknownSync(Scores.Scores)({ a: 1, b: true }), { a: 1, b: true })
    assert.isTrue(Either.isLeft(Schema.decodeUnknownEither(Scores.Scores)({ a: 0.5 })))
  })

  it("accepts a name of exactly 256 characters, negative integers and an empty map", () => {
    assert.isTrue(Either.isRight(Scores.validate({ ["n".repeat(256)]: -5 })))
    assert.isTrue(Either.isRight(Scores.validate({})))
  })

  it("refuses, without throwing, scores that throw when read", () => {
    const { proxy, revoke } = Proxy.revocable({}, {})
    revoke()
    const getter = Object.defineProperty({}, "accuracy", {
      enumerable: true,
      get: () => {
        throw new Error("boom")
      }
    })
    for (const scores of [proxy, getter]) {
      const result = Scores.validate(scores)
      assert.isTrue(Either.isLeft(result))
      if (Either.isLeft(result)) expect(result.left.issues[0].reason).toContain("could not be read")
    }
  })

  it.prop("agrees with validate on valid maps", [Scores.Scores], ([scores]) => {
    assert.deepStrictEqual(Scores.validate(scores), Either.right(scores))
  })
})

// Arbitrary JSON, as a user's scorer might produce it: validation either accepts it or fails with InvalidScores,
// never with a defect.
describe("arbitrary JSON as scores", () => {
  it.effect.prop("never produce a defect in layerTest", [jsonScores], ([scores]) =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(
        HeliconeScores.submitScore("2f1c7a3e-8b4d-4e6f-9a1b-3c5d7e9f0a2b", scores as never)
      )
      if (exit._tag === "Failure") {
        assert.strictEqual(exit.cause._tag, "Fail")
        if (exit.cause._tag === "Fail") {
          assert.strictEqual(exit.cause.error._tag, "InvalidScores")
          if (exit.cause.error._tag === "InvalidScores") expect(exit.cause.error.issues.length).toBeGreaterThan(0)
        }
      }
    }).pipe(Effect.provide(HeliconeScores.layerTest)))
})
