import { NodeContext } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Cli } from "@helicone-effect/cli"
import { EvalReport } from "@helicone-effect/evaluator"
import { LocalHelicone } from "@helicone-effect/local"
import { Effect } from "effect"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { demo } from "../src/demo.js"
import { replay } from "../src/triage.eval.js"

// The recordings' latencies are for watching; the tests replay without waiting.
replay.speed = 0

const tempDir = Effect.acquireRelease(
  Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), "example-quickstart-"))),
  (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
)

/** Sets environment variables for the test's scope. */
const withEnv = (vars: Record<string, string | undefined>) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const saved = Object.fromEntries(Object.keys(vars).map((key) => [key, process.env[key]]))
      for (const [key, value] of Object.entries(vars)) {
        if (value === undefined) delete process.env[key]
        else process.env[key] = value
      }
      return saved
    }),
    (saved) =>
      Effect.sync(() => {
        for (const [key, value] of Object.entries(saved)) {
          if (value === undefined) delete process.env[key]
          else process.env[key] = value
        }
      })
  )

const quiet = { write: () => {} }

describe("pnpm demo", () => {
  it.scoped("runs the suite, stores every case's scores in the embedded server, writes the reports, passes", () =>
    Effect.gen(function*() {
      yield* withEnv({ HELICONE_API_KEY: undefined, HELICONE_BASE_URL: undefined, HELICONE_REGION: undefined })
      const dir = yield* tempDir
      const lines: Array<string> = []
      const result = yield* demo({ outputDir: dir, log: (line) => lines.push(line), terminal: quiet })

      assert.isTrue(result.report.passed)
      assert.strictEqual(result.helicone.kind, "embedded")
      assert.strictEqual(result.report.totals.cases, 30)
      assert.strictEqual(result.stored, 30)
      // through the durable queue: every case's scores delivered, nothing left in the outbox
      assert.deepStrictEqual(result.report.helicone, {
        delivery: "queue",
        submitted: 30,
        failed: 0,
        skipped: 0,
        failures: [],
        delivered: 30,
        outbox: 0,
        deadLettered: 0
      })
      // The recordings are imperfect on purpose: some cases score low.
      assert.isTrue(result.report.scorers.every((s) => s.min === 0 && s.mean !== null && s.mean < 1))

      const output = lines.join("\n")
      assert.include(output, "No HELICONE_API_KEY: started an embedded Helicone-compatible server at http://127.0.0.1:")
      assert.include(output, "scores stored for 30/30 requests")
      const json = yield* EvalReport.fromJson(Fs.readFileSync(result.files.json, "utf8"))
      assert.strictEqual(json.name, "support-triage")
      assert.include(Fs.readFileSync(result.files.junit, "utf8"), "<testsuite name=\"support-triage\"")
      assert.include(Fs.readFileSync(result.files.html, "utf8"), "support-triage")
    }).pipe(Effect.provide(NodeContext.layer)))

  it.scoped("with HELICONE_API_KEY it sends to that Helicone instead, and says so", () =>
    Effect.gen(function*() {
      const helicone = yield* LocalHelicone.make({ acceptUnknownRequests: true, apiKeys: ["sk-real"] })
      yield* withEnv({ HELICONE_API_KEY: "sk-real", HELICONE_BASE_URL: helicone.baseUrl, HELICONE_REGION: undefined })
      const dir = yield* tempDir
      const lines: Array<string> = []
      const result = yield* demo({ outputDir: dir, log: (line) => lines.push(line), terminal: quiet })

      assert.strictEqual(result.helicone.kind, "helicone")
      assert.include(lines.join("\n"), `HELICONE_API_KEY is set: sending scores to Helicone at ${helicone.baseUrl}`)
      assert.strictEqual(result.report.helicone?.delivered, 30)
      for (const c of result.report.cases) assert.isNotNull(yield* helicone.scores(c.requestId), `case ${c.index}`)
      // its outbox is kept with the reports, for a later replay; empty when Helicone took everything
      const outbox = Path.join(dir, "outbox", "outbox.jsonl")
      assert.strictEqual(Fs.existsSync(outbox) ? Fs.readFileSync(outbox, "utf8").trim() : "", "")
      assert.isTrue(Fs.existsSync(Path.dirname(outbox)))
    }).pipe(Effect.provide(NodeContext.layer)))

  it.scoped("the suite file runs from the CLI too: helicone-eval run src/triage.eval.ts --local", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const evalFile = fileURLToPath(new URL("../src/triage.eval.ts", import.meta.url))
      let stdout = ""
      const code = yield* Cli.run(["node", "helicone-eval", "run", evalFile, "--local"], {
        cwd: dir,
        loader: "native",
        stdout: (text) => void (stdout += text),
        stderr: () => {}
      }).pipe(Effect.provide(NodeContext.layer))
      assert.strictEqual(code, Cli.ExitCode.passed, stdout)
      assert.include(stdout, "helicone-local: scores stored for 30/30 requests")
    }))
})
