import { FileSystem } from "@effect/platform"
import { NodeFileSystem } from "@effect/platform-node"
import { SystemError } from "@effect/platform/Error"
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber, LogLevel, Ref, Scope } from "effect"
import * as Outbox from "../src/internal/queue/outbox.js"
import { directoryOf } from "../src/internal/queue/outboxFiles.js"
import { captureLogs, id } from "./fixtures/queue/Support.js"

const entry = (n: number, scores: Record<string, number | boolean> = { n }): Outbox.Entry => ({
  requestId: id(n),
  scores
})

const tempOutbox = Effect.gen(function*() {
  const fs = yield* FileSystem.FileSystem
  const dir = yield* fs.makeTempDirectoryScoped({ prefix: "outbox-test-" })
  return { fs, path: `${dir}/nested/outbox.jsonl` }
})

/** The file system, but the first fsync of a file opened for appending fails (after its bytes were written). */
const failingFirstSync = (fs: FileSystem.FileSystem): FileSystem.FileSystem => {
  let failed = false
  const failing = (file: FileSystem.File): FileSystem.File =>
    new Proxy(file, {
      get(target, key) {
        if (key === "sync" && !failed) {
          failed = true
          return Effect.fail(
            new SystemError({ module: "FileSystem", method: "sync", reason: "Unknown", description: "EIO (test)" })
          )
        }
        const value = Reflect.get(target, key, target)
        return typeof value === "function" ? value.bind(target) : value
      }
    })
  return {
    ...fs,
    open: (path, options) => Effect.map(fs.open(path, options), (file) => options?.flag === "a" ? failing(file) : file)
  }
}

/** A delivery that records what it got and keeps the entries `keep` says to keep. */
const recorder = (keep: (entry: Outbox.Entry) => boolean = () => false) =>
  Effect.map(Ref.make<Array<Outbox.Entry>>([]), (seen) => ({
    seen,
    deliver: (chunk: ReadonlyArray<Outbox.Entry>) =>
      Effect.as(Ref.update(seen, (all) => [...all, ...chunk]), chunk.filter(keep))
  }))

describe("ScoreQueue outbox", () => {
  it.scoped("replays appended entries in order, then leaves no file behind", () =>
    Effect.gen(function*() {
      const { fs, path } = yield* tempOutbox
      const outbox = yield* Outbox.make(fs, path, { chunkSize: 3 })
      yield* outbox.append([entry(1), entry(2)])
      yield* outbox.append([entry(3), entry(4), entry(5)])
      assert.strictEqual(outbox.size(), 5)
      const { deliver, seen } = yield* recorder()
      let emptied = 0
      const result = yield* outbox.replay(deliver, () => emptied++)
      assert.strictEqual(result, "drained")
      assert.strictEqual(emptied, 1)
      assert.deepStrictEqual((yield* Ref.get(seen)).map((e) => e.scores.n), [1, 2, 3, 4, 5])
      assert.strictEqual(outbox.size(), 0)
      assert.isFalse(yield* fs.exists(path))
      assert.isFalse(yield* fs.exists(`${path}.replay`))
    }).pipe(Effect.provide(NodeFileSystem.layer)))

  it.scoped("keeps the failed entries first, then the unread rest, and counts what left", () =>
    Effect.gen(function*() {
      const { fs, path } = yield* tempOutbox
      yield* Effect.scoped(Effect.gen(function*() {
        const outbox = yield* Outbox.make(fs, path, { chunkSize: 4 })
        yield* outbox.append([1, 2, 3, 4, 5, 6, 7].map((n) => entry(n)))
        const { deliver } = yield* recorder((e) => e.scores.n === 2 || e.scores.n === 4)
        const result = yield* outbox.replay(deliver, () => {})
        assert.strictEqual(result, "stalled")
        // appended after the replay began: must come after everything already in the outbox
        yield* outbox.append([entry(8)])
        assert.strictEqual(outbox.size(), 2 + 3 + 1)
      }))
      const reopened = yield* Outbox.make(fs, path, { chunkSize: 4 })
      assert.strictEqual(reopened.size(), 6)
      const second = yield* recorder()
      assert.strictEqual(yield* reopened.replay(second.deliver, () => {}), "drained")
      assert.deepStrictEqual((yield* Ref.get(second.seen)).map((e) => e.scores.n), [2, 4, 5, 6, 7, 8])
    }).pipe(Effect.provide(NodeFileSystem.layer)))

  it.scoped("an interrupted pass resumes after the last chunk done, also in a new process, and counts what is left", () =>
    Effect.gen(function*() {
      const { fs, path } = yield* tempOutbox
      const scope = yield* Scope.make()
      const outbox = yield* Outbox.make(fs, path, { chunkSize: 2 }).pipe(Scope.extend(scope))
      yield* outbox.append([1, 2, 3, 4, 5].map((n) => entry(n)))
      const secondChunk = yield* Deferred.make<void>()
      const { deliver, seen } = yield* recorder()
      const stuck = (chunk: ReadonlyArray<Outbox.Entry>) =>
        chunk[0].scores.n === 1 ? deliver(chunk) : Effect.zipRight(Deferred.succeed(secondChunk, void 0), Effect.never)
      const pass = yield* Effect.fork(outbox.replay(stuck, () => {}))
      yield* Deferred.await(secondChunk)
      // the first chunk is done: its progress is recorded, and the count says what is left
      assert.strictEqual(outbox.size(), 3)
      yield* Fiber.interrupt(pass)
      assert.strictEqual(outbox.size(), 3, "what the stats say is what is left to send")
      assert.strictEqual((yield* fs.readFileString(`${path}.replay`)).trim().split("\n").length, 5)
      yield* Scope.close(scope, Exit.void)

      // a new process: the count at open and the replay start where the last one stopped
      const reopened = yield* Outbox.make(fs, path, { chunkSize: 2 })
      assert.strictEqual(reopened.size(), 3)
      assert.strictEqual(yield* reopened.replay(deliver, () => {}), "drained")
      assert.deepStrictEqual((yield* Ref.get(seen)).map((e) => e.scores.n), [1, 2, 3, 4, 5], "nothing sent twice")
      assert.strictEqual(reopened.size(), 0)
      assert.isFalse(yield* fs.exists(`${path}.replay`))
      assert.isFalse(yield* fs.exists(`${path}.replay.offset`))
    }).pipe(Effect.provide(NodeFileSystem.layer)))

  it.scoped("a progress offset that is not a line boundary of the replay file is ignored: entries are re-sent", () =>
    Effect.gen(function*() {
      const { fs, path } = yield* tempOutbox
      yield* fs.makeDirectory(directoryOf(path), { recursive: true })
      yield* fs.writeFileString(`${path}.replay`, [1, 2, 3].map((n) => Outbox.encodeEntry(entry(n))).join(""))
      // a torn write: a prefix of the real offset, inside the second line
      const lineLength = Outbox.encodeEntry(entry(1)).length
      yield* fs.writeFileString(`${path}.replay.offset`, String(lineLength + 3))
      const outbox = yield* Outbox.make(fs, path, { chunkSize: 10 })
      assert.strictEqual(outbox.size(), 3)
      const { deliver, seen } = yield* recorder()
      assert.strictEqual(yield* outbox.replay(deliver, () => {}), "drained")
      assert.deepStrictEqual((yield* Ref.get(seen)).map((e) => e.scores.n), [1, 2, 3])
    }).pipe(Effect.provide(NodeFileSystem.layer)))

  it.scoped("an append whose fsync failed and was written again is counted by the lines on disk", () =>
    Effect.gen(function*() {
      const { fs, path } = yield* tempOutbox
      const outbox = yield* Outbox.make(failingFirstSync(fs), path, { chunkSize: 10 })
      const failed = yield* Effect.flip(outbox.append([entry(1), entry(2)]))
      assert.strictEqual(failed._tag, "SystemError")
      // the writer's retry: the lines are on disk twice
      yield* outbox.append([entry(1), entry(2)])
      assert.strictEqual((yield* fs.readFileString(path)).split("\n").filter((line) => line !== "").length, 4)

      const sizes: Array<number> = []
      const { deliver, seen } = yield* recorder()
      const counting = (chunk: ReadonlyArray<Outbox.Entry>) =>
        Effect.zipRight(Effect.sync(() => sizes.push(outbox.size())), deliver(chunk))
      assert.strictEqual(yield* outbox.replay(counting, () => {}), "drained")
      assert.deepStrictEqual(sizes, [4], "while it is replayed, the count is the file's 4 lines")
      assert.deepStrictEqual((yield* Ref.get(seen)).map((e) => e.scores.n), [1, 2, 1, 2])
      assert.strictEqual(outbox.size(), 0)
    }).pipe(Effect.provide(NodeFileSystem.layer)))

  it.scoped("leaves the file byte for byte when a chunk gets nothing through", () =>
    Effect.gen(function*() {
      const { fs, path } = yield* tempOutbox
      const outbox = yield* Outbox.make(fs, path, { chunkSize: 2 })
      yield* outbox.append([entry(1), entry(2), entry(3)])
      const before = yield* fs.readFileString(path)
      const { deliver } = yield* recorder(() => true)
      assert.strictEqual(yield* outbox.replay(deliver, () => {}), "stalled")
      assert.strictEqual(yield* fs.readFileString(`${path}.replay`), before)
      assert.strictEqual(outbox.size(), 3)
    }).pipe(Effect.provide(NodeFileSystem.layer)))

  it.scoped("sets corrupt and truncated lines aside with a warning, and replays the rest", () =>
    Effect.gen(function*() {
      const { fs, path } = yield* tempOutbox
      yield* fs.makeDirectory(directoryOf(path), { recursive: true })
      const good = (n: number) => Outbox.encodeEntry(entry(n))
      const lines = [
        good(1),
        "not json at all\n",
        "\n",
        `{"requestId":"0190a6e0-0000-7000-8000-000000000000","scores":{"a":1}}\n`, // a v7 id
        `{"requestId":"${id(9)}","scores":{"a":0.5}}\n`, // a float
        good(2),
        `{"requestId":"${id(3)}","sco` // cut short by a crash
      ]
      yield* fs.writeFileString(path, lines.join(""))
      const logs = yield* captureLogs(LogLevel.Warning)
      const outbox = yield* Outbox.make(fs, path, { chunkSize: 10 })
      assert.strictEqual(outbox.size(), 6)
      // the next append starts on a line of its own, so the cut line does not swallow it
      yield* outbox.append([entry(4)])
      const { deliver, seen } = yield* recorder()
      const result = yield* logs.around(outbox.replay(deliver, () => {}))
      assert.strictEqual(result, "drained")
      assert.deepStrictEqual((yield* Ref.get(seen)).map((e) => e.scores.n), [1, 2, 4])
      assert.strictEqual(outbox.corrupt(), 4)
      const aside = yield* fs.readFileString(`${path}.corrupt`)
      assert.deepStrictEqual(aside.split("\n").filter((l) => l.length > 0), [
        "not json at all",
        lines[3].trim(),
        lines[4].trim(),
        lines[6]
      ])
      const warnings = yield* logs.lines
      assert.strictEqual(warnings.length, 4)
      assert.isTrue(warnings.every((line) => line.includes("cannot be read") && line.includes(".corrupt")))
    }).pipe(Effect.provide(NodeFileSystem.layer)))

  it.scoped("removes a rewrite left over by a crash and counts both files at start", () =>
    Effect.gen(function*() {
      const { fs, path } = yield* tempOutbox
      yield* fs.makeDirectory(directoryOf(path), { recursive: true })
      yield* fs.writeFileString(`${path}.tmp`, "half a rewrite")
      yield* fs.writeFileString(`${path}.replay`, Outbox.encodeEntry(entry(1)) + Outbox.encodeEntry(entry(2)))
      yield* fs.writeFileString(path, Outbox.encodeEntry(entry(3)))
      const outbox = yield* Outbox.make(fs, path, { chunkSize: 10 })
      assert.isFalse(yield* fs.exists(`${path}.tmp`))
      assert.strictEqual(outbox.size(), 3)
      const { deliver, seen } = yield* recorder()
      assert.strictEqual(yield* outbox.replay(deliver, () => {}), "drained")
      assert.deepStrictEqual((yield* Ref.get(seen)).map((e) => e.scores.n), [1, 2, 3])
    }).pipe(Effect.provide(NodeFileSystem.layer)))

  it.scoped("keeps names such as __proto__ as plain score names through a round trip", () =>
    Effect.gen(function*() {
      const { fs, path } = yield* tempOutbox
      const outbox = yield* Outbox.make(fs, path, { chunkSize: 10 })
      const scores = Object.fromEntries([["__proto__", 1], ["constructor", true], ["ünïcödé ✓", -5]])
      yield* outbox.append([{ requestId: id(1), scores }])
      const { deliver, seen } = yield* recorder()
      yield* outbox.replay(deliver, () => {})
      const [replayed] = yield* Ref.get(seen)
      assert.deepStrictEqual(Object.entries(replayed.scores), Object.entries(scores))
    }).pipe(Effect.provide(NodeFileSystem.layer)))

  it.scoped("a 40 MB line is set aside as too long (its first 64 KB kept), and the lines around it are replayed", () =>
    Effect.gen(function*() {
      const { fs, path } = yield* tempOutbox
      yield* fs.makeDirectory(directoryOf(path), { recursive: true })
      const long = new Uint8Array(40 * 1024 * 1024).fill(120)
      const before = new TextEncoder().encode(Outbox.encodeEntry(entry(1)))
      const after = new TextEncoder().encode("\n" + Outbox.encodeEntry(entry(2)))
      const file = new Uint8Array(before.length + long.length + after.length)
      file.set(before)
      file.set(long, before.length)
      file.set(after, before.length + long.length)
      yield* fs.writeFile(path, file)
      const logs = yield* captureLogs(LogLevel.Warning)
      const outbox = yield* Outbox.make(fs, path, { chunkSize: 10 })
      assert.strictEqual(outbox.size(), 3)
      const { deliver, seen } = yield* recorder()
      assert.strictEqual(yield* logs.around(outbox.replay(deliver, () => {})), "drained")
      assert.deepStrictEqual((yield* Ref.get(seen)).map((e) => e.scores.n), [1, 2])
      assert.strictEqual(outbox.corrupt(), 1)
      const corrupt = yield* fs.readFile(`${path}.corrupt`)
      assert.strictEqual(corrupt.length, 64 * 1024 + 1)
      const warnings = yield* logs.lines
      assert.strictEqual(warnings.length, 1)
      assert.include(warnings[0], `${40 * 1024 * 1024} bytes long`)
    }).pipe(Effect.provide(NodeFileSystem.layer)))

  it.scoped("a line that is not UTF-8 is set aside, with the reason", () =>
    Effect.gen(function*() {
      const { fs, path } = yield* tempOutbox
      yield* fs.makeDirectory(directoryOf(path), { recursive: true })
      const line = new TextEncoder().encode(Outbox.encodeEntry(entry(1)))
      yield* fs.writeFile(path, new Uint8Array([...line, 0xff, 0xfe, 10, ...line]))
      const logs = yield* captureLogs(LogLevel.Warning)
      const outbox = yield* Outbox.make(fs, path, { chunkSize: 10 })
      const { deliver, seen } = yield* recorder()
      yield* logs.around(outbox.replay(deliver, () => {}))
      assert.strictEqual((yield* Ref.get(seen)).length, 2)
      assert.deepStrictEqual(Array.from(yield* fs.readFile(`${path}.corrupt`)), [0xff, 0xfe, 10])
      assert.include((yield* logs.lines)[0], "not valid UTF-8")
    }).pipe(Effect.provide(NodeFileSystem.layer)))
})
