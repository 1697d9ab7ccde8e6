/**
 * Reading a baseline report: its file, its version, its suite and its cases file, checked before anything is
 * compared. The public module makes each problem a `BaselineError`.
 *
 * @internal
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import * as Effect from "effect/Effect"
import type * as ParseResult from "effect/ParseResult"
import * as Stream from "effect/Stream"
import type { EvalReport } from "../../EvalReport.js"
import { baselinePaths } from "../runner/evalRun.js"
import * as ReadCases from "./readCases.js"
import { describe } from "./text.js"

/** The newest report version this package reads and writes. */
export const currentVersion = 2

/** Why a baseline cannot be compared with: the `reason` and `detail` of a `BaselineError`. */
export interface Problem {
  readonly reason: "unreadable" | "not-a-report" | "future-version" | "other-suite" | "cases-file"
  readonly detail: string
}

const firstLine = (text: string): string => {
  const line = text.split("\n").find((l) => l.trim() !== "") ?? text
  return line.length > 200 ? `${line.slice(0, 199)}…` : line
}

/**
 * The report at `path`, decoded by `decode` (every version `EvalReport.fromJson` reads), of the suite `suite` when
 * given, with its cases file found (next to the report, else as written) and read to the end.
 */
export const load = (
  path: string,
  suite: string | undefined,
  decode: (json: unknown) => Effect.Effect<EvalReport, ParseResult.ParseError>
): Effect.Effect<EvalReport, Problem, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const paths = yield* Path.Path
    const fail = (reason: Problem["reason"], detail: string): Effect.Effect<never, Problem> =>
      Effect.fail({ reason, detail })
    const text = yield* Effect.catchAll(fs.readFileString(path), (error) => fail("unreadable", describe(error)))
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch (error) {
      return yield* fail("not-a-report", `not JSON: ${describe(error)}`)
    }
    if (typeof json !== "object" || json === null || Array.isArray(json)) {
      return yield* fail("not-a-report", "not a JSON object")
    }
    const version = (json as { version?: unknown }).version
    if (typeof version === "number" && version > currentVersion) {
      return yield* fail("future-version", String(version))
    }
    if (typeof version !== "number" || typeof (json as { name?: unknown }).name !== "string") {
      return yield* fail("not-a-report", "no report version and suite name")
    }
    const report = yield* Effect.catchAll(decode(json), (error) => fail("not-a-report", firstLine(error.message)))
    if (suite !== undefined && report.name !== suite) {
      return yield* fail(
        "other-suite",
        `is a report of the suite ${JSON.stringify(report.name)}, not ${JSON.stringify(suite)}`
      )
    }
    let loaded: EvalReport = report
    const given = report.casesFile
    if (given !== undefined) {
      // next to the report first, where a CI artifact keeps both; else where the run wrote it
      const beside = paths.isAbsolute(given) ? given : paths.join(paths.dirname(path), given)
      const found = (yield* Effect.orElseSucceed(fs.exists(beside), () => false)) ? beside : given
      loaded = { ...report, casesFile: found }
      yield* Stream.runDrain(ReadCases.fromFile(found)).pipe(
        Effect.catchAll((unreadable) => fail("cases-file", `cannot read the cases file ${found}: ${unreadable.reason}`))
      )
    }
    baselinePaths.set(loaded, path)
    return loaded
  })
