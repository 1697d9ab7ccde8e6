import { FileSystem } from "@effect/platform"
import { NodeContext } from "@effect/platform-node"
import { assert, describe, it, layer } from "@effect/vitest"
import { Effect, FastCheck as fc } from "effect"
import { Eval, EvalReport, Reporter, Scorer } from "../src/index.js"

// Values a task or a scorer may throw, reject with or return, each of which once failed `Eval.run` or its reporters.

/** An error whose `message` getter throws. */
const messageThrows = () => {
  const error = new Error("never read")
  Object.defineProperty(error, "message", {
    get() {
      throw new Error("the message getter threw")
    }
  })
  return error
}
const revoked = () => {
  const { proxy, revoke } = Proxy.revocable({}, {})
  revoke()
  return proxy
}
const thenThrows = () => ({
  get then(): never {
    throw new Error("the then getter threw")
  }
})
const frozenCycle = () => {
  const value: { a: number; self?: unknown } = { a: 1 }
  value.self = value
  return Object.freeze(value)
}
const toJsonThrows = () => ({
  toJSON(): never {
    throw new Error("toJSON threw")
  }
})
const getterThrows = () => ({
  ok: 1,
  get broken(): never {
    throw new Error("the getter threw")
  }
})

const hostile: ReadonlyArray<readonly [string, () => unknown]> = [
  ["an error whose message getter throws", messageThrows],
  ["a revoked Proxy", revoked],
  ["an object whose then getter throws", thenThrows],
  ["a Symbol", () => Symbol("hostile")],
  ["null", () => null],
  ["undefined", () => undefined],
  ["a frozen cyclic object", frozenCycle],
  ["an object whose toJSON throws", toJsonThrows],
  ["an object with a getter that throws", getterThrows],
  ["a bigint", () => 10n]
]

const oneCase = (task: (input: number) => unknown, scorers: ReadonlyArray<Scorer.Scorer<any, any, any, any>> = []) =>
  Eval.make({ name: "hostile", data: [{ input: 1 }], task, scorers })

/** The one case's errors, as a run reports them: the run itself must succeed. */
const errorsOf = (suite: Eval.Suite<number, unknown>) =>
  Effect.map(Eval.run(suite), (report) => {
    assert.strictEqual(report.totals.cases, 1)
    return report.cases[0].errors.map((error) => `${error.scorer ?? error.source}: ${error.message}`)
  })

describe("Eval.run with hostile values", () => {
  for (const [name, make] of hostile) {
    it.effect(`a task that throws ${name}, rejects with it or fails or dies with it gets a task error`, () =>
      Effect.gen(function*() {
        const tasks: ReadonlyArray<(input: number) => unknown> = [
          () => {
            throw make()
          },
          () => Promise.reject(make()),
          () => Effect.suspend(() => Effect.fail(make())),
          () => Effect.suspend(() => Effect.die(make()))
        ]
        for (const task of tasks) {
          const errors = yield* errorsOf(oneCase(task))
          assert.strictEqual(errors.length, 1)
          assert.match(errors[0], /^task: ./)
        }
      }))

    it.effect(`a scorer that throws ${name} or rejects with it gets a scorer error, the other scorer its score`, () =>
      Effect.gen(function*() {
        const scorers = [
          Scorer.make("throws", () => {
            throw make()
          }),
          Scorer.make("rejects", () => Promise.reject(make())),
          Scorer.make("returns", () => make() as number),
          Scorer.make("fine", () => 1)
        ]
        const report = yield* Eval.run(oneCase((n) => n, scorers))
        const [result] = report.cases
        assert.deepStrictEqual(result.errors.map((error) => error.scorer), ["throws", "rejects", "returns"])
        for (const error of result.errors) assert.isAbove(error.message.length, 0)
        assert.deepStrictEqual(result.scores.map((score) => score.name), ["fine"])
      }))
  }

  it.effect("the messages say what a hostile value could be read of", () =>
    Effect.gen(function*() {
      const thrown = (make: () => unknown) =>
        Effect.map(
          errorsOf(oneCase(() => {
            throw make()
          })),
          (errors) => errors[0]
        )
      assert.strictEqual(
        yield* thrown(messageThrows),
        "task: Error whose message cannot be read (the message getter threw)"
      )
      assert.match(yield* thrown(revoked), /^task: a value that cannot be read \(.*revoked/)
      assert.strictEqual(yield* thrown(() => Symbol("hostile")), "task: Symbol(hostile)")
      assert.strictEqual(yield* thrown(frozenCycle), `task: {"a":1,"self":"[Circular]"}`)
      assert.strictEqual(
        yield* thrown(toJsonThrows),
        "task: a value that cannot be read (its toJSON threw: toJSON threw)"
      )
      // `await` takes a `then` that cannot be read as a rejection: so does a run, for a task and a scorer alike
      assert.deepStrictEqual(yield* errorsOf(oneCase(thenThrows)), ["task: the then getter threw"])
      assert.deepStrictEqual(
        yield* errorsOf(oneCase((n) => n, [Scorer.make("judge", thenThrows as unknown as () => number)])),
        [`judge: Scorer "judge" threw: the then getter threw`]
      )
      assert.match((yield* errorsOf(oneCase(revoked)))[0], /^task: .*revoked/)
    }))

  it.effect("a scorer's result whose score cannot be read is an invalid score", () =>
    Effect.gen(function*() {
      const scorer = Scorer.make("odd", () => ({
        get score(): never {
          throw new Error("no score today")
        }
      }))
      assert.deepStrictEqual(yield* errorsOf(oneCase((n) => n, [scorer])), [
        `odd: Scorer "odd" returned an invalid score: its result cannot be read: no score today`
      ])
    }))

  it.effect("any value at all thrown, returned or rejected with never fails the run", () =>
    Effect.gen(function*() {
      // fast-check reads the values it generates: the hostile ones are made after it is done with them
      const values = fc.oneof(
        fc.anything().map((value) => () => value),
        fc.constantFrom(...hostile.map(([, make]) => make))
      )
      const samples = fc.sample(fc.tuple(values, fc.integer({ min: 0, max: 3 })), 200)
      for (const [make, how] of samples) {
        const value = make()
        const task = [
          () => value,
          () => {
            throw value
          },
          () => Promise.reject(value),
          () => Effect.die(value)
        ][how]
        const scorer = Scorer.make("same", () => value as number)
        const report = yield* Eval.run(oneCase(task, [scorer]))
        assert.strictEqual(report.totals.cases, 1)
        assert.strictEqual(typeof EvalReport.toJson(report), "string")
      }
    }))
})

layer(NodeContext.layer)("reporters and the cases file with outputs JSON cannot hold", (it) => {
  const outputs: ReadonlyArray<unknown> = [
    toJsonThrows(),
    10n,
    frozenCycle(),
    { nested: revoked() },
    getterThrows(),
    "fine"
  ]
  const suite = Eval.make({
    name: "outputs",
    data: outputs.map((_, i) => ({ input: i })),
    task: (i: number) => outputs[i],
    scorers: [Scorer.make("one", () => 1)]
  })
  const written = [
    "[unwritable: its toJSON threw: toJSON threw]",
    "10",
    { a: 1, self: "[Circular]" },
    { nested: "[unwritable: reading it threw: Cannot perform 'get' on a proxy that has been revoked]" },
    { ok: 1, broken: "[unwritable: reading it threw: the getter threw]" },
    "fine"
  ]

  it.scoped("the JSON and HTML reporters write their files, with a warning naming each value not written", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* fs.makeTempDirectoryScoped()
      const report = yield* Eval.run(suite, {
        reporters: [Reporter.json(`${dir}/report.json`), Reporter.html(`${dir}/report.html`)]
      })
      assert.strictEqual(report.totals.cases, 6)
      assert.strictEqual(report.totals.errored, 0)
      const read = yield* EvalReport.fromJson(yield* fs.readFileString(`${dir}/report.json`))
      assert.deepStrictEqual(read.cases.map((c) => c.output), written)
      const html = yield* fs.readFileString(`${dir}/report.html`)
      assert.include(html, "[unwritable: its toJSON threw: toJSON threw]")
      assert.deepStrictEqual(report.warnings, [
        `the JSON report ${dir}/report.json: 3 values could not be written as JSON and are written as ` +
        `"[unwritable: …]" in their places (cases[0].output: its toJSON threw: toJSON threw; cases[3].output.nested: ` +
        `reading it threw: Cannot perform 'get' on a proxy that has been revoked; cases[4].output.broken: reading ` +
        `it threw: the getter threw)`,
        `the HTML report ${dir}/report.html: 3 values could not be written as JSON and are written as ` +
        `"[unwritable: …]" in their places (#0 output: its toJSON threw: toJSON threw; #3 output.nested: reading ` +
        `it threw: Cannot perform 'get' on a proxy that has been revoked; #4 output.broken: reading it threw: the ` +
        `getter threw)`
      ])
    }))

  it.scoped("the cases file holds every case as a JSON line, with a warning naming each value not written", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* fs.makeTempDirectoryScoped()
      const casesFile = `${dir}/cases.jsonl`
      const report = yield* Eval.run(suite, { casesFile })
      const lines = (yield* fs.readFileString(casesFile)).trimEnd().split("\n").map((line) => JSON.parse(line))
      assert.deepStrictEqual(lines.map((line) => line.output), written)
      assert.deepStrictEqual(lines.map((line) => line.scores.length), [1, 1, 1, 1, 1, 1])
      assert.strictEqual(report.warnings?.length, 1)
      assert.include(report.warnings![0], `the cases file ${casesFile}: 3 values could not be written as JSON`)
      assert.include(report.warnings![0], "#0 output: its toJSON threw: toJSON threw")
    }))

  it.effect("a reporter that fails with a hostile value is a warning; a ReporterWarning is listed in its own words", () =>
    Effect.gen(function*() {
      const report = yield* Eval.run(suite, {
        reporters: [
          { onEnd: () => Effect.fail(revoked()) },
          { onEnd: () => Effect.die(messageThrows()) },
          { onEnd: () => Effect.fail(new Reporter.ReporterWarning({ warning: "uploaded 3 of 6 cases" })) },
          { onStart: () => Effect.fail(revoked()) }
        ]
      })
      assert.strictEqual(report.totals.cases, 6)
      const warnings = report.warnings ?? []
      assert.strictEqual(warnings.length, 4)
      assert.match(warnings[0], /^a reporter failed to start: /)
      assert.match(warnings[1], /^a reporter failed: /)
      assert.match(warnings[2], /^a reporter failed: /)
      assert.strictEqual(warnings[3], "uploaded 3 of 6 cases")
    }))
})
