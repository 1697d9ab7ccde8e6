import { assert, describe, it } from "@effect/vitest"
import { Deferred, Duration, Effect, Exit, Fiber, TestClock } from "effect"
import { Eval, type Reporter, Scorer, Scorers } from "../src/index.js"
import { progressLine } from "../src/internal/report/terminal.js"

/** A Promise that settles only when `signal` aborts, rejecting with its reason: what `fetch` does. */
const untilAborted = (signal: AbortSignal): Promise<never> =>
  new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason), { once: true }))

describe("ctx.signal", () => {
  it.effect("is aborted at the case's timeout with a TimeoutError that says so; a case that finished keeps its own", () =>
    Effect.gen(function*() {
      const signals: Array<AbortSignal> = []
      const suite = Eval.make({
        name: "stalled",
        data: [{ input: "quick" }, { input: "stalled" }],
        timeout: "1 second",
        task: async (input: string, ctx) => {
          signals.push(ctx.signal)
          return input === "quick" ? input : untilAborted(ctx.signal)
        },
        scorers: []
      })
      const fiber = yield* Effect.fork(Eval.run(suite))
      yield* TestClock.adjust("999 millis")
      assert.isFalse(signals[1].aborted, "not before the timeout")
      yield* TestClock.adjust("1 millis")
      const report = yield* Fiber.join(fiber)
      assert.isFalse(signals[0].aborted, "a case that finished is not aborted")
      assert.isTrue(signals[1].aborted)
      const reason = signals[1].reason
      assert.instanceOf(reason, DOMException)
      assert.strictEqual(reason.name, "TimeoutError")
      assert.strictEqual(reason.message, "the case timed out after 1s")
      const stalled = report.cases.find((c) => c.index === 1)!
      assert.deepStrictEqual(stalled.errors.map((e) => e.source), ["timeout"])
    }))

  it.effect("is aborted with an AbortError when the run is interrupted, and so is a Promise scorer's", () =>
    Effect.gen(function*() {
      const started = yield* Deferred.make<void>()
      const signals: Array<AbortSignal> = []
      const judge = Scorer.make("judge", ({ signal }) => {
        signals.push(signal!)
        Deferred.unsafeDone(started, Exit.void)
        return untilAborted(signal!)
      })
      const suite = Eval.make({
        name: "interrupted",
        data: [{ input: 1 }],
        task: (input: number, ctx) => {
          signals.push(ctx.signal)
          return input
        },
        scorers: [judge]
      })
      const fiber = yield* Effect.fork(Eval.run(suite))
      yield* Deferred.await(started)
      assert.strictEqual(signals[0], signals[1], "the scorer gets the case's signal")
      assert.isFalse(signals[0].aborted)
      assert.isTrue(Exit.isInterrupted(yield* Fiber.interrupt(fiber)))
      assert.isTrue(signals[0].aborted)
      assert.strictEqual(signals[0].reason.name, "AbortError")
    }))

  it.effect("a scorer still running at the timeout sees the signal aborted", () =>
    Effect.gen(function*() {
      let seen: unknown
      const judge = Scorer.make("judge", ({ signal }) =>
        untilAborted(signal!).catch((reason) => {
          seen = reason
          return 0
        }))
      const suite = Eval.make({
        name: "judged",
        data: [{ input: 1 }],
        timeout: "2 seconds",
        task: (n) => n,
        scorers: [judge]
      })
      const fiber = yield* Effect.fork(Eval.run(suite))
      yield* TestClock.adjust("2 seconds")
      const report = yield* Fiber.join(fiber)
      assert.deepStrictEqual(report.cases[0].errors.map((e) => e.scorer ?? e.source), ["timeout", "judge"])
      yield* Effect.promise(() => Promise.resolve())
      assert.strictEqual((seen as DOMException).name, "TimeoutError")
    }))
})

describe("Eval.make timeout", () => {
  it.effect("is 10 minutes by default: a case that hangs is stopped then", () =>
    Effect.gen(function*() {
      const suite = Eval.make({ name: "hangs", data: [{ input: 1 }], task: () => Effect.never, scorers: [] })
      assert.isTrue(Duration.equals(suite.timeout!, Duration.minutes(10)))
      assert.isTrue(Duration.equals(Eval.defaultTimeout, Duration.minutes(10)))
      const fiber = yield* Effect.fork(Eval.run(suite))
      yield* TestClock.adjust("10 minutes")
      const report = yield* Fiber.join(fiber)
      assert.deepStrictEqual(report.cases[0].errors, [{
        source: "timeout",
        message: "the case did not finish within 10m"
      }])
    }))

  it.effect("Infinity and Duration.infinity turn it off", () =>
    Effect.gen(function*() {
      for (const timeout of [Infinity, Duration.infinity]) {
        const suite = Eval.make({
          name: "patient",
          data: [{ input: 1, expected: 1 }],
          timeout,
          task: (n: number) => Effect.as(Effect.sleep("2 hours"), n),
          scorers: [Scorers.exactMatch]
        })
        const fiber = yield* Effect.fork(Eval.run(suite))
        yield* TestClock.adjust("1 hour")
        assert.isNull(fiber.unsafePoll(), "still running past the default timeout")
        yield* TestClock.adjust("1 hour")
        const report = yield* Fiber.join(fiber)
        assert.deepStrictEqual(report.cases[0].errors, [])
        assert.strictEqual(report.cases[0].output, 1)
      }
    }))
})

describe("progress", () => {
  it.effect("lists the cases in flight, the longest-running first, and no longer once they finish", () =>
    Effect.gen(function*() {
      const release = yield* Deferred.make<void>()
      const bothStarted = yield* Deferred.make<void>()
      let started = 0
      let info: Reporter.RunInfo | undefined
      const suite = Eval.make({
        name: "in flight",
        data: [{ input: 0 }, { input: 1, name: "slow one" }, { input: 2 }],
        concurrency: 2,
        task: (n: number) =>
          n === 2 ? n : Effect.gen(function*() {
            if (++started === 2) yield* Deferred.succeed(bothStarted, undefined)
            yield* Deferred.await(release)
            return n
          }),
        scorers: []
      })
      const fiber = yield* Effect.fork(
        Eval.run(suite, { reporters: [{ onStart: (run) => Effect.sync(() => void (info = run)) }] })
      )
      yield* Deferred.await(bothStarted)
      const progress = info!.progress()
      const running = progress.running!
      assert.deepStrictEqual(running.map((c) => [c.index, c.trial, c.name]), [[0, 0, undefined], [1, 0, "slow one"]])
      assert.isTrue(running[0].elapsed >= running[1].elapsed)
      yield* Deferred.succeed(release, undefined)
      yield* Fiber.join(fiber)
      assert.deepStrictEqual(info!.progress().running, [])
    }))

  it("the progress line names the longest-running cases when nothing finished for 10 s", () => {
    const run: Reporter.RunInfo = { name: "support", total: 200, progress: () => ({ done: 0, errored: 0, elapsed: 0 }) }
    const running = [{ index: 7, trial: 0, name: "refund", elapsed: 65_000 }, { index: 9, trial: 1, elapsed: 12_300 }]
    const progress = { done: 198, errored: 0, elapsed: 70_000, meanDuration: 700, running }
    assert.strictEqual(
      progressLine(run, progress, false, 12_000),
      "support 198/200 99% 3/s ETA ? · running longest: #7 refund 1m5s, #9 (trial 1) 12.3s"
    )
    // cases finishing, the oldest within 10 times the mean: nothing to name
    assert.strictEqual(
      progressLine(run, { ...progress, meanDuration: 7000 }, false, 500),
      "support 198/200 99% 3/s ETA 707ms"
    )
    // cases finishing, but the oldest has run more than 10 times the mean
    assert.include(progressLine(run, progress, false, 500), "ETA ? · running longest: #7 refund 1m5s")
    // nothing in flight has run 10 s yet
    assert.notInclude(
      progressLine(run, { ...progress, running: [{ index: 1, trial: 0, elapsed: 9_000 }] }, false, 60_000),
      "running"
    )
  })
})
