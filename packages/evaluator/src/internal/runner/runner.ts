/**
 * The streaming runner behind `Eval.run`: a fixed pool of worker fibers pulls cases from the dataset, runs the task
 * and the scorers, and folds each result into the summaries as it finishes.
 *
 * Its contract, which `Eval.run`'s documentation and tests rely on:
 * - Bounded concurrency: exactly `concurrency` workers, so at most that many cases are in flight; the data is pulled
 *   one case at a time as a worker frees up, so a file or stream of any length runs in bounded memory.
 * - Trials: each case runs `trials` times in a row, each trial a result of its own with its own request id.
 * - Per-case timeouts (10 minutes unless the suite says otherwise): a case that suspends is stopped at `timeout` (its
 *   forked scorers too), its `ctx.signal` aborted, and recorded with what had finished; one that ran synchronously
 *   past it keeps its output and scores and gets a `timeout` error. One timer serves the whole run (`Cases.expire`).
 * - A failing case never stops the rest: a throw, rejection, failure or defect of the task or a scorer, or an
 *   unreadable row, becomes an error in that case's result. The Effect never fails; only a defect of the runner
 *   itself escapes.
 * - Interruption yields a partial report: workers stop taking cases, the cases in flight have their `ctx.signal`
 *   aborted and are recorded with an `interrupted` error and whatever scores they had, and every reporter's `onEnd`
 *   gets the report before the run ends as interrupted.
 * - Past `maxCases` (or from the start, given `casesFile`) results go to a JSONL cases file (`casesFile.ts`),
 *   written through `FileSystem` and `Path` when the context has them; without them, or when the file cannot be
 *   written, the run keeps the first `maxCases` and says so in `report.warnings`.
 *
 * Why it is hand-built: a run is 100,000s of cases of microseconds each, and the combinators cost more than the
 * work (`Stream.mapEffect({ concurrency: 64 })` about 200 µs a case, `Effect.forEach({ concurrency })` about 10 µs,
 * against a few µs for a case here; see `bench/runner`). So the hot path avoids per-case fibers and Effects: a worker
 * runs its case inline, a plain (non-Effect) task result costs no Effect at all, and a scorer that has been seen to
 * finish synchronously and quickly runs inline too. Only scorers that suspend (model calls) or are slow get their
 * own fiber, so they run concurrently with each other.
 *
 * @internal
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import * as Scores from "@helicone-effect/core/Scores"
import * as Cause from "effect/Cause"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as ExecutionStrategy from "effect/ExecutionStrategy"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Runtime from "effect/Runtime"
import * as Scope from "effect/Scope"
import { formatUsd } from "../../Cost.js"
import type * as Cost from "../../Cost.js"
import type * as Dataset from "../../Dataset.js"
import type { MaxErrors, Threshold } from "../../Eval.js"
import type { CaseResult, EvalReport } from "../../EvalReport.js"
import type * as ModelCalls from "../../ModelCalls.js"
import { type Progress, type Reporter, ReporterWarning, type RunInfo } from "../../Reporter.js"
import type * as Scorer from "../../Scorer.js"
import type * as Comparison from "../report/comparison.js"
import { suiteSlug } from "../report/labels.js"
import * as Report from "../report/report.js"
import { earlier, Summary } from "../report/summary.js"
import { prettyCause } from "../report/text.js"
import * as Usage from "../report/usage.js"
import { caseKey, shardOf } from "../stats/caseKey.js"
import { Cases, type Running } from "./caseRun.js"
import * as CasesFile from "./casesFile.js"
import { clock, isEffect } from "./hot.js"
import { RunCalls } from "./modelCalls.js"
import * as RequestIds from "./requestIds.js"
import * as source from "./source.js"
import * as Submitter from "./submitter.js"

export interface Config {
  readonly name: string
  readonly dataset: Dataset.Dataset<any, any, any>
  readonly task: (input: any, ctx: any) => unknown
  readonly scorers: ReadonlyArray<Scorer.Scorer<any, any, any, any, any>>
  readonly trials: number
  readonly concurrency: number
  readonly timeout: Duration.Duration | undefined
  readonly thresholds: Readonly<Record<string, Threshold>>
  /** The k of pass@k, for several trials; default the trials. */
  readonly k?: number | undefined
  /** Run only the cases whose key falls in shard `index` (1-based) of `count`. */
  readonly shard?: { readonly index: number; readonly count: number } | undefined
  /** The baseline to compare the run with, and how the comparison is judged. */
  readonly baseline?: { readonly prepared: Comparison.Prepared; readonly rule: Comparison.Rule } | undefined
  /** Why the baseline given could not be compared: a warning, and with `failOnRegression` a failing reason. */
  readonly baselineProblem?: { readonly message: string; readonly failOnRegression: boolean } | undefined
  /** Errored cases the verdict allows (see `Eval.MaxErrors`); validated by `Eval.make` and `Eval.run`. Default 0. */
  readonly maxErrors?: MaxErrors | undefined
  readonly maxCases: number
  readonly casesFile: string | undefined
  readonly outputDir: string
  readonly reporters: ReadonlyArray<Reporter<any>>
  readonly helicone:
    | {
      readonly submit: Submitter.Submit
      readonly scale: number
      readonly concurrency: number
      readonly strict: boolean
    }
    | undefined
  /** The index of the dataset's first case. Default 0. */
  readonly firstIndex?: number | undefined
  /** The run's cache mode, given to model layers through `ModelCalls.CurrentCase`. Default `"off"`. */
  readonly cache?: ModelCalls.CacheMode | undefined
  /** The prices, checked and merged over the built-in ones (`Cost.merge`). */
  readonly prices: Cost.PriceTable
  /** USD: once the run's cost reaches it, no further case starts. Checked by `Eval.run`. */
  readonly maxCost?: number | undefined
}

export const run = (config: Config): Effect.Effect<EvalReport, never, any> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const startedAt = new Date()
      const started = performance.now()
      // Captured inside `restore` so that fibers started from it (slow scorers, cases under a timeout) are
      // interruptible.
      const runtime = yield* restore(Effect.runtime<any>())
      const { scorers, trials, maxCases } = config
      const summary = new Summary(scorers.map((s) => s.name), config.thresholds, { trials, k: config.k })
      const warnings: Array<string> = []
      /** Cases whose scores were not sent: the request they go to was answered from the call cache, never sent. */
      let unlogged = 0
      if (config.baselineProblem !== undefined) warnings.push(config.baselineProblem.message)
      const shard = config.shard
      // a shard runs a part of the cases that is known only as they are read
      // a JSONL file's cases are counted first when that is cheap, so that progress has a total
      const size = config.dataset.size ??
        (config.dataset.count === undefined || shard !== undefined ?
          undefined :
          yield* config.dataset.count.pipe(Scope.extend(scope)))
      const total = size === undefined || shard !== undefined ? undefined : size * trials
      // Case keys, for a baseline to match cases by and for shards to split them by: counted over the whole data,
      // so that a repeated key is told apart by its order there (`name:a#2`), in every shard alike.
      // A run with a call cache keys its cases too: a cache entry names its case by key.
      const cacheMode = config.cache ?? "off"
      const keyed = shard !== undefined || config.baseline !== undefined
      const seen = keyed || cacheMode !== "off" ? new Map<string, number>() : undefined
      let key: string | undefined
      const modelCalls = new RunCalls(
        config.name,
        RequestIds.make(),
        cacheMode,
        new Usage.Accumulator(config.prices, (model) => {
          Runtime.runFork(runtime)(
            Effect.logWarning(
              `no price for the model ${JSON.stringify(model)}: the cost of its calls is unknown (give its price in ` +
                "the prices option, or --prices <file.json> to helicone-eval)"
            )
          )
        })
      )
      const maxCost = config.maxCost
      let stoppedAtBudget = false

      let kept: Array<CaseResult> = []
      let file: CasesFile.CasesFile | undefined
      // The cases file is written through `FileSystem` and `Path` when the context has them (`Eval.run` requires
      // them when a `casesFile` or an `outputDir` is given); without them, a warning says why no file was written.
      const fileSystem = yield* Effect.serviceOption(FileSystem.FileSystem)
      const paths = yield* Effect.serviceOption(Path.Path)
      const openFile = (path: string): Effect.Effect<void> => {
        if (Option.isNone(fileSystem) || Option.isNone(paths)) {
          warnings.push(
            `cannot write the cases file ${path}: no FileSystem and Path in the context (on Node, provide ` +
              "NodeContext.layer from @effect/platform-node)"
          )
          return Effect.void
        }
        return CasesFile.open(path).pipe(
          Effect.provideService(FileSystem.FileSystem, fileSystem.value),
          Effect.provideService(Path.Path, paths.value),
          Effect.map((opened) => {
            if (typeof opened === "string") warnings.push(opened)
            else file = opened
          })
        )
      }
      if (config.casesFile !== undefined) yield* openFile(config.casesFile)
      let dropped = false
      // Set while the cases file opens: the results that finish meanwhile are kept, then written after the others.
      let spilling = false
      // A run that may pass `maxCases` keeps copies (see `keepable`); one that fits keeps its results as they are.
      const mayWrite = total === undefined || total > maxCases

      const helicone = config.helicone
      const submitter = helicone === undefined ?
        undefined :
        yield* Submitter.make(helicone.submit, helicone.concurrency).pipe(Scope.extend(scope))

      // Summed as cases are recorded, for the mean case time progress gives.
      let durations = 0
      let inFlight: Cases | undefined = undefined
      const info: RunInfo = {
        name: config.name,
        total,
        progress: () =>
          new ProgressNow(summary.cases, summary.errored, performance.now() - started, durations, inFlight)
      }
      const reporterScope = yield* Scope.fork(scope, ExecutionStrategy.sequential)
      for (const reporter of config.reporters) {
        if (reporter.onStart === undefined) continue
        // Suspended: a reporter that throws, rather than failing its Effect, gets a warning too.
        yield* restore(Effect.suspend(() => reporter.onStart!(info))).pipe(
          Scope.extend(reporterScope),
          Effect.catchAllCause((cause) =>
            Effect.sync(() => warnings.push(reporterWarning("a reporter failed to start", cause)))
          )
        )
      }

      // --- finishing a case -------------------------------------------------------------------------------------
      /**
       * Folds a result into the summaries and keeps it, in memory or in the cases file; gives back what to wait for
       * when the file opens or its writer has fallen behind.
       */
      const record = (result: CaseResult): Effect.Effect<void> | undefined => {
        summary.add(result)
        durations += result.duration
        if (file !== undefined) return file.write(result)
        if (kept.length < maxCases || spilling) {
          kept.push(mayWrite ? keepable(result) : result)
          return undefined
        }
        if (dropped) return undefined
        spilling = true
        kept.push(keepable(result))
        return spill
      }
      // Uninterruptible: an interruption must not come between opening the file and writing the kept cases to it.
      const spill = Effect.suspend(() =>
        openFile(config.casesFile ?? defaultCasesFile(config.outputDir, config.name, startedAt))
      ).pipe(
        Effect.map(() => {
          spilling = false
          if (file === undefined) {
            dropped = true
            if (kept.length > maxCases) kept.length = maxCases
            warnings.push(`cases past the first ${maxCases} are not kept: the cases file could not be written`)
          } else {
            for (const earlier of kept) file.write(earlier)
            kept = []
          }
        }),
        Effect.uninterruptible
      )
      /** Records a result and sends its scores to Helicone; gives back what to wait for when the queue is full. */
      const finish = (result: CaseResult): Effect.Effect<void> | undefined => {
        let wait = record(result)
        if (submitter !== undefined && result.scores.length > 0 && answeredFromCache(result)) {
          unlogged++
        } else if (submitter !== undefined && result.scores.length > 0) {
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

      // A case in flight when the run is interrupted is recorded, not sent to Helicone: its scores may be partial.
      const cases = new Cases(
        config.task,
        scorers,
        config.timeout,
        runtime,
        record,
        yield* Effect.clock,
        modelCalls
      )
      inFlight = cases
      const expiring = yield* Effect.fork(Effect.interruptible(cases.expire))

      // --- the workers ------------------------------------------------------------------------------------------
      const data = yield* config.dataset.open.pipe(Scope.extend(scope))
      let current: Dataset.Case<unknown, unknown> | source.Invalid | undefined
      let index = (config.firstIndex ?? 0) - 1
      let trial = trials
      // A worker runs synchronous cases in a plain loop; a case that suspends (or an I/O wait in `finish`) hands over
      // to Effect. Synchronous cases never give Node's event loop a turn by themselves (Effect's scheduler runs its
      // fibers from microtasks), and without one no timer fires, no I/O callback runs and no signal is handled: no
      // progress line, no Helicone response, no Ctrl-C. So synchronous work goes in slices of `sliceMs`: the worker
      // that finds the slice over waits for the event loop's next turn (`setImmediate`, after timers and I/O); after
      // it, the first worker to run starts the next slice and the others wait for the turn after. (So one worker at a
      // time runs synchronous cases, which is all one thread can do; workers in asynchronous cases are not held.) The
      // clock is read every 32 cases, and after any case that took a quarter of a millisecond or more.
      const sliceMs = 10
      let sliceEnd = 0
      let turned = true
      // The workers waiting for the event loop's next turn; one `setImmediate` wakes them all.
      let waiting: Array<() => void> = []
      const wakeAll = () => {
        const woken = waiting
        waiting = []
        turned = true
        for (const wake of woken) wake()
      }
      const nextTurn = Effect.async<void>((resume) => {
        const wake = () => resume(Effect.void)
        if (waiting.push(wake) === 1) setImmediate(wakeAll)
        return Effect.sync(() => {
          const at = waiting.indexOf(wake)
          if (at >= 0) waiting.splice(at, 1)
        })
      })
      const step = (stop: () => void): Effect.Effect<void> => {
        if (clock.now() >= sliceEnd) {
          if (!turned) return nextTurn
          turned = false
          sliceEnd = clock.now() + sliceMs
        }
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
            if (seen !== undefined) {
              // from the name and input only, as a report's cases give them back (a baseline's, a shard's)
              const raw = next instanceof source.Invalid ? caseKey({}) : caseKey({ name: next.name, input: next.input })
              const n = (seen.get(raw) ?? 0) + 1
              seen.set(raw, n)
              key = n === 1 ? raw : `${raw}#${n}`
              if (shard !== undefined && shardOf(key, shard.count) !== shard.index) {
                trial = trials
                continue
              }
              if (keyed) summary.keyCase(index, next instanceof source.Invalid ? undefined : next.name, key)
            }
            if (next instanceof source.Invalid) {
              trial = trials
              const wait = finish(cases.invalid(next, index))
              if (wait !== undefined) return wait
              continue
            }
          }
          if (maxCost !== undefined && modelCalls.totals.cost >= maxCost) {
            // the budget is spent: no further case starts; the cases in flight finish
            stoppedAtBudget = true
            stop()
            return Effect.void
          }
          const result = cases.run(current as Dataset.Case<unknown, unknown>, index, trial++, key)
          if (isEffect(result)) return finishLater(result)
          const wait = finish(result)
          if (wait !== undefined) return wait
          if (((n & 31) === 0 || result.duration >= 0.25) && clock.now() >= sliceEnd) return nextTurn
        }
      }
      // A case that suspended is recorded as soon as it ends: an interruption can stop it while it runs (it is then
      // recorded as interrupted) or while `finish` waits for room in the Helicone queue, not in between.
      const finishLater = (result: Effect.Effect<CaseResult>): Effect.Effect<void> =>
        Effect.uninterruptibleMask((restore) =>
          Effect.flatMap(restore(result), (r) => {
            const wait = finish(r)
            return wait === undefined ? Effect.void : restore(wait)
          })
        )
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
      // No case is in flight any more: the timer that stops them goes too.
      yield* Fiber.interrupt(expiring)
      if (Exit.isFailure(exit) && !Cause.isInterruptedOnly(exit.cause)) {
        // A defect of the runner itself: the cases written so far stay readable.
        if (file !== undefined) yield* file.close
        return yield* Effect.failCause(exit.cause)
      }
      let interrupted = Exit.isFailure(exit)

      yield* Scope.close(reporterScope, Exit.void)
      if (file !== undefined) {
        const failure = yield* file.close
        if (failure !== undefined) warnings.push(failure)
        const unwritable = file.unwritable()
        if (unwritable !== undefined) warnings.push(unwritable)
      }
      let heliconeSummary: EvalReport["helicone"]
      if (submitter !== undefined) {
        if (!interrupted) interrupted = Exit.isFailure(yield* Effect.exit(restore(submitter.drain)))
        heliconeSummary = yield* submitter.summary
      }
      yield* Scope.close(scope, Exit.void)

      const report = Report.build({
        name: config.name,
        trials,
        concurrency: config.concurrency,
        interrupted,
        summary,
        maxErrors: config.maxErrors,
        startedAt,
        duration: performance.now() - started,
        cases: file === undefined ? inCaseOrder(kept) : [],
        helicone: heliconeSummary === undefined ? undefined : { summary: heliconeSummary, strict: helicone!.strict },
        casesFile: file?.path,
        shard,
        baseline: config.baseline,
        baselineProblem: config.baselineProblem?.failOnRegression ? config.baselineProblem.message : undefined,
        usage: modelCalls.totals.usage(),
        stopped: stoppedAtBudget ?
          {
            reason: "budget",
            maxCost: maxCost!,
            cost: modelCalls.totals.cost,
            casesNotRun: total === undefined ? null : Math.max(0, total - summary.cases)
          } :
          undefined
      })
      if (maxCost !== undefined && !stoppedAtBudget && modelCalls.totals.cost > maxCost) {
        warnings.push(
          `the run cost ${formatUsd(modelCalls.totals.cost)}, over maxCost ${formatUsd(maxCost)}, with every case ` +
            "started before the budget was reached (the budget stops starting cases; a lower concurrency stops " +
            "sooner)"
        )
      }
      if (unlogged > 0) {
        warnings.push(
          `${unlogged} ${unlogged === 1 ? "case's scores were" : "cases' scores were"} not sent to Helicone: the ` +
            "task's first model call, whose request id they go to, was answered from the call cache, so no request " +
            "was logged under it and Helicone would drop them"
        )
      }
      if (cacheMode !== "off" && modelCalls.totals.calls === 0) {
        const warning = `the cache mode "${cacheMode}" had no effect: no model call went through the run's model ` +
          "layers (give the task and the judges @helicone-effect/ai's model layers)"
        // in the report's warnings, which every reporter shows, as the run's other warnings are; not logged too,
        // so the terminal does not say it twice
        warnings.push(warning)
      }
      // The reporters see the run's warnings (a cases file that could not be written, a reporter that failed to
      // start); the array is the report's, so a reporter that fails below is listed too in the returned report.
      if (warnings.length > 0) report.warnings = warnings
      for (const reporter of config.reporters) {
        if (reporter.onEnd === undefined) continue
        yield* Effect.suspend(() => reporter.onEnd!(report)).pipe(
          Effect.catchAllCause((cause) => Effect.sync(() => warnings.push(reporterWarning("a reporter failed", cause))))
        )
      }
      if (warnings.length > 0) report.warnings = warnings
      return report
    })
  )

/**
 * Whether the request a case's scores go to was never sent: the task's call under that id was answered from the call
 * cache. Helicone drops scores for a request it never logged, so they are not sent.
 */
const answeredFromCache = (result: CaseResult): boolean => {
  if (result.calls === undefined) return false
  for (const call of result.calls) if (call.requestId === result.requestId) return call.cache === "hit"
  return false
}

/** A reporter's failure as a warning: a `ReporterWarning`'s own words, else `what` and the cause. */
const reporterWarning = (what: string, cause: Cause.Cause<unknown>): string => {
  const failure = Cause.failureOption(cause)
  if (failure._tag === "Some" && failure.value instanceof ReporterWarning) return failure.value.warning
  return `${what}: ${prettyCause(cause)}`
}

/** How many of the cases in flight the longest progress lists. */
const shownRunning = 3

/** What `RunInfo.progress` gives: the cases in flight are listed only when a reporter reads `running`. */
class ProgressNow implements Progress {
  readonly meanDuration: number
  readonly #cases: Cases | undefined
  constructor(
    readonly done: number,
    readonly errored: number,
    readonly elapsed: number,
    durations: number,
    cases: Cases | undefined
  ) {
    this.meanDuration = done === 0 ? 0 : durations / done
    this.#cases = cases
  }
  get running(): ReadonlyArray<Running> {
    return this.#cases === undefined ? [] : this.#cases.longestRunning(shownRunning)
  }
}

const defaultCasesFile = (dir: string, name: string, startedAt: Date): string =>
  `${dir}/${suiteSlug(name)}-${startedAt.toISOString().replace(/[:.]/g, "-")}.cases.jsonl`

/**
 * The kept cases in the data's order (by index, then trial), whatever order they finished in, so that two runs of a
 * suite give reports that read and diff alike. Cases run in order mostly finish in order: one pass finds out.
 */
const inCaseOrder = (cases: Array<CaseResult>): Array<CaseResult> => {
  for (let i = 1; i < cases.length; i++) {
    if (earlier(cases[i].index, cases[i].trial, cases[i - 1])) {
      return cases.sort((a, b) => a.index - b.index || a.trial - b.trial)
    }
  }
  return cases
}

/**
 * A copy of a result, made to be kept: its objects come from these allocation sites, not from the runner's.
 *
 * V8 allocates objects straight into its old generation ("pretenuring") from an allocation site whose young objects
 * have mostly survived. A run that keeps its first `maxCases` results teaches it exactly that about the sites that
 * build results and scores; once the run writes to its cases file instead, every later result would still be
 * allocated old, live one case, and fill the old generation with garbage (a million-case run's RSS grew by some
 * 90 MB between major collections, and scavenges promoted 300 bytes per case instead of 30). Keeping copies leaves
 * the runner's sites with short-lived objects only. A run known to fit in `maxCases` keeps its results as they are:
 * there, allocating them old from the start is what V8 should do.
 */
const keepable = (result: CaseResult): CaseResult => {
  // Shared scores (frozen, see `Scorer.SharedScores`) are not allocated per case: they are kept as they are.
  const scores = result.scores.map((score) => Object.isFrozen(score) ? score : { ...score })
  return { ...result, scores }
}
