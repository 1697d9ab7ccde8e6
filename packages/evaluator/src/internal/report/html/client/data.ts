/**
 * The page's embedded data (see `../page.ts` for its shape) read into columns the list sorts and filters fast.
 */

/** One scorer as the page knows it. */
export interface ScorerMeta {
  readonly name: string
  readonly threshold: number | null
}

/** One score of a case: the scorer's index, the score, whether it is a pass/fail score, its metadata. */
export type ScoreRow = [number, number, 0 | 1, Record<string, unknown>?]

/** One error of a case: source, message, scorer, line. */
export type ErrorRow = [string, string, (string | null)?, number?]

/** One case trial as embedded. */
export type CaseRow = [
  index: number,
  trial: number,
  name: string | null,
  input: unknown,
  output: unknown,
  expected: unknown,
  scores: Array<ScoreRow>,
  errors: Array<ErrorRow>,
  duration: number,
  requestId: string,
  metadata: Record<string, unknown> | null
]

/** The embedded document. */
export interface Embedded {
  readonly scorers: Array<ScorerMeta>
  readonly helicone: boolean
  readonly baseline: { name: string; regressed: Array<number>; fixed: Array<number>; listed: boolean } | null
  readonly cases: Array<CaseRow>
}

/** A case's score under which it counts as failing, as the baseline comparison counts pass-to-fail. */
export const passMark = 0.5

/** The data with per-scorer columns (NaN where a case has no score). */
export interface Model {
  readonly meta: Embedded
  readonly cases: Array<CaseRow>
  /** scores[s][row] */
  readonly scores: Array<Float64Array>
  readonly failing: Uint8Array
  readonly errored: Uint8Array
  /** rows of each case index, in trial order */
  readonly trials: Map<number, Array<number>>
  readonly regressed: Set<number>
  readonly fixed: Set<number>
  /** lower-cased input, output and expected, made on the first search */
  haystack: Array<string> | undefined
}

/** Text of a value as the page shows it: a string as it is, anything else as indented JSON. */
export const text = (u: unknown): string => (typeof u === "string" ? u : u === null ? "" : JSON.stringify(u, null, 2))

/** Reads the page's data element. */
export const load = (json: string): Model => {
  const meta = JSON.parse(json) as Embedded
  const n = meta.cases.length
  const scores = meta.scorers.map(() => new Float64Array(n).fill(NaN))
  const failing = new Uint8Array(n)
  const errored = new Uint8Array(n)
  const trials = new Map<number, Array<number>>()
  for (let row = 0; row < n; row++) {
    const c = meta.cases[row]
    let fails = c[7].length > 0
    if (fails) errored[row] = 1
    for (const s of c[6]) {
      if (s[0] >= 0) scores[s[0]][row] = s[1]
      if (s[1] < passMark) fails = true
    }
    if (fails) failing[row] = 1
    const list = trials.get(c[0])
    if (list === undefined) trials.set(c[0], [row])
    else list.push(row)
  }
  return {
    meta,
    cases: meta.cases,
    scores,
    failing,
    errored,
    trials,
    regressed: new Set(meta.baseline?.regressed ?? []),
    fixed: new Set(meta.baseline?.fixed ?? []),
    haystack: undefined
  }
}

/** What the list shows: kept in the URL hash. */
export interface View {
  sort: string
  desc: boolean
  failing: boolean
  errored: boolean
  regressed: boolean
  below: string
  belowValue: number
  q: string
  open: number | null
}

/** The view of a fresh page. */
export const initialView: View = {
  sort: "index",
  desc: false,
  failing: false,
  errored: false,
  regressed: false,
  below: "",
  belowValue: 0.5,
  q: "",
  open: null
}

/** Reads a view from `location.hash`. */
export const fromHash = (hash: string): View => {
  const p = new URLSearchParams(hash.replace(/^#/, ""))
  const belowValue = Number(p.get("x") ?? "0.5")
  const open = p.get("case")
  return {
    sort: p.get("sort") ?? "index",
    desc: p.get("desc") === "1",
    failing: p.get("failing") === "1",
    errored: p.get("errored") === "1",
    regressed: p.get("regressed") === "1",
    below: p.get("below") ?? "",
    belowValue: Number.isFinite(belowValue) ? belowValue : 0.5,
    q: p.get("q") ?? "",
    open: open === null || !Number.isInteger(Number(open)) ? null : Number(open)
  }
}

/** Writes a view as a hash, leaving out what is as on a fresh page. */
export const toHash = (view: View): string => {
  const p = new URLSearchParams()
  if (view.sort !== "index") p.set("sort", view.sort)
  if (view.desc) p.set("desc", "1")
  if (view.failing) p.set("failing", "1")
  if (view.errored) p.set("errored", "1")
  if (view.regressed) p.set("regressed", "1")
  if (view.below !== "") {
    p.set("below", view.below)
    p.set("x", String(view.belowValue))
  }
  if (view.q !== "") p.set("q", view.q)
  if (view.open !== null) p.set("case", String(view.open))
  const s = p.toString()
  return s === "" ? "" : `#${s}`
}

/** The rows the view shows, in its order. */
export const visibleRows = (model: Model, view: View): Array<number> => {
  const n = model.cases.length
  const below = view.below === "" ? -1 : model.meta.scorers.findIndex((s) => s.name === view.below)
  let needle = view.q.trim().toLowerCase()
  if (needle !== "" && model.haystack === undefined) {
    model.haystack = model.cases.map((c) => `${text(c[3])}\n${text(c[4])}\n${text(c[5])}\n${c[2] ?? ""}`.toLowerCase())
  }
  if (needle === "") needle = ""
  const rows: Array<number> = []
  for (let row = 0; row < n; row++) {
    if (view.failing && model.failing[row] === 0) continue
    if (view.errored && model.errored[row] === 0) continue
    if (view.regressed && !model.regressed.has(model.cases[row][0])) continue
    if (below >= 0 && !(model.scores[below][row] < view.belowValue)) continue
    if (needle !== "" && !model.haystack![row].includes(needle)) continue
    rows.push(row)
  }
  const sign = view.desc ? -1 : 1
  const byIndex = (a: number, b: number) => a - b
  if (view.sort === "duration") {
    rows.sort((a, b) => sign * (model.cases[a][8] - model.cases[b][8]) || byIndex(a, b))
  } else if (view.sort === "errors") {
    rows.sort((a, b) => sign * (model.cases[a][7].length - model.cases[b][7].length) || byIndex(a, b))
  } else if (view.sort.startsWith("score:")) {
    const s = model.meta.scorers.findIndex((x) => x.name === view.sort.slice(6))
    if (s >= 0) {
      const col = model.scores[s]
      // a case without the score sorts last either way
      rows.sort((a, b) => {
        const x = col[a], y = col[b]
        if (Number.isNaN(x) || Number.isNaN(y)) return Number.isNaN(x) ? Number.isNaN(y) ? a - b : 1 : -1
        return sign * (x - y) || byIndex(a, b)
      })
    }
  } else if (view.desc) rows.reverse()
  return rows
}
