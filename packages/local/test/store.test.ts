import { assert, describe, it } from "@effect/vitest"
import { LocalHelicone } from "@helicone-effect/local"
import { Effect } from "effect"
import { randomUUID } from "node:crypto"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { auth, call, postScore } from "./fixtures/Http.js"
import * as TempDir from "./fixtures/TempDir.js"

describe("storage", () => {
  it.live("scores survive a restart on the same file (schema created once, migrations not re-run destructively)", () =>
    Effect.gen(function*() {
      const dir = yield* TempDir.make()
      const database = Path.join(dir, "nested", "helicone.db")
      const id = randomUUID()

      yield* Effect.scoped(Effect.gen(function*() {
        const local = yield* LocalHelicone.make({ database })
        const reply = yield* postScore(local.baseUrl, id, { scores: { accuracy: 90, pass: true } })
        assert.strictEqual(reply.status, 201)
      }))
      assert.isTrue(Fs.existsSync(database))

      yield* Effect.scoped(Effect.gen(function*() {
        const local = yield* LocalHelicone.make({ database })
        assert.deepStrictEqual(yield* local.scores(id), { accuracy: 90, "pass-hcone-bool": 1 })
        yield* postScore(local.baseUrl, id, { scores: { accuracy: 95 } })
        const reply = yield* call(local.baseUrl, `/v1/request/${id}`, { headers: auth() })
        assert.strictEqual(
          reply.body,
          `{"data":{"request_id":"${id}","scores":{"accuracy":95,"pass-hcone-bool":1}},"error":null}`
        )
      }))
    }).pipe(Effect.scoped))

  it.live("a database path whose directory cannot be created fails with DatabaseDirectoryError, not a defect", () =>
    Effect.gen(function*() {
      const dir = yield* TempDir.make()
      const blocker = Path.join(dir, "a-file")
      Fs.writeFileSync(blocker, "")
      const database = Path.join(blocker, "nested", "helicone.db")
      const error = yield* Effect.flip(LocalHelicone.make({ database }))
      assert.strictEqual(error._tag, "DatabaseDirectoryError")
      assert.include(error.message, Path.join(blocker, "nested"))
      assert.include(error.message, "helicone.db")
    }).pipe(Effect.scoped))

  it.live(
    "1,000 concurrent submissions with overlapping keys for one request are all merged",
    () =>
      Effect.gen(function*() {
        const local = yield* LocalHelicone.make()
        const id = randomUUID()
        const submissions = Array.from({ length: 1000 }, (_, i) => ({ [`shared${i % 50}`]: 7, [`own${i}`]: i }))
        const replies = yield* Effect.forEach(submissions, (scores) => postScore(local.baseUrl, id, { scores }), {
          concurrency: "unbounded"
        })
        assert.deepStrictEqual(new Set(replies.map((reply) => reply.status)), new Set([201]))

        const stored = yield* local.scores(id)
        assert.isNotNull(stored)
        assert.strictEqual(Object.keys(stored!).length, 1050)
        for (let i = 0; i < 1000; i++) assert.strictEqual(stored![`own${i}`], i)
        for (let k = 0; k < 50; k++) assert.strictEqual(stored![`shared${k}`], 7)
        assert.strictEqual(yield* local.requestCount, 1000)
      }).pipe(Effect.scoped),
    120_000
  )
})
