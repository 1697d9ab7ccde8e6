/**
 * The report page's client: the case list (virtualised with TanStack Virtual), its filters and sorting kept in the
 * URL hash, the histograms and the opened case. Everything is rendered as text nodes: no value of a case ever
 * becomes markup.
 */
import { elementScroll, observeElementOffset, observeElementRect, Virtualizer } from "@tanstack/virtual-core"
import { diffLines, diffWordsWithSpace } from "diff"
import { render } from "preact"
import { useEffect, useLayoutEffect, useMemo, useReducer, useRef, useState } from "preact/hooks"
import { type CaseRow, fromHash, load, type Model, passMark, text, toHash, type View, visibleRows } from "./data.js"

const rowHeight = 30

const fmt = (n: number): string => (Number.isNaN(n) ? "–" : n.toFixed(3))

/** Control characters (ANSI escapes among them) shown as their visible symbols, so that they read as text. */
const visible = (s: string): string =>
  // eslint-disable-next-line no-control-regex
  s.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, (c) =>
    String.fromCharCode(c === "\u007f" ? 0x2421 : 0x2400 + c.charCodeAt(0)))

const maxShown = 200_000

const Text = ({ value, label }: { value: unknown; label: string }) => {
  const [all, setAll] = useState(false)
  const s = visible(text(value))
  const cut = !all && s.length > maxShown
  return (
    <section class="field">
      <h4>{label}</h4>
      {value === null ? <p class="muted">none</p> : <pre>{cut ? s.slice(0, maxShown) : s}</pre>}
      {cut && (
        <button type="button" onClick={() => setAll(true)}>
          show all {s.length.toLocaleString("en-US")} characters
        </button>
      )}
    </section>
  )
}

/** Output against expected: by words for short texts, by lines for long ones, not at all past 100,000 characters. */
const Diff = ({ output, expected }: { output: unknown; expected: unknown }) => {
  const a = text(expected), b = text(output)
  const parts = useMemo(() => {
    if (a.length + b.length > 100_000) return null
    return a.length + b.length > 10_000 ? diffLines(a, b) : diffWordsWithSpace(a, b)
  }, [a, b])
  if (expected === null) return null
  return (
    <section class="field diff" aria-label="diff of output against expected">
      <h4>
        diff{" "}
        <span class="muted">
          (output against expected: <del>only expected</del> <ins>only output</ins>)
        </span>
      </h4>
      {parts === null ?
        <p class="muted">too long to compare here</p> :
        (
          <pre>
            {parts.map((p, i) =>
              p.added ? <ins key={i}>{visible(p.value)}</ins> : p.removed ? <del key={i}>{visible(p.value)}</del> : (
                <span key={i}>{visible(p.value)}</span>
              )
            )}
          </pre>
        )}
    </section>
  )
}

const Scores = ({ model, c }: { model: Model; c: CaseRow }) => (
  <table class="scores">
    <thead>
      <tr>
        <th>scorer</th>
        <th>score</th>
        <th>metadata</th>
      </tr>
    </thead>
    <tbody>
      {c[6].length === 0 && (
        <tr>
          <td colSpan={3} class="muted">no scores</td>
        </tr>
      )}
      {c[6].map((s, i) => {
        const meta = s[3]
        const rationale = meta === undefined ? undefined : meta.rationale ?? meta.reason ?? meta.explanation
        const rest = meta === undefined ? {} : { ...meta }
        if (rationale !== undefined) {
          delete rest.rationale
          delete rest.reason
          delete rest.explanation
        }
        return (
          <tr key={i}>
            <td>{model.meta.scorers[s[0]]?.name ?? "?"}</td>
            <td class={s[1] < passMark ? "fail" : "pass"}>{s[2] === 1 ? String(s[1] === 1) : fmt(s[1])}</td>
            <td>
              {rationale !== undefined && <p class="rationale">{visible(text(rationale))}</p>}
              {Object.keys(rest).length > 0 && <pre>{visible(JSON.stringify(rest, null, 2))}</pre>}
            </td>
          </tr>
        )
      })}
    </tbody>
  </table>
)

const Errors = ({ c }: { c: CaseRow }) =>
  c[7].length === 0 ? null : (
    <ul class="errors">
      {c[7].map((e, i) => (
        <li key={i} class="fail">
          <b>{e[2] ?? e[0]}</b>
          {e[3] === undefined ? "" : ` (line ${e[3]})`}: <pre>{visible(e[1])}</pre>
        </li>
      ))}
    </ul>
  )

const label = (c: CaseRow) => `#${c[0]}${c[2] === null || c[2] === "" ? "" : ` ${c[2]}`}`

const Detail = ({ model, row, onClose }: { model: Model; row: number; onClose: () => void }) => {
  const c = model.cases[row]
  const trials = model.trials.get(c[0]) ?? [row]
  const ref = useRef<HTMLElement>(null)
  useEffect(() => ref.current?.focus(), [row])
  return (
    <article class="detail" ref={ref} tabIndex={-1} aria-label={`case ${label(c)}`}>
      <header>
        <h3>
          {label(c)}
          {model.regressed.has(c[0]) && <span class="tag fail">regressed</span>}
          {model.fixed.has(c[0]) && <span class="tag pass">fixed</span>}
        </h3>
        <button type="button" onClick={onClose} aria-label="close the case">close (Esc)</button>
      </header>
      <Text label="input" value={c[3]} />
      <div class={trials.length > 1 ? "trials" : ""}>
        {trials.map((r) => {
          const t = model.cases[r]
          return (
            <div class={`trial${r === row ? " current" : ""}`} key={r}>
              {trials.length > 1 && <h4>trial {t[1]}</h4>}
              <p class="muted">
                {Math.round(t[8])} ms · request id <code>{t[9]}</code>
                {model.meta.helicone && (
                  <a href={`https://us.helicone.ai/requests?requestId=${encodeURIComponent(t[9])}`} rel="noreferrer">
                    open in Helicone
                  </a>
                )}
              </p>
              <Errors c={t} />
              <Text label="output" value={t[4]} />
              <Text label="expected" value={t[5]} />
              <Diff output={t[4]} expected={t[5]} />
              <Scores model={model} c={t} />
              {t[10] !== null && <Text label="metadata" value={t[10]} />}
            </div>
          )
        })}
      </div>
    </article>
  )
}

/** A scorer's scores in tenths from 0 to 1, as bars. */
const Histogram = ({ model, scorer }: { model: Model; scorer: number }) => {
  const bins = new Array<number>(10).fill(0)
  for (const v of model.scores[scorer]) if (!Number.isNaN(v)) bins[Math.min(9, Math.max(0, Math.floor(v * 10)))]++
  const top = Math.max(1, ...bins)
  return (
    <svg
      class="histogram"
      viewBox="0 0 100 30"
      role="img"
      aria-label={`scores in tenths from 0 to 1: ${bins.join(", ")}`}
    >
      {bins.map((b, j) => <rect key={j} x={j * 10 + 1} width={8} y={30 - (b / top) * 30} height={(b / top) * 30} />)}
    </svg>
  )
}

/** Adds a histogram column to the static scorer table. */
const addHistograms = (model: Model) => {
  const table = document.querySelector("table.scorers")
  if (table === null) return
  const th = document.createElement("th")
  th.textContent = "distribution"
  table.querySelector("thead tr")?.append(th)
  table.querySelectorAll("tbody tr").forEach((tr, i) => {
    const td = document.createElement("td")
    tr.append(td)
    if (model.meta.scorers[i] !== undefined) render(<Histogram model={model} scorer={i} />, td)
  })
}

const List = (
  { model, rows, onOpen, open }: {
    model: Model
    rows: Array<number>
    onOpen: (row: number) => void
    open: number | null
  }
) => {
  const scroller = useRef<HTMLDivElement>(null)
  const [, rerender] = useReducer((x: number) => x + 1, 0)
  const [cursor, setCursor] = useState(0)
  const options = {
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => rowHeight,
    scrollToFn: elementScroll,
    observeElementRect,
    observeElementOffset,
    overscan: 12,
    onChange: () => rerender(0)
  }
  const [virtualizer] = useState(() => new Virtualizer<HTMLDivElement, Element>(options))
  virtualizer.setOptions(options)
  useLayoutEffect(() => virtualizer._didMount(), [])
  useLayoutEffect(() => virtualizer._willUpdate())
  useEffect(() => setCursor(0), [rows])
  const scorers = model.meta.scorers
  const onKey = (e: KeyboardEvent) => {
    const move = e.key === "ArrowDown"
      ? 1
      : e.key === "ArrowUp"
      ? -1
      : e.key === "PageDown"
      ? 15
      : e.key === "PageUp"
      ? -15
      : 0
    if (move !== 0) {
      e.preventDefault()
      const next = Math.max(0, Math.min(rows.length - 1, cursor + move))
      setCursor(next)
      virtualizer.scrollToIndex(next)
    } else if (e.key === "Enter" && rows[cursor] !== undefined) onOpen(rows[cursor])
  }
  return (
    <div
      class="list"
      ref={scroller}
      tabIndex={0}
      role="grid"
      aria-rowcount={rows.length}
      aria-label="cases: arrow keys move, Enter opens"
      onKeyDown={onKey}
    >
      <div style={{ height: `${virtualizer.getTotalSize()}px`, position: "relative" }}>
        {virtualizer.getVirtualItems().map((item) => {
          const row = rows[item.index]
          const c = model.cases[row]
          return (
            <div
              key={row}
              role="row"
              data-row={row}
              data-index={c[0]}
              class={`row${model.failing[row] ? " failing" : ""}${row === open ? " open" : ""}${
                item.index === cursor ? " cursor" : ""
              }`}
              style={{ transform: `translateY(${item.start}px)`, height: `${rowHeight}px` }}
              onClick={() => {
                setCursor(item.index)
                onOpen(row)
              }}
            >
              <span class="c-index">{c[1] > 0 ? `${c[0]}.${c[1]}` : c[0]}</span>
              <span class="c-name">
                {model.regressed.has(c[0]) && <span class="tag fail">regressed</span>}
                {model.fixed.has(c[0]) && <span class="tag pass">fixed</span>}
                {visible(c[2] ?? text(c[3]).slice(0, 120))}
              </span>
              {scorers.map((s, i) => {
                const v = model.scores[i][row]
                return (
                  <span
                    key={s.name}
                    class={`c-score ${Number.isNaN(v) ? "" : v < passMark ? "bad" : v < 0.8 ? "mid" : "good"}`}
                    data-scorer={s.name}
                  >
                    {fmt(v)}
                  </span>
                )
              })}
              <span class="c-duration">{Math.round(c[8])} ms</span>
              <span class="c-errors">
                {c[7].length === 0 ? "" : `${c[7].length} error${c[7].length === 1 ? "" : "s"}`}
              </span>
            </div>
          )
        })}
      </div>
    </div>
  )
}

const App = ({ model }: { model: Model }) => {
  const [view, setView] = useState<View>(() => fromHash(location.hash))
  useEffect(() => {
    const onHash = () => setView(fromHash(location.hash))
    addEventListener("hashchange", onHash)
    return () => removeEventListener("hashchange", onHash)
  }, [])
  const update = (patch: Partial<View>) => {
    const next = { ...view, ...patch }
    history.replaceState(null, "", toHash(next) || location.pathname + location.search)
    setView(next)
  }
  const rows = useMemo(() => visibleRows(model, view), [
    view.sort,
    view.desc,
    view.failing,
    view.errored,
    view.regressed,
    view.below,
    view.belowValue,
    view.q
  ])
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && view.open !== null && update({ open: null })
    addEventListener("keydown", onKey)
    return () => removeEventListener("keydown", onKey)
  })
  const scorers = model.meta.scorers
  const sortButton = (key: string, name: string) => (
    <button
      type="button"
      class="sort"
      aria-pressed={view.sort === key}
      data-sort={key}
      onClick={() => update(view.sort === key ? { desc: !view.desc } : { sort: key, desc: key !== "index" })}
    >
      {name}
      {view.sort === key ? (view.desc ? " ▼" : " ▲") : ""}
    </button>
  )
  const openRow = view.open === null ? -1 : model.cases.findIndex((c, i) => i === view.open)
  return (
    <>
      <h2>Cases</h2>
      <form class="filters" onSubmit={(e) => e.preventDefault()} role="search">
        <input
          type="search"
          name="q"
          placeholder="search input, output, expected"
          aria-label="search input, output and expected"
          value={view.q}
          onInput={(e) => update({ q: (e.target as HTMLInputElement).value })}
        />
        <label>
          <input
            type="checkbox"
            name="failing"
            checked={view.failing}
            onChange={(e) => update({ failing: (e.target as HTMLInputElement).checked })}
          />
          failing only
        </label>
        <label>
          <input
            type="checkbox"
            name="errored"
            checked={view.errored}
            onChange={(e) => update({ errored: (e.target as HTMLInputElement).checked })}
          />
          errored only
        </label>
        {model.meta.baseline !== null && (
          <label>
            <input
              type="checkbox"
              name="regressed"
              checked={view.regressed}
              onChange={(e) => update({ regressed: (e.target as HTMLInputElement).checked })}
            />
            regressed only{model.meta.baseline.listed ? " (the first 20 of each scorer)" : ""}
          </label>
        )}
        <label>
          <select
            name="below"
            value={view.below}
            onChange={(e) => update({ below: (e.target as HTMLSelectElement).value })}
          >
            <option value="">any scorer</option>
            {scorers.map((s) => <option key={s.name} value={s.name}>{s.name}</option>)}
          </select>{" "}
          below{" "}
          <input
            type="number"
            name="x"
            step="0.05"
            min="0"
            max="1"
            value={view.belowValue}
            onInput={(e) => {
              const x = Number((e.target as HTMLInputElement).value)
              if (Number.isFinite(x)) update({ belowValue: x })
            }}
          />
        </label>
        <output class="count" aria-live="polite">
          {rows.length.toLocaleString("en-US")} of {model.cases.length.toLocaleString("en-US")} case trials
        </output>
      </form>
      <div class={`cases${openRow >= 0 ? " with-detail" : ""}`}>
        <div>
          <div class="row heading" role="row">
            <span class="c-index">{sortButton("index", "#")}</span>
            <span class="c-name">name / input</span>
            {scorers.map((s) => <span key={s.name} class="c-score">{sortButton(`score:${s.name}`, s.name)}</span>)}
            <span class="c-duration">{sortButton("duration", "time")}</span>
            <span class="c-errors">{sortButton("errors", "errors")}</span>
          </div>
          <List model={model} rows={rows} open={openRow} onOpen={(row) => update({ open: row })} />
        </div>
        {openRow >= 0 && <Detail model={model} row={openRow} onClose={() => update({ open: null })} />}
      </div>
    </>
  )
}

const data = document.getElementById("report-data")
const root = document.getElementById("app")
if (data !== null && root !== null) {
  const model = load(data.textContent ?? "")
  root.textContent = ""
  render(<App model={model} />, root)
  addHistograms(model)
  document.documentElement.dataset.ready = "1"
}
