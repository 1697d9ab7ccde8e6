import { assert, describe, it } from "@effect/vitest"
import { RequestId } from "@helicone-effect/core"
import { Either, Schema } from "effect"

describe("RequestId", () => {
  it("make generates distinct v4 UUIDs the schema accepts", () => {
    const a = RequestId.make()
    const b = RequestId.make()
    assert.notStrictEqual(a, b)
    assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    assert.isTrue(RequestId.is(a))
  })

  it.each(["1", "2", "3", "4", "5"])("accepts version %s, in either case", (version) => {
    const id = `2f1c7a3e-8b4d-${version}e6f-9a1b-3c5d7e9f0a2b`
    assert.isTrue(RequestId.is(id))
    assert.isTrue(RequestId.is(id.toUpperCase()))
    assert.isTrue(Either.isRight(Schema.decodeUnknownEither(RequestId.RequestId)(id)))
  })

  it.each([
    ["v7", "01890a5d-ac96-774b-bcce-b302099a8057"],
    ["v0", "2f1c7a3e-8b4d-0e6f-9a1b-3c5d7e9f0a2b"],
    ["v6", "2f1c7a3e-8b4d-6e6f-9a1b-3c5d7e9f0a2b"],
    ["nil", "00000000-0000-0000-0000-000000000000"],
    ["variant c", "2f1c7a3e-8b4d-4e6f-ca1b-3c5d7e9f0a2b"],
    ["no dashes", "2f1c7a3e8b4d4e6f9a1b3c5d7e9f0a2b"],
    ["braces", "{2f1c7a3e-8b4d-4e6f-9a1b-3c5d7e9f0a2b}"],
    ["a path", "../../v1/admin"]
  ])("refuses %s", (_, id) => {
    assert.isFalse(RequestId.is(id))
    const result = RequestId.validate(id)
    assert.isTrue(Either.isLeft(result))
    if (Either.isLeft(result)) assert.strictEqual(result.left.requestId, id)
  })

  it("refuses values that are not strings, naming their type", () => {
    const result = RequestId.validate(42)
    assert.isTrue(Either.isLeft(result))
    if (Either.isLeft(result)) assert.strictEqual(result.left.requestId, "number value")
  })
})
