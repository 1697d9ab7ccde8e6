import { NodeContext } from "@effect/platform-node"
import { assert, describe, expect, it } from "@effect/vitest"
import { Context, Deferred, Effect, Exit, Fiber, Stream, TestClock } from "effect"
import { Eval, EvalReport, Scorer, Scorers } from "../src/index.js"

const uuidV4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

const cases = (n: number) => Array.from({ length: n }, (_, i) => ({ input: i, expected: i * 2 }))
const double = (n: number) => n * 2

describe("Eval.run", () => {
  it.effect("runs every case through the task and the scorers and folds the summaries", () =>
    Effect.gen(function*() {
      const suite = Eval.make({
        name: "double",
        data: [{ input: 1, expected: 2 }, { input: 2, expected: 5, name: "off" }, { input: 3, expected: 6 }],
        task: double,
        scorers: [Scorers.exactMatch]
      })
      const report = yield* Eval.run(suite)
      assert.strictEqual(report.version, 2)
      assert.strictEqual(report.totals.cases, 3)
      assert.isFalse(report.interrupted)
      const [summary] = report.scorers
      assert.deepStrictEqual(
        { name: summary.name, count: summary.count, min: summary.min, max: summary.max, errors: summary.errors },
        { name: "exactMatch", count: 3, min: 0, max: 1, errors: 0 }
      )
      assert.closeTo(summary.mean!, 2 / 3, 1e-12)
      assert.deepStrictEqual(summary.worst[0], { ...summary.worst[0], index: 1, name: "off", score: 0 })
      const byIndex = [...report.cases].sort((a, b) => a.index - b.index)
      assert.deepStrictEqual(byIndex.map((c) => c.output), [2, 4, 6])
      assert.deepStrictEqual(byIndex[1].scores, [{ name: "exactMatch", score: 0, boolean: false }])
      for (const c of byIndex) assert.match(c.requestId, uuidV4)
    }))

  it.effect("gives the task a fresh request id per case and trial, with the Helicone header carrying it", () =>
    Effect.gen(function*() {
      const seen: Array<{ index: number; trial: number; id: string; header: string }> = []
      const suite = Eval.make({
        name: "ids",
        data: cases(3),
        trials: 2,
        task: (input: number, ctx) => {
          seen.push({
            index: ctx.index,
            trial: ctx.trial,
            id: ctx.requestId,
            header: ctx.heliconeHeaders["Helicone-Request-Id"]
          })
          return input
        },
        scorers: []
      })
      const report = yield* Eval.run(suite)
      assert.strictEqual(seen.length, 6)
      assert.strictEqual(new Set(seen.map((s) => s.id)).size, 6)
      for (const s of seen) {
        assert.match(s.id, uuidV4)
        assert.strictEqual(s.header, s.id)
        const result = report.cases.find((c) => c.index === s.index && c.trial === s.trial)!
        assert.strictEqual(result.requestId, s.id, "the report names the id the task was given")
      }
    }))

  it.effect("keeps at most `concurrency` cases in flight", () =>
    Effect.gen(function*() {
      let inFlight = 0
      let max = 0
      const suite = Eval.make({
        name: "bounded",
        data: cases(40),
        concurrency: 3,
        task: (input: number) =>
          Effect.gen(function*() {
            inFlight++
            max = Math.max(max, inFlight)
            for (let i = 0; i < 5; i++) yield* Effect.yieldNow()
            inFlight--
            return input
          }),
        scorers: []
      })
      const report = yield* Eval.run(suite)
      assert.strictEqual(report.totals.cases, 40)
      assert.strictEqual(max, 3, "three at a time, not more, and not fewer")
    }))

  it.effect("runs a case's scorers concurrently", () =>
    Effect.gen(function*() {
      let inFlight = 0
      let max = 0
      const slow = (name: string) =>
        Scorer.make(name, () =>
          Effect.gen(function*() {
            inFlight++
            max = Math.max(max, inFlight)
            for (let i = 0; i < 5; i++) yield* Effect.yieldNow()
            inFlight--
            return 1
          }))
      const suite = Eval.make({
        name: "scorers",
        data: cases(1),
        concurrency: 1,
        task: double,
        scorers: [slow("a"), slow("b"), slow("c")]
      })
      const report = yield* Eval.run(suite)
      assert.strictEqual(max, 3)
      assert.deepStrictEqual(report.cases[0].scores.map((s) => s.name), ["a", "b", "c"], "in the scorers' order")
    }))

  it.effect("a case that runs past the timeout is recorded as timed out; the others finish", () =>
    Effect.gen(function*() {
      const suite = Eval.make({
        name: "timeout",
        data: cases(3),
        timeout: "1 second",
        task: (input: number) => input === 1 ? Effect.as(Effect.sleep("1 hour"), 2) : Effect.succeed(input * 2),
        scorers: [Scorers.exactMatch]
      })
      const fiber = yield* Effect.fork(Eval.run(suite))
      yield* TestClock.adjust("2 seconds")
      const report = yield* Fiber.join(fiber)
      const slow = report.cases.find((c) => c.index === 1)!
      assert.deepStrictEqual(slow.errors.map((e) => e.source), ["timeout"])
      assert.include(slow.errors[0].message, "1s")
      assert.deepStrictEqual(slow.scores, [])
      assert.strictEqual(report.totals.errored, 1)
      assert.strictEqual(report.scorers[0].count, 2)
    }))

  it.effect("a scorer still running at the timeout is recorded as a timed-out scorer", () =>
    Effect.gen(function*() {
      const suite = Eval.make({
        name: "slow scorer",
        data: cases(1),
        timeout: "1 second",
        task: double,
        scorers: [Scorers.exactMatch, Scorer.make("judge", () => Effect.as(Effect.sleep("1 minute"), 1))]
      })
      const fiber = yield* Effect.fork(Eval.run(suite))
      yield* TestClock.adjust("2 seconds")
      const report = yield* Fiber.join(fiber)
      const [result] = report.cases
      assert.deepStrictEqual(result.scores.map((s) => s.name), ["exactMatch"])
      assert.deepStrictEqual(result.errors.map((e) => [e.source, e.scorer]), [["timeout", undefined], [
        "scorer",
        "judge"
      ]])
      assert.strictEqual(report.scorers[1].errors, 1)
    }))

  it.effect("a synchronous case that took longer than the timeout gets a timeout error, its scores kept", () =>
    Effect.gen(function*() {
      const busy = (ms: number) => {
        const until = performance.now() + ms
        while (performance.now() < until) {
          // a synchronous task cannot be stopped
        }
      }
      const suite = Eval.make({
        name: "sync timeout",
        data: cases(2),
        // wide enough that the quick case cannot cross it even when the machine stalls the process
        timeout: "250 millis",
        task: (input: number) => {
          if (input === 1) busy(400)
          return input * 2
        },
        scorers: [Scorers.exactMatch]
      })
      const report = yield* Eval.run(suite)
      const [fast, slow] = [...report.cases].sort((a, b) => a.index - b.index)
      assert.deepStrictEqual(fast.errors, [])
      assert.deepStrictEqual(slow.errors.map((e) => e.source), ["timeout"])
      assert.include(slow.errors[0].message, "past its timeout of 250ms")
      assert.deepStrictEqual(slow.scores.map((s) => s.score), [1])
      assert.strictEqual(report.totals.errored, 1)
    }))

  it.effect("a timeout or an interruption stops the forked scorers, also while an inline scorer runs", () =>
    Effect.gen(function*() {
      const finished: Array<number> = []
      // `gate` answers at once on case 0, so the runner runs it inline from then on; on case 1 it hangs. `judge`
      // suspends every time, so it gets its own fiber.
      const gate = Scorer.make(
        "gate",
        ({ input }: { input: number }) => input === 0 ? Effect.succeed(1) : Effect.as(Effect.sleep("1 hour"), 1)
      )
      const judge = Scorer.make(
        "judge",
        ({ input }: { input: number }) =>
          Effect.sleep(input === 0 ? "10 millis" : "400 millis").pipe(
            Effect.zipRight(Effect.sync(() => finished.push(input))),
            Effect.as(1)
          )
      )
      const suite = Eval.make({ name: "forked", data: cases(2), concurrency: 1, task: double, scorers: [gate, judge] })

      const timed = yield* Effect.fork(Eval.run(Eval.make({ ...suite, timeout: "100 millis" })))
      yield* TestClock.adjust("10 millis")
      yield* TestClock.adjust("100 millis")
      const report = yield* Fiber.join(timed)
      assert.deepStrictEqual(report.cases[1].errors.map((e) => e.scorer ?? e.source), ["timeout", "gate", "judge"])
      yield* TestClock.adjust("1 hour")
      assert.deepStrictEqual(finished, [0], "the judge of case 1 was stopped at the timeout")

      finished.length = 0
      const interrupted = yield* Effect.fork(Eval.run(suite))
      yield* TestClock.adjust("10 millis")
      yield* TestClock.adjust("100 millis")
      yield* Fiber.interrupt(interrupted)
      yield* TestClock.adjust("1 hour")
      assert.deepStrictEqual(finished, [0], "the judge of case 1 was stopped by the interruption")
    }))

  it.effect("isolates failures: a throwing, failing, dying or rejecting task and a failing scorer stop nothing", () =>
    Effect.gen(function*() {
      const suite = Eval.make({
        name: "isolation",
        data: cases(8),
        concurrency: 2,
        task: (input: number): number | Promise<number> | Effect.Effect<number, Error> => {
          switch (input) {
            case 1:
              throw new Error("thrown")
            case 2:
              return Effect.fail(new Error("typed failure"))
            case 3:
              return Effect.die(new Error("defect"))
            case 4:
              return Promise.reject(new Error("rejected"))
            default:
              return Promise.resolve(input * 2)
          }
        },
        scorers: [
          Scorers.exactMatch,
          Scorer.make("picky", ({ input }: { input: number }) => {
            if (input === 5) throw new Error("scorer bug")
            return 1
          })
        ]
      })
      const report = yield* Eval.run(suite)
      assert.strictEqual(report.totals.cases, 8)
      const errors = Object.fromEntries(
        report.cases.map((c) => [c.index, c.errors.map((e) => `${e.source}:${e.scorer ?? ""}:${e.message}`)])
      )
      assert.deepStrictEqual(errors[1], ["task::thrown"])
      assert.deepStrictEqual(errors[2], ["task::typed failure"])
      assert.deepStrictEqual(errors[3], ["task::defect"])
      assert.deepStrictEqual(errors[4], ["task::rejected"])
      assert.strictEqual(errors[5].length, 1)
      assert.match(errors[5][0], /^scorer:picky:.*scorer bug/)
      for (const i of [0, 6, 7]) assert.deepStrictEqual(errors[i], [])
      assert.strictEqual(report.totals.errored, 5)
      assert.deepStrictEqual(report.scorers.map((s) => [s.name, s.count, s.errors]), [["exactMatch", 4, 0], [
        "picky",
        3,
        1
      ]])
    }))

  it.effect("repeats each case `trials` times and keeps every trial", () =>
    Effect.gen(function*() {
      let calls = 0
      const suite = Eval.make({
        name: "trials",
        data: cases(3),
        trials: 3,
        task: (input: number, ctx) => {
          calls++
          return ctx.trial === 0 ? input * 2 : input
        },
        scorers: [Scorers.exactMatch]
      })
      const report = yield* Eval.run(suite)
      assert.strictEqual(calls, 9)
      assert.strictEqual(report.trials, 3)
      const keys = report.cases.map((c) => `${c.index}/${c.trial}`).sort()
      assert.deepStrictEqual(keys, ["0/0", "0/1", "0/2", "1/0", "1/1", "1/2", "2/0", "2/1", "2/2"])
      assert.strictEqual(report.scorers[0].count, 9)
      assert.closeTo(report.scorers[0].mean!, 5 / 9, 1e-12, "all 3 in trial 0, then only input 0 (0 * 2 = 0)")
    }))

  it.live("lists cases in the data's order (by index, then trial) whatever order they finished in, ties too", () =>
    Effect.gen(function*() {
      const finished: Array<string> = []
      const suite = Eval.make({
        name: "order",
        data: cases(6),
        trials: 2,
        concurrency: 4,
        // later cases and later trials are quicker, so they finish first
        task: (input: number, ctx) =>
          Effect.as(
            Effect.zipRight(
              Effect.sleep(`${(6 - input) * 4 + (2 - ctx.trial) * 2} millis`),
              Effect.sync(() => finished.push(`${input}/${ctx.trial}`))
            ),
            input * 2
          ),
        scorers: [Scorers.exactMatch]
      })
      const report = yield* Eval.run(suite)
      const inOrder = Array.from({ length: 6 }, (_, i) => [`${i}/0`, `${i}/1`]).flat()
      assert.notDeepEqual(finished, inOrder, "the cases did not finish in order")
      assert.deepStrictEqual(report.cases.map((c) => `${c.index}/${c.trial}`), inOrder)
      // every case scores 1: among equals, the worst list takes the first in the data too
      assert.deepStrictEqual(report.scorers[0].worst.map((c) => `${c.index}/${c.trial}`), inOrder.slice(0, 5))
    }))

  it.effect("interrupting the run stops it and still reports its cases, the ones in flight as interrupted", () =>
    Effect.gen(function*() {
      const stuck = yield* Deferred.make<void>()
      const reports: Array<EvalReport.EvalReport> = []
      let started = 0
      const suite = Eval.make({
        name: "interrupted",
        data: cases(100),
        concurrency: 2,
        task: (input: number) => {
          started++
          if (input < 5) return input * 2
          return Effect.zipRight(Deferred.succeed(stuck, undefined), Effect.never)
        },
        scorers: [Scorers.exactMatch],
        thresholds: { exactMatch: 1 }
      })
      const fiber = yield* Effect.fork(
        Eval.run(suite, { reporters: [{ onEnd: (report) => Effect.sync(() => reports.push(report)) }] })
      )
      yield* Deferred.await(stuck)
      const exit = yield* Fiber.interrupt(fiber)
      assert.isTrue(Exit.isInterrupted(exit))
      assert.strictEqual(reports.length, 1, "the reporters still get the report")
      const [report] = reports
      assert.isTrue(report.interrupted)
      assert.isFalse(report.passed)
      const byIndex = [...report.cases].sort((a, b) => a.index - b.index)
      assert.deepStrictEqual(byIndex.map((c) => c.index), [0, 1, 2, 3, 4, 5, 6])
      assert.strictEqual(started, 7, "the two in flight were interrupted and no case started after")
      for (const inFlight of byIndex.slice(5)) {
        assert.deepStrictEqual([inFlight.output, inFlight.scores, inFlight.errors], [undefined, [], [{
          source: "interrupted",
          message: "the run was interrupted before the case finished"
        }]])
        assert.match(inFlight.requestId, /^[0-9a-f-]{36}$/, "its request id, to find the call in Helicone")
      }
      assert.strictEqual(report.scorers[0].count, 5)
      assert.deepStrictEqual(report.totals, { cases: 7, errored: 2, scores: 5, scorerErrors: 0, interrupted: 2 })
      // the threshold is judged on the cases that finished; the two stopped in flight are not slow cases either
      assert.deepStrictEqual([report.scorers[0].thresholdMean, report.scorers[0].passed], [1, true])
      assert.notInclude(report.timings.slowest.map((ref) => ref.index), 5)
      assert.notInclude(report.timings.slowest.map((ref) => ref.index), 6)
      // and the report still decodes
      assert.deepStrictEqual((yield* EvalReport.fromJson(EvalReport.toJson(report))).cases, report.cases)
    }))

  it.effect("a case interrupted while a scorer is still running keeps its output and the scores it had", () =>
    Effect.gen(function*() {
      const judging = yield* Deferred.make<void>()
      const reports: Array<EvalReport.EvalReport> = []
      const judge = Scorer.make("judge", () => Effect.zipRight(Deferred.succeed(judging, undefined), Effect.never))
      const suite = Eval.make({
        name: "judged",
        data: [{ input: 1, expected: 2 }],
        task: (input: number) => Effect.succeed(input * 2),
        scorers: [Scorers.exactMatch, judge],
        timeout: "1 minute"
      })
      const fiber = yield* Effect.fork(
        Eval.run(suite, { reporters: [{ onEnd: (report) => Effect.sync(() => reports.push(report)) }] })
      )
      yield* Deferred.await(judging)
      assert.isTrue(Exit.isInterrupted(yield* Fiber.interrupt(fiber)))
      const [result] = reports[0].cases
      assert.strictEqual(result.output, 2)
      assert.deepStrictEqual(result.scores, [{ name: "exactMatch", score: 1, boolean: false }])
      assert.deepStrictEqual(
        result.errors.map((e) => e.source),
        ["interrupted"],
        "the judge's missing score is no error"
      )
      assert.deepStrictEqual(reports[0].scorers.map((s) => [s.name, s.count, s.errors]), [
        ["exactMatch", 1, 0],
        ["judge", 0, 0]
      ])
    }))

  // Live clock: the run is interrupted while the timed-out task's cleanup (a real 200 ms sleep) is under way.
  it.live("a case that timed out is reported as timed out, also when the run is interrupted while it stops", () =>
    Effect.gen(function*() {
      const stopping = yield* Deferred.make<void>()
      const reports: Array<EvalReport.EvalReport> = []
      const suite = Eval.make({
        name: "slow cleanup",
        data: [{ input: 1 }],
        task: () =>
          Effect.onInterrupt(
            Effect.never,
            () => Effect.zipRight(Deferred.succeed(stopping, undefined), Effect.sleep(200))
          ),
        scorers: [Scorers.exactMatch],
        timeout: "20 millis"
      })
      const run = yield* Effect.fork(
        Eval.run(suite, { reporters: [{ onEnd: (report) => Effect.sync(() => reports.push(report)) }] })
      )
      yield* Deferred.await(stopping)
      yield* Fiber.interrupt(run)
      assert.deepStrictEqual(reports[0].cases[0].errors.map((e) => e.source), ["timeout"])
    }))

  // Live clock on purpose: what is tested is that a real timer (a setTimeout, like a signal handler or an HTTP
  // response) gets to run during a synchronous run; TestClock timers do not need the event loop.
  it.live("a run of synchronous cases still gives Node's event loop its turns: a timer interrupts it mid-run", () =>
    Effect.gen(function*() {
      // Each case keeps the CPU for 1 ms and never suspends: 5,000 cases are 5 s of wall time at least.
      const busy = (input: number) => {
        const until = performance.now() + 1
        while (performance.now() < until) {
          // the CPU is the task's
        }
        return input * 2
      }
      const reports: Array<EvalReport.EvalReport> = []
      let ticks = 0
      yield* Effect.acquireRelease(
        Effect.sync(() => setInterval(() => ticks++, 5)),
        (interval) => Effect.sync(() => clearInterval(interval))
      )
      const suite = Eval.make({
        name: "busy",
        data: cases(5_000),
        concurrency: 4,
        task: busy,
        scorers: [Scorers.exactMatch]
      })
      const fiber = yield* Effect.fork(
        Eval.run(suite, { reporters: [{ onEnd: (report) => Effect.sync(() => reports.push(report)) }] })
      )
      yield* Effect.sleep("100 millis")
      const exit = yield* Fiber.interrupt(fiber)
      assert.isTrue(Exit.isInterrupted(exit), "the run was still going when the timer fired")
      const [report] = reports
      assert.isTrue(report.interrupted)
      assert.isAbove(report.totals.cases, 0)
      // The timer fires at 100 ms and the run gives the loop a turn at least every ~10 ms: some 100 cases, not 5,000.
      assert.isBelow(report.totals.cases, 1_000, "the timer was handled promptly")
      assert.isAbove(ticks, 1, "an interval fired during the run")
    }).pipe(Effect.scoped))

  it.effect("passes or fails each scorer against its threshold", () =>
    Effect.gen(function*() {
      const suite = Eval.make({
        name: "thresholds",
        data: [{ input: 1, expected: 2 }, { input: 2, expected: 4 }, { input: 3, expected: 7 }, {
          input: 4,
          expected: 8
        }],
        task: double,
        scorers: [Scorers.exactMatch, Scorer.make("positive", ({ output }: { output: number }) => output > 0)],
        thresholds: { exactMatch: 0.8, positive: 1 }
      })
      const report = yield* Eval.run(suite)
      const byName = Object.fromEntries(report.scorers.map((s) => [s.name, s]))
      assert.strictEqual(byName.exactMatch.mean, 0.75)
      assert.strictEqual(byName.exactMatch.threshold, 0.8)
      assert.isFalse(byName.exactMatch.passed)
      assert.isTrue(byName.positive.passed)
      assert.isFalse(report.passed)
      const passing = yield* Eval.run(Eval.make({ ...suiteOptions, thresholds: { exactMatch: 0.75 } }))
      assert.isTrue(passing.passed)
    }))

  it.effect("a scorer that errors fails its threshold: an errored case counts as 0", () =>
    Effect.gen(function*() {
      const suite = Eval.make({
        name: "flaky",
        data: cases(10),
        task: double,
        scorers: [
          Scorer.make("flaky", ({ input }: { input: number }) => {
            if (input > 0) throw new Error("judge unavailable")
            return 1
          })
        ],
        thresholds: { flaky: 0.9 }
      })
      const report = yield* Eval.run(suite)
      const [flaky] = report.scorers
      assert.deepStrictEqual(
        { count: flaky.count, errors: flaky.errors, mean: flaky.mean, thresholdMean: flaky.thresholdMean },
        { count: 1, errors: 9, mean: 1, thresholdMean: 0.1 }
      )
      assert.isFalse(flaky.passed)
      assert.isFalse(report.passed)
      const taskFails = yield* Eval.run(Eval.make({
        ...suite,
        name: "task fails",
        task: (input: number) => input > 0 ? Effect.fail("no model") : Effect.succeed(0),
        scorers: [Scorer.make("flaky", () => 1)]
      }))
      assert.strictEqual(taskFails.scorers[0].thresholdMean, 0.1, "a case whose task failed counts as 0 too")
      assert.isFalse(taskFails.passed)
    }))

  it.effect("the reporters see the run's warnings", () =>
    Effect.gen(function*() {
      const seen: Array<ReadonlyArray<string> | undefined> = []
      const report = yield* Eval.run(Eval.make(suiteOptions), {
        casesFile: "/dev/null/cases.jsonl",
        reporters: [{ onEnd: (report) => Effect.sync(() => seen.push(report.warnings)) }]
      })
      assert.strictEqual(seen.length, 1)
      assert.isDefined(seen[0])
      assert.include(seen[0]![0], "/dev/null/cases.jsonl")
      assert.deepStrictEqual(report.warnings, seen[0])
    }).pipe(Effect.provide(NodeContext.layer)))

  it.effect("needs only what the task and scorers need", () =>
    Effect.gen(function*() {
      class Multiplier extends Context.Tag("test/Multiplier")<Multiplier, number>() {}
      const suite = Eval.make({
        name: "services",
        data: Stream.fromIterable(cases(4)),
        task: (input: number) => Effect.map(Multiplier, (m) => input * m),
        scorers: [Scorers.exactMatch]
      })
      const report = yield* Eval.run(suite).pipe(Effect.provideService(Multiplier, 2))
      assert.strictEqual(report.scorers[0].mean, 1)
    }))
})

const suiteOptions = {
  name: "thresholds",
  data: [{ input: 1, expected: 2 }, { input: 2, expected: 4 }, { input: 3, expected: 7 }, { input: 4, expected: 8 }],
  task: double,
  scorers: [Scorers.exactMatch]
}

describe("Eval.make", () => {
  it("rejects a concurrency or trials below 1", () => {
    expect(() => Eval.make({ ...suiteOptions, concurrency: 0 })).toThrow(/concurrency/)
    expect(() => Eval.make({ ...suiteOptions, trials: 1.5 })).toThrow(/trials/)
  })
})
