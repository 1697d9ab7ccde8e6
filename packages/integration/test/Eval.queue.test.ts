/**
 * `Eval.run` with `helicone` and a `ScoreQueue` in the context: scores go through the durable queue, against the
 * local server over real HTTP.
 */
import { NodeFileSystem } from "@effect/platform-node"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { assert, describe, it } from "@effect/vitest"
import { HeliconeScores, ScoreQueue } from "@helicone-effect/core"
import { Eval, Reporter, Scorer } from "@helicone-effect/evaluator"
import { LocalHelicone } from "@helicone-effect/local"
import { Effect, Layer, Redacted } from "effect"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { expectedScores, numbersSuite } from "./fixtures/HeliconeSuite.js"

const tempDir = Effect.acquireRelease(
  Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), "eval-queue-"))),
  (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
)

const files = (dir: string) => ({
  outboxPath: Path.join(dir, "outbox.jsonl"),
  deadLetterPath: Path.join(dir, "dead-letter.jsonl")
})

/** HeliconeScores against the local server, and a ScoreQueue over it (both in the context). */
const queued = (
  local: LocalHelicone.Service,
  dir: string,
  options: { readonly apiKey?: string; readonly scores?: Partial<HeliconeScores.Options> } = {}
) =>
  ScoreQueue.layer({ ...files(dir), replayInterval: "1 hour" }).pipe(
    Layer.provideMerge(
      HeliconeScores.layer({
        apiKey: Redacted.make(options.apiKey ?? "sk-eval"),
        baseUrl: local.baseUrl,
        ...options.scores
      })
    ),
    Layer.provide([FetchHttpClient.layer, NodeFileSystem.layer])
  )

const lines = (path: string): Array<{ requestId: string; scores: Record<string, unknown> }> =>
  Fs.existsSync(path)
    ? Fs.readFileSync(path, "utf8").split("\n").filter((line) => line.trim() !== "").map((line) => JSON.parse(line))
    : []

/**
 * What the outbox holds: the queue replays it from `<outbox>.replay` (renamed from the outbox, rewritten after a
 * failed pass), so the entries are in either file; polled until the set stops moving between them.
 */
const outboxHolds = (dir: string, requestIds: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const read = () => [...lines(`${files(dir).outboxPath}.replay`), ...lines(files(dir).outboxPath)]
    const expected = requestIds.map((id) => id.toLowerCase()).sort()
    let seen: Array<string> = []
    yield* eventually(Effect.sync(() => {
      seen = read().map((line) => line.requestId).sort()
      return seen.length === expected.length && seen.every((id, i) => id === expected[i])
    })).pipe(Effect.catchAllDefect(() =>
      Effect.dieMessage(
        `the outbox never held exactly the ${expected.length} ids; last seen ${seen.length}: ${
          JSON.stringify(seen)
        } (files: ${Fs.readdirSync(dir).join(", ")})`
      )
    ))
    return read()
  })

/** The terminal summary as a user sees it. */
const terminal = () => {
  let text = ""
  return { reporter: Reporter.terminal({ write: (t) => void (text += t), tty: false, color: false }), text: () => text }
}

/**
 * Polls real I/O (the queue's background replay) until the condition holds; dies after ~60 s (generous: on 2 loaded
 * cores a replay against the local server can take seconds, and a budget is not what these tests assert).
 */
const eventually = <E, R>(condition: Effect.Effect<boolean, E, R>) =>
  Effect.gen(function*() {
    for (let i = 0; i < 6000; i++) {
      if (yield* condition) return
      yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 10)))
    }
    return yield* Effect.dieMessage("condition not met in time")
  })

const suite = numbersSuite("queued")

describe("Eval.run with Helicone through a ScoreQueue", () => {
  it.live("offers every case's scores to the queue; at the end all are stored and the summary says delivered", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const local = yield* LocalHelicone.make({ acceptUnknownRequests: true })
      const out = terminal()
      const report = yield* Eval.run(suite, { helicone: { strict: true }, reporters: [out.reporter] }).pipe(
        Effect.provide(queued(local, dir))
      )

      assert.deepStrictEqual(report.helicone, {
        delivery: "queue",
        submitted: 12,
        failed: 0,
        skipped: 0,
        failures: [],
        delivered: 12,
        outbox: 0,
        deadLettered: 0
      })
      assert.isTrue(report.passed)
      for (const c of report.cases) {
        assert.deepStrictEqual(yield* local.scores(c.requestId), expectedScores(c.index), `case ${c.index}`)
      }
      assert.include(out.text(), "helicone: 12 queued, 12 delivered, 0 in outbox, 0 dead-lettered\n")
      assert.deepStrictEqual(lines(files(dir).outboxPath), [])
    }).pipe(Effect.scoped))

  it.live(
    "Helicone down for the whole run: the run finishes, the scores wait in the outbox, a later queue delivers",
    () =>
      Effect.gen(function*() {
        const dir = yield* tempDir
        const ids = yield* Effect.scoped(Effect.gen(function*() {
          const down = yield* LocalHelicone.make({ acceptUnknownRequests: true, faults: "503=1" })
          const layer = queued(down, dir, { scores: { retry: { maxAttempts: 2, baseDelay: "1 millis" } } })
          return yield* Effect.gen(function*() {
            const out = terminal()
            const report = yield* Eval.run(suite, { helicone: {}, reporters: [out.reporter] })
            assert.isTrue(report.passed, "what waits in the outbox does not fail the run unless strict")
            assert.deepStrictEqual(report.helicone, {
              delivery: "queue",
              submitted: 12,
              failed: 0,
              skipped: 0,
              failures: [],
              delivered: 0,
              outbox: 12,
              deadLettered: 0
            })
            assert.include(out.text(), "helicone: 12 queued, 0 delivered, 12 in outbox, 0 dead-lettered\n")
            assert.include(out.text(), "queued: PASSED")

            // the outbox file holds every case's scores, as they are to be sent
            const outbox = yield* outboxHolds(dir, report.cases.map((c) => c.requestId))
            for (const c of report.cases) {
              const line = outbox.find((l) => l.requestId === c.requestId.toLowerCase())!
              assert.deepStrictEqual(line.scores, {
                exactMatch: c.index % 3 === 0 ? 0 : 100,
                even: c.index % 2 === 0,
                partial: 46
              })
            }

            const strictOut = terminal()
            const strict = yield* Eval.run(suite, { helicone: { strict: true }, reporters: [strictOut.reporter] })
            assert.isFalse(strict.passed, "strict fails a run whose scores are left in the outbox")
            assert.strictEqual(strict.helicone!.outbox, 12)
            assert.include(strictOut.text(), "queued: FAILED", "the reporters see the strict verdict too")
            const both = [...report.cases, ...strict.cases]
            yield* outboxHolds(dir, both.map((c) => c.requestId))
            assert.strictEqual((yield* ScoreQueue.stats).inOutbox, 24)
            return both
          }).pipe(Effect.provide(layer))
        }))

        const up = yield* LocalHelicone.make({ acceptUnknownRequests: true })
        yield* Effect.gen(function*() {
          const queue = yield* ScoreQueue.ScoreQueue
          yield* eventually(Effect.map(queue.stats, (s) => s.inOutbox === 0 && s.queued === 0 && s.inFlight === 0))
        }).pipe(Effect.provide(queued(up, dir)))
        for (const c of ids) {
          assert.deepStrictEqual(yield* up.scores(c.requestId), expectedScores(c.index), `case ${c.index}`)
        }
        assert.deepStrictEqual(yield* outboxHolds(dir, []), [])
      }).pipe(Effect.scoped),
    150_000
  )

  it.live("Helicone refuses the key: delivery halts, the scores stay in the outbox, strict fails", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const local = yield* LocalHelicone.make({ acceptUnknownRequests: true, apiKeys: ["sk-the-right-one"] })
      const report = yield* Eval.run(suite, { helicone: { strict: true } }).pipe(
        Effect.provide(queued(local, dir, { apiKey: "sk-wrong" }))
      )
      assert.strictEqual(report.helicone!.deadLettered, 0)
      assert.strictEqual(report.helicone!.delivered, 0)
      assert.isFalse(report.passed)
      // nothing is wrong with the scores: once the key is fixed, the outbox delivers every one of them
      const held = yield* outboxHolds(dir, report.cases.map((c) => c.requestId))
      assert.strictEqual(held.length, report.cases.length)
    }).pipe(Effect.scoped))

  it.live("scores the queue refuses (an invalid score name) count as failed, with the error", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const local = yield* LocalHelicone.make({ acceptUnknownRequests: true })
      const reserved = Eval.make({
        name: "reserved",
        data: [{ input: 1 }, { input: 2 }],
        task: (n: number) => n,
        scorers: [Scorer.make("helicone-score-feedback", () => 1)]
      })
      const report = yield* Eval.run(reserved, { helicone: {} }).pipe(Effect.provide(queued(local, dir)))
      const summary = report.helicone!
      assert.strictEqual(summary.failed, 2)
      assert.strictEqual(summary.submitted, 0)
      assert.strictEqual(summary.failures[0].error, "InvalidScores")
      assert.include(report.cases.map((c) => c.requestId), summary.failures[0].requestId)
      assert.isTrue(report.passed)
      assert.strictEqual(yield* local.requestCount, 0)

      const strict = yield* Eval.run(reserved, { helicone: { strict: true } }).pipe(
        Effect.provide(queued(local, dir))
      )
      assert.isFalse(strict.passed)
    }).pipe(Effect.scoped))

  it.live("without a ScoreQueue the run submits directly, as before", () =>
    Effect.gen(function*() {
      const local = yield* LocalHelicone.make({ acceptUnknownRequests: true })
      const report = yield* Eval.run(suite, { helicone: {} }).pipe(
        Effect.provide(
          HeliconeScores.layer({ apiKey: Redacted.make("sk-eval"), baseUrl: local.baseUrl }).pipe(
            Layer.provide(FetchHttpClient.layer)
          )
        )
      )
      assert.strictEqual(report.helicone!.delivery, "direct")
      assert.strictEqual(report.helicone!.submitted, 12)
      assert.isUndefined(report.helicone!.delivered)
    }).pipe(Effect.scoped))
})
