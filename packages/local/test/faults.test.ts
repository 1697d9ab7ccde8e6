import { assert, describe, it } from "@effect/vitest"
import { Faults, LocalHelicone } from "@helicone-effect/local"
import { Effect, Exit, Fiber, Option, SchemaAST, Scope, TestClock } from "effect"
import { randomUUID } from "node:crypto"
import { postScore } from "./fixtures/Http.js"

const spec = { 429: 0.1, 503: 0.05, reset: 0.02, stall: 0.02 } as const

describe("Faults", () => {
  it.effect("parses the command-line form into the same spec as the object form", () =>
    Effect.gen(function*() {
      const parsed = yield* Faults.make("429=0.1, 503=0.05,reset=0.02,STALL=0.02")
      assert.deepStrictEqual(parsed, spec)
      assert.strictEqual(Faults.format(parsed), "429=0.1,503=0.05,reset=0.02,stall=0.02")
    }))

  it.effect("rejects unknown faults, rates outside [0, 1] and rates adding up to more than 1", () =>
    Effect.gen(function*() {
      for (const bad of ["418=0.1", "429=1.5", "429=abc", "429", "429=0.6,503=0.6"]) {
        const error = yield* Effect.flip(Faults.make(bad))
        assert.strictEqual(error._tag, "InvalidFaultSpec")
        assert.include(error.message, bad)
      }
    }))

  it("InvalidFaultSpec and DatabaseDirectoryError carry the package's namespaced identifiers", () => {
    // The identifier is what Schema prints for the class, e.g. in a parse error naming the schema.
    const identifier = (schema: { readonly ast: SchemaAST.AST }) =>
      Option.getOrUndefined(SchemaAST.getIdentifierAnnotation(SchemaAST.typeAST(schema.ast)))
    assert.strictEqual(identifier(Faults.InvalidFaultSpec), "@helicone-effect/local/InvalidFaultSpec")
    assert.strictEqual(
      identifier(LocalHelicone.DatabaseDirectoryError),
      "@helicone-effect/local/DatabaseDirectoryError"
    )
  })

  it("each fault happens at its rate, within tolerance, for a fixed seed", () => {
    const draws = 100_000
    const counts = new Map<string, number>()
    for (let n = 0; n < draws; n++) {
      const fault = String(Faults.faultAt(spec, 42, n) ?? "none")
      counts.set(fault, (counts.get(fault) ?? 0) + 1)
    }
    const expected: Record<string, number> = { 429: 0.1, 503: 0.05, reset: 0.02, stall: 0.02, none: 0.81 }
    assert.deepStrictEqual(new Set(counts.keys()), new Set(Object.keys(expected)))
    for (const [fault, rate] of Object.entries(expected)) {
      // 0.005 is more than 5 standard deviations for every rate here: a correct generator never trips it.
      assert.approximately(counts.get(fault)! / draws, rate, 0.005, fault)
    }
  })

  it("the sequence is a function of the seed: equal for equal seeds, different for different ones", () => {
    const sequence = (seed: number) => Array.from({ length: 2000 }, (_, n) => Faults.faultAt(spec, seed, n))
    assert.deepStrictEqual(sequence(7), sequence(7))
    assert.notDeepEqual(sequence(7), sequence(8))
  })
})

const httpSpec = "429=0.2,503=0.1,500=0.05,reset=0.05"
const outcome = (fault: Faults.Fault | undefined): number | "reset" | "stall" => fault === undefined ? 201 : fault

/** Sends `count` score submissions one after another; returns what each got (a status, or "reset"). */
const run = (seed: number, count: number) =>
  Effect.gen(function*() {
    const local = yield* LocalHelicone.make({ acceptUnknownRequests: true, faults: httpSpec, seed })
    const id = randomUUID()
    const outcomes: Array<number | "reset" | "stall"> = []
    for (let i = 0; i < count; i++) {
      const reply = yield* Effect.either(postScore(local.baseUrl, id, { scores: { [`k${i}`]: i } }))
      if (reply._tag === "Left") {
        outcomes.push("reset")
        continue
      }
      outcomes.push(reply.right.status)
      if (reply.right.status === 429) {
        assert.strictEqual(reply.right.body, `{"error":"Too many requests, please try again later."}`)
        assert.strictEqual(reply.right.headers.get("retry-after"), "1")
        assert.isNotNull(reply.right.headers.get("ratelimit-limit"))
        assert.strictEqual(reply.right.headers.get("ratelimit-remaining"), "0")
        assert.isNotNull(reply.right.headers.get("ratelimit-reset"))
      }
    }
    return { outcomes, stored: (yield* local.scores(id)) ?? {}, requestCount: yield* local.requestCount }
  }).pipe(Effect.scoped)

describe("fault injection over HTTP", () => {
  it.live("the n-th request gets faultAt(seed, n); two runs with one seed agree; faulted requests store nothing", () =>
    Effect.gen(function*() {
      const count = 150
      const first = yield* run(7, count)
      const second = yield* run(7, count)
      assert.deepStrictEqual(first.outcomes, second.outcomes)

      const faults = yield* Faults.make(httpSpec)
      const predicted = Array.from({ length: count }, (_, n) => outcome(Faults.faultAt(faults, 7, n)))
      assert.deepStrictEqual(first.outcomes, predicted)
      for (const expected of [201, 429, 503, 500, "reset"]) assert.include(first.outcomes, expected)

      const accepted = first.outcomes.flatMap((status, i) => status === 201 ? [`k${i}`] : [])
      assert.deepStrictEqual(Object.keys(first.stored).sort(), accepted.sort())
      assert.strictEqual(first.requestCount, count)
    }))

  it.scoped("the running server exposes the faults it parsed, which is what the bin prints", () =>
    Effect.gen(function*() {
      const local = yield* LocalHelicone.make({ acceptUnknownRequests: true, faults: " 503=0.05, STALL=0.02", seed: 3 })
      assert.deepStrictEqual(local.faults, { 503: 0.05, stall: 0.02 })
      assert.strictEqual(Faults.format(local.faults), "503=0.05,stall=0.02")
      assert.deepStrictEqual((yield* LocalHelicone.make({ acceptUnknownRequests: true })).faults, {})
    }))

  it.live("a stalled request is never answered and does not keep the server from shutting down", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const local = yield* LocalHelicone.make({ acceptUnknownRequests: true, faults: "stall=1" }).pipe(
        Scope.extend(scope)
      )
      const id = randomUUID()
      const pending = yield* Effect.fork(postScore(local.baseUrl, id, { scores: { a: 1 } }))
      while ((yield* local.requestCount) < 1) yield* Effect.sleep("5 millis")
      assert.isNull(yield* local.scores(id))

      yield* Scope.close(scope, Exit.void)
      const exit = yield* Fiber.await(pending)
      assert.isTrue(Exit.isFailure(exit), "the stalled client sees its connection closed, not a response")
    }))

  it.live("--rate-limit answers 429 with Retry-After past N requests per key in the window, and stores nothing", () =>
    Effect.gen(function*() {
      const local = yield* LocalHelicone.make({ acceptUnknownRequests: true, rateLimit: 3 })
      const id = randomUUID()
      const statuses: Array<number> = []
      for (let i = 0; i < 5; i++) {
        const reply = yield* postScore(local.baseUrl, id, { scores: { [`k${i}`]: i } }, "sk-a")
        statuses.push(reply.status)
        if (i === 0) assert.strictEqual(reply.headers.get("ratelimit-remaining"), "2")
        if (reply.status === 429) {
          const retryAfter = Number(reply.headers.get("retry-after"))
          assert.isTrue(retryAfter >= 1 && retryAfter <= 300, `Retry-After ${retryAfter}`)
          assert.strictEqual(reply.headers.get("ratelimit-limit"), "3")
        }
      }
      assert.deepStrictEqual(statuses, [201, 201, 201, 429, 429])
      assert.deepStrictEqual(yield* local.scores(id), { k0: 0, k1: 1, k2: 2 })

      const other = yield* postScore(local.baseUrl, id, { scores: { other: 1 } }, "sk-b")
      assert.strictEqual(other.status, 201, "the limit is per key")
    }).pipe(Effect.scoped))

  it.effect("the window resets five minutes after the key's first request (Clock-driven: TestClock)", () =>
    Effect.gen(function*() {
      const local = yield* LocalHelicone.make({ acceptUnknownRequests: true, rateLimit: 2 })
      const post = (name: string) => postScore(local.baseUrl, id, { scores: { [name]: 1 } }, "sk-a")
      const id = randomUUID()
      assert.strictEqual((yield* post("a")).status, 201)
      assert.strictEqual((yield* post("b")).status, 201)
      const limited = yield* post("c")
      assert.strictEqual(limited.status, 429)
      assert.strictEqual(limited.headers.get("retry-after"), "300")

      yield* TestClock.adjust("2 minutes")
      const stillLimited = yield* post("d")
      assert.strictEqual(stillLimited.status, 429)
      assert.strictEqual(stillLimited.headers.get("retry-after"), "180")

      yield* TestClock.adjust("3 minutes")
      const fresh = yield* post("e")
      assert.strictEqual(fresh.status, 201, "a new window")
      assert.strictEqual(fresh.headers.get("ratelimit-remaining"), "1")
      assert.deepStrictEqual(yield* local.scores(id), { a: 1, b: 1, e: 1 })
    }).pipe(Effect.scoped))
})
