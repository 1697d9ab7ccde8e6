/**
 * Folds cases into the run's summaries as they finish (or are stopped by an interruption), in constant memory:
 * running sums per scorer and a few notable cases.
 *
 * @internal
 */
import type { CaseRef, CaseResult, ScorerSummary, Totals } from "../../EvalReport.js"

const keep = 5

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

class ScorerFold {
  count = 0
  sum = 0
  min = Infinity
  max = -Infinity
  errors = 0
  readonly worst = new Top((ref) => -(ref.score ?? 0))
  constructor(readonly name: string, readonly threshold: number | undefined) {}

  /** `cases`: every finished case of the run so far, the ones this scorer did not score included. */
  summary(cases: number): ScorerSummary {
    const mean = this.count === 0 ? null : this.sum / this.count
    const summary: { -readonly [K in keyof ScorerSummary]: ScorerSummary[K] } = {
      name: this.name,
      count: this.count,
      mean,
      min: this.count === 0 ? null : this.min,
      max: this.count === 0 ? null : this.max,
      errors: this.errors,
      worst: this.worst.refs
    }
    if (this.threshold !== undefined) {
      // A case the scorer did not score (it failed or timed out, or the task or the data failed first) counts as 0:
      // a scorer that errors on 9 cases in 10 does not pass on the one it scored.
      const thresholdMean = cases === 0 ? null : this.sum / cases
      summary.threshold = this.threshold
      summary.thresholdMean = thresholdMean
      summary.passed = thresholdMean !== null && thresholdMean >= this.threshold
    }
    return summary
  }
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
  private readonly folds: Array<ScorerFold> = []
  private readonly slowest = new Top((ref) => ref.duration)

  constructor(scorers: ReadonlyArray<string>, thresholds: Readonly<Record<string, number>>) {
    for (const name of scorers) this.fold(name, thresholds[name])
    for (const name of Object.keys(thresholds)) this.fold(name, thresholds[name])
  }

  private fold(name: string, threshold: number | undefined): ScorerFold {
    let fold = this.byName.get(name)
    if (fold === undefined) {
      fold = new ScorerFold(name, threshold)
      this.byName.set(name, fold)
      this.folds.push(fold)
    }
    return fold
  }

  add(result: CaseResult): void {
    this.cases++
    const errored = result.errors.length > 0
    if (errored) this.errored++
    // A case stopped in flight: its duration is the time until the interruption, so it is not among the slowest.
    if (errored && result.errors.some((error) => error.source === "interrupted")) this.interrupted++
    else if (this.slowest.wants(result.duration, result.index, result.trial)) this.slowest.add(refOf(result))
    for (let i = 0; i < result.scores.length; i++) {
      const { name, score } = result.scores[i]
      // Scores come in scorer order, and the folds start in that order: a name check instead of a map lookup.
      let fold = this.folds[i]
      if (fold === undefined || fold.name !== name) fold = this.fold(name, undefined)
      fold.count++
      fold.sum += score
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
    return this.folds.map((fold) => fold.summary(this.finished))
  }

  slowestCases(): Array<CaseRef> {
    return this.slowest.refs
  }
}
