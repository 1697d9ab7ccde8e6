import { assert, describe, expect, it } from "@effect/vitest"
import { HeliconeError } from "@helicone-effect/core"
import { Effect, Fiber } from "effect"
import { requestId, setup, wakeUpNext } from "./fixtures/Harness.js"
import { helicone, json, respond } from "./fixtures/ScriptedServer.js"

const scores = { accuracy: 92 }
const slowTimeout = { timeout: "1 hour" } as const

/** A proxy's error page, as Cloudflare sends for an origin it cannot reach (522) or that is too slow (524). */
const cloudflarePage = (status: number, title: string) =>
  respond(status, `<!DOCTYPE html>\n<html><head><title>${title} | Cloudflare</title></head><body>…</body></html>`, {
    "content-type": "text/html; charset=UTF-8"
  })

const transient = [
  ["a 522 HTML page", cloudflarePage(522, "Connection timed out")],
  ["a 524 HTML page", cloudflarePage(524, "A timeout occurred")],
  ["a 529 JSON body", json(529, { error: "Overloaded" })],
  ["a 501 with Helicone's ResultError", json(501, { data: null, error: "Not implemented" })]
] as const

describe("every 5xx is retried within the policy, except the integer rejection", () => {
  it.scoped.each(transient)("%s is retried, then the submission succeeds", ([, reply]) =>
    Effect.gen(function*() {
      const { server, service } = yield* setup([reply, helicone.accepted], slowTimeout)
      const fiber = yield* Effect.fork(service.submitScore(requestId, scores))
      yield* wakeUpNext("5 seconds")
      yield* Fiber.join(fiber)
      assert.strictEqual((yield* server.requests).length, 2)
    }))

  it.scoped.each(transient)(
    "%s, every attempt: the error once the attempts run out is retriable",
    ([, reply]) =>
      Effect.gen(function*() {
        const { server, service } = yield* setup([reply], { ...slowTimeout, retry: { maxAttempts: 3 } })
        const fiber = yield* Effect.fork(service.submitScore(requestId, scores))
        for (let i = 0; i < 2; i++) yield* wakeUpNext("1 minute")
        const error = yield* Effect.flip(Fiber.join(fiber))
        assert.strictEqual((yield* server.requests).length, 3)
        // a queue keeps it for a later replay rather than dead-lettering it
        assert.isTrue(HeliconeError.isRetriable(error))
        assert.isFalse(HeliconeError.isRejection(error))
        expect(["HeliconeServerError", "UnexpectedResponse"]).toContain(error._tag)
      })
  )

  it.scoped("the self-hosted integer rejection (500) is sent once and is a rejection", () =>
    Effect.gen(function*() {
      const { server, service } = yield* setup([helicone.integerRejection, helicone.accepted], slowTimeout)
      const error = yield* Effect.flip(service.submitScore(requestId, scores))
      assert.strictEqual(error._tag, "HeliconeServerError")
      assert.isTrue(HeliconeError.isRejection(error))
      assert.strictEqual((yield* server.requests).length, 1)
    }))
})
