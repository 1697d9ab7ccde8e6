/**
 * The baseline comparison of a run: the baseline's cases digested once (per case key, a sum and a count per scorer),
 * then matched with the run's cases by key and compared scorer by scorer (`Statistics.comparePaired`, `judge`,
 * `caseChanges`).
 *
 * @internal
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import type { BaselineComparison, CaseChange, ScorerComparison } from "../../Comparison.js"
import { listed } from "../../Comparison.js"
import type { CaseResult, EvalReport, VerdictReason } from "../../EvalReport.js"
import { caseKey } from "../stats/caseKey.js"
import * as Matching from "../stats/matching.js"
import * as Paired from "../stats/paired.js"
import * as ReadCases from "./readCases.js"
import { passMark, type Summary } from "./summary.js"

/** One side's scores of one scorer, per case in `keys` order: the sum and the count of its scored trials. */
interface Side {
  readonly sums: Array<number>
  readonly counts: Array<number>
  binary: boolean
}

/** A baseline ready to compare with: its case keys in the data's order and each scorer's per-case sums. */
export interface Prepared {
  readonly name: string
  readonly startedAt: string
  readonly path: string | undefined
  readonly keys: ReadonlyArray<string>
  readonly scorers: ReadonlyMap<string, Side>
}

/** What a comparison is judged by. */
export interface Rule {
  readonly failOnRegression: boolean
  readonly minimumDifference: number
  readonly seed: number
}

/** The significance level of every verdict, across the scorers (Holm). */
export const alpha = 0.05

/** Unique keys in index order, a repeated key told apart by its order (`#2`), as `Statistics.caseKeys` does. */
export const dedupe = (keys: ReadonlyArray<string>): Array<string> => {
  const seen = new Map<string, number>()
  return keys.map((key) => {
    const n = (seen.get(key) ?? 0) + 1
    seen.set(key, n)
    return n === 1 ? key : `${key}#${n}`
  })
}

/**
 * Folds results (of any order, trials of a case anywhere) into per-case sums by scorer, keyed in the data's order:
 * how a baseline is digested, from its report's cases or its cases file.
 */
export class CaseFold {
  private readonly slots = new Map<number, number>()
  private readonly indexes: Array<number> = []
  private readonly rawKeys: Array<string> = []
  private readonly scorers = new Map<string, Side>()

  add(result: CaseResult): void {
    let slot = this.slots.get(result.index)
    if (slot === undefined) {
      slot = this.indexes.length
      this.slots.set(result.index, slot)
      this.indexes.push(result.index)
      this.rawKeys.push(caseKey({ name: result.name, input: result.input }))
      for (const side of this.scorers.values()) {
        side.sums.push(0)
        side.counts.push(0)
      }
    }
    for (const { name, score } of result.scores) {
      let side = this.scorers.get(name)
      if (side === undefined) {
        side = {
          sums: new Array(this.indexes.length).fill(0),
          counts: new Array(this.indexes.length).fill(0),
          binary: true
        }
        this.scorers.set(name, side)
      }
      side.sums[slot] += score
      side.counts[slot]++
      if (score !== 0 && score !== 1) side.binary = false
    }
  }

  done(report: EvalReport, path: string | undefined): Prepared {
    const order = this.indexes.map((_, slot) => slot).sort((a, b) => this.indexes[a] - this.indexes[b])
    const scorers = new Map<string, Side>()
    for (const [name, side] of this.scorers) {
      scorers.set(name, {
        sums: order.map((slot) => side.sums[slot]),
        counts: order.map((slot) => side.counts[slot]),
        binary: side.binary
      })
    }
    return {
      name: report.name,
      startedAt: report.timings.startedAt,
      path,
      keys: dedupe(order.map((slot) => this.rawKeys[slot])),
      scorers
    }
  }
}

/** Reads a baseline's cases (in memory or in its cases file) into what {@link compare} needs. */
export const prepare = (
  report: EvalReport,
  path: string | undefined
): Effect.Effect<Prepared, ReadCases.Unreadable & { readonly path: string }, FileSystem.FileSystem> => {
  const fold = new CaseFold()
  const file = report.casesFile
  if (file === undefined) {
    for (const result of report.cases) fold.add(result)
    return Effect.succeed(fold.done(report, path))
  }
  return ReadCases.fromFile(file).pipe(
    Stream.runForEach((result) => Effect.sync(() => fold.add(result))),
    Effect.mapError((unreadable) => ({ ...unreadable, path: file })),
    Effect.map(() => fold.done(report, path))
  )
}

const change = (
  key: string,
  index: number,
  name: string | undefined,
  baseline: number,
  current: number
): CaseChange =>
  name === undefined
    ? { key, index, baseline, current, difference: current - baseline }
    : { key, index, name, baseline, current, difference: current - baseline }

/** The run's cases (from its summary, keyed by `Summary.keyCase`) against the baseline's. */
export const compare = (baseline: Prepared, summary: Summary, rule: Rule): BaselineComparison => {
  const table = summary.table
  const order = table.order()
  const currentKeys = order.map((slot) => table.keys.get(slot) ?? "")
  const match = Matching.matchCases(baseline.keys, currentKeys)
  const compared = summary.folds.map((fold) => {
    const side = baseline.scorers.get(fold.name)
    const before: Array<number> = []
    const after: Array<number> = []
    const at: Array<number> = []
    let binary = fold.binary && (side?.binary ?? false)
    if (side !== undefined) {
      for (const [b, c] of match.matched) {
        const slot = order[c]
        const n = fold.counts[slot]
        const m = side.counts[b]
        if (n === 0 || m === 0) continue
        binary &&= n === 1 && m === 1
        before.push(side.sums[b] / m)
        after.push(fold.sums[slot] / n)
        at.push(c)
      }
    }
    return {
      name: fold.name,
      comparison: Paired.compareMeans(before, after, binary, { seed: rule.seed }),
      before,
      after,
      at
    }
  })
  const verdicts = Paired.judge(compared, { alpha, minimumDifference: rule.minimumDifference })
  const scorers = compared.map((c, i): ScorerComparison => {
    const pairs = c.before.map((b, j) => ({ baseline: b, current: c.after[j] }))
    const changes = Matching.caseChanges(pairs, { passMark, limit: listed })
    const ref = (x: { readonly index: number; readonly baseline: number; readonly current: number }) => {
      const slot = order[c.at[x.index]]
      return change(currentKeys[c.at[x.index]], slot, table.names.get(slot), x.baseline, x.current)
    }
    return {
      name: c.name,
      comparison: c.comparison,
      adjustedPValue: verdicts[i].adjustedPValue,
      verdict: verdicts[i].verdict,
      passToFail: changes.passToFail.length,
      failToPass: changes.failToPass.length,
      changes: {
        passToFail: changes.passToFail.slice(0, listed).map(ref),
        failToPass: changes.failToPass.slice(0, listed).map(ref),
        largestDrops: changes.largestDrops.map(ref)
      }
    }
  })
  const comparison: { -readonly [K in keyof BaselineComparison]: BaselineComparison[K] } = {
    name: baseline.name,
    startedAt: baseline.startedAt,
    matched: match.matched.length,
    onlyBaseline: match.onlyBaseline.length,
    onlyCurrent: match.onlyCurrent.length,
    unmatched: {
      baseline: match.onlyBaseline.slice(0, listed).map((i) => baseline.keys[i]),
      current: match.onlyCurrent.slice(0, listed).map((i) => currentKeys[i])
    },
    alpha,
    minimumDifference: rule.minimumDifference,
    failOnRegression: rule.failOnRegression,
    seed: rule.seed,
    scorers
  }
  if (baseline.path !== undefined) comparison.path = baseline.path
  return comparison
}

const fixed = (n: number | null): string => (n === null ? "-" : n.toFixed(3))

const signed = (n: number | null): string => (n === null ? "-" : `${n >= 0 ? "+" : ""}${n.toFixed(3)}`)

/** The `regression` reasons of a comparison that fails its run: one per scorer that regressed. */
export const regressions = (comparison: BaselineComparison): Array<VerdictReason> => {
  if (!comparison.failOnRegression) return []
  return comparison.scorers.filter((s) => s.verdict === "regressed").map((s) => {
    const c = s.comparison
    return {
      kind: "regression",
      message: `${s.name}: regressed against the baseline by ${signed(c.difference)} (${fixed(c.baselineMean)} → ${
        fixed(c.currentMean)
      }, 95% CI ${signed(c.lower)} to ${signed(c.upper)}, p = ${
        s.adjustedPValue === null ? "-" : s.adjustedPValue.toPrecision(2)
      } after Holm, over ${c.cases} common cases)`,
      scorer: s.name,
      value: c.difference,
      mean: c.currentMean,
      pValue: s.adjustedPValue
    }
  })
}
