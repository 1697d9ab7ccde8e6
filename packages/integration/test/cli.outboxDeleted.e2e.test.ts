/**
 * `helicone-eval run --helicone` whose outbox directory is deleted while it runs, Helicone down: the run goes on, the
 * queue makes the directory and its lock again for the scores that follow, and the process exits instead of stalling.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { eventually } from "../../core/test/fixtures/queue/Support.js"
import { closedPort, fixture, spawnCli, tempDir } from "./spawnCli.js"

describe("helicone-eval run --helicone with its outbox directory deleted (subprocess)", { timeout: 120_000 }, () => {
  it.scoped("the run ends with its summary, and the scores after the deletion are in a new outbox", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const port = yield* closedPort
      const outboxDir = Path.join(dir, ".helicone-outbox")
      const running = yield* Effect.fork(
        spawnCli(["run", fixture("many.eval.ts"), "--helicone", "--delivery-timeout", "2s", "--json", "r.json"], {
          cwd: dir,
          env: { HELICONE_API_KEY: "sk-e2e", HELICONE_BASE_URL: `http://127.0.0.1:${port}`, HELICONE_REGION: undefined }
        })
      )
      const hasScores = () =>
        ["outbox.jsonl", "outbox.jsonl.replay"].some((name) => Fs.existsSync(Path.join(outboxDir, name)))
      yield* eventually(Effect.sync(hasScores), 6000)
      Fs.rmSync(outboxDir, { recursive: true, force: true })
      const run = yield* Fiber.join(running)
      assert.strictEqual(run.code, 0, run.stderr)
      assert.match(
        run.stdout.trimEnd().split("\n").at(-1)!,
        /^helicone: 0 delivered, 0 dead-lettered, [\d,]+ in the outbox/
      )
      assert.isTrue(hasScores(), "the outbox was made again")
      assert.isFalse(Fs.existsSync(Path.join(outboxDir, "outbox.jsonl.lock")), "and its lock removed at exit")
      assert.notMatch(run.stderr, /OutboxUnwritable/)
      assert.match(run.stderr, /outbox\.jsonl\.lock is gone \(its directory was deleted\?\); taken again/)
    }))
})
