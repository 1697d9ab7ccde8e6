/**
 * `helicone-eval` as a user runs it: `node bin/helicone-eval.js run …` in a subprocess. Each spawn costs a tsx
 * start-up, so the cases that need no subprocess live in cli.test.ts.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { assert, describe, it } from "@effect/vitest"
import { EvalReport } from "@helicone-effect/evaluator"
import { LocalHelicone } from "@helicone-effect/local"
import { Effect } from "effect"
import * as Fs from "node:fs"
import { createRequire } from "node:module"
import * as Path from "node:path"
import { stripVTControlCharacters } from "node:util"
import { fixture, spawnCli, type SpawnOptions, tempDir } from "./spawnCli.js"

/** `helicone-eval run …` in a subprocess. */
const spawn = (args: ReadonlyArray<string>, options: SpawnOptions) => spawnCli(["run", ...args], options)

const readReport = (path: string) => EvalReport.fromJson(Fs.readFileSync(path, "utf8"))

// Sequential, with room for a slow start-up on a busy machine (each spawn is ~2-4 s of CPU).
describe("helicone-eval (subprocess)", { timeout: 90_000 }, () => {
  it.scoped("runs a suite, prints the summary, writes decodable JSON and JUnit, exits 0", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const run = yield* spawn(
        [
          fixture("capitals.eval.ts"),
          "--json",
          "reports/eval.json",
          "--junit",
          "reports/junit.xml",
          "--html",
          "reports/eval.html"
        ],
        { cwd: dir }
      )
      assert.strictEqual(run.code, 0, run.stderr)
      assert.include(run.stderr, "▶ capitals: 5 cases")
      assert.include(run.stdout, "capitals: PASSED")
      assert.include(run.stdout, "reports: reports/eval.json, reports/junit.xml, reports/eval.html")
      const report = yield* readReport(Path.join(dir, "reports/eval.json"))
      assert.strictEqual(report.scorers[0].mean, 0.8)
      assert.strictEqual(report.cases.length, 5)
      const junit = Fs.readFileSync(Path.join(dir, "reports/junit.xml"), "utf8")
      assert.match(junit, /^<\?xml/)
      assert.include(junit, "<testsuite name=\"capitals\"")
      const html = Fs.readFileSync(Path.join(dir, "reports/eval.html"), "utf8")
      assert.match(html, /^<!doctype html>/i)
      assert.include(html, "capitals")
    }))

  it.scoped("--help lists every option of run; a usage error from @effect/cli is exit 2", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const help = yield* spawn(["--help"], { cwd: dir })
      assert.strictEqual(help.code, 0, help.stderr)
      // @effect/cli writes its help with colour codes, on a terminal or not
      const text = stripVTControlCharacters(help.stdout)
      for (
        const option of [
          "--concurrency",
          "--trials",
          "--timeout",
          "--filter",
          "--json",
          "--junit",
          "--html",
          "--markdown",
          "--threshold",
          "--helicone",
          "--local",
          "--no-color",
          "--max-errors",
          "--limit",
          "--sample",
          "--seed",
          "--case",
          "--typecheck",
          "--keep-runs",
          "--delivery-timeout",
          "--strict-delivery"
        ]
      ) {
        assert.include(text, option)
      }
      const usage = yield* spawn([fixture("capitals.eval.ts"), "--concurrency", "many"], { cwd: dir })
      assert.strictEqual(usage.code, 2)
      assert.strictEqual(stripVTControlCharacters(usage.stderr).split("\n")[0], "'many' is not a integer")
      assert.strictEqual(usage.stdout, "")
    }))

  it.scoped("a threshold raised on the command line fails the run: exit 1", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const stepSummary = Path.join(dir, "step-summary.md")
      Fs.writeFileSync(stepSummary, "## an earlier step\n")
      const run = yield* spawn(
        [fixture("capitals.eval.ts"), "--threshold", "exactMatch=0.9", "--markdown", "out/summary.md"],
        { cwd: dir, env: { GITHUB_STEP_SUMMARY: stepSummary } }
      )
      assert.strictEqual(run.code, 1, run.stderr)
      assert.include(run.stdout, "capitals: FAILED")
      assert.include(run.stdout, "reports: out/summary.md")
      // the markdown summary says what the exit code says, the reason first, and the value the threshold is judged on
      const markdown = Fs.readFileSync(Path.join(dir, "out/summary.md"), "utf8")
      const lines = markdown.split("\n")
      assert.strictEqual(lines[0], "## helicone-eval: failed")
      assert.strictEqual(lines[2], "### capitals: ❌ failed")
      assert.match(lines[4], /^- \*\*exactMatch: threshold mean 0\.800 &lt; 0\.9 \(mean 0\.800/)
      // mean, its 95% interval, the threshold mean judged on, the threshold, the result, scored, errors
      assert.include(markdown, "| exactMatch | 0.800 | 0.371–0.977 | 0.800 | ≥ 0.9 | **FAIL** | 5 | 0 |")
      // $GITHUB_STEP_SUMMARY gets the same text, after what the job's earlier steps wrote
      assert.strictEqual(Fs.readFileSync(stepSummary, "utf8"), `## an earlier step\n${markdown}`)
    }))

  it.scoped("a closed stdout (| head -1) ends the output, not the run: the reports are written, the exit code is the run's", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const run = yield* spawn(
        [fixture("capitals.eval.ts"), "--threshold", "exactMatch=0.9", "--json", "r.json", "--markdown", "r.md"],
        { cwd: dir, closeStdout: true }
      )
      assert.strictEqual(run.code, 1, run.stderr)
      assert.notInclude(run.stderr, "EPIPE")
      assert.isFalse((yield* readReport(Path.join(dir, "r.json"))).passed)
      assert.isTrue(Fs.existsSync(Path.join(dir, "r.md")))
    }))

  it.scoped("a missing dataset file, a task throwing on every case, nothing scored: exit 1, the reason first", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const expectations: Array<[string, RegExp, string]> = [
        ["missingData.eval.ts", /^missing-data: FAILED: the data could not be read: .*ENOENT/, "unreadable-data"],
        ["failing.eval.ts", /^failing: FAILED: 2 of 2 cases errored .*OPENAI_API_KEY is not set/, "errors"],
        [
          "unscored.eval.ts",
          /^unscored: FAILED: nothing was scored/,
          "nothing-scored"
        ]
      ]
      for (const [file, firstLine, kind] of expectations) {
        const run = yield* spawn([fixture(file), "--json", "r.json", "--junit", "junit.xml"], { cwd: dir })
        assert.strictEqual(run.code, 1, `${file}: ${run.stderr}`)
        assert.match(run.stdout.split("\n")[0], firstLine, file)
        const report = yield* readReport(Path.join(dir, "r.json"))
        assert.isFalse(report.passed, file)
        assert.strictEqual(report.verdict.reasons[0].kind, kind, file)
        assert.match(Fs.readFileSync(Path.join(dir, "junit.xml"), "utf8"), /failures="[1-9]/, file)
      }
    }))

  it.scoped("--max-errors: one errored case of three fails by default, passes with --max-errors 1 or 34%", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const strict = yield* spawn([fixture("partial.eval.ts"), "--junit", "junit.xml"], { cwd: dir })
      assert.strictEqual(strict.code, 1, strict.stderr)
      assert.match(strict.stdout.split("\n")[0], /^partial: FAILED: 1 of 3 cases errored \(max 0\)/)
      // JUnit agrees: the verdict's reason and the errored case are failing test cases
      const junit = Fs.readFileSync(Path.join(dir, "junit.xml"), "utf8")
      assert.match(junit, /<testsuites name="partial" tests="2" failures="2"/)
      assert.include(junit, "<failure type=\"errors\" message=\"1 of 3 cases errored (max 0)")
      for (const allowed of ["1", "34%"]) {
        const run = yield* spawn([fixture("partial.eval.ts"), "--max-errors", allowed, "--json", "r.json"], {
          cwd: dir
        })
        assert.strictEqual(run.code, 0, run.stderr)
        assert.match(run.stdout.split("\n")[0], /^partial: PASSED/)
        assert.isTrue((yield* readReport(Path.join(dir, "r.json"))).passed)
      }
    }))

  it.scoped("a misspelt threshold on the command line or in the suite, a type error with CI set: exit 2", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const cli = yield* spawn([fixture("capitals.eval.ts"), "--threshold", "exactmatch=0.5"], { cwd: dir })
      assert.strictEqual(cli.code, 2)
      assert.strictEqual(
        cli.stderr,
        "helicone-eval: --threshold exactmatch: no suite has a scorer named \"exactmatch\"; did you mean \"exactMatch\"?\n"
      )
      const suite = yield* spawn([fixture("misspelt.eval.ts")], { cwd: dir })
      assert.strictEqual(suite.code, 2)
      assert.match(suite.stderr, /^helicone-eval: cannot load .*misspelt\.eval\.ts: .*did you mean "exactMatch"\?.*\n$/)

      // CI turns type checking on: typescript comes from the project, here the workspace's, linked
      const typescript = Path.dirname(createRequire(import.meta.url).resolve("typescript/package.json"))
      Fs.mkdirSync(Path.join(dir, "node_modules"))
      Fs.symlinkSync(typescript, Path.join(dir, "node_modules", "typescript"), "dir")
      Fs.writeFileSync(Path.join(dir, "package.json"), "{\"type\":\"module\"}")
      Fs.writeFileSync(Path.join(dir, "typed.eval.ts"), "const answer: number = \"forty-two\"\nexport default answer\n")
      const typed = yield* spawn(["typed.eval.ts"], { cwd: dir, env: { CI: "true" } })
      assert.strictEqual(typed.code, 2)
      assert.strictEqual(
        typed.stderr.split("\n")[0],
        "helicone-eval: type error in typed.eval.ts:1:7: TS2322: Type 'string' is not assignable to type 'number'. " +
          "(--no-typecheck runs without checking)"
      )
      assert.strictEqual(typed.stdout, "")
    }))

  it.scoped("--limit, --sample --seed and --case pick the cases; the seed is printed", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const run = yield* spawn([fixture("named.eval.ts"), "--case", "shipping", "--sample", "2", "--json", "r.json"], {
        cwd: dir
      })
      assert.strictEqual(run.code, 0, run.stderr)
      const seed = /sampling 2 cases of each suite with --seed (\d+)/.exec(run.stderr)?.[1]
      assert.isDefined(seed, run.stderr)
      const first = yield* readReport(Path.join(dir, "r.json"))
      assert.strictEqual(first.cases.length, 2)
      for (const c of first.cases) assert.match(c.name ?? "", /^Shipping/)
      const again = yield* spawn(
        [fixture("named.eval.ts"), "--case", "shipping", "--sample", "2", "--seed", seed!, "--json", "r.json"],
        { cwd: dir }
      )
      assert.strictEqual(again.code, 0, again.stderr)
      const second = yield* readReport(Path.join(dir, "r.json"))
      assert.deepStrictEqual(second.cases.map((c) => c.name), first.cases.map((c) => c.name))
      const limited = yield* spawn([fixture("named.eval.ts"), "--limit", "1"], { cwd: dir })
      assert.include(limited.stderr, "▶ named: 1 case,")
      assert.match(limited.stdout, /^named: PASSED {2}1 case,/)
    }))

  it.scoped("the cases files of a suite in .helicone-eval/: the newest --keep-runs are kept", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const out = Path.join(dir, ".helicone-eval")
      Fs.mkdirSync(out)
      const old = ["2020-01-01", "2020-01-02", "2020-01-03"].map((day) => `many-${day}T00-00-00-000Z.cases.jsonl`)
      for (const file of old) Fs.writeFileSync(Path.join(out, file), "")
      // 20,000 cases: past the report's 10,000, so the run writes its cases file
      const run = yield* spawn([fixture("many.eval.ts"), "--keep-runs", "2"], { cwd: dir })
      assert.strictEqual(run.code, 0, run.stderr)
      const kept = Fs.readdirSync(out).sort()
      assert.strictEqual(kept.length, 2)
      assert.strictEqual(kept[0], old[2])
      assert.match(kept[1], /^many-\d{4}-.*\.cases\.jsonl$/)
      assert.include(run.stdout, `cases: ${Path.join(out, kept[1])}`)
    }))

  it.scoped("a syntax error in an eval file is exit 2 with the file name and position", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      Fs.writeFileSync(Path.join(dir, "package.json"), "{\"type\":\"module\"}")
      Fs.writeFileSync(Path.join(dir, "broken.eval.ts"), "export default {\n  name: \"broken\",,\n}\n")
      const run = yield* spawn(["broken.eval.ts"], { cwd: dir })
      assert.strictEqual(run.code, 2)
      assert.match(run.stderr, /^helicone-eval: cannot load broken\.eval\.ts: .*broken\.eval\.ts:2:\d+: ERROR: /)
      assert.strictEqual(run.stdout, "")
    }))

  it.scoped("Ctrl-C after the first progress line: exit 130, and the partial report is still written", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const run = yield* spawn([fixture("slow.eval.ts"), "--json", "slow.json"], {
        cwd: dir,
        interruptOn: /▶ slow: 1000 cases/
      })
      assert.strictEqual(run.code, 130, run.stderr)
      assert.include(run.stdout, "slow: INTERRUPTED")
      const report = yield* readReport(Path.join(dir, "slow.json"))
      assert.isTrue(report.interrupted)
      assert.isFalse(report.passed)
      assert.isBelow(report.totals.cases, 1000)
      assert.strictEqual(report.cases.length, report.totals.cases)
      // the cases in flight (two at a time) are in it too, marked interrupted
      const inFlight = report.cases.filter((c) => c.errors.some((e) => e.source === "interrupted"))
      assert.oneOf(inFlight.length, [1, 2])
      assert.strictEqual(report.totals.interrupted, inFlight.length)
      assert.include(run.stdout, `(${inFlight.length} stopped in flight)`)
    }))

  it.scoped("Ctrl-C stops a run whose cases never suspend (20 s of synchronous work): exit 130, partial report", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const run = yield* spawn([fixture("busy.eval.ts"), "--json", "busy.json"], {
        cwd: dir,
        interruptOn: /▶ busy: 20000 cases/
      })
      assert.strictEqual(run.code, 130, run.stderr)
      assert.include(run.stdout, "busy: INTERRUPTED")
      const report = yield* readReport(Path.join(dir, "busy.json"))
      assert.isTrue(report.interrupted)
      // SIGINT is sent as soon as the run starts; the runner handles it within its next 10 ms slice.
      assert.isBelow(report.totals.cases, 5_000, "the signal was handled promptly")
    }))

  it.scoped("--local stores the scores in an embedded server, in a database `helicone-local` can serve after", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const run = yield* spawn([fixture("capitals.eval.ts"), "--local", "--json", "eval.json"], {
        cwd: dir,
        env: { npm_config_user_agent: "pnpm/10.4.1 npm/? node/v22.0.0 linux x64" }
      })
      assert.strictEqual(run.code, 0, run.stderr)
      assert.match(run.stderr, /sending scores to the embedded Helicone server at http:\/\/127\.0\.0\.1:\d+/)
      assert.include(run.stdout, "helicone: 5 queued, 5 delivered, 0 in outbox, 0 dead-lettered")
      assert.include(
        run.stdout,
        "helicone-local: scores stored for 5/5 requests (the cases that have scores) in .helicone-local/helicone.db; " +
          "browse them: pnpm exec helicone-local --db .helicone-local/helicone.db\n"
      )

      const report = yield* readReport(Path.join(dir, "eval.json"))
      const local = yield* LocalHelicone.make({
        acceptUnknownRequests: true,
        database: Path.join(dir, ".helicone-local/helicone.db")
      })
      for (const c of report.cases) {
        assert.deepStrictEqual(yield* local.scores(c.requestId), { exactMatch: c.input === "Australia" ? 0 : 100 })
      }
    }))

  it.scoped("--helicone sends to HELICONE_BASE_URL with HELICONE_API_KEY", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const local = yield* LocalHelicone.make({ acceptUnknownRequests: true, apiKeys: ["sk-e2e"] })
      const run = yield* spawn([fixture("capitals.eval.ts"), "--helicone", "--json", "eval.json"], {
        cwd: dir,
        env: { HELICONE_API_KEY: "sk-e2e", HELICONE_BASE_URL: local.baseUrl, HELICONE_REGION: undefined }
      })
      assert.strictEqual(run.code, 0, run.stderr)
      assert.include(run.stderr, `sending scores to Helicone at ${local.baseUrl}`)
      const report = yield* readReport(Path.join(dir, "eval.json"))
      assert.strictEqual(report.helicone?.delivery, "queue")
      assert.strictEqual(report.helicone?.delivered, 5)
      assert.strictEqual(report.helicone?.outbox, 0)
      // through a durable queue whose outbox is in the working directory, empty once everything was delivered
      const outbox = Path.join(dir, ".helicone-outbox", "outbox.jsonl")
      assert.isTrue(Fs.existsSync(Path.dirname(outbox)))
      assert.strictEqual(Fs.existsSync(outbox) ? Fs.readFileSync(outbox, "utf8").trim() : "", "")
      for (const c of report.cases) {
        assert.isNotNull(yield* local.scores(c.requestId), `case ${c.index}`)
      }
    }).pipe(Effect.provide(FetchHttpClient.layer)))
})
