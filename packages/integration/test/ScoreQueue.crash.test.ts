import { FileSystem } from "@effect/platform"
import { NodeFileSystem } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as ChildProcess from "node:child_process"
import { fileURLToPath } from "node:url"
import { eventually, files, readLines, tempDirectory } from "../../core/test/fixtures/queue/Support.js"
import { batchSize, crashId } from "./fixtures/CrashChild.js"
import * as Local from "./fixtures/Local.js"

const childScript = fileURLToPath(new URL("./fixtures/CrashChild.ts", import.meta.url))

interface Run {
  /** The last batch the child reported flushed (-1 for none). */
  readonly lastDurable: number
  /** Every (batch, k) whose offer returned in the child. */
  readonly offered: ReadonlyArray<readonly [number, number]>
}

/**
 * Runs the child until it has reported `batches` durable batches, then, a moment later (in the middle of the next
 * batch), sends it `signal`; resolves when it is gone.
 */
const runAndStop = (baseUrl: string, dir: string, batches: number, signal: "SIGKILL" | "SIGTERM") =>
  Effect.acquireUseRelease(
    Effect.sync(() =>
      ChildProcess.spawn(
        process.execPath,
        ["--import", "tsx", childScript, baseUrl, dir, signal === "SIGTERM" ? "term" : "kill"],
        { stdio: ["ignore", "pipe", "pipe"] }
      )
    ),
    (child) =>
      Effect.async<Run, Error>((resume) => {
        let output = ""
        let errors = ""
        let sent = false
        const lines = () => output.split("\n")
        const lastDurable = () =>
          Math.max(-1, ...lines().filter((l) => l.startsWith("durable ")).map((l) => Number(l.split(" ")[1])))
        child.stdout!.on("data", (chunk) => {
          output += String(chunk)
          if (!sent && lastDurable() >= batches - 1) {
            sent = true
            setTimeout(() => child.kill(signal), 15)
          }
        })
        child.stderr!.on("data", (chunk) => {
          errors += String(chunk)
        })
        // "close", not "exit": the output pipes may still hold the last lines when the process exits
        child.on("close", (code, received) => {
          const offered = lines().filter((l) => l.startsWith("offered ")).map((l) => {
            const [, batch, k] = l.split(" ")
            return [Number(batch), Number(k)] as const
          })
          const expected = signal === "SIGKILL" ? received === "SIGKILL" : code === 0
          if (sent && expected) resume(Effect.succeed({ lastDurable: lastDurable(), offered }))
          else resume(Effect.fail(new Error(`the child ended unexpectedly (${code ?? received}): ${errors}`)))
        })
      }),
    (child) => Effect.sync(() => child.kill("SIGKILL"))
  )

/** Replays the outbox of `dir` into a healthy server on the same database, and returns that server. */
const recover = (dir: string, database: string) =>
  Effect.gen(function*() {
    const healthy = yield* Local.server({ database })
    const { queue } = yield* Local.queue(healthy.local.baseUrl, { ...files(dir), replayInterval: "200 millis" })
    yield* eventually(Effect.map(queue.stats, (stats) => stats.inOutbox === 0 && stats.queued === 0))
    return healthy.local
  })

const scoresOf = ([batch, k]: readonly [number, number]) => [crashId(batch, k), { batch, k }] as const

const inOutbox = (dir: string) =>
  Effect.map(
    Effect.all([readLines(`${dir}/outbox.jsonl`), readLines(`${dir}/outbox.jsonl.replay`)]),
    ([active, replaying]) => active.length + replaying.length
  )

describe("ScoreQueue and the end of a process", () => {
  it.live(
    "after kill -9 mid-run, a new process with the same outbox delivers every batch flushed before",
    () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const dir = yield* tempDirectory
        const database = `${dir}/helicone.db`
        // half the requests fail or hang, so that scores are both delivered and written to the outbox
        const flaky = yield* Local.server({ database, faults: { 503: 0.4, stall: 0.1 }, seed: 11 })
        const run = yield* runAndStop(flaky.local.baseUrl, dir, 8, "SIGKILL")
        assert.isAtLeast(run.lastDurable, 7)
        assert.isAbove(yield* inOutbox(dir), 0, "the crash left scores in the outbox")
        assert.isTrue(yield* fs.exists(`${dir}/outbox.jsonl.lock`), "the crash left its lock, taken over below")
        yield* flaky.stop

        const local = yield* recover(dir, database)
        const durable = run.offered.filter(([batch]) => batch <= run.lastDurable)
        assert.strictEqual(durable.length, (run.lastDurable + 1) * batchSize)
        assert.deepStrictEqual(yield* Local.missing(local, durable.map(scoresOf)), [])
      }).pipe(Effect.scoped, Effect.provide(NodeFileSystem.layer)),
    180_000
  )

  it.live(
    "after SIGTERM under NodeRuntime.runMain, every score whose offer returned is delivered in the end",
    () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const dir = yield* tempDirectory
        const database = `${dir}/helicone.db`
        const flaky = yield* Local.server({ database, faults: { 503: 0.4, stall: 0.1 }, seed: 12 })
        const run = yield* runAndStop(flaky.local.baseUrl, dir, 4, "SIGTERM")
        assert.isAbove(
          run.offered.length,
          (run.lastDurable + 1) * batchSize,
          "the signal came in the middle of a batch"
        )
        assert.isFalse(yield* fs.exists(`${dir}/outbox.jsonl.lock`), "a clean shutdown removes its lock")
        yield* flaky.stop

        const local = yield* recover(dir, database)
        assert.deepStrictEqual(yield* Local.missing(local, run.offered.map(scoresOf)), [])
      }).pipe(Effect.scoped, Effect.provide(NodeFileSystem.layer)),
    180_000
  )
})
