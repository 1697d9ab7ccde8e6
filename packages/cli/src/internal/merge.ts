/**
 * `helicone-eval merge shard-*.json --json merged.json`: the JSON reports of the shards of one run (`run --shard i/n`)
 * merged into the report the whole run would have written, through `EvalReport.merge`, then printed and written as
 * `run` does. The exit code is the merged verdict's: 0 passed, 1 failed, 2 when the reports cannot be merged.
 *
 * @internal
 */
import * as FileSystem from "@effect/platform/FileSystem"
import type * as Path from "@effect/platform/Path"
import * as EvalReport from "@helicone-effect/evaluator/EvalReport"
import * as Reporter from "@helicone-effect/evaluator/Reporter"
import * as Effect from "effect/Effect"
import * as NodePath from "node:path"
import * as CliError from "../CliError.js"
import * as Load from "./load.js"

/** The parsed command line of `merge`. */
export interface MergeArgs {
  readonly files: ReadonlyArray<string>
  readonly json: string | undefined
  readonly junit: string | undefined
  readonly html: string | undefined
  readonly markdown: string | undefined
  readonly color: boolean
}

/** Where the command runs and where its text goes. */
export interface Environment {
  readonly cwd: string
  readonly out: (text: string) => void
  readonly err: (text: string) => void
}

/** The report files named, with the patterns among them expanded (for a shell that does not: Windows' `cmd`). */
const reportFiles = (args: ReadonlyArray<string>, cwd: string) =>
  Effect.promise(async () => {
    const { glob } = await import("tinyglobby")
    const files: Array<string> = []
    for (const arg of args) {
      const literal = NodePath.resolve(cwd, arg)
      if (!/[*?[{]/.test(arg)) files.push(literal)
      else files.push(...(await glob(arg, { cwd, absolute: true, onlyFiles: true })).sort())
    }
    return [...new Set(files)]
  })

/** Runs `merge`, answering with the exit code. */
export const run = (
  args: MergeArgs,
  env: Environment
): Effect.Effect<number, CliError.CliError, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const relative = (file: string) => NodePath.relative(env.cwd, file) || "."
    if (args.files.length === 0) {
      return yield* new CliError.MergeFailed({
        reason: "give the shards' JSON reports: helicone-eval merge shard-*.json --json report.json"
      })
    }
    const files = yield* reportFiles(args.files, env.cwd)
    if (files.length === 0) {
      return yield* new CliError.MergeFailed({ reason: `no report matches ${args.files.join(" ")}` })
    }
    const reports: Array<EvalReport.EvalReport> = []
    for (const file of files) {
      const text = yield* fs.readFileString(file).pipe(
        Effect.mapError((error) => new CliError.MergeFailed({ reason: `${relative(file)}: ${error.message}` }))
      )
      reports.push(
        yield* EvalReport.fromJson(text).pipe(
          Effect.mapError(() =>
            new CliError.MergeFailed({ reason: `${relative(file)} is not a helicone-eval JSON report` })
          )
        )
      )
    }
    const merged = yield* EvalReport.merge(reports).pipe(
      Effect.mapError((error) => new CliError.MergeFailed({ reason: error.message }))
    )
    env.out(`merged ${reports.length} shard reports of ${merged.name}\n`)
    env.out(Reporter.summaryText(merged, { color: args.color }))
    const written: Array<string> = []
    const writers: Array<[string | undefined, (path: string) => Reporter.Reporter<Reporter.Files>]> = [
      [args.json, Reporter.json],
      [args.junit, Reporter.junit],
      [args.html, Reporter.html],
      [args.markdown, (path) => Reporter.markdown(path, { fullReport: args.json })]
    ]
    for (const [path, make] of writers) {
      if (path === undefined) continue
      const file = NodePath.resolve(env.cwd, path)
      const onEnd = make(file).onEnd
      if (onEnd === undefined) continue
      yield* onEnd(merged).pipe(
        Effect.tap(() => written.push(relative(file))),
        Effect.catchAll((error) =>
          Effect.sync(() =>
            env.err(`helicone-eval: warning: ${relative(file)} was not written: ${Load.reasonOf(error)}\n`)
          )
        )
      )
    }
    if (written.length > 0) env.out(`reports: ${written.join(", ")}\n`)
    return merged.passed ? 0 : 1
  })
