import { FileSystem } from "@effect/platform"
import { NodeFileSystem } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber, LogLevel, Scope, TestClock } from "effect"
import * as HeliconeError from "../src/HeliconeError.js"
import { setup } from "./fixtures/queue/StubQueue.js"
import { captureLogs, eventually, id, outboxLines, readLines } from "./fixtures/queue/Support.js"

const unauthorized = new HeliconeError.Unauthorized({ status: 401, serverMessage: "No API key found" })

describe("ScoreQueue delivery", () => {
  describe("concurrency", () => {
    it.scoped("grows with the backlog up to maxConcurrency, and back to concurrency once nothing waits", () =>
      Effect.gen(function*() {
        const { queue, stub } = yield* setup({ concurrency: 2, maxConcurrency: 6 })
        const open = yield* Deferred.make<void>()
        stub.behave(() => Deferred.await(open))
        for (let n = 0; n < 50; n++) yield* queue.offer(id(n), { n })
        yield* eventually(Effect.sync(() => stub.calls.length === 6))
        const busy = yield* queue.stats
        assert.strictEqual(busy.concurrency, 6)
        assert.strictEqual(busy.inFlight, 6)
        yield* Deferred.succeed(open, undefined)
        const report = yield* queue.awaitDelivery()
        assert.deepStrictEqual(report, { complete: true, delivered: 50, deadLettered: 0, inOutbox: 0, inMemory: 0 })
        yield* eventually(Effect.map(queue.stats, (stats) => stats.concurrency === 2))
        for (let n = 0; n < 50; n++) assert.deepStrictEqual(stub.stored.get(id(n)), { n })
      }).pipe(Effect.provide(NodeFileSystem.layer)))

    it.effect("refuses a maxConcurrency below concurrency", () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(setup({ concurrency: 8, maxConcurrency: 4 }))
        assert.strictEqual(error._tag, "InvalidConfig")
        assert.include(error.message, "maxConcurrency")
      }).pipe(Effect.scoped, Effect.provide(NodeFileSystem.layer)))
  })

  describe("a refused API key", () => {
    it.scoped("stops at the first 401: one error line, every score kept in the outbox, none dead-lettered", () =>
      Effect.gen(function*() {
        const logs = yield* captureLogs(LogLevel.Warning)
        const { deadLetterPath, outboxPath, queue, stub } = yield* logs.around(setup({ concurrency: 4 }))
        stub.behave(() => Effect.fail(unauthorized))
        yield* logs.around(Effect.gen(function*() {
          for (let n = 0; n < 200; n++) yield* queue.offer(id(n), { n })
          const error = yield* Effect.flip(queue.awaitDelivery({ timeout: "1 minute" }))
          assert.strictEqual(error._tag, "Unauthorized")
          assert.strictEqual(error.status, 401)
          // offers after the halt go to the outbox too, and nothing more is sent
          const sent = stub.calls.length
          yield* queue.offer(id(500), { late: 1 })
          yield* queue.flush
          assert.strictEqual(stub.calls.length, sent)
          assert.isAtMost(sent, 4 + 1, "only the deliveries already started reached Helicone")
        }))
        const stats = yield* queue.stats
        assert.strictEqual(stats.halted?._tag, "Unauthorized")
        assert.strictEqual(stats.rejected, 0)
        assert.strictEqual(stats.inOutbox, 201)
        const lines = yield* outboxLines(outboxPath)
        assert.deepStrictEqual(
          lines.map((line) => line.requestId).sort(),
          [...Array.from({ length: 200 }, (_, n) => id(n)), id(500)].sort()
        )
        assert.deepStrictEqual(yield* readLines(deadLetterPath), [])
        const logged = (yield* logs.lines).filter((line) => line.startsWith("ERROR") || line.startsWith("WARN"))
        assert.strictEqual(logged.length, 1, logged.join("\n"))
        assert.include(logged[0], "ERROR")
        assert.include(logged[0], outboxPath)
      }).pipe(Effect.provide(NodeFileSystem.layer)))

    it.scoped("a queue opened later with a key that works sends everything the halted one kept", () =>
      Effect.gen(function*() {
        const first = yield* setup({ concurrency: 2 })
        first.stub.behave(() => Effect.fail(unauthorized))
        for (let n = 0; n < 30; n++) yield* first.queue.offer(id(n), { n })
        yield* Effect.flip(first.queue.awaitDelivery())
        yield* Scope.close(first.scope, Exit.void)

        const second = yield* setup({}, first.dir)
        assert.strictEqual((yield* second.queue.stats).inOutbox, 30)
        const report = yield* second.queue.awaitDelivery({ timeout: "1 minute" })
        assert.isTrue(report.complete)
        assert.strictEqual(report.inOutbox, 0)
        for (let n = 0; n < 30; n++) assert.deepStrictEqual(second.stub.stored.get(id(n)), { n })
      }).pipe(Effect.provide(NodeFileSystem.layer)))
  })

  describe("awaitDelivery", () => {
    it.scoped("at the timeout, says how many scores are in the outbox and in memory", () =>
      Effect.gen(function*() {
        const { queue, stub } = yield* setup({ concurrency: 1, maxConcurrency: 1, replayInterval: "1 hour" })
        stub.behave(() => Effect.fail(new HeliconeError.HeliconeUnavailable({ reason: "connection refused" })))
        for (let n = 0; n < 5; n++) yield* queue.offer(id(n), { n })
        const waiting = yield* Effect.fork(queue.awaitDelivery({ timeout: "30 seconds" }))
        yield* eventually(Effect.map(queue.stats, (stats) => stats.inOutbox === 5 && stats.queued === 0))
        yield* TestClock.adjust("30 seconds")
        const report = yield* Fiber.join(waiting)
        assert.deepStrictEqual(report, { complete: false, delivered: 0, deadLettered: 0, inOutbox: 5, inMemory: 0 })
      }).pipe(Effect.provide(NodeFileSystem.layer)))

    it.scoped("counts dead letters as landed", () =>
      Effect.gen(function*() {
        const { queue, stub } = yield* setup()
        stub.behave((call) =>
          call.requestId === id(1)
            ? Effect.fail(new HeliconeError.RequestRejected({ status: 422, details: {} }))
            : Effect.void
        )
        for (let n = 0; n < 3; n++) yield* queue.offer(id(n), { n })
        const report = yield* queue.awaitDelivery({ timeout: "10 seconds" })
        assert.deepStrictEqual(report, { complete: true, delivered: 2, deadLettered: 1, inOutbox: 0, inMemory: 0 })
      }).pipe(Effect.provide(NodeFileSystem.layer)))
  })

  describe("resendDeadLetters", () => {
    it.scoped("moves the dead letters back into delivery; unreadable lines stay in the file", () =>
      Effect.gen(function*() {
        const first = yield* setup()
        first.stub.behave(() => Effect.fail(new HeliconeError.RequestRejected({ status: 422, details: {} })))
        for (let n = 0; n < 4; n++) yield* first.queue.offer(id(n), { n })
        assert.strictEqual((yield* first.queue.awaitDelivery()).deadLettered, 4)
        yield* Scope.close(first.scope, Exit.void)
        const fs = yield* FileSystem.FileSystem
        yield* fs.writeFileString(first.deadLetterPath, (yield* fs.readFileString(first.deadLetterPath)) + "{oops\n")

        const second = yield* setup({}, first.dir)
        assert.strictEqual(yield* second.queue.resendDeadLetters, 4)
        const report = yield* second.queue.awaitDelivery({ timeout: "10 seconds" })
        assert.deepStrictEqual(report, { complete: true, delivered: 4, deadLettered: 0, inOutbox: 0, inMemory: 0 })
        for (let n = 0; n < 4; n++) assert.deepStrictEqual(second.stub.stored.get(id(n)), { n })
        assert.strictEqual(yield* fs.readFileString(first.deadLetterPath), "{oops\n")
        assert.strictEqual(yield* second.queue.resendDeadLetters, 0)
      }).pipe(Effect.provide(NodeFileSystem.layer)))
  })
})
