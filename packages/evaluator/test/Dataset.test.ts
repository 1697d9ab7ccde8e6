import { NodeContext } from "@effect/platform-node"
import { assert, describe, it, layer } from "@effect/vitest"
import { Effect, Stream } from "effect"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { Dataset, Eval, Scorers } from "../src/index.js"

/** A file holding `text` in a temporary directory, removed when the test's scope closes. */
const tmpFile = (name: string, text: string) =>
  Effect.acquireRelease(
    Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), "helicone-eval-test-"))),
    (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
  ).pipe(Effect.map((dir) => {
    const path = Path.join(dir, name)
    Fs.writeFileSync(path, text)
    return path
  }))

const runDouble = <R = never>(data: Dataset.DataInput<number, number, R>) =>
  Eval.run(Eval.make({ name: "data", data, task: (n: number) => n * 2, scorers: [Scorers.exactMatch] }))

layer(NodeContext.layer)("Dataset.jsonl", (it) => {
  it.scoped("streams the cases and records each bad line as a case error with its line number", () =>
    Effect.gen(function*() {
      const path = yield* tmpFile(
        "cases.jsonl",
        [
          `{"input": 1, "expected": 2, "name": "one", "metadata": {"tag": "a"}}`,
          `{"input": 2, "expected": 4`,
          ``,
          `[1, 2]`,
          `{"input": 3, "expected": 6}\r`,
          `{"expected": 8}`,
          `{"input": 5, "expected": 10, "name": 5}`,
          `{"input": 6, "expected": 12}`
        ].join("\n")
      )
      const report = yield* runDouble(Dataset.jsonl<number, number>(path))
      const dataErrors = report.cases
        .flatMap((c) => c.errors.filter((e) => e.source === "data").map((e) => ({ index: c.index, line: e.line })))
        .sort((a, b) => a.index - b.index)
      assert.deepStrictEqual(dataErrors, [{ index: 1, line: 2 }, { index: 2, line: 4 }, { index: 4, line: 6 }, {
        index: 5,
        line: 7
      }])
      const line2 = report.cases.find((c) => c.index === 1)!.errors[0]
      assert.match(line2.message, /^line 2 is not valid JSON/)
      const scored = report.cases.filter((c) => c.errors.length === 0).map((c) => [c.index, c.output]).sort()
      assert.deepStrictEqual(scored, [[0, 2], [3, 6], [6, 12]], "the blank line is skipped, a trailing \\r is ignored")
      const first = report.cases.find((c) => c.index === 0)!
      assert.strictEqual(first.name, "one")
      assert.deepStrictEqual(first.metadata, { tag: "a" })
      assert.strictEqual(report.scorers[0].count, 3)
      assert.strictEqual(report.totals.errored, 4)
    }))

  it.scoped("reads a file larger than one read block, with multi-byte characters across block edges", () =>
    Effect.gen(function*() {
      const n = 20_000
      const lines = Array.from({ length: n }, (_, i) => JSON.stringify({ input: `é${i}😀`, expected: `é${i}😀` }))
      const path = yield* tmpFile("big.jsonl", lines.join("\n") + "\n")
      assert.isAbove(Fs.statSync(path).size, 256 * 1024)
      const report = yield* Eval.run(
        Eval.make({
          name: "big",
          data: Dataset.jsonl<string, string>(path),
          task: (s: string) => s,
          scorers: [Scorers.exactMatch]
        }),
        { maxCases: n }
      )
      assert.strictEqual(report.totals.cases, n)
      assert.strictEqual(report.scorers[0].mean, 1)
    }))

  it.effect("a missing file is one data error, not a crash", () =>
    Effect.gen(function*() {
      const report = yield* runDouble(Dataset.jsonl<number, number>("/nonexistent/cases.jsonl"))
      assert.strictEqual(report.totals.cases, 1)
      assert.strictEqual(report.cases[0].errors[0].source, "data")
      assert.include(report.cases[0].errors[0].message, "/nonexistent/cases.jsonl")
    }))
})

describe("other data sources", () => {
  it.effect("an async iterable", () =>
    Effect.gen(function*() {
      async function* gen() {
        for (let i = 0; i < 5; i++) {
          await Promise.resolve()
          yield { input: i, expected: i * 2 }
        }
      }
      const report = yield* runDouble(gen())
      assert.strictEqual(report.totals.cases, 5)
      assert.strictEqual(report.scorers[0].mean, 1)
    }))

  it.effect("a generator (sync iterable) that throws ends the data with a data error", () =>
    Effect.gen(function*() {
      function* gen() {
        yield { input: 1, expected: 2 }
        throw new Error("source broke")
      }
      const report = yield* runDouble(gen())
      assert.strictEqual(report.totals.cases, 2)
      const broken = report.cases.find((c) => c.index === 1)!
      assert.strictEqual(broken.errors[0].source, "data")
      assert.include(broken.errors[0].message, "source broke")
    }))

  it.effect("a Stream, whose failure ends the data with a data error", () =>
    Effect.gen(function*() {
      const stream = Stream.concat(
        Stream.fromIterable([{ input: 1, expected: 2 }, { input: 2, expected: 4 }]),
        Stream.fail("upstream gone")
      )
      const report = yield* runDouble(stream)
      assert.strictEqual(report.totals.cases, 3)
      assert.strictEqual(report.scorers[0].count, 2)
      assert.include(report.cases.find((c) => c.index === 2)!.errors[0].message, "upstream gone")
      const size = Dataset.fromIterable([{ input: 1 }, { input: 2 }]).size
      assert.strictEqual(size, 2)
    }))
})
