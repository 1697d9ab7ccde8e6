import { NodeFileSystem } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import * as RequestId from "@helicone-effect/core/RequestId"
import { Faults } from "@helicone-effect/local"
import { Effect, LogLevel } from "effect"
import { captureLogs, eventually, files, readLines, tempDirectory } from "../../core/test/fixtures/queue/Support.js"
import * as Local from "./fixtures/Local.js"

const settled = (queue: { readonly stats: Effect.Effect<{ queued: number; inFlight: number; inOutbox: number }> }) =>
  Effect.map(queue.stats, (stats) => stats.queued === 0 && stats.inFlight === 0 && stats.inOutbox === 0)

describe("ScoreQueue against the local Helicone", () => {
  it.live(
    "10,000 offers through 30% injected faults: every score stored, the last value wins, no error",
    () =>
      Effect.gen(function*() {
        const spec = { 429: 0.05, 503: 0.15, reset: 0.05, stall: 0.05 } as const
        const seed = 7
        const kinds = new Set(Array.from({ length: 2000 }, (_, n) => Faults.faultAt(spec, seed, n)))
        for (const fault of [429, 503, "reset", "stall"] as const) {
          assert.isTrue(kinds.has(fault), "the seed exercises it")
        }

        const logs = yield* captureLogs(LogLevel.Warning)
        yield* logs.around(Effect.gen(function*() {
          const dir = yield* tempDirectory
          const { local } = yield* Local.server({ faults: spec, seed })
          const { queue } = yield* Local.queue(local.baseUrl, {
            ...files(dir),
            concurrency: 8,
            replayInterval: "200 millis"
          })
          // like an eval run: 2,500 cases, four scorers each offering in turn; `round` is overwritten each time
          const ids = Array.from({ length: 2500 }, () => RequestId.make())
          const rounds = 4
          for (let round = 0; round < rounds; round++) {
            for (let n = 0; n < ids.length; n++) {
              yield* queue.offer(ids[n], { [`scorer_${round}`]: n + round, round, passed: (n + round) % 3 === 0 })
            }
            yield* Effect.yieldNow()
          }
          yield* queue.flush
          yield* eventually(settled(queue), 24_000)

          const expected = ids.map((requestId, n) => {
            const scores: Record<string, number> = { round: rounds - 1 }
            for (let round = 0; round < rounds; round++) {
              scores[`scorer_${round}`] = n + round
              scores[`passed-hcone-bool`] = (n + round) % 3 === 0 ? 1 : 0
            }
            return [requestId, scores] as const
          })
          assert.deepStrictEqual(yield* Local.missing(local, expected), [])
          const stats = yield* queue.stats
          assert.strictEqual(stats.rejected, 0)
          assert.isAtLeast(stats.delivered, ids.length)
          assert.isAbove(yield* local.requestCount, stats.delivered, "faults were met")
          assert.deepStrictEqual(yield* readLines(files(dir).deadLetterPath), [])
        }))
        const lines = yield* logs.lines
        assert.deepStrictEqual(lines.filter((line) => line.startsWith("ERROR") || line.startsWith("FATAL")), [])
      }).pipe(Effect.scoped, Effect.provide(NodeFileSystem.layer)),
    300_000
  )

  it.live(
    "the server stops for part of the run: scores go to the outbox and all arrive after it restarts",
    () =>
      Effect.gen(function*() {
        const dir = yield* tempDirectory
        const database = `${dir}/helicone.db`
        const first = yield* Local.server({ database })
        const port = first.local.port
        // a generous timeout: on a loaded machine a 200 ms one can send the first 200 through the outbox as well
        const { queue } = yield* Local.queue(first.local.baseUrl, { ...files(dir), replayInterval: "100 millis" }, {
          timeout: "10 seconds"
        })
        const expected = Array.from({ length: 600 }, (_, n) => [RequestId.make(), { n }] as const)

        for (const [requestId, scores] of expected.slice(0, 200)) yield* queue.offer(requestId, scores)
        yield* queue.flush
        // `flush` returns once the entries are delivered or written to the outbox: wait until none is left anywhere
        yield* eventually(settled(queue))
        yield* first.stop
        for (const [requestId, scores] of expected.slice(200, 400)) yield* queue.offer(requestId, scores)
        yield* queue.flush
        const during = yield* queue.stats
        assert.strictEqual(during.inOutbox, 200, "what was offered during the outage waits in the outbox")

        const second = yield* Local.server({ database, port })
        for (const [requestId, scores] of expected.slice(400)) yield* queue.offer(requestId, scores)
        yield* eventually(settled(queue))
        assert.deepStrictEqual(yield* Local.missing(second.local, expected), [])
        assert.deepStrictEqual(yield* readLines(files(dir).outboxPath), [])
      }).pipe(Effect.scoped, Effect.provide(NodeFileSystem.layer)),
    60_000
  )

  it.live(
    "shutdown during an outage: the outbox holds exactly the undelivered scores; a new queue delivers them",
    () =>
      Effect.gen(function*() {
        const dir = yield* tempDirectory
        const database = `${dir}/helicone.db`
        // half the requests hang: a delivery stuck on one is still in flight when the shutdown deadline passes
        const first = yield* Local.server({ database, faults: { stall: 0.5 }, seed: 3 })
        const { close, queue } = yield* Local.queue(
          first.local.baseUrl,
          { ...files(dir), concurrency: 4, maxConcurrency: 4, shutdownDeadline: "1 second" },
          { timeout: "30 seconds", retry: false }
        )
        const expected = Array.from({ length: 100 }, (_, n) => [RequestId.make(), { n }] as const)
        for (const [requestId, scores] of expected) yield* queue.offer(requestId, scores)
        // every worker on a hung request the server has received: nothing can be stored while the shutdown waits
        const allHung = Effect.zipWith(
          queue.stats,
          first.local.requestCount,
          (stats, received) => stats.delivered > 0 && stats.inFlight === 4 && received === stats.delivered + 4
        )
        yield* eventually(allHung)
        yield* Effect.sleep("200 millis")
        yield* eventually(allHung)
        yield* close
        assert.strictEqual((yield* Effect.flip(queue.offer(RequestId.make(), { n: 1 })))._tag, "QueueClosed")

        const stored = new Set<string>()
        for (const [requestId] of expected) {
          if ((yield* first.local.scores(requestId)) !== null) stored.add(requestId)
        }
        const outbox = yield* readLines(files(dir).outboxPath)
        assert.isAbove(stored.size, 0)
        assert.deepStrictEqual(
          outbox.map((line) => line.requestId).sort(),
          expected.map(([requestId]) => requestId).filter((requestId) => !stored.has(requestId)).sort()
        )
        assert.deepStrictEqual(
          outbox.map((line) => line.scores),
          outbox.map((line) => expected.find(([requestId]) => requestId === line.requestId)![1])
        )
        yield* first.stop

        const second = yield* Local.server({ database })
        const { queue: next } = yield* Local.queue(second.local.baseUrl, files(dir))
        yield* eventually(settled(next))
        assert.deepStrictEqual(yield* Local.missing(second.local, expected), [])
      }).pipe(Effect.scoped, Effect.provide(NodeFileSystem.layer)),
    60_000
  )
})
