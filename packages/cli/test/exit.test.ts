/**
 * How `helicone-eval` ends, as a user meets it: `node bin/helicone-eval.js run …` in a subprocess, against a server
 * on loopback that accepts connections and never answers.
 */
import { assert, describe, it } from "@effect/vitest"
import { EvalReport } from "@helicone-effect/evaluator"
import { Effect } from "effect"
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Net from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"

const bin = fileURLToPath(new URL("../bin/helicone-eval.js", import.meta.url))
const stalled = fileURLToPath(new URL("./fixtures/cli/stalled.eval.ts", import.meta.url))

const tempDir = Effect.acquireRelease(
  Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), "helicone-eval-exit-"))),
  (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
)

/** A server that accepts and never answers; `acceptedAt` is when the first connection came (`performance.now()`). */
const stallingServer = Effect.acquireRelease(
  Effect.async<
    { readonly url: string; readonly server: Net.Server; acceptedAt: number; readonly sockets: Set<Net.Socket> }
  >(
    (resume) => {
      const sockets = new Set<Net.Socket>()
      const state = { url: "", server: undefined as unknown as Net.Server, acceptedAt: 0, sockets }
      state.server = Net.createServer((socket) => {
        if (state.acceptedAt === 0) state.acceptedAt = performance.now()
        sockets.add(socket)
        socket.on("error", () => {})
      })
      state.server.listen(0, "127.0.0.1", () => {
        state.url = `http://127.0.0.1:${(state.server.address() as Net.AddressInfo).port}/answer`
        resume(Effect.succeed(state))
      })
    }
  ),
  ({ server, sockets }) =>
    Effect.async<void>((resume) => {
      for (const socket of sockets) socket.destroy()
      server.close(() => resume(Effect.void))
    })
)

interface Finished {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
  /** `performance.now()` when the process closed. */
  readonly closedAt: number
}

const spawn = (args: ReadonlyArray<string>, cwd: string, env: Record<string, string>) =>
  Effect.acquireRelease(
    Effect.sync(() =>
      ChildProcess.spawn(process.execPath, [bin, "run", ...args], {
        cwd,
        // Without CI, which turns type checking and strict delivery on: this test is about the exit, not those.
        env: { ...process.env, NO_COLOR: "1", CI: undefined, GITHUB_STEP_SUMMARY: undefined, ...env },
        stdio: ["ignore", "pipe", "pipe"]
      })
    ),
    (child) => Effect.sync(() => child.exitCode === null && child.signalCode === null && child.kill("SIGKILL"))
  ).pipe(Effect.flatMap((child) =>
    Effect.async<Finished>((resume) => {
      let stdout = ""
      let stderr = ""
      child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()))
      child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
      child.once("close", (code) => resume(Effect.succeed({ code, stdout, stderr, closedAt: performance.now() })))
    })
  ))

// Each spawn is a tsx start-up (~2-4 s of CPU on a busy machine): the test timeout leaves room for it.
describe("helicone-eval after the report", { timeout: 60_000 }, () => {
  it.scoped("a Promise task whose fetch stalls: the case times out, the process exits a second after the report and says why", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const server = yield* stallingServer
      const run = yield* spawn([stalled, "--timeout", "1s", "--json", "stalled.json"], dir, {
        STALLED_URL: server.url
      })
      // From the moment the task's fetch connected: the 1 s timeout, then at most 1 s after the report, plus room.
      const took = run.closedAt - server.acceptedAt
      assert.isAbove(server.acceptedAt, 0, "the task connected")
      assert.isBelow(took, 1000 + 2000, `took ${Math.round(took)} ms\n${run.stderr}`)
      // The case errored, and errored cases past --max-errors (default 0) fail the run: exit 1.
      assert.strictEqual(run.code, 1, run.stdout + run.stderr)
      const report = yield* EvalReport.fromJson(Fs.readFileSync(Path.join(dir, "stalled.json"), "utf8"))
      assert.deepStrictEqual(report.cases[0].errors, [{
        source: "timeout",
        message: "the case did not finish within 1s"
      }])
      assert.include(run.stdout, "the case did not finish within 1s")
      const last = run.stderr.trimEnd().split("\n").pop()
      assert.strictEqual(
        last,
        "helicone-eval: 1 socket still open 1s after the report (a task or scorer that did not stop at ctx.signal?); " +
          "exiting with code 1"
      )
    }))

  it.scoped("the same task passing ctx.signal to fetch: the process ends as soon as the report is out, and says nothing", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const server = yield* stallingServer
      const run = yield* spawn([stalled, "--timeout", "1s"], dir, { STALLED_URL: server.url, STALLED_SIGNAL: "1" })
      const took = run.closedAt - server.acceptedAt
      assert.isBelow(took, 1000 + 1000, `took ${Math.round(took)} ms\n${run.stderr}`)
      assert.strictEqual(run.code, 1, run.stdout + run.stderr)
      assert.include(run.stdout, "the case did not finish within 1s")
      assert.notInclude(run.stderr, "still open")
    }))
})
