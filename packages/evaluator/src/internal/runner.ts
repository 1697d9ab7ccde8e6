/**
 * The streaming runner: a fixed pool of worker fibers pulls cases from the dataset, runs the task and the scorers,
 * and folds each result into the summaries as it finishes.
 *
 * The hot path avoids per-case fibers: a worker runs its case inline, a plain (non-Effect) task result costs no
 * Effect at all, and a scorer that has been seen to finish synchronously and quickly runs inline too. Only scorers
 * that suspend (model calls) or are slow get their own fiber, so they run concurrently with each other.
 *
 * @internal
 */
import type * as RequestId from "@helicone-effect/core/RequestId"
import * as Scores from "@helicone-effect/core/Scores"
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as ExecutionStrategy from "effect/ExecutionStrategy"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Predicate from "effect/Predicate"
import * as Runtime from "effect/Runtime"
import * as Scope from "effect/Scope"
import type * as Dataset from "../Dataset.js"
import type { CaseError, CaseResult, EvalReport } from "../EvalReport.js"
import type { Reporter, RunInfo } from "../Reporter.js"
import * as Scorer from "../Scorer.js"
import * as CasesFile from "./casesFile.js"
import * as RequestIds from "./requestIds.js"
import * as source from "./source.js"
import * as Submitter from "./submitter.js"
import { Summary } from "./summary.js"

export interface Config {
  readonly name: string
  readonly dataset: Dataset.Dataset<any, any, any>
  readonly task: (input: any, ctx: any) => unknown
  readonly scorers: ReadonlyArray<Scorer.Scorer<any, any, any, any, any>>
  readonly trials: number
  readonly concurrency: number
  readonly timeout: Duration.Duration | undefined
  readonly thresholds: Readonly<Record<string, number>>
  readonly maxCases: number
  readonly casesFile: string | undefined
  readonly outputDir: string
  readonly reporters: ReadonlyArray<Reporter>
  readonly helicone:
    | {
      readonly submit: Submitter.Submit
      readonly scale: number
      readonly concurrency: number
      readonly strict: boolean
    }
    | undefined
}

/** A scorer that took longer than this inline gets its own fiber from then on. */
const inlineBudgetMs = 1

const lift = (result: CaseResult | Effect.Effect<CaseResult>): Effect.Effect<CaseResult> =>
  Effect.isEffect(result) ? result : Effect.succeed(result)

/** What the task receives; the Helicone headers object is built only when asked for. */
class TaskContext {
  constructor(
    readonly index: number,
    readonly trial: number,
    readonly requestId: RequestId.RequestId,
    readonly name: string | undefined,
    readonly metadata: Readonly<Record<string, unknown>>
  ) {}
  get heliconeHeaders(): { readonly "Helicone-Request-Id": string } {
    return { "Helicone-Request-Id": this.requestId }
  }
}

const noMetadata: Readonly<Record<string, unknown>> = Object.freeze({})

const taskError = (cause: Cause.Cause<unknown>): CaseError => {
  const failure = Cause.failureOption(cause)
  return {
    source: "task",
    message: failure._tag === "Some" ? Scorer.describe(failure.value) : Scorer.describe(Cause.squash(cause))
  }
}

const scorerError = (error: Scorer.ScorerError): CaseError => ({
  source: "scorer",
  scorer: error.scorer,
  message: error.message
})

/** The state of one case while it runs; a timeout snapshots whatever has finished. */
class CaseRun {
  output: unknown = undefined
  taskDone = false
  errors: Array<CaseError> | undefined = undefined
  /** By scorer: its score or error once it answered. Filled in order on the synchronous path, so it stays packed. */
  readonly slots: Array<Scorer.Score | Scorer.ScorerError | undefined> = []
  /** The Effects of scorers that did not answer synchronously, by scorer. */
  effects: Array<Effect.Effect<Scorer.Score, Scorer.ScorerError> | undefined> | undefined = undefined
  constructor(
    readonly index: number,
    readonly trial: number,
    readonly item: Dataset.Case<unknown, unknown>,
    readonly requestId: string,
    readonly start: number,
    readonly scorers: number
  ) {}

  fail(error: CaseError): void {
    ;(this.errors ??= []).push(error)
  }

  result(): CaseResult {
    const slots = this.slots
    // The common case (every scorer scored, nothing failed) reuses the slots as the scores: no copy.
    let clean = this.errors === undefined && slots.length === this.scorers
    for (let i = 0; clean && i < slots.length; i++) {
      const slot = slots[i]
      if (slot === undefined || slot instanceof Scorer.ScorerError) clean = false
    }
    let scores = slots as Array<Scorer.Score>
    let errors: ReadonlyArray<CaseError> = this.errors ?? noErrors
    if (!clean) {
      scores = []
      const failed = this.errors === undefined ? [] : this.errors.slice()
      for (let i = 0; i < slots.length; i++) {
        const slot = slots[i]
        if (slot === undefined) continue
        if (slot instanceof Scorer.ScorerError) failed.push(scorerError(slot))
        else scores.push(slot)
      }
      errors = failed
    }
    const item = this.item
    const result: { -readonly [K in keyof CaseResult]: CaseResult[K] } = {
      index: this.index,
      trial: this.trial,
      input: item.input,
      output: this.output,
      expected: item.expected,
      scores,
      errors,
      duration: performance.now() - this.start,
      requestId: this.requestId
    }
    if (item.name !== undefined) result.name = item.name
    if (item.metadata !== undefined) result.metadata = item.metadata
    return result
  }
}

const noErrors: ReadonlyArray<CaseError> = Object.freeze([])

export const run = (config: Config): Effect.Effect<EvalReport, never, any> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const startedAt = new Date()
      const started = performance.now()
      // Captured inside `restore` so that fibers started from it (slow scorers, cases under a timeout) are interruptible.
      const runtime = yield* restore(Effect.runtime<any>())
      const forkNow = Runtime.runFork(runtime)
      const { scorers, trials, maxCases } = config
      const summary = new Summary(scorers.map((s) => s.name), config.thresholds)
      const warnings: Array<string> = []
      const total = config.dataset.size === undefined ? undefined : config.dataset.size * trials

      let cases: Array<CaseResult> = []
      let file: CasesFile.CasesFile | undefined
      const openFile = (path: string): void => {
        const opened = CasesFile.open(path)
        if (typeof opened === "string") warnings.push(opened)
        else file = opened
      }
      if (config.casesFile !== undefined) openFile(config.casesFile)
      let dropped = false

      const helicone = config.helicone
      const submitter = helicone === undefined ?
        undefined :
        yield* Submitter.make(helicone.submit, helicone.concurrency).pipe(Scope.extend(scope))

      const info: RunInfo = {
        name: config.name,
        total,
        progress: () => ({ done: summary.cases, errored: summary.errored, elapsed: performance.now() - started })
      }
      const reporterScope = yield* Scope.fork(scope, ExecutionStrategy.sequential)
      for (const reporter of config.reporters) {
        if (reporter.onStart === undefined) continue
        yield* restore(reporter.onStart(info)).pipe(
          Scope.extend(reporterScope),
          Effect.catchAllCause((cause) =>
            Effect.sync(() => warnings.push(`a reporter failed to start: ${Cause.pretty(cause)}`))
          )
        )
      }

      // --- finishing a case -------------------------------------------------------------------------------------
      const finish = (result: CaseResult): Effect.Effect<void> | undefined => {
        summary.add(result)
        let wait: Effect.Effect<void> | undefined
        if (file !== undefined) {
          file.write(result)
        } else if (cases.length < maxCases) {
          cases.push(result)
        } else if (!dropped) {
          openFile(config.casesFile ?? defaultCasesFile(config.outputDir, config.name, startedAt))
          if (file === undefined) {
            dropped = true
            warnings.push(`cases past the first ${maxCases} are not kept: the cases file could not be written`)
          } else {
            const spill = file as CasesFile.CasesFile
            for (const kept of cases) spill.write(kept)
            cases = []
            spill.write(result)
          }
        }
        if (submitter !== undefined && result.scores.length > 0) {
          const scores: Record<string, number | boolean> = {}
          for (const score of result.scores) {
            scores[score.name] = score.boolean ? score.score === 1 : Scores.fromUnit(score.score, helicone!.scale)
          }
          const queued = submitter.offer({
            index: result.index,
            trial: result.trial,
            requestId: result.requestId,
            scores
          })
          if (queued !== undefined) wait = wait === undefined ? queued : Effect.zipRight(wait, queued)
        }
        return wait
      }

      // --- scoring ----------------------------------------------------------------------------------------------
      // Scorers that return an Effect: `inline[i]` once scorer i was seen to finish synchronously and quickly.
      const inline: Array<boolean> = scorers.map(() => false)
      const settle = (run: CaseRun, i: number, exit: Exit.Exit<Scorer.Score, Scorer.ScorerError>): void => {
        if (Exit.isSuccess(exit)) run.slots[i] = exit.value
        else {
          const failure = Cause.failureOption(exit.cause)
          run.slots[i] = failure._tag === "Some" ? failure.value : new Scorer.ScorerError({
            scorer: scorers[i].name,
            reason: "Defect",
            detail: Scorer.describe(Cause.squash(exit.cause))
          })
        }
      }
      /** Scores a case: the result itself when every scorer answered synchronously, else an Effect of it. */
      const score = (run: CaseRun, output: unknown): CaseResult | Effect.Effect<CaseResult> => {
        run.output = output
        run.taskDone = true
        const item = run.item
        const args: Scorer.ScorerArgs<unknown, unknown, unknown> = {
          input: item.input,
          output,
          expected: item.expected,
          metadata: item.metadata ?? noMetadata
        }
        let effects: Array<number> | undefined
        for (let i = 0; i < scorers.length; i++) {
          const slot = Scorer.runEager(scorers[i], args)
          if (slot instanceof Scorer.ScorerError || !Effect.isEffect(slot)) run.slots[i] = slot
          else {
            ;(effects ??= []).push(i)
            ;(run.effects ??= [])[i] = slot as Effect.Effect<Scorer.Score, Scorer.ScorerError>
          }
        }
        return effects === undefined ? run.result() : scoreEffects(run, effects)
      }
      const scoreEffects = (run: CaseRun, effects: Array<number>): Effect.Effect<CaseResult> => {
        // Scorers not known to be quick and synchronous start first, each in its own fiber started at once, so that
        // they run concurrently; the others then run one after the other in this fiber.
        let pending: Array<[number, Fiber.RuntimeFiber<Scorer.Score, Scorer.ScorerError>]> | undefined
        let sequential: Array<number> | undefined
        for (const i of effects) {
          if (inline[i]) {
            ;(sequential ??= []).push(i)
            continue
          }
          const fiber = forkNow(run.effects![i]!, { immediate: true })
          const exit = fiber.unsafePoll()
          if (exit === null) (pending ??= []).push([i, fiber])
          else {
            settle(run, i, exit)
            inline[i] = true
          }
        }
        const awaitPending = (): Effect.Effect<CaseResult> =>
          pending === undefined ? Effect.succeed(run.result()) : Effect.forEach(
            pending,
            ([i, fiber]) => Effect.map(Fiber.await(fiber), (exit) => settle(run, i, exit)),
            { discard: true }
          ).pipe(
            Effect.onInterrupt(() => Fiber.interruptAll(pending!.map(([, fiber]) => fiber))),
            Effect.map(() => run.result())
          )
        if (sequential === undefined) return awaitPending()
        return Effect.forEach(sequential, (i) => {
          const at = performance.now()
          return Effect.exit(run.effects![i]!).pipe(Effect.map((exit) => {
            settle(run, i, exit)
            if (performance.now() - at > inlineBudgetMs) inline[i] = false
          }))
        }, { discard: true }).pipe(Effect.flatMap(awaitPending))
      }

      // --- one case ---------------------------------------------------------------------------------------------
      const timeout = config.timeout
      const timedOut = (run: CaseRun): CaseResult => {
        run.fail({ source: "timeout", message: `the case did not finish within ${Duration.format(timeout!)}` })
        if (run.taskDone) {
          for (let i = 0; i < scorers.length; i++) {
            if (run.slots[i] === undefined) {
              run.slots[i] = new Scorer.ScorerError({
                scorer: scorers[i].name,
                reason: "Timeout",
                detail: `no score within ${Duration.format(timeout!)}`
              })
            }
          }
        }
        return run.result()
      }
      const taskFailed = (run: CaseRun, cause: Cause.Cause<unknown>): Effect.Effect<CaseResult> => {
        if (Cause.isInterruptedOnly(cause)) return Effect.failCause(cause as Cause.Cause<never>)
        run.fail(taskError(cause))
        return Effect.succeed(run.result())
      }
      /** Runs a case: the result itself when task and scorers answered synchronously, else an Effect of it. */
      const runCase = (
        item: Dataset.Case<unknown, unknown>,
        index: number,
        trial: number
      ): CaseResult | Effect.Effect<CaseResult> => {
        const requestId = RequestIds.make()
        const run = new CaseRun(index, trial, item, requestId, performance.now(), scorers.length)
        let out: unknown
        try {
          out = config.task(
            item.input,
            new TaskContext(index, trial, requestId, item.name, item.metadata ?? noMetadata)
          )
        } catch (error) {
          run.fail({ source: "task", message: Scorer.describe(error) })
          return run.result()
        }
        let body: Effect.Effect<CaseResult>
        if (Effect.isEffect(out)) {
          body = Effect.matchCauseEffect(out as Effect.Effect<unknown, unknown>, {
            onFailure: (cause) => taskFailed(run, cause),
            onSuccess: (output) => lift(score(run, output))
          })
        } else if (Predicate.isPromiseLike(out)) {
          body = Effect.matchCauseEffect(Effect.tryPromise(() => out as PromiseLike<unknown>), {
            onFailure: (cause) => taskFailed(run, Cause.map(cause, (e) => e.error)),
            onSuccess: (output) => lift(score(run, output))
          })
        } else {
          const scored = score(run, out)
          if (!Effect.isEffect(scored)) return scored
          body = scored
        }
        if (timeout === undefined) return body
        // Start the case at once in its own fiber: one that finishes synchronously needs no timer at all.
        const fiber = forkNow(body, { immediate: true })
        const exit = fiber.unsafePoll()
        if (exit !== null) return exit
        return Fiber.join(fiber).pipe(
          Effect.timeoutTo({
            duration: timeout,
            onTimeout: () => {
              fiber.unsafeInterruptAsFork(fiber.id())
              return timedOut(run)
            },
            onSuccess: (result) => result
          }),
          Effect.onInterrupt(() => Fiber.interrupt(fiber))
        )
      }

      // --- the workers ------------------------------------------------------------------------------------------
      const data = yield* config.dataset.open.pipe(Scope.extend(scope))
      let current: Dataset.Case<unknown, unknown> | source.Invalid | undefined
      let index = -1
      let trial = trials
      const invalid = (bad: source.Invalid, at: number): CaseResult => ({
        index: at,
        trial: 0,
        input: undefined,
        output: undefined,
        expected: undefined,
        scores: [],
        errors: [
          bad.line === undefined ?
            { source: "data", message: bad.message } :
            { source: "data", message: bad.message, line: bad.line }
        ],
        duration: 0,
        requestId: RequestIds.make()
      })
      // A worker runs synchronous cases in a plain loop and yields to the other fibers every `sliceMs`; a case that
      // suspends (or an I/O wait in `finish`) hands over to Effect.
      const sliceMs = 10
      const step = (stop: () => void): Effect.Effect<void> => {
        const deadline = performance.now() + sliceMs
        for (let n = 1;; n++) {
          if (trial >= trials || current === undefined) {
            const next = data.take()
            if (next === source.Done) {
              stop()
              return Effect.void
            }
            if (next === source.Empty) return data.fill
            current = next
            index++
            trial = 0
            if (next instanceof source.Invalid) {
              trial = trials
              const wait = finish(invalid(next, index))
              if (wait !== undefined) return wait
              continue
            }
          }
          const result = runCase(current as Dataset.Case<unknown, unknown>, index, trial++)
          if (Effect.isEffect(result)) return Effect.flatMap(result, (r) => finish(r) ?? Effect.void)
          const wait = finish(result)
          if (wait !== undefined) return wait
          if ((n & 31) === 0 && performance.now() > deadline) return Effect.yieldNow()
        }
      }
      const worker = Effect.suspend(() => {
        let running = true
        const stop = () => {
          running = false
        }
        return Effect.whileLoop({ while: () => running, body: () => step(stop), step: () => undefined })
      })
      const workers = Effect.forEach(Array.from({ length: config.concurrency }), () => worker, {
        concurrency: "unbounded",
        discard: true
      })

      const exit = yield* Effect.exit(restore(workers))
      if (Exit.isFailure(exit) && !Cause.isInterruptedOnly(exit.cause)) return yield* Effect.failCause(exit.cause)
      let interrupted = Exit.isFailure(exit)

      yield* Scope.close(reporterScope, Exit.void)
      if (file !== undefined) {
        const failure = file.close()
        if (failure !== undefined) warnings.push(failure)
      }
      let heliconeSummary: EvalReport["helicone"]
      if (submitter !== undefined) {
        if (!interrupted) interrupted = Exit.isFailure(yield* Effect.exit(restore(submitter.drain)))
        heliconeSummary = yield* submitter.summary
      }
      yield* Scope.close(scope, Exit.void)

      const duration = performance.now() - started
      const scorerSummaries = summary.scorers()
      const passed = !interrupted && scorerSummaries.every((s) => s.passed !== false) &&
        !(helicone?.strict === true && heliconeSummary !== undefined && heliconeSummary.failed > 0)
      const report: { -readonly [K in keyof EvalReport]: EvalReport[K] } = {
        version: 1,
        name: config.name,
        interrupted,
        passed,
        trials,
        concurrency: config.concurrency,
        totals: summary.totals(),
        scorers: scorerSummaries,
        timings: {
          startedAt: startedAt.toISOString(),
          finishedAt: new Date(startedAt.getTime() + duration).toISOString(),
          duration,
          casesPerSecond: duration > 0 ? summary.cases / (duration / 1000) : 0,
          slowest: summary.slowestCases()
        },
        cases: file === undefined ? cases : []
      }
      if (heliconeSummary !== undefined) report.helicone = heliconeSummary
      if (file !== undefined) report.casesFile = file.path
      for (const reporter of config.reporters) {
        if (reporter.onEnd === undefined) continue
        yield* reporter.onEnd(report).pipe(
          Effect.catchAllCause((cause) => Effect.sync(() => warnings.push(`a reporter failed: ${Cause.pretty(cause)}`)))
        )
      }
      if (warnings.length > 0) report.warnings = warnings
      return report
    })
  )

const defaultCasesFile = (dir: string, name: string, startedAt: Date): string => {
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || "eval"
  const stamp = startedAt.toISOString().replace(/[:.]/g, "-")
  return `${dir}/${slug}-${stamp}.cases.jsonl`
}
