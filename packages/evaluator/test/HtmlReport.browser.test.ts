/**
 * The HTML report opened from disk in a real headless Chromium (Debian's `chromium`, driven by playwright-core; no
 * browser is downloaded). It checks what a person checks, on 30 and on 100,000 cases, and that hostile outputs show
 * as text. Screenshots are kept for a person in `<os temp dir>/helicone-eval-html-report-screenshots/`.
 *
 * Without /usr/bin/chromium the tests skip, unless HELICONE_EVAL_REQUIRE_BROWSER=1 (set by .ci/run), where they fail.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { pathToFileURL } from "node:url"
import { type BrowserContext, chromium, type Page } from "playwright-core"
import type { CaseResult, EvalReport } from "../src/EvalReport.js"
import * as HtmlReport from "../src/HtmlReport.js"
import { Eval, Scorers } from "../src/index.js"
import { failing, makeCase, makeReport, rareWord } from "./fixtures/reportCases.js"

const executablePath = "/usr/bin/chromium"
const required = process.env.HELICONE_EVAL_REQUIRE_BROWSER === "1"
const available = Fs.existsSync(executablePath)
if (!available) {
  console.warn(
    required
      ? `HELICONE_EVAL_REQUIRE_BROWSER=1 but ${executablePath} is missing: the HTML report's browser tests fail`
      : `skipping the HTML report's browser tests: ${executablePath} is missing (apt-get install chromium)`
  )
}

/** Where the screenshots go, for a person to look at; emptied at the start of a run, kept after it. */
export const screenshots = Path.join(Os.tmpdir(), "helicone-eval-html-report-screenshots")

let dir = ""
let context: BrowserContext
/** every request a page made that was not for the report file itself */
const requests: Array<string> = []
/** every uncaught error of a page's script */
const pageErrors: Array<string> = []

const write = (name: string, report: EvalReport): string => {
  const file = Path.join(dir, name)
  Fs.writeFileSync(file, HtmlReport.render(report))
  return pathToFileURL(file).href
}

const open = async (url: string, viewport = { width: 1400, height: 900 }): Promise<Page> => {
  const page = await context.newPage()
  await page.setViewportSize(viewport)
  page.on("pageerror", (error) => pageErrors.push(error.message))
  await page.goto(url)
  await page.waitForSelector("html[data-ready]", { timeout: 60_000 })
  return page
}

/** The case indexes of the rows drawn, in order. */
const drawnIndexes = (page: Page): Promise<Array<number>> =>
  page.$$eval(
    ".list .row[data-index]",
    (rows) =>
      rows.map((r) => ({ top: r.getBoundingClientRect().top, index: Number((r as HTMLElement).dataset.index) }))
        .sort((a, b) => a.top - b.top).map((r) => r.index)
  )

const count = (page: Page) => page.locator(".filters .count").textContent()

describe.skipIf(!available && !required)("the HTML report in Chromium", () => {
  beforeAll(async () => {
    dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "helicone-eval-html-"))
    Fs.rmSync(screenshots, { recursive: true, force: true })
    Fs.mkdirSync(screenshots, { recursive: true })
    context = await chromium.launchPersistentContext(Path.join(dir, "profile"), {
      executablePath,
      headless: true,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync"
      ]
    })
    await context.route("**/*", (route) => {
      const url = route.request().url()
      if (url.startsWith("file:")) return route.continue()
      requests.push(url)
      return route.abort()
    })
    console.log(`HTML report screenshots: ${screenshots}`)
  }, 60_000)

  afterAll(async () => {
    await context?.close()
    if (dir !== "") Fs.rmSync(dir, { recursive: true, force: true })
  })

  for (const n of [30, 100_000]) {
    it(
      `${n.toLocaleString("en-US")} cases: the numbers, failing only, sorting, search, one case, the hash link`,
      async () => {
        const report = makeReport(n)
        const url = write(`report-${n}.html`, report)
        const started = performance.now()
        const page = await open(url, n === 30 ? { width: 1400, height: 2200 } : undefined)
        // printed, not asserted: bench/report measures it against the static report
        console.log(
          `${n} cases interactive after ${Math.round(performance.now() - started)} ms (bench/report compares)`
        )

        // the scorer table's numbers are the JSON report's
        const table = await page.$$eval(
          "table.scorers tbody tr",
          (rows) => rows.map((r) => [...r.querySelectorAll("td")].map((td) => td.textContent ?? ""))
        )
        assert.deepStrictEqual(
          table.map((cells) => [cells[0], cells[1], cells[3]]),
          report.scorers.map((s) => [
            s.name,
            s.mean!.toFixed(3),
            s.threshold === undefined ? "" : s.thresholdMean!.toFixed(3)
          ])
        )
        assert.strictEqual(
          await count(page),
          `${n.toLocaleString("en-US")} of ${n.toLocaleString("en-US")} case trials`
        )
        // each scorer's histogram counts its scores in tenths
        const tenths = (name: string) => {
          const bins = new Array<number>(10).fill(0)
          for (const c of report.cases) {
            const score = c.scores.find((s) => s.name === name)
            if (score !== undefined) bins[Math.min(9, Math.floor(score.score * 10))]++
          }
          return `scores in tenths from 0 to 1: ${bins.join(", ")}`
        }
        assert.deepStrictEqual(
          await page.$$eval(
            "table.scorers tbody svg.histogram",
            (svgs) => svgs.map((s) => s.getAttribute("aria-label"))
          ),
          report.scorers.map((s) => tenths(s.name))
        )
        await page.screenshot({ path: Path.join(screenshots, `${n}-opened.png`) })
        await page.emulateMedia({ colorScheme: "dark" })
        await page.screenshot({ path: Path.join(screenshots, `${n}-opened-dark.png`) })
        await page.emulateMedia({ colorScheme: "light" })

        // failing only: exactly the failing cases
        const failingIndexes = report.cases.filter(failing).map((c) => c.index)
        await page.getByLabel("failing only").check()
        assert.strictEqual(
          await count(page),
          `${failingIndexes.length.toLocaleString("en-US")} of ${n.toLocaleString("en-US")} case trials`
        )
        const drawn = await drawnIndexes(page)
        if (n === 30) assert.deepStrictEqual(drawn, failingIndexes)
        else assert.deepStrictEqual(drawn, failingIndexes.slice(0, drawn.length))

        // sorting by a scorer orders the rows: highest first, then lowest first
        await page.click(`button[data-sort="score:judge"]`)
        const judge = (i: number) => report.cases[i].scores.find((s) => s.name === "judge")?.score ?? NaN
        const scored = report.cases.filter((c) => failing(c) && !Number.isNaN(judge(c.index)))
        // a case without the score comes last either way
        const byJudge = [
          ...[...scored].sort((a, b) => judge(b.index) - judge(a.index) || a.index - b.index).map((c) => c.index),
          ...failingIndexes.filter((i) => Number.isNaN(judge(i)))
        ]
        const descending = await drawnIndexes(page)
        assert.deepStrictEqual(descending, byJudge.slice(0, descending.length))
        await page.click(`button[data-sort="score:judge"]`)
        const ascending = (await drawnIndexes(page)).map(judge)
        const numbers = ascending.filter((x) => !Number.isNaN(x))
        assert.deepStrictEqual(ascending.slice(0, numbers.length), [...numbers].sort((a, b) => a - b))
        await page.screenshot({ path: Path.join(screenshots, `${n}-failing-by-judge.png`) })

        // the hash link restores the view, in a new page: the filter, the order and the opened case
        const opened = report.cases[6]
        await page.evaluate(() => window.scrollTo(0, 0))
        const firstRows = await drawnIndexes(page)
        await page.goto(`${url}#sort=score%3Ajudge&failing=1&case=6`)
        await page.waitForSelector(".detail")
        const link = page.url()
        const again = await open(link)
        assert.isTrue(await again.getByLabel("failing only").isChecked())
        assert.deepStrictEqual((await drawnIndexes(again)).slice(0, 10), firstRows.slice(0, 10))
        assert.include(await again.locator(".detail h3").textContent(), `#6 ${opened.name}`)
        await again.close()

        // opening a case shows its diff and its judge rationale
        const detail = page.locator(".detail")
        assert.include(await detail.locator(".diff pre del").first().textContent(), "yes")
        assert.include(await detail.locator(".diff pre ins").first().textContent(), "maybe")
        assert.include(await detail.locator(".rationale").textContent(), "rationale of case 6: the answer is checked")
        assert.include(await detail.textContent(), opened.requestId)
        await page.screenshot({ path: Path.join(screenshots, `${n}-case-6.png`) })
        await page.keyboard.press("Escape")
        assert.strictEqual(await page.locator(".detail").count(), 0)

        // search finds a case by a word of its input; Enter opens it from the keyboard
        await page.getByLabel("failing only").uncheck()
        await page.getByRole("searchbox").fill(rareWord)
        assert.strictEqual(await count(page), `1 of ${n.toLocaleString("en-US")} case trials`)
        assert.deepStrictEqual(await drawnIndexes(page), [16])
        await page.locator(".list").focus()
        await page.keyboard.press("Enter")
        assert.include(await page.locator(".detail").textContent(), rareWord)

        assert.deepStrictEqual(requests, [], "no request leaves the file")
        assert.deepStrictEqual(pageErrors, [])
        await page.close()
      },
      120_000
    )
  }

  it(
    "against a baseline: regressed and fixed cases are marked, \"regressed only\" shows them, trials side by side",
    async () => {
      // 40 cases, 2 trials; `bad` says which cases are answered wrongly
      const suite = (bad: number) =>
        Eval.make({
          name: "against a baseline",
          data: Array.from({ length: 40 }, (_, i) => ({ input: `q${i}`, expected: `Q${i}` })),
          task: (q: string) => (Number(q.slice(1)) % bad === 0 ? "x" : q.toUpperCase()),
          scorers: [Scorers.exactMatch],
          trials: 2
        })
      const baseline = await Effect.runPromise(Eval.run(suite(4)))
      const report = await Effect.runPromise(Eval.run(suite(3), { baseline }))
      const changes = report.baseline!.scorers[0].changes
      const regressed = changes.passToFail.map((c) => c.index).sort((a, b) => a - b)
      assert.isAbove(regressed.length, 0)
      const page = await open(write("baseline.html", report), { width: 1400, height: 2000 })
      assert.include(await page.locator(".head").textContent(), "Against the baseline")
      await page.getByLabel(/regressed only/).check()
      assert.strictEqual(await count(page), `${regressed.length * 2} of 80 case trials`)
      const drawn = await drawnIndexes(page)
      assert.deepStrictEqual([...new Set(drawn)], regressed)
      assert.strictEqual(await page.locator(".list .row .tag", { hasText: "regressed" }).count(), drawn.length)
      await page.getByLabel(/regressed only/).uncheck()
      const fixed = changes.failToPass[0].index
      assert.isAbove(await page.locator(`.list .row[data-index="${fixed}"] .tag`, { hasText: "fixed" }).count(), 0)
      await page.locator(`.list .row[data-index="${regressed[0]}"]`).first().click()
      assert.strictEqual(await page.locator(".detail .trials .trial").count(), 2)
      await page.screenshot({ path: Path.join(screenshots, "baseline-regressed-case.png") })
      assert.deepStrictEqual(pageErrors, [])
      await page.close()
    },
    60_000
  )

  it("hostile outputs show as text and no script in them runs", async () => {
    const hostile: Array<[string, string]> = [
      ["script", `</script><script>window.__ran = 1</script>`],
      ["html", `<img src=x onerror="window.__ran = 2"><b>bold</b><!-- comment -->`],
      ["ansi", "\u001b[31mred\u001b[0m plain"],
      ["big", "x".repeat(1_000_000)],
      ["surrogates", "lone \ud800 high and \udfff low"],
      ["binary", "\u0000\u0001\u0002\ufffd\u00ff PNG\r\n\u001a\n"],
      ["separators", "line\u2028para\u2029end"]
    ]
    const cases: Array<CaseResult> = hostile.map(([name, output], i) => ({
      ...makeCase(i),
      name: `${name} <i>name</i>`,
      output,
      expected: output === hostile[0][1] ? "<script>window.__ran = 3</script>" : output
    }))
    const report = makeReport(cases.length, (i) => cases[i])
    const page = await open(write("hostile.html", report), { width: 1400, height: 1400 })
    for (let i = 0; i < hostile.length; i++) {
      await page.goto(`${page.url().split("#")[0]}#case=${i}`)
      await page.waitForSelector(`.detail[aria-label^="case #${i} "]`)
      const [name, output] = hostile[i]
      const shown = await page.evaluate(
        (expected) => {
          const pre = [...document.querySelectorAll(".detail .field")].find((f) =>
            f.querySelector("h4")?.textContent === "output"
          )!.querySelector("pre")!
          const text = pre.textContent ?? ""
          return { length: text.length, same: text === expected, head: text.slice(0, 200) }
        },
        name === "big"
          ? output.slice(0, 200_000)
          : name === "ansi"
          ? output.replace("\u001b", "\u241b").replace("\u001b", "\u241b")
          : name === "binary"
          ? "\u2400\u2401\u2402\ufffd\u00ff PNG\u240d\n\u241a\n"
          : output
      )
      assert.isTrue(shown.same, `${name}: ${JSON.stringify(shown.head)}`)
      if (name === "big") {
        assert.isTrue(await page.getByRole("button", { name: /show all 1,000,000 characters/ }).first().isVisible())
      }
      await page.screenshot({ path: Path.join(screenshots, `hostile-${name}.png`) })
    }
    assert.strictEqual(await page.evaluate(() => (window as { __ran?: number }).__ran), undefined)
    assert.strictEqual(await page.locator("main img, main b, main i").count(), 0, "no markup from a value")
    assert.deepStrictEqual(requests, [])
    assert.deepStrictEqual(pageErrors, [])
    await page.close()
  }, 120_000)
})
