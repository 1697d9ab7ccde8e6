/**
 * The runner benchmark (`pnpm bench`).
 *
 * 1. Throughput: 100,000 cases (task: a string replace; scorers: exactMatch, contains, levenshtein) through
 *    `Eval.run` against a plain loop doing the same work in the same process (`throughput.ts`), once with every case
 *    kept in memory and once with the defaults (results stream to a JSONL file past 10,000 cases). Each mode runs in
 *    its own child process, so what V8 learnt from one mode does not slow or speed the other.
 * 2. Promises: 50,000 cases whose task answers with a Promise, with the default case timeout against the timeout off,
 *    in the same process (`promises.ts`): what the timeout costs a case that suspends.
 * 3. Effects: 50,000 cases whose task answers with an Effect against the same cases with a plain task, in the same
 *    process (`effects.ts`): what a case that suspends into Effect costs (it is given `ModelCalls.CurrentCase`).
 * 4. Memory: 1,000,000 cases read from a JSONL file (generated into a temp dir) in a child process that prints its
 *    own peak RSS (`million.ts`), run twice: through `tsx` (the TypeScript loader, as in development) and bundled to
 *    one JavaScript file by esbuild and run by plain `node` (what an application ships).
 *
 *   node --import tsx bench/runner/index.ts      # BENCH_CASES=100000 BENCH_ROUNDS=7 BENCH_MILLION=1000000
 *
 * Timings are printed, never asserted.
 */
import * as Esbuild from "esbuild"
import { execFileSync } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"

const cases = Number(process.env.BENCH_CASES ?? 100_000)
const rounds = Number(process.env.BENCH_ROUNDS ?? 7)
const millionCases = Number(process.env.BENCH_MILLION ?? 1_000_000)
const here = Path.dirname(fileURLToPath(import.meta.url))
const tmp = Fs.mkdtempSync(Path.join(Os.tmpdir(), "helicone-bench-runner-"))

const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const ms = (x: number) => `${x.toFixed(0).padStart(5)} ms`
/** The median of the per-round ratios (each round's two runs saw the same machine), with their range. */
const ratio = (runs: ReadonlyArray<number>, baseline: ReadonlyArray<number>) => {
  const each = runs.map((r, i) => r / baseline[i])
  const fmt = (x: number) => x.toFixed(2)
  return `ratio ${fmt(median(each))} (rounds ${fmt(Math.min(...each))}–${fmt(Math.max(...each))})`
}

const child = (args: ReadonlyArray<string>, execArgv: ReadonlyArray<string> = ["--import", "tsx"]) => {
  const out = execFileSync(process.execPath, [...execArgv, ...args], { encoding: "utf8" })
  return JSON.parse(out.trim().split("\n").pop()!)
}

const throughput = () => {
  console.log(
    `runner bench: ${cases.toLocaleString("en-US")} cases, task = string replace, scorers = exactMatch, contains, ` +
      `levenshtein; median of ${rounds} rounds, each mode in its own process`
  )
  const script = Path.join(here, "throughput.ts")
  const memory = child(["--expose-gc", script, "memory", String(cases), String(rounds)])
  console.log(`  plain loop, a record per case in memory           ${ms(median(memory.loop))}`)
  console.log(`  plain loop, also a request id and a duration      ${ms(median(memory.loopWithIds))}`)
  console.log(
    `  Eval.run, every case kept in memory                ${ms(median(memory.run))}  ${
      ratio(memory.run, memory.loop)
    } to the plain loop, ${ratio(memory.run, memory.loopWithIds)} to the loop with ids and durations`
  )
  const mixed = child(["--expose-gc", script, "memory", String(cases), String(rounds), "mixed"])
  console.log(`  the same, every other case expecting another sentence (scores 0 or fractions, levenshtein at work):`)
  console.log(`  plain loop, a record per case in memory           ${ms(median(mixed.loop))}`)
  console.log(
    `  Eval.run, every case kept in memory                ${ms(median(mixed.run))}  ${
      ratio(mixed.run, mixed.loop)
    } to the plain loop`
  )
  const defaults = child(["--expose-gc", script, "defaults", String(cases), String(rounds)])
  console.log(`  plain loop, a record per case in memory           ${ms(median(defaults.loop))}`)
  console.log(`  plain loop, a JSON line per case to a file          ${ms(median(defaults.loopToFile))}`)
  console.log(
    `  Eval.run, defaults (a JSONL file past 10,000 cases) ${ms(median(defaults.run))}  ` +
      `${ratio(defaults.run, defaults.loopToFile)} to the loop writing its own JSON lines, ${
        ratio(defaults.run, defaults.loop)
      } to the in-memory loop`
  )
}

const promises = () => {
  const n = Math.min(cases, 50_000)
  const { off, on } = child(["--expose-gc", Path.join(here, "promises.ts"), String(n), String(rounds)])
  console.log(`${n.toLocaleString("en-US")} cases whose task answers with a Promise, through Eval.run:`)
  console.log(`  the timeout off                                   ${ms(median(off))}`)
  console.log(
    `  the default timeout (10 minutes)                  ${ms(median(on))}  ${ratio(on, off)} to the timeout off`
  )
}

const effects = () => {
  const n = Math.min(cases, 50_000)
  const { effect, plain } = child(["--expose-gc", Path.join(here, "effects.ts"), String(n), String(rounds)])
  console.log(`${n.toLocaleString("en-US")} cases, through Eval.run:`)
  console.log(`  a plain task                                      ${ms(median(plain))}`)
  console.log(
    `  a task answering with an Effect                   ${ms(median(effect))}  ${
      ratio(effect, plain)
    } to the plain task`
  )
}

const million = async () => {
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
  const source = Path.join(here, "million.ts")
  const bundle = Path.join(tmp, "million.mjs")
  await Esbuild.build({
    entryPoints: [source],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outfile: bundle,
    logLevel: "warning",
    // CommonJS dependencies bundled into ESM call `require`.
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" }
  })
  const n = millionCases.toLocaleString("en-US")
  for (
    const [how, args, execArgv] of [
      ["through tsx", [source, file, tmp], ["--import", "tsx"]],
      ["bundled, plain node", [bundle, file, tmp], []]
    ] as const
  ) {
    const { duration, peakRssMb, total } = child(args, execArgv)
    console.log(
      `${n} cases from JSONL, ${how}: ${total.toLocaleString("en-US")} cases in ${(duration / 1000).toFixed(1)} s, ` +
        `peak RSS ${peakRssMb.toFixed(0)} MB`
    )
  }
}

const main = async () => {
  throughput()
  promises()
  effects()
  await million()
  Fs.rmSync(tmp, { recursive: true, force: true })
}

main().catch((error) => {
  Fs.rmSync(tmp, { recursive: true, force: true })
  console.error(error)
  process.exit(1)
})
