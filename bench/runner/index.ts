/**
 * The runner benchmark (`pnpm bench`).
 *
 * 1. 100,000 cases (task: a string replace; scorers: exactMatch, contains, levenshtein) through `Eval.run`, against a
 *    plain loop in the same process that calls the same task and the same three scorer functions, folds the means and
 *    keeps one result record per case. Prints the median of 5 alternating rounds of each and the ratio.
 * 2. 1,000,000 cases read from a JSONL file (generated into a temp dir) in a child process, which prints its own peak
 *    RSS: the memory a million-case run needs.
 *
 * Timings are printed, never asserted.
 */
import { Effect } from "effect"
import { execFileSync } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { Eval, Scorers } from "../../packages/evaluator/src/index.js"
import type { Scorer } from "../../packages/evaluator/src/index.js"

const cases = Number(process.env.BENCH_CASES ?? 100_000)
const millionCases = Number(process.env.BENCH_MILLION ?? 1_000_000)
const rounds = 5

const data = Array.from({ length: cases }, (_, i) => ({
  input: `The quick brown fox ${i} jumps over the lazy dog`,
  expected: `The quick brown cat ${i} jumps over the lazy dog`
}))
const task = (input: string) => input.replace("fox", "cat")
const scorers = [Scorers.exactMatch, Scorers.contains, Scorers.levenshtein] as const

const tmp = Fs.mkdtempSync(Path.join(Os.tmpdir(), "helicone-bench-runner-"))

/** The same work without the runner: task, the three scorer functions, running means, a record per case. */
const plainLoop = () => {
  const fns = scorers.map((s) => (s as Scorer.Scorer).function!)
  const sums = [0, 0, 0]
  const results: Array<unknown> = []
  for (let index = 0; index < data.length; index++) {
    const { expected, input } = data[index]
    const output = task(input)
    const args = { input, output, expected, metadata: {} }
    const scores: Array<{ name: string; score: number }> = []
    for (let s = 0; s < fns.length; s++) {
      const score = fns[s](args) as number
      sums[s] += score
      scores.push({ name: scorers[s].name, score })
    }
    results.push({ index, input, output, expected, scores })
  }
  return { means: sums.map((sum) => sum / data.length), kept: results.length }
}

const suite = Eval.make({ name: "bench", data, task, scorers: [...scorers], concurrency: 10 })

const time = async <A>(f: () => A | Promise<A>): Promise<[number, A]> => {
  const start = performance.now()
  const a = await f()
  return [performance.now() - start, a]
}

const median = (xs: Array<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const ms = (x: number) => `${x.toFixed(0)} ms`

const main = async () => {
  console.log(
    `runner bench: ${
      cases.toLocaleString("en-US")
    } cases, task = string replace, scorers = exactMatch, contains, levenshtein`
  )
  const plain: Array<number> = []
  const inMemory: Array<number> = []
  const spilling: Array<number> = []
  for (let round = 0; round <= rounds; round++) {
    const [p, plainResult] = await time(plainLoop)
    const [m, report] = await time(() => Effect.runPromise(Eval.run(suite, { maxCases: cases })))
    const [s, spilled] = await time(() => Effect.runPromise(Eval.run(suite, { outputDir: tmp })))
    if (report.scorers.some((sc, i) => Math.abs(sc.mean! - plainResult.means[i]) > 1e-9)) {
      throw new Error("the runner and the plain loop disagree")
    }
    if (spilled.casesFile !== undefined) Fs.rmSync(spilled.casesFile)
    if (round === 0) continue // warm-up
    plain.push(p)
    inMemory.push(m)
    spilling.push(s)
  }
  const base = median(plain)
  console.log(`  plain loop                          ${ms(base)}`)
  console.log(
    `  Eval.run, every case kept in memory ${ms(median(inMemory))}  ratio ${(median(inMemory) / base).toFixed(2)}`
  )
  console.log(
    `  Eval.run, defaults (JSONL past 10k) ${ms(median(spilling))}  ratio ${(median(spilling) / base).toFixed(2)}`
  )

  const file = Path.join(tmp, "million.jsonl")
  const out = Fs.createWriteStream(file)
  for (let i = 0; i < millionCases; i++) {
    const line = JSON.stringify({
      input: `The quick brown fox ${i} jumps over the lazy dog`,
      expected: `The quick brown cat ${i} jumps over the lazy dog`
    })
    if (!out.write(line + "\n")) await new Promise((resolve) => out.once("drain", resolve))
  }
  await new Promise((resolve) => out.end(resolve))
  const child = Path.join(Path.dirname(fileURLToPath(import.meta.url)), "million.ts")
  const result = execFileSync(process.execPath, ["--import", "tsx", child, file, tmp], { encoding: "utf8" })
  const { duration, peakRssMb, total } = JSON.parse(result.trim().split("\n").pop()!)
  console.log(
    `${millionCases.toLocaleString("en-US")} cases from JSONL (child process): ${
      total.toLocaleString("en-US")
    } cases in ${(duration / 1000).toFixed(1)} s, peak RSS ${peakRssMb.toFixed(0)} MB`
  )
  Fs.rmSync(tmp, { recursive: true, force: true })
}

main().catch((error) => {
  Fs.rmSync(tmp, { recursive: true, force: true })
  console.error(error)
  process.exit(1)
})
