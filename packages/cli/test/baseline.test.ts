/**
 * `--baseline`, `--fail-on-regression`, `--shard` and `helicone-eval merge`, in this process: the exit code, the first
 * line, and the reports written.
 */
import { assert, describe, it } from "@effect/vitest"
import { EvalReport } from "@helicone-effect/evaluator"
import { Effect } from "effect"
import * as Fs from "node:fs"
import * as Path from "node:path"
import * as Cli from "../src/Cli.js"
import { cli, fixture, main, tempDir } from "./runInProcess.js"

const regress = fixture("regress.eval.ts")

const read = (dir: string, file: string) => EvalReport.fromJson(Fs.readFileSync(Path.join(dir, file), "utf8"))

/**
 * A report as JSON without what differs between two runs of the same cases: timings, where files went, and the
 * request ids (fresh for every case run).
 */
const comparable = (report: EvalReport.EvalReport): unknown =>
  JSON.parse(
    JSON.stringify(report, (key, value) =>
      ["casesFile", "shard", "timings", "warnings", "duration", "requestId"].includes(key) ? undefined : value)
  )

describe("helicone-eval run --baseline", { timeout: 60_000 }, () => {
  it.scoped("compares with an earlier report: noise passes --fail-on-regression, a real regression fails it", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const base = yield* cli([regress, "--json", "base.json"], dir)
      assert.strictEqual(base.code, Cli.ExitCode.passed, base.stderr)

      const same = yield* cli([regress, "--baseline", "base.json", "--json", "same.json"], dir)
      assert.strictEqual(same.code, Cli.ExitCode.passed, same.stderr)
      const sameReport = yield* read(dir, "same.json")
      assert.isDefined(sameReport.baseline)

      // one case in 60 went wrong: no detectable change, the run passes
      const noisy = yield* cli(
        [regress, "--baseline", "base.json", "--fail-on-regression", "--json", "noisy.json"],
        dir,
        { MODE: "noisy" }
      )
      assert.strictEqual(noisy.code, Cli.ExitCode.passed, noisy.stdout)
      const noisyReport = yield* read(dir, "noisy.json")
      assert.isTrue(noisyReport.passed)

      // 20 cases in 60 went wrong: a regression, exit 1, and the reason first
      const regressed = yield* cli(
        [regress, "--baseline", "base.json", "--fail-on-regression", "--json", "regressed.json", "--markdown", "pr.md"],
        dir,
        { MODE: "regressed" }
      )
      assert.strictEqual(regressed.code, Cli.ExitCode.failed, regressed.stdout)
      assert.match(regressed.stdout.split("\n")[0], /^regress: FAILED: .*exactMatch.*regress/i)
      const report = yield* read(dir, "regressed.json")
      assert.isFalse(report.passed)
      assert.deepStrictEqual(report.verdict.reasons.map((reason) => reason.kind), ["regression"])
      assert.match(Fs.readFileSync(Path.join(dir, "pr.md"), "utf8"), /regressed/)

      // without --fail-on-regression the same run passes: a comparison alone gates nothing
      const shown = yield* cli([regress, "--baseline", "base.json"], dir, { MODE: "regressed" })
      assert.strictEqual(shown.code, Cli.ExitCode.passed, shown.stdout)
      // --min-difference larger than the drop (1/3): not a regression that counts
      const small = yield* cli(
        [regress, "--baseline", "base.json", "--fail-on-regression", "--min-difference", "0.5"],
        dir,
        { MODE: "regressed" }
      )
      assert.strictEqual(small.code, Cli.ExitCode.passed, small.stdout)
    }))

  it.scoped("a baseline that cannot be compared with is exit 2, and nothing runs", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      assert.strictEqual((yield* cli([fixture("capitals.eval.ts"), "--json", "capitals.json"], dir)).code, 0)
      assert.strictEqual((yield* cli([regress, "--json", "base.json"], dir)).code, 0)
      const base = JSON.parse(Fs.readFileSync(Path.join(dir, "base.json"), "utf8"))
      Fs.writeFileSync(Path.join(dir, "future.json"), JSON.stringify({ ...base, version: 99 }))
      Fs.writeFileSync(Path.join(dir, "other.json"), JSON.stringify({ hello: "world" }))
      Fs.writeFileSync(Path.join(dir, "text.json"), "<html>not json</html>")
      for (const file of ["missing.json", "other.json", "text.json", "future.json", "capitals.json"]) {
        const run = yield* cli([regress, "--baseline", file, "--json", "out.json"], dir)
        assert.strictEqual(run.code, Cli.ExitCode.usage, `${file}: ${run.stdout}`)
        assert.match(run.stderr.split("\n")[0], new RegExp(`^helicone-eval: --baseline: .*\\b${file}\\b`), file)
        assert.isFalse(Fs.existsSync(Path.join(dir, "out.json")), `${file}: nothing ran`)
      }
      const future = yield* cli([regress, "--baseline", "future.json"], dir)
      assert.match(future.stderr, /version/i)
      const other = yield* cli([regress, "--baseline", "capitals.json"], dir)
      assert.include(other.stderr, "capitals")
    }))
})

describe("helicone-eval run --shard, merge", { timeout: 60_000 }, () => {
  it.scoped("3 shards merged give the report of the whole run, baseline comparison included", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      assert.strictEqual((yield* cli([regress, "--json", "base.json"], dir)).code, 0)
      const env = { MODE: "regressed" }
      const args = ["--baseline", "base.json", "--trials", "2"]
      const whole = yield* cli([regress, ...args, "--json", "whole.json"], dir, env)
      assert.strictEqual(whole.code, Cli.ExitCode.passed, whole.stderr)
      const sizes: Array<number> = []
      for (const i of [1, 2, 3]) {
        const shard = yield* cli([regress, ...args, "--shard", `${i}/3`, "--json", `shard-${i}.json`], dir, env)
        assert.notStrictEqual(shard.code, Cli.ExitCode.usage, shard.stderr)
        sizes.push((yield* read(dir, `shard-${i}.json`)).totals.cases)
      }
      // a deterministic split of the 60 cases (120 with their trials), none empty, none twice
      assert.strictEqual(sizes.reduce((a, b) => a + b, 0), 120)
      assert.isTrue(sizes.every((n) => n > 0), String(sizes))

      const merged = yield* main(["merge", "shard-*.json", "--json", "merged.json", "--markdown", "merged.md"], dir)
      assert.strictEqual(merged.code, Cli.ExitCode.passed, merged.stderr)
      assert.include(merged.stdout, "merged 3 shard reports of regress")
      assert.include(merged.stdout, "reports: merged.json, merged.md")
      assert.deepStrictEqual(comparable(yield* read(dir, "merged.json")), comparable(yield* read(dir, "whole.json")))
    }))

  it.scoped("reports that are not shards of one run are exit 2", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      assert.strictEqual((yield* cli([regress, "--shard", "1/2", "--json", "a.json"], dir)).code, 0)
      assert.strictEqual((yield* cli([fixture("capitals.eval.ts"), "--json", "b.json"], dir)).code, 0)
      Fs.writeFileSync(Path.join(dir, "c.json"), "{}")
      for (
        const [files, reason] of [
          [["a.json", "b.json"], /^helicone-eval: merge: /],
          [["a.json"], /^helicone-eval: merge: /],
          [["a.json", "c.json"], /^helicone-eval: merge: c\.json is not a helicone-eval JSON report/],
          [["none-*.json"], /^helicone-eval: merge: no report matches none-\*\.json/]
        ] as const
      ) {
        const run = yield* main(["merge", ...files, "--json", "m.json"], dir)
        assert.strictEqual(run.code, Cli.ExitCode.usage, files.join(" "))
        assert.match(run.stderr.split("\n")[0], reason, files.join(" "))
        assert.isFalse(Fs.existsSync(Path.join(dir, "m.json")))
      }
    }))
})
