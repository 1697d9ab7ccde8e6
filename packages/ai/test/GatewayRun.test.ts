/**
 * A suite through `Eval.run` with its task and its judge on the gateway's model, against a loopback stand-in for
 * Helicone: the runner's case reaches the headers and the case's `calls`, and a replayed rerun sends nothing, a
 * case the store lacks failing alone.
 */
import { LanguageModel } from "@effect/ai"
import { NodeContext } from "@effect/platform-node"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as FileSystem from "@effect/platform/FileSystem"
import { assert, describe, it } from "@effect/vitest"
import { Eval } from "@helicone-effect/evaluator"
import { Effect, Layer, Redacted } from "effect"
import * as CallCache from "../src/CallCache.js"
import * as HeliconeGateway from "../src/HeliconeGateway.js"
import * as LlmJudge from "../src/LlmJudge.js"
import * as Gateway from "./fixtures/Gateway.js"

const modelIn = (apiUrl: string, directory: string) =>
  HeliconeGateway.model("gpt-4o-mini", { temperature: 0 }).pipe(
    Layer.provide(HeliconeGateway.layer({ baseUrl: apiUrl, apiKey: Redacted.make("sk-helicone-SECRET") })),
    Layer.provide(CallCache.layerStore({ directory })),
    Layer.provide([FetchHttpClient.layer, NodeContext.layer])
  )

const suiteOf = (questions: Array<string>) =>
  Eval.make({
    name: "capitals",
    data: questions.map((input) => ({ input, expected: "Paris" })),
    task: (question: string) =>
      LanguageModel.generateText({ prompt: question }).pipe(Effect.map((response) => response.text)),
    scorers: [LlmJudge.factuality],
    concurrency: 2
  })

const standIn = () =>
  Gateway.make((body) =>
    body.text?.format?.type === "json_schema"
      ? { text: JSON.stringify({ reasons: "same facts", choice: "C" }) }
      : { text: "Paris" }
  )

describe("the gateway's model in Eval.run", () => {
  it.live("each case's task and judge calls carry it; a replay sends nothing and a miss fails only its case", () =>
    Effect.gen(function*() {
      const directory = yield* Effect.flatMap(FileSystem.FileSystem, (fs) => fs.makeTempDirectoryScoped()).pipe(
        Effect.provide(NodeContext.layer)
      )
      const recording = yield* standIn()
      const questions = ["Capital of France?", "France's capital?"]
      const first = yield* Eval.run(suiteOf(questions), { cache: "auto" }).pipe(
        Effect.provide(modelIn(recording.apiUrl, directory))
      )
      assert.deepStrictEqual(first.cases.flatMap((c) => c.errors), [])
      assert.deepStrictEqual(first.cases.map((c) => c.scores[0].score), [1, 1])
      assert.strictEqual(recording.received.length, 4)

      for (const result of first.cases) {
        const calls = result.calls ?? []
        assert.deepStrictEqual(calls.map((c) => [c.role, c.scorer, c.cache]).sort(), [
          ["judge", "factuality", "miss"],
          ["task", undefined, "miss"]
        ])
        // The task's first call is the request the case's scores go to.
        const taskCall = calls.find((c) => c.role === "task")!
        assert.strictEqual(taskCall.requestId, result.requestId)
        const sent = recording.received.find((r) => r.headers["helicone-request-id"] === result.requestId)!
        assert.strictEqual(sent.headers["helicone-property-role"], "task")
        assert.strictEqual(sent.headers["helicone-property-eval"], "capitals")
        const caseKey = decodeURIComponent(sent.headers["helicone-property-case"] as string)
        assert.strictEqual(sent.headers["helicone-session-path"], `/${encodeURIComponent(caseKey)}/trial-0`)
        const judged = recording.received.find((r) =>
          r.headers["helicone-request-id"] === calls.find((c) => c.role === "judge")!.requestId
        )!
        assert.strictEqual(judged.headers["helicone-property-role"], "judge")
        assert.strictEqual(judged.headers["helicone-property-scorer"], "factuality")
        assert.strictEqual(judged.headers["helicone-session-id"], sent.headers["helicone-session-id"])
        assert.strictEqual(
          judged.headers["helicone-session-path"],
          `${sent.headers["helicone-session-path"]}/factuality`
        )
      }

      const replaying = yield* standIn()
      const second = yield* Eval.run(suiteOf([...questions, "A question never asked?"]), { cache: "replay" }).pipe(
        Effect.provide(modelIn(replaying.apiUrl, directory))
      )
      assert.strictEqual(replaying.received.length, 0)
      assert.deepStrictEqual(second.cases.slice(0, 2).map((c) => c.scores[0].score), [1, 1])
      assert.deepStrictEqual(
        second.cases.slice(0, 2).map((c) => (c.calls ?? []).map((call) => call.cache)),
        [["hit", "hit"], ["hit", "hit"]]
      )
      assert.deepStrictEqual(second.cases.slice(0, 2).map((c) => c.errors), [[], []])
      const missed = second.cases[2]
      assert.strictEqual(missed.errors.length, 1)
      assert.strictEqual(missed.errors[0].source, "task")
      assert.include(missed.errors[0].message, "No recorded answer")
      assert.include(missed.errors[0].message, directory)
    }).pipe(Effect.scoped))
})
