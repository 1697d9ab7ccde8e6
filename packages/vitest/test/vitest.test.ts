import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { fileURLToPath } from "node:url"
import type { RunnerTask, RunnerTestFile } from "vitest"
import { startVitest } from "vitest/node"

const root = fileURLToPath(new URL("./fixtures/vitest/", import.meta.url))

interface Outcome {
  readonly name: string
  readonly state: string | undefined
  readonly message: string | undefined
  readonly diff: string | undefined
  /** Milliseconds. */
  readonly duration: number | undefined
}

const flatten = (tasks: ReadonlyArray<RunnerTask>, prefix: string): Array<Outcome> =>
  tasks.flatMap((task) =>
    task.type === "suite"
      ? [
        { name: `${prefix}${task.name}`, state: undefined, message: undefined, diff: undefined, duration: total(task) },
        ...flatten(task.tasks, `${prefix}${task.name} > `)
      ]
      : [{
        name: `${prefix}${task.name}`,
        state: task.result?.state,
        message: task.result?.errors?.[0]?.message,
        diff: task.result?.errors?.[0]?.diff,
        duration: task.result?.duration
      }]
  )

/** How long a block's tests took, one after the other as Vitest runs them. */
const total = (task: RunnerTask): number =>
  task.type === "suite" ? task.tasks.reduce((sum, t) => sum + total(t), 0) : task.result?.duration ?? 0

/** Runs the fixture project through Vitest's node API, with no reporter output, and collects every test's outcome. */
const runFixtures = Effect.acquireUseRelease(
  Effect.promise(() =>
    startVitest("test", [], { root, watch: false, reporters: [{}], config: `${root}vitest.config.ts` })
  ),
  (vitest) =>
    Effect.sync(() => {
      const files: ReadonlyArray<RunnerTestFile> = vitest.state.getFiles()
      return new Map(files.flatMap((file) => flatten(file.tasks, `${file.name} > `)).map((o) => [o.name, o]))
    }),
  (vitest) => Effect.promise(() => vitest.close())
)

describe("describeEval", () => {
  it.live("one test per case, a diff for a case below threshold, and a summary", () =>
    Effect.gen(function*() {
      const exitCode = process.exitCode
      const outcomes = yield* runFixtures.pipe(Effect.ensuring(Effect.sync(() => (process.exitCode = exitCode))))
      const get = (name: string) => {
        const outcome = outcomes.get(name)
        assert.isDefined(outcome, `${name} in ${[...outcomes.keys()].join("\n")}`)
        return outcome!
      }

      for (const [i, country] of ["France", "Japan", "Italy"].entries()) {
        assert.strictEqual(get(`capitals.evals.ts > capitals > #${i} ${country}`).state, "pass", country)
      }
      const australia = get("capitals.evals.ts > capitals > #3 Australia")
      assert.strictEqual(australia.state, "fail")
      assert.include(australia.message, "#3 Australia: below threshold")
      assert.include(australia.message, "exactMatch 0.000 < 0.8")
      // eslint-disable-next-line no-control-regex
      const diff = australia.diff?.replace(/\x1b\[[0-9;]*m/g, "")
      assert.include(diff, "Expected: \"Canberra\"")
      assert.include(diff, "Received: \"Sydney\"")
      const atlantis = get("capitals.evals.ts > capitals > #4 Atlantis")
      assert.strictEqual(atlantis.state, "fail")
      assert.include(atlantis.message, "task: no capital known for Atlantis")
      const summary = get("capitals.evals.ts > capitals > summary")
      assert.strictEqual(summary.state, "fail")
      // the verdict, as helicone-eval gives it: Atlantis errored (none allowed), and counts as 0 in the threshold mean
      assert.strictEqual(
        summary.message,
        "capitals: FAILED: 1 of 5 cases errored (max 0): task: no capital known for Atlantis; " +
          "exactMatch: threshold mean 0.600 < 0.8 (mean 0.750 over 4 scored cases)"
      )

      assert.strictEqual(get("capitals.evals.ts > echo > #0 {\"question\":\"short\"}").state, "pass")
      const long = [...outcomes.keys()].find((name) => name.startsWith("capitals.evals.ts > echo > #1 a very long"))
      assert.isDefined(long)
      assert.isTrue(long!.endsWith("…"), long)
      assert.strictEqual(get("capitals.evals.ts > echo > summary").state, "pass")

      for (const name of ["#0 a", "#1 b", "#2 c", "summary"]) {
        assert.strictEqual(get(`capitals.evals.ts > indices > ${name}`).state, "pass", `ctx.index of ${name}`)
      }

      for (const block of ["with a layer option", "inside a layer block > with the block's it"]) {
        assert.strictEqual(get(`services.evals.ts > ${block} > #0 Ada`).state, "pass", block)
        assert.strictEqual(get(`services.evals.ts > ${block} > #1 Grace`).state, "pass", block)
        assert.strictEqual(get(`services.evals.ts > ${block} > summary`).state, "pass", block)
      }
      assert.strictEqual(get("services.evals.ts > helicone > #0 Ada").state, "pass")
      const refused = get("services.evals.ts > helicone strict > #0 Ada")
      assert.strictEqual(refused.state, "fail")
      assert.include(refused.message, "Helicone did not take the scores (strict)")
      assert.include(refused.message, "InvalidScores")
      const strictSummary = get("services.evals.ts > helicone strict > summary")
      assert.strictEqual(strictSummary.state, "fail", "the verdict counts strict delivery, as Eval.run's does")
      assert.include(strictSummary.message, "Helicone did not take every score (strict): 1 failed")

      // every case errors, no thresholds: the summary fails, it does not pass on nothing
      for (const name of ["#0 a", "#1 b", "#2 c"]) {
        assert.strictEqual(get(`verdicts.evals.ts > no key > ${name}`).state, "fail")
      }
      const noKey = get("verdicts.evals.ts > no key > summary")
      assert.strictEqual(noKey.state, "fail")
      assert.strictEqual(
        noKey.message,
        "no key: FAILED: 3 of 3 cases errored (max 0): task: OPENAI_API_KEY is not set; nothing was scored: every case errored"
      )
      // maxErrors allows the one errored case: its test fails, the verdict passes
      assert.strictEqual(get("verdicts.evals.ts > allowed > #2 boom").state, "fail")
      assert.strictEqual(get("verdicts.evals.ts > allowed > summary").state, "pass")
      const empty = get("verdicts.evals.ts > empty > summary")
      assert.strictEqual(empty.state, "fail")
      assert.include(empty.message, "nothing was scored: the data has no cases")

      // 200 cases, 10 at a time (the fixture's last test counts how many ran at once)
      const concurrent = [...outcomes.values()].filter((o) =>
        o.name.startsWith("concurrency.evals.ts > concurrent > #")
      )
      assert.strictEqual(concurrent.length, 200)
      assert.isTrue(concurrent.every((o) => o.state === "pass"))
      assert.strictEqual(get("concurrency.evals.ts > concurrent > summary").state, "pass")
      assert.strictEqual(get("concurrency.evals.ts > ran the cases 10 at a time").state, "pass")

      const tests = [...outcomes.values()].filter((o) => o.duration !== undefined && o.state !== undefined)
      assert.strictEqual(
        tests.length,
        23 + 4 + 4 + 1 + 202,
        "6 + 3 + 4 in capitals.evals.ts, 2 × 3 + 2 × 2 in services.evals.ts, 4 + 4 + 1 in verdicts.evals.ts, 202 in concurrency.evals.ts"
      )
    }), 120_000)
})
