/**
 * ScoreQueue.offer while Helicone is down: latency per offer (p50/p99/p99.9/max) against a baseline measured in the
 * same run (validating the request id and scores, the least any offer must do), and memory as the buffer fills and
 * the outbox takes the rest.
 *
 *   node --expose-gc --import tsx bench/queue/offer.ts [offers=200000]
 *
 * Prints figures only; it never fails on a timing.
 */
import { NodeFileSystem } from "@effect/platform-node"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { Effect, Either, Layer, Logger, LogLevel, Redacted } from "effect"
import * as Fs from "node:fs"
import * as Net from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"
import * as HeliconeScores from "../../packages/core/src/HeliconeScores.js"
import * as RequestId from "../../packages/core/src/RequestId.js"
import * as ScoreQueue from "../../packages/core/src/ScoreQueue.js"
import * as Scores from "../../packages/core/src/Scores.js"

const offers = Number(process.argv[2] ?? 200_000)
const capacity = 10_000
const scores = { accuracy: 92, grounded: true }

/** A loopback port nobody listens on: every connection is refused, like Helicone during an outage. */
const closedPort = () =>
  new Promise<number>((resolve) => {
    const server = Net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as Net.AddressInfo
      server.close(() => resolve(port))
    })
  })

const percentile = (sorted: Float64Array, p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]

const summary = (name: string, samples: Float64Array) => {
  const sorted = Float64Array.from(samples).sort()
  return {
    name,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    p999: percentile(sorted, 0.999),
    max: sorted[sorted.length - 1]
  }
}

const us = (ms: number) => `${(ms * 1000).toFixed(2)} µs`
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`
const heap = () => {
  ;(globalThis as { gc?: () => void }).gc?.()
  return process.memoryUsage()
}

const ids = Array.from({ length: offers }, () => RequestId.make())

const baseline = Effect.sync(() => {
  const samples = new Float64Array(offers)
  for (let i = 0; i < offers; i++) {
    const start = performance.now()
    const id = RequestId.validate(ids[i])
    const valid = Scores.validate(scores)
    if (Either.isLeft(id) || Either.isLeft(valid)) throw new Error("unexpected")
    samples[i] = performance.now() - start
  }
  return samples
})

const program = Effect.gen(function*() {
  const port = yield* Effect.promise(closedPort)
  const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "bench-queue-"))
  const queueLayer = ScoreQueue.layer({
    capacity,
    outboxPath: Path.join(dir, "outbox.jsonl"),
    deadLetterPath: Path.join(dir, "dead-letter.jsonl"),
    shutdownDeadline: "1 second"
  }).pipe(
    Layer.provide(
      HeliconeScores.layer({ apiKey: Redacted.make("sk-bench"), baseUrl: `http://127.0.0.1:${port}` })
    ),
    Layer.provide([FetchHttpClient.layer, NodeFileSystem.layer])
  )

  const base = yield* baseline
  const before = heap()
  const memory: Array<string> = []
  const samples = yield* Effect.gen(function*() {
    const queue = yield* ScoreQueue.ScoreQueue
    const samples = new Float64Array(offers)
    for (let i = 0; i < offers; i++) {
      const start = performance.now()
      yield* queue.offer(ids[i], scores)
      samples[i] = performance.now() - start
      if ((i + 1) % (offers / 4) === 0) {
        const stats = yield* queue.stats
        const now = heap()
        memory.push(
          `  after ${String(i + 1).padStart(7)} offers: heap ${mb(now.heapUsed).padStart(9)}, rss ${
            mb(now.rss).padStart(9)
          }  (queued ${stats.queued}, in outbox ${stats.inOutbox})`
        )
      }
    }
    yield* queue.flush
    const stats = yield* queue.stats
    memory.push(`  after flush: in outbox ${stats.inOutbox}, queued ${stats.queued}, delivered ${stats.delivered}`)
    return samples
  }).pipe(Effect.provide(queueLayer))
  const outboxBytes = ["outbox.jsonl", "outbox.jsonl.replay"]
    .map((name) => Path.join(dir, name))
    .reduce((total, file) => total + (Fs.existsSync(file) ? Fs.statSync(file).size : 0), 0)
  Fs.rmSync(dir, { recursive: true, force: true })

  const rows = [summary("validation only (baseline)", base), summary("ScoreQueue.offer, Helicone down", samples)]
  console.log(`ScoreQueue.offer — ${offers} offers, capacity ${capacity}, Helicone down (connection refused)`)
  console.log(`node ${process.version}, ${Os.cpus().length} cpus (${Os.cpus()[0]?.model ?? "?"})`)
  console.log("")
  for (const row of rows) {
    console.log(
      `${row.name.padEnd(34)} p50 ${us(row.p50).padStart(10)}  p99 ${us(row.p99).padStart(10)}  p99.9 ${
        us(row.p999).padStart(10)
      }  max ${us(row.max).padStart(12)}`
    )
  }
  const [b, q] = rows
  console.log(
    `ratio offer/baseline: p50 ${(q.p50 / b.p50).toFixed(2)}x, p99 ${(q.p99 / b.p99).toFixed(2)}x` +
      `  (target: offer p99 <= 50 µs → ${q.p99 * 1000 <= 50 ? "met" : "NOT met"})`
  )
  console.log("")
  console.log(
    `memory (heap before: ${mb(before.heapUsed)}; ${(globalThis as { gc?: unknown }).gc ? "after gc" : "no gc"})`
  )
  for (const line of memory) console.log(line)
  console.log(`  outbox files: ${mb(outboxBytes)}`)
}).pipe(Logger.withMinimumLogLevel(LogLevel.Error))

Effect.runPromise(program)
