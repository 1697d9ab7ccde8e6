/**
 * Child process of the runner bench: `Eval.run` against a plain loop doing the same work, in this one process.
 *
 *   node --expose-gc --import tsx bench/runner/throughput.ts <memory|defaults> [cases] [rounds] [mixed]
 *
 * - `memory`: `Eval.run` keeps every case in its report (`maxCases` = all), the loop keeps one record per case. Also
 *   measured, as a reference: the loop that records what the runner records per case besides the scores, a request
 *   id (`crypto.randomUUID()`) and a duration (two `performance.now()`).
 * - `defaults`: `Eval.run` with its defaults (past 10,000 cases every result goes to a JSONL file). It is compared
 *   with the same loop (records in memory) and with the loop that also writes its records to a JSONL file, one
 *   `JSON.stringify` per record, as a user's own loop would.
 * - `mixed` (after the rounds): every other case expects another sentence, so exactMatch and contains give 0 there and
 *   levenshtein computes a distance; with the default data every score is 1 and levenshtein stops at `a === b`.
 *
 * Each round runs the loop(s) and `Eval.run` back to back, so a round's ratio compares runs that saw the same
 * machine. Each side is timed right after an untimed run of itself, and after a full GC: what it measures does not
 * depend on which side ran before it (the heap the other left behind). One warm-up round, then `rounds` rounds. Prints
 * one JSON line. Timings are never asserted.
 */
import { NodeContext } from "@effect/platform-node"
import { ManagedRuntime } from "effect"
import * as NodeCrypto from "node:crypto"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { Eval, type EvalReport, Scorers } from "../../packages/evaluator/src/index.js"
import type { Scorer } from "../../packages/evaluator/src/index.js"

const mode = process.argv[2] === "defaults" ? "defaults" : "memory"
const cases = Number(process.argv[3] ?? 100_000)
const rounds = Number(process.argv[4] ?? 7)
/** `mixed`: every other case expects another sentence, so that scores are not all 1 and levenshtein has work. */
const mixed = process.argv[5] === "mixed"

const data = Array.from({ length: cases }, (_, i) => ({
  input: `The quick brown fox ${i} jumps over the lazy dog`,
  expected: mixed && i % 2 === 1
    ? `The quick brown cat ${i} leaps over a lazy dog`
    : `The quick brown cat ${i} jumps over the lazy dog`
}))
const task = (input: string) => input.replace("fox", "cat")
const scorers = [Scorers.exactMatch, Scorers.contains, Scorers.levenshtein] as const
const fns = scorers.map((s) => (s as Scorer.Scorer).function!)

const tmp = Fs.mkdtempSync(Path.join(Os.tmpdir(), "helicone-bench-throughput-"))

/** The task and the three scorer functions on case `index`, the scores folded into `sums`: the loop's record. */
const scoreCase = (index: number, sums: Array<number>) => {
  const { expected, input } = data[index]
  const output = task(input)
  const args = { input, output, expected, metadata: {} }
  const scores: Array<{ name: string; score: number }> = []
  for (let s = 0; s < fns.length; s++) {
    const score = fns[s](args) as number
    sums[s] += score
    scores.push({ name: scorers[s].name, score })
  }
  return { index, input, output, expected, scores }
}

/** The same work without the runner: a record per case, kept in memory or handed to `write`; the means. */
const plainLoop = (write?: (record: unknown) => void) => {
  const sums = [0, 0, 0]
  const results: Array<unknown> = []
  for (let index = 0; index < data.length; index++) {
    const record = scoreCase(index, sums)
    if (write === undefined) results.push(record)
    else write(record)
  }
  return sums.map((sum) => sum / data.length)
}

/** The loop that also gives each case a request id and a duration, as the runner does. */
const plainLoopWithIds = () => {
  const sums = [0, 0, 0]
  const results: Array<unknown> = []
  for (let index = 0; index < data.length; index++) {
    const requestId = NodeCrypto.randomUUID()
    const start = performance.now()
    const record = scoreCase(index, sums)
    results.push({ record, duration: performance.now() - start, requestId })
  }
  return sums.map((sum) => sum / data.length)
}

const loopFile = Path.join(tmp, "loop.jsonl")

/** The loop writing one JSON line per record, 64 KB per write. */
const plainLoopToFile = () => {
  const fd = Fs.openSync(loopFile, "w")
  let text = ""
  const means = plainLoop((record) => {
    text += JSON.stringify(record) + "\n"
    if (text.length >= 65_536) {
      Fs.writeSync(fd, text)
      text = ""
    }
  })
  Fs.writeSync(fd, text)
  Fs.closeSync(fd)
  return means
}

const suite = Eval.make({ name: "bench", data, task, scorers: [...scorers], concurrency: 10 })

const time = async <A>(f: () => A | Promise<A>): Promise<[number, A]> => {
  ;(globalThis as { gc?: () => void }).gc?.()
  const start = performance.now()
  const a = await f()
  return [performance.now() - start, a]
}

/**
 * Times `f` right after an untimed run of it, so it starts from the heap it leaves behind itself; `after` runs after
 * each of the two, untimed.
 */
const twice = async <A>(f: () => A | Promise<A>, after: () => void = () => {}): Promise<[number, A]> => {
  await time(f)
  after()
  const timed = await time(f)
  after()
  return timed
}

/** The last run's report, until `checkRun` has checked it. */
let lastReport: EvalReport.EvalReport | undefined
/** The last run's scorer means. */
let lastMeans: Array<number> = []
/** The Node layers (the cases file goes through `FileSystem`), built once outside the timed runs. */
const runtime = ManagedRuntime.make(NodeContext.layer)
const runOnce = async (): Promise<void> => {
  lastReport = await runtime.runPromise(Eval.run(suite, mode === "memory" ? { maxCases: cases } : { outputDir: tmp }))
}
/** Checks the last run's report and lets it go (deleting its cases file), outside the timed part. */
const checkRun = (): void => {
  const report = lastReport!
  lastReport = undefined
  if (mode === "memory" && report.cases.length !== cases) throw new Error("the report does not hold every case")
  if (mode === "defaults" && cases > 10_000 && report.casesFile === undefined) {
    throw new Error("no cases file was written")
  }
  if (report.casesFile !== undefined) Fs.rmSync(report.casesFile)
  lastMeans = report.scorers.map((s) => s.mean!)
}

const main = async () => {
  const loop: Array<number> = []
  const loopToFile: Array<number> = []
  const loopWithIds: Array<number> = []
  const run: Array<number> = []
  for (let round = 0; round <= rounds; round++) {
    const [l, means] = await twice(() => plainLoop())
    const [f] = mode === "defaults" ? await twice(plainLoopToFile, () => Fs.rmSync(loopFile)) : [0]
    const [w] = mode === "memory" && !mixed ? await twice(plainLoopWithIds) : [0]
    const [r] = await twice(runOnce, checkRun)
    if (lastMeans.some((mean, i) => Math.abs(mean - means[i]) > 1e-9)) {
      throw new Error("the runner and the plain loop disagree")
    }
    if (round === 0) continue // warm-up
    loop.push(l)
    loopToFile.push(f)
    loopWithIds.push(w)
    run.push(r)
  }
  Fs.rmSync(tmp, { recursive: true, force: true })
  console.log(JSON.stringify({
    mode,
    cases,
    loop,
    loopToFile: mode === "defaults" ? loopToFile : undefined,
    loopWithIds: mode === "memory" && !mixed ? loopWithIds : undefined,
    run
  }))
}

main().catch((error) => {
  Fs.rmSync(tmp, { recursive: true, force: true })
  console.error(error)
  process.exit(1)
})
