/**
 * Eval suites as Vitest tests, on `@effect/vitest`: `describeEval(suite)` registers one test per case, runs the task
 * and the scorers with the runner's semantics (timeouts, typed failures, thrown errors, trials), up to the suite's
 * `concurrency` cases at a time, fails a case that errored or scores below a threshold with a diff of its output
 * against the expected value, and ends with a summary test that fails exactly when the run's verdict does, as
 * `helicone-eval run` judges it (`EvalReport.Verdict`: unreadable data, nothing scored, errored cases over
 * `maxErrors`, a threshold mean below its threshold, strict Helicone delivery), with the reasons as its message.
 *
 * The rule between the two: the verdict is the summary's. A case test fails on its own case's error, or on a score
 * below the per-case `thresholds`; the summary judges the run as a whole, so it can pass while case tests fail
 * (errored cases that `maxErrors` allows, a case below a threshold that the mean still meets) — it then says so in
 * its output — and it fails, with its reasons, whenever the verdict fails.
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
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as FiberId from "effect/FiberId"
import type * as Layer from "effect/Layer"
import * as TestServices from "effect/TestServices"
import type { TestContext } from "vitest"

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
   * The score each case test requires, per scorer (the mean over its trials). Default: the suite's thresholds.
   * `{}` makes case tests fail only on errors; a threshold given as `{ min, on }` asks each case for `min`. The
   * summary test judges the suite's thresholds against their
   * threshold means, whatever this option says.
   */
  readonly thresholds?: Readonly<Record<string, Eval.Threshold>> | undefined
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
 * The first test of the block that runs starts every case Vitest is going to run (a `-t` filter or a `.only`
 * leaves the others out), up to the suite's `concurrency` at a time; each case test waits for its own case, so
 * Vitest's time limit per test covers that case alone, and the block takes about what `helicone-eval` takes.
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
  const thresholds = perCase(options.thresholds ?? suite.thresholds)
  const register = (test: Vitest.Vitest.Tester<any>) => {
    const names = new Map<string, number>()
    const batch = makeBatch(suite, cases, names, options.helicone)
    cases.forEach((item, index) => {
      const name = Dataset.isUnreadable(item) ? `#${index} unreadable data` : caseName(item, index)
      names.set(name, index)
      test(name, (ctx) =>
        Effect.flatMap(batch.result(ctx, index), (ran) =>
          Effect.sync(() => {
            if (Dataset.isUnreadable(item)) throw new Error(`${name}: ${item.message}`)
            if (options.helicone?.strict === true && ran.helicone !== undefined) strictCheck(name, ran.helicone)
            check(name, item, ran.cases, thresholds)
          })), options.timeout)
    })
    if (options.summary !== false) {
      test("summary", (ctx) =>
        Effect.gen(function*() {
          const ran = yield* batch.all(ctx)
          // every case test was filtered out (`-t`, `.only` elsewhere): nothing of this suite ran here
          if (ran === undefined) return ctx.skip()
          const report = summarize(suite, ran, options.helicone)
          console.log(Reporter.summaryText(report))
          const failing = failingCases(cases, ran.runs, thresholds)
          if (!report.passed) {
            throw new Error(
              `${suite.name}: FAILED: ${report.verdict.reasons.map((reason) => reason.message).join("; ")}`
            )
          }
          if (failing > 0) {
            // The verdict is the summary's, as `helicone-eval` judges the run; say why the case tests disagree.
            console.log(
              `${suite.name}: the verdict passed, but ${plural(failing, "case test")} failed: ${
                suite.maxErrors === 0 ? "" : `errored cases that maxErrors (${suite.maxErrors}) allows, or `
              }scores below the per-case thresholds`
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

/** The score each case test requires per scorer: a threshold's `min` (a case has no interval of its own to judge). */
const perCase = (thresholds: Readonly<Record<string, Eval.Threshold>>): Record<string, number> =>
  Object.fromEntries(
    Object.entries(thresholds).map(([name, t]) => [name, typeof t === "number" ? t : t.min])
  )

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

/** What the batch ran: each case's run, in index order, and how long the whole batch took (ms). */
interface Ran {
  readonly runs: ReadonlyArray<readonly [index: number, run: Eval.CaseRun]>
  readonly duration: number
}

/**
 * The cases of one `describeEval` block, run together as `Eval.run` runs them: up to the suite's `concurrency` at a
 * time, started by the first test of the block that runs, for the case tests Vitest will run (a `-t` filter or a
 * `.only` leaves the others out). Each case test then waits for its own case only, so its time limit covers that
 * case, and the block takes about what `helicone-eval` takes rather than the sum of its cases.
 */
const makeBatch = (
  suite: Eval.Suite<any, any, any, any>,
  cases: ReadonlyArray<Dataset.Case<unknown, unknown> | Dataset.Unreadable>,
  names: ReadonlyMap<string, number>,
  helicone: Eval.HeliconeOptions | undefined
) => {
  const pending = new Map<number, Deferred.Deferred<Eval.CaseRun>>()
  let done: Deferred.Deferred<number> | undefined
  const runOne = (index: number): Effect.Effect<Eval.CaseRun, never, any> => {
    const item = cases[index]
    if (Dataset.isUnreadable(item)) return Effect.succeed({ cases: [unreadable(index, item)], helicone: undefined })
    return Eval.runCase(suite, item, index, { helicone } as { helicone: Eval.HeliconeOptions })
  }
  const start = (ctx: TestContext): Effect.Effect<void, never, any> =>
    Effect.suspend(() => {
      if (done !== undefined) return Effect.void
      done = Deferred.unsafeMake<number>(FiberId.none)
      const finished = done
      for (const task of ctx.task.suite?.tasks ?? []) {
        const index = task.type === "test" && task.mode === "run" ? names.get(task.name) : undefined
        if (index !== undefined) pending.set(index, Deferred.unsafeMake<Eval.CaseRun>(FiberId.none))
      }
      const started = performance.now()
      const all = Effect.forEach(
        pending,
        ([index, deferred]) => Effect.flatMap(Effect.exit(runOne(index)), (exit) => Deferred.done(deferred, exit)),
        { concurrency: suite.concurrency, discard: true }
      )
      // A daemon: the batch outlives the test that started it; the block's layer stays up until its last test.
      return Effect.asVoid(Effect.forkDaemon(
        TestServices.provideLive(all).pipe(
          Effect.ensuring(Effect.suspend(() => Deferred.succeed(finished, performance.now() - started)))
        )
      ))
    })
  return {
    /** The run of the case at `index`, once it finished; a case no batch took (none should) runs on its own. */
    result: (ctx: TestContext, index: number): Effect.Effect<Eval.CaseRun, never, any> =>
      Effect.zipRight(
        start(ctx),
        Effect.suspend(() => {
          const deferred = pending.get(index)
          return deferred === undefined ? TestServices.provideLive(runOne(index)) : Deferred.await(deferred)
        })
      ),
    /** Every case the batch ran, once they all finished; `undefined` when it ran none though the suite has cases. */
    all: (ctx: TestContext): Effect.Effect<Ran | undefined, never, any> =>
      Effect.gen(function*() {
        yield* start(ctx)
        const duration = yield* Deferred.await(done!)
        if (pending.size === 0 && cases.length > 0) return undefined
        const runs: Array<readonly [number, Eval.CaseRun]> = []
        for (const [index, deferred] of [...pending].sort(([a], [b]) => a - b)) {
          runs.push([index, yield* Deferred.await(deferred)])
        }
        return { runs, duration }
      })
  }
}

/** A row that could not be read, as the runner records one: a case with a `data` error. */
const unreadable = (index: number, item: Dataset.Unreadable): EvalReport.CaseResult => ({
  index,
  trial: 0,
  input: undefined,
  output: undefined,
  expected: undefined,
  scores: [],
  errors: [
    item.line === undefined ? { source: "data", message: item.message } : {
      source: "data",
      message: item.message,
      line: item.line
    }
  ],
  duration: 0,
  requestId: ""
})

/** How many case tests fail: a case that errored, or scored below a per-case threshold. */
const failingCases = (
  cases: ReadonlyArray<Dataset.Case<unknown, unknown> | Dataset.Unreadable>,
  runs: Ran["runs"],
  thresholds: Readonly<Record<string, number>>
): number => {
  let failing = 0
  for (const [index, run] of runs) {
    try {
      const item = cases[index]
      if (Dataset.isUnreadable(item)) failing++
      else check("", item, run.cases, thresholds)
    } catch {
      failing++
    }
  }
  return failing
}

/** The report of the cases that ran in this file (all of them, or those a filter kept), judged as `Eval.run` would. */
const summarize = (
  suite: Eval.Suite<any, any, any, any>,
  ran: Ran,
  helicone: Eval.HeliconeOptions | undefined
): EvalReport.EvalReport => {
  const delivered = ran.runs.flatMap(([, run]) => run.helicone === undefined ? [] : [run.helicone])
  return EvalReport.fromResults({
    name: suite.name,
    scorers: suite.scorers.map((s) => s.name),
    thresholds: suite.thresholds,
    trials: suite.trials,
    results: ran.runs.flatMap(([, run]) => run.cases),
    maxErrors: suite.maxErrors,
    concurrency: suite.concurrency,
    duration: ran.duration,
    helicone: helicone === undefined || delivered.length === 0 ?
      undefined :
      { summary: mergeHelicone(delivered), strict: helicone.strict ?? false }
  })
}

/** The Helicone summaries of every case, as one run's. */
const mergeHelicone = (summaries: ReadonlyArray<EvalReport.HeliconeSummary>): EvalReport.HeliconeSummary => {
  const sum = (key: "delivered" | "outbox" | "deadLettered") =>
    summaries.some((s) => s[key] !== undefined) ? summaries.reduce((n, s) => n + (s[key] ?? 0), 0) : undefined
  const merged: { -readonly [K in keyof EvalReport.HeliconeSummary]: EvalReport.HeliconeSummary[K] } = {
    submitted: summaries.reduce((n, s) => n + s.submitted, 0),
    failed: summaries.reduce((n, s) => n + s.failed, 0),
    skipped: summaries.reduce((n, s) => n + s.skipped, 0),
    failures: summaries.flatMap((s) => s.failures).slice(0, 100)
  }
  if (summaries[0].delivery !== undefined) merged.delivery = summaries[0].delivery
  for (const key of ["delivered", "outbox", "deadLettered"] as const) {
    const value = sum(key)
    if (value !== undefined) merged[key] = value
  }
  return merged
}

const plural = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? "" : "s"}`
