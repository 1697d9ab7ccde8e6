/**
 * The replay against a real Helicone-like server on loopback, with the real client over undici: a backlog drained by
 * short processes (layer lifetimes), merges under the body limit, and `Retry-After`s no queue should obey.
 */
import type { HttpClient } from "@effect/platform"
import { FetchHttpClient, FileSystem } from "@effect/platform"
import { NodeFileSystem, NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Exit, Layer, Redacted, Schedule, Scope } from "effect"
import * as HeliconeScores from "../src/HeliconeScores.js"
import * as Outbox from "../src/internal/queue/outbox.js"
import * as ScoreOutbox from "../src/ScoreOutbox.js"
import * as ScoreQueue from "../src/ScoreQueue.js"
import * as LoopbackHelicone from "./fixtures/queue/LoopbackHelicone.js"
import { captureLogs, eventually, files, id, readLines, tempDirectory } from "./fixtures/queue/Support.js"

/** A queue over the real client pointed at `baseUrl`, in a scope of its own: one "process". */
const open = (
  baseUrl: string,
  dir: string,
  options: ScoreQueue.Options = {},
  client: Layer.Layer<HttpClient.HttpClient> = NodeHttpClient.layerUndici
) =>
  Effect.gen(function*() {
    const scope = yield* Scope.make()
    const context = yield* Layer.buildWithScope(
      ScoreQueue.layer({ ...files(dir), ...options }).pipe(
        Layer.provide(HeliconeScores.layer({
          apiKey: Redacted.make("sk-helicone-replay-test"),
          baseUrl,
          retry: { maxAttempts: 2, baseDelay: "10 millis", maxRetryAfter: "200 millis" }
        })),
        Layer.provide(client)
      ),
      scope
    )
    return { queue: Context.get(context, ScoreQueue.ScoreQueue), close: Scope.close(scope, Exit.void) }
  })

const writeBacklog = (dir: string, entries: ReadonlyArray<Outbox.Entry>) =>
  Effect.flatMap(
    FileSystem.FileSystem,
    (fs) => fs.writeFileString(`${dir}/outbox.jsonl`, entries.map(Outbox.encodeEntry).join(""))
  )

describe("ScoreQueue replay against a loopback Helicone", () => {
  it.live(
    "a backlog drains over four short processes; re-sends stay within what was in flight; new scores go first",
    () =>
      Effect.gen(function*() {
        const server = yield* LoopbackHelicone.make({ delayMs: 1 })
        const dir = yield* tempDirectory
        const backlogSize = 6000
        const backlog = Array.from({ length: backlogSize }, (_, i) => ({ requestId: id(i + 1), scores: { n: i + 1 } }))
        // an old value for an id that a later process scores again: the new value must win
        backlog.splice(3000, 0, { requestId: id(0), scores: { n: -1 } })
        yield* writeBacklog(dir, backlog)
        const maxConcurrency = 16
        const interruptions = 3
        for (let run = 1; run <= 4; run++) {
          const { close, queue } = yield* open(server.baseUrl, dir, { concurrency: 4, maxConcurrency })
          if (run === 1) {
            yield* queue.offer(id(0), { n: 999 })
            for (let k = 0; k < 50; k++) yield* queue.offer(id(100_000 + k), { fresh: k })
            // the new scores are delivered while the backlog is still being replayed
            yield* eventually(Effect.sync(() => server.stored.has(id(100_049)) && server.stored.get(id(0))?.n === 999))
            assert.isAbove((yield* queue.stats).inOutbox, 3000, "not behind the backlog")
          }
          if (run <= interruptions) {
            const target = 1500 * run
            yield* eventually(Effect.sync(() => server.received.length >= target))
          } else {
            const report = yield* queue.awaitDelivery({ timeout: "120 seconds" })
            assert.isTrue(report.complete)
            assert.strictEqual(report.inOutbox, 0)
          }
          yield* close
        }
        for (let i = 1; i <= backlogSize; i++) assert.deepStrictEqual(server.stored.get(id(i)), { n: i })
        assert.deepStrictEqual(server.stored.get(id(0)), { n: 999 }, "the value offered last is stored last")
        for (let k = 0; k < 50; k++) assert.deepStrictEqual(server.stored.get(id(100_000 + k)), { fresh: k })
        const sent = server.received.filter((r) => r.requestId !== id(0) && r.status === 201).length
        const distinct = new Set(server.received.map((r) => r.requestId)).size - 1
        const resent = sent - distinct
        // what can be in flight when a process stops (the replay's deliveries and the direct ones), plus the 50 new
        // scores, which the first process left behind its unfinished backlog so that they land after it
        assert.isAtMost(resent, 50 + interruptions * 2 * maxConcurrency, `${resent} re-sent`)
        const left = yield* ScoreOutbox.read(files(dir))
        assert.strictEqual(left.outbox.count + left.outbox.unreadable, 0, "nothing left to send")
      }).pipe(Effect.scoped, Effect.provide(NodeFileSystem.layer)),
    240_000
  )

  it.live(
    "30 entries of 0.4 MB for one id are sent in bodies under the 10 MB limit, none dead-lettered",
    () =>
      Effect.gen(function*() {
        const server = yield* LoopbackHelicone.make()
        const dir = yield* tempDirectory
        const keys = 16_000
        const entries = Array.from({ length: 30 }, (_, offer) => ({
          requestId: id(1),
          scores: Object.fromEntries(
            Array.from({ length: keys }, (_, k) => [`score_${String(k).padStart(6, "0")}_offer_${offer}`, offer])
          )
        }))
        assert.isAbove(Outbox.encodeEntry(entries[0]).length, 400_000)
        yield* writeBacklog(dir, entries)
        const { close, queue } = yield* open(server.baseUrl, dir)
        const report = yield* queue.awaitDelivery({ timeout: "60 seconds" })
        yield* close
        assert.isTrue(report.complete)
        assert.strictEqual(report.deadLettered, 0)
        assert.deepStrictEqual(server.received.filter((r) => r.status !== 201), [])
        assert.isAbove(server.received.length, 1, "split into several bodies")
        for (const request of server.received) assert.isBelow(request.bytes, LoopbackHelicone.bodyLimit)
        assert.strictEqual(Object.keys(server.stored.get(id(1))!).length, 30 * keys)
        assert.deepStrictEqual(yield* readLines(`${dir}/dead-letter.jsonl`), [])
      }).pipe(Effect.scoped, Effect.provide(NodeFileSystem.layer)),
    120_000
  )

  it.live(
    "30 offers of 0.4 MB for one id, merged while they wait, are sent in bodies under the 10 MB limit",
    () =>
      Effect.gen(function*() {
        const server = yield* LoopbackHelicone.make()
        const dir = yield* tempDirectory
        const keys = 16_000
        const { close, queue } = yield* open(server.baseUrl, dir, { concurrency: 1, maxConcurrency: 1 })
        // offered in one go: the id waits for the delivery fiber while the offers arrive
        for (let offer = 0; offer < 30; offer++) {
          yield* queue.offer(
            id(1),
            Object.fromEntries(
              Array.from({ length: keys }, (_, k) => [`score_${String(k).padStart(6, "0")}_offer_${offer}`, offer])
            )
          )
        }
        const report = yield* queue.awaitDelivery({ timeout: "60 seconds" })
        yield* close
        assert.isTrue(report.complete)
        assert.strictEqual(report.deadLettered, 0)
        assert.deepStrictEqual(server.received.filter((r) => r.status !== 201), [])
        for (const request of server.received) assert.isBelow(request.bytes, LoopbackHelicone.bodyLimit)
        assert.strictEqual(Object.keys(server.stored.get(id(1))!).length, 30 * keys)
      }).pipe(Effect.scoped, Effect.provide(NodeFileSystem.layer)),
    120_000
  )

  for (
    const retryAfter of ["99999999999", "3000000", "Fri, 31 Dec 9999 23:59:59 GMT", "18446744073709551616"]
  ) {
    it.live(
      `Retry-After: ${retryAfter} waits at most maxRetryAfter: every score is delivered once the server heals`,
      () =>
        Effect.gen(function*() {
          let limited = 0
          const server = yield* LoopbackHelicone.make({
            answer: () => limited++ < 6 ? { status: 429, headers: { "retry-after": retryAfter } } : undefined
          })
          const dir = yield* tempDirectory
          const { close, queue } = yield* open(server.baseUrl, dir, {
            replayInterval: "50 millis",
            maxRetryAfter: "300 millis"
          })
          for (let n = 0; n < 20; n++) yield* queue.offer(id(n), { n })
          const report = yield* queue.awaitDelivery({ timeout: "30 seconds" })
          yield* close
          assert.isTrue(report.complete, JSON.stringify(report))
          for (let n = 0; n < 20; n++) assert.deepStrictEqual(server.stored.get(id(n)), { n })
          assert.isAtLeast(limited, 6)
        }).pipe(Effect.scoped, Effect.provide(NodeFileSystem.layer)),
      60_000
    )
  }

  for (const [name, client] of [["undici", NodeHttpClient.layerUndici], ["fetch", FetchHttpClient.layer]] as const) {
    it.live(
      `a redirect (${name}) keeps the scores in the outbox: never delivered, never dead-lettered, with a warning`,
      () =>
        Effect.gen(function*() {
          const server = yield* LoopbackHelicone.make({
            answer: () => ({ status: 301, headers: { location: "http://127.0.0.1:9/moved" } })
          })
          const dir = yield* tempDirectory
          const logs = yield* captureLogs()
          const report = yield* logs.around(Effect.gen(function*() {
            const { close, queue } = yield* open(server.baseUrl, dir, { replayInterval: "20 millis" }, client)
            for (let n = 0; n < 5; n++) yield* queue.offer(id(n), { n })
            yield* queue.flush
            const report = yield* queue.awaitDelivery({ timeout: "300 millis" })
            yield* close
            return report
          }))
          assert.deepStrictEqual(report, { complete: false, delivered: 0, deadLettered: 0, inOutbox: 5, inMemory: 0 })
          assert.deepStrictEqual(yield* readLines(`${dir}/dead-letter.jsonl`), [])
          const left = yield* ScoreOutbox.read(files(dir))
          assert.strictEqual(left.outbox.count, 5)
          const warnings = (yield* logs.lines).filter((line) => line.startsWith("WARN") && line.includes("redirect"))
          assert.isAtLeast(warnings.length, 1)
          assert.isTrue(warnings.some((line) => line.includes("127.0.0.1:9/moved")))
          assert.strictEqual(server.stored.size, 0)
        }).pipe(Effect.scoped, Effect.provide(NodeFileSystem.layer)),
      60_000
    )
  }

  it.live(
    "the outbox directory deleted mid-run: it is made again with its lock, and scores flow once Helicone heals",
    () =>
      Effect.gen(function*() {
        let down = true
        const server = yield* LoopbackHelicone.make({ answer: () => down ? { status: 503 } : undefined })
        const fs = yield* FileSystem.FileSystem
        const dir = `${yield* tempDirectory}/nested`
        const { close, queue } = yield* open(server.baseUrl, dir, { replayInterval: "50 millis" })
        for (let n = 0; n < 20; n++) yield* queue.offer(id(n), { n })
        yield* queue.flush
        assert.isAbove((yield* queue.stats).inOutbox, 0)
        // as `rm -rf` does it, while the queue may be creating files in it (a replay rotating the outbox)
        yield* Effect.retry(fs.remove(dir, { recursive: true }), Schedule.recurs(50))
        for (let n = 20; n < 40; n++) yield* queue.offer(id(n), { n })
        yield* queue.flush
        assert.strictEqual(JSON.parse(yield* fs.readFileString(`${dir}/outbox.jsonl.lock`)).pid, process.pid)
        // the count follows the files: what was deleted is no longer counted
        yield* eventually(Effect.gen(function*() {
          const onDisk = yield* ScoreOutbox.read(files(dir))
          return (yield* queue.stats).inOutbox === onDisk.outbox.count && onDisk.outbox.count === 20
        }))
        down = false
        const report = yield* queue.awaitDelivery({ timeout: "30 seconds" })
        yield* close
        assert.isTrue(report.complete, JSON.stringify(report))
        // what was in the deleted files is gone; everything offered after is stored
        for (let n = 20; n < 40; n++) assert.deepStrictEqual(server.stored.get(id(n)), { n })
      }).pipe(Effect.scoped, Effect.provide(NodeFileSystem.layer)),
    60_000
  )
})
