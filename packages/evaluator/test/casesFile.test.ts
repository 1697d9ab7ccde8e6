import { NodeContext } from "@effect/platform-node"
import * as FileSystem from "@effect/platform/FileSystem"
import { assert, describe, it } from "@effect/vitest"
import { Effect, FastCheck as fc } from "effect"
import * as NodeFs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import type { EvalReport } from "../src/index.js"
import * as CasesFile from "../src/internal/runner/casesFile.js"
import { Encoder } from "../src/internal/runner/casesFile.js"

type CaseResult = EvalReport.CaseResult

/** What the cases file holds for one result: its line, without the newline. */
const encode = (result: CaseResult): string => {
  const encoder = new Encoder()
  encoder.line(result)
  return encoder.take().slice(0, -1)
}

/** A result with the runner's key order. */
const result = (fields: {
  input: unknown
  output: unknown
  expected: unknown
  scores?: CaseResult["scores"]
  errors?: CaseResult["errors"]
  name?: string | undefined
  metadata?: Record<string, unknown> | undefined
}): CaseResult => {
  const r: { -readonly [K in keyof CaseResult]: CaseResult[K] } = {
    index: 3,
    trial: 1,
    input: fields.input,
    output: fields.output,
    expected: fields.expected,
    scores: fields.scores ?? [],
    errors: fields.errors ?? [],
    duration: 0.123,
    requestId: "f47ac10b-58cc-4372-a567-0e02b2c3d479"
  }
  if (fields.name !== undefined) r.name = fields.name
  if (fields.metadata !== undefined) r.metadata = fields.metadata
  return r
}

// Strings of any UTF-16 units (lone surrogates included), JSON values, and values JSON leaves out or turns to null
const anyString = fc.oneof(fc.string(), fc.fullUnicodeString(), fc.string16bits())
const anyValue = fc.oneof(
  anyString,
  fc.jsonValue(),
  fc.double(),
  fc.constantFrom(undefined, null, NaN, -0, Infinity, () => 1, Symbol("s"), new Date(0), { toJSON: () => undefined }, {
    toJSON: (key: string) => `key=${key}` // JSON.stringify passes a value's own key to its toJSON
  })
)
const score = fc.record({
  name: anyString,
  score: fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom(0, 1, -0)),
  boolean: fc.boolean()
}, { requiredKeys: ["name", "score", "boolean"] })
const caseError = fc.record({
  source: fc.constantFrom("task" as const, "scorer" as const, "timeout" as const, "data" as const),
  message: anyString
})

describe("cases file encoding", () => {
  it("writes exactly the bytes of JSON.stringify for the results the runner builds", () => {
    fc.assert(
      fc.property(
        anyValue,
        anyValue,
        anyValue,
        fc.array(fc.oneof(score, score.map((s) => ({ ...s, metadata: { why: s.name } })))),
        fc.array(caseError, { maxLength: 2 }),
        fc.option(anyString, { nil: undefined }),
        fc.option(fc.dictionary(anyString, fc.jsonValue()), { nil: undefined }),
        (input, output, expected, scores, errors, name, metadata) => {
          const r = result({ input, output, expected, scores, errors, name, metadata })
          assert.strictEqual(encode(r), JSON.stringify(r))
        }
      ),
      { numRuns: 500 }
    )
  })

  it("writes the same bytes line after line from one encoder (its cached chunks follow the scorers)", () => {
    const names = fc.constantFrom("exactMatch", "contains", "x\"y")
    const binary = fc.record({ name: names, score: fc.constantFrom(0, 1), boolean: fc.boolean() })
    const line = fc.record({
      scores: fc.array(fc.oneof(binary, binary, score), { maxLength: 4 }),
      errors: fc.array(caseError, { maxLength: 1 }),
      output: anyString
    })
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 20 }), (lines) => {
        const encoder = new Encoder()
        const results = lines.map((l) => result({ input: "in", expected: undefined, ...l }))
        for (const r of results) encoder.line(r)
        const written = encoder.take()
        assert.strictEqual(written, results.map((r) => JSON.stringify(r) + "\n").join(""))
      }),
      { numRuns: 300 }
    )
  })

  it("writes a result JSON cannot hold (a bigint, a cycle) with them as strings, and goes on", () => {
    const cycle: Record<string, unknown> = { a: 1 }
    cycle.self = cycle
    const encoder = new Encoder()
    encoder.line(result({ input: { n: 10n }, output: cycle, expected: "ok" }))
    encoder.line(result({ input: "next", output: "é", expected: undefined }))
    const lines = encoder.take().split("\n")
    assert.deepStrictEqual(lines.length, 3)
    const first = JSON.parse(lines[0])
    assert.deepStrictEqual(first.input, { n: "10" })
    assert.deepStrictEqual(first.output, { a: 1, self: "[Circular]" })
    assert.strictEqual(lines[1], JSON.stringify(result({ input: "next", output: "é", expected: undefined })))
  })

  it.effect("writes the file's bytes in UTF-8 across many 64 KB writes, in flight or not, long lines whole", () =>
    Effect.gen(function*() {
      const dir = NodeFs.mkdtempSync(Path.join(Os.tmpdir(), "cases-file-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => NodeFs.rmSync(dir, { recursive: true, force: true })))
      const path = Path.join(dir, "nested", "run.cases.jsonl")
      const file = yield* CasesFile.open(path)
      if (typeof file === "string") return assert.fail(file)
      const results = [
        result({ input: "a".repeat(60_000), output: "ok", expected: 1 }),
        result({ input: "b".repeat(10_000) + "é".repeat(25_000), output: "ok", expected: 2 }),
        result({ input: "x".repeat(300_000) + "ü".repeat(100_000), output: { long: "🦊\n" }, expected: 3 }),
        // ~8 MB of short lines, about 130 chunks. The first 30,000 lines come with no turn of the event loop, so
        // chunks queue up past the point where the writer asks to be waited for; for the rest the loop turns every
        // 500 lines, so writes complete while lines are added.
        ...Array.from({ length: 40_000 }, (_, i) => result({ input: `case ${i} — ☃`, output: "ok", expected: i }))
      ]
      for (let i = 0; i < results.length; i++) {
        const wait = file.write(results[i])
        if (wait !== undefined && i > 30_000) yield* wait
        if (i > 30_000 && i % 500 === 0) yield* Effect.promise(() => new Promise((resolve) => setImmediate(resolve)))
      }
      assert.strictEqual(yield* file.close, undefined)
      const expected = Buffer.from(results.map((r) => JSON.stringify(r) + "\n").join(""), "utf8")
      assert.isTrue(NodeFs.readFileSync(path).equals(expected))
      assert.strictEqual(yield* file.close, undefined, "closing again changes nothing")
    }).pipe(Effect.scoped, Effect.provide(NodeContext.layer)))

  it.effect.skipIf(!NodeFs.existsSync("/dev/full"))(
    "a file whose writes fail (/dev/full) gives the error when it closes, and the run's lines are not retried",
    () =>
      Effect.gen(function*() {
        const file = yield* CasesFile.open("/dev/full")
        if (typeof file === "string") return assert.fail(file)
        for (let i = 0; i < 5_000; i++) file.write(result({ input: `case ${i}`, output: "ok", expected: i }))
        const failure = yield* file.close
        assert.match(failure ?? "", /^writing the cases file \/dev\/full failed: .*ENOSPC/)
      }).pipe(Effect.provide(NodeContext.layer))
  )

  it.effect("says why when the file cannot be opened", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* fs.makeTempDirectoryScoped({ prefix: "cases-file-" })
      const blocker = Path.join(dir, "not-a-dir")
      yield* fs.writeFileString(blocker, "")
      const opened = yield* CasesFile.open(Path.join(blocker, "run.cases.jsonl"))
      assert.isString(opened)
      assert.match(opened as string, /^cannot write the cases file .*not-a-dir\/run\.cases\.jsonl: /)
    }).pipe(Effect.scoped, Effect.provide(NodeContext.layer)))
})
