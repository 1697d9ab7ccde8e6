/**
 * LLM judges through `@effect/ai-openai` against a loopback stand-in for OpenAI's Responses API: the prompt and the
 * answer schema on the wire, the score each choice gives, and what a failing model call leaves in the report.
 */
import { OpenAiClient, OpenAiLanguageModel } from "@effect/ai-openai"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { assert, describe, it } from "@effect/vitest"
import { Eval, Scorers } from "@helicone-effect/evaluator"
import { Effect, Layer, Redacted } from "effect"
import * as LlmJudge from "../src/LlmJudge.js"
import * as OpenAi from "./fixtures/OpenAiResponses.js"

/** The judge's model: `gpt-4o-mini` at temperature 0 through `@effect/ai-openai`, pointed at the stand-in. */
const judgeModel = (apiUrl: string) =>
  OpenAiLanguageModel.model("gpt-4o-mini", { temperature: 0 }).pipe(
    Layer.provide(OpenAiClient.layer({ apiKey: Redacted.make("sk-judge"), apiUrl })),
    Layer.provide(FetchHttpClient.layer)
  )

/** The question names the choice the stand-in makes: "pick C: ..." is answered with C. */
const picked = (prompt: string) => /pick (\w+)/.exec(prompt)?.[1] ?? "none"

describe("LlmJudge", () => {
  it.live("factuality: the prompt holds question, expert answer and submission; each choice scores as autoevals'", () =>
    Effect.gen(function*() {
      const server = yield* OpenAi.make((body) => ({
        output: { reasons: `I read: ${picked(OpenAi.promptOf(body))}`, choice: picked(OpenAi.promptOf(body)) }
      }))
      const suite = Eval.make({
        name: "facts",
        data: ["A", "B", "C", "D", "E"].map((choice) => ({
          input: `pick ${choice}: what is the capital of France?`,
          expected: "Paris"
        })),
        task: (question: string) => `Paris, said to ${question.slice(0, 6)}`,
        scorers: [LlmJudge.factuality],
        concurrency: 2
      })
      const report = yield* Eval.run(suite).pipe(Effect.provide(judgeModel(server.apiUrl)))

      const scores = report.cases.map((c) => c.scores[0])
      assert.deepStrictEqual(scores.map((s) => s.score), [0.4, 0.6, 1, 0, 1])
      assert.deepStrictEqual(scores[2].metadata, { choice: "C", rationale: "I read: C" })
      assert.strictEqual(report.scorers[0].mean, (0.4 + 0.6 + 1 + 0 + 1) / 5)
      assert.deepStrictEqual(report.cases.flatMap((c) => c.errors), [])

      assert.strictEqual(server.requests.length, 5)
      const request = server.requests.find((r) => OpenAi.promptOf(r).includes("pick B"))!
      assert.strictEqual(request.model, "gpt-4o-mini")
      assert.strictEqual(request.temperature, 0)
      const prompt = OpenAi.promptOf(request)
      assert.include(prompt, "[Question]: pick B: what is the capital of France?\n")
      assert.include(prompt, "[Expert]: Paris\n")
      assert.include(prompt, "[Submission]: Paris, said to pick B\n")
      assert.include(prompt, "(D) The submission and the expert's answer disagree.")
      assert.notInclude(prompt, "{{")
      assert.isTrue(prompt.endsWith("then put a single choice, A, B, C, D or E, in `choice`."), prompt)
      const format = request.text.format
      assert.strictEqual(format.type, "json_schema")
      assert.strictEqual(format.name, "select_choice")
      assert.isTrue(format.strict)
      assert.deepStrictEqual(format.schema.required, ["reasons", "choice"])
      assert.deepStrictEqual(format.schema.properties.choice.enum, ["A", "B", "C", "D", "E"])
    }).pipe(Effect.scoped))

  it.live("a classifier: strings go in as they are, other values as JSON, metadata by key, nothing if missing", () =>
    Effect.gen(function*() {
      const server = yield* OpenAi.make(() => ({ output: { choice: "Y" } }))
      const polite = LlmJudge.classifier({
        name: "polite",
        prompt:
          "Tone: {{metadata.tone}}\nAsked: {{input.text}}\nAnswered: {{{ output }}}\nHoped for: [{{metadata.hope}}]",
        choiceScores: { Y: 1, N: 0 },
        useCoT: false
      })
      const suite = Eval.make({
        name: "tone",
        data: [{ input: { text: "Où est ma commande ?" }, metadata: { tone: "formal" } }],
        task: () => ({ reply: "Elle arrive demain.", eta: 1 }),
        scorers: [polite]
      })
      const report = yield* Eval.run(suite).pipe(Effect.provide(judgeModel(server.apiUrl)))

      assert.deepStrictEqual(report.cases[0].scores[0], {
        name: "polite",
        score: 1,
        boolean: false,
        metadata: { choice: "Y" }
      })
      const request = server.requests[0]
      assert.strictEqual(
        OpenAi.promptOf(request),
        "Tone: formal\nAsked: Où est ma commande ?\nAnswered: {\"reply\":\"Elle arrive demain.\",\"eta\":1}\n" +
          "Hoped for: []\n\nAnswer with a single choice, Y or N, in `choice`."
      )
      assert.deepStrictEqual(request.text.format.schema.required, ["choice"])
      assert.deepStrictEqual(Object.keys(request.text.format.schema.properties), ["choice"])
    }).pipe(Effect.scoped))

  it.live("a failing model call is the case's scorer error: an unknown choice, an HTTP 500, text not JSON", () =>
    Effect.gen(function*() {
      const server = yield* OpenAi.make((body): OpenAi.Answer => {
        const choice = picked(OpenAi.promptOf(body))
        if (choice === "Z") return { output: { reasons: "none fits", choice: "Z" } }
        if (choice === "500") return { status: 500, error: "the judge is down" }
        if (choice === "text") return { output: "I would say C." }
        return { output: { reasons: "the same", choice: "C" } }
      })
      const suite = Eval.make({
        name: "failing judge",
        data: ["Z", "500", "text", "C"].map((choice) => ({ input: `pick ${choice}`, expected: "Paris" })),
        task: () => "Paris",
        scorers: [LlmJudge.factuality, Scorers.exactMatch]
      })
      const report = yield* Eval.run(suite).pipe(Effect.provide(judgeModel(server.apiUrl)))

      assert.strictEqual(report.cases.length, 4)
      for (const c of report.cases) {
        assert.deepStrictEqual(c.scores.find((s) => s.name === "exactMatch")?.score, 1, `case ${c.index}`)
      }
      const [unknown, down, text, fine] = report.cases
      for (const c of [unknown, down, text]) {
        assert.lengthOf(c.errors, 1, `case ${c.index}`)
        assert.strictEqual(c.errors[0].source, "scorer")
        assert.strictEqual(c.errors[0].scorer, "factuality")
        assert.isUndefined(c.scores.find((s) => s.name === "factuality"))
      }
      assert.match(
        unknown.errors[0].message,
        /^Scorer "factuality" failed: MalformedOutput: .*Expected "E", actual "Z"/s
      )
      assert.match(down.errors[0].message, /^Scorer "factuality" failed: HttpResponseError: .*the judge is down.*500/s)
      assert.match(text.errors[0].message, /^Scorer "factuality" failed: MalformedOutput: .*"I would say C\." is not/s)
      assert.deepStrictEqual(fine.scores.find((s) => s.name === "factuality")?.score, 1)
      assert.strictEqual(report.scorers.find((s) => s.name === "factuality")!.errors, 3)
      // the 500 was asked again, 3 attempts in all by default; the unknown choice and the text were not
      const attempts = (choice: string) => server.requests.filter((r) => OpenAi.promptOf(r).includes(`pick ${choice}`))
      assert.deepStrictEqual(["Z", "500", "text", "C"].map((choice) => attempts(choice).length), [1, 3, 1, 1])
    }).pipe(Effect.scoped))

  it.live("a case without expected fails with MissingExpected and costs no model call", () =>
    Effect.gen(function*() {
      const server = yield* OpenAi.make(() => ({ output: { reasons: "same", choice: "C" } }))
      const suite = Eval.make({
        name: "no reference",
        data: [{ input: "pick C", expected: "Paris" }, { input: "pick C" }],
        task: () => "Paris",
        scorers: [LlmJudge.factuality]
      })
      const report = yield* Eval.run(suite).pipe(Effect.provide(judgeModel(server.apiUrl)))
      assert.strictEqual(report.cases[0].scores[0].score, 1)
      assert.deepStrictEqual(report.cases[1].errors, [{
        source: "scorer",
        scorer: "factuality",
        message:
          "Scorer \"factuality\" failed: MissingExpected: the case has no expected value to compare the output with"
      }])
      assert.strictEqual(server.requests.length, 1)
    }).pipe(Effect.scoped))

  it.live("a 429 or a 5xx is asked again up to retry.maxAttempts; a 400 is not", () =>
    Effect.gen(function*() {
      const seen = new Map<string, number>()
      const server = yield* OpenAi.make((body): OpenAi.Answer => {
        const prompt = OpenAi.promptOf(body)
        const attempt = (seen.get(prompt) ?? 0) + 1
        seen.set(prompt, attempt)
        const kind = picked(prompt)
        if (kind === "400") return { status: 400, error: "bad request" }
        // the first two attempts fail with the status the question names, the third succeeds
        if (attempt <= 2) return { status: Number(kind), error: `attempt ${attempt}` }
        return { output: { choice: "Y" } }
      })
      const judge = (maxAttempts: number) =>
        LlmJudge.classifier({
          name: `judge${maxAttempts}`,
          prompt: "{{input}}",
          choiceScores: { Y: 1, N: 0 },
          useCoT: false,
          retry: { maxAttempts, baseDelay: "1 millis" }
        })
      const run = (maxAttempts: number, statuses: ReadonlyArray<string>) =>
        Eval.run(Eval.make({
          name: `retries ${maxAttempts}`,
          data: statuses.map((status) => ({ input: `pick ${status} (max ${maxAttempts})` })),
          task: () => "ok",
          scorers: [judge(maxAttempts)]
        })).pipe(Effect.provide(judgeModel(server.apiUrl)))

      const three = yield* run(3, ["429", "503", "400"])
      assert.deepStrictEqual(three.cases.map((c) => c.scores[0]?.score), [1, 1, undefined])
      assert.match(three.cases[2].errors[0].message, /HttpResponseError: .*400/s)
      assert.deepStrictEqual(
        ["429", "503", "400"].map((status) =>
          seen.get(`pick ${status} (max 3)\n\nAnswer with a single choice, Y or N, in \`choice\`.`)
        ),
        [3, 3, 1]
      )

      const one = yield* run(1, ["429"])
      assert.match(one.cases[0].errors[0].message, /HttpResponseError: .*429/s)
      assert.strictEqual(server.requests.filter((r) => OpenAi.promptOf(r).includes("(max 1)")).length, 1)
    }).pipe(Effect.scoped))

  it("refuses at construction: no choice, a score outside [0, 1], a placeholder not a case field, no attempt", () => {
    assert.throws(
      () => LlmJudge.classifier({ name: "empty", prompt: "{{output}}", choiceScores: {} }),
      /needs at least one choice/
    )
    for (const prompt of ["{{outptu}}", "{{metadata}}", "{{ctx.requestId}}"]) {
      assert.throws(
        () => LlmJudge.classifier({ name: "typo", prompt, choiceScores: { Y: 1 } }),
        /is not a case field/,
        prompt
      )
    }
    for (const prompt of ["{{#expected}}ref: {{expected}}{{/expected}}", "{{{input}}", "{{ input | upper }}"]) {
      assert.throws(
        () => LlmJudge.classifier({ name: "mustache", prompt, choiceScores: { Y: 1 } }),
        /is not a placeholder/,
        prompt
      )
    }
    assert.throws(
      () => LlmJudge.classifier({ name: "range", prompt: "{{output}}", choiceScores: { Y: 2, N: 0 } }),
      /choice Y scores 2; a score is a number in \[0, 1\]/
    )
    assert.throws(
      () =>
        LlmJudge.classifier({ name: "never", prompt: "{{output}}", choiceScores: { Y: 1 }, retry: { maxAttempts: 0 } }),
      /retry.maxAttempts must be an integer >= 1/
    )
  })
})
