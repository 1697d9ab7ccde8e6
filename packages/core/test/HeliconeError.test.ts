import { assert, describe, expect, it } from "@effect/vitest"
import { HeliconeError } from "@helicone-effect/core"
import { Duration } from "effect"

describe("HeliconeError.isRetriable and isRejection", () => {
  // [error, retried within the policy, a rejection a queue dead-letters]
  it.each(
    [
      [new HeliconeError.RateLimited({ retryAfter: Duration.seconds(5) }), true, false],
      [new HeliconeError.HeliconeUnavailable({ reason: "reset" }), true, false],
      [new HeliconeError.HeliconeServerError({ status: 503 }), true, false],
      [new HeliconeError.HeliconeServerError({ status: 500, serverMessage: "Internal Server Error" }), true, false],
      [
        new HeliconeError.HeliconeServerError({
          status: 500,
          serverMessage: "Score value for key 'a' must be an integer. Received: 0.5"
        }),
        false,
        true
      ],
      [new HeliconeError.HeliconeServerError({ status: 501 }), true, false],
      [new HeliconeError.HeliconeServerError({ status: 529, serverMessage: "Overloaded" }), true, false],
      [new HeliconeError.UnexpectedResponse({ status: 502, body: "<html>" }), true, false],
      [new HeliconeError.UnexpectedResponse({ status: 522, body: "<html>" }), true, false],
      [new HeliconeError.UnexpectedResponse({ status: 524, body: "<html>" }), true, false],
      [new HeliconeError.UnexpectedResponse({ status: 404, body: "" }), false, true],
      [new HeliconeError.Redirected({ status: 301, location: "https://example.com/", followed: false }), false, false],
      [new HeliconeError.Redirected({ status: 200, followed: true }), false, false],
      [new HeliconeError.Unauthorized({ status: 401 }), false, false],
      [new HeliconeError.RequestRejected({ status: 422, details: {} }), false, true],
      [new HeliconeError.InvalidScores({ issues: [] }), false, true],
      [new HeliconeError.InvalidRequestId({ requestId: "x" }), false, true]
    ] as const
  )("%s -> retried %s, rejection %s", (error, retriable, rejection) => {
    assert.strictEqual(HeliconeError.isRetriable(error), retriable)
    assert.strictEqual(HeliconeError.isRejection(error), rejection)
  })

  it("messages name the facts a person needs", () => {
    const scores = new HeliconeError.InvalidScores({
      issues: [{ key: "accuracy", reason: "0.5 is not an integer" }, { key: "", reason: "the name is empty or blank" }]
    })
    expect(scores.message).toContain(`"accuracy": 0.5 is not an integer`)
    expect(scores.message).toContain(`"": the name is empty or blank`)
    expect(new HeliconeError.Unauthorized({ status: 401 }).message).toContain("without write permission")
    expect(new HeliconeError.UnexpectedResponse({ status: 404, body: "nope" }).message).toContain("base URL")
    const redirected = new HeliconeError.Redirected({ status: 308, location: "https://eu.example/", followed: false })
    expect(redirected.message).toContain("(308)")
    expect(redirected.message).toContain("\"https://eu.example/\"")
    assert.isTrue(HeliconeError.isSubmitScoreError(redirected))
    assert.isTrue(HeliconeError.isSubmitScoreError(scores))
    assert.isFalse(HeliconeError.isSubmitScoreError(new Error("x")))
  })
})
