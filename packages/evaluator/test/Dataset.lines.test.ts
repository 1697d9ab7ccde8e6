import { FileSystem } from "@effect/platform"
import { NodeFileSystem } from "@effect/platform-node"
import { assert, layer } from "@effect/vitest"
import { Effect, FastCheck as fc } from "effect"
import { Dataset, Eval } from "../src/index.js"

const utf8 = (text: string) => new TextEncoder().encode(text)
const bytes = (...parts: ReadonlyArray<string | ReadonlyArray<number>>) => {
  const encoded = parts.map((part) => typeof part === "string" ? utf8(part) : Uint8Array.from(part))
  const all = new Uint8Array(encoded.reduce((n, part) => n + part.length, 0))
  let at = 0
  for (const part of encoded) {
    all.set(part, at)
    at += part.length
  }
  return all
}

/** Each case of the file as a run reads it: its input, or its data error (with its line). */
const readFile = (content: Uint8Array, options?: Dataset.JsonlOptions) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const dir = yield* fs.makeTempDirectoryScoped()
    const path = `${dir}/cases.jsonl`
    yield* fs.writeFile(path, content)
    const report = yield* Eval.run(
      Eval.make({ name: "lines", data: Dataset.jsonl(path, options), task: (input) => input, scorers: [] })
    )
    return report.cases.map((c): unknown => c.errors.length === 0 ? { input: c.input } : { error: c.errors[0] })
  })

const dataError = (line: number, message: string) => ({ error: { source: "data" as const, message, line } })

layer(NodeFileSystem.layer)("Dataset.jsonl lines", (it) => {
  it.scoped("skips a byte order mark at the start of the file, and only there", () =>
    Effect.gen(function*() {
      const cases = yield* readFile(bytes([0xef, 0xbb, 0xbf], `{"input":1}\n\uFEFF{"input":2}\n{"input":"\uFEFF"}\n`))
      assert.deepStrictEqual(cases[0], { input: 1 })
      assert.strictEqual((cases[1] as any).error.line, 2)
      assert.match((cases[1] as any).error.message, /^line 2 is not valid JSON/)
      assert.deepStrictEqual(cases[2], { input: "\uFEFF" })
    }))

  it.scoped("a line that is not valid UTF-8 is a data error on that line; the other lines are read", () =>
    Effect.gen(function*() {
      const cases = yield* readFile(bytes(
        `{"input":"é"}\n`,
        `{"input":"`,
        [0xff, 0xfe],
        `"}\n`,
        `{"input":"ok"}\r\n`,
        `{"input":"`,
        [0xe2, 0x82], // a character cut short
        `"}\n`,
        `{"input":"€"}\n`,
        `{"input":"end`,
        [0xc3] // the file ends inside a character
      ))
      assert.deepStrictEqual(cases, [
        { input: "é" },
        dataError(2, "line 2 is not valid UTF-8"),
        { input: "ok" },
        dataError(4, "line 4 is not valid UTF-8"),
        { input: "€" },
        dataError(6, "line 6 is not valid UTF-8")
      ])
    }))

  it.scoped("a line longer than maxLineBytes is a data error on that line, wherever it falls; one at it is read", () =>
    Effect.gen(function*() {
      const at = (n: number) => `{"input":"${"x".repeat(n - 12)}"}` // n bytes
      const cases = yield* readFile(
        utf8([at(100), at(101), at(30), `{"input":"${"é".repeat(400)}"}`, at(100), at(5000)].join("\n")),
        { maxLineBytes: 100 }
      )
      const tooLong = (line: number) =>
        dataError(line, `line ${line} is longer than the limit of 100 bytes (maxLineBytes): it is not read`)
      assert.deepStrictEqual(cases, [
        { input: "x".repeat(88) },
        tooLong(2),
        { input: "x".repeat(18) },
        tooLong(4),
        { input: "x".repeat(88) },
        tooLong(6)
      ])
    }))

  it.scoped("past the default limit of 16 MiB a line is a data error, and the next line is read", () =>
    Effect.gen(function*() {
      const long = `{"input":"${"x".repeat(16 * 1024 * 1024)}"}`
      const cases = yield* readFile(utf8(`{"input":1}\n${long}\n{"input":3}\n`))
      assert.deepStrictEqual(cases, [
        { input: 1 },
        dataError(2, "line 2 is longer than the limit of 16,777,216 bytes (maxLineBytes): it is not read"),
        { input: 3 }
      ])
    }))

  it.scoped("reads any lines, split anywhere across blocks, as JSON.parse reads each", () =>
    Effect.gen(function*() {
      const line = fc.oneof(
        fc.jsonValue().map((value) => JSON.stringify({ input: value })),
        fc.string({ unit: "binary" }).map((text) => JSON.stringify({ input: text })),
        fc.constant("")
      )
      const files = fc.sample(fc.tuple(fc.array(line, { maxLength: 20 }), fc.integer({ min: 1, max: 300 })), 60)
      for (const [lines, maxLineBytes] of files) {
        const expected: Array<unknown> = []
        lines.forEach((text, i) => {
          const size = utf8(text).length
          if (text === "") return
          expected.push(
            size > maxLineBytes
              ? dataError(
                i + 1,
                `line ${i + 1} is longer than the limit of ${maxLineBytes} bytes (maxLineBytes): it is not read`
              )
              : { input: JSON.parse(text).input }
          )
        })
        // lone surrogates in the binary strings are written escaped by JSON.stringify, so every line is UTF-8
        const read = yield* readFile(utf8(lines.join("\n")), { maxLineBytes })
        assert.deepStrictEqual(read, expected, `maxLineBytes ${maxLineBytes}`)
      }
    }))

  it("refuses a maxLineBytes that is not an integer >= 1", () => {
    assert.throws(() => Dataset.jsonl("cases.jsonl", { maxLineBytes: 0 }), RangeError)
    assert.throws(() => Dataset.jsonl("cases.jsonl", { maxLineBytes: 1.5 }), RangeError)
  })
})
