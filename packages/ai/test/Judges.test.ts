/**
 * The judges modelled on autoevals' `ClosedQA`, `Battle`, `Summary` and `Sql`, through `@effect/ai-openai` against the
 * loopback stand-in for OpenAI's Responses API: each case's values in the prompt on the wire, the choices the answer's
 * schema allows, and the score each choice gives.
 */
import { OpenAiClient, OpenAiLanguageModel } from "@effect/ai-openai"
import type * as LanguageModel from "@effect/ai/LanguageModel"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { assert, describe, it } from "@effect/vitest"
import { Eval } from "@helicone-effect/evaluator"
import type * as Scorer from "@helicone-effect/evaluator/Scorer"
import { Effect, Layer, Redacted } from "effect"
import * as LlmJudge from "../src/LlmJudge.js"
import * as OpenAi from "./fixtures/OpenAiResponses.js"

const judgeModel = (apiUrl: string) =>
  OpenAiLanguageModel.model("gpt-4o-mini", { temperature: 0 }).pipe(
    Layer.provide(OpenAiClient.layer({ apiKey: Redacted.make("sk-judge"), apiUrl })),
    Layer.provide(FetchHttpClient.layer)
  )

/** The prompt names the choice the stand-in makes: "pick Yes ..." is answered with Yes. */
const picked = (prompt: string) => /pick (\w+)/.exec(prompt)?.[1] ?? "none"

interface Case {
  readonly input: unknown
  readonly expected?: unknown
}

/**
 * Runs `scorer` on `data` (the task answers `output(input)`) against a stand-in that picks the choice the prompt
 * names; gives the scores, the errors and the requests, in the order of the cases.
 */
const judge = (
  scorer: Scorer.Scorer<unknown, unknown, unknown, LlmJudge.JudgeError, LanguageModel.LanguageModel>,
  data: ReadonlyArray<Case>,
  output: (input: any) => unknown
) =>
  Effect.gen(function*() {
    const server = yield* OpenAi.make((body) => ({
      output: { reasons: `I read ${picked(OpenAi.promptOf(body))}`, choice: picked(OpenAi.promptOf(body)) }
    }))
    const report = yield* Eval.run(Eval.make({
      name: scorer.name,
      data,
      task: output,
      scorers: [scorer],
      concurrency: 1
    })).pipe(Effect.provide(judgeModel(server.apiUrl)))
    return {
      scores: report.cases.map((c) => c.scores[0]?.score),
      errors: report.cases.map((c) => c.errors.map((e) => e.message)),
      requests: server.requests,
      prompts: server.requests.map(OpenAi.promptOf)
    }
  })

/** The choices the answer's JSON schema allows. */
const choicesOf = (request: OpenAi.RequestBody) => request.text.format.schema.properties.choice.enum

describe("Judges", () => {
  it.live("closedQA: task, submission and criterion in the prompt; Y scores 1, N 0; braces in criteria are text", () =>
    Effect.gen(function*() {
      const criteria = "The answer names a city, not {{output}} nor {{{expected}}}."
      const { errors, prompts, requests, scores } = yield* judge(
        LlmJudge.closedQA({ criteria }),
        [{ input: "pick Y: where is the Louvre?" }, { input: "pick N: where is the Prado?", expected: "Madrid" }],
        (question: string) => `In Paris (${question.slice(0, 6)})`
      )
      assert.deepStrictEqual(errors, [[], []])
      assert.deepStrictEqual(scores, [1, 0])
      assert.strictEqual(
        prompts[0],
        "You are judging whether a submitted answer to a task meets a criterion.\n[BEGIN DATA]\n************\n" +
          "[Task]: pick Y: where is the Louvre?\n************\n[Submission]: In Paris (pick Y)\n************\n" +
          `[Criterion]: ${criteria}\n************\n[END DATA]\n\n` +
          "Judge the submission by the criterion alone, not by whether you would have answered the task the same " +
          "way. Decide which of these applies:\n(Y) The submission meets the criterion.\n" +
          "(N) The submission does not meet the criterion.\n\nAnswer with your reasoning in `reasons`, step by step, " +
          "before you commit to an answer; then put a single choice, Y or N, in `choice`."
      )
      assert.notInclude(prompts[1], "Madrid")
      assert.deepStrictEqual(choicesOf(requests[0]), ["Y", "N"])
      assert.deepStrictEqual(requests[0].text.format.schema.required, ["reasons", "choice"])
    }).pipe(Effect.scoped))

  it.live("closedQA takes a name, useCoT and refuses empty criteria", () =>
    Effect.gen(function*() {
      const { prompts, requests, scores } = yield* judge(
        LlmJudge.closedQA({ name: "namesACity", criteria: "Names a city.", useCoT: false }),
        [{ input: "pick Y" }],
        () => "Paris"
      )
      assert.deepStrictEqual(scores, [1])
      assert.isTrue(prompts[0].endsWith("\n\nAnswer with a single choice, Y or N, in `choice`."), prompts[0])
      assert.deepStrictEqual(requests[0].text.format.schema.required, ["choice"])
      assert.throws(() => LlmJudge.closedQA({ criteria: "  " }), /closedQA "closedQA": criteria must be a non-empty/)
    }).pipe(Effect.scoped))

  it.live("battle: the output is response 1, expected response 2, input the instructions; Yes scores 1, No 0", () =>
    Effect.gen(function*() {
      const { errors, prompts, requests, scores } = yield* judge(
        LlmJudge.battle(),
        [
          { input: "pick Yes: write a haiku about the sea", expected: "Waves fold into foam" },
          { input: "pick No: write a haiku about the sea", expected: "Salt wind, gulls cry" },
          { input: "pick Yes: no baseline" }
        ],
        (instructions: string) => `Haiku for ${instructions.slice(0, 8)}`
      )
      assert.deepStrictEqual(scores, [1, 0, undefined])
      assert.deepStrictEqual(errors.slice(0, 2), [[], []])
      assert.deepStrictEqual(errors[2], [
        "Scorer \"battle\" failed: MissingExpected: the case has no expected value to compare the output with"
      ])
      assert.lengthOf(requests, 2)
      assert.strictEqual(
        prompts[0],
        "Two responses were written for the same instructions. Decide whether the first carries them out better " +
          "than the second.\n[BEGIN DATA]\n************\n[Instructions]: pick Yes: write a haiku about the sea\n" +
          "************\n[Response 1]: Haiku for pick Yes\n************\n[Response 2]: Waves fold into foam\n" +
          "************\n[END DATA]\n\nWeigh how well each response does what the instructions ask. Even when the " +
          "two seem equally good, take a side, from your own judgement. Decide which of these applies:\n" +
          "(Yes) Response 1 is better than Response 2.\n(No) Response 1 is not better than Response 2.\n\n" +
          "Answer with your reasoning in `reasons`, step by step, before you commit to an answer; then put a single " +
          "choice, Yes or No, in `choice`."
      )
      assert.deepStrictEqual(choicesOf(requests[0]), ["Yes", "No"])
    }).pipe(Effect.scoped))

  it.live("battle with instructions: the same instructions for every case, the input left out", () =>
    Effect.gen(function*() {
      const instructions = "Write a haiku about the {{input}}."
      const { prompts, scores } = yield* judge(
        LlmJudge.battle({ name: "haiku", instructions }),
        [{ input: "sea", expected: "Waves fold into foam" }, { input: "forest", expected: "Moss on the old oak" }],
        (topic: string) => topic === "sea" ? "pick Yes: salt and spray" : "pick No: trees"
      )
      assert.deepStrictEqual(scores, [1, 0])
      assert.include(prompts[0], `[Instructions]: ${instructions}\n`)
      assert.include(prompts[0], "[Response 1]: pick Yes: salt and spray\n")
      assert.include(prompts[0], "[Response 2]: Waves fold into foam\n")
      assert.notInclude(prompts[1], "forest")
      assert.throws(() => LlmJudge.battle({ instructions: "" }), /battle "battle": instructions, when given, must be/)
    }).pipe(Effect.scoped))

  it.live("summary: expected is summary A, the output summary B; A scores 0, B 1", () =>
    Effect.gen(function*() {
      const text = "pick B: The Seine flows through Paris. It is 777 km long and reaches the Channel at Le Havre."
      const { prompts, requests, scores } = yield* judge(
        LlmJudge.summary,
        [
          { input: text, expected: "A river." },
          { input: text.replace("pick B", "pick A"), expected: "The Seine, 777 km, crosses Paris to Le Havre." }
        ],
        () => "The Seine runs 777 km through Paris to the sea."
      )
      assert.deepStrictEqual(scores, [1, 0])
      assert.strictEqual(
        prompts[0],
        "You are comparing two summaries, A and B, of the same text.\n[BEGIN DATA]\n************\n" +
          `[Text]: ${text}\n************\n[A]: A river.\n************\n` +
          "[B]: The Seine runs 777 km through Paris to the sea.\n************\n[END DATA]\n\n" +
          "Judge which summary conveys the text more faithfully and more completely; differences in style, grammar " +
          "or punctuation do not count. Decide which of these applies:\n(A) Summary A describes the text better.\n" +
          "(B) Summary B describes the text better.\n\nAnswer with your reasoning in `reasons`, step by step, before " +
          "you commit to an answer; then put a single choice, A or B, in `choice`."
      )
      assert.deepStrictEqual(choicesOf(requests[0]), ["A", "B"])
      // the prompt a judge of your own starts from is the one sent, before the case's values
      assert.include(LlmJudge.summaryPrompt, "[Text]: {{{input}}}\n************\n[A]: {{{expected}}}\n")
      assert.isTrue(prompts[0].endsWith(
        LlmJudge.summaryPrompt.slice(LlmJudge.summaryPrompt.indexOf("[END DATA]")) +
          "\n\nAnswer with your reasoning in `reasons`, step by step, before you commit to an answer; then put a " +
          "single choice, A or B, in `choice`."
      ))
    }).pipe(Effect.scoped))

  it.live("sql: question, expert and submitted queries in the prompt; Correct scores 1, Incorrect 0", () =>
    Effect.gen(function*() {
      const { prompts, requests, scores } = yield* judge(
        LlmJudge.sql,
        [
          { input: "pick Correct: how many users signed up in 2024?", expected: "SELECT COUNT(*) FROM users" },
          { input: "pick Incorrect: the newest user?", expected: "SELECT * FROM users ORDER BY created DESC LIMIT 1" }
        ],
        () => "select count(id) as n from users"
      )
      assert.deepStrictEqual(scores, [1, 0])
      assert.strictEqual(
        prompts[0],
        "You are comparing a submitted SQL query with an expert's query, both written to answer the same question.\n" +
          "[BEGIN DATA]\n************\n[Question]: pick Correct: how many users signed up in 2024?\n************\n" +
          "[Expert]: SELECT COUNT(*) FROM users\n************\n[Submission]: select count(id) as n from users\n" +
          "************\n[END DATA]\n\nJudge whether the two queries are semantically equivalent: run against the " +
          "same database, would they return the same result? Whitespace, formatting, aliases, and the names of the " +
          "output columns or their order do not count. Decide which of these applies:\n" +
          "(Correct) The queries are equivalent: they return the same result.\n" +
          "(Incorrect) The queries are not equivalent: they return different results, or the submission fails with " +
          "an error.\n\nAnswer with your reasoning in `reasons`, step by step, before you commit to an answer; then " +
          "put a single choice, Correct or Incorrect, in `choice`."
      )
      assert.deepStrictEqual(choicesOf(requests[0]), ["Correct", "Incorrect"])
      assert.strictEqual(requests[0].model, "gpt-4o-mini")
    }).pipe(Effect.scoped))
})
