import { NodeContext } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { Dataset, Eval, EvalReport, type Reporter, Scorers } from "../src/index.js"

const cases = (n: number) => Array.from({ length: n }, (_, i) => ({ input: i, expected: i, name: `case ${i}` }))

/** The inputs a run of `data` gave its task, in order, and the size the run started with. */
const inputs = <R>(data: Dataset.Dataset<number, number, R>) =>
  Effect.gen(function*() {
    let total: number | undefined = -1
    const sized: Reporter.Reporter = { onStart: (info) => Effect.sync(() => void (total = info.total)) }
    const report = yield* Eval.run(
      Eval.make({ name: "pick", data, task: (n: number) => n, scorers: [Scorers.exactMatch], concurrency: 4 }),
      { reporters: [sized] }
    )
    const results = [...report.cases].sort((a, b) => a.index - b.index)
    return { inputs: results.map((c) => c.input as number), total, report }
  })

describe("Dataset.take", () => {
  it.effect("the first n cases, with the size known for an array", () =>
    Effect.gen(function*() {
      const run = yield* inputs(Dataset.take(Dataset.fromIterable(cases(10)), 3))
      assert.deepStrictEqual(run.inputs, [0, 1, 2])
      assert.strictEqual(run.total, 3)
      assert.deepStrictEqual((yield* inputs(Dataset.take(Dataset.fromIterable(cases(2)), 5))).inputs, [0, 1])
      assert.deepStrictEqual((yield* inputs(Dataset.take(Dataset.fromIterable(cases(2)), 0))).inputs, [])
    }))

  it.effect("from a stream, which is not read past them", () =>
    Effect.gen(function*() {
      let pulled = 0
      const stream = Stream.fromIterable(cases(1000)).pipe(
        Stream.rechunk(1),
        Stream.tap(() => Effect.sync(() => pulled++))
      )
      const run = yield* inputs(Dataset.take(Dataset.fromStream(stream), 5))
      assert.deepStrictEqual(run.inputs, [0, 1, 2, 3, 4])
      assert.isBelow(pulled, 20)
    }))

  it("refuses a count that is not an integer >= 0", () => {
    assert.throws(() => Dataset.take(Dataset.fromIterable(cases(1)), -1), RangeError)
    assert.throws(() => Dataset.take(Dataset.fromIterable(cases(1)), 1.5), RangeError)
  })
})

describe("Dataset.filter", () => {
  it.effect("keeps the cases the predicate keeps, and every row that cannot be read", () =>
    Effect.gen(function*() {
      const even = (c: Dataset.Case<number, number>) => c.input % 2 === 0
      const run = yield* inputs(Dataset.filter(Dataset.fromIterable(cases(7)), even))
      assert.deepStrictEqual(run.inputs, [0, 2, 4, 6])
      assert.strictEqual(run.total, 4, "an array is filtered at once")

      const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "helicone-eval-pick-"))
      const file = Path.join(dir, "cases.jsonl")
      Fs.writeFileSync(file, `{"input": 1, "expected": 1}\nnot json\n{"input": 2, "expected": 2}\n`)
      const fromFile = yield* inputs(Dataset.filter(Dataset.jsonl<number, number>(file), even)).pipe(
        Effect.provide(NodeContext.layer),
        Effect.ensuring(Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true })))
      )
      assert.strictEqual(fromFile.total, undefined)
      assert.strictEqual(fromFile.report.totals.cases, 2)
      assert.deepStrictEqual(fromFile.report.cases.map((c) => c.errors.map((e) => e.source)).sort(), [[], ["data"]])
    }))
})

describe("Dataset.sample", () => {
  it.effect("n cases in the data's order, the same ones for the same seed", () =>
    Effect.gen(function*() {
      const data = Dataset.fromIterable(cases(100))
      const first = yield* inputs(Dataset.sample(data, 10, { seed: 42 }))
      const again = yield* inputs(Dataset.sample(data, 10, { seed: 42 }))
      const other = yield* inputs(Dataset.sample(data, 10, { seed: 43 }))
      assert.strictEqual(first.total, 10)
      assert.strictEqual(first.inputs.length, 10)
      assert.deepStrictEqual(first.inputs, [...first.inputs].sort((a, b) => a - b))
      assert.strictEqual(new Set(first.inputs).size, 10)
      assert.deepStrictEqual(again.inputs, first.inputs)
      assert.notDeepEqual(other.inputs, first.inputs)
      assert.deepStrictEqual((yield* inputs(Dataset.sample(Dataset.fromIterable(cases(3)), 10, { seed: 1 }))).inputs, [
        0,
        1,
        2
      ])
    }))

  it.effect("from a stream of unknown size", () =>
    Effect.gen(function*() {
      const stream = () => Stream.fromIterable(cases(500)).pipe(Stream.rechunk(7))
      const a = yield* inputs(Dataset.sample(Dataset.fromStream(stream()), 25, { seed: 9 }))
      const b = yield* inputs(Dataset.sample(Dataset.fromStream(stream()), 25, { seed: 9 }))
      assert.strictEqual(a.inputs.length, 25)
      assert.deepStrictEqual(a.inputs, b.inputs)
      assert.strictEqual(EvalReport.caseLabel(a.report.cases[0]), "#0 case " + a.inputs[0])
    }))

  it.effect("draws each case about as often as any other, and never one twice", () =>
    Effect.gen(function*() {
      const hits = new Array(20).fill(0)
      for (let seed = 0; seed < 400; seed++) {
        const n = seed % 12
        const picked = (yield* inputs(Dataset.sample(Dataset.fromIterable(cases(20)), n, { seed }))).inputs
        assert.strictEqual(picked.length, n)
        assert.strictEqual(new Set(picked).size, n)
        for (const i of picked) hits[i]++
      }
      const mean = hits.reduce((a, b) => a + b, 0) / hits.length
      for (const count of hits) assert.isBelow(Math.abs(count - mean) / mean, 0.3, hits.join(" "))
    }))
})
