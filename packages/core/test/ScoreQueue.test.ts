import { FileSystem } from "@effect/platform"
import { NodeFileSystem } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import type { Duration } from "effect"
import { Cause, Deferred, Effect, Exit, Fiber, Layer, LogLevel, Option, Scope, TestClock } from "effect"
import * as ChildProcess from "node:child_process"
import * as HeliconeError from "../src/HeliconeError.js"
import * as HeliconeScores from "../src/HeliconeScores.js"
import * as Outbox from "../src/internal/queue/outbox.js"
import * as ScoreQueue from "../src/ScoreQueue.js"
import * as FaultyFileSystem from "./fixtures/queue/FaultyFileSystem.js"
import { setup } from "./fixtures/queue/StubQueue.js"
import type * as StubScores from "./fixtures/queue/StubScores.js"
import { captureLogs, eventually, files, id, outboxLines, readLines, tempDirectory } from "./fixtures/queue/Support.js"

const unavailable = new HeliconeError.HeliconeUnavailable({ reason: "connection refused" })

/** Closes a queue's scope while its deliveries hang: the shutdown deadline runs on the TestClock. */
const shutdown = (scope: Scope.CloseableScope, deadline: Duration.DurationInput = "5 seconds") =>
  Effect.gen(function*() {
    const closing = yield* Effect.fork(Scope.close(scope, Exit.void))
    yield* eventually(Effect.map(TestClock.sleeps(), (sleeps) => sleeps.length > 0))
    yield* TestClock.adjust(deadline)
    yield* Fiber.join(closing)
  })

/** Closes a queue's scope while moving the TestClock on a second at a time, for every sleep on the way out. */
const closeAdvancing = (scope: Scope.CloseableScope) =>
  Effect.gen(function*() {
    const closing = yield* Effect.fork(Scope.close(scope, Exit.void))
    yield* eventually(Effect.zipRight(TestClock.adjust("1 second"), Effect.map(Fiber.poll(closing), Option.isSome)))
  })

/** The outbox's entries once the replayer has stalled (it sleeps on the TestClock), so no rename can race the read. */
const stalledOutbox = (outboxPath: string) =>
  Effect.zipRight(eventually(Effect.map(TestClock.sleeps(), (sleeps) => sleeps.length > 0)), outboxLines(outboxPath))

/** Waits until the stub has received `n` calls. */
const calls = (stub: ReturnType<typeof StubScores.make>, n: number) =>
  eventually(Effect.sync(() => stub.calls.length >= n))

/** A gate that holds deliveries until opened. */
const gate = Effect.map(Deferred.make<void>(), (open) => ({
  wait: Deferred.await(open),
  open: Deferred.succeed(open, undefined)
}))

describe("ScoreQueue", () => {
  describe("offer", () => {
    it.scoped("refuses a bad request id or bad scores at the call site, and queues nothing", () =>
      Effect.gen(function*() {
        const { queue, stub } = yield* setup()
        const badId = yield* Effect.flip(queue.offer("not-a-uuid", { a: 1 }))
        assert.strictEqual(badId._tag, "InvalidRequestId")
        const badScores = yield* Effect.flip(queue.offer(id(1), { accuracy: 0.92, ok: true }))
        assert.strictEqual(badScores._tag, "InvalidScores")
        assert.deepStrictEqual(badScores._tag === "InvalidScores" ? badScores.issues.map((i) => i.key) : [], [
          "accuracy"
        ])
        yield* queue.flush
        assert.strictEqual(stub.calls.length, 0)
        const stats = yield* queue.stats
        assert.strictEqual(stats.invalid, 2)
        assert.strictEqual(stats.queued, 0)
      }).pipe(Effect.provide(NodeFileSystem.layer)))

    it.scoped("returns at once while Helicone does not answer", () =>
      Effect.gen(function*() {
        const { queue, scope, stub } = yield* setup({ concurrency: 2, maxConcurrency: 2 })
        stub.behave(() => Effect.never)
        for (let n = 0; n < 100; n++) yield* queue.offer(id(n), { n })
        yield* calls(stub, 2)
        const stats = yield* queue.stats
        assert.strictEqual(stats.inFlight, 2)
        assert.strictEqual(stats.queued, 98)
        assert.strictEqual(stats.delivered, 0)
        yield* shutdown(scope)
      }).pipe(Effect.provide(NodeFileSystem.layer)))

    it.scoped("merges offers for a request id while it waits: one submission, later keys win", () =>
      Effect.gen(function*() {
        const { queue, stub } = yield* setup({ concurrency: 1, maxConcurrency: 1 })
        const held = yield* gate
        stub.behave((call) => call.requestId === id(1) ? held.wait : Effect.void)
        yield* queue.offer(id(1), { first: 1 })
        yield* calls(stub, 1)
        yield* queue.offer(id(2), { a: 1, b: true })
        yield* queue.offer(id(2), { b: false, c: 3 })
        yield* queue.offer(id(2), { a: 4 })
        yield* held.open
        yield* queue.flush
        assert.deepStrictEqual(stub.calls.filter((call) => call.requestId === id(2)), [
          { requestId: id(2), scores: { a: 4, b: false, c: 3 } }
        ])
      }).pipe(Effect.provide(NodeFileSystem.layer)))

    it.scoped("never delivers one request id twice at a time: a later offer is sent after, so it wins", () =>
      Effect.gen(function*() {
        const { queue, stub } = yield* setup({ concurrency: 4, maxConcurrency: 4 })
        const held = yield* gate
        stub.behave((call) => call.scores.v === 1 ? held.wait : Effect.void)
        yield* queue.offer(id(1), { v: 1 })
        yield* calls(stub, 1)
        yield* queue.offer(id(1), { v: 2 })
        // offered after it, on an idle worker: once it is delivered, a worker free to take v2 would have taken it
        yield* queue.offer(id(2), { v: 3 })
        yield* eventually(Effect.sync(() => stub.stored.has(id(2))))
        assert.deepStrictEqual(stub.calls.map((call) => call.scores.v), [1, 3])
        const stats = yield* queue.stats
        assert.strictEqual(stats.inFlight, 1)
        assert.strictEqual(stats.queued, 1)
        yield* held.open
        yield* queue.flush
        assert.deepStrictEqual(stub.calls.map((call) => call.scores.v), [1, 3, 2])
        assert.deepStrictEqual(stub.stored.get(id(1)), { v: 2 })
      }).pipe(Effect.provide(NodeFileSystem.layer)))

    it.scoped("treats request ids case-insensitively, as Helicone does", () =>
      Effect.gen(function*() {
        const { queue, stub } = yield* setup({ concurrency: 1, maxConcurrency: 1 })
        const held = yield* gate
        stub.behave((call) => call.requestId === id(9) ? held.wait : Effect.void)
        const upper = "ABCDEF00-0000-4000-8000-000000000001"
        yield* queue.offer(id(9), {})
        yield* calls(stub, 1)
        yield* queue.offer(upper, { a: 1 })
        yield* queue.offer(upper.toLowerCase(), { b: 2 })
        yield* held.open
        yield* queue.flush
        assert.deepStrictEqual(stub.calls.slice(1), [{ requestId: upper.toLowerCase(), scores: { a: 1, b: 2 } }])
      }).pipe(Effect.provide(NodeFileSystem.layer)))
  })

  describe("failures", () => {
    it.scoped("a delivery failing past the retry policy goes to the outbox with a warning, then is replayed", () =>
      Effect.gen(function*() {
        const logs = yield* captureLogs()
        yield* logs.around(Effect.gen(function*() {
          const { outboxPath, queue, stub } = yield* setup({ replayInterval: "10 seconds" })
          stub.behave(() => Effect.fail(unavailable))
          for (let n = 1; n <= 3; n++) yield* queue.offer(id(n), { n })
          yield* queue.flush
          assert.deepStrictEqual(
            (yield* stalledOutbox(outboxPath)).map((line) => line.requestId).sort(),
            [id(1), id(2), id(3)]
          )
          assert.strictEqual((yield* queue.stats).inOutbox, 3)
          const warnings = (yield* logs.lines).filter((line) => line.startsWith("WARN"))
          assert.strictEqual(warnings.length, 1)
          assert.include(warnings[0], "connection refused")
          assert.include(warnings[0], outboxPath)

          stub.behave(() => Effect.void)
          yield* TestClock.adjust("10 seconds")
          yield* eventually(Effect.map(queue.stats, (stats) => stats.inOutbox === 0 && stats.delivered === 3))
          assert.deepStrictEqual([1, 2, 3].map((n) => stub.stored.get(id(n))), [{ n: 1 }, { n: 2 }, { n: 3 }])
          // the probe that found Helicone still down, then the three deliveries
          assert.strictEqual((yield* queue.stats).retried, 4)
          // the replay file goes once its last chunk is delivered
          yield* eventually(Effect.map(outboxLines(outboxPath), (lines) => lines.length === 0))
        }))
      }).pipe(Effect.provide(NodeFileSystem.layer)))

    it.scoped("a rejection no retry can fix goes to the dead-letter file with its reason, and is counted", () =>
      Effect.gen(function*() {
        const { deadLetterPath, outboxPath, queue, stub } = yield* setup()
        const errors: Record<string, HeliconeError.SubmitScoreError> = {
          [id(1)]: new HeliconeError.RequestRejected({ status: 400, details: "Invalid token." }),
          [id(2)]: new HeliconeError.RequestRejected({ status: 422, details: { "requestBody.scores": {} } }),
          [id(3)]: new HeliconeError.HeliconeServerError({
            status: 500,
            serverMessage: "Score value for key 'a' must be an integer. Received: 0.5"
          })
        }
        stub.behave((call) => errors[call.requestId] ? Effect.fail(errors[call.requestId]) : Effect.void)
        for (let n = 1; n <= 4; n++) yield* queue.offer(id(n), { n })
        yield* queue.flush
        assert.strictEqual(stub.calls.length, 4)
        const dead = yield* readLines(deadLetterPath)
        assert.deepStrictEqual(
          dead.map((line) => [line.requestId, line.scores.n, line.error._tag, line.error.status]),
          [
            [id(1), 1, "RequestRejected", 400],
            [id(2), 2, "RequestRejected", 422],
            [id(3), 3, "HeliconeServerError", 500]
          ].sort((a, b) => dead.findIndex((l) => l.requestId === a[0]) - dead.findIndex((l) => l.requestId === b[0]))
        )
        assert.include(dead.find((line) => line.requestId === id(3)).error.message, "must be an integer")
        const stats = yield* queue.stats
        assert.strictEqual(stats.rejected, 3)
        assert.strictEqual(stats.delivered, 1)
        assert.deepStrictEqual(yield* outboxLines(outboxPath), [])
      }).pipe(Effect.provide(NodeFileSystem.layer)))

    it.scoped("when the dead-letter file cannot be written, a rejection stays in the outbox and is counted once", () => {
      const [fsLayer, disk] = FaultyFileSystem.make()
      return Effect.gen(function*() {
        const logs = yield* captureLogs(LogLevel.Error)
        yield* logs.around(Effect.gen(function*() {
          const { deadLetterPath, outboxPath, queue, stub } = yield* setup({ replayInterval: "10 seconds" })
          stub.behave(() => Effect.fail(new HeliconeError.RequestRejected({ status: 422, details: {} })))
          disk.break(deadLetterPath)
          yield* queue.offer(id(1), { n: 1 })
          yield* queue.flush
          assert.deepStrictEqual(yield* stalledOutbox(outboxPath), [{ requestId: id(1), scores: { n: 1 } }])
          assert.strictEqual((yield* queue.stats).rejected, 0)
          assert.isTrue((yield* logs.lines).some((line) => line.includes("could not write the dead letter")))

          disk.repair(deadLetterPath)
          yield* eventually(Effect.zipRight(
            TestClock.adjust("10 seconds"),
            Effect.map(queue.stats, (stats) => stats.inOutbox === 0 && stats.rejected === 1)
          ))
          assert.deepStrictEqual((yield* readLines(deadLetterPath)).map((line) => line.requestId), [id(1)])
        }))
      }).pipe(Effect.provide(fsLayer))
    })

    it.scoped("with Helicone down, 20,000 offers keep memory bounded and every score reaches the outbox", () =>
      Effect.gen(function*() {
        const capacity = 100
        const { outboxPath, queue, stub } = yield* setup({
          capacity,
          concurrency: 4,
          maxConcurrency: 4,
          replayInterval: "1 hour"
        })
        stub.behave(() => Effect.fail(unavailable))
        let peak = 0
        for (let n = 0; n < 20_000; n++) {
          yield* queue.offer(id(n), { n })
          if (n % 250 === 0) peak = Math.max(peak, (yield* queue.stats).queued)
        }
        yield* queue.flush
        // waiting ids, the writer's input (1,024 here) and the batch being written, plus one offer waiting for room
        assert.isAtMost(peak, capacity + 2 * 1024 + 1)
        assert.strictEqual((yield* queue.stats).inOutbox, 20_000)
        const ids = new Set((yield* stalledOutbox(outboxPath)).map((line) => line.requestId))
        assert.strictEqual(ids.size, 20_000)
      }).pipe(Effect.provide(NodeFileSystem.layer)))

    it.scoped("while the outbox holds scores new ones queue behind it, so the value offered last is stored", () =>
      Effect.gen(function*() {
        const { queue, stub } = yield* setup({ replayInterval: "10 seconds" })
        stub.behave(() => Effect.fail(unavailable))
        yield* queue.offer(id(1), { verdict: 1 })
        yield* queue.flush
        // Helicone is back, but the outbox has not been replayed yet
        stub.behave(() => Effect.void)
        yield* queue.offer(id(1), { verdict: 2 })
        yield* queue.flush
        yield* TestClock.adjust("10 seconds")
        yield* eventually(Effect.map(queue.stats, (stats) => stats.inOutbox === 0 && stats.queued === 0))
        assert.deepStrictEqual(stub.stored.get(id(1)), { verdict: 2 })
      }).pipe(Effect.provide(NodeFileSystem.layer)))

    it.scoped("a full buffer overflows to the outbox with a warning, and every score is still delivered", () =>
      Effect.gen(function*() {
        const logs = yield* captureLogs()
        yield* logs.around(Effect.gen(function*() {
          const { queue, stub } = yield* setup({ capacity: 2, concurrency: 1, maxConcurrency: 1 })
          for (let n = 0; n < 20; n++) yield* queue.offer(id(n), { n })
          yield* queue.offer(id(19), { again: true })
          yield* eventually(Effect.map(queue.stats, (stats) => stats.inOutbox === 0 && stats.queued === 0))
          assert.isAbove((yield* queue.stats).retried, 0)
          for (let n = 0; n < 19; n++) assert.deepStrictEqual(stub.stored.get(id(n)), { n })
          assert.deepStrictEqual(stub.stored.get(id(19)), { n: 19, again: true })
          assert.isTrue((yield* logs.lines).some((line) => line.startsWith("WARN") && line.includes("buffer is full")))
        }))
      }).pipe(Effect.provide(NodeFileSystem.layer)))

    it.scoped("while the outbox cannot be written offers fail with OutboxUnwritable; once it can, scores flow again", () => {
      const [fsLayer, disk] = FaultyFileSystem.make()
      return Effect.gen(function*() {
        const logs = yield* captureLogs(LogLevel.Error)
        yield* logs.around(Effect.gen(function*() {
          const { outboxPath, queue, stub } = yield* setup({
            concurrency: 1,
            maxConcurrency: 1,
            replayInterval: "10 seconds"
          })
          stub.behave(() => Effect.fail(unavailable))
          disk.break(outboxPath)
          yield* queue.offer(id(1), { n: 1 })
          // the writer retries with a bounded backoff, then gives up for this round and says so
          yield* eventually(Effect.zipRight(
            TestClock.adjust("500 millis"),
            Effect.map(logs.lines, (lines) => lines.some((line) => line.includes("offers fail")))
          ))
          const attempts = disk.refused()
          assert.isAtLeast(attempts, 2)
          const refused = yield* Effect.flip(queue.offer(id(2), { n: 2 }))
          assert.strictEqual(refused._tag, "OutboxUnwritable")
          assert.instanceOf(refused, ScoreQueue.OutboxUnwritable)
          assert.include(refused.message, outboxPath)
          assert.include(refused.message, "ENOSPC")
          assert.strictEqual(disk.refused(), attempts, "no attempt between rounds")

          disk.repair(outboxPath)
          // the next round (after replayInterval) writes the kept batch, and offers are accepted again
          yield* eventually(Effect.zipRight(
            TestClock.adjust("1 second"),
            Effect.map(Effect.exit(queue.offer(id(3), { n: 3 })), Exit.isSuccess)
          ))
          stub.behave(() => Effect.void)
          yield* eventually(Effect.zipRight(
            TestClock.adjust("1 second"),
            Effect.sync(() => stub.stored.has(id(1)) && stub.stored.has(id(3)))
          ))
          assert.isFalse(stub.stored.has(id(2)))
        }))
      }).pipe(Effect.provide(fsLayer))
    })

    it.scoped("a delivery that keeps dying with a defect is dead-lettered after 3 attempts, logged and counted", () =>
      Effect.gen(function*() {
        const logs = yield* captureLogs(LogLevel.Error)
        yield* logs.around(Effect.gen(function*() {
          const { deadLetterPath, queue, stub } = yield* setup({ replayInterval: "10 seconds" })
          stub.behave((call) => call.requestId === id(1) ? Effect.dieMessage("boom") : Effect.void)
          yield* queue.offer(id(1), { n: 1 })
          yield* queue.offer(id(2), { n: 2 })
          yield* eventually(Effect.zipRight(
            TestClock.adjust("10 seconds"),
            Effect.map(queue.stats, (stats) => stats.defects === 1 && stats.inOutbox === 0 && stats.queued === 0)
          ))
          const dead = yield* readLines(deadLetterPath)
          assert.deepStrictEqual(dead.map((line) => [line.requestId, line.scores, line.error._tag]), [
            [id(1), { n: 1 }, "Defect"]
          ])
          assert.include(dead[0].error.message, "boom")
          assert.strictEqual(stub.calls.filter((call) => call.requestId === id(1)).length, 3)
          assert.deepStrictEqual(stub.stored.get(id(2)), { n: 2 })
          const stats = yield* queue.stats
          assert.strictEqual(stats.rejected, 0)
          const errors = yield* logs.lines
          assert.strictEqual(errors.filter((line) => line.includes(id(1)) && line.includes("boom")).length, 3)
        }))
      }).pipe(Effect.provide(NodeFileSystem.layer)))

    it.scoped("a defect in the delivery keeps the scores in the outbox instead of losing them", () =>
      Effect.gen(function*() {
        const { outboxPath, queue, stub } = yield* setup({ replayInterval: "10 seconds" })
        stub.behave(() => Effect.dieMessage("boom"))
        yield* queue.offer(id(1), { n: 1 })
        yield* queue.flush
        assert.deepStrictEqual(yield* stalledOutbox(outboxPath), [{ requestId: id(1), scores: { n: 1 } }])
      }).pipe(Effect.provide(NodeFileSystem.layer)))
  })

  describe("shutdown", () => {
    it.scoped("stops accepting, writes what it could not deliver by the deadline, and a new queue replays it", () =>
      Effect.gen(function*() {
        const first = yield* setup({ concurrency: 2, maxConcurrency: 2, shutdownDeadline: "2 seconds" })
        first.stub.behave(() => Effect.never)
        for (let n = 0; n < 5; n++) yield* first.queue.offer(id(n), { n })
        yield* calls(first.stub, 2)
        yield* first.queue.offer(id(0), { later: 1 })
        const closing = yield* Effect.fork(Scope.close(first.scope, Exit.void))
        yield* eventually(Effect.map(TestClock.sleeps(), (sleeps) => sleeps.length > 0))
        assert.strictEqual((yield* Effect.flip(first.queue.offer(id(7), { n: 7 })))._tag, "QueueClosed")
        yield* TestClock.adjust("2 seconds")
        yield* Fiber.join(closing)
        const lines = yield* readLines(first.outboxPath)
        assert.deepStrictEqual(lines.filter((line) => line.requestId === id(0)), [
          { requestId: id(0), scores: { n: 0 } },
          { requestId: id(0), scores: { later: 1 } }
        ])
        assert.deepStrictEqual(lines.map((line) => line.requestId).sort(), [0, 0, 1, 2, 3, 4].map(id))

        const second = yield* setup({}, first.dir)
        yield* eventually(Effect.map(second.queue.stats, (stats) => stats.inOutbox === 0 && stats.delivered === 5))
        assert.deepStrictEqual(second.stub.stored.get(id(0)), { n: 0, later: 1 })
        for (let n = 1; n < 5; n++) assert.deepStrictEqual(second.stub.stored.get(id(n)), { n })
      }).pipe(Effect.provide(NodeFileSystem.layer)))

    it.scoped("a shutdown that cannot write the outbox writes the scores to the dead-letter file, and counts them", () => {
      const [fsLayer, disk] = FaultyFileSystem.make()
      return Effect.gen(function*() {
        const logs = yield* captureLogs(LogLevel.Error)
        const { deadLetterPath, outboxPath, queue } = yield* logs.around(Effect.gen(function*() {
          const { deadLetterPath, outboxPath, queue, scope, stub } = yield* setup({ concurrency: 1, maxConcurrency: 1 })
          stub.behave(() => Effect.never)
          for (let n = 0; n < 3; n++) yield* queue.offer(id(n), { n })
          yield* calls(stub, 1)
          disk.break(outboxPath)
          yield* shutdown(scope)
          return { deadLetterPath, outboxPath, queue }
        }))
        const dead = yield* readLines(deadLetterPath)
        assert.deepStrictEqual(
          dead.map((line) => [line.requestId, line.scores, line.error._tag]),
          [0, 1, 2].map((n) => [id(n), { n }, "OutboxUnwritable"])
        )
        assert.include(dead[0].error.message, "ENOSPC")
        assert.strictEqual((yield* queue.stats).stranded, 3)
        const errors = yield* logs.lines
        assert.isTrue(errors.some((line) => line.includes(outboxPath) && line.includes(deadLetterPath)))
      }).pipe(Effect.provide(fsLayer))
    })

    it.scoped("when neither file can be written at shutdown, each score's outbox line is in the error log", () => {
      const [fsLayer, disk] = FaultyFileSystem.make()
      return Effect.gen(function*() {
        const logs = yield* captureLogs(LogLevel.Error)
        const { deadLetterPath, queue } = yield* logs.around(Effect.gen(function*() {
          const { deadLetterPath, outboxPath, queue, scope, stub } = yield* setup({ concurrency: 1, maxConcurrency: 1 })
          stub.behave(() => Effect.never)
          for (let n = 0; n < 3; n++) yield* queue.offer(id(n), { n, ok: true })
          yield* calls(stub, 1)
          disk.break(outboxPath)
          disk.break(deadLetterPath)
          yield* shutdown(scope)
          return { deadLetterPath, queue }
        }))
        const errors = yield* logs.lines
        for (let n = 0; n < 3; n++) {
          const line = Outbox.encodeEntry({ requestId: id(n), scores: { n, ok: true } }).trim()
          assert.strictEqual(errors.filter((error) => error.endsWith(line)).length, 1, line)
        }
        assert.strictEqual((yield* queue.stats).stranded, 3)
        assert.deepStrictEqual(yield* readLines(deadLetterPath), [])
      }).pipe(Effect.provide(fsLayer))
    })

    it.scoped("an offer waiting for a full outbox writer is not left hanging by the shutdown, and its scores are kept", () => {
      const [fsLayer, disk] = FaultyFileSystem.make()
      return Effect.gen(function*() {
        const { deadLetterPath, outboxPath, queue, scope, stub } = yield* setup({
          capacity: 1,
          concurrency: 1,
          maxConcurrency: 1
        })
        stub.behave(() => Effect.never)
        disk.break(outboxPath)
        yield* queue.offer(id(0), { n: 0 })
        yield* calls(stub, 1)
        const accepted: Array<number> = [0]
        const refused: Array<string> = []
        const offers = yield* Effect.fork(Effect.gen(function*() {
          for (let n = 1; n <= 3000; n++) {
            const exit = yield* Effect.exit(queue.offer(id(n), { n }))
            if (Exit.isSuccess(exit)) accepted.push(n)
            else {refused.push(Option.match(Cause.failureOption(exit.cause), {
                onNone: () => "?",
                onSome: (e) => e._tag
              }))}
          }
        }))
        // the writer cannot write, so its input fills up and an offer waits for the disk
        yield* eventually(Effect.map(Fiber.status(offers), (status) => status._tag === "Suspended"))
        assert.isBelow(accepted.length, 3001)
        yield* closeAdvancing(scope)
        yield* eventually(Effect.map(Fiber.poll(offers), Option.isSome))
        assert.isTrue(refused.every((tag) => tag === "QueueClosed"), refused.slice(0, 3).join())
        const kept = (yield* readLines(deadLetterPath)).map((line) => line.scores.n)
        assert.deepStrictEqual(kept.sort((a, b) => a - b), accepted)
      }).pipe(Effect.provide(fsLayer))
    })

    it.scoped("a clean shutdown delivers everything and leaves no outbox", () =>
      Effect.gen(function*() {
        const { outboxPath, queue, scope, stub } = yield* setup()
        for (let n = 0; n < 50; n++) yield* queue.offer(id(n), { n })
        yield* Scope.close(scope, Exit.void)
        assert.strictEqual(stub.stored.size, 50)
        const fs = yield* FileSystem.FileSystem
        assert.isFalse(yield* fs.exists(outboxPath))
      }).pipe(Effect.provide(NodeFileSystem.layer)))
  })

  describe("outbox lock", () => {
    it.scoped("a second queue on the same outbox fails with OutboxLocked and touches none of the first one's files", () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const first = yield* setup()
        // the first queue's rewrite of the replay file, in progress
        yield* fs.writeFileString(`${first.outboxPath}.tmp`, "half a rewrite")
        const error = yield* Effect.flip(
          Layer.build(ScoreQueue.layer(files(first.dir))).pipe(
            Effect.provide(Layer.succeed(HeliconeScores.HeliconeScores, first.stub.service))
          )
        )
        assert.strictEqual(error._tag, "OutboxLocked")
        assert.instanceOf(error, ScoreQueue.OutboxLocked)
        if (error._tag === "OutboxLocked") {
          assert.strictEqual(error.pid, process.pid)
          assert.strictEqual(error.outboxPath, first.outboxPath)
        }
        assert.include(error.message, first.outboxPath)
        assert.strictEqual(yield* fs.readFileString(`${first.outboxPath}.tmp`), "half a rewrite")
        // the first queue still works
        yield* first.queue.offer(id(1), { n: 1 })
        yield* first.queue.flush
        assert.deepStrictEqual(first.stub.stored.get(id(1)), { n: 1 })
      }).pipe(Effect.provide(NodeFileSystem.layer)))

    it.scoped("a lock held by another live process fails the layer with its pid", () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const dir = yield* tempDirectory
        yield* fs.writeFileString(`${dir}/outbox.jsonl.lock`, `${process.ppid}\n`)
        const error = yield* Effect.flip(setup({}, dir))
        assert.strictEqual(error._tag, "OutboxLocked")
        assert.include(error.message, String(process.ppid))
        assert.include(error.message, `${dir}/outbox.jsonl.lock`)
      }).pipe(Effect.provide(NodeFileSystem.layer)))

    it.scoped("a lock left by a process that is gone is taken over, and removed when the scope closes", () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const dir = yield* tempDirectory
        const lockPath = `${dir}/outbox.jsonl.lock`
        const gone = ChildProcess.spawnSync(process.execPath, ["-e", ""]).pid!
        yield* fs.writeFileString(lockPath, `${gone}\n`)
        yield* fs.writeFileString(`${dir}/outbox.jsonl`, `{"requestId":"${id(1)}","scores":{"n":1}}\n`)
        const { queue, scope, stub } = yield* setup({}, dir)
        assert.strictEqual(JSON.parse(yield* fs.readFileString(lockPath)).pid, process.pid)
        yield* eventually(Effect.map(queue.stats, (stats) => stats.inOutbox === 0))
        assert.deepStrictEqual(stub.stored.get(id(1)), { n: 1 })
        yield* Scope.close(scope, Exit.void)
        assert.isFalse(yield* fs.exists(lockPath))
        // and the next queue opens it
        yield* setup({}, dir)
      }).pipe(Effect.provide(NodeFileSystem.layer)))
  })

  describe("layerTest", () => {
    it.scoped("delivers to the in-memory HeliconeScores, where a test reads what was submitted", () =>
      Effect.gen(function*() {
        yield* ScoreQueue.offer(id(1), { accuracy: 92 })
        yield* ScoreQueue.offer(id(1), { grounded: true })
        yield* ScoreQueue.flush
        const test = yield* HeliconeScores.HeliconeScoresTest
        const submitted = (yield* test.submissions).filter((submission) => submission.requestId === id(1))
        assert.deepStrictEqual(Object.assign({}, ...submitted.map((submission) => submission.scores)), {
          accuracy: 92,
          grounded: true
        })
      }).pipe(Effect.provide(ScoreQueue.layerTest), Effect.provide(NodeFileSystem.layer)))
  })

  describe("options", () => {
    it.scoped("refuses options out of range when the queue is built", () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(setup({ capacity: 0 }))
        assert.strictEqual(error._tag, "InvalidConfig")
        assert.include(error.message, "capacity")
        const deadline = yield* Effect.flip(setup({ shutdownDeadline: "-1 seconds" as never }))
        assert.strictEqual(deadline._tag, "InvalidConfig")
      }).pipe(Effect.provide(NodeFileSystem.layer)))
  })
})
