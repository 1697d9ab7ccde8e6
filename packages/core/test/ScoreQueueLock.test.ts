import { FileSystem } from "@effect/platform"
import { NodeFileSystem } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Scope } from "effect"
import * as ChildProcess from "node:child_process"
import { fileURLToPath } from "node:url"
import * as Outbox from "../src/internal/queue/outbox.js"
import { captureLogs, tempDirectory } from "./fixtures/queue/Support.js"

const child = fileURLToPath(new URL("./fixtures/queue/LockChild.ts", import.meta.url))

interface Result {
  readonly owned: number | undefined
  readonly released: number | undefined
  readonly locked: boolean
}

/**
 * Starts `count` lock children (optionally under `prefix`, such as `unshare`) and waits until all are ready. Each
 * `round` lets them race for the lock at once and returns what each said. The children are killed with the scope.
 */
const children = (
  outboxPath: string,
  count: number,
  options: { holdMs?: number; crash?: boolean; prefix?: Array<string> } = {}
) =>
  Effect.gen(function*() {
    const processes = yield* Effect.acquireRelease(
      Effect.sync(() =>
        Array.from({ length: count }, () => {
          const args = [
            "--import",
            "tsx",
            child,
            outboxPath,
            String(options.holdMs ?? 300),
            options.crash ? "crash" : ""
          ]
          const [command, ...rest] = options.prefix === undefined
            ? [process.execPath, ...args]
            : [...options.prefix, process.execPath, ...args]
          return ChildProcess.spawn(command, rest, { stdio: ["pipe", "pipe", "inherit"] })
        })
      ),
      (all) => Effect.sync(() => all.forEach((p) => p.exitCode === null && p.signalCode === null && p.kill("SIGKILL")))
    )
    const outputs = processes.map(() => "")
    let waiting: Array<() => void> = []
    processes.forEach((p, i) => {
      p.stdout!.on("data", (chunk) => {
        outputs[i] += String(chunk)
        waiting.forEach((check) => check())
      })
      p.on("close", () => waiting.forEach((check) => check()))
    })
    /** Resolves once every child's output since `from` satisfies `done`. */
    const until = (from: Array<number>, done: (text: string, i: number) => boolean) =>
      Effect.promise(() =>
        new Promise<void>((resolve) => {
          const check = () => {
            if (outputs.every((out, i) => done(out.slice(from[i]), i))) {
              waiting = waiting.filter((c) => c !== check)
              resolve()
            }
          }
          waiting.push(check)
          check()
        })
      )
    yield* until(processes.map(() => 0), (text) => text.includes("ready\n"))
    const round = Effect.gen(function*() {
      const from = outputs.map((out) => out.length)
      for (const p of processes) p.stdin!.write("go\n")
      yield* until(from, (text, i) => text.includes("done\n") || processes[i].exitCode !== null)
      return outputs.map((out, i): Result => {
        const text = out.slice(from[i])
        const value = (tag: string) => {
          const line = text.split("\n").find((l) => l.startsWith(`${tag} `))
          return line === undefined ? undefined : Number(line.split(" ")[1])
        }
        return { owned: value("owned"), released: value("released"), locked: /(^|\n)locked /.test(text) }
      })
    })
    return { round }
  })

/** A stale lock: a pid that ran and is gone, in the current format. */
const goneProcessLock = () => {
  const gone = ChildProcess.spawnSync(process.execPath, ["-e", ""]).pid!
  return JSON.stringify({ pid: gone, token: "0123456789abcdef", start: "1" }) + "\n"
}

describe("ScoreQueue outbox lock", () => {
  it.scoped(
    "4 processes racing over a stale lock: one owns it at a time, in each of 10 trials",
    () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const dir = yield* tempDirectory
        const outboxPath = `${dir}/outbox.jsonl`
        const racers = yield* children(outboxPath, 4, { holdMs: 300 })
        for (let trial = 0; trial < 10; trial++) {
          yield* fs.writeFileString(`${outboxPath}.lock`, goneProcessLock())
          const results = yield* racers.round
          const owners = results.filter((result) => result.owned !== undefined)
          assert.isAtLeast(owners.length, 1, `trial ${trial}: someone takes the stale lock over`)
          // ownership periods never overlap
          const periods = owners.map((o) => [o.owned!, o.released!] as const).sort((a, b) => a[0] - b[0])
          for (let i = 1; i < periods.length; i++) {
            assert.isAtLeast(periods[i][0], periods[i - 1][1], `trial ${trial}: two owners at once`)
          }
          assert.strictEqual(owners.length + results.filter((r) => r.locked).length, 4)
          assert.isFalse(yield* fs.exists(`${outboxPath}.lock`), "the last owner removed its lock")
          const leftovers = (yield* fs.readDirectory(dir)).filter((name) => name.includes(".lock"))
          assert.deepStrictEqual(leftovers, [], "no claim or lock file left behind")
        }
      }).pipe(Effect.provide(NodeFileSystem.layer)),
    120_000
  )

  it.scoped(
    "a queue that crashed as pid 1 in a fresh pid namespace is taken over by the next pid 1",
    () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const dir = yield* tempDirectory
        const outboxPath = `${dir}/outbox.jsonl`
        const prefix = ["unshare", "--pid", "--fork", "--mount-proc"]
        const [first] = yield* Effect.scoped(
          Effect.flatMap(children(outboxPath, 1, { prefix, crash: true }), (c) => c.round)
        )
        assert.isDefined(first.owned)
        const left = JSON.parse(yield* fs.readFileString(`${outboxPath}.lock`))
        assert.strictEqual(left.pid, 1, "the crash left a lock naming pid 1")
        const [second] = yield* Effect.scoped(Effect.flatMap(children(outboxPath, 1, { prefix }), (c) => c.round))
        assert.isDefined(second.owned, "the restarted pid 1 owns the outbox")
        assert.isFalse(second.locked)
        assert.isFalse(yield* fs.exists(`${outboxPath}.lock`))
      }).pipe(Effect.provide(NodeFileSystem.layer)),
    60_000
  )

  it.scoped("a lock naming a live pid that started at another time is taken over, with a warning", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* tempDirectory
      const outboxPath = `${dir}/outbox.jsonl`
      for (const pid of [process.pid, process.ppid]) {
        yield* fs.writeFileString(
          `${outboxPath}.lock`,
          JSON.stringify({ pid, token: "fedcba9876543210", start: "1" }) + "\n"
        )
        const logs = yield* captureLogs()
        const scope = yield* Scope.make()
        yield* logs.around(Outbox.make(fs, outboxPath, { chunkSize: 10 })).pipe(Scope.extend(scope))
        const lock = JSON.parse(yield* fs.readFileString(`${outboxPath}.lock`))
        assert.strictEqual(lock.pid, process.pid)
        assert.notStrictEqual(lock.token, "fedcba9876543210")
        assert.isTrue((yield* logs.lines).some((line) => line.startsWith("WARN") && line.includes(`process ${pid}`)))
        yield* Scope.close(scope, Exit.void)
      }
    }).pipe(Effect.provide(NodeFileSystem.layer)))

  it.scoped("a lock of a live process that started when it says is kept: OutboxLocked", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* tempDirectory
      const outboxPath = `${dir}/outbox.jsonl`
      const stat = yield* fs.readFileString(`/proc/${process.ppid}/stat`)
      const start = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]
      yield* fs.writeFileString(
        `${outboxPath}.lock`,
        JSON.stringify({ pid: process.ppid, token: "fedcba9876543210", start }) + "\n"
      )
      const error = yield* Effect.flip(Outbox.make(fs, outboxPath, { chunkSize: 10 }))
      assert.strictEqual(error._tag, "OutboxLocked")
      if (error._tag === "OutboxLocked") assert.strictEqual(error.pid, process.ppid)
    }).pipe(Effect.provide(NodeFileSystem.layer)))

  it.scoped("the outbox directory deleted under a running outbox is made again, with the lock, at the next append", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* tempDirectory
      const outboxPath = `${dir}/nested/outbox.jsonl`
      const outbox = yield* Outbox.make(fs, outboxPath, { chunkSize: 10 })
      yield* fs.remove(`${dir}/nested`, { recursive: true })
      const line = { requestId: "00000000-0000-4000-8000-000000000001", scores: { n: 1 } }
      yield* outbox.append([line])
      assert.strictEqual(yield* fs.readFileString(outboxPath), Outbox.encodeEntry(line))
      assert.strictEqual(JSON.parse(yield* fs.readFileString(`${outboxPath}.lock`)).pid, process.pid)
      // so a second outbox on the path is refused again
      const error = yield* Effect.flip(Outbox.make(fs, outboxPath, { chunkSize: 10 }))
      assert.strictEqual(error._tag, "OutboxLocked")
    }).pipe(Effect.provide(NodeFileSystem.layer)))

  it.scoped("if another process took the path after the directory was deleted, appends fail as Busy, with a warning", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* tempDirectory
      const outboxPath = `${dir}/nested/outbox.jsonl`
      const outbox = yield* Outbox.make(fs, outboxPath, { chunkSize: 10 })
      // the directory goes, another process makes it again and takes the lock
      yield* fs.remove(`${dir}/nested`, { recursive: true })
      yield* fs.makeDirectory(`${dir}/nested`)
      yield* fs.writeFileString(
        `${outboxPath}.lock`,
        JSON.stringify({ pid: process.ppid, token: "fedcba9876543210" }) + "\n"
      )
      const error = yield* Effect.flip(
        outbox.append([{ requestId: "00000000-0000-4000-8000-000000000001", scores: { n: 1 } }])
      )
      assert.strictEqual(error._tag, "SystemError")
      if (error._tag === "SystemError") assert.strictEqual(error.reason, "Busy")
      assert.include(error.message, `process ${process.ppid}`)
      assert.isFalse(yield* fs.exists(outboxPath), "nothing written under another process's lock")
    }).pipe(Effect.provide(NodeFileSystem.layer)))
})
