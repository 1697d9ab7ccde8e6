/**
 * `helicone-eval …` in this process, as the bin runs it, for the tests: the exit code and what was printed, with what
 * `@effect/cli` prints itself (help, its usage errors) through the `Console`, colour codes removed. The environment is
 * the process's, without `CI` (which turns type checking and strict delivery on) and `GITHUB_STEP_SUMMARY`, with `env` over it.
 */
import { NodeContext } from "@effect/platform-node"
import { ConfigProvider, Console, Effect } from "effect"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { stripVTControlCharacters } from "node:util"
import * as Cli from "../src/Cli.js"

export const fixtures = fileURLToPath(new URL("./fixtures/cli/", import.meta.url))
export const fixture = (name: string) => Path.join(fixtures, name)

export const tempDir = Effect.acquireRelease(
  Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), "helicone-eval-cli-"))),
  (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
)

export const main = (
  argv: ReadonlyArray<string>,
  cwd: string = process.cwd(),
  env: Record<string, string | undefined> = {}
) =>
  Effect.gen(function*() {
    let stdout = ""
    let stderr = ""
    const plain = (parts: ReadonlyArray<unknown>) => `${stripVTControlCharacters(parts.map(String).join(" "))}\n`
    const merged: Record<string, string | undefined> = {
      ...process.env,
      CI: undefined,
      GITHUB_STEP_SUMMARY: undefined,
      ...env
    }
    const variables = Object.entries(merged).filter((entry): entry is [string, string] => entry[1] !== undefined)
    const code = yield* Console.consoleWith((console) =>
      Cli.run(["node", "helicone-eval", ...argv], {
        cwd,
        loader: "native",
        stdout: (text) => void (stdout += text),
        stderr: (text) => void (stderr += text)
      }).pipe(
        Effect.provide(NodeContext.layer),
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map(variables))),
        Effect.withConsole({
          ...console,
          log: (...parts) => Effect.sync(() => void (stdout += plain(parts))),
          error: (...parts) => Effect.sync(() => void (stderr += plain(parts)))
        })
      )
    )
    return { code, stdout, stderr }
  })

/** `helicone-eval run …` in this process. */
export const cli = (args: ReadonlyArray<string>, cwd: string, env: Record<string, string | undefined> = {}) =>
  main(["run", ...args], cwd, env)
