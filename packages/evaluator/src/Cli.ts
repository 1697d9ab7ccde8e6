/**
 * `helicone-eval`, the command line of the evaluator: `helicone-eval run <files or globs…>` loads `*.eval.ts` files
 * (TypeScript, no build step), runs the suites they export and prints the report, like `braintrust eval` or
 * `evalite`.
 *
 * An eval file exports suites made with `Eval.make`: as its default export, as named exports, or as an array. When
 * its suites need services (a judge model, a database), it also exports `layer`, a `Layer` providing them.
 *
 * Exit codes: 0 every suite met its thresholds, 1 a threshold failed, 2 a usage or configuration error (said in one
 * line on stderr), 130 interrupted (Ctrl-C: the cases in flight are stopped and the partial report is still printed
 * and written).
 *
 * @since 0.1.0
 */
import * as Args from "@effect/cli/Args"
import type * as CliApp from "@effect/cli/CliApp"
import * as Command from "@effect/cli/Command"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Span from "@effect/cli/HelpDoc/Span"
import * as Options from "@effect/cli/Options"
import * as ValidationError from "@effect/cli/ValidationError"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as CliLoad from "./internal/cliLoad.js"
import * as CliRun from "./internal/cliRun.js"

/**
 * The exit codes of `helicone-eval`.
 *
 * @since 0.1.0
 * @category models
 */
export const ExitCode: {
  readonly passed: 0
  readonly failed: 1
  readonly usage: 2
  readonly interrupted: 130
} = CliRun.ExitCode

/**
 * How {@link run} loads eval files and where it writes.
 *
 * @since 0.1.0
 * @category models
 */
export interface RunOptions {
  /** The directory file arguments are relative to. Default `process.cwd()`. */
  readonly cwd?: string | undefined
  /**
   * `"native"`: a plain `import()`, for processes where tsx's hooks are registered (the `helicone-eval` bin does
   * this), so eval files share module instances with the CLI. `"tsx"` (the default): `tsImport` from
   * `tsx/esm/api`, which needs no registration.
   */
  readonly loader?: "native" | "tsx" | undefined
  /** Where results go, the terminal report included. Default `process.stdout` (and stderr for progress). */
  readonly stdout?: ((text: string) => void) | undefined
  /** Where progress, notices and errors go. Default `process.stderr`. */
  readonly stderr?: ((text: string) => void) | undefined
}

const files = Args.text({ name: "files" }).pipe(
  Args.withDescription("Eval files, directories or globs (*, **, ?, {a,b}); default: every *.eval.ts below here"),
  Args.repeated
)

const positive = (name: string, description: string) =>
  Options.integer(name).pipe(Options.withDescription(description), Options.optional)

const text = (name: string, description: string) =>
  Options.text(name).pipe(Options.withDescription(description), Options.optional)

const runOptions = {
  files,
  concurrency: positive("concurrency", "Cases run at the same time, for every suite (overrides the suite's)"),
  trials: positive("trials", "Times each case runs (overrides the suite's)"),
  timeout: text("timeout", "Time limit per case, e.g. 30s, 500ms, 2m (overrides the suite's)"),
  filter: text("filter", "Run only the suites whose name contains this text (case-insensitive)"),
  json: text("json", "Write the report as JSON to this file (report.json → report.<suite>.json for several suites)"),
  junit: text("junit", "Write JUnit XML to this file, for CI test views"),
  thresholds: Options.text("threshold").pipe(
    Options.withDescription("name=value: the mean score scorer `name` must reach, 0 to 1 (repeatable)"),
    Options.repeated
  ),
  helicone: Options.boolean("helicone").pipe(
    Options.withDescription("Send each case's scores to Helicone (HELICONE_API_KEY, HELICONE_BASE_URL)")
  ),
  local: Options.boolean("local").pipe(
    Options.withDescription(
      "Send scores to an embedded Helicone-compatible server (needs @helicone-effect/local; implies --helicone)"
    )
  ),
  noColor: Options.boolean("no-color").pipe(Options.withDescription("No colours in the summary (also NO_COLOR)"))
}

const examples = HelpDoc.blocks([
  HelpDoc.p("Load eval files (TypeScript, no build step), run the suites they export and print the report."),
  HelpDoc.h2("Examples"),
  HelpDoc.p(Span.code("helicone-eval run evals/support.eval.ts")),
  HelpDoc.p(Span.code("helicone-eval run \"evals/**/*.eval.ts\" --concurrency 4 --threshold exactMatch=0.8")),
  HelpDoc.p(Span.code("helicone-eval run evals --json reports/eval.json --junit reports/junit.xml")),
  HelpDoc.p(Span.code("helicone-eval run evals --local          # scores to an embedded server, no key needed")),
  HelpDoc.p(Span.code("HELICONE_API_KEY=sk-... helicone-eval run evals --helicone")),
  HelpDoc.h2("Exit codes"),
  HelpDoc.p("0 thresholds met, 1 a threshold failed, 2 usage or configuration error, 130 interrupted.")
])

const makeCommand = (environment: CliRun.Environment, exitCode: Ref.Ref<number>) => {
  const runCommand = Command.make("run", runOptions, (options) =>
    CliRun.run({
      files: options.files,
      concurrency: Option.getOrUndefined(options.concurrency),
      trials: Option.getOrUndefined(options.trials),
      timeout: Option.getOrUndefined(options.timeout),
      filter: Option.getOrUndefined(options.filter),
      json: Option.getOrUndefined(options.json),
      junit: Option.getOrUndefined(options.junit),
      thresholds: options.thresholds,
      helicone: options.helicone,
      local: options.local,
      color: options.noColor ? false : undefined
    }, environment).pipe(
      Effect.scoped,
      Effect.catchTag("CliUsage", (error) =>
        Effect.as(
          Effect.sync(() => environment.err(`helicone-eval: ${error.reason}\n`)),
          CliRun.ExitCode.usage
        )),
      Effect.flatMap((code) => Ref.set(exitCode, code))
    )).pipe(Command.withDescription(examples))

  return Command.make(
    "helicone-eval",
    {},
    () =>
      Effect.sync(() => environment.err("usage: helicone-eval run <files or globs…> [options]   (see --help)\n")).pipe(
        Effect.zipRight(Ref.set(exitCode, CliRun.ExitCode.usage))
      )
  ).pipe(
    Command.withDescription("Evaluate LLM tasks with Effect and send the scores to Helicone"),
    Command.withSubcommands([runCommand])
  )
}

/**
 * Runs `helicone-eval` with the given command line (`process.argv`: the first two entries are node and the script)
 * and answers with the exit code; it never fails. Problems with the command line or the configuration are written
 * to stderr and answer 2. Interrupting it interrupts the suite that is running, whose partial report is still
 * printed and written.
 *
 * @example
 * ```ts
 * import { NodeContext } from "@effect/platform-node"
 * import { Cli } from "@helicone-effect/evaluator"
 * import { Effect } from "effect"
 *
 * const code = await Effect.runPromise(
 *   Cli.run(["node", "helicone-eval", "run", "evals", "--json", "report.json"]).pipe(Effect.provide(NodeContext.layer))
 * )
 * ```
 *
 * @since 0.1.0
 * @category running
 */
export const run = (
  argv: ReadonlyArray<string>,
  options: RunOptions = {}
): Effect.Effect<number, never, CliApp.CliApp.Environment> =>
  Effect.gen(function*() {
    const exitCode = yield* Ref.make<number>(CliRun.ExitCode.passed)
    const environment: CliRun.Environment = {
      cwd: options.cwd ?? process.cwd(),
      importer: options.loader === "native" ? CliLoad.nativeImporter : CliLoad.tsImporter,
      out: options.stdout ?? ((text) => void process.stdout.write(text)),
      err: options.stderr ?? ((text) => void process.stderr.write(text)),
      terminal: options.stdout
    }
    const cli = Command.run(makeCommand(environment, exitCode), { name: "helicone-eval", version: "0.1.0" })
    yield* cli(argv).pipe(
      Effect.catchIf(ValidationError.isValidationError, () => Ref.set(exitCode, CliRun.ExitCode.usage))
    )
    return yield* Ref.get(exitCode)
  })
