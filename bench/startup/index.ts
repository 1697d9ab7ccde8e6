/**
 * The start-up benchmark (`pnpm bench:startup`, after `pnpm build`).
 *
 * `helicone-eval run` on a one-case suite, from the CLI as it is published (`pnpm pack` of the cli, evaluator and
 * core packages, unpacked into a temp project whose other dependencies link to the workspace's), against
 * `node --input-type=module -e 'await import("effect")'` in the same project: the least a program on Effect pays.
 * Rounds alternate the two (one warm-up round first, not counted); the medians and the median of the rounds' ratios
 * are printed, for wall-clock time and for CPU time (every thread). Twice: with the suite in a `.mjs` file (imported
 * natively) and in a `.ts` file (through tsx).
 *
 *   node --import tsx bench/startup/index.ts      # BENCH_ROUNDS=15; BENCH_KEEP=1 keeps the temp project
 *
 * Timings are printed, never asserted.
 */
import { execFileSync, spawnSync } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"

const rounds = Number(process.env.BENCH_ROUNDS ?? 15)
const root = Path.resolve(Path.dirname(fileURLToPath(import.meta.url)), "../..")
const tmp = Fs.mkdtempSync(Path.join(Os.tmpdir(), "helicone-bench-startup-"))
if (process.env.BENCH_KEEP === undefined) process.on("exit", () => Fs.rmSync(tmp, { recursive: true, force: true }))
else console.log(`kept: ${tmp}`)

const packages = ["cli", "evaluator", "core"] as const

for (const name of packages) {
  if (!Fs.existsSync(Path.join(root, "packages", name, "dist"))) {
    console.error(`packages/${name}/dist is missing: run pnpm build first`)
    process.exit(1)
  }
}

// the packed packages, as npm would install them
const modules = Path.join(tmp, "node_modules")
for (const name of packages) {
  const dir = Path.join(root, "packages", name)
  const out = execFileSync("pnpm", ["pack", "--pack-destination", tmp], { cwd: dir, encoding: "utf8" })
  const tarball = out.trim().split("\n").pop()!.trim()
  const target = Path.join(modules, "@helicone-effect", name)
  Fs.mkdirSync(target, { recursive: true })
  execFileSync("tar", ["-xzf", Path.resolve(tmp, tarball), "-C", target, "--strip-components=1"])
}
// and everything else they depend on, linked to the workspace's copy (one `effect` for all)
for (const name of packages) {
  const dir = Path.join(root, "packages", name)
  const manifest = JSON.parse(Fs.readFileSync(Path.join(dir, "package.json"), "utf8"))
  for (const dep of Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies })) {
    const link = Path.join(modules, dep)
    const source = Path.join(dir, "node_modules", dep)
    if (dep.startsWith("@helicone-effect/") || Fs.existsSync(link) || !Fs.existsSync(source)) continue
    Fs.mkdirSync(Path.dirname(link), { recursive: true })
    Fs.symlinkSync(Fs.realpathSync(source), link)
  }
}

Fs.writeFileSync(Path.join(tmp, "package.json"), JSON.stringify({ name: "startup", private: true, type: "module" }))
// as eval files are written: the evaluator's index and effect's
const suite = `import { Eval, Scorers } from "@helicone-effect/evaluator"
import { Effect } from "effect"

export default Eval.make({
  name: "startup",
  data: [{ input: "a", expected: "a" }],
  task: (input${"TYPE"}) => Effect.succeed(input),
  scorers: [Scorers.exactMatch]
})
`
Fs.writeFileSync(Path.join(tmp, "startup.eval.mjs"), suite.replace("TYPE", ""))
Fs.writeFileSync(Path.join(tmp, "startup.eval.ts"), suite.replace("TYPE", ": string"))

const bin = Path.join(modules, "@helicone-effect", "cli", "dist", "bin.js")
// both sides get the same preload, which says the process's CPU time (every thread) as it exits
const cpuReport = "data:text/javascript,process.on('exit',()=>process.stderr.write('\\ncpu-us '+" +
  "(process.cpuUsage().user+process.cpuUsage().system)+'\\n'))"
const time = (args: ReadonlyArray<string>) => {
  const start = process.hrtime.bigint()
  const result = spawnSync(process.execPath, [`--import=${cpuReport}`, ...args], {
    cwd: tmp,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" }
  })
  const wall = Number(process.hrtime.bigint() - start) / 1e6
  const cpu = /cpu-us (\d+)\n$/.exec(result.stderr)
  if (result.status !== 0 || cpu === null) {
    console.error(`node ${args.join(" ")} exited ${result.status}:\n${result.stderr}`)
    process.exit(1)
  }
  return { wall, cpu: Number(cpu[1]) / 1000 }
}

const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const ms = (x: number) => `${x.toFixed(0).padStart(4)} ms`
const ratio = (runs: ReadonlyArray<number>, baseline: ReadonlyArray<number>) => {
  const each = runs.map((run, i) => run / baseline[i])
  return `${median(each).toFixed(2)} (${Math.min(...each).toFixed(2)}–${Math.max(...each).toFixed(2)})`
}

const baselineArgs = ["--input-type=module", "-e", "await import(\"effect\")"]
// what every program that imports the evaluator pays, before it runs anything
const evaluatorArgs = ["--input-type=module", "-e", "await import(\"@helicone-effect/evaluator\")"]
const cases = [
  { label: "startup.eval.mjs", name: "helicone-eval run", args: [bin, "run", "startup.eval.mjs"] },
  { label: "startup.eval.ts", name: "helicone-eval run", args: [bin, "run", "startup.eval.ts"] },
  { label: "import evaluator", name: "import(evaluator)", args: evaluatorArgs }
]
console.log(`node ${process.version}, ${rounds} rounds (after one warm-up), alternating; wall-clock and CPU time`)
for (const { args, label, name } of cases) {
  time(baselineArgs)
  time(args)
  const baseline: Array<{ wall: number; cpu: number }> = []
  const runs: Array<{ wall: number; cpu: number }> = []
  for (let round = 0; round < rounds; round++) {
    if (round % 2 === 0) {
      baseline.push(time(baselineArgs))
      runs.push(time(args))
    } else {
      runs.push(time(args))
      baseline.push(time(baselineArgs))
    }
  }
  for (const key of ["wall", "cpu"] as const) {
    const b = baseline.map((x) => x[key])
    const c = runs.map((x) => x[key])
    console.log(
      `${label.padEnd(17)} ${key.padEnd(4)}  import("effect") ${ms(median(b))}   ${name} ${ms(median(c))}   ` +
        `ratio ${ratio(c, b)}`
    )
  }
}
