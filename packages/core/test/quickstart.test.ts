import { HttpClient, HttpClientRequest } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { HeliconeScores } from "@helicone-effect/core"
import { ConfigProvider, Effect, Layer } from "effect"
import { readFileSync } from "node:fs"
import { apiKey, requestId } from "./fixtures/Harness.js"
import * as ScriptedServer from "./fixtures/ScriptedServer.js"
import { explicit, quickstart } from "./quickstart.js"

const expectedBody = `{"scores":{"accuracy":92,"hallucinated":false}}`

const read = (relative: string) => readFileSync(new URL(relative, import.meta.url), "utf8")

/** The ```ts blocks of a README section: from its `## ` heading to the next one. */
const tsBlocks = (markdown: string, heading: string): Array<string> => {
  const start = markdown.indexOf(`\n## ${heading}\n`)
  assert.isAtLeast(start, 0, `no section "## ${heading}"`)
  const end = markdown.indexOf("\n## ", start + 1)
  const section = markdown.slice(start, end === -1 ? undefined : end)
  return [...section.matchAll(/\n```ts\n([\s\S]*?)\n```\n/g)].map((match) => match[1])
}

/** The lines of quickstart.ts between `// #region <name>` and `// #endregion <name>`, without common indentation. */
const region = (source: string, name: string): string => {
  const lines = source.split("\n")
  const from = lines.findIndex((line) => line.trim() === `// #region ${name}`)
  const to = lines.findIndex((line) => line.trim() === `// #endregion ${name}`)
  assert.isTrue(from >= 0 && to > from, `no region ${name} in quickstart.ts`)
  const body = lines.slice(from + 1, to)
  const indent = Math.min(...body.filter((line) => line.trim() !== "").map((line) => line.search(/\S/)))
  return body.map((line) => line.slice(indent)).join("\n")
}

describe("the README quickstart", () => {
  const source = read("./quickstart.ts")

  it("packages/core/README.md shows the tested code, byte for byte", () => {
    const blocks = tsBlocks(read("../README.md"), "Quickstart")
    assert.strictEqual(blocks.length, 2)
    assert.strictEqual(blocks[0], region(source, "quickstart"))
    assert.strictEqual(blocks[1], region(source, "explicit"))
  })

  it("the root README.md shows the same quickstart", () => {
    const blocks = tsBlocks(read("../../../README.md"), "Attach a score to a logged request")
    assert.strictEqual(blocks.length, 1)
    assert.strictEqual(blocks[0], region(source, "quickstart"))
  })

  it.scoped("submits the scores with the key and base URL from the environment", () =>
    Effect.gen(function*() {
      const server = yield* ScriptedServer.make([ScriptedServer.helicone.accepted])
      yield* quickstart.pipe(
        Effect.withConfigProvider(
          ConfigProvider.fromMap(new Map([["HELICONE_API_KEY", apiKey], ["HELICONE_BASE_URL", server.baseUrl]]))
        )
      )
      const [request] = yield* server.requests
      assert.strictEqual(request.path, `/v1/request/${requestId}/score`)
      assert.strictEqual(request.headers.authorization, `Bearer ${apiKey}`)
      assert.strictEqual(request.body, expectedBody)
    }))

  it.scoped("the explicit-options layer sends to its base URL with its key", () =>
    Effect.gen(function*() {
      const server = yield* ScriptedServer.make([ScriptedServer.helicone.accepted])
      // The example's base URL is a fixed port; the real client's requests to it go to the test server instead.
      const toServer = Layer.effect(
        HttpClient.HttpClient,
        Effect.map(HttpClient.HttpClient, (undici) =>
          HttpClient.make((request) =>
            undici.execute(
              HttpClientRequest.setUrl(request, request.url.replace("http://localhost:8585", server.baseUrl))
            )
          ))
      ).pipe(Layer.provide(NodeHttpClient.layerUndici))
      yield* HeliconeScores.submitScore(requestId, { accuracy: 92, hallucinated: false }).pipe(
        Effect.provide(explicit(apiKey).pipe(Layer.provide(toServer)))
      )
      const [request] = yield* server.requests
      assert.strictEqual(request.path, `/v1/request/${requestId}/score`)
      assert.strictEqual(request.headers.authorization, `Bearer ${apiKey}`)
      assert.strictEqual(request.body, expectedBody)
    }))
})
