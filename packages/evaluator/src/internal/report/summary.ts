/**
 * Folds cases into the run's summaries as they finish (or are stopped by an interruption): running sums per scorer,
 * a few notable cases, and per case (not per trial) a sum, a count and a pass count per scorer, which is what the
 * intervals (clustered by case), pass@k and the baseline comparison need. So memory grows by a few numbers per case
 * and scorer, never with trials, inputs or outputs.
 *
 * @internal
 */
import type { Threshold } from "../../Eval.js"
import type { CaseRef, CaseResult, FlakyCase, PassAtK, ScorerSummary, Totals } from "../../EvalReport.js"
import * as Interval from "../stats/interval.js"
import * as PassAtK_ from "../stats/passAtK.js"

const keep = 5

/** A trial passes, for pass@k, flaky cases and the baseline's pass-to-fail cases, when it scored at least this. */
export const passMark = 0.5

/** How many flaky cases a scorer's summary lists (all are counted). */
export const flakyListed = 20

/** A threshold as the fold judges it: `min` on the mean or on its interval's lower bound. */
export interface Rule {
  readonly min: number
  readonly on: "mean" | "lower"
}

/** The thresholds of a suite (a plain number is `{ min, on: "mean" }`), as rules. */
export const rules = (thresholds: Readonly<Record<string, Threshold>>): Record<string, Rule> => {
  const out: Record<string, Rule> = {}
  for (const [name, t] of Object.entries(thresholds)) {
    out[name] = typeof t === "number" ? { min: t, on: "mean" } : { min: t.min, on: t.on ?? "mean" }
  }
  return out
}

/**
 * The cases seen, by index: a case's trials share its slot, which is its index in the data, so the per-case columns
 * (typed arrays that double as they fill) are in the data's order whatever order cases finished in. `order()` lists
 * the indexes seen, ascending.
 */
class CaseTable {
  capacity = 64
  /** 1 at each index seen. */
  seen = new Uint8Array(this.capacity)
  /** Trials of the case that finished (not stopped in flight by an interruption). */
  finished = new Int32Array(this.capacity)
  readonly names = new Map<number, string>()
  /** Case keys, when the run matches cases with a baseline or splits them into shards (`Summary.keyCase`). */
  readonly keys = new Map<number, string>()
  private count = 0
  private end = 0
  private sorted: Array<number> | undefined = undefined

  constructor(private readonly grown: (capacity: number) => void) {}

  slot(index: number, name: string | undefined): number {
    if (this.seen[index] === 1) return index
    if (index >= this.capacity) {
      if (!Number.isSafeInteger(index) || index < 0 || index > maxIndex) {
        throw new RangeError(`a case index must be an integer from 0 to ${maxIndex}, got ${index}`)
      }
      let capacity = this.capacity
      while (capacity <= index) capacity *= 2
      this.capacity = capacity
      this.seen = grow(this.seen, capacity)
      this.finished = grow(this.finished, capacity)
      this.grown(capacity)
    }
    this.seen[index] = 1
    if (name !== undefined) this.names.set(index, name)
    if (index >= this.end) this.end = index + 1
    this.count++
    this.sorted = undefined
    return index
  }

  /** The indexes seen, ascending: every figure is summed in this order, however the cases ran. */
  order(): Array<number> {
    if (this.sorted === undefined) {
      const out = new Array<number>(this.count)
      let n = 0
      for (let i = 0; i < this.end; i++) if (this.seen[i] === 1) out[n++] = i
      this.sorted = out
    }
    return this.sorted
  }
}

/** The largest case index the fold keeps per-case figures for (its columns grow to the largest index seen). */
const maxIndex = 2 ** 28

const grow = <A extends Float64Array | Int32Array | Uint8Array>(array: A, capacity: number): A => {
  const bigger = new (array.constructor as new(n: number) => A)(capacity)
  bigger.set(array)
  return bigger
}

/**
 * The `keep` largest (by `key`) refs seen, largest first; among equal values the first in the data (by index, then
 * trial) wins, so the list does not depend on the order in which cases finished.
 */
class Top {
  readonly refs: Array<CaseRef> = []
  /** The smallest kept, once the list is full: what a value must beat to make the list. */
  private last: CaseRef | undefined = undefined
  private floor = -Infinity
  constructor(private readonly key: (ref: CaseRef) => number) {}
  /** Whether a case would make the list: checked before building a ref. */
  wants(value: number, index: number, trial: number): boolean {
    return value > this.floor || (value === this.floor && earlier(index, trial, this.last!))
  }
  add(ref: CaseRef): void {
    const value = this.key(ref)
    let i = this.refs.length
    while (i > 0) {
      const before = this.key(this.refs[i - 1])
      if (before > value || (before === value && !earlier(ref.index, ref.trial, this.refs[i - 1]))) break
      i--
    }
    this.refs.splice(i, 0, ref)
    if (this.refs.length > keep) this.refs.pop()
    if (this.refs.length === keep) {
      this.last = this.refs[keep - 1]
      this.floor = this.key(this.last)
    }
  }
}

/** Whether case `index`/`trial` comes before `than` in the data's order: by index, then trial. */
export const earlier = (
  index: number,
  trial: number,
  than: { readonly index: number; readonly trial: number }
): boolean => index < than.index || (index === than.index && trial < than.trial)

const refOf = (result: CaseResult, score?: number): CaseRef => {
  const ref: { -readonly [K in keyof CaseRef]: CaseRef[K] } = {
    index: result.index,
    trial: result.trial,
    requestId: result.requestId,
    duration: result.duration
  }
  if (result.name !== undefined) ref.name = result.name
  if (score !== undefined) ref.score = score
  return ref
}

export class ScorerFold {
  count = 0
  sum = 0
  min = Infinity
  max = -Infinity
  errors = 0
  /** Whether every score so far is 0 or 1. */
  binary = true
  readonly worst = new Top((ref) => -(ref.score ?? 0))
  /** Per case slot: the sum of its scores, how many trials were scored, how many of those passed. */
  sums: Float64Array
  counts: Int32Array
  passes: Int32Array
  constructor(readonly name: string, readonly threshold: Rule | undefined, capacity: number) {
    this.sums = new Float64Array(capacity)
    this.counts = new Int32Array(capacity)
    this.passes = new Int32Array(capacity)
  }

  grow(capacity: number): void {
    this.sums = grow(this.sums, capacity)
    this.counts = grow(this.counts, capacity)
    this.passes = grow(this.passes, capacity)
  }

  /** `cases`: every finished case of the run so far, the ones this scorer did not score included. */
  summary(cases: number, table: CaseTable, k: number | undefined): ScorerSummary {
    const order = table.order()
    const sums = new Float64Array(order.length)
    const counts = new Float64Array(order.length)
    for (let i = 0; i < order.length; i++) {
      sums[i] = this.sums[order[i]]
      counts[i] = this.counts[order[i]]
    }
    const interval = Interval.ofSums(sums, counts, this.binary, 0.95)
    const summary: { -readonly [K in keyof ScorerSummary]: ScorerSummary[K] } = {
      name: this.name,
      count: this.count,
      // summed by case in the data's order, not in the order cases finished: the same figure from any run of them
      mean: interval.mean,
      min: this.count === 0 ? null : this.min,
      max: this.count === 0 ? null : this.max,
      errors: this.errors,
      interval,
      worst: this.worst.refs
    }
    if (this.threshold !== undefined) {
      // A case the scorer did not score (it failed or timed out, or the task or the data failed first) counts as 0:
      // a scorer that errors on 9 cases in 10 does not pass on the one it scored.
      let sum = 0
      for (let i = 0; i < order.length; i++) {
        sum += sums[i]
        counts[i] = table.finished[order[i]]
      }
      const thresholdMean = cases === 0 ? null : sum / cases
      const thresholdInterval = Interval.ofSums(sums, counts, this.binary, 0.95)
      const value = this.threshold.on === "lower" ? (cases === 0 ? null : thresholdInterval.lower) : thresholdMean
      summary.threshold = this.threshold.min
      summary.thresholdMean = thresholdMean
      summary.thresholdOn = this.threshold.on
      summary.thresholdInterval = thresholdInterval
      summary.thresholdValue = value
      summary.passed = value !== null && value >= this.threshold.min
    }
    if (k !== undefined) summary.passAtK = this.passAtK(order, table, k)
    return summary
  }

  private passAtK(order: ReadonlyArray<number>, table: CaseTable, k: number): PassAtK {
    const atK: Array<number> = []
    const hatK: Array<number> = []
    const flaky: Array<FlakyCase> = []
    let flakyCount = 0
    let tooFewTrials = 0
    for (const slot of order) {
      const n = this.counts[slot]
      if (n === 0) continue
      const c = this.passes[slot]
      if (c > 0 && c < n) {
        if (flakyCount++ < flakyListed) {
          const name = table.names.get(slot)
          flaky.push(
            name === undefined ? { index: slot, passes: c, trials: n } : { index: slot, name, passes: c, trials: n }
          )
        }
      }
      if (n < k) {
        tooFewTrials++
        continue
      }
      atK.push(PassAtK_.casePassAtK(c, n, k))
      hatK.push(PassAtK_.casePassHatK(c, n, k))
    }
    return {
      k,
      passMark,
      passAtK: Interval.meanInterval(atK),
      passHatK: Interval.meanInterval(hatK),
      flaky,
      flakyCount,
      tooFewTrials
    }
  }
}

/** What a summary computes besides means: pass@k for runs of several trials. */
export interface SummaryOptions {
  /** The trials of each case; pass@k is computed when there are 2 or more. Default 1. */
  readonly trials?: number | undefined
  /** The k of pass@k and pass^k; default the trials. */
  readonly k?: number | undefined
}

export class Summary {
  cases = 0
  /** Cases that were in flight when the run was interrupted: in `cases`, but not finished. */
  interrupted = 0
  errored = 0
  scores = 0
  scorerErrors = 0
  /** Cases with a `data` error: a row that could not be read, or a source that failed. */
  unreadable = 0
  unreadableMessage: string | undefined = undefined
  /** The first error of the earliest errored case that finished (by index, then trial), for the verdict's message. */
  firstError: string | undefined = undefined
  private firstErrorAt: { index: number; trial: number } | undefined = undefined
  private readonly byName = new Map<string, ScorerFold>()
  readonly folds: Array<ScorerFold> = []
  private readonly slowest = new Top((ref) => ref.duration)
  readonly table = new CaseTable((capacity) => {
    for (const fold of this.folds) fold.grow(capacity)
  })
  readonly trials: number
  readonly k: number | undefined

  constructor(
    scorers: ReadonlyArray<string>,
    thresholds: Readonly<Record<string, Threshold>>,
    options: SummaryOptions = {}
  ) {
    const judged = rules(thresholds)
    for (const name of scorers) this.fold(name, judged[name])
    for (const name of Object.keys(judged)) this.fold(name, judged[name])
    this.trials = options.trials ?? 1
    this.k = this.trials > 1 ? options.k ?? this.trials : undefined
  }

  private fold(name: string, threshold: Rule | undefined): ScorerFold {
    let fold = this.byName.get(name)
    if (fold === undefined) {
      fold = new ScorerFold(name, threshold, this.table.capacity)
      this.byName.set(name, fold)
      this.folds.push(fold)
    }
    return fold
  }

  /** Gives case `index` its key (`Statistics.caseKeys`'), for the baseline comparison; before its results come. */
  keyCase(index: number, name: string | undefined, key: string): void {
    this.table.keys.set(this.table.slot(index, name), key)
  }

  add(result: CaseResult): void {
    this.cases++
    const errored = result.errors.length > 0
    if (errored) this.errored++
    const slot = this.table.slot(result.index, result.name)
    // A case stopped in flight: its duration is the time until the interruption, so it is not among the slowest.
    if (errored && result.errors.some((error) => error.source === "interrupted")) this.interrupted++
    else {
      this.table.finished[slot]++
      if (this.slowest.wants(result.duration, result.index, result.trial)) this.slowest.add(refOf(result))
    }
    for (let i = 0; i < result.scores.length; i++) {
      const { name, score } = result.scores[i]
      // Scores come in scorer order, and the folds start in that order: a name check instead of a map lookup.
      let fold = this.folds[i]
      if (fold === undefined || fold.name !== name) fold = this.fold(name, undefined)
      fold.count++
      fold.sum += score
      fold.sums[slot] += score
      fold.counts[slot]++
      if (score >= passMark) fold.passes[slot]++
      if (score !== 0 && score !== 1) fold.binary = false
      if (score < fold.min) fold.min = score
      if (score > fold.max) fold.max = score
      if (fold.worst.wants(-score, result.index, result.trial)) fold.worst.add(refOf(result, score))
      this.scores++
    }
    for (let i = 0; i < result.errors.length; i++) {
      const error = result.errors[i]
      if (error.scorer !== undefined) {
        this.fold(error.scorer, undefined).errors++
        this.scorerErrors++
      } else if (error.source === "data") {
        this.unreadableMessage ??= error.message
        this.unreadable++
      }
    }
    if (errored && (this.firstErrorAt === undefined || earlier(result.index, result.trial, this.firstErrorAt))) {
      const error = result.errors[0]
      if (error.source !== "interrupted") {
        this.firstErrorAt = { index: result.index, trial: result.trial }
        this.firstError = `${error.scorer ?? error.source}: ${error.message}`
      }
    }
  }

  /** The cases that finished: every case but the ones that were in flight when the run was interrupted. */
  get finished(): number {
    return this.cases - this.interrupted
  }

  totals(): Totals {
    const totals = { cases: this.cases, errored: this.errored, scores: this.scores, scorerErrors: this.scorerErrors }
    return this.interrupted === 0 ? totals : { ...totals, interrupted: this.interrupted }
  }

  scorers(): Array<ScorerSummary> {
    return this.folds.map((fold) => fold.summary(this.finished, this.table, this.k))
  }

  slowestCases(): Array<CaseRef> {
    return this.slowest.refs
  }
}
