/**
 * `helicone-eval` as a user runs it: `node bin/helicone-eval.js run …` in a subprocess. Each spawn costs a tsx
 * start-up, so the cases that need no subprocess live in cli.test.ts.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { assert, describe, it } from "@effect/vitest"
import { EvalReport } from "@helicone-effect/evaluator"
import { LocalHelicone } from "@helicone-effect/local"
import { Effect } from "effect"
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { stripVTControlCharacters } from "node:util"

const bin = fileURLToPath(new URL("../../cli/bin/helicone-eval.js", import.meta.url))
const fixture = (name: string) => fileURLToPath(new URL(`../../cli/test/fixtures/cli/${name}`, import.meta.url))

interface Finished {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs the bin; `interruptOn` sends SIGINT once stderr matches it. The process is killed if the test ends first. */
const spawn = (
  args: ReadonlyArray<string>,
  options: { readonly cwd: string; readonly env?: Record<string, string | undefined>; readonly interruptOn?: RegExp }
) =>
  Effect.acquireRelease(
    Effect.sync(() =>
      ChildProcess.spawn(process.execPath, [bin, "run", ...args], {
        cwd: options.cwd,
        env: { ...process.env, NO_COLOR: "1", ...options.env },
        stdio: ["ignore", "pipe", "pipe"]
      })
    ),
    (child) => Effect.sync(() => child.exitCode === null && child.signalCode === null && child.kill("SIGKILL"))
  ).pipe(Effect.flatMap((child) =>
    Effect.async<Finished>((resume) => {
      let stdout = ""
      let stderr = ""
      let interrupted = false
      child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()))
      child.stderr!.on("data", (chunk: Buffer) => {
        stderr += chunk.toString()
        if (options.interruptOn !== undefined && !interrupted && options.interruptOn.test(stderr)) {
          interrupted = true
          child.kill("SIGINT")
        }
      })
      child.once("close", (code) => resume(Effect.succeed({ code, stdout, stderr })))
    })
  ))

const tempDir = Effect.acquireRelease(
  Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), "helicone-eval-e2e-"))),
  (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
)

const readReport = (path: string) => EvalReport.fromJson(Fs.readFileSync(path, "utf8"))

// Sequential, with room for a slow start-up on a busy machine (each spawn is ~2-4 s of CPU).
describe("helicone-eval (subprocess)", { timeout: 90_000 }, () => {
  it.scoped("runs a suite, prints the summary, writes decodable JSON and JUnit, exits 0", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const run = yield* spawn(
        [fixture("capitals.eval.ts"), "--json", "reports/eval.json", "--junit", "reports/junit.xml"],
        { cwd: dir }
      )
      assert.strictEqual(run.code, 0, run.stderr)
      assert.include(run.stderr, "▶ capitals: 5 cases")
      assert.include(run.stdout, "capitals: PASSED")
      assert.include(run.stdout, "reports: reports/eval.json, reports/junit.xml")
      const report = yield* readReport(Path.join(dir, "reports/eval.json"))
      assert.strictEqual(report.scorers[0].mean, 0.8)
      assert.strictEqual(report.cases.length, 5)
      const junit = Fs.readFileSync(Path.join(dir, "reports/junit.xml"), "utf8")
      assert.match(junit, /^<\?xml/)
      assert.include(junit, "<testsuite name=\"capitals\"")
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
          "--threshold",
          "--helicone",
          "--local",
          "--no-color"
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
      const run = yield* spawn([fixture("capitals.eval.ts"), "--threshold", "exactMatch=0.9"], { cwd: dir })
      assert.strictEqual(run.code, 1, run.stderr)
      assert.include(run.stdout, "capitals: FAILED")
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
      const run = yield* spawn([fixture("capitals.eval.ts"), "--local", "--json", "eval.json"], { cwd: dir })
      assert.strictEqual(run.code, 0, run.stderr)
      assert.match(run.stderr, /sending scores to the embedded Helicone server at http:\/\/127\.0\.0\.1:\d+/)
      assert.include(run.stdout, "helicone: 5 queued, 5 delivered, 0 in outbox, 0 dead-lettered")
      assert.include(
        run.stdout,
        "helicone-local: scores stored for 5/5 requests (the cases that have scores) in .helicone-local/helicone.db; " +
          "browse them: pnpm exec helicone-local --db .helicone-local/helicone.db\n"
      )

      const report = yield* readReport(Path.join(dir, "eval.json"))
      const local = yield* LocalHelicone.make({ database: Path.join(dir, ".helicone-local/helicone.db") })
      for (const c of report.cases) {
        assert.deepStrictEqual(yield* local.scores(c.requestId), { exactMatch: c.input === "Australia" ? 0 : 100 })
      }
    }))

  it.scoped("--helicone sends to HELICONE_BASE_URL with HELICONE_API_KEY", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const local = yield* LocalHelicone.make({ apiKeys: ["sk-e2e"] })
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
