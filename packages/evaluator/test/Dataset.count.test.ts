import { NodeContext } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { Dataset, Eval, type Reporter, Scorers } from "../src/index.js"

const tempDir = Effect.acquireRelease(
  Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), "helicone-eval-count-"))),
  (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
)

/** Runs a JSONL suite and gives back the total its reporters were told at the start. */
const totalOf = (path: string, trials = 1) =>
  Effect.gen(function*() {
    let total = "not started" as number | undefined | "not started"
    const reporter: Reporter.Reporter = { onStart: (run) => Effect.sync(() => void (total = run.total)) }
    const report = yield* Eval.run(
      Eval.make({
        name: "count",
        data: Dataset.jsonl<number, number>(path),
        task: (n: number) => n,
        scorers: [Scorers.exactMatch],
        trials
      }),
      { reporters: [reporter] }
    )
    return { total, cases: report.totals.cases }
  })

describe("Dataset.jsonl's total, for progress", () => {
  it.scoped("counts the lines a run reads, an unreadable one included and blank ones not, times the trials", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = Path.join(dir, "cases.jsonl")
      const long = JSON.stringify({ input: 3, expected: 3, metadata: { text: "x".repeat(3 * 1024 * 1024) } })
      Fs.writeFileSync(
        file,
        `\uFEFF{"input":1,"expected":1}\n\n   \n{"input":2,"expected":2}\r\nnot json\n${long}\n{"input":4,"expected":4}`
      )
      assert.deepStrictEqual(yield* totalOf(file), { total: 5, cases: 5 })
      const clean = Path.join(dir, "clean.jsonl")
      Fs.writeFileSync(clean, `{"input":1,"expected":1}\n{"input":2,"expected":2}\n`)
      assert.deepStrictEqual(yield* totalOf(clean, 3), { total: 6, cases: 6 })
    }).pipe(Effect.provide(NodeContext.layer)))

  it.scoped("a file that cannot be read has no total, and the run says why as before", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const result = yield* totalOf(Path.join(dir, "missing.jsonl"))
      assert.strictEqual(result.total, undefined)
      assert.strictEqual(result.cases, 1)
    }).pipe(Effect.provide(NodeContext.layer)))
})

describe("Eval.run over Dataset.jsonl", () => {
  it.live("needs no Scope from its caller: the count before the run is scoped to the run", () =>
    Effect.gen(function*() {
      const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "helicone-eval-count-"))
      try {
        const file = Path.join(dir, "cases.jsonl")
        Fs.writeFileSync(file, `{"input":1,"expected":1}\n{"input":2,"expected":2}\n`)
        // run as a program does it: Effect.runPromise with the platform layer, no Scope
        const report = yield* Effect.promise(() =>
          Effect.runPromise(
            Eval.run(
              Eval.make({
                name: "jsonl",
                data: Dataset.jsonl<number, number>(file),
                task: (n: number) => n,
                scorers: []
              })
            ).pipe(Effect.provide(NodeContext.layer))
          )
        )
        assert.strictEqual(report.totals.cases, 2)
      } finally {
        Fs.rmSync(dir, { recursive: true, force: true })
      }
    }))
})
