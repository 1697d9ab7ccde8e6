import { assert, describe, expect, it } from "@effect/vitest"
import { HeliconeError, HeliconeScores } from "@helicone-effect/core"
import { Effect } from "effect"
import { assertError, requestId, setup } from "./fixtures/Harness.js"
import { helicone } from "./fixtures/ScriptedServer.js"

// What a JavaScript caller may pass where the types say string and record: objects that throw when converted
// or read. Each call must return an Effect (not throw), and that Effect must fail with the typed error.
function revoked(): object {
  const { proxy, revoke } = Proxy.revocable({}, {})
  revoke()
  return proxy
}

function throwingKeys(): object {
  return new Proxy({}, {
    ownKeys: () => {
      throw new Error("no keys for you")
    }
  })
}

/** Fresh inputs by name (a revoked Proxy cannot be built once and shared). */
const inputs: Record<string, () => unknown> = {
  validId: () => requestId,
  validScores: () => ({ accuracy: 92 }),
  nullPrototype: () => Object.create(null),
  revoked,
  throwingKeys
}

function returned<A>(call: () => A): A {
  try {
    return call()
  } catch (error) {
    return assert.fail(`the call threw synchronously: ${String((error as Error).message)}`)
  }
}

// Every case runs against a server that would accept anything: the assertion that matters is that it saw nothing.
describe("HeliconeScores validates before any byte goes on the wire", () => {
  it.scoped.each(
    [
      ["a float", { accuracy: 0.92 }, "accuracy", "0.92 is not an integer and Helicone rejects floats"],
      ["NaN", { accuracy: Number.NaN }, "accuracy", "NaN is not a score"],
      ["Infinity", { accuracy: Number.POSITIVE_INFINITY }, "accuracy", "Infinity is not a score"],
      ["-Infinity", { accuracy: Number.NEGATIVE_INFINITY }, "accuracy", "-Infinity is not a score"],
      ["an unsafe integer", { big: 2 ** 53 }, "big", "outside the safe integer range"],
      ["a string value", { accuracy: "92" }, "accuracy", "expected an integer or a boolean, got string"],
      ["null", { accuracy: null }, "accuracy", "got null"],
      ["an empty name", { "": 1 }, "", "the name is empty or blank"],
      ["a whitespace name", { " \t ": 1 }, " \t ", "the name is empty or blank"],
      ["a 257-character name", { ["n".repeat(257)]: 1 }, "n".repeat(257), "at most 256"],
      ["the reserved name", { "helicone-score-feedback": 1 }, "helicone-score-feedback", "reserved"]
    ] as const
  )("%s is InvalidScores naming the key", ([, scores, key, reason]) =>
    Effect.gen(function*() {
      const { server, service } = yield* setup([helicone.accepted])
      const error = yield* Effect.flip(service.submitScore(requestId, scores))
      assert.strictEqual(error._tag, "InvalidScores")
      if (error._tag !== "InvalidScores") return
      assert.strictEqual(error.issues.length, 1)
      assert.strictEqual(error.issues[0].key, key)
      expect(error.issues[0].reason).toContain(reason)
      expect(error.message).toContain(reason)
      assert.strictEqual((yield* server.requests).length, 0)
    }))

  it.scoped("lists every offending key with its reason, and nothing is sent", () =>
    Effect.gen(function*() {
      const { server, service } = yield* setup([helicone.accepted])
      const error = yield* Effect.flip(service.submitScore(requestId, {
        ok: 1,
        accuracy: 0.5,
        "": true,
        "helicone-score-feedback": 0.5,
        fine: false
      }))
      assert.strictEqual(error._tag, "InvalidScores")
      if (error._tag !== "InvalidScores") return
      assert.deepStrictEqual(error.issues.map((issue) => issue.key), [
        "accuracy",
        "",
        "helicone-score-feedback",
        "helicone-score-feedback"
      ])
      expect(error.issues[2].reason).toContain("reserved")
      expect(error.issues[3].reason).toContain("0.5 is not an integer")
      assert.strictEqual((yield* server.requests).length, 0)
    }))

  it.scoped.each(
    [
      ["an array", [1, 2]],
      ["null", null],
      ["a string", "accuracy=92"],
      ["a Map", new Map([["accuracy", 92]])]
    ] as const
  )("scores that are %s are InvalidScores", ([, scores]) =>
    Effect.gen(function*() {
      const { server, service } = yield* setup([helicone.accepted])
      const error = yield* Effect.flip(service.submitScore(requestId, scores as never))
      assert.strictEqual(error._tag, "InvalidScores")
      assert.strictEqual((yield* server.requests).length, 0)
    }))

  it.scoped.each([
    ["a v7 UUID", "01890a5d-ac96-774b-bcce-b302099a8057"],
    ["a path traversal", "../../v1/admin"],
    ["an empty string", ""],
    ["a UUID with a bad variant", "2f1c7a3e-8b4d-4e6f-7a1b-3c5d7e9f0a2b"],
    ["a UUID with a trailing newline", "2f1c7a3e-8b4d-4e6f-9a1b-3c5d7e9f0a2b\n"]
  ])("%s is InvalidRequestId for scores and feedback alike", ([, id]) =>
    Effect.gen(function*() {
      const { server, service } = yield* setup([helicone.accepted])
      const error = yield* Effect.flip(service.submitScore(id, { accuracy: 92 }))
      assertError(error, new HeliconeError.InvalidRequestId({ requestId: id }))
      expect(error.message).toContain("UUID of version 1 to 5")
      const feedbackError = yield* Effect.flip(service.submitFeedback(id, true))
      assert.strictEqual(feedbackError._tag, "InvalidRequestId")
      assert.strictEqual((yield* server.requests).length, 0)
    }))

  it.scoped("a rating that is not a boolean is refused, nothing is sent", () =>
    Effect.gen(function*() {
      const { server, service } = yield* setup([helicone.accepted])
      const error = yield* Effect.flip(service.submitFeedback(requestId, 1 as never))
      assertError(
        error,
        new HeliconeError.InvalidScores({
          issues: [{ key: "rating", reason: "feedback must be true or false, got number" }]
        })
      )
      assert.strictEqual((yield* server.requests).length, 0)
    }))

  it.scoped.each(
    [
      ["an Object.create(null) request id", "nullPrototype", "validScores", "InvalidRequestId"],
      ["a revoked Proxy as request id", "revoked", "validScores", "InvalidRequestId"],
      ["a revoked Proxy as scores", "validId", "revoked", "InvalidScores"],
      ["scores whose keys cannot be listed", "validId", "throwingKeys", "InvalidScores"]
    ] as const
  )(
    "%s fails with a typed error, never a throw or a defect",
    ([, idInput, scoresInput, tag]) =>
      Effect.gen(function*() {
        const id = inputs[idInput]
        const scores = inputs[scoresInput]
        const { server, service } = yield* setup([helicone.accepted])
        const error = yield* Effect.flip(returned(() => service.submitScore(id() as never, scores() as never)))
        assert.strictEqual(error._tag, tag)
        const accessor = yield* Effect.flip(
          returned(() => HeliconeScores.submitScore(id() as never, scores() as never)).pipe(
            Effect.provideService(HeliconeScores.HeliconeScores, service)
          )
        )
        assert.strictEqual(accessor._tag, tag)
        if (tag === "InvalidRequestId") {
          const feedback = yield* Effect.flip(returned(() => service.submitFeedback(id() as never, true)))
          assert.strictEqual(feedback._tag, tag)
        }
        assert.strictEqual((yield* server.requests).length, 0)
      })
  )

  it.scoped("scores in an Object.create(null) record are sent", () =>
    Effect.gen(function*() {
      const { server, service } = yield* setup([helicone.accepted])
      const scores = Object.assign(Object.create(null), { accuracy: 92 })
      yield* returned(() => service.submitScore(requestId, scores))
      assert.strictEqual((yield* server.requests)[0].body, `{"scores":{"accuracy":92}}`)
    }))

  it.scoped("a key named __proto__ is sent as a plain score name", () =>
    Effect.gen(function*() {
      const { server, service } = yield* setup([helicone.accepted])
      yield* service.submitScore(requestId, JSON.parse(`{"__proto__": 3, "accuracy": 1}`))
      assert.strictEqual((yield* server.requests)[0].body, `{"scores":{"__proto__":3,"accuracy":1}}`)
    }))
})
