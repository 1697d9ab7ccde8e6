/**
 * `helicone-eval` as a user runs it, for the subprocess tests: `node bin/helicone-eval.js …` (the workspace bin, which
 * registers tsx and runs the CLI from source). `CI` is cleared unless the test gives it, since it turns type checking
 * and strict delivery on, and so is `npm_config_user_agent`, which names the package manager in suggested commands.
 */
import { Effect } from "effect"
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Net from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"

export const bin = fileURLToPath(new URL("../../cli/bin/helicone-eval.js", import.meta.url))
export const fixture = (name: string) => fileURLToPath(new URL(`../../cli/test/fixtures/cli/${name}`, import.meta.url))

export interface Finished {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
  /** Wall-clock milliseconds from the spawn to the exit. */
  readonly duration: number
}

export interface SpawnOptions {
  readonly cwd: string
  readonly env?: Record<string, string | undefined>
  /** Sends SIGINT once stderr matches it. */
  readonly interruptOn?: RegExp
  /** Closes the process's stdout at once, as `| head -1` does once it has its line. */
  readonly closeStdout?: boolean
}

/**
 * Runs `helicone-eval <args>` (the command included: `["run", …]`, `["outbox", "send"]`). The process is killed if the
 * test ends first.
 */
export const spawnCli = (args: ReadonlyArray<string>, options: SpawnOptions) =>
  Effect.acquireRelease(
    Effect.sync(() => ({
      started: Date.now(),
      child: ChildProcess.spawn(process.execPath, [bin, ...args], {
        cwd: options.cwd,
        env: {
          ...process.env,
          NO_COLOR: "1",
          CI: undefined,
          GITHUB_STEP_SUMMARY: undefined,
          npm_config_user_agent: undefined,
          ...options.env
        },
        stdio: ["ignore", "pipe", "pipe"]
      })
    })),
    ({ child }) => Effect.sync(() => child.exitCode === null && child.signalCode === null && child.kill("SIGKILL"))
  ).pipe(Effect.flatMap(({ child, started }) =>
    Effect.async<Finished>((resume) => {
      let stdout = ""
      let stderr = ""
      let interrupted = false
      if (options.closeStdout === true) child.stdout!.destroy()
      else child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()))
      child.stderr!.on("data", (chunk: Buffer) => {
        stderr += chunk.toString()
        if (options.interruptOn !== undefined && !interrupted && options.interruptOn.test(stderr)) {
          interrupted = true
          child.kill("SIGINT")
        }
      })
      child.once("close", (code) => resume(Effect.succeed({ code, stdout, stderr, duration: Date.now() - started })))
    })
  ))

export const tempDir = Effect.acquireRelease(
  Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), "helicone-eval-e2e-"))),
  (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
)

/** A loopback port nothing listens on: connections to it are refused, as to a Helicone that is down. */
export const closedPort = Effect.promise(() =>
  new Promise<number>((resolve) => {
    const server = Net.createServer()
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as Net.AddressInfo).port
      server.close(() => resolve(port))
    })
  })
)
