import { FileSystem } from "@effect/platform"
import { NodeFileSystem } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Scope } from "effect"
import * as HeliconeError from "../src/HeliconeError.js"
import * as HeliconeScores from "../src/HeliconeScores.js"
import * as ScoreOutbox from "../src/ScoreOutbox.js"
import * as ScoreQueue from "../src/ScoreQueue.js"
import * as StubScores from "./fixtures/queue/StubScores.js"
import { files, id, tempDirectory } from "./fixtures/queue/Support.js"

/** Leaves `outbox` entries in the outbox (a refused key) and `dead` in the dead-letter file, then closes the queue. */
const leave = (dir: string, outbox: number, dead: number) =>
  Effect.gen(function*() {
    const stub = StubScores.make()
    const scope = yield* Scope.make()
    const queue = yield* ScoreQueue.make(files(dir)).pipe(
      Effect.provideService(HeliconeScores.HeliconeScores, stub.service),
      Scope.extend(scope)
    )
    stub.behave(() => Effect.fail(new HeliconeError.RequestRejected({ status: 422, details: { bad: 1 } })))
    for (let n = 0; n < dead; n++) yield* queue.offer(id(n), { n, ok: true })
    yield* queue.awaitDelivery()
    stub.behave(() => Effect.fail(new HeliconeError.Unauthorized({ status: 401 })))
    for (let n = dead; n < dead + outbox; n++) yield* queue.offer(id(n), { n })
    yield* Effect.flip(queue.awaitDelivery())
    yield* Scope.close(scope, Exit.void)
  })

describe("ScoreOutbox", () => {
  it.scoped("reads the counts and the entries of the outbox and the dead-letter file, with the reasons", () =>
    Effect.gen(function*() {
      const dir = yield* tempDirectory
      yield* leave(dir, 5, 2)
      const contents = yield* ScoreOutbox.read({ ...files(dir), limit: 3 })
      assert.strictEqual(contents.outbox.count, 5)
      assert.strictEqual(contents.outbox.entries.length, 3)
      assert.deepStrictEqual(contents.outbox.entries[0].scoreNames, ["n"])
      assert.strictEqual(contents.deadLetters.count, 2)
      assert.deepStrictEqual(
        contents.deadLetters.entries.map((e) => [e.scoreNames, e.reason._tag, e.reason.status]),
        [[["n", "ok"], "RequestRejected", 422], [["n", "ok"], "RequestRejected", 422]]
      )
      assert.deepStrictEqual(contents.deadLetters.entries.map((e) => e.requestId).sort(), [id(0), id(1)])
      assert.isString(contents.deadLetters.entries[0].at)
    }).pipe(Effect.provide(NodeFileSystem.layer)))

  it.scoped("reads nothing from files that do not exist", () =>
    Effect.gen(function*() {
      const dir = yield* tempDirectory
      const contents = yield* ScoreOutbox.read(files(`${dir}/none`))
      assert.deepStrictEqual(contents, {
        outbox: { count: 0, entries: [], unreadable: 0 },
        deadLetters: { count: 0, entries: [], unreadable: 0 },
        corrupt: 0
      })
    }).pipe(Effect.provide(NodeFileSystem.layer)))

  it.scoped("drop removes both and says how many entries they held; it refuses while a queue holds the outbox", () =>
    Effect.gen(function*() {
      const dir = yield* tempDirectory
      yield* leave(dir, 4, 3)
      const stub = StubScores.make()
      const scope = yield* Scope.make()
      stub.behave(() => Effect.never)
      yield* ScoreQueue.make(files(dir)).pipe(
        Effect.provideService(HeliconeScores.HeliconeScores, stub.service),
        Scope.extend(scope)
      )
      const locked = yield* Effect.flip(ScoreOutbox.drop(files(dir)))
      assert.strictEqual(locked._tag, "OutboxLocked")
      yield* Scope.close(scope, Exit.void)

      assert.deepStrictEqual(yield* ScoreOutbox.drop(files(dir)), { outbox: 4, deadLetters: 3 })
      const after = yield* ScoreOutbox.read(files(dir))
      assert.strictEqual(after.outbox.count + after.deadLetters.count, 0)
      const fs = yield* FileSystem.FileSystem
      assert.deepStrictEqual((yield* fs.readDirectory(dir)).filter((name) => !name.endsWith(".corrupt")), [])
    }).pipe(Effect.provide(NodeFileSystem.layer)))
})
