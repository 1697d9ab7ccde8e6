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

const recording = fileURLToPath(new URL("../fixtures/recording.jsonl", import.meta.url))
const noKeys = {
  HELICONE_API_KEY: undefined,
  HELICONE_BASE_URL: undefined,
  HELICONE_REGION: undefined,
  HELICONE_GATEWAY_URL: undefined,
  HELICONE_GATEWAY_ROUTE: undefined,
  OPENAI_API_KEY: undefined,
  HELICONE_EVAL_CACHE: undefined
}

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
  it.scoped("runs the suite, its model calls logged by the embedded gateway with every case's scores, and passes", () =>
    Effect.gen(function*() {
      yield* withEnv(noKeys)
      const dir = yield* tempDir
      const lines: Array<string> = []
      const result = yield* demo({ outputDir: dir, log: (line) => lines.push(line), terminal: quiet, replaySpeed: 0 })

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

      // each case's one model call went through the gateway, which logged it under the case's request id
      assert.strictEqual(result.logged, 30)
      assert.deepStrictEqual(result.report.usage?.calls, { task: 30, judge: 0 })
      assert.deepStrictEqual(result.report.usage?.cache, { hits: 0, misses: 0 })
      assert.strictEqual(result.report.usage?.inputTokens.total, 2394)
      for (const c of result.report.cases) {
        assert.strictEqual(c.calls?.length, 1)
        assert.strictEqual(c.calls?.[0]?.requestId, c.requestId)
      }
      assert.strictEqual(result.requests.length, 4)
      const [first] = result.requests
      assert.deepStrictEqual(
        [first?.case, first?.model, first?.promptTokens, first?.completionTokens, first?.scores],
        ["T-001", "gpt-4o-mini", 86, 17, { "category-hcone-bool": 1, jsonDiff: 100, jsonValid: 100, validTriage: 100 }]
      )

      const output = lines.join("\n")
      assert.include(output, "No HELICONE_API_KEY: started an embedded Helicone-compatible server at http://127.0.0.1:")
      assert.include(output, "30/30 cases' requests logged by its gateway, scores stored for 30/30")
      assert.include(output, "T-001 " + first?.requestId + "  gpt-4o-mini")
      const json = yield* EvalReport.fromJson(Fs.readFileSync(result.files.json, "utf8"))
      assert.strictEqual(json.name, "support-triage")
      assert.include(Fs.readFileSync(result.files.junit, "utf8"), "<testsuite name=\"support-triage\"")
      assert.include(Fs.readFileSync(result.files.html, "utf8"), "support-triage")
    }).pipe(Effect.provide(NodeContext.layer)))

  it.scoped("with HELICONE_API_KEY the model calls go through that Helicone's gateway and the scores land on them", () =>
    Effect.gen(function*() {
      // a stand-in for Helicone that keeps scores only for requests its gateway logged, as Helicone does
      const helicone = yield* LocalHelicone.make({ apiKeys: ["sk-real"], recording })
      yield* withEnv({
        ...noKeys,
        HELICONE_API_KEY: "sk-real",
        HELICONE_BASE_URL: helicone.baseUrl,
        HELICONE_GATEWAY_URL: `${helicone.baseUrl}/v1`
      })
      const dir = yield* tempDir
      const lines: Array<string> = []
      const result = yield* demo({ outputDir: dir, log: (line) => lines.push(line), terminal: quiet, replaySpeed: 0 })

      assert.strictEqual(result.helicone.kind, "helicone")
      assert.include(lines.join("\n"), `the scores to ${helicone.baseUrl}`)
      assert.strictEqual(result.report.helicone?.delivered, 30)
      for (const c of result.report.cases) {
        const logged = yield* helicone.request(c.requestId)
        assert.isNotNull(logged, `case ${c.index}`)
        assert.deepInclude(logged!.properties as object, {
          eval: "support-triage",
          case: c.name!,
          trial: "0",
          role: "task"
        })
        assert.isNotNull(yield* helicone.scores(c.requestId), `case ${c.index}`)
      }
      // its outbox is kept with the reports, for a later replay; empty when Helicone took everything
      const outbox = Path.join(dir, "outbox", "outbox.jsonl")
      assert.strictEqual(Fs.existsSync(outbox) ? Fs.readFileSync(outbox, "utf8").trim() : "", "")
      assert.isTrue(Fs.existsSync(Path.dirname(outbox)))
    }).pipe(Effect.provide(NodeContext.layer)))

  it.scoped("a rerun with HELICONE_EVAL_CACHE=replay makes no model call and scores the same", () =>
    Effect.gen(function*() {
      yield* withEnv(noKeys)
      const dir = yield* tempDir
      const first = yield* demo({ outputDir: dir, log: () => {}, terminal: quiet, replaySpeed: 0, cache: "record" })
      assert.deepStrictEqual(first.report.usage?.cache, { hits: 0, misses: 30 })
      assert.strictEqual(first.logged, 30)
      const cached = Fs.readdirSync(Path.join(dir, "cache"))
      assert.strictEqual(cached.length, 30)

      const lines: Array<string> = []
      const again = yield* demo({
        outputDir: dir,
        log: (line) => lines.push(line),
        terminal: quiet,
        replaySpeed: 0,
        cache: "replay"
      })
      assert.isTrue(again.report.passed)
      assert.deepStrictEqual(again.report.usage?.cache, { hits: 30, misses: 0 })
      // no request reached the gateway, and no score was sent to requests Helicone never logged
      assert.strictEqual(again.logged, 0)
      assert.strictEqual(again.report.helicone?.submitted, 0)
      assert.include(again.report.warnings?.[0] ?? "", "30 cases' scores were not sent to Helicone")
      assert.deepStrictEqual(
        again.report.scorers.map((s) => s.mean),
        first.report.scorers.map((s) => s.mean)
      )
      // the recorded tokens are kept, and the replayed calls cost nothing
      assert.strictEqual(again.report.usage?.inputTokens.total, first.report.usage?.inputTokens.total)
      assert.strictEqual(again.report.usage?.cost, 0)
      assert.include(lines.join("\n"), "0 sent through the gateway, 30 answered from the call cache")
    }).pipe(Effect.provide(NodeContext.layer)))

  it.scoped("the suite file runs from the CLI too: helicone-eval run src/triage.eval.ts --local --recording …", () =>
    Effect.gen(function*() {
      yield* withEnv(noKeys)
      const dir = yield* tempDir
      const evalFile = fileURLToPath(new URL("../src/triage.eval.ts", import.meta.url))
      let stdout = ""
      const code = yield* Cli.run(["node", "helicone-eval", "run", evalFile, "--local", "--recording", recording], {
        cwd: dir,
        loader: "native",
        stdout: (text) => void (stdout += text),
        stderr: () => {}
      }).pipe(Effect.provide(NodeContext.layer))
      assert.strictEqual(code, Cli.ExitCode.passed, stdout)
      assert.include(stdout, "helicone-local: scores stored for 30/30 requests")
    }))

  it.scoped("--dry-run --local --recording counts the suite's cases without a key, and sends nothing", () =>
    Effect.gen(function*() {
      yield* withEnv(noKeys)
      const dir = yield* tempDir
      const evalFile = fileURLToPath(new URL("../src/triage.eval.ts", import.meta.url))
      let stdout = ""
      const code = yield* Cli.run(
        ["node", "helicone-eval", "run", evalFile, "--local", "--recording", recording, "--dry-run"],
        { cwd: dir, loader: "native", stdout: (text) => void (stdout += text), stderr: () => {} }
      ).pipe(Effect.provide(NodeContext.layer))
      assert.strictEqual(code, Cli.ExitCode.passed, stdout)
      assert.include(stdout, "support-triage: 30 cases × 1 trial = 30 case×trials")
    }))
})
