import { assert, describe, it } from "@effect/vitest"
import { Scorer } from "@helicone-effect/evaluator"
import { Effect, Exit, Schema } from "effect"

class JudgeUnavailable extends Schema.TaggedError<JudgeUnavailable>()("JudgeUnavailable", { model: Schema.String }) {
  override get message() {
    return `judge model ${this.model} is unavailable`
  }
}

const args = { input: "q", output: "a", expected: "a", metadata: {} } as const

const failure = (scorer: Scorer.Scorer<any, any, any, any>) => Effect.flip(Scorer.run(scorer, args))

describe("Scorer.make", () => {
  it.effect("accepts numbers, booleans, { score, metadata }, Promises and Effects", () =>
    Effect.gen(function*() {
      const plain = yield* Scorer.run(Scorer.make("plain", () => 0.25), args)
      assert.deepStrictEqual([plain.name, plain.score, plain.boolean, plain.metadata], [
        "plain",
        0.25,
        false,
        undefined
      ])
      const bool = yield* Scorer.run(Scorer.make("bool", ({ output, expected }) => output === expected), args)
      assert.deepStrictEqual([bool.score, bool.boolean], [1, true])
      const withMetadata = yield* Scorer.run(
        Scorer.make("meta", () => ({ score: 0.5, metadata: { why: "half" } })),
        args
      )
      assert.deepStrictEqual([withMetadata.score, withMetadata.metadata], [0.5, { why: "half" }])
      const async = yield* Scorer.run(Scorer.make("async", async () => 0.75), args)
      assert.strictEqual(async.score, 0.75)
      const effect = yield* Scorer.run(Scorer.make("effect", () => Effect.succeed(false)), args)
      assert.deepStrictEqual([effect.score, effect.boolean], [0, true])
    }))

  it.effect("records NaN and out-of-range numbers as InvalidScore", () =>
    Effect.gen(function*() {
      const nan = yield* failure(Scorer.make("nan", () => NaN))
      assert.deepStrictEqual([nan.scorer, nan.reason], ["nan", "InvalidScore"])
      assert.strictEqual(
        nan.message,
        "Scorer \"nan\" returned an invalid score: expected a number in [0, 1] or a boolean, got null"
      )
      assert.strictEqual((yield* failure(Scorer.make("big", () => 1.5))).reason, "InvalidScore")
      assert.strictEqual((yield* failure(Scorer.make("negative", () => -0.01))).reason, "InvalidScore")
      assert.strictEqual((yield* failure(Scorer.make("inf", () => ({ score: Infinity })))).reason, "InvalidScore")
    }))

  it.effect("records a thrown exception, a rejected Promise and a defect as Defect", () =>
    Effect.gen(function*() {
      const thrown = yield* failure(Scorer.make("throws", (): number => {
        throw new Error("boom")
      }))
      assert.deepStrictEqual([thrown.reason, thrown.detail], ["Defect", "boom"])
      const rejected = yield* failure(Scorer.make("rejects", () => Promise.reject(new Error("nope"))))
      assert.deepStrictEqual([rejected.reason, rejected.detail], ["Defect", "nope"])
      const died = yield* failure(Scorer.make("dies", () => Effect.die(new Error("dead"))))
      assert.deepStrictEqual([died.reason, died.detail], ["Defect", "dead"])
    }))

  it.effect("records a typed failure as Failed with the error's tag and message", () =>
    Effect.gen(function*() {
      const error = yield* failure(Scorer.make("judge", () => Effect.fail(new JudgeUnavailable({ model: "gpt-x" }))))
      assert.deepStrictEqual([error.scorer, error.reason, error.detail], [
        "judge",
        "Failed",
        "JudgeUnavailable: judge model gpt-x is unavailable"
      ])
    }))

  it.effect("names the tag once, and what Effect.tryPromise caught rather than its generic message", () =>
    Effect.gen(function*() {
      class Timeout extends Schema.TaggedError<Timeout>()("Timeout", { n: Schema.Number }) {
        override get message() {
          return `Timeouts: ${this.n} of 3`
        }
      }
      const counted = yield* failure(Scorer.make("counted", () => Effect.fail(new Timeout({ n: 3 }))))
      assert.strictEqual(counted.detail, "Timeout: Timeouts: 3 of 3")
      const caught = yield* failure(
        Scorer.make("caught", () => Effect.tryPromise(() => Promise.reject(new Error("socket hang up"))))
      )
      assert.strictEqual(caught.detail, "UnknownException: socket hang up")
    }))

  it.effect("leaves interruption as interruption", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(Scorer.run(Scorer.make("interrupted", () => Effect.interrupt), args))
      assert.isTrue(Exit.isInterrupted(exit))
    }))
})

describe("Scorer.fromAutoevals", () => {
  // shaped like autoevals' exports: an async function of { output, expected, ... } named after the scorer
  async function Exacto(
    { expected, output }: { readonly output: string; readonly expected?: string; readonly [key: string]: unknown }
  ) {
    return { name: "Exacto", score: output === expected ? 1 : 0, metadata: { compared: [output, expected] } }
  }

  it.effect("takes the function's name and passes output, expected, input and metadata through", () =>
    Effect.gen(function*() {
      const seen: Array<Record<string, unknown>> = []
      const scorer = Scorer.fromAutoevals(async (a: { readonly output: string; readonly [key: string]: unknown }) => {
        seen.push({ ...a })
        return Exacto(a)
      }, "exacto")
      assert.strictEqual(Scorer.fromAutoevals(Exacto).name, "Exacto")
      const score = yield* Scorer.run(scorer, { input: "q", output: "a", expected: "a", metadata: { tag: 1 } })
      assert.deepStrictEqual([score.name, score.score, score.boolean], ["exacto", 1, false])
      assert.deepStrictEqual(score.metadata, { compared: ["a", "a"] })
      assert.deepStrictEqual(seen[0], { input: "q", output: "a", expected: "a", metadata: { tag: 1 } })
      // like autoevals' own callers, a missing expected is left out rather than passed as undefined
      yield* Scorer.run(scorer, { input: "q", output: "a", expected: undefined, metadata: {} })
      assert.isFalse("expected" in seen[1])
    }))

  it("takes a scorer that answers synchronously, like autoevals' Levenshtein, and scores it at once", () => {
    const Levenshtein = (args: { readonly output: string; readonly expected?: string }) => ({
      name: "Levenshtein",
      score: args.output === args.expected ? 1 : 0.5
    })
    const scorer = Scorer.fromAutoevals(Levenshtein)
    assert.strictEqual(scorer.name, "Levenshtein")
    const eager = Scorer.runEager(scorer, { input: "q", output: "abc", expected: "abd", metadata: {} })
    assert.deepStrictEqual(eager, { name: "Levenshtein", score: 0.5, boolean: false }, "no Effect to run")
    const thrown = Scorer.runEager(
      Scorer.fromAutoevals((): { name: string; score: number } => {
        throw new Error("LevenshteinScorer requires an expected value")
      }, "lev"),
      args
    )
    assert.instanceOf(thrown, Scorer.ScorerError)
    assert.strictEqual((thrown as Scorer.ScorerError).reason, "Defect")
  })

  it("gives the shared, frozen score for a plain 0, 1, false or true, and a new one for anything else", () => {
    const shared = Scorer.sharedScores("same")
    const of = (value: unknown) => Scorer.runEager(Scorer.make("same", () => value as number), args, shared)
    assert.strictEqual(of(1), shared.one)
    assert.strictEqual(of(0), shared.zero)
    assert.strictEqual(of(true), shared.yes)
    assert.strictEqual(of(false), shared.no)
    assert.deepStrictEqual([shared.one, shared.no], [
      { name: "same", score: 1, boolean: false },
      { name: "same", score: 0, boolean: true }
    ])
    assert.isTrue(Object.isFrozen(shared.one), "one object stands in for many cases: nobody may change it")
    assert.deepStrictEqual(of(0.5), { name: "same", score: 0.5, boolean: false })
    // with metadata, or without the shared scores, every score is its own object
    assert.notStrictEqual(of({ score: 1, metadata: { why: "equal" } }), shared.one)
    assert.notStrictEqual(Scorer.runEager(Scorer.make("same", () => 1), args), shared.one)
  })

  it.effect("records a null score as InvalidScore and a rejection as Defect", () =>
    Effect.gen(function*() {
      const nullScore = yield* failure(Scorer.fromAutoevals(async () => ({ name: "Skipped", score: null }), "skipped"))
      assert.deepStrictEqual([nullScore.scorer, nullScore.reason], ["skipped", "InvalidScore"])
      const rejected = yield* failure(Scorer.fromAutoevals(async (): Promise<{ name: string; score: number }> => {
        throw new Error("LevenshteinScorer requires an expected value")
      }, "lev"))
      assert.deepStrictEqual([rejected.reason, rejected.detail], [
        "Defect",
        "LevenshteinScorer requires an expected value"
      ])
    }))
})

describe("Scorer.withName", () => {
  it.effect("renames a scorer: its scores and errors carry the new name, data-first or in a pipe", () =>
    Effect.gen(function*() {
      const exact = Scorer.make("exact", ({ expected, output }: { output: string; expected: string | undefined }) => {
        if (expected === undefined) throw new Error("no expected")
        return output === expected
      })
      const renamed = Scorer.withName(exact, "same")
      assert.strictEqual(exact.name, "exact", "the original keeps its name")
      assert.strictEqual((yield* Scorer.run(renamed, args)).name, "same")
      const error = yield* Effect.flip(Scorer.run(Scorer.withName("checked")(exact), { ...args, expected: undefined }))
      assert.deepStrictEqual([error.scorer, error.reason], ["checked", "Defect"])
    }))
})

describe("the public modules", () => {
  it("export no internal helpers", () => {
    assert.deepStrictEqual(
      Object.keys(Scorer).sort(),
      ["Score", "ScorerError", "fromAutoevals", "make", "run", "runEager", "sharedScores", "withName"].sort()
    )
  })
})
