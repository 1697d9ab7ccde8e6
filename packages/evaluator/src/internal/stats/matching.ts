import type * as Statistics from "../../Statistics.js"

/** @see Statistics.matchCases */
export const matchCases = (baseline: ReadonlyArray<string>, current: ReadonlyArray<string>): Statistics.CaseMatch => {
  const before = new Map<string, number>()
  baseline.forEach((key, i) => {
    if (!before.has(key)) before.set(key, i)
  })
  const matched: Array<readonly [number, number]> = []
  const onlyCurrent: Array<number> = []
  const used = new Set<number>()
  current.forEach((key, i) => {
    const b = before.get(key)
    if (b === undefined || used.has(b)) {
      onlyCurrent.push(i)
    } else {
      used.add(b)
      matched.push([b, i])
    }
  })
  const onlyBaseline = baseline.flatMap((_, i) => (used.has(i) ? [] : [i]))
  return { matched, onlyBaseline, onlyCurrent }
}

const caseMean = (scores: Statistics.CaseScores): number | null => {
  if (typeof scores === "number") return scores
  if (scores.length === 0) return null
  let s = 0
  for (const x of scores) s += x
  return s / scores.length
}

/** @see Statistics.caseChanges */
export const caseChanges = (
  pairs: ReadonlyArray<Statistics.Pair>,
  options?: { readonly passMark?: number | undefined; readonly limit?: number | undefined }
): Statistics.CaseChanges => {
  const passMark = options?.passMark ?? 0.5
  const limit = options?.limit ?? 10
  const passToFail: Array<Statistics.CaseChange> = []
  const failToPass: Array<Statistics.CaseChange> = []
  const drops: Array<Statistics.CaseChange> = []
  pairs.forEach((pair, index) => {
    const baseline = caseMean(pair.baseline)
    const current = caseMean(pair.current)
    if (baseline === null || current === null) return
    const change = { index, baseline, current, difference: current - baseline }
    if (baseline >= passMark && current < passMark) passToFail.push(change)
    if (baseline < passMark && current >= passMark) failToPass.push(change)
    if (current < baseline) drops.push(change)
  })
  drops.sort((a, b) => a.difference - b.difference || a.index - b.index)
  return { passToFail, failToPass, largestDrops: drops.slice(0, limit) }
}
