import { assert, describe, it } from "@effect/vitest"
import { EvalReport, Statistics } from "@helicone-effect/evaluator"
import * as Cost from "@helicone-effect/evaluator/Cost"
import { Effect } from "effect"
import * as Fs from "node:fs"
import * as Path from "node:path"
import * as Cli from "../src/Cli.js"
import * as Prices from "../src/internal/prices.js"
import { cli, fixture, tempDir } from "./runInProcess.js"

describe("--prices, --max-cost and --cache on the command line", () => {
  it.scopedLive("a price table that cannot be used is exit 2 with one helicone-eval line, before anything runs", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const tables: Array<[string, string]> = [
        ["{\"gpt-4o\": {\"input\": -1, \"output\": 10}}", "the input price of \"gpt-4o\" is negative (-1)"],
        ["{\"gpt-4o\": {\"input\": 2.5}}", "the output price of \"gpt-4o\" is missing"],
        ["{\"gpt-4o\": {\"input\": 2.5, \"output\": 1e999}}", "the output price of \"gpt-4o\" is not a finite number"],
        ["{\"gpt-4o\": {\"input\": \"2.5\", \"output\": 10}}", "the input price of \"gpt-4o\" is not a finite number"],
        ["{\"gpt-4o\": 2.5}", "the input price of \"gpt-4o\" is missing"],
        ["[1, 2]", "expected an object of"],
        ["{\"gpt-4o\": ", "not JSON"]
      ]
      for (const [text, reason] of tables) {
        Fs.writeFileSync(Path.join(dir, "prices.json"), text)
        const run = yield* cli([fixture("capitals.eval.ts"), "--prices", "prices.json", "--json", "r.json"], dir)
        assert.strictEqual(run.code, Cli.ExitCode.usage, text)
        const lines = run.stderr.trimEnd().split("\n")
        assert.lengthOf(lines, 1, run.stderr)
        assert.include(lines[0], `helicone-eval: --prices prices.json: ${reason}`, text)
        assert.strictEqual(run.stdout, "", text)
        assert.isFalse(Fs.existsSync(Path.join(dir, "r.json")), "nothing ran")
      }
      const missing = yield* cli([fixture("capitals.eval.ts"), "--prices", "nope.json"], dir)
      assert.strictEqual(missing.code, Cli.ExitCode.usage)
      assert.strictEqual(missing.stderr, "helicone-eval: --prices nope.json: no such file\n")
    }))

  it.effect("a good price table goes to the run as it is, and over the built-in prices for a dry run", () =>
    Effect.gen(function*() {
      const table = yield* Prices.parse(
        "{\"my-model\": {\"input\": 0.3, \"output\": 1.2}, \"gpt-4o\": {\"input\": 0, \"output\": 0}}"
      )
      assert.deepStrictEqual(table.user, { "my-model": { input: 0.3, output: 1.2 }, "gpt-4o": { input: 0, output: 0 } })
      assert.deepStrictEqual(table.merged["gpt-4o"], { input: 0, output: 0 })
      assert.deepStrictEqual(table.merged["gpt-4o-mini"], Cost.builtInPrices["gpt-4o-mini"])
    }))

  it.scopedLive("--max-cost below zero, not a number, or infinite is exit 2; --cache takes only its four modes", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const capitals = fixture("capitals.eval.ts")
      const reasons: Array<[ReadonlyArray<string>, string]> = [
        [["--max-cost", "-1"], "--max-cost expects an amount of US dollars >= 0 (such as 2.50), got -1"],
        [["--max-cost", "NaN"], "--max-cost expects an amount of US dollars >= 0 (such as 2.50), got NaN"],
        [["--max-cost", "Infinity"], "--max-cost expects an amount of US dollars >= 0 (such as 2.50), got Infinity"],
        [["--max-cost", "ten"], "'ten' is not a float"],
        [["--cache", "sometimes"], "Expected one of the following cases: auto, record, replay, off"]
      ]
      for (const [args, reason] of reasons) {
        const run = yield* cli([capitals, ...args, "--json", "r.json"], dir)
        assert.strictEqual(run.code, Cli.ExitCode.usage, args.join(" "))
        assert.include(run.stderr.split("\n")[0], reason, args.join(" "))
        assert.isFalse(Fs.existsSync(Path.join(dir, "r.json")), "nothing ran")
      }
      const bad = yield* cli([capitals, "--dry-run"], dir, { HELICONE_EVAL_CACHE: "sometimes" })
      assert.strictEqual(bad.code, Cli.ExitCode.usage)
      assert.include(bad.stderr, "HELICONE_EVAL_CACHE")
    }))

  it.scopedLive("--cache defaults to HELICONE_EVAL_CACHE, then off; the command line wins", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const capitals = fixture("capitals.eval.ts")
      const modeOf = (stdout: string) => /--cache (\w+)/.exec(stdout)?.[1]
      assert.strictEqual(modeOf((yield* cli([capitals, "--dry-run"], dir)).stdout), "off")
      const fromEnv = yield* cli([capitals, "--dry-run"], dir, { HELICONE_EVAL_CACHE: "replay" })
      assert.strictEqual(modeOf(fromEnv.stdout), "replay")
      const both = yield* cli([capitals, "--dry-run", "--cache", "auto"], dir, { HELICONE_EVAL_CACHE: "replay" })
      assert.strictEqual(modeOf(both.stdout), "auto")
    }))

  it.scopedLive("--dry-run counts the cases of a shard as the run splits them, and runs none", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const capitals = fixture("capitals.eval.ts")
      let total = 0
      for (const shard of ["1/2", "2/2"]) {
        const dry = yield* cli([capitals, "--dry-run", "--shard", shard, "--trials", "2"], dir)
        assert.strictEqual(dry.code, Cli.ExitCode.passed, dry.stderr)
        const counted = /^capitals: (\d+) cases? in shard (\d)\/2 × 2 trials = (\d+) case×trials$/m.exec(dry.stdout)
        assert.isNotNull(counted, dry.stdout)
        assert.strictEqual(Number(counted![3]), Number(counted![1]) * 2)
        assert.isFalse(Fs.existsSync(Path.join(dir, ".helicone-eval")), "no cases file: nothing ran")
        const run = yield* cli([capitals, "--shard", shard, "--trials", "2", "--json", "r.json"], dir)
        const report = yield* EvalReport.fromJson(Fs.readFileSync(Path.join(dir, "r.json"), "utf8"))
        assert.strictEqual(report.cases.length, Number(counted![3]), `shard ${shard}: ${run.stderr}`)
        Fs.rmSync(Path.join(dir, ".helicone-eval"), { recursive: true, force: true })
        total += Number(counted![1])
      }
      assert.strictEqual(total, 5)
    }))

  it.scopedLive("--dry-run with --max-cost says whether the estimate stays within the budget", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const cache = Path.join(dir, ".helicone-eval", "cache")
      Fs.mkdirSync(cache, { recursive: true })
      // one recorded call of one case: 2,000 + 1,000 tokens of gpt-4o-mini ($0.15 and $0.60 per million): $0.0009
      Fs.writeFileSync(
        Path.join(cache, "one.json"),
        JSON.stringify({
          suite: "capitals",
          case: Statistics.caseKey({ input: "France" }),
          trial: 0,
          role: "task",
          scorer: null,
          provider: "openai",
          model: "gpt-4o-mini",
          usage: { inputTokens: 2000, outputTokens: 1000 },
          latencyMs: 300,
          recordedAt: "2026-12-01T10:00:00.000Z"
        })
      )
      const capitals = fixture("capitals.eval.ts")
      const within = yield* cli([capitals, "--dry-run", "--cache", "auto", "--max-cost", "0.01"], dir)
      assert.include(within.stdout, "  from the cache (--cache auto): 1 call for 1 case×trial\n")
      assert.include(within.stdout, "= 4 calls, 8,000 input + 4,000 output tokens, estimated cost $0.0036\n")
      assert.include(within.stdout, "--max-cost $0.0100: the estimate stays within it\n")
      const over = yield* cli([capitals, "--dry-run", "--max-cost", "0.003"], dir)
      assert.include(over.stdout, "= 5 calls, 10,000 input + 5,000 output tokens, estimated cost $0.0045\n")
      assert.include(over.stdout, "--max-cost $0.0030: the estimate reaches it; the run would stop starting cases")
      assert.strictEqual(over.code, Cli.ExitCode.passed)
    }))

  it.scopedLive("--dry-run reads a suite's data with its file's layer, and says when that layer does not build", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const rows = fixture("dataFromLayer.eval.ts")
      const built = yield* cli([rows, "--dry-run"], dir, { FIXTURE_ROWS: "a,b,c" })
      assert.strictEqual(built.code, Cli.ExitCode.passed, built.stderr)
      assert.include(built.stdout, "rows: 3 cases × 1 trial = 3 case×trials\n")
      const broken = yield* cli([rows, "--dry-run"], dir, { FIXTURE_ROWS: undefined })
      assert.strictEqual(broken.code, Cli.ExitCode.passed, broken.stderr)
      assert.match(
        broken.stdout,
        /^rows: cases unknown \(the layer exported by .*dataFromLayer\.eval\.ts failed to build: .*FIXTURE_ROWS.*\) × 1 trial$/m
      )
    }))
})
