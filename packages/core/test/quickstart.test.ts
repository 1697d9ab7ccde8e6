import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect } from "effect"
import { apiKey, requestId } from "./fixtures/Harness.js"
import * as ScriptedServer from "./fixtures/ScriptedServer.js"
import { explicit, quickstart } from "./quickstart.js"

const expectedBody = `{"scores":{"accuracy":92,"hallucinated":false}}`

describe("the README quickstart", () => {
  it.scoped("submits the scores with the key and base URL from the environment", () =>
    Effect.gen(function*() {
      const server = yield* ScriptedServer.make([ScriptedServer.helicone.accepted])
      yield* quickstart(requestId).pipe(
        Effect.withConfigProvider(
          ConfigProvider.fromMap(new Map([["HELICONE_API_KEY", apiKey], ["HELICONE_BASE_URL", server.baseUrl]]))
        )
      )
      const [request] = yield* server.requests
      assert.strictEqual(request.path, `/v1/request/${requestId}/score`)
      assert.strictEqual(request.headers.authorization, `Bearer ${apiKey}`)
      assert.strictEqual(request.body, expectedBody)
    }))

  it.scoped("the explicit-options variant does the same", () =>
    Effect.gen(function*() {
      const server = yield* ScriptedServer.make([ScriptedServer.helicone.accepted])
      yield* explicit(requestId, apiKey, server.baseUrl)
      const [request] = yield* server.requests
      assert.strictEqual(request.headers.authorization, `Bearer ${apiKey}`)
      assert.strictEqual(request.body, expectedBody)
    }))
})
