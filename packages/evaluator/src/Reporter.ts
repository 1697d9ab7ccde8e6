/**
 * Reporters show a run as it goes and write its report when it ends: a live terminal view, the report as JSON,
 * JUnit XML for CI, a self-contained HTML page, a markdown summary. Give them to
 * `Eval.run(suite, { reporters: [...] })`.
 *
 * @since 0.1.0
 */
import type * as PlatformError from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type { EvalReport } from "./EvalReport.js"
import * as HtmlReport from "./HtmlReport.js"
import * as Page from "./internal/report/html/page.js"
import * as ReadCases from "./internal/report/readCases.js"
import * as TerminalReporter from "./internal/report/terminal.js"
import { safeStringify, Unwritable } from "./internal/report/text.js"
import * as JUnitReport from "./JUnitReport.js"
import * as MarkdownReport from "./MarkdownReport.js"

/**
 * How far a run has got.
 *
 * @since 0.1.0
 * @category models
 */
export interface Progress {
  /** Case trials done (finished, or stopped in flight by an interruption). */
  readonly done: number
  /** Case trials done with at least one error. */
  readonly errored: number
  /** Milliseconds since the run started. */
  readonly elapsed: number
  /** The mean duration of the case trials done, in milliseconds (0 before the first). */
  readonly meanDuration?: number | undefined
  /**
   * The (at most 3) cases in flight that have run the longest, the longest first, with the milliseconds each has run:
   * a case that hangs shows here. Only cases that suspended (a Promise, an Effect) can be in flight between two
   * progress reads. Listed when read, so a reporter that does not read it costs the run nothing.
   */
  readonly running?:
    | ReadonlyArray<{
      readonly index: number
      readonly trial: number
      readonly name?: string | undefined
      readonly elapsed: number
    }>
    | undefined
}

/**
 * What a reporter is told when a run starts. `total` is the number of case trials when the data's size is known;
 * `progress` reads the live counters (cheap: call it on a timer, not per case).
 *
 * @since 0.1.0
 * @category models
 */
export interface RunInfo {
  readonly name: string
  readonly total: number | undefined
  readonly progress: () => Progress
}

/**
 * A reporter. `onStart` may fork fibers into the given scope (closed when the last case finishes); `onEnd` receives
 * the report. A reporter's failure is recorded in `report.warnings` and never fails the run. `R` is what the reporter
 * needs from the context (`FileSystem | Path` for the file reporters); `Eval.run` requires it in turn.
 *
 * @since 0.1.0
 * @category models
 */
export interface Reporter<out R = never> {
  readonly onStart?: ((run: RunInfo) => Effect.Effect<void, unknown, Scope.Scope | R>) | undefined
  readonly onEnd?: ((report: EvalReport) => Effect.Effect<void, unknown, R>) | undefined
}

/**
 * What a reporter's `onEnd` (or `onStart`) fails with when it did its work but has something to say: the run lists
 * `warning` in `report.warnings` as it is, where another failure is listed as "a reporter failed: …". The file
 * reporters use it when a value of the report could not be written as JSON and a note stands in its place.
 *
 * @example
 * ```ts
 * import { Reporter } from "@helicone-effect/evaluator"
 * import { Effect } from "effect"
 *
 * const upload: Reporter.Reporter = {
 *   onEnd: (report) =>
 *     report.cases.length > 1000
 *       ? Effect.fail(new Reporter.ReporterWarning({ warning: "uploaded the first 1,000 cases only" }))
 *       : Effect.void
 * }
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class ReporterWarning extends Schema.TaggedError<ReporterWarning>(
  "@helicone-effect/evaluator/ReporterWarning"
)("ReporterWarning", { warning: Schema.String }) {
  /**
   * @since 0.1.0
   */
  override get message(): string {
    return this.warning
  }
}

/**
 * What the file reporters ({@link json}, {@link junit}, {@link html}) need: `@effect/platform`'s `FileSystem` and
 * `Path`. On Node, provide `NodeContext.layer` from `@effect/platform-node`.
 *
 * @since 0.1.0
 * @category models
 */
export type Files = FileSystem.FileSystem | Path.Path

/**
 * The options of {@link terminal}.
 *
 * @since 0.1.0
 * @category models
 */
export interface TerminalOptions {
  /** Where the text goes. Default: `process.stderr` for progress, `process.stdout` for the summary. */
  readonly write?: ((text: string) => void) | undefined
  /** Draw a live progress bar (redrawn in place) rather than plain lines. Default: whether stderr is a TTY. */
  readonly tty?: boolean | undefined
  /** How often progress is shown. Default 100 ms on a TTY, 10 s otherwise. */
  readonly interval?: number | undefined
  /** Colours in the summary. Default: on a TTY, unless `NO_COLOR` is set. */
  readonly color?: boolean | undefined
}

/**
 * Shows progress while the run goes (a live bar with cases done / total, rate and ETA on a TTY; a plain line every
 * 10 s otherwise, for CI logs), then a summary table per scorer with pass/fail against thresholds and the slowest and
 * worst cases.
 *
 * @since 0.1.0
 * @category reporters
 */
export const terminal = (options: TerminalOptions = {}): Reporter => TerminalReporter.make(options)

/**
 * The summary the terminal reporter prints at the end of a run, as text: the verdict and its reasons first
 * (`capitals: FAILED: 3 of 3 cases errored (max 0)`), then a table per scorer with its mean, its threshold mean,
 * its threshold and whether it passed, then the slowest and worst cases. Colours when `color` is true.
 *
 * @since 0.1.0
 * @category formatting
 */
export const summaryText = (report: EvalReport, options: { readonly color?: boolean | undefined } = {}): string =>
  TerminalReporter.summary(report, options.color ?? false)

/**
 * Writes the report as JSON (readable with `EvalReport.fromJson`), creating the file's directory. A value that JSON
 * cannot hold is written all the same: a `bigint` as its digits, a cycle as `"[Circular]"`, and a value whose
 * `toJSON` or getters throw as a note saying so, with a warning in the run's `report.warnings`.
 *
 * @since 0.1.0
 * @category reporters
 */
export const json = (path: string): Reporter<Files> => ({
  onEnd: (report) =>
    Effect.suspend(() => {
      const unwritable = new Unwritable()
      // what `EvalReport.toJson` writes, with the values it could not write counted
      const text = safeStringify(report, 2, unwritable.add)
      return writeFile(path, text).pipe(Effect.zipRight(warnIf(unwritable.warning(`the JSON report ${path}`))))
    })
})

/**
 * Writes JUnit XML that agrees with the run's verdict: one test case per threshold, one per errored case, one per
 * other failing reason (see `JUnitReport`).
 *
 * @since 0.1.0
 * @category reporters
 */
export const junit = (path: string): Reporter<Files> => ({
  onEnd: (report) => JUnitReport.write(report, path)
})

/**
 * Writes a self-contained HTML page of the report (no external assets; every value shown as text). For a run whose
 * cases went to a cases file, the cases are streamed from that file into the page, never held in memory whole. A
 * value that JSON cannot hold is shown as the JSON reporter writes it, with a warning in `report.warnings` when a
 * note stands in its place.
 *
 * @since 0.1.0
 * @category reporters
 */
export const html = (path: string): Reporter<Files> => ({
  onEnd: (report) =>
    Effect.suspend(() => {
      const unwritable = new Unwritable()
      const written = report.casesFile === undefined
        ? writeFile(path, HtmlReport.renderCounting(report, unwritable.add))
        : writeHtmlStreamed(path, report, report.casesFile, unwritable)
      return written.pipe(Effect.zipRight(warnIf(unwritable.warning(`the HTML report ${path}`))))
    })
})

const writeHtmlStreamed = (
  path: string,
  report: EvalReport,
  casesFile: string,
  unwritable: Unwritable
): Effect.Effect<void, PlatformError.PlatformError | Error, Files> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const indexOf = Page.scorerIndexer(report)
    yield* writeFile(path, Page.open(HtmlReport.pageOptions(report)))
    let first = true
    yield* ReadCases.fromFile(casesFile).pipe(
      Stream.mapError((unreadable) =>
        new Error(
          `the cases file ${casesFile}${
            unreadable.line === undefined ? "" : `, line ${unreadable.line}`
          }: ${unreadable.reason}`
        )
      ),
      Stream.map((result) => Page.caseJson(result, indexOf, unwritable.add)),
      Stream.grouped(1000),
      Stream.runForEach((chunk) => {
        const text = `${first ? "" : ","}${Array.from(chunk).join(",")}`
        first = false
        return fs.writeFileString(path, text, { flag: "a" })
      })
    )
    yield* fs.writeFileString(path, Page.close, { flag: "a" })
  })

const warnIf = (warning: string | undefined): Effect.Effect<void, ReporterWarning> =>
  warning === undefined ? Effect.void : Effect.fail(new ReporterWarning({ warning }))

/**
 * Writes a markdown summary of the run (see `MarkdownReport`), for a pull-request comment or a GitHub job summary.
 * With `append`, it is added to the end of the file, as `$GITHUB_STEP_SUMMARY` expects.
 *
 * @since 0.1.0
 * @category reporters
 */
export const markdown = (
  path: string,
  options: MarkdownReport.RenderOptions & { readonly append?: boolean | undefined } = {}
): Reporter<Files> => ({
  onEnd: (report) => writeFile(path, MarkdownReport.render([report], options), options.append === true)
})

const writeFile = (
  path: string,
  text: string,
  append = false
): Effect.Effect<void, PlatformError.PlatformError, Files> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const paths = yield* Path.Path
    yield* fs.makeDirectory(paths.dirname(path), { recursive: true })
    yield* fs.writeFileString(path, text, append ? { flag: "a" } : undefined)
  })
