/**
 * LLM-as-a-judge scorers on `@effect/ai`: a prompt asks a language model to pick one of a few labelled choices, and
 * each choice stands for a score. This is the model of autoevals' `LLMClassifier`; {@link factuality},
 * {@link closedQA}, {@link battle}, {@link summary} and {@link sql} are its `Factuality`, `ClosedQA`, `Battle`,
 * `Summary` and `Sql` (same choices, same scores, our wording of the prompts).
 *
 * The model comes from the context, so any `@effect/ai` provider works: provide a `LanguageModel` (for example
 * `OpenAiLanguageModel.model("gpt-4o-mini")` from `@effect/ai-openai`) to `Eval.run`. What a judge fails with (the
 * model call's `AiError`: the provider's HTTP error, or an answer that is not one of the choices; or `MissingExpected`)
 * is the scorer's typed error, recorded for that case like any other scorer error.
 *
 * Its own entry point, `@helicone-effect/ai/LlmJudge`, keeps `@effect/ai` an optional peer dependency: only
 * users of these scorers install it.
 *
 * @example
 * ```ts
 * import { OpenAiClient, OpenAiLanguageModel } from "@effect/ai-openai"
 * import { FetchHttpClient } from "@effect/platform"
 * import { Eval } from "@helicone-effect/evaluator"
 * import * as LlmJudge from "@helicone-effect/ai/LlmJudge"
 * import { Config, Effect, Layer } from "effect"
 *
 * const suite = Eval.make({
 *   name: "capitals",
 *   data: [{ input: "What is the capital of France?", expected: "Paris" }],
 *   task: (question: string) => `The capital is Paris. (${question})`,
 *   scorers: [LlmJudge.factuality]
 * })
 *
 * const Judge = OpenAiLanguageModel.model("gpt-4o-mini", { temperature: 0 }).pipe(
 *   Layer.provide(OpenAiClient.layerConfig({ apiKey: Config.redacted("OPENAI_API_KEY") })),
 *   Layer.provide(FetchHttpClient.layer)
 * )
 *
 * Effect.runPromise(Eval.run(suite).pipe(Effect.provide(Judge)))
 * ```
 *
 * @since 0.1.0
 */
import type * as AiError from "@effect/ai/AiError"
import * as LanguageModel from "@effect/ai/LanguageModel"
import * as Scorer from "@helicone-effect/evaluator/Scorer"
import { MissingExpected } from "@helicone-effect/evaluator/Scorers"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as Prompts from "./internal/judges/prompts.js"
import * as Retry from "./internal/judges/retry.js"
import * as Template from "./internal/judges/template.js"

/**
 * How to build a judge: its prompt, and the choices the model picks from with the score each stands for.
 *
 * @since 0.1.0
 * @category models
 */
export interface ClassifierOptions<Choice extends string> {
  /** The scorer's name, as reports and Helicone show it. */
  readonly name: string
  /**
   * The prompt. `{{input}}`, `{{output}}`, `{{expected}}` and `{{metadata.<key>}}` (double or triple braces, as in
   * autoevals' templates; a dotted path reaches into an object, `{{input.question}}`) are replaced by the case's
   * values: a string as it is, anything else as JSON, a missing value by nothing.
   */
  readonly prompt: string
  /** The choices, each with its score in [0, 1]. */
  readonly choiceScores: Readonly<Record<Choice, number>>
  /**
   * Asks the model for its reasoning, step by step, before its choice (autoevals' `useCoT`); the reasoning is kept as
   * the score's `metadata.rationale`. Default `true`.
   */
  readonly useCoT?: boolean | undefined
  /**
   * How a failed model call is tried again (transport failures, 408, 409, 429, 5xx): `maxAttempts` in all, the first
   * included (default 3; 1 = never again), the first backoff `baseDelay` (default 500 ms), doubling up to 8 seconds,
   * with jitter.
   */
  readonly retry?: {
    readonly maxAttempts?: number | undefined
    readonly baseDelay?: Duration.DurationInput | undefined
  } | undefined
}

/**
 * What a judge fails with: the model call's `AiError` (after the retries), or `MissingExpected` when its prompt uses
 * `{{expected}}` and the case has none.
 *
 * @since 0.1.0
 * @category errors
 */
export type JudgeError = AiError.AiError | MissingExpected

/** The name of the structured answer, as autoevals names its tool. */
const objectName = "select_choice"

/**
 * A judge: renders the prompt for the case, asks the `LanguageModel` in the context for a structured answer (its
 * reasoning when `useCoT`, then a choice constrained to the choices by the answer's JSON schema), and scores the case
 * with the chosen choice's score. The score's metadata holds `choice` and, with `useCoT`, `rationale`.
 *
 * A case without `expected` fails with `MissingExpected`, without a model call, when the prompt uses `{{expected}}`.
 * A model call that fails in transport or with a 408, 409, 429 or 5xx is tried again, `retry.maxAttempts` times in
 * all (default 3, as OpenAI's SDK under autoevals), after a backoff from `retry.baseDelay` (default 500 ms) doubling
 * each time, with jitter, and at most 8 seconds. A `Retry-After` header is not read.
 *
 * Throws at construction when there is no choice, when a choice's score is not in [0, 1], when `retry.maxAttempts` is
 * not an integer of at least 1, or when the prompt has a placeholder other than `input`, `output`, `expected` or
 * `metadata.<key>`, including mustache sections (`{{#expected}}`): a typo would otherwise send the model an empty
 * field, or the braces, on every case.
 *
 * @example
 * ```ts
 * import * as LlmJudge from "@helicone-effect/ai/LlmJudge"
 *
 * const polite = LlmJudge.classifier({
 *   name: "polite",
 *   prompt: "A customer wrote: {{input}}\nThe agent answered: {{output}}\nIs the answer (Y) polite or (N) not?",
 *   choiceScores: { Y: 1, N: 0 }
 * })
 * ```
 *
 * @since 0.1.0
 * @category scorers
 */
export const classifier = <Choice extends string, Input = unknown, Output = unknown, Expected = unknown>(
  options: ClassifierOptions<Choice>
): Scorer.Scorer<Input, Output, Expected, JudgeError, LanguageModel.LanguageModel> =>
  build(options, {}, "LlmJudge.classifier")

/**
 * A classifier whose prompt may also use the placeholders named in `fixed` (`{{{criteria}}}`), filled with the same
 * text in every case. Placeholders are replaced in one pass, so a fixed text that holds braces reaches the model as it
 * is.
 */
const build = <Choice extends string, Input, Output, Expected>(
  options: ClassifierOptions<Choice>,
  fixed: Readonly<Record<string, string>>,
  constructor: string
): Scorer.Scorer<Input, Output, Expected, JudgeError, LanguageModel.LanguageModel> => {
  const refuse = (why: string): never => {
    throw new Error(`${constructor} "${options.name}": ${why}`)
  }
  const choices = Object.keys(options.choiceScores) as Array<Choice>
  if (choices.length === 0) refuse("choiceScores needs at least one choice")
  for (const choice of choices) {
    const score = options.choiceScores[choice]
    if (!(typeof score === "number" && score >= 0 && score <= 1)) {
      refuse(`choice ${choice} scores ${String(score)}; a score is a number in [0, 1]`)
    }
  }
  let usesExpected = false
  // every run of braces, so that a mustache section (`{{#expected}}`) or unbalanced braces (`{{{input}}`) are refused
  for (const [braces] of options.prompt.matchAll(/\{\{+[^{}]*\}*/g)) {
    const [, triple, double] = Template.exactPlaceholder.exec(braces) ?? []
    const path = triple ?? double
    if (path === undefined) {
      refuse(`${braces} in the prompt is not a placeholder ({{input}}, {{output}}, {{expected}}, {{metadata.<key>}})`)
    }
    if (Object.hasOwn(fixed, path)) continue
    const root = path.split(".")[0]
    if (!Template.roots.has(root) || path === "metadata") {
      refuse(`the prompt's {{${path}}} is not a case field (input, output, expected or metadata.<key>)`)
    }
    if (root === "expected") usesExpected = true
  }
  const retry = Retry.make(options.retry, refuse)

  const useCoT = options.useCoT ?? true
  const choice = Schema.Literal(...(choices as [Choice, ...Array<Choice>])).annotations({
    description: `A single choice: ${Template.listed(choices)}`
  })
  const reasons = Schema.String.annotations({
    description: "Your reasoning, step by step, written before the choice so that the choice follows from it"
  })
  const ask = (prompt: string): Effect.Effect<
    { readonly choice: Choice; readonly rationale?: string },
    AiError.AiError,
    LanguageModel.LanguageModel
  > =>
    useCoT
      ? Effect.map(
        LanguageModel.generateObject({ prompt, schema: Schema.Struct({ reasons, choice }), objectName }),
        ({ value }) => ({ choice: value.choice, rationale: value.reasons })
      )
      : Effect.map(
        LanguageModel.generateObject({ prompt, schema: Schema.Struct({ choice }), objectName }),
        ({ value }) => ({ choice: value.choice })
      )
  const instruction = useCoT
    ? `\n\nAnswer with your reasoning in \`reasons\`, step by step, before you commit to an answer; ` +
      `then put a single choice, ${Template.listed(choices)}, in \`choice\`.`
    : `\n\nAnswer with a single choice, ${Template.listed(choices)}, in \`choice\`.`

  return Scorer.make(
    options.name,
    (args: Scorer.ScorerArgs<Input, Output, Expected>): Effect.Effect<
      Scorer.ScoreResult,
      JudgeError,
      LanguageModel.LanguageModel
    > => {
      if (usesExpected && args.expected === undefined) return Effect.fail(new MissingExpected({ scorer: options.name }))
      const prompt = options.prompt.replace(
        Template.placeholder,
        (_, triple: string | undefined, double: string | undefined) => {
          const path = triple ?? double!
          return Object.hasOwn(fixed, path)
            ? fixed[path]
            : Template.valueText(Template.lookup(args as Scorer.ScorerArgs<unknown, unknown, unknown>, path))
        }
      ) + instruction
      return Effect.map(retry(ask(prompt)), ({ choice, rationale }) => ({
        score: options.choiceScores[choice],
        metadata: rationale === undefined ? { choice } : { choice, rationale }
      }))
    }
  )
}

/**
 * The prompt of {@link factuality}; a starting point for a judge of your own.
 *
 * @since 0.1.0
 * @category prompts
 */
export const factualityPrompt: string = Prompts.factuality

/**
 * Whether the output states the same facts as `expected`, for the question in `input`, judged by the model in the
 * context. Choices and scores as in autoevals' `Factuality`: A (subset) 0.4, B (superset) 0.6, C (same details) 1,
 * D (disagreement) 0, E (differences that do not matter) 1.
 *
 * @since 0.1.0
 * @category scorers
 */
export const factuality: Scorer.Scorer<unknown, unknown, unknown, JudgeError, LanguageModel.LanguageModel> = classifier(
  {
    name: "factuality",
    prompt: factualityPrompt,
    choiceScores: { A: 0.4, B: 0.6, C: 1, D: 0, E: 1 }
  }
)

/**
 * What a judge built for you takes besides its own parameter.
 *
 * @since 0.1.0
 * @category models
 */
export interface JudgeOptions {
  /** The scorer's name, as reports and Helicone show it. Default the judge's (`"closedQA"`, `"battle"`). */
  readonly name?: string | undefined
  /** As {@link ClassifierOptions.useCoT}. Default `true`. */
  readonly useCoT?: boolean | undefined
  /** As {@link ClassifierOptions.retry}. */
  readonly retry?: ClassifierOptions<string>["retry"]
}

/**
 * How {@link closedQA} judges.
 *
 * @since 0.1.0
 * @category models
 */
export interface ClosedQAOptions extends JudgeOptions {
  /** What the output must do or be ("names a city", "is polite"), the same for every case. */
  readonly criteria: string
}

/**
 * Whether the output, an answer to the task in `input`, meets `criteria`, judged by the model in the context.
 * Choices and scores as autoevals' `ClosedQA`: Y (meets it) 1, N (does not) 0. `expected` is not used.
 *
 * Throws at construction when `criteria` is empty. The criteria reach the model as they are: braces in them are text,
 * not placeholders.
 *
 * @example
 * ```ts
 * import * as LlmJudge from "@helicone-effect/ai/LlmJudge"
 *
 * const namesACity = LlmJudge.closedQA({ criteria: "The answer names a city." })
 * ```
 *
 * @since 0.1.0
 * @category scorers
 */
export const closedQA = (
  options: ClosedQAOptions
): Scorer.Scorer<unknown, unknown, unknown, JudgeError, LanguageModel.LanguageModel> => {
  const name = options.name ?? "closedQA"
  if (typeof options.criteria !== "string" || options.criteria.trim() === "") {
    throw new Error(`LlmJudge.closedQA "${name}": criteria must be a non-empty string`)
  }
  return build(
    { name, prompt: Prompts.closedQA, choiceScores: { Y: 1, N: 0 }, useCoT: options.useCoT, retry: options.retry },
    { criteria: options.criteria },
    "LlmJudge.closedQA"
  )
}

/**
 * How {@link battle} judges.
 *
 * @since 0.1.0
 * @category models
 */
export interface BattleOptions extends JudgeOptions {
  /**
   * The instructions both answers were written for, the same for every case. Default: each case's `input` (the
   * instructions it gave the task).
   */
  readonly instructions?: string | undefined
}

/**
 * Whether the output carries out the instructions better than `expected`, another answer to them (a baseline's, a
 * previous model's), judged by the model in the context. Choices and scores as autoevals' `Battle`: Yes (the output is
 * better) 1, No 0. The model must take a side: two answers of the same quality score 0 or 1, never ½.
 *
 * Without `instructions`, each case's `input` is the instructions. Throws at construction when `instructions` is
 * given but empty.
 *
 * @example
 * ```ts
 * import * as LlmJudge from "@helicone-effect/ai/LlmJudge"
 *
 * const betterThanLastRelease = LlmJudge.battle()
 * const betterHaiku = LlmJudge.battle({ name: "haiku", instructions: "Write a haiku about the sea." })
 * ```
 *
 * @since 0.1.0
 * @category scorers
 */
export const battle = (
  options?: BattleOptions
): Scorer.Scorer<unknown, unknown, unknown, JudgeError, LanguageModel.LanguageModel> => {
  const name = options?.name ?? "battle"
  const instructions = options?.instructions
  if (instructions !== undefined && (typeof instructions !== "string" || instructions.trim() === "")) {
    throw new Error(`LlmJudge.battle "${name}": instructions, when given, must be a non-empty string`)
  }
  return build(
    {
      name,
      prompt: instructions === undefined
        ? Prompts.battle.replace("{{{instructions}}}", "{{{input}}}")
        : Prompts.battle,
      choiceScores: { Yes: 1, No: 0 },
      useCoT: options?.useCoT,
      retry: options?.retry
    },
    instructions === undefined ? {} : { instructions },
    "LlmJudge.battle"
  )
}

/**
 * The prompt of {@link summary}; a starting point for a judge of your own.
 *
 * @since 0.1.0
 * @category prompts
 */
export const summaryPrompt: string = Prompts.summary

/**
 * Whether the output is a better summary of the text in `input` than `expected`, judged by the model in the context.
 * Choices and scores as autoevals' `Summary`: the prompt shows `expected` as summary A and the output as summary B;
 * A (expected is better) 0, B (the output is better) 1.
 *
 * @since 0.1.0
 * @category scorers
 */
export const summary: Scorer.Scorer<unknown, unknown, unknown, JudgeError, LanguageModel.LanguageModel> = classifier({
  name: "summary",
  prompt: summaryPrompt,
  choiceScores: { A: 0, B: 1 }
})

/**
 * The prompt of {@link sql}; a starting point for a judge of your own.
 *
 * @since 0.1.0
 * @category prompts
 */
export const sqlPrompt: string = Prompts.sql

/**
 * Whether the output, a SQL query answering the question in `input`, means the same as the expert's query in
 * `expected` (returns the same result; whitespace, aliases and output column names do not count), judged by the model
 * in the context. Choices and scores as autoevals' `Sql`: Correct 1, Incorrect 0.
 *
 * @since 0.1.0
 * @category scorers
 */
export const sql: Scorer.Scorer<unknown, unknown, unknown, JudgeError, LanguageModel.LanguageModel> = classifier({
  name: "sql",
  prompt: sqlPrompt,
  choiceScores: { Correct: 1, Incorrect: 0 }
})
