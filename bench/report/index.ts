/**
 * The HTML report's file size and time to interactive for 1k, 10k and 100k cases, against the static report it
 * replaced (bench/report/staticReport.ts) and the JSON report, in the same run, in Debian's headless chromium.
 *
 *   node --import tsx bench/report/index.ts [sizes=1000,10000,100000] [runs=3]
 *
 * Time to interactive: from `page.goto` to the page's list drawn and its handlers attached (`html[data-ready]`);
 * for the static report, to its `load` event. Then the first filter on the interactive page: "failing only" clicked
 * until the count shows it. Medians of `runs`, each in a fresh page.
 */
import * as Fs from "node:fs"
import { createRequire } from "node:module"
import * as Os from "node:os"
import * as Path from "node:path"
import { pathToFileURL } from "node:url"
import type * as Playwright from "playwright-core"
import * as EvalReport from "../../packages/evaluator/src/EvalReport.js"
import * as HtmlReport from "../../packages/evaluator/src/HtmlReport.js"
import { makeReport } from "../../packages/evaluator/test/fixtures/reportCases.js"
import * as StaticReport from "./staticReport.js"

const { chromium } = createRequire(new URL("../../packages/evaluator/package.json", import.meta.url))(
  "playwright-core"
) as typeof Playwright

const sizes = (process.argv[2] ?? "1000,10000,100000").split(",").map(Number)
const runs = Number(process.argv[3] ?? 3)
const median = (xs: Array<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(2)} MB`

const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "helicone-bench-report-"))
const context = await chromium.launchPersistentContext(Path.join(dir, "profile"), {
  executablePath: "/usr/bin/chromium",
  headless: true,
  viewport: { width: 1400, height: 900 },
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

const time = async (url: string, interactive: boolean) => {
  const page = await context.newPage()
  const start = performance.now()
  await page.goto(url, { waitUntil: interactive ? "commit" : "load", timeout: 120_000 })
  if (interactive) await page.waitForSelector("html[data-ready]", { timeout: 120_000 })
  const ready = performance.now() - start
  let filter = NaN
  if (interactive) {
    const before = await page.locator(".filters .count").textContent()
    const clicked = performance.now()
    await page.getByLabel("failing only").check()
    await page.waitForFunction((text) => document.querySelector(".filters .count")?.textContent !== text, before)
    filter = performance.now() - clicked
  }
  await page.close()
  return { ready, filter }
}

try {
  console.log(
    `node ${process.version}, ${Os.cpus().length} cores, load ${Os.loadavg()[0].toFixed(1)}; medians of ${runs}`
  )
  console.log(
    "cases    JSON report  static HTML         interactive HTML      size/JSON  static load  interactive  ratio  first filter"
  )
  for (const n of sizes) {
    const report = makeReport(n)
    const json = Buffer.byteLength(EvalReport.toJson(report))
    const files = { static: StaticReport.render(report), interactive: HtmlReport.render(report) }
    const urls = Object.fromEntries(
      Object.entries(files).map(([name, text]) => {
        const file = Path.join(dir, `${name}-${n}.html`)
        Fs.writeFileSync(file, text)
        return [name, pathToFileURL(file).href]
      })
    )
    const staticTimes: Array<number> = [], readyTimes: Array<number> = [], filterTimes: Array<number> = []
    for (let i = 0; i < runs; i++) {
      staticTimes.push((await time(urls.static, false)).ready)
      const t = await time(urls.interactive, true)
      readyTimes.push(t.ready)
      filterTimes.push(t.filter)
    }
    const size = (s: string) => Buffer.byteLength(s)
    console.log(
      [
        String(n).padEnd(8),
        mb(json).padEnd(12),
        `${mb(size(files.static))}${n > 10_000 ? " (10k rows)" : ""}`.padEnd(19),
        mb(size(files.interactive)).padEnd(21),
        (size(files.interactive) / json).toFixed(2).padEnd(10),
        `${median(staticTimes).toFixed(0)} ms`.padEnd(12),
        `${median(readyTimes).toFixed(0)} ms`.padEnd(12),
        (median(readyTimes) / median(staticTimes)).toFixed(2).padEnd(6),
        `${median(filterTimes).toFixed(0)} ms`
      ].join(" ")
    )
  }
} finally {
  await context.close()
  Fs.rmSync(dir, { recursive: true, force: true })
}
