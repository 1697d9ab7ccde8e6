import { NodeFileSystem } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as ChildProcess from "node:child_process"
import { fileURLToPath } from "node:url"
import { batchSize, crashId } from "./fixtures/queue/CrashChild.js"
import * as Local from "./fixtures/queue/Local.js"
import { eventually, readLines, tempDirectory } from "./fixtures/queue/Support.js"

const childScript = fileURLToPath(new URL("./fixtures/queue/CrashChild.ts", import.meta.url))

/**
 * Runs the child until it has reported `batches` durable batches and is in the middle of the next one, then kills it
 * with SIGKILL; returns the last batch it reported durable.
 */
const runAndKill = (baseUrl: string, dir: string, batches: number) =>
  Effect.acquireUseRelease(
    Effect.sync(() =>
      ChildProcess.spawn(process.execPath, ["--import", "tsx", childScript, baseUrl, dir], {
        stdio: ["ignore", "pipe", "pipe"]
      })
    ),
    (child) =>
      Effect.async<number, Error>((resume) => {
        let output = ""
        let errors = ""
        let killed = false
        const lastDurable = () =>
          Math.max(-1, ...output.split("\n").filter((l) => l.startsWith("durable ")).map((l) => Number(l.slice(8))))
        child.stdout!.on("data", (chunk) => {
          output += String(chunk)
          if (!killed && lastDurable() >= batches - 1) {
            killed = true
            // a little later, so that the kill lands while a batch is being offered or flushed
            setTimeout(() => child.kill("SIGKILL"), 15)
          }
        })
        child.stderr!.on("data", (chunk) => {
          errors += String(chunk)
        })
        child.on("exit", (code, signal) => {
          if (signal === "SIGKILL") resume(Effect.succeed(lastDurable()))
          else resume(Effect.fail(new Error(`the child exited by itself (${code}): ${errors}`)))
        })
      }),
    (child) => Effect.sync(() => child.kill("SIGKILL"))
  )

describe("ScoreQueue and a crash", () => {
  it.live(
    "after kill -9 mid-run, a new process with the same outbox delivers every batch flushed before",
    () =>
      Effect.gen(function*() {
        const dir = yield* tempDirectory
        const database = `${dir}/helicone.db`
        // half the requests fail or hang, so that scores are both delivered and written to the outbox
        const flaky = yield* Local.server({ database, faults: { 503: 0.4, stall: 0.1 }, seed: 11 })
        const lastDurable = yield* runAndKill(flaky.local.baseUrl, dir, 8)
        assert.isAtLeast(lastDurable, 7)
        const outboxBefore = (yield* readLines(`${dir}/outbox.jsonl`)).length +
          (yield* readLines(`${dir}/outbox.jsonl.replay`)).length
        assert.isAbove(outboxBefore, 0, "the crash left scores in the outbox")
        yield* flaky.stop

        const healthy = yield* Local.server({ database })
        const { queue } = yield* Local.queue(healthy.local.baseUrl, {
          outboxPath: `${dir}/outbox.jsonl`,
          deadLetterPath: `${dir}/dead-letter.jsonl`
        })
        yield* eventually(Effect.map(queue.stats, (stats) => stats.inOutbox === 0 && stats.queued === 0))
        const expected = Array.from(
          { length: (lastDurable + 1) * batchSize },
          (_, n) =>
            [crashId(Math.floor(n / batchSize), n % batchSize), {
              batch: Math.floor(n / batchSize),
              k: n % batchSize
            }] as const
        )
        assert.deepStrictEqual(yield* Local.missing(healthy.local, expected), [])
      }).pipe(Effect.scoped, Effect.provide(NodeFileSystem.layer)),
    60_000
  )
})
