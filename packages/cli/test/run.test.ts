/**
 * `helicone-eval run` in this process: the verdict's exit codes, picking cases, type checking, unknown thresholds,
 * the housekeeping of `.helicone-eval/` and the commands messages suggest.
 */
import { NodeContext } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { EvalReport } from "@helicone-effect/evaluator"
import { Effect } from "effect"
import * as Fs from "node:fs"
import { createRequire } from "node:module"
import * as Path from "node:path"
import * as Cli from "../src/Cli.js"
import * as CasesFiles from "../src/internal/casesFiles.js"
import * as PackageManager from "../src/internal/packageManager.js"
import { cli, fixture, main, tempDir } from "./runInProcess.js"

const readReport = (path: string) => EvalReport.fromJson(Fs.readFileSync(path, "utf8"))

describe("the verdict decides the exit code", () => {
  it.scopedLive("a task throwing on every case, a missing dataset file: exit 1, the reason first", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const failing = yield* cli([fixture("failing.eval.ts"), "--json", "r.json"], dir)
      assert.strictEqual(failing.code, Cli.ExitCode.failed, failing.stderr)
      assert.match(failing.stdout.split("\n")[0], /^failing: FAILED: .*OPENAI_API_KEY is not set/)
      const report = yield* readReport(Path.join(dir, "r.json"))
      assert.isFalse(report.passed)
      assert.deepStrictEqual(report.verdict.reasons.map((reason) => reason.kind), ["errors", "nothing-scored"])

      const missing = yield* cli([fixture("missingData.eval.ts")], dir)
      assert.strictEqual(missing.code, Cli.ExitCode.failed, missing.stderr)
      assert.match(missing.stdout.split("\n")[0], /^missing-data: FAILED: the data could not be read: .*ENOENT/)
    }))

  it.scopedLive("--max-errors 1 and --max-errors 50% let one errored case of three pass; 0 does not", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      for (const [maxErrors, code] of [["1", 0], ["50%", 0], ["0", 1], ["10%", 1]] as const) {
        const run = yield* cli([fixture("partial.eval.ts"), "--max-errors", maxErrors], dir)
        assert.strictEqual(run.code, code, `--max-errors ${maxErrors}: ${run.stdout}`)
        assert.match(run.stdout.split("\n")[0], code === 0 ? /^partial: PASSED/ : /^partial: FAILED: 1 of 3 cases/)
      }
      for (const bad of ["many", "-1", "1.5", "120%"]) {
        const run = yield* cli([fixture("partial.eval.ts"), "--max-errors", bad], dir)
        assert.strictEqual(run.code, Cli.ExitCode.usage, bad)
        assert.include(run.stderr.split("\n")[0], "--max-errors expects a count of cases (5) or a percentage", bad)
      }
    }))
})

describe("unknown thresholds are usage errors", () => {
  it.scopedLive("--threshold on a scorer no suite has: exit 2 with did you mean; a suite's own: a load error", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const misspelt = yield* cli([fixture("capitals.eval.ts"), "--threshold", "exactmatch=0.5"], dir)
      assert.strictEqual(misspelt.code, Cli.ExitCode.usage)
      assert.strictEqual(
        misspelt.stderr,
        "helicone-eval: --threshold exactmatch: no suite has a scorer named \"exactmatch\"; did you mean \"exactMatch\"?\n"
      )
      assert.strictEqual(misspelt.stdout, "")
      const far = yield* cli([fixture("capitals.eval.ts"), "--threshold", "judge=0.5"], dir)
      assert.strictEqual(far.code, Cli.ExitCode.usage)
      assert.include(far.stderr, "no suite has a scorer named \"judge\" (scorers: exactMatch)")

      const load = yield* cli([fixture("misspelt.eval.ts")], dir)
      assert.strictEqual(load.code, Cli.ExitCode.usage)
      assert.strictEqual(load.stderr.split("\n").length, 2, "one line")
      assert.match(
        load.stderr,
        /^helicone-eval: cannot load .*misspelt\.eval\.ts: .*"exactmatch" \(did you mean "exactMatch"\?\)/
      )
    }))

  it.scopedLive("a threshold goes to the suites that have the scorer, among several", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const run = yield* cli([fixture("capitals.eval.ts"), fixture("judged.eval.ts"), "--threshold", "judge=0.2"], dir)
      assert.strictEqual(run.code, Cli.ExitCode.passed, run.stdout)
    }))
})

describe("picking cases", () => {
  const inputs = (path: string) =>
    readReport(path).pipe(Effect.map((report) => report.cases.map((c) => (c.input as { question: string }).question)))

  it.scopedLive("--limit runs the first n; --case a name or input; --sample n --seed s reproducibly", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const named = fixture("named.eval.ts")
      const limit = yield* cli([named, "--limit", "3", "--json", "limit.json"], dir)
      assert.strictEqual(limit.code, 0, limit.stdout)
      assert.include(limit.stderr, "▶ named: 3 cases")
      assert.deepStrictEqual(yield* inputs(Path.join(dir, "limit.json")), [
        "question number 0",
        "question number 1",
        "question number 2"
      ])

      const byCase = yield* cli([named, "--case", "REFUND", "--case", "number 3", "--json", "case.json"], dir)
      assert.strictEqual(byCase.code, 0, byCase.stdout)
      assert.include(byCase.stderr, "▶ named: 6 cases")
      assert.deepStrictEqual((yield* inputs(Path.join(dir, "case.json"))).map((q) => Number(q.split(" ")[2])), [
        0,
        2,
        3,
        4,
        6,
        8
      ])

      const first = yield* cli([named, "--sample", "4", "--seed", "7", "--json", "a.json"], dir)
      yield* cli([named, "--sample", "4", "--seed", "7", "--json", "b.json"], dir)
      assert.strictEqual(first.code, 0, first.stdout)
      assert.include(first.stderr, "sampling 4 cases of each suite with --seed 7\n")
      assert.include(first.stderr, "▶ named: 4 cases")
      assert.deepStrictEqual(yield* inputs(Path.join(dir, "a.json")), yield* inputs(Path.join(dir, "b.json")))

      const random = yield* cli([named, "--sample", "1"], dir)
      assert.match(
        random.stderr,
        /sampling 1 case of each suite with --seed \d+ \(pass it to draw the same cases again\)/
      )
      assert.include(random.stderr, "▶ named: 1 case,")

      const none = yield* cli([named, "--case", "nothing like it"], dir)
      assert.strictEqual(none.code, Cli.ExitCode.failed, "no case, nothing scored")
      assert.match(none.stdout.split("\n")[0], /^named: FAILED: /)
    }))
})

describe("--typecheck", () => {
  /** A project outside the workspace, with the workspace's typescript installed in it. */
  const project = Effect.gen(function*() {
    const dir = yield* tempDir
    const typescript = Path.dirname(createRequire(import.meta.url).resolve("typescript/package.json"))
    Fs.mkdirSync(Path.join(dir, "node_modules"))
    Fs.symlinkSync(typescript, Path.join(dir, "node_modules", "typescript"), "dir")
    Fs.writeFileSync(Path.join(dir, "package.json"), "{\"type\":\"module\"}")
    Fs.writeFileSync(Path.join(dir, "broken.eval.ts"), "const answer: number = \"forty-two\"\nexport default answer\n")
    return dir
  })

  it.scopedLive("a type error is exit 2 with the first error's place, before the file runs", () =>
    Effect.gen(function*() {
      const dir = yield* project
      const run = yield* cli(["broken.eval.ts", "--typecheck"], dir)
      assert.strictEqual(run.code, Cli.ExitCode.usage, run.stderr)
      assert.strictEqual(
        run.stderr,
        "helicone-eval: type error in broken.eval.ts:1:7: TS2322: Type 'string' is not assignable to type 'number'. " +
          "(--no-typecheck runs without checking)\n"
      )
    }))

  it.scopedLive("on by default when CI is set, off with --no-typecheck", () =>
    Effect.gen(function*() {
      const dir = yield* project
      const ci = yield* cli(["broken.eval.ts"], dir, { CI: "true" })
      assert.strictEqual(ci.code, Cli.ExitCode.usage)
      assert.include(ci.stderr, "type error in broken.eval.ts:1:7")
      // without checking, the file loads and exports no suite
      const off = yield* cli(["broken.eval.ts", "--no-typecheck"], dir, { CI: "true" })
      assert.strictEqual(off.code, Cli.ExitCode.usage)
      assert.include(off.stderr, "no eval suites exported by broken.eval.ts")
      const local = yield* cli(["broken.eval.ts"], dir, { CI: "false" })
      assert.include(local.stderr, "no eval suites exported by broken.eval.ts")
    }))

  it.scopedLive("a clean file runs after the check, which says what it took", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const run = yield* cli([fixture("capitals.eval.ts"), "--typecheck"], dir)
      assert.strictEqual(run.code, Cli.ExitCode.passed, run.stderr)
      assert.match(run.stderr, /^type-checked 1 eval file with TypeScript \d+\.\d+\.\d+ in \d+\.\ds\n/)
    }))

  it.scopedLive("without typescript in the project: one line saying how to install it", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      Fs.writeFileSync(Path.join(dir, "a.eval.ts"), "export default 1\n")
      const run = yield* cli(["a.eval.ts", "--typecheck"], dir, { npm_config_user_agent: "pnpm/10.0.0 node/v22" })
      assert.strictEqual(run.code, Cli.ExitCode.usage)
      assert.strictEqual(
        run.stderr,
        "helicone-eval: type checking the eval files (--typecheck, on when CI is set) needs typescript installed: " +
          "pnpm add -D typescript@~5.9, or pass --no-typecheck\n"
      )
      // TypeScript 7, npm's latest, is a native compiler with no JavaScript API to call: said, not a crash
      const ts7 = Path.join(dir, "node_modules", "typescript")
      Fs.mkdirSync(ts7, { recursive: true })
      Fs.writeFileSync(
        Path.join(ts7, "package.json"),
        JSON.stringify({ name: "typescript", version: "7.0.2", main: "index.js" })
      )
      Fs.writeFileSync(Path.join(ts7, "index.js"), "exports.version = \"7.0.2\"\n")
      const seven = yield* cli(["a.eval.ts"], dir, { CI: "true", npm_config_user_agent: "npm/11.0.0 node/v22" })
      assert.strictEqual(seven.code, Cli.ExitCode.usage)
      assert.strictEqual(
        seven.stderr,
        "helicone-eval: type checking the eval files (--typecheck, on when CI is set) needs typescript, which could " +
          "not be used: the installed typescript 7.0.2 has no compiler API (TypeScript 7 and later); install " +
          "TypeScript 5 (npm i -D typescript@~5.9) or pass --no-typecheck\n"
      )
      // JavaScript eval files need no typescript
      Fs.writeFileSync(Path.join(dir, "b.eval.mjs"), "export default 1\n")
      const js = yield* cli(["b.eval.mjs", "--typecheck"], dir)
      assert.include(js.stderr, "no eval suites exported by b.eval.mjs")
    }))
})

describe("housekeeping", () => {
  it.scopedLive("the cases files of a suite in .helicone-eval/: the newest --keep-runs are kept", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const out = Path.join(dir, CasesFiles.outputDir)
      Fs.mkdirSync(out)
      const old = Array.from({ length: 4 }, (_, i) => `named-2020-01-0${i + 1}T00-00-00-000Z.cases.jsonl`)
      for (const file of [...old, "other-2020-01-01T00-00-00-000Z.cases.jsonl", "notes.txt"]) {
        Fs.writeFileSync(Path.join(out, file), "")
      }
      const removed = yield* CasesFiles.prune(out, "named", 2).pipe(Effect.provide(NodeContext.layer))
      assert.deepStrictEqual(removed.map((file) => Path.basename(file)), old.slice(0, 2))
      assert.deepStrictEqual(Fs.readdirSync(out).sort(), [
        ...old.slice(2),
        "notes.txt",
        "other-2020-01-01T00-00-00-000Z.cases.jsonl"
      ])
    }))

  it("commands are named for the package manager that ran the CLI, or bare", () => {
    const line = (agent: string | undefined) => PackageManager.commandLine("helicone-local --db x.db", agent)
    assert.strictEqual(line("pnpm/10.4.1 npm/? node/v22.1.0 linux x64"), "pnpm exec helicone-local --db x.db")
    assert.strictEqual(line("npm/10.2.0 node/v20.11.0 darwin arm64 workspaces/false"), "npx helicone-local --db x.db")
    assert.strictEqual(line("yarn/4.1.0 npm/? node/v20.11.0 linux x64"), "yarn helicone-local --db x.db")
    assert.strictEqual(line(undefined), "helicone-local --db x.db")
    assert.strictEqual(line("something/1.0"), "helicone-local --db x.db")
  })

  it.scopedLive("the read-back line names the package manager, and says 1 request", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const run = yield* cli([fixture("named.eval.ts"), "--local", "--limit", "1"], dir, {
        npm_config_user_agent: "npm/10.2.0 node/v20.11.0"
      })
      assert.strictEqual(run.code, Cli.ExitCode.passed, run.stderr)
      assert.include(
        run.stdout,
        "helicone-local: scores stored for 1/1 request (the cases that have scores) in .helicone-local/helicone.db; " +
          "browse them: npx helicone-local --db .helicone-local/helicone.db\n"
      )
    }))
})

describe("helicone-eval outbox", () => {
  const entry = (i: number) =>
    JSON.stringify({ requestId: `00000000-0000-4000-8000-00000000000${i}`, scores: { exactMatch: 100, judge: true } })

  it.scopedLive("lists the outbox and the dead letters; drop asks, or takes --yes", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const empty = yield* main(["outbox"], dir)
      assert.strictEqual(empty.code, 0, empty.stderr)
      assert.strictEqual(empty.stdout, "nothing in .helicone-outbox: every score was delivered\n")

      const outbox = Path.join(dir, ".helicone-outbox")
      Fs.mkdirSync(outbox)
      Fs.writeFileSync(Path.join(outbox, "outbox.jsonl"), [1, 2, 3, 4, 5, 6].map(entry).join("\n") + "\n")
      Fs.writeFileSync(Path.join(outbox, "outbox.jsonl.replay"), entry(7) + "\n")
      const dead = JSON.parse(entry(8))
      Fs.writeFileSync(
        Path.join(outbox, "dead-letter.jsonl"),
        JSON.stringify({ ...dead, error: { _tag: "InvalidScores", status: 400, message: "judge is not a number" } }) +
          "\n"
      )
      const listed = yield* main(["outbox"], dir, { npm_config_user_agent: "yarn/4.1.0 node/v20" })
      assert.strictEqual(listed.code, 0, listed.stderr)
      assert.strictEqual(
        listed.stdout,
        [
          "outbox .helicone-outbox/outbox.jsonl: 7 scores",
          // oldest first: the replay file was taken aside before outbox.jsonl received its entries
          ...[7, 1, 2, 3, 4].map((i) => `  00000000-0000-4000-8000-00000000000${i}  exactMatch, judge`),
          "  … and 2 more",
          "dead letters .helicone-outbox/dead-letter.jsonl: 1 score",
          "  00000000-0000-4000-8000-000000000008  exactMatch, judge  — judge is not a number",
          "send them with yarn helicone-eval outbox send, or clear them with yarn helicone-eval outbox drop",
          ""
        ].join("\n")
      )

      const refused = yield* main(["outbox", "drop"], dir)
      assert.strictEqual(refused.code, Cli.ExitCode.usage)
      assert.strictEqual(
        refused.stderr,
        "helicone-eval: outbox drop asks for a confirmation, and there is no terminal to ask on: pass --yes\n"
      )
      assert.isTrue(Fs.existsSync(Path.join(outbox, "outbox.jsonl")))
      // a queue of a running process (here the test runner's parent) holds it
      Fs.writeFileSync(Path.join(outbox, "outbox.jsonl.lock"), String(process.ppid))
      const inUse = yield* main(["outbox", "drop", "--yes"], dir)
      assert.strictEqual(inUse.code, Cli.ExitCode.usage)
      assert.strictEqual(
        inUse.stderr,
        `helicone-eval: the outbox in .helicone-outbox is in use by process ${process.ppid} (a run still ` +
          "delivering?): nothing dropped\n"
      )
      Fs.rmSync(Path.join(outbox, "outbox.jsonl.lock"))
      const dropped = yield* main(["outbox", "drop", "--yes"], dir)
      assert.strictEqual(dropped.code, 0, dropped.stderr)
      assert.strictEqual(dropped.stdout, "dropped 7 scores in the outbox and 1 dead letter in .helicone-outbox\n")
      assert.deepStrictEqual(Fs.readdirSync(outbox), [])
    }))

  it.effect("--help of run names exit code 3; outbox --help lists send and drop", () =>
    Effect.gen(function*() {
      const help = yield* main(["run", "--help"])
      assert.include(help.stdout, "With CI set or --strict-delivery: scores still in the outbox")
      const outbox = yield* main(["outbox", "--help"])
      assert.strictEqual(outbox.code, 0, outbox.stderr)
      for (const name of ["send", "drop", "--local"]) assert.include(outbox.stdout, name)
    }))
})
