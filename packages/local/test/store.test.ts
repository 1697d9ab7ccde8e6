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
        const local = yield* LocalHelicone.make({ acceptUnknownRequests: true, database })
        const reply = yield* postScore(local.baseUrl, id, { scores: { accuracy: 90, pass: true } })
        assert.strictEqual(reply.status, 201)
      }))
      assert.isTrue(Fs.existsSync(database))

      yield* Effect.scoped(Effect.gen(function*() {
        const local = yield* LocalHelicone.make({ acceptUnknownRequests: true, database })
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
      const error = yield* Effect.flip(LocalHelicone.make({ acceptUnknownRequests: true, database }))
      assert.strictEqual(error._tag, "DatabaseDirectoryError")
      assert.include(error.message, Path.join(blocker, "nested"))
      assert.include(error.message, "helicone.db")
    }).pipe(Effect.scoped))

  it.live("a database path that is a directory fails with DatabaseOpenError", () =>
    Effect.gen(function*() {
      const dir = yield* TempDir.make()
      const error = yield* Effect.flip(LocalHelicone.make({ acceptUnknownRequests: true, database: dir }))
      assert.strictEqual(error._tag, "DatabaseOpenError")
      assert.strictEqual(
        error.message,
        `could not open the database "${dir}": it is a directory. Choose another path, or ":memory:".`
      )
    }).pipe(Effect.scoped))

  // Root writes through file modes, so as root the unwritable place is /proc, where no file can be created.
  const root = process.getuid?.() === 0
  it.live.skipIf(root && process.platform !== "linux")(
    "a database SQLite cannot create (an unwritable directory) fails with DatabaseOpenError",
    () =>
      Effect.gen(function*() {
        const dir = yield* TempDir.make()
        Fs.chmodSync(dir, 0o500)
        yield* Effect.addFinalizer(() => Effect.sync(() => Fs.chmodSync(dir, 0o700)))
        const database = root ? "/proc/helicone-local-test.db" : Path.join(dir, "helicone.db")
        const error = yield* Effect.flip(LocalHelicone.make({ acceptUnknownRequests: true, database }))
        assert.strictEqual(error._tag, "DatabaseOpenError")
        assert.include(error.message, `could not open the database "${database}": SQLite cannot open or create`)
        assert.isFalse(Fs.existsSync(database))
      }).pipe(Effect.scoped)
  )

  it.live("a file that is not a SQLite database fails with DatabaseOpenError and is left as it was", () =>
    Effect.gen(function*() {
      const dir = yield* TempDir.make()
      const database = Path.join(dir, "notes.txt")
      const text = "not a database\n".repeat(100)
      Fs.writeFileSync(database, text)
      const error = yield* Effect.flip(LocalHelicone.make({ acceptUnknownRequests: true, database }))
      assert.strictEqual(error._tag, "DatabaseOpenError")
      assert.include(error.message, "the file is not a SQLite database")
      assert.strictEqual(Fs.readFileSync(database, "utf8"), text)
    }).pipe(Effect.scoped))

  it.live(
    "an in-memory server keeps every score across many upserts",
    () =>
      Effect.gen(function*() {
        const local = yield* LocalHelicone.make({ acceptUnknownRequests: true })
        const ids = Array.from({ length: 300 }, () => randomUUID())
        const first = yield* Effect.forEach(ids, (id, i) => postScore(local.baseUrl, id, { scores: { n: i } }), {
          concurrency: 16
        })
        const second = yield* Effect.forEach(ids, (id) => postScore(local.baseUrl, id, { scores: { done: true } }), {
          concurrency: 16
        })
        assert.deepStrictEqual(new Set([...first, ...second].map((reply) => reply.status)), new Set([201]))
        for (const [i, id] of ids.entries()) {
          assert.deepStrictEqual(yield* local.scores(id), { "done-hcone-bool": 1, n: i }, id)
        }
        const names = yield* call(local.baseUrl, "/v1/evals/scores", { headers: auth() })
        assert.strictEqual(names.body, `{"data":["done-hcone-bool","n"],"error":null}`)
      }).pipe(Effect.scoped),
    120_000
  )

  it.live(
    "1,000 concurrent submissions with overlapping keys for one request are all merged",
    () =>
      Effect.gen(function*() {
        const local = yield* LocalHelicone.make({ acceptUnknownRequests: true })
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
