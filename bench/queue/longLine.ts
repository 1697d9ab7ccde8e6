/**
 * Opening and replaying an outbox whose middle is one 50 MB line without a newline (a garbled file), against a
 * baseline measured in the same run: an outbox of the same size made of ordinary lines. Time and peak RSS for each,
 * and their ratio. The line reader joins a line's blocks once, when its newline arrives, and keeps at most 16 MB of a
 * line, so both should be linear in the file's size.
 *
 *   node --import tsx bench/queue/longLine.ts [megabytes=50]
 *
 * Prints figures only; it never fails on a timing.
 */
import { FileSystem } from "@effect/platform"
import { NodeFileSystem } from "@effect/platform-node"
import { Effect, Logger, LogLevel } from "effect"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import * as Outbox from "../../packages/core/src/internal/queue/outbox.js"

const megabytes = Number(process.argv[2] ?? 50)
const size = megabytes * 1024 * 1024
const line = (n: number) =>
  Outbox.encodeEntry({ requestId: `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`, scores: { n } })

const writeLongLine = (path: string) => {
  const fd = Fs.openSync(path, "w")
  Fs.writeSync(fd, line(1))
  const block = Buffer.alloc(1024 * 1024, "x")
  for (let i = 0; i < megabytes; i++) Fs.writeSync(fd, block)
  Fs.writeSync(fd, "\n" + line(2))
  Fs.closeSync(fd)
}

const writeOrdinary = (path: string) => {
  const fd = Fs.openSync(path, "w")
  let written = 0
  let n = 0
  let batch = ""
  while (written < size) {
    const text = line(n++)
    batch += text
    written += text.length
    if (batch.length > 1024 * 1024) {
      Fs.writeSync(fd, batch)
      batch = ""
    }
  }
  Fs.writeSync(fd, batch)
  Fs.closeSync(fd)
  return n
}

/** Opens the outbox and replays it with a delivery that accepts everything; returns ms and the peak RSS in MB. */
const measure = (path: string) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    let peak = process.memoryUsage().rss
    const sampler = setInterval(() => peak = Math.max(peak, process.memoryUsage().rss), 5)
    const started = performance.now()
    const { opened, replayed } = yield* Effect.scoped(Effect.gen(function*() {
      const outbox = yield* Outbox.make(fs, path, { chunkSize: 1024 })
      const opened = performance.now() - started
      let replayed = 0
      yield* outbox.replay((chunk) =>
        Effect.sync(() => {
          replayed += chunk.length
          return []
        }), () => {})
      return { opened, replayed }
    }))
    const total = performance.now() - started
    clearInterval(sampler)
    peak = Math.max(peak, process.memoryUsage().rss)
    return { opened, total, replayed, peakMb: peak / 1024 / 1024 }
  })

const program = Effect.gen(function*() {
  const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "bench-long-line-"))
  try {
    const ordinaryPath = Path.join(dir, "ordinary", "outbox.jsonl")
    const longPath = Path.join(dir, "long", "outbox.jsonl")
    Fs.mkdirSync(Path.dirname(ordinaryPath))
    Fs.mkdirSync(Path.dirname(longPath))
    const lines = writeOrdinary(ordinaryPath)
    writeLongLine(longPath)
    const startRss = process.memoryUsage().rss / 1024 / 1024
    // the long line first, so that its peak RSS is not the baseline's leftovers
    const long = yield* measure(longPath)
    const baseline = yield* measure(ordinaryPath)
    const row = (name: string, m: typeof baseline) =>
      `${name.padEnd(34)} open ${m.opened.toFixed(0).padStart(6)} ms   open+replay ${
        m.total.toFixed(0).padStart(6)
      } ms` +
      `   peak RSS ${m.peakMb.toFixed(0).padStart(5)} MB   entries ${m.replayed}`
    console.log(
      `outbox of ${megabytes} MB (node ${process.version}, ${Os.cpus().length} cpus, RSS before ${
        startRss.toFixed(0)
      } MB)`
    )
    console.log(row(`baseline: ${lines} ordinary lines`, baseline))
    console.log(row(`one ${megabytes} MB line without newline`, long))
    console.log(`ratio long/baseline: open+replay ${(long.total / baseline.total).toFixed(2)}x`)
  } finally {
    Fs.rmSync(dir, { recursive: true, force: true })
  }
})

Effect.runPromise(program.pipe(
  Effect.provide(NodeFileSystem.layer),
  Logger.withMinimumLogLevel(LogLevel.Error)
))
