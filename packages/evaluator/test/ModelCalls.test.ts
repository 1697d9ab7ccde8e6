import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, TestClock } from "effect"
import { Eval, ModelCalls, Scorer } from "../src/index.js"

const uuidV4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

/** What the fake model saw of the case for one call. */
interface Seen {
  readonly requestId: string
  readonly role: ModelCalls.Role
  readonly scorer: string | undefined
  readonly caseRequestId: string
  readonly runId: string
  readonly key: string
  readonly suite: string
  readonly index: number
  readonly trial: number
  readonly cache: ModelCalls.CacheMode
}

/**
 * A model layer as `@helicone-effect/ai`'s are built: it reads `CurrentCase`, takes a request id for its call, and
 * records the call. `seen` gets what it saw.
 */
const fakeModel = (seen: Array<Seen>) =>
(
  model: string,
  tokens: { readonly input: number; readonly output: number },
  cache: ModelCalls.CacheOutcome = "off"
): Effect.Effect<string> =>
  Effect.gen(function*() {
    const current = yield* ModelCalls.CurrentCase
    if (current === undefined) return yield* Effect.dieMessage("no case in progress")
    const requestId = current.nextRequestId()
    seen.push({
      requestId,
      role: current.role,
      scorer: current.scorer,
      caseRequestId: current.requestId,
      runId: current.runId,
      key: current.key,
      suite: current.suite,
      index: current.index,
      trial: current.trial,
      cache: current.cache
    })
    current.record({
      requestId,
      role: current.role,
      scorer: current.scorer,
      provider: "fake",
      model,
      inputTokens: tokens.input,
      outputTokens: tokens.output,
      latencyMs: 5,
      cache,
      waitedMs: 0,
      failed: false
    })
    return `answer from ${model}`
  })

describe("ModelCalls.CurrentCase", () => {
  it.effect("an Effect task's two calls and a judge's call get the case's ids, roles and scorer names", () =>
    Effect.gen(function*() {
      const seen: Array<Seen> = []
      const call = fakeModel(seen)
      const judge = Scorer.make(
        "judge",
        ({ output }) =>
          Effect.map(call("gpt-4o-mini", { input: 10, output: 1 }), () => output === "draft, final" ? 1 : 0)
      )
      const suite = Eval.make({
        name: "two calls and a judge",
        data: [{ input: "a", name: "first" }, { input: "b" }],
        task: (_: string) =>
          Effect.gen(function*() {
            yield* call("gpt-4o", { input: 100, output: 20 })
            yield* call("gpt-4o", { input: 120, output: 30 })
            return `draft, final`
          }),
        scorers: [judge]
      })
      const report = yield* Eval.run(suite)
      assert.deepStrictEqual(report.verdict.reasons, [])
      assert.strictEqual(seen.length, 6)
      const runIds = new Set(seen.map((s) => s.runId))
      assert.strictEqual(runIds.size, 1, "one run id for the run")
      assert.match([...runIds][0], uuidV4)
      for (const result of report.cases) {
        const mine = seen.filter((s) => s.index === result.index)
        assert.deepStrictEqual(mine.map((s) => [s.role, s.scorer]), [
          ["task", undefined],
          ["task", undefined],
          ["judge", "judge"]
        ])
        assert.isTrue(mine.every((s) => s.caseRequestId === result.requestId && s.suite === suite.name))
        // the task's first call carries the case's request id, where its scores go; every other call a fresh one
        assert.strictEqual(mine[0].requestId, result.requestId)
        for (const s of mine.slice(1)) assert.match(s.requestId, uuidV4)
        assert.strictEqual(new Set(mine.map((s) => s.requestId)).size, 3)
        // the case's result records every call, with the id it was given
        assert.deepStrictEqual(result.calls?.map((c) => [c.requestId, c.role, c.scorer, c.model]), [
          [mine[0].requestId, "task", undefined, "gpt-4o"],
          [mine[1].requestId, "task", undefined, "gpt-4o"],
          [mine[2].requestId, "judge", "judge", "gpt-4o-mini"]
        ])
        assert.isUndefined(result.cache, "no call went through a cache")
      }
      // the case key: its name, else a hash of its input
      assert.strictEqual(seen.find((s) => s.index === 0)!.key, "name:first")
      assert.match(seen.find((s) => s.index === 1)!.key, /^input:[0-9a-f]{16}$/)
      assert.isTrue(seen.every((s) => s.cache === "off"))
    }))

  it.effect("a Promise task reads ctx.currentCase; a plain task's case has no calls; trials get their own ids", () =>
    Effect.gen(function*() {
      const seen: Array<Seen> = []
      const call = fakeModel(seen)
      const promiseSuite = Eval.make({
        name: "promise",
        data: [{ input: "a" }],
        trials: 2,
        task: async (input: string, ctx) => {
          await Effect.runPromise(
            Effect.provideService(call("gpt-4o", { input: 1, output: 1 }), ModelCalls.CurrentCase, ctx.currentCase)
          )
          return input
        },
        scorers: []
      })
      const report = yield* Eval.run(promiseSuite, { cache: "replay" })
      assert.deepStrictEqual(seen.map((s) => [s.role, s.trial, s.cache]), [["task", 0, "replay"], [
        "task",
        1,
        "replay"
      ]])
      assert.deepStrictEqual(report.cases.map((c) => c.calls?.[0].requestId), report.cases.map((c) => c.requestId))
      assert.notStrictEqual(report.cases[0].requestId, report.cases[1].requestId)

      const plain = yield* Eval.run(
        Eval.make({ name: "plain", data: [{ input: 1 }], task: (n: number) => n, scorers: [] })
      )
      assert.isFalse("calls" in plain.cases[0])
      assert.isUndefined(plain.usage)
    }))

  it.effect("an Effect task of a suite with no timeout gets the case too", () =>
    Effect.gen(function*() {
      const seen: Array<Seen> = []
      const call = fakeModel(seen)
      const suite = Eval.make({
        name: "no timeout",
        data: [{ input: "a" }, { input: "b" }],
        timeout: Infinity,
        task: (input: string) => Effect.as(call("gpt-4o", { input: 1, output: 1 }), input),
        scorers: []
      })
      const report = yield* Eval.run(suite)
      assert.deepStrictEqual(
        seen.map((s) => [s.index, s.role, s.requestId]),
        report.cases.map((c) => [c.index, "task", c.requestId])
      )
      assert.isUndefined(yield* ModelCalls.CurrentCase, "nothing is left behind in the caller's context")
    }))

  it.effect("time inside waiting is kept out of the case's timeout, and counted as waited", () =>
    Effect.gen(function*() {
      const suite = Eval.make({
        name: "waits",
        data: [{ input: "waits" }, { input: "hangs" }],
        timeout: "10 seconds",
        task: (input: string) =>
          Effect.gen(function*() {
            const current = (yield* ModelCalls.CurrentCase)!
            if (input === "hangs") return yield* Effect.never
            // 8 s of work, then a 30 s wait for the limiter, then 1 s more: 9 s of the case's own time
            yield* Effect.sleep("8 seconds")
            yield* current.waiting(Effect.sleep("30 seconds"))
            yield* Effect.sleep("1 second")
            return input
          }),
        scorers: []
      })
      const fiber = yield* Effect.fork(Eval.run(suite))
      yield* TestClock.adjust("1 second")
      yield* TestClock.adjust("9 seconds") // the hanging case's deadline
      yield* TestClock.adjust("30 seconds")
      yield* TestClock.adjust("1 second")
      const report = yield* Fiber.join(fiber)
      const [waits, hangs] = report.cases
      assert.deepStrictEqual(waits.errors, [])
      assert.strictEqual(waits.output, "waits")
      assert.strictEqual(waits.waitedMs, 30_000)
      assert.deepStrictEqual(hangs.errors.map((e) => e.source), ["timeout"])
    }))

  it.effect("a case still past its deadline once its wait is over times out then, not later", () =>
    Effect.gen(function*() {
      const suite = Eval.make({
        name: "waits then hangs",
        data: [{ input: "x" }],
        timeout: "10 seconds",
        task: () =>
          Effect.gen(function*() {
            const current = (yield* ModelCalls.CurrentCase)!
            yield* Effect.sleep("9 seconds")
            yield* current.waiting(Effect.sleep("5 seconds")) // past the 10 s deadline while waiting
            return yield* Effect.never // 1 s of its own time left: out at 15 s
          }),
        scorers: []
      })
      const fiber = yield* Effect.fork(Eval.run(suite))
      yield* TestClock.adjust("9 seconds")
      yield* TestClock.adjust("5 seconds")
      yield* TestClock.adjust("999 millis")
      assert.isNull(fiber.unsafePoll(), "not before its own 10 s are used up")
      yield* TestClock.adjust("1 millis")
      const report = yield* Fiber.join(fiber)
      assert.deepStrictEqual(report.cases[0].errors.map((e) => e.source), ["timeout"])
      assert.strictEqual(report.cases[0].waitedMs, 5000)
    }))
})
