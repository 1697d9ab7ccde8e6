import { NodeFileSystem } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import * as RequestId from "@helicone-effect/core/RequestId"
import { Effect, FastCheck as fc } from "effect"
import { tempDirectory } from "../../core/test/fixtures/queue/Support.js"
import * as Local from "./fixtures/Local.js"

const validId = fc.uuid({ version: [1, 2, 3, 4, 5] })

/** Request ids that must be refused: other UUID versions, malformed UUIDs, path tricks, non-strings. */
const badId: fc.Arbitrary<unknown> = fc.oneof(
  fc.uuid({ version: [6, 7, 8] }),
  validId.map((u) => `${u.slice(0, 14)}0${u.slice(15)}`), // version 0
  validId.map((u) => `${u.slice(0, 19)}c${u.slice(20)}`), // wrong variant
  validId.map((u) => u.replace(/-/g, "")),
  validId.map((u) => u.slice(0, -1)),
  validId.map((u) => `${u}0`),
  validId.map((u) => ` ${u}`),
  validId.map((u) => `${u}\n`),
  validId.map((u) => `${u}/score`),
  validId.map((u) => `../${u}`),
  validId.map((u) => `${u}?x=1`),
  validId.map((u) => `${u}#`),
  validId.map((u) => `${u.slice(0, 9)}%2e%2e${u.slice(15)}`),
  validId.map((u) => u.replace(/[a-f]/, "g")),
  fc.constantFrom("", " ", "..", "../../etc/passwd", "%2e%2e%2f", "null", "undefined", "\u0000"),
  fc.string({ maxLength: 40 }),
  fc.integer(),
  fc.constantFrom(null, undefined, true, {}, [], new Date(0))
).filter((u) => !RequestId.is(u))

const goodName = fc.string({ minLength: 1, maxLength: 20 }).filter((name) =>
  name.trim().length > 0 && name !== "helicone-score-feedback" && name !== "__proto__"
)
const goodValue = fc.oneof(fc.boolean(), fc.integer())

/** A score value that must be refused. */
const badValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter((x) => !Number.isInteger(x)),
  fc.constantFrom(Number.NaN, Infinity, -Infinity, 2 ** 53, -(2 ** 53), 1e300, Number.MAX_VALUE, -Number.MAX_VALUE),
  fc.bigInt(),
  fc.string({ maxLength: 5 }),
  fc.constantFrom(null, undefined, {}, [], [1], new Date(0), "1", "true")
)

/** A score name that must be refused. */
const badName = fc.constantFrom("", " ", "   ", "\t\n", "\u00a0", "helicone-score-feedback", "x".repeat(257))

/** A valid map with one bad entry put somewhere in it. */
const withOneBad = (size: fc.Arbitrary<number>) =>
  fc.tuple(
    fc.dictionary(goodName, goodValue, { maxKeys: 8 }),
    size,
    fc.oneof(
      fc.tuple(goodName, badValue),
      fc.tuple(badName, goodValue as fc.Arbitrary<unknown>)
    )
  ).map(([valid, padding, [name, value]]) => {
    // the bad entry's name appears once, or a later good entry would replace it
    const entries: Array<[string, unknown]> = Object.entries(valid).filter(([key]) => key !== name)
    for (let i = 0; i < padding; i++) if (`k${i}` !== name) entries.push([`k${i}`, i])
    entries.splice(entries.length === 0 ? 0 : padding % entries.length, 0, [name, value])
    return Object.fromEntries(entries)
  })

/** Score maps that must be refused: bad values or names, huge maps with one bad entry, non-objects. */
const badScores: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: withOneBad(fc.constant(0)), weight: 20 },
  { arbitrary: withOneBad(fc.constant(10_000)), weight: 1 },
  {
    arbitrary: fc.oneof(
      fc.string(),
      fc.integer(),
      fc.array(goodValue),
      fc.constantFrom(null, undefined, true, new Date(0), new Map([["a", 1]]), new (class Scores {})())
    ),
    weight: 4
  }
)

const badInput = fc.oneof(
  fc.tuple(badId, fc.dictionary(goodName, goodValue, { maxKeys: 4 }) as fc.Arbitrary<unknown>),
  fc.tuple(validId as fc.Arbitrary<unknown>, badScores),
  fc.tuple(badId, badScores)
)

const show = (u: unknown): string => {
  try {
    const text = JSON.stringify(u, (_, v) => typeof v === "bigint" ? `${v}n` : v)
    return text === undefined ? String(u) : text.slice(0, 300)
  } catch {
    return String(u)
  }
}

describe("ScoreQueue with bad input", () => {
  it.live(
    "10,000 generated bad offers: each a typed error, none queued, no request sent, no defect",
    () =>
      Effect.gen(function*() {
        const dir = yield* tempDirectory
        const { local } = yield* Local.server({})
        const { queue } = yield* Local.queue(local.baseUrl, {
          outboxPath: `${dir}/outbox.jsonl`,
          deadLetterPath: `${dir}/dead-letter.jsonl`
        })
        const inputs = fc.sample(badInput, { numRuns: 10_000, seed: 20261127 })
        const tags = new Map<string, number>()
        for (const [requestId, scores] of inputs) {
          // a defect (or success) here fails the test
          const error = yield* Effect.flip(queue.offer(requestId as string, scores as Record<string, unknown>)).pipe(
            Effect.catchAll(() => Effect.dieMessage(`accepted: ${String(requestId)} ${show(scores)}`))
          )
          tags.set(error._tag, (tags.get(error._tag) ?? 0) + 1)
        }
        yield* queue.flush
        assert.deepStrictEqual([...tags.keys()].sort(), ["InvalidRequestId", "InvalidScores"])
        assert.strictEqual((tags.get("InvalidRequestId") ?? 0) + (tags.get("InvalidScores") ?? 0), 10_000)
        const stats = yield* queue.stats
        assert.strictEqual(stats.invalid, 10_000)
        assert.strictEqual(stats.queued + stats.inFlight + stats.delivered + stats.inOutbox, 0)
        assert.strictEqual(yield* local.requestCount, 0)
      }).pipe(Effect.scoped, Effect.provide(NodeFileSystem.layer)),
    60_000
  )
})
