/**
 * The runner's side of `ModelCalls.CurrentCase`: the case's state as model layers see it (its request ids, its call
 * log, the time it waited) and the run's totals of every call (`report.usage`), which the budget is checked against.
 *
 * Nothing here is made for a case whose task and scorers never suspend into Effect nor read `ctx.currentCase`: a
 * plain case costs no object of this module.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import type * as ModelCalls from "../../ModelCalls.js"
import type * as Totals from "../report/usage.js"
import { caseKey } from "../stats/caseKey.js"
import * as RequestIds from "./requestIds.js"

/** What the timeout needs to know of a case's waits: `caseRun.ts`'s `Cases`. */
export interface Waits {
  /** The run's clock, in milliseconds: waits are measured on it, as deadlines are. */
  readonly now: () => number
  /** A case's wait has ended after `waited` milliseconds: its deadline moves that much later. */
  readonly waited: (calls: CaseCalls, waited: number) => void
}

/** The run: what every case of it shares, and the totals of every model call made in it. */
export class RunCalls {
  readonly totals: Totals.Accumulator
  constructor(
    readonly suite: string,
    readonly runId: string,
    readonly cache: ModelCalls.CacheMode,
    totals: Totals.Accumulator
  ) {
    this.totals = totals
  }
}

/** A case's model calls: the `ModelCalls.Case` of its task, and the state its judges' views share. */
export class CaseCalls implements ModelCalls.Case {
  /** The calls recorded so far, in order. */
  log: Array<ModelCalls.ModelCall> | undefined = undefined
  /** Whether the task's first call has taken the case's request id. */
  private given = false
  /** Waits in progress (a task's and its judges' may overlap); the timeout is held while there is one. */
  depth = 0
  /** When the waits in progress began (the run's clock). */
  private waitStart = 0
  /** The time, in milliseconds, during which the case had a wait in progress. */
  waitedMs = 0
  /** What the runner keeps the case's state in (its task context). */
  owner: object | undefined = undefined
  #key: string | undefined
  readonly waiting: <A, E, R>(wait: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>

  constructor(
    readonly run: RunCalls,
    readonly waits: Waits,
    readonly index: number,
    readonly trial: number,
    readonly name: string | undefined,
    readonly requestId: string,
    private readonly input: unknown,
    key: string | undefined
  ) {
    this.#key = key
    this.waiting = (wait) => waitIn(this, wait)
  }
  get suite(): string {
    return this.run.suite
  }
  get runId(): string {
    return this.run.runId
  }
  get cache(): ModelCalls.CacheMode {
    return this.run.cache
  }
  get role(): ModelCalls.Role {
    return "task"
  }
  get scorer(): string | undefined {
    return undefined
  }
  /** The case key; without one from the runner (no baseline, shard or cache), made from the case when first asked. */
  get key(): string {
    return this.#key ??= caseKey({ name: this.name, input: this.input })
  }
  readonly nextRequestId = (): string => {
    if (this.given) return RequestIds.make()
    this.given = true
    return this.requestId
  }
  readonly record = (call: ModelCalls.ModelCall): void => {
    ;(this.log ??= []).push(call)
    this.run.totals.add(call)
  }

  /** A wait begins. */
  enter(): void {
    if (this.depth++ === 0) this.waitStart = this.waits.now()
  }
  /** A wait ends; when it was the last in progress, the time since the first began counts as waited. */
  exit(): void {
    if (--this.depth > 0) return
    const waited = Math.max(0, this.waits.now() - this.waitStart)
    this.waitedMs += waited
    this.run.totals.waited(waited)
    this.waits.waited(this, waited)
  }

  /** The view of the case for the judge `scorer`. */
  judge(scorer: string): ModelCalls.Case {
    return new JudgeView(this, scorer)
  }

  /** The cache counts of the case's calls, when any call went through a cache. */
  cacheCounts(): { readonly hits: number; readonly misses: number } | undefined {
    const log = this.log
    if (log === undefined) return undefined
    let hits = 0
    let misses = 0
    for (const call of log) {
      if (call.cache === "hit") hits++
      else if (call.cache === "miss") misses++
    }
    return hits + misses === 0 ? undefined : { hits, misses }
  }
}

const waitIn = <A, E, R>(calls: CaseCalls, wait: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.suspend(() => {
      calls.enter()
      return Effect.ensuring(restore(wait), Effect.sync(() => calls.exit()))
    })
  )

/** The case as a judge sees it: every call it makes gets a fresh request id. */
class JudgeView implements ModelCalls.Case {
  constructor(private readonly calls: CaseCalls, readonly scorer: string) {}
  get suite(): string {
    return this.calls.run.suite
  }
  get runId(): string {
    return this.calls.run.runId
  }
  get index(): number {
    return this.calls.index
  }
  get trial(): number {
    return this.calls.trial
  }
  get key(): string {
    return this.calls.key
  }
  get name(): string | undefined {
    return this.calls.name
  }
  get requestId(): string {
    return this.calls.requestId
  }
  get role(): ModelCalls.Role {
    return "judge"
  }
  get cache(): ModelCalls.CacheMode {
    return this.calls.run.cache
  }
  readonly nextRequestId = (): string => RequestIds.make()
  get record(): (call: ModelCalls.ModelCall) => void {
    return this.calls.record
  }
  get waiting(): <A, E, R>(wait: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R> {
    return this.calls.waiting
  }
}
