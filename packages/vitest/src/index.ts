/**
 * Eval suites as Vitest tests, on `@effect/vitest`: `describeEval(suite)` registers one test per case, runs the task
 * and the scorers with the runner's semantics (timeouts, typed failures, thrown errors, trials), fails a case that
 * scores below a threshold with a diff of its output against the expected value, and ends with a summary test that
 * checks the suite's mean scores against its thresholds, like `helicone-eval run`.
 *
 * The cases must be known when Vitest collects the file: give the suite an array (or a synchronous iterable). For
 * data that loads asynchronously, load it with top-level `await` first:
 *
 * ```ts
 * const cases = await loadCases() // top-level await in the test file
 * describeEval(Eval.make({ name: "support", data: cases, task, scorers }))
 * ```
 *
 * @since 0.1.0
 */
import * as Vitest from "@effect/vitest"
import type { HeliconeScores } from "@helicone-effect/core/HeliconeScores"
import * as Dataset from "@helicone-effect/evaluator/Dataset"
import * as Eval from "@helicone-effect/evaluator/Eval"
import * as EvalReport from "@helicone-effect/evaluator/EvalReport"
import * as Reporter from "@helicone-effect/evaluator/Reporter"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import * as TestServices from "effect/TestServices"

/**
 * The options of {@link describeEval}.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** The name of the `describe` block. Default: the suite's name. */
  readonly name?: string | undefined
  /**
   * The score each case must reach, per scorer. Default: the suite's thresholds (which the summary test checks
   * against the mean, whatever this option says). `{}` makes case tests fail only on errors.
   */
  readonly thresholds?: Readonly<Record<string, number>> | undefined
  /** Vitest's time limit per case test, in milliseconds. Default: Vitest's `testTimeout`. */
  readonly timeout?: number | undefined
  /** Add the summary test at the end. Default `true`. */
  readonly summary?: boolean | undefined
}

/**
 * Sending each case's scores to Helicone from {@link describeEval}: allowed only with a `layer` or an `it` that
 * provides `HeliconeScores` (and, for durable delivery, a `ScoreQueue`). With `strict`, a case whose scores Helicone
 * did not take fails its test.
 *
 * @since 0.1.0
 * @category models
 */
export interface HeliconeOption {
  readonly helicone: Eval.HeliconeOptions
}

/**
 * Registers a suite's cases as Vitest tests in a `describe` block named after the suite.
 *
 * For scorers or tasks that need services, pass `layer` (built once for the block, torn down after it) or register
 * inside your own `layer(...)` block of `@effect/vitest` and pass its `it`. Cases always run on the live clock, so a
 * task that waits really waits, even under `it.effect`'s `TestClock`.
 *
 * @example
 * ```ts
 * import { Eval, Scorers } from "@helicone-effect/evaluator"
 * import { describeEval } from "@helicone-effect/vitest"
 *
 * describeEval(Eval.make({
 *   name: "capitals",
 *   data: [{ input: "France", expected: "Paris" }, { input: "Japan", expected: "Tokyo" }],
 *   task: (country: string) => (country === "France" ? "Paris" : "Tokyo"),
 *   scorers: [Scorers.exactMatch],
 *   thresholds: { exactMatch: 1 }
 * }))
 * ```
 *
 * @since 0.1.0
 * @category testing
 */
export const describeEval: {
  <I, O, E>(suite: Eval.Suite<I, O, E, never>, options?: Options & { readonly helicone?: undefined }): void
  <I, O, E, R, LE>(
    suite: Eval.Suite<I, O, E, R>,
    options: Options & { readonly layer: Layer.Layer<R, LE>; readonly helicone?: undefined }
  ): void
  <I, O, E, R>(
    suite: Eval.Suite<I, O, E, R>,
    options: Options & { readonly it: Vitest.Vitest.MethodsNonLive<R, boolean>; readonly helicone?: undefined }
  ): void
  <I, O, E, R, LE>(
    suite: Eval.Suite<I, O, E, R>,
    options: Options & HeliconeOption & { readonly layer: Layer.Layer<NoInfer<R> | HeliconeScores, LE> }
  ): void
  <I, O, E, R>(
    suite: Eval.Suite<I, O, E, R>,
    options: Options & HeliconeOption & {
      readonly it: Vitest.Vitest.MethodsNonLive<NoInfer<R> | HeliconeScores, boolean>
    }
  ): void
} = (
  suite: Eval.Suite<any, any, any, any>,
  options: Options & {
    readonly layer?: Layer.Layer<any, any> | undefined
    readonly it?: Vitest.Vitest.MethodsNonLive<any, boolean> | undefined
    readonly helicone?: Eval.HeliconeOptions | undefined
  } = {}
): void => {
  const cases = readCases(suite)
  const thresholds = options.thresholds ?? suite.thresholds
  const register = (test: Vitest.Vitest.Tester<any>) => {
    const results: Array<EvalReport.CaseResult> = []
    cases.forEach((item, index) => {
      const name = Dataset.isUnreadable(item) ? `#${index} unreadable data` : caseName(item, index)
      test(name, () =>
        Dataset.isUnreadable(item)
          ? Effect.die(new Error(`case #${index}: ${item.message}`))
          : TestServices.provideLive(
            Eval.runCase(suite, item, index, { helicone: options.helicone } as { helicone: Eval.HeliconeOptions })
          ).pipe(
            Effect.tap((ran) => Effect.sync(() => results.push(...ran.cases))),
            Effect.flatMap((ran) =>
              Effect.sync(() => {
                if (options.helicone?.strict === true && ran.helicone !== undefined) strictCheck(name, ran.helicone)
                check(name, item, ran.cases, thresholds)
              })
            )
          ), options.timeout)
    })
    if (options.summary !== false) {
      test("summary", (ctx) =>
        Effect.sync(() => {
          if (results.length === 0) return ctx.skip()
          const report = summarize(suite, results)
          console.log(Reporter.summaryText(report))
          const failing = report.scorers.filter((s) => s.passed === false)
          if (failing.length > 0) {
            throw new Error(
              `${suite.name}: mean below threshold: ${
                failing.map((s) => `${s.name} ${format(s.thresholdMean)} < ${s.threshold}`).join(", ")
              }`
            )
          }
        }))
    }
  }
  Vitest.describe(options.name ?? suite.name, () => {
    if (options.it !== undefined) register(options.it.effect)
    else if (options.layer !== undefined) {
      Vitest.layer(options.layer, { excludeTestServices: true })((it) => register(it.effect))
    } else register(Vitest.it.live as Vitest.Vitest.Tester<any>)
  })
}

/** The suite's cases, read now; a source that would need to wait (a file, a stream) is refused with the fix. */
const readCases = (
  suite: Eval.Suite<any, any, any, any>
): Array<Dataset.Case<unknown, unknown> | Dataset.Unreadable> => {
  const cases = Dataset.readNow(suite.data)
  if (cases !== undefined) return cases
  throw new Error(
    `describeEval(${suite.name}): the cases must be known when Vitest collects the file. Pass an array as the ` +
      "suite's data; for data that loads asynchronously (a JSONL file, a stream, an API), load it with top-level " +
      "`await` in the test file and pass the array."
  )
}

/** `#3 refund request`; an unnamed case is named after its input, on one line, truncated. */
const caseName = (item: Dataset.Case<unknown, unknown>, index: number): string => {
  if (item.name !== undefined && item.name !== "") return EvalReport.caseLabel({ index, trial: 0, name: item.name })
  let text: string
  try {
    text = typeof item.input === "string" ? item.input : JSON.stringify(item.input) ?? String(item.input)
  } catch {
    text = String(item.input)
  }
  text = text.replace(/\s+/g, " ").trim()
  return EvalReport.caseLabel({ index, trial: 0, name: text.length > 60 ? `${text.slice(0, 59)}…` : text })
}

const format = (n: number | null | undefined): string => (n === null || n === undefined ? "-" : n.toFixed(3))

/** Fails the test when the case errored, or when a scorer's mean over the trials is below its threshold. */
const check = (
  name: string,
  item: Dataset.Case<unknown, unknown>,
  results: ReadonlyArray<EvalReport.CaseResult>,
  thresholds: Readonly<Record<string, number>>
): void => {
  const errors = results.flatMap((result) =>
    result.errors.map((error) =>
      `${results.length > 1 ? `trial ${result.trial}: ` : ""}${
        error.source === "scorer" ? `scorer ${error.scorer ?? ""}` : error.source
      }: ${error.message}`
    )
  )
  const below: Array<string> = []
  for (const [scorer, threshold] of Object.entries(thresholds)) {
    const scores = results.flatMap((result) => result.scores.filter((s) => s.name === scorer).map((s) => s.score))
    if (scores.length === 0) continue
    const mean = scores.reduce((sum, s) => sum + s, 0) / scores.length
    if (mean < threshold) below.push(`${scorer} ${format(mean)} < ${threshold}`)
  }
  if (errors.length === 0 && below.length === 0) return
  const lines = [`${name}: ${below.length > 0 ? "below threshold" : "failed"}`]
  for (const line of [...errors, ...below]) lines.push(`  ${line}`)
  const error = new Error(lines.join("\n")) as Error & { actual?: unknown; expected?: unknown; showDiff?: boolean }
  if (item.expected !== undefined && results.length > 0) {
    // Vitest prints "- Expected + Received" for an error carrying these.
    error.actual = results[0].output
    error.expected = item.expected
    error.showDiff = true
  }
  throw error
}

/** With `helicone.strict`, fails the test of a case whose scores Helicone did not take. */
const strictCheck = (name: string, helicone: EvalReport.HeliconeSummary): void => {
  if (!EvalReport.heliconeFailed(helicone)) return
  const lines = [`${name}: Helicone did not take the scores (strict)`]
  for (const failure of helicone.failures) lines.push(`  ${failure.error}: ${failure.message}`)
  if ((helicone.deadLettered ?? 0) > 0) lines.push(`  dead-lettered: ${helicone.deadLettered}`)
  if ((helicone.outbox ?? 0) > 0) lines.push(`  left in the outbox: ${helicone.outbox}`)
  throw new Error(lines.join("\n"))
}

/** The report of the cases that ran in this file (all of them, or those a filter kept). */
const summarize = (
  suite: Eval.Suite<any, any, any, any>,
  results: ReadonlyArray<EvalReport.CaseResult>
): EvalReport.EvalReport =>
  EvalReport.fromResults({
    name: suite.name,
    scorers: suite.scorers.map((s) => s.name),
    thresholds: suite.thresholds,
    trials: suite.trials,
    results
  })
