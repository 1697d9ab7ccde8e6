/**
 * `helicone-eval run` with `--prices`, `--max-cost`, `--cache` and `--dry-run`, in a subprocess as a user runs it:
 * a budget that stops a run (exit 4, the partial report), a bad price table or budget (exit 2, nothing run), the
 * dry run's estimate from a hand-written call cache, and the cache mode reaching the cases.
 */
import { assert, describe, it } from "@effect/vitest"
import { EvalReport } from "@helicone-effect/evaluator"
import { Effect } from "effect"
import * as Fs from "node:fs"
import * as Http from "node:http"
import type * as Net from "node:net"
import * as Path from "node:path"
import { fixture, spawnCli, type SpawnOptions, tempDir } from "./spawnCli.js"

const spawn = (args: ReadonlyArray<string>, options: SpawnOptions) => spawnCli(["run", ...args], options)

const readReport = (path: string) => EvalReport.fromJson(Fs.readFileSync(path, "utf8"))

/**
 * A provider stand-in on loopback: answers every POST with the answer to its question and 1,000 input and 1,000
 * output tokens, and counts the requests it got.
 */
const provider = Effect.acquireRelease(
  Effect.async<{ readonly url: string; readonly requests: () => number; readonly server: Http.Server }>((resume) => {
    let requests = 0
    const server = Http.createServer((request, response) => {
      let body = ""
      request.on("data", (chunk: Buffer) => (body += chunk.toString()))
      request.on("end", () => {
        requests++
        const { question } = JSON.parse(body) as { question: string }
        response.writeHead(200, { "content-type": "application/json" })
        response.end(
          JSON.stringify({ answer: `answer to ${question}`, usage: { prompt_tokens: 1000, completion_tokens: 1000 } })
        )
      })
    })
    server.listen(0, "127.0.0.1", () =>
      resume(Effect.succeed({
        url: `http://127.0.0.1:${(server.address() as Net.AddressInfo).port}/v1/chat/completions`,
        requests: () => requests,
        server
      })))
  }),
  ({ server }) =>
    Effect.async<void>((resume) => {
      server.close(() => resume(Effect.void))
    })
)

/** A call cache entry as the cache layer writes it (the request and response it also holds are not read). */
const entry = (
  suite: string,
  key: string,
  trial: number,
  role: "task" | "judge",
  model: string,
  inputTokens: number,
  outputTokens: number
) => ({
  suite,
  case: key,
  trial,
  role,
  scorer: role === "judge" ? "judge" : null,
  provider: "openai",
  model,
  usage: { inputTokens, outputTokens },
  latencyMs: 120,
  recordedAt: "2026-12-01T10:00:00.000Z",
  request: { messages: [{ role: "user", content: "…" }] },
  response: { text: "…" }
})

/** Writes a call cache under `dir/.helicone-eval/cache`: five calls of suite `answers` over three case×trials. */
const writeCache = (dir: string) => {
  const cache = Path.join(dir, ".helicone-eval", "cache")
  const files: Record<string, unknown> = {
    "answers/a1.json": entry("answers", "name:first", 0, "task", "gpt-4o-mini", 100, 50),
    "answers/a2.json": entry("answers", "name:first", 0, "judge", "gpt-4o-mini", 200, 10),
    "answers/b1.json": entry("answers", "name:first", 1, "task", "gpt-4o-mini", 100, 50),
    "answers/b2.json": entry("answers", "name:first", 1, "judge", "gpt-4o-mini", 200, 10),
    "answers/c1.json": entry("answers", "name:second", 0, "task", "my-finetune", 300, 30),
    // another suite's call, and files that are not entries: none of them counts for `answers`
    "other/d1.json": entry("other", "name:first", 0, "task", "gpt-4o", 5000, 5000),
    // a call made outside a case, as an embedding of the data before a run is
    "e1.json": {
      ...entry("answers", "", 0, "task", "text-embedding-3-small", 40, 0),
      case: null,
      trial: null,
      role: null
    },
    "answers/torn.json": "{\"suite\": \"answers\", \"case\"",
    "answers/old-format.json": { suite: "answers", case: "name:third", trial: 0 }
  }
  for (const [name, content] of Object.entries(files)) {
    Fs.mkdirSync(Path.dirname(Path.join(cache, name)), { recursive: true })
    Fs.writeFileSync(Path.join(cache, name), typeof content === "string" ? content : JSON.stringify(content))
  }
  Fs.writeFileSync(Path.join(cache, "README.txt"), "not an entry, and not a .json file")
}

// Sequential, with room for a slow start-up on a busy machine (each spawn is ~2-4 s of CPU).
describe("helicone-eval run: cost, budget and cache (subprocess)", { timeout: 90_000 }, () => {
  it.scoped("--max-cost reached: exit 4, no case started after it, and the partial report printed and written", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const stub = yield* provider
      // each case costs $0.002 (1,000 + 1,000 tokens at $1 per million): the third reaches $0.005
      Fs.writeFileSync(Path.join(dir, "prices.json"), JSON.stringify({ "fixture-model": { input: 1, output: 1 } }))
      const run = yield* spawn(
        [fixture("budget.eval.ts"), "--prices", "prices.json", "--max-cost", "0.005", "--json", "r.json"],
        { cwd: dir, env: { FIXTURE_PROVIDER_URL: stub.url } }
      )
      assert.strictEqual(run.code, 4, run.stderr)
      assert.strictEqual(stub.requests(), 3, "no case started once the budget was reached")
      assert.include(run.stdout, "budget: FAILED")
      assert.include(run.stdout, "reports: r.json")
      const report = yield* readReport(Path.join(dir, "r.json"))
      assert.strictEqual(report.passed, false)
      assert.strictEqual(report.stopped?.reason, "budget")
      assert.strictEqual(report.cases.length, 3)
      assert.deepStrictEqual(report.usage?.calls, { task: 3, judge: 0 })
      assert.closeTo(report.usage?.cost ?? Number.NaN, 0.006, 1e-9)
    }))

  it.scoped("--max-cost is the budget of the whole command: a suite gets what the ones before left, then none starts", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const stub = yield* provider
      Fs.writeFileSync(Path.join(dir, "prices.json"), JSON.stringify({ "fixture-model": { input: 1, output: 1 } }))
      // first: 2 cases, $0.004, whole; second: $0.001 left, its first case reaches it; third: not started
      const run = yield* spawn(
        [fixture("budgets.eval.ts"), "--prices", "prices.json", "--max-cost", "0.005", "--json", "r.json"],
        { cwd: dir, env: { FIXTURE_PROVIDER_URL: stub.url } }
      )
      assert.strictEqual(run.code, 4, run.stderr)
      assert.strictEqual(stub.requests(), 3)
      assert.include(
        run.stderr,
        "helicone-eval: --max-cost $0.0050 reached in second: cases were left unstarted, and 1 suite did not start " +
          "(third)\n"
      )
      const first = yield* readReport(Path.join(dir, "r.first.json"))
      assert.strictEqual(first.stopped, undefined)
      assert.strictEqual(first.cases.length, 2)
      const second = yield* readReport(Path.join(dir, "r.second.json"))
      assert.strictEqual(second.stopped?.reason, "budget")
      assert.strictEqual(second.cases.length, 1)
      assert.isFalse(Fs.existsSync(Path.join(dir, "r.third.json")))
    }))

  it.scoped("a bad price table or --max-cost: exit 2 with one line, before any case runs", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const stub = yield* provider
      Fs.writeFileSync(Path.join(dir, "prices.json"), JSON.stringify({ "fixture-model": { input: -1, output: 1 } }))
      const env = { FIXTURE_PROVIDER_URL: stub.url }
      const prices = yield* spawn([fixture("budget.eval.ts"), "--prices", "prices.json", "--json", "r.json"], {
        cwd: dir,
        env
      })
      assert.strictEqual(prices.code, 2, prices.stderr)
      assert.strictEqual(
        prices.stderr,
        "helicone-eval: --prices prices.json: the input price of \"fixture-model\" is negative (-1): give USD per " +
          "million tokens, >= 0\n"
      )
      const budget = yield* spawn([fixture("budget.eval.ts"), "--max-cost", "-0.5", "--json", "r.json"], {
        cwd: dir,
        env
      })
      assert.strictEqual(budget.code, 2, budget.stderr)
      assert.include(budget.stderr, "--max-cost expects an amount of US dollars >= 0 (such as 2.50), got -0.5")
      assert.strictEqual(stub.requests(), 0)
      assert.isFalse(Fs.existsSync(Path.join(dir, "r.json")))
    }))

  it.scoped("--dry-run: cases × trials per suite, the calls the cache answers, and the calls, tokens and cost of the rest", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      writeCache(dir)
      Fs.writeFileSync(
        Path.join(dir, "prices.json"),
        JSON.stringify({ "gpt-4o-mini": { input: 0.15, output: 0.6 }, "my-finetune": { input: 1, output: 2 } })
      )
      const auto = yield* spawn([
        fixture("estimated.eval.ts"),
        "--dry-run",
        "--cache",
        "auto",
        "--prices",
        "prices.json"
      ], {
        cwd: dir
      })
      assert.strictEqual(auto.code, 0, auto.stderr)
      // 5 calls over 3 recorded case×trials: 3 left to call × 5/3; (600 × 0.15 + 120 × 0.6 + 300 × 1 + 30 × 2) / 1e6
      assert.strictEqual(
        auto.stdout,
        [
          "dry run: no task is run and nothing is sent",
          "call cache .helicone-eval/cache: 7 recorded calls, 2 files skipped (not cache entries)",
          "answers: 3 cases × 2 trials = 6 case×trials",
          "  from the cache (--cache auto): 5 calls for 3 case×trials",
          "  to call: 3 case×trials × 1.7 calls (the average of 3 case×trials recorded) = 5 calls, 900 input + 150 " +
          "output tokens, estimated cost $0.0005",
          "summaries: 1 case × 1 trial = 1 case×trial",
          "  from the cache (--cache auto): 0 calls for 0 case×trials",
          "  to call: 1 case×trial, calls unknown (the cache has no recorded call of this suite)",
          "total to call: 5 calls (and unknown for summaries), 900 input + 150 output tokens, estimated cost unknown " +
          "($0.0005 for the suites with prices and recorded calls)",
          ""
        ].join("\n")
      )
      assert.deepStrictEqual(Fs.readdirSync(Path.join(dir, ".helicone-eval")), ["cache"], "no cases file: nothing ran")

      // the default --cache off answers nothing from the cache; a model without a price is unknown, never $0
      const off = yield* spawn([fixture("estimated.eval.ts"), "--dry-run", "--filter", "answers"], { cwd: dir })
      assert.strictEqual(off.code, 0, off.stderr)
      assert.include(off.stdout, "  from the cache: nothing (--cache off calls the model for every call)\n")
      assert.include(
        off.stdout,
        "  to call: 6 case×trials × 1.7 calls (the average of 3 case×trials recorded) = 10 calls"
      )
      assert.match(off.stdout, /estimated cost unknown \(no price for [^)]*my-finetune[^)]*; see --prices\)\n/)
      assert.notInclude(off.stdout, "$0")

      // --limit and --trials pick as the run would: the one case×trial left is in the cache
      const picked = yield* spawn(
        [
          fixture("estimated.eval.ts"),
          "--dry-run",
          "--cache",
          "replay",
          "--filter",
          "answers",
          "--limit",
          "1",
          "--trials",
          "1"
        ],
        { cwd: dir }
      )
      assert.strictEqual(picked.code, 0, picked.stderr)
      assert.include(
        picked.stdout,
        "answers: 1 case × 1 trial = 1 case×trial\n  from the cache (--cache replay): 2 calls for 1 case×trial\n"
      )
      assert.notInclude(picked.stdout, "to call")

      // with --helicone, still nothing is sent, nor an outbox opened; --cache-dir says which cache to read
      const stub = yield* provider
      const elsewhere = yield* spawn(
        [fixture("estimated.eval.ts"), "--dry-run", "--helicone", "--cache", "auto", "--cache-dir", "elsewhere"],
        { cwd: dir, env: { HELICONE_API_KEY: "sk-dry", HELICONE_BASE_URL: stub.url, HELICONE_REGION: undefined } }
      )
      assert.strictEqual(elsewhere.code, 0, elsewhere.stderr)
      assert.include(elsewhere.stdout, "call cache elsewhere: none\n")
      assert.include(
        elsewhere.stdout,
        "answers: 3 cases × 2 trials = 6 case×trials\n  from the cache (--cache auto): 0 calls"
      )
      assert.strictEqual(stub.requests(), 0)
      assert.isFalse(Fs.existsSync(Path.join(dir, ".helicone-outbox")))
    }))

  it.scoped("--cache replay, or HELICONE_EVAL_CACHE, reaches every case of the run", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const flag = yield* spawn([fixture("cacheMode.eval.ts"), "--cache", "replay", "--json", "flag.json"], {
        cwd: dir
      })
      assert.notStrictEqual(flag.code, 2, flag.stderr)
      const fromFlag = yield* readReport(Path.join(dir, "flag.json"))
      assert.deepStrictEqual(fromFlag.cases.map((c) => c.output), ["replay", "replay"])
      const env = yield* spawn([fixture("cacheMode.eval.ts"), "--json", "env.json"], {
        cwd: dir,
        env: { HELICONE_EVAL_CACHE: "record" }
      })
      assert.notStrictEqual(env.code, 2, env.stderr)
      const fromEnv = yield* readReport(Path.join(dir, "env.json"))
      assert.deepStrictEqual(fromEnv.cases.map((c) => c.output), ["record", "record"])
    }))
})
