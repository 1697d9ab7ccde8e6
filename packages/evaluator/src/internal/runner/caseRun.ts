/**
 * Running one case: the task, then the scorers, into a {@link CaseResult}.
 *
 * The common case (a task and scorers that answer with plain values) is a straight line with no Effect, no fiber
 * and no per-case state beyond the task's context, the scorers' arguments, the scores and the result itself: it is
 * what a run does 100,000s of times, and what it allocates is what the GC pays for. A case whose task or scorers
 * suspend (a Promise, an Effect) moves to a {@link CaseRun} and runs as an Effect; scorers that suspend each get a
 * fiber started at once, so that model calls run concurrently.
 *
 * @internal
 */
import type * as RequestId from "@helicone-effect/core/RequestId"
import * as Cause from "effect/Cause"
import type * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as Runtime from "effect/Runtime"
import type * as Dataset from "../../Dataset.js"
import type { CaseError, CaseResult } from "../../EvalReport.js"
import { CurrentCase } from "../../ModelCalls.js"
import type * as ModelCalls from "../../ModelCalls.js"
import * as Scorer from "../../Scorer.js"
import { describe, describeFailure } from "../report/text.js"
import { caseKey } from "../stats/caseKey.js"
import { clock, isEffect, suspends } from "./hot.js"
import { CaseCalls, type RunCalls, type Waits } from "./modelCalls.js"
import * as RequestIds from "./requestIds.js"
import type * as source from "./source.js"

/**
 * What the task receives; the Helicone headers object, the signal and the case's model calls are built only when
 * asked for: a case whose task and scorers never read `signal` costs no `AbortController`, and one that makes no
 * model call no `CaseCalls`.
 */
class TaskContext implements ModelCalls.Case {
  #controller: AbortController | undefined = undefined
  /** Why the case was stopped, once it was: a signal first asked for after that is aborted already. */
  #reason: unknown = undefined
  #calls: CaseCalls | undefined = undefined
  /** The case's state once it suspended: where its deadline is. */
  run: CaseRun | undefined = undefined
  readonly #cases: Cases
  readonly #item: Case
  #key: string | undefined
  constructor(
    readonly index: number,
    readonly trial: number,
    readonly requestId: RequestId.RequestId,
    readonly name: string | undefined,
    readonly metadata: Readonly<Record<string, unknown>>,
    cases: Cases,
    item: Case,
    key: string | undefined
  ) {
    this.#cases = cases
    this.#item = item
    this.#key = key
  }
  /** The case's model calls, if any model layer asked for them. */
  get callsIfAny(): CaseCalls | undefined {
    return this.#calls
  }
  /** The case's model calls, made the first time a model layer takes a request id, records a call or waits. */
  calls(): CaseCalls {
    if (this.#calls === undefined) {
      this.#calls = this.#cases.callsFor(this, this.#item, this.key)
      this.#calls.owner = this
    }
    return this.#calls
  }

  // The task's `ModelCalls.Case` is its context itself, so that an Effect task is given `CurrentCase` with no
  // allocation: its state (`CaseCalls`) is made only for a case that makes a model call.
  get currentCase(): ModelCalls.Case {
    return this
  }
  get suite(): string {
    return this.#cases.modelCalls.suite
  }
  get runId(): string {
    return this.#cases.modelCalls.runId
  }
  get cache(): ModelCalls.CacheMode {
    return this.#cases.modelCalls.cache
  }
  get key(): string {
    return this.#key ??= caseKey({ name: this.name, input: this.#item.input })
  }
  get role(): ModelCalls.Role {
    return "task"
  }
  get scorer(): string | undefined {
    return undefined
  }
  get nextRequestId(): () => string {
    return this.calls().nextRequestId
  }
  get record(): (call: ModelCalls.ModelCall) => void {
    return this.calls().record
  }
  get waiting(): <A, E, R>(wait: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R> {
    return this.calls().waiting
  }
  get heliconeHeaders(): { readonly "Helicone-Request-Id": string } {
    return { "Helicone-Request-Id": this.requestId }
  }
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new globalThis.AbortController()
      if (this.#reason !== undefined) this.#controller.abort(this.#reason)
    }
    return this.#controller.signal
  }
  /** Aborts the case's signal (at most once) with `reason`. */
  abort(reason: unknown): void {
    if (this.#reason !== undefined) return
    this.#reason = reason
    this.#controller?.abort(reason)
  }
}

/** What a scorer receives: the case's signal is the task's, read only when asked for. */
class ScorerArgs implements Scorer.ScorerArgs<unknown, unknown, unknown> {
  readonly #ctx: TaskContext
  constructor(
    readonly input: unknown,
    readonly output: unknown,
    readonly expected: unknown,
    readonly metadata: Readonly<Record<string, unknown>>,
    ctx: TaskContext
  ) {
    this.#ctx = ctx
  }
  get signal(): AbortSignal {
    return this.#ctx.signal
  }
}

/** What a case's signal is aborted with at its timeout: what `AbortSignal.timeout` gives, with the case's words. */
const timeoutReason = (timeout: Duration.Duration): unknown =>
  new globalThis.DOMException(`the case timed out after ${Duration.format(timeout)}`, "TimeoutError")

/** What a case's signal is aborted with when the run is interrupted (Ctrl-C, a fiber interrupt). */
const interruptedReason = (): unknown =>
  new globalThis.DOMException("the run was interrupted before the case finished", "AbortError")

/** A case in flight, as progress shows it. */
export interface Running {
  readonly index: number
  readonly trial: number
  readonly name?: string | undefined
  /** Milliseconds since the case started. */
  readonly elapsed: number
}

type Case = Dataset.Case<unknown, unknown>
type Slot = Scorer.Score | Scorer.ScorerError | undefined
/** What `Scorer.runEager` gives. */
type Eager = Scorer.Score | Scorer.ScorerError | Effect.Effect<Scorer.Score, Scorer.ScorerError, any>

const noMetadata: Readonly<Record<string, unknown>> = Object.freeze({})
const noErrors: ReadonlyArray<CaseError> = Object.freeze([])

/** A scorer that took longer than this inline gets its own fiber from then on. */
const inlineBudgetMs = 1

/**
 * Milliseconds rounded to the microsecond. The digits below that are timer noise, and the shortest decimal of an
 * arbitrary double (`0.011514945254804785`) costs the JSON serializer more than the rest of a result's numbers.
 */
const micros = (ms: number): number => Math.round(ms * 1000) / 1000

/** Builds a result; every result has this shape (the same key order, so the same hidden class). */
const resultOf = (
  index: number,
  trial: number,
  item: Case,
  output: unknown,
  scores: ReadonlyArray<Scorer.Score>,
  errors: ReadonlyArray<CaseError>,
  start: number,
  requestId: string,
  calls: CaseCalls | undefined
): CaseResult => {
  const result: { -readonly [K in keyof CaseResult]: CaseResult[K] } = {
    index,
    trial,
    input: item.input,
    output,
    expected: item.expected,
    scores,
    errors,
    duration: micros(clock.now() - start),
    requestId
  }
  if (item.name !== undefined) result.name = item.name
  if (item.metadata !== undefined) result.metadata = item.metadata
  if (calls !== undefined) withCalls(result, calls)
  return result
}

/** A case's model calls, its cache counts and the time it waited, on its result: each only when there is one. */
const withCalls = (result: { -readonly [K in keyof CaseResult]: CaseResult[K] }, calls: CaseCalls): void => {
  if (calls.log !== undefined && calls.log.length > 0) result.calls = calls.log.slice()
  const cache = calls.cacheCounts()
  if (cache !== undefined) result.cache = cache
  if (calls.waitedMs > 0) result.waitedMs = micros(calls.waitedMs)
}

const isScore = (slot: Eager): slot is Scorer.Score => !(slot instanceof Scorer.ScorerError) && !isEffect(slot)

const taskError = (cause: Cause.Cause<unknown>): CaseError => {
  const failure = Cause.failureOption(cause)
  return {
    source: "task",
    message: failure._tag === "Some" ? describeFailure(failure.value) : describe(Cause.squash(cause))
  }
}

const scorerError = (error: Scorer.ScorerError): CaseError => ({
  source: "scorer",
  scorer: error.scorer,
  message: error.message
})

/** The state of a case that suspended; a timeout snapshots whatever has finished. */
class CaseRun {
  output: unknown = undefined
  taskDone = false
  /** Whether the case ran out of time: what had finished then is its result. */
  timedOut = false
  /** Under a timeout: when it runs out (the run's `Clock`, in milliseconds), and what `expire` gave at that time. */
  deadline = 0
  expired: CaseResult | undefined = undefined
  /** Under a timeout: the fiber the case runs in. */
  fiber: Fiber.RuntimeFiber<CaseResult, never> | undefined = undefined
  errors: Array<CaseError> | undefined = undefined
  /** How an Effect task gets `CurrentCase`: in the fiber `withTimeout` starts, or provided. */
  task: "fork" | "provide" | undefined = undefined
  /** By scorer: its score or error once it answered. */
  readonly slots: Array<Slot>
  /** The Effects of scorers that did not answer synchronously, by scorer. */
  effects: Array<Effect.Effect<Scorer.Score, Scorer.ScorerError> | undefined> | undefined = undefined
  constructor(
    readonly index: number,
    readonly trial: number,
    readonly item: Case,
    readonly requestId: string,
    readonly start: number,
    scorers: number,
    readonly ctx: TaskContext
  ) {
    this.slots = new Array(scorers)
    ctx.run = this
  }

  fail(error: CaseError): void {
    ;(this.errors ??= []).push(error)
  }

  result(): CaseResult {
    const slots = this.slots
    let clean = this.errors === undefined
    for (let i = 0; clean && i < slots.length; i++) {
      const slot = slots[i]
      if (slot === undefined || slot instanceof Scorer.ScorerError) clean = false
    }
    // The common case (every scorer scored, nothing failed) uses the slots as the scores: no copy.
    const { index, item, output, requestId, start, trial } = this
    const calls = this.ctx.callsIfAny
    if (clean) {
      return resultOf(index, trial, item, output, slots as Array<Scorer.Score>, noErrors, start, requestId, calls)
    }
    const scores: Array<Scorer.Score> = []
    const errors = this.errors === undefined ? [] : this.errors.slice()
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i]
      if (slot === undefined) continue
      if (slot instanceof Scorer.ScorerError) errors.push(scorerError(slot))
      else scores.push(slot)
    }
    return resultOf(index, trial, item, output, scores, errors, start, requestId, calls)
  }
}

/** Runs the cases of one run: `run` gives the result itself when everything answered synchronously. */
export class Cases implements Waits {
  /** Scorers that return an Effect: `inline[i]` once scorer i was seen to finish synchronously and quickly. */
  private readonly inline: Array<boolean>
  /** By scorer: the score objects that stand in for every 0, 1, `false` and `true` it gives. */
  private readonly shared: Array<Scorer.SharedScores>
  /** The timeout in milliseconds (`Infinity` without one), compared with each synchronous case's duration. */
  private readonly timeoutMs: number
  /** A finite timeout, or none. */
  private readonly timeout: Duration.Duration | undefined
  /** The cases that suspended and have not finished, the earliest started first (a `Set` keeps insertion order). */
  private readonly running = new Set<CaseRun>()
  /** The cases under the timeout, by deadline: every case has the same timeout, so the earliest started first. */
  private readonly timed = new Set<CaseRun>()
  /**
   * The cases under the timeout that are waiting (`ModelCalls.Case.waiting`) or whose deadline a wait moved: out of
   * the order of `timed`, so looked through one by one (there are at most as many as cases in flight).
   */
  private readonly extended = new Set<CaseRun>()
  /** When `expire` wakes next (the run's clock), and what wakes it sooner: a wait that ended before then. */
  private wakeAt = Infinity
  private wake: Deferred.Deferred<void> | undefined = undefined
  private readonly forkNow: <A, E>(
    effect: Effect.Effect<A, E, any>,
    options: Runtime.RunForkOptions
  ) => Fiber.RuntimeFiber<A, E>
  constructor(
    private readonly task: (input: unknown, ctx: TaskContext) => unknown,
    private readonly scorers: ReadonlyArray<Scorer.Scorer<any, any, any, any, any>>,
    timeout: Duration.Duration | undefined,
    /** The run's runtime: slow scorers and cases under the timeout get a fiber of their own from it. */
    private readonly runtime: Runtime.Runtime<any>,
    /** Gets the result of a case that was in flight when the run was interrupted. */
    private readonly interrupted: (result: CaseResult) => void,
    /** The run's clock: the deadlines are read from it, and `expire` sleeps on it (a `TestClock` in tests). */
    private readonly clock: Clock.Clock,
    /** What every case's `ModelCalls.Case` shares. */
    readonly modelCalls: RunCalls
  ) {
    this.forkNow = Runtime.runFork(runtime)
    this.inline = scorers.map(() => false)
    this.shared = scorers.map((scorer) => Scorer.sharedScores(scorer.name))
    // `Duration.infinity` turns the timeout off.
    this.timeout = timeout === undefined || !Duration.isFinite(timeout) ? undefined : timeout
    this.timeoutMs = this.timeout === undefined ? Infinity : Duration.toMillis(this.timeout)
  }

  /**
   * Stops the cases that run out of time, for as long as the run goes (to be forked, and interrupted at the end);
   * nothing without a timeout. One timer for the run, not one per case: a timer raced with each case (the way
   * `Effect.timeout` does it) cost a Promise task some 40 µs more a case.
   */
  get expire(): Effect.Effect<void> {
    const timeout = this.timeout
    if (timeout === undefined) return Effect.void
    return Effect.forever(Effect.suspend(() => {
      const due = this.expireDue(timeout)
      const wake = this.wake = Deferred.unsafeMake<void>(FiberId.none)
      return Effect.raceFirst(this.clock.sleep(due), Deferred.await(wake))
    }))
  }

  /** Stops the cases past their deadline; gives how long to sleep until the next one can be. */
  private expireDue(timeout: Duration.Duration): Duration.Duration {
    const now = this.clock.unsafeCurrentTimeMillis()
    // A case started after this sleep began has its deadline after it ends: no case is woken late.
    let next = now + this.timeoutMs
    for (const run of this.timed) {
      if (run.deadline > now) {
        next = run.deadline
        break
      }
      this.timed.delete(run)
      if (isWaiting(run)) this.extended.add(run)
      else this.expireRun(run, timeout)
    }
    for (const run of this.extended) {
      if (isWaiting(run)) continue
      if (run.deadline > now) next = Math.min(next, run.deadline)
      else {
        this.extended.delete(run)
        this.expireRun(run, timeout)
      }
    }
    this.wakeAt = next
    return Duration.millis(next - now)
  }

  private expireRun(run: CaseRun, timeout: Duration.Duration): void {
    run.expired = this.timedOut(run) // what had finished at the timeout
    // A Promise cannot be interrupted: the signal is what can stop the task's and the scorers' calls.
    run.ctx.abort(timeoutReason(timeout))
    run.fiber!.unsafeInterruptAsFork(FiberId.none)
  }

  // --- model calls (`ModelCalls.CurrentCase`) ---------------------------------------------------------------

  /** The model calls of a case, made the first time the case or a model layer asks for them. */
  callsFor(ctx: TaskContext, item: Case, key: string | undefined): CaseCalls {
    return new CaseCalls(this.modelCalls, this, ctx.index, ctx.trial, ctx.name, ctx.requestId, item.input, key)
  }

  /**
   * Starts `effect` in a fiber of its own whose context has `CurrentCase`: what `Effect.provideService` gives, without
   * the `acquireUseRelease` it goes through (which made a case whose task is an Effect take some 40% longer).
   */
  private forkIn<A, E>(effect: Effect.Effect<A, E, any>, current: ModelCalls.Case): Fiber.RuntimeFiber<A, E> {
    const runtime = this.runtime
    return Runtime.runFork(
      Runtime.make({
        context: Context.add(runtime.context, CurrentCase, current),
        fiberRefs: runtime.fiberRefs,
        runtimeFlags: runtime.runtimeFlags
      })
    )(effect, { immediate: true })
  }

  readonly now = (): number => this.clock.unsafeCurrentTimeMillis()

  /** A case's waits ended: its deadline moves later by the time waited, and `expire` wakes if it is due sooner. */
  readonly waited = (calls: CaseCalls, waited: number): void => {
    const run = (calls.owner as TaskContext | undefined)?.run
    if (run === undefined || run.fiber === undefined || run.expired !== undefined) return
    if (!this.timed.delete(run) && !this.extended.has(run)) return // finished
    run.deadline += waited
    this.extended.add(run)
    if (run.deadline < this.wakeAt && this.wake !== undefined) {
      this.wakeAt = -Infinity
      Deferred.unsafeDone(this.wake, Effect.void)
    }
  }

  /** Up to `limit` of the cases in flight, the longest-running first. */
  longestRunning(limit: number): Array<Running> {
    const now = clock.now()
    const found: Array<Running> = []
    for (const run of this.running) {
      if (found.length >= limit) break
      const elapsed = now - run.start
      found.push(
        run.item.name === undefined ?
          { index: run.index, trial: run.trial, elapsed } :
          { index: run.index, trial: run.trial, name: run.item.name, elapsed }
      )
    }
    return found
  }

  /** Runs a case; `key` is its case key when the runner made one (for a baseline, shards or the cache). */
  run(item: Case, index: number, trial: number, key?: string): CaseResult | Effect.Effect<CaseResult> {
    const requestId = RequestIds.make()
    const start = clock.now()
    const metadata = item.metadata ?? noMetadata
    const ctx = new TaskContext(index, trial, requestId, item.name, metadata, this, item, key)
    let output: unknown
    let later: boolean
    try {
      output = this.task(item.input, ctx)
      // `await` reads a Promise-like's `then` too, and takes a `then` getter (or a revoked Proxy) that throws as a
      // rejection: so does the case.
      later = suspends(output)
    } catch (error) {
      const failed: CaseError = { source: "task", message: describe(error) }
      return this.late(resultOf(index, trial, item, undefined, [], [failed], start, requestId, ctx.callsIfAny))
    }
    if (later) {
      return this.suspended(new CaseRun(index, trial, item, requestId, start, this.scorers.length, ctx), output)
    }
    // The fast path: score at once into an array of the exact size.
    const scorers = this.scorers
    const args = new ScorerArgs(item.input, output, item.expected, metadata, ctx)
    const scores = new Array<Scorer.Score>(scorers.length)
    for (let i = 0; i < scorers.length; i++) {
      const slot = Scorer.runEager(scorers[i], args, this.shared[i])
      if (isScore(slot)) {
        scores[i] = slot
        continue
      }
      // A scorer failed or suspended: carry on with the general path from scorer i.
      const run = new CaseRun(index, trial, item, requestId, start, scorers.length, ctx)
      for (let j = 0; j < i; j++) run.slots[j] = scores[j]
      run.output = output
      run.taskDone = true
      return this.inFlight(run, this.withTimeout(run, this.scoreFrom(run, args, i, slot)))
    }
    return this.late(resultOf(index, trial, item, output, scores, noErrors, start, requestId, ctx.callsIfAny))
  }

  /**
   * A case that ran synchronously cannot be stopped at its timeout: when it took longer, its result (output and
   * scores kept) gets a `timeout` error, so that a slow synchronous task or scorer does not go unnoticed.
   */
  private late(result: CaseResult): CaseResult {
    // the time waited for a rate limiter does not count against the timeout
    if (result.duration - (result.waitedMs ?? 0) <= this.timeoutMs) return result
    const timeout = this.timeout!
    if (result.errors.some((error) => error.source === "timeout")) return result
    const error: CaseError = {
      source: "timeout",
      message: `the case took ${Duration.format(Duration.millis(result.duration))}, past its timeout of ${
        Duration.format(timeout)
      } (it ran synchronously, so it could not be stopped)`
    }
    return { ...result, errors: [...result.errors, error] }
  }

  /** A case that could not be read from the dataset. */
  invalid(bad: source.Invalid, at: number): CaseResult {
    const error: CaseError = bad.line === undefined ?
      { source: "data", message: bad.message } :
      { source: "data", message: bad.message, line: bad.line }
    return {
      index: at,
      trial: 0,
      input: undefined,
      output: undefined,
      expected: undefined,
      scores: [],
      errors: [error],
      duration: 0,
      requestId: RequestIds.make()
    }
  }

  // --- the general path ---------------------------------------------------------------------------------------

  private suspended(run: CaseRun, out: unknown): CaseResult | Effect.Effect<CaseResult> {
    let effect: boolean
    try {
      effect = isEffect(out)
    } catch (error) {
      // a Proxy whose traps answered `suspends` and throw now
      run.fail({ source: "task", message: describe(error) })
      return this.late(run.result())
    }
    // An Effect task is given `CurrentCase`: under the timeout (by default) its fiber starts with it (`withTimeout`).
    if (effect) run.task = this.timeout === undefined ? "provide" : "fork"
    const body = effect ?
      Effect.matchCauseEffect(
        run.task === "provide" ?
          Effect.provideService(out as Effect.Effect<unknown, unknown>, CurrentCase, run.ctx) :
          out as Effect.Effect<unknown, unknown>,
        {
          onFailure: (cause) => this.taskFailed(run, cause),
          onSuccess: (output) => lift(this.score(run, output))
        }
      ) :
      Effect.matchCauseEffect(Effect.tryPromise(() => out as PromiseLike<unknown>), {
        onFailure: (cause) => this.taskFailed(run, Cause.map(cause, (e) => e.error)),
        onSuccess: (output) => lift(this.score(run, output))
      })
    return this.inFlight(run, this.withTimeout(run, body))
  }

  /**
   * A case that suspended is in flight until its Effect ends (listed in `running` until then). If the run is
   * interrupted first, its signal is aborted and the case is still reported: with an `interrupted` error, its output
   * if the task had answered, and the scores that had finished.
   */
  private inFlight(
    run: CaseRun,
    result: CaseResult | Effect.Effect<CaseResult>
  ): CaseResult | Effect.Effect<CaseResult> {
    if (!isEffect(result)) return result
    const running = this.running
    running.add(run)
    return Effect.onExit(result, (exit) => {
      running.delete(run)
      if (Exit.isSuccess(exit) || !Cause.isInterruptedOnly(exit.cause)) return Effect.void
      return Effect.sync(() => {
        run.ctx.abort(interruptedReason())
        // A case that timed out already has its result; the run may be interrupted while the case's fiber stops.
        if (!run.timedOut) {
          run.fail({ source: "interrupted", message: "the run was interrupted before the case finished" })
        }
        this.interrupted(run.result())
      })
    })
  }

  private taskFailed(run: CaseRun, cause: Cause.Cause<unknown>): Effect.Effect<CaseResult> {
    if (Cause.isInterruptedOnly(cause)) return Effect.failCause(cause as Cause.Cause<never>)
    run.fail(taskError(cause))
    return Effect.succeed(run.result())
  }

  /** Scores a case: the result itself when every scorer answered synchronously, else an Effect of it. */
  private score(run: CaseRun, output: unknown): CaseResult | Effect.Effect<CaseResult> {
    run.output = output
    run.taskDone = true
    const item = run.item
    const args = new ScorerArgs(item.input, output, item.expected, item.metadata ?? noMetadata, run.ctx)
    return this.scoreFrom(run, args, 0, undefined)
  }

  /** Runs scorers `from..`, the first of which may already have answered `first`. */
  private scoreFrom(
    run: CaseRun,
    args: Scorer.ScorerArgs<unknown, unknown, unknown>,
    from: number,
    first: Eager | undefined
  ): CaseResult | Effect.Effect<CaseResult> {
    const scorers = this.scorers
    let effects: Array<number> | undefined
    for (let i = from; i < scorers.length; i++) {
      const slot = i === from && first !== undefined ? first : Scorer.runEager(scorers[i], args, this.shared[i])
      if (slot instanceof Scorer.ScorerError || !isEffect(slot)) run.slots[i] = slot
      else {
        ;(effects ??= []).push(i)
        ;(run.effects ??= [])[i] = slot as Effect.Effect<Scorer.Score, Scorer.ScorerError>
      }
    }
    return effects === undefined ? run.result() : this.scoreEffects(run, effects)
  }

  private settle(run: CaseRun, i: number, exit: Exit.Exit<Scorer.Score, Scorer.ScorerError>): void {
    if (Exit.isSuccess(exit)) run.slots[i] = exit.value
    else {
      const failure = Cause.failureOption(exit.cause)
      run.slots[i] = failure._tag === "Some" ? failure.value : new Scorer.ScorerError({
        scorer: this.scorers[i].name,
        reason: "Defect",
        detail: describe(Cause.squash(exit.cause))
      })
    }
  }

  private scoreEffects(run: CaseRun, effects: Array<number>): Effect.Effect<CaseResult> {
    // Scorers not known to be quick and synchronous start first, each in its own fiber started at once, so that
    // they run concurrently; the others then run one after the other in this fiber.
    const inline = this.inline
    let pending: Array<[number, Fiber.RuntimeFiber<Scorer.Score, Scorer.ScorerError>]> | undefined
    let sequential: Array<number> | undefined
    for (const i of effects) {
      if (inline[i]) {
        ;(sequential ??= []).push(i)
        continue
      }
      // the scorer's model calls are the case's, as a judge's
      const fiber = this.forkIn(run.effects![i]!, run.ctx.calls().judge(this.scorers[i].name))
      const exit = fiber.unsafePoll()
      if (exit === null) (pending ??= []).push([i, fiber])
      else {
        this.settle(run, i, exit)
        inline[i] = true
      }
    }
    const awaitPending = (): Effect.Effect<CaseResult> =>
      pending === undefined ? Effect.succeed(run.result()) : Effect.forEach(
        pending,
        ([i, fiber]) => Effect.map(Fiber.await(fiber), (exit) => this.settle(run, i, exit)),
        { discard: true }
      ).pipe(Effect.map(() => run.result()))
    const body = sequential === undefined ? awaitPending() : Effect.forEach(sequential, (i) => {
      const at = clock.now()
      const judged = Effect.provideService(run.effects![i]!, CurrentCase, run.ctx.calls().judge(this.scorers[i].name))
      return Effect.exit(judged).pipe(Effect.map((exit) => {
        this.settle(run, i, exit)
        if (clock.now() - at > inlineBudgetMs) inline[i] = false
      }))
    }, { discard: true }).pipe(Effect.flatMap(awaitPending))
    // The forked scorers are not children of this fiber: a timeout or an interruption that comes while the inline
    // scorers run, or while waiting for the forked ones, must stop them too (a judge must not go on calling a model
    // after the run has returned).
    return pending === undefined ? body : Effect.onInterrupt(
      body,
      () => Fiber.interruptAll(pending!.map(([, fiber]) => fiber))
    )
  }

  /** Puts a case that suspended under the timeout, if any. */
  private withTimeout(
    run: CaseRun,
    result: CaseResult | Effect.Effect<CaseResult>
  ): CaseResult | Effect.Effect<CaseResult> {
    const timeout = this.timeout
    if (timeout === undefined) return result
    if (!isEffect(result)) return this.late(result)
    // Start the case at once in its own fiber: one that finishes synchronously needs no deadline at all.
    const fiber = run.task === "fork" ? this.forkIn(result, run.ctx) : this.forkNow(result, { immediate: true })
    const exit = fiber.unsafePoll()
    if (exit !== null) return Exit.isSuccess(exit) ? this.late(exit.value) : exit
    // At the deadline `expire` interrupts the case's fiber; it is awaited to its end, so that its forked scorers are
    // stopped before the case counts as finished.
    run.fiber = fiber
    run.deadline = this.clock.unsafeCurrentTimeMillis() + this.timeoutMs
    const timed = this.timed
    timed.add(run)
    const extended = this.extended
    return Effect.async<CaseResult>((resume) => {
      fiber.addObserver((exit) => {
        timed.delete(run)
        extended.delete(run)
        if (run.expired !== undefined) resume(Effect.succeed(run.expired))
        else resume(Exit.isSuccess(exit) ? Effect.succeed(this.late(exit.value)) : exit)
      })
      // The worker was interrupted (so was the run): the case's fiber is stopped, and awaited.
      return Effect.suspend(() => {
        timed.delete(run)
        extended.delete(run)
        return Fiber.interrupt(fiber)
      })
    })
  }

  private timedOut(run: CaseRun): CaseResult {
    const timeout = this.timeout!
    run.timedOut = true
    run.fail({ source: "timeout", message: `the case did not finish within ${Duration.format(timeout)}` })
    if (run.taskDone) {
      for (let i = 0; i < this.scorers.length; i++) {
        if (run.slots[i] === undefined) {
          run.slots[i] = new Scorer.ScorerError({
            scorer: this.scorers[i].name,
            reason: "Timeout",
            detail: `no score within ${Duration.format(timeout)}`
          })
        }
      }
    }
    return run.result()
  }
}

/** Whether a case is waiting for a rate limiter: its timeout is held meanwhile. */
const isWaiting = (run: CaseRun): boolean => {
  const calls = run.ctx.callsIfAny
  return calls !== undefined && calls.depth > 0
}

const lift = (result: CaseResult | Effect.Effect<CaseResult>): Effect.Effect<CaseResult> =>
  isEffect(result) ? result : Effect.succeed(result)
