import { NodeFileSystem, NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import * as HeliconeScores from "@helicone-effect/core/HeliconeScores"
import * as RequestId from "@helicone-effect/core/RequestId"
import * as ScoreQueue from "@helicone-effect/core/ScoreQueue"
import { Effect, Layer, Redacted } from "effect"
import { files, tempDirectory } from "../../core/test/fixtures/queue/Support.js"
import * as Local from "./fixtures/Local.js"

describe("ScoreQueue keeps up with a healthy local Helicone", () => {
  it.live(
    "20,000 offers in a tight loop: every score stored, 0 in the outbox, soon after the last offer",
    () =>
      Effect.gen(function*() {
        const dir = yield* tempDirectory
        const { local } = yield* Local.server({})
        // the client with undici's keep-alive pool, as core's README advises for throughput; built in the test's
        // scope, so that the pool outlives the queue's construction
        const client = yield* Layer.build(
          HeliconeScores.layer({ apiKey: Redacted.make(Local.apiKey), baseUrl: local.baseUrl }).pipe(
            Layer.provide(NodeHttpClient.layerUndici)
          )
        )
        const queue = yield* ScoreQueue.make(files(dir)).pipe(Effect.provide(client))
        const expected = Array.from(
          { length: 20_000 },
          (_, n) => [RequestId.make(), { n, passed: n % 2 === 0 }] as const
        )

        const start = performance.now()
        for (const [requestId, scores] of expected) yield* queue.offer(requestId, scores)
        const offered = performance.now()
        const report = yield* queue.awaitDelivery({ timeout: "50 seconds" })
        const landed = performance.now()
        console.log(
          `20,000 offers in ${(offered - start).toFixed(0)} ms; every score accepted ` +
            `${(landed - offered).toFixed(0)} ms after the last offer (peak concurrency seen in stats: ` +
            `${(yield* queue.stats).concurrency})`
        )

        assert.deepStrictEqual(report, {
          complete: true,
          delivered: report.delivered,
          deadLettered: 0,
          inOutbox: 0,
          inMemory: 0
        })
        assert.isAtLeast(report.delivered, expected.length)
        const stored = expected.map(([requestId, scores]) =>
          [requestId, { n: scores.n, "passed-hcone-bool": scores.passed ? 1 : 0 }] as const
        )
        assert.deepStrictEqual(yield* Local.missing(local, stored), [])
        assert.strictEqual((yield* queue.stats).inOutbox, 0)
      }).pipe(Effect.scoped, Effect.provide(NodeFileSystem.layer)),
    120_000
  )
})
