import { assert, describe, expect, it } from "@effect/vitest"
import { HeliconeError } from "@helicone-effect/core"
import { Duration } from "effect"

describe("HeliconeError.isRetriable", () => {
  it.each(
    [
      [new HeliconeError.RateLimited({ retryAfter: Duration.seconds(5) }), true],
      [new HeliconeError.HeliconeUnavailable({ reason: "reset" }), true],
      [new HeliconeError.HeliconeServerError({ status: 503 }), true],
      [new HeliconeError.HeliconeServerError({ status: 500, serverMessage: "Internal Server Error" }), true],
      [
        new HeliconeError.HeliconeServerError({
          status: 500,
          serverMessage: "Score value for key 'a' must be an integer. Received: 0.5"
        }),
        false
      ],
      [new HeliconeError.HeliconeServerError({ status: 501 }), false],
      [new HeliconeError.UnexpectedResponse({ status: 502, body: "<html>" }), true],
      [new HeliconeError.UnexpectedResponse({ status: 404, body: "" }), false],
      [new HeliconeError.Unauthorized({ status: 401 }), false],
      [new HeliconeError.RequestRejected({ status: 422, details: {} }), false],
      [new HeliconeError.InvalidScores({ issues: [] }), false],
      [new HeliconeError.InvalidRequestId({ requestId: "x" }), false]
    ] as const
  )("%s -> %s", (error, retriable) => {
    assert.strictEqual(HeliconeError.isRetriable(error), retriable)
  })

  it("messages name the facts a person needs", () => {
    const scores = new HeliconeError.InvalidScores({
      issues: [{ key: "accuracy", reason: "0.5 is not an integer" }, { key: "", reason: "the name is empty or blank" }]
    })
    expect(scores.message).toContain(`"accuracy": 0.5 is not an integer`)
    expect(scores.message).toContain(`"": the name is empty or blank`)
    expect(new HeliconeError.Unauthorized({ status: 401 }).message).toContain("without write permission")
    expect(new HeliconeError.UnexpectedResponse({ status: 404, body: "nope" }).message).toContain("base URL")
    assert.isTrue(HeliconeError.isSubmitScoreError(scores))
    assert.isFalse(HeliconeError.isSubmitScoreError(new Error("x")))
  })
})
