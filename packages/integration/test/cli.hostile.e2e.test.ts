/**
 * `helicone-eval run` in a subprocess over hostile data and values: a JSONL file with a byte order mark, a line of
 * invalid UTF-8 and a line past `maxLineBytes`, and a task that throws a revoked Proxy or returns what JSON cannot
 * hold. The run ends with its verdict and its JSON report, never with a crash.
 */
import { assert, describe, it } from "@effect/vitest"
import { EvalReport } from "@helicone-effect/evaluator"
import { Effect } from "effect"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { fixture, spawnCli, tempDir } from "./spawnCli.js"

describe("helicone-eval over hostile data (subprocess)", { timeout: 90_000 }, () => {
  it.scoped("reports every line and every case, exits 1 for the unreadable lines, and writes a readable report", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const line = (input: string) => Buffer.from(JSON.stringify({ input }) + "\n")
      Fs.writeFileSync(
        Path.join(dir, "hostile.jsonl"),
        Buffer.concat([
          Buffer.from([0xef, 0xbb, 0xbf]),
          line("plain"),
          Buffer.from(`{"input":"`),
          Buffer.from([0xc3, 0x28]),
          Buffer.from(`"}\n`),
          line("x".repeat(2000)),
          line("revoked"),
          line("toJSON"),
          line("bigint")
        ])
      )
      const run = yield* spawnCli(["run", fixture("hostile.eval.ts"), "--json", "report.json"], { cwd: dir })
      assert.strictEqual(run.code, 1, run.stderr)
      assert.include(run.stdout, "hostile: FAILED: the data could not be read (2 cases): line 2 is not valid UTF-8")
      const report = yield* EvalReport.fromJson(Fs.readFileSync(Path.join(dir, "report.json"), "utf8"))
      assert.deepStrictEqual(
        report.cases.map((c) => c.errors.length === 0 ? c.output : `${c.errors[0].source}: ${c.errors[0].message}`),
        [
          "plain",
          "data: line 2 is not valid UTF-8",
          "data: line 3 is longer than the limit of 1,000 bytes (maxLineBytes): it is not read",
          "task: a value that cannot be read (Cannot perform 'getPrototypeOf' on a proxy that has been revoked)",
          "[unwritable: its toJSON threw: toJSON threw]",
          "10"
        ]
      )
    }))
})
