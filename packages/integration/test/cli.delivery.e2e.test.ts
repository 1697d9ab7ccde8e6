/**
 * `helicone-eval run --helicone` as a user meets it, in a subprocess against a Helicone-compatible server on loopback:
 * every score lands before the process exits, a refused key stops at once with the scores kept, scores left in the
 * outbox fail a strict run with exit 3, and the outbox commands list, resend and drop what is left.
 */
import { NodeContext } from "@effect/platform-node"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { assert, describe, it } from "@effect/vitest"
import { EvalReport } from "@helicone-effect/evaluator"
import { LocalHelicone } from "@helicone-effect/local"
import { Effect, Stream } from "effect"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { closedPort, fixture, spawnCli, tempDir } from "./spawnCli.js"

const readReport = (path: string) => EvalReport.fromJson(Fs.readFileSync(path, "utf8"))

/** How many scores `helicone-eval outbox` says wait in the outbox of `dir`. */
const inOutbox = (dir: string) =>
  spawnCli(["outbox"], { cwd: dir }).pipe(Effect.map((listed) => {
    assert.strictEqual(listed.code, 0, listed.stderr)
    if (listed.stdout.startsWith("nothing in .helicone-outbox")) return 0
    const count = /^outbox \.helicone-outbox\/outbox\.jsonl: ([\d,]+) scores?$/m.exec(listed.stdout)?.[1]
    assert.isDefined(count, listed.stdout)
    return Number(count!.replace(/,/g, ""))
  }))

describe("helicone-eval run --helicone (subprocess)", { timeout: 120_000 }, () => {
  // SLOW (~40 s on 2 cores): 20,000 cases, each with a score, through the CLI to a local server
  it.scoped("(slow, ~40 s) 20,000 cases: every score is stored before the process exits, and the last line says so", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const local = yield* LocalHelicone.make({ acceptUnknownRequests: true, apiKeys: ["sk-e2e"] })
      const run = yield* spawnCli(["run", fixture("many.eval.ts"), "--helicone", "--json", "many.json"], {
        cwd: dir,
        env: { HELICONE_API_KEY: "sk-e2e", HELICONE_BASE_URL: local.baseUrl, HELICONE_REGION: undefined }
      })
      assert.strictEqual(run.code, 0, run.stderr)
      const lines = run.stdout.trimEnd().split("\n")
      assert.strictEqual(
        lines.at(-1),
        "helicone: 20,000 delivered, 0 dead-lettered, 0 in the outbox (.helicone-outbox)"
      )
      assert.strictEqual(yield* inOutbox(dir), 0)
      const report = yield* readReport(Path.join(dir, "many.json"))
      assert.strictEqual(report.totals.cases, 20_000)
      const missing = yield* EvalReport.readCases(report).pipe(
        Stream.mapEffect((c) => local.scores(c.requestId), { concurrency: 32 }),
        Stream.filter((scores) => scores === null),
        Stream.runCount,
        Effect.provide(NodeContext.layer)
      )
      assert.strictEqual(missing, 0, "every score stored")
      console.log(`20,000 cases through helicone-eval --helicone: ${(run.duration / 1000).toFixed(1)}s`)
    }))

  it.scoped("a wrong key: one error line, exit 2, the scores kept in the outbox; outbox send delivers them", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const local = yield* LocalHelicone.make({ acceptUnknownRequests: true, apiKeys: ["sk-right"] })
      const env = { HELICONE_BASE_URL: local.baseUrl, HELICONE_REGION: undefined }
      const run = yield* spawnCli(["run", fixture("named.eval.ts"), "--helicone", "--json", "r.json"], {
        cwd: dir,
        env: { ...env, HELICONE_API_KEY: "sk-wrong" }
      })
      assert.strictEqual(run.code, 2, run.stderr)
      const errors = run.stderr.split("\n").filter((line) => line.startsWith("helicone-eval:"))
      assert.deepStrictEqual(errors, [
        `helicone-eval: Helicone at ${local.baseUrl} refused HELICONE_API_KEY (401): delivery stopped, 10 scores ` +
        "kept in the outbox; fix the key, then helicone-eval outbox send"
      ])
      assert.notInclude(run.stdout, "WARN")
      assert.notInclude(run.stdout, "ERROR")
      assert.match(run.stdout.split("\n")[0], /^named: FAILED: Helicone at .* refused HELICONE_API_KEY \(401\)/)
      const report = yield* readReport(Path.join(dir, "r.json"))
      assert.strictEqual(report.verdict.reasons[0].kind, "delivery")
      assert.strictEqual(yield* inOutbox(dir), 10, "kept, not dead-lettered")
      assert.isFalse(Fs.existsSync(Path.join(dir, ".helicone-outbox", "dead-letter.jsonl")))

      const send = yield* spawnCli(["outbox", "send"], { cwd: dir, env: { ...env, HELICONE_API_KEY: "sk-right" } })
      assert.strictEqual(send.code, 0, send.stderr)
      assert.include(send.stdout, "helicone: 10 delivered, 0 dead-lettered, 0 in the outbox (.helicone-outbox)")
      for (const c of report.cases) assert.isNotNull(yield* local.scores(c.requestId), `case ${c.index}`)
    }).pipe(Effect.provide(FetchHttpClient.layer)))

  it.scoped("Helicone down: the outbox stays with a line on resending it; strict (CI) fails with exit 3", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const port = yield* closedPort
      const env = {
        HELICONE_API_KEY: "sk-e2e",
        HELICONE_BASE_URL: `http://127.0.0.1:${port}`,
        HELICONE_REGION: undefined
      }
      const args = ["run", fixture("named.eval.ts"), "--helicone", "--delivery-timeout", "1s", "--json", "r.json"]

      const relaxed = yield* spawnCli(args, { cwd: dir, env: { ...env, npm_config_user_agent: "npm/10.2.0 node/v20" } })
      assert.strictEqual(relaxed.code, 0, relaxed.stderr)
      assert.match(
        relaxed.stdout.trimEnd().split("\n").at(-1)!,
        /^helicone: 0 delivered, 0 dead-lettered, 10 in the outbox \(\.helicone-outbox\); send them with npx helicone-eval outbox send, or the next run will$/
      )
      assert.isTrue((yield* readReport(Path.join(dir, "r.json"))).passed)
      assert.strictEqual(yield* inOutbox(dir), 10)

      const strict = yield* spawnCli(args, { cwd: dir, env: { ...env, CI: "true" } })
      assert.strictEqual(strict.code, 3, strict.stderr)
      assert.match(
        strict.stderr.trimEnd().split("\n").at(-1)!,
        /^helicone-eval: 20 scores not delivered within 1s \(--delivery-timeout\): \d+ in the outbox \.helicone-outbox, \d+ in memory, written there at exit; 0 delivered, 0 dead-lettered$/
      )
      const report = yield* readReport(Path.join(dir, "r.json"))
      assert.isFalse(report.passed)
      assert.strictEqual(report.verdict.reasons.at(-1)?.kind, "delivery")
      assert.match(Fs.readFileSync(Path.join(dir, "r.json"), "utf8"), /"kind": "delivery"/)
      assert.strictEqual(yield* inOutbox(dir), 20, "both runs' scores")

      const listed = yield* spawnCli(["outbox"], { cwd: dir, env })
      assert.strictEqual(listed.code, 0, listed.stderr)
      assert.match(listed.stdout, /^outbox \.helicone-outbox\/outbox\.jsonl: 20 scores/m)
      assert.match(listed.stdout, /exactMatch/)

      const refused = yield* spawnCli(["outbox", "drop"], { cwd: dir, env })
      assert.strictEqual(refused.code, 2)
      assert.strictEqual(
        refused.stderr,
        "helicone-eval: outbox drop asks for a confirmation, and there is no terminal to ask on: pass --yes\n"
      )
      assert.strictEqual(yield* inOutbox(dir), 20)
      const dropped = yield* spawnCli(["outbox", "drop", "--yes"], { cwd: dir, env })
      assert.strictEqual(dropped.code, 0, dropped.stderr)
      assert.strictEqual(yield* inOutbox(dir), 0)
      assert.deepStrictEqual(Fs.readdirSync(Path.join(dir, ".helicone-outbox")).filter((f) => !f.endsWith(".lock")), [])
    }))
})
