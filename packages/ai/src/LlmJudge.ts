/**
 * LLM-as-a-judge scorers on `@effect/ai`: a prompt asks a language model to pick one of a few labelled choices, and
 * each choice stands for a score. This is the model of autoevals' `LLMClassifier`; {@link factuality} is its
 * `Factuality` (same five choices, same scores, our wording of the prompt).
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
import * as Retry from "./internal/judges/retry.js"

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

/** `{{{path}}}` or `{{path}}`, braces balanced; a path is a name, then `.key`s. */
const placeholder = /\{\{\{\s*([A-Za-z_$][\w$]*(?:\.[\w$-]+)*)\s*\}\}\}|\{\{\s*([A-Za-z_$][\w$]*(?:\.[\w$-]+)*)\s*\}\}/g
const exactPlaceholder = new RegExp(`^(?:${placeholder.source})$`)
const roots = new Set(["input", "output", "expected", "metadata"])
/** The name of the structured answer, as autoevals names its tool. */
const objectName = "select_choice"

/** A value as the prompt shows it: strings as they are, anything else as JSON (or `String` when it has a cycle). */
const valueText = (value: unknown): string => {
  if (value === undefined || value === null) return ""
  if (typeof value === "string") return value
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}

const lookup = (args: Scorer.ScorerArgs<unknown, unknown, unknown>, path: string): unknown => {
  let value: unknown = args
  for (const key of path.split(".")) {
    if (value === null || typeof value !== "object" || !Object.hasOwn(value, key)) return undefined
    value = (value as Record<string, unknown>)[key]
  }
  return value
}

/** The choices as a sentence: "A, B or C". */
const listed = (choices: ReadonlyArray<string>): string =>
  choices.length === 1 ? choices[0] : `${choices.slice(0, -1).join(", ")} or ${choices[choices.length - 1]}`

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
    const [, triple, double] = exactPlaceholder.exec(braces) ?? []
    const path = triple ?? double
    if (path === undefined) {
      refuse(`${braces} in the prompt is not a placeholder ({{input}}, {{output}}, {{expected}}, {{metadata.<key>}})`)
    }
    if (Object.hasOwn(fixed, path)) continue
    const root = path.split(".")[0]
    if (!roots.has(root) || path === "metadata") {
      refuse(`the prompt's {{${path}}} is not a case field (input, output, expected or metadata.<key>)`)
    }
    if (root === "expected") usesExpected = true
  }
  const retry = Retry.make(options.retry, refuse)

  const useCoT = options.useCoT ?? true
  const choice = Schema.Literal(...(choices as [Choice, ...Array<Choice>])).annotations({
    description: `A single choice: ${listed(choices)}`
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
      `then put a single choice, ${listed(choices)}, in \`choice\`.`
    : `\n\nAnswer with a single choice, ${listed(choices)}, in \`choice\`.`

  return Scorer.make(
    options.name,
    (args: Scorer.ScorerArgs<Input, Output, Expected>): Effect.Effect<
      Scorer.ScoreResult,
      JudgeError,
      LanguageModel.LanguageModel
    > => {
      if (usesExpected && args.expected === undefined) return Effect.fail(new MissingExpected({ scorer: options.name }))
      const prompt = options.prompt.replace(
        placeholder,
        (_, triple: string | undefined, double: string | undefined) => {
          const path = triple ?? double!
          return Object.hasOwn(fixed, path)
            ? fixed[path]
            : valueText(lookup(args as Scorer.ScorerArgs<unknown, unknown, unknown>, path))
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
export const factualityPrompt = `You are comparing a submitted answer with an expert's answer to a question.
[BEGIN DATA]
************
[Question]: {{{input}}}
************
[Expert]: {{{expected}}}
************
[Submission]: {{{output}}}
************
[END DATA]

Compare the facts in the submission with the facts in the expert's answer; differences in style, grammar or \
punctuation do not count. The submission may hold fewer facts than the expert's answer, more facts, or facts that \
contradict it. Decide which of these applies:
(A) The submission is a subset of the expert's answer and fully consistent with it.
(B) The submission is a superset of the expert's answer and fully consistent with it.
(C) The submission has the same details as the expert's answer.
(D) The submission and the expert's answer disagree.
(E) The answers differ, but not in a way that matters for factuality.`

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
