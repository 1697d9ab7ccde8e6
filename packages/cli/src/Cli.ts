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
import type * as CliApp from "@effect/cli/CliApp"
import * as CliConfig from "@effect/cli/CliConfig"
import * as Command from "@effect/cli/Command"
import * as ValidationError from "@effect/cli/ValidationError"
import type * as HeliconeScores from "@helicone-effect/core/HeliconeScores"
import type * as ScoreQueue from "@helicone-effect/core/ScoreQueue"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Path from "node:path"
import * as CliCommand from "./internal/command.js"
import * as CliHelicone from "./internal/helicone.js"
import * as CliLoad from "./internal/load.js"
import * as CliRun from "./internal/run.js"

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
  /**
   * Where results go, the terminal report included. Default `process.stdout` (and stderr for progress). Colours only
   * go to `process.stdout` when it is a terminal, `NO_COLOR` is not set and `--no-color` is not given.
   */
  readonly stdout?: ((text: string) => void) | undefined
  /** Where progress, notices and errors go. Default `process.stderr`. */
  readonly stderr?: ((text: string) => void) | undefined
}

const makeCommand = (environment: CliRun.Environment, exitCode: Ref.Ref<number>, color: boolean) => {
  const runCommand = Command.make("run", CliCommand.runOptions, (options) =>
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
      color
    }, environment).pipe(
      Effect.scoped,
      Effect.catchTag("CliUsage", (error) =>
        Effect.as(
          Effect.sync(() => environment.err(`${CliCommand.program.name}: ${error.reason}\n`)),
          CliRun.ExitCode.usage
        )),
      Effect.flatMap((code) => Ref.set(exitCode, code))
    ))

  return Command.make(
    CliCommand.program.name,
    {},
    () =>
      Effect.sync(() => environment.err("usage: helicone-eval run <files or globs…> [options]   (see --help)\n")).pipe(
        Effect.zipRight(Ref.set(exitCode, CliRun.ExitCode.usage))
      )
  ).pipe(Command.withSubcommands([runCommand]))
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
 * import { Cli } from "@helicone-effect/cli"
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
    const out = options.stdout ?? ((text) => void process.stdout.write(text))
    const err = options.stderr ?? ((text) => void process.stderr.write(text))
    const args = argv.slice(2)
    const color = CliCommand.useColor(
      args,
      process.env.NO_COLOR,
      options.stdout === undefined && process.stdout.isTTY === true
    )
    if (CliCommand.wantsHelp(args)) {
      out(CliCommand.help(color))
      return CliRun.ExitCode.passed
    }
    const missing = CliCommand.missingValue(args)
    if (missing !== undefined) {
      err(`${CliCommand.program.name}: ${missing}\n`)
      return CliRun.ExitCode.usage
    }
    const environment: CliRun.Environment = {
      cwd: options.cwd ?? process.cwd(),
      importer: options.loader === "native" ? CliLoad.nativeImporter : CliLoad.tsImporter,
      out,
      err,
      terminal: options.stdout
    }
    const plain = (parts: ReadonlyArray<unknown>) => {
      const text = parts.map(String).join(" ")
      return color ? text : CliCommand.stripAnsi(text)
    }
    const cli = Command.run(makeCommand(environment, exitCode, color), CliCommand.program)
    yield* cli(argv).pipe(
      Effect.catchIf(ValidationError.isValidationError, () => Ref.set(exitCode, CliRun.ExitCode.usage)),
      Effect.provide(CliConfig.layer({ showBuiltIns: false })),
      // what @effect/cli prints itself (its errors, --version) goes where ours goes, in one line per error
      (effect) =>
        Console.consoleWith((console) =>
          Effect.withConsole(effect, {
            ...console,
            log: (...parts) => Effect.sync(() => out(`${plain(parts).replace(/\n+$/, "")}\n`)),
            error: (...parts) =>
              Effect.sync(() => err(`${CliCommand.program.name}: ${plain(parts).trim().replace(/\s*\n\s*/g, " ")}\n`))
          })
        )
    )
    return yield* Ref.get(exitCode)
  })

/**
 * Why {@link helicone} could not set Helicone up, in one line: `HELICONE_API_KEY` missing, an invalid configuration,
 * `@helicone-effect/local` not installed, an outbox that cannot be opened.
 *
 * @since 0.1.0
 * @category errors
 */
export class HeliconeSetupError extends Schema.TaggedError<HeliconeSetupError>(
  "@helicone-effect/evaluator/HeliconeSetupError"
)("HeliconeSetupError", { reason: Schema.String }) {
  override get message(): string {
    return this.reason
  }
}

/**
 * Where {@link helicone} sends scores: Helicone itself (`kind: "helicone"`), or a Helicone-compatible server started
 * in this process (`kind: "embedded"`, from `@helicone-effect/local`), whose stored scores `scores` reads back.
 *
 * @since 0.1.0
 * @category models
 */
export interface Helicone {
  readonly kind: "helicone" | "embedded"
  readonly baseUrl: string
  /**
   * `HeliconeScores` and a durable `ScoreQueue` over it, already built in the scope: closing the scope delivers
   * what is left, or keeps it in the outbox for a later run.
   */
  readonly layer: Layer.Layer<HeliconeScores.HeliconeScores | ScoreQueue.ScoreQueue>
  readonly scores: ((requestId: string) => Effect.Effect<Readonly<Record<string, number>> | null>) | undefined
}

/**
 * How {@link helicone} chooses: `"helicone"` (the default when `HELICONE_API_KEY` is set) reads the configuration
 * from the environment like `helicone-eval run --helicone`; `"embedded"` (the default otherwise) starts a server
 * like `--local`.
 *
 * @since 0.1.0
 * @category models
 */
export interface HeliconeOptions {
  readonly kind?: "helicone" | "embedded" | undefined
  /** Where the queue keeps the scores Helicone did not take yet. Default `.helicone-outbox` in `process.cwd()`. */
  readonly outbox?: string | undefined
  /** The embedded server's database file. Default `":memory:"` (and its outbox in a temporary directory). */
  readonly database?: string | undefined
}

/**
 * Where `helicone-eval run --helicone` / `--local` send scores, for a program of your own: Helicone when
 * `HELICONE_API_KEY` is set, else an embedded server (which needs `@helicone-effect/local`). Provide `layer` to
 * `Eval.run(suite, { helicone: {} })`.
 *
 * @example
 * ```ts
 * import { Cli } from "@helicone-effect/cli"
 * import { Eval } from "@helicone-effect/evaluator"
 * import { Effect } from "effect"
 *
 * declare const suite: Eval.Suite<string, string>
 *
 * const program = Effect.gen(function*() {
 *   const target = yield* Cli.helicone()
 *   return yield* Eval.run(suite, { helicone: {} }).pipe(Effect.provide(target.layer))
 * }).pipe(Effect.scoped)
 * ```
 *
 * @since 0.1.0
 * @category helicone
 */
export const helicone = (options: HeliconeOptions = {}): Effect.Effect<Helicone, HeliconeSetupError, Scope.Scope> =>
  Effect.gen(function*() {
    const kind = options.kind ?? ((yield* CliHelicone.hasApiKey) ? "helicone" : "embedded")
    const target = yield* (kind === "helicone"
      ? CliHelicone.fromEnvironment(Path.resolve(options.outbox ?? CliHelicone.outboxDir))
      : CliHelicone.local(options.database ?? ":memory:")).pipe(
        Effect.mapError((reason) => new HeliconeSetupError({ reason }))
      )
    return { kind: target.kind, baseUrl: target.baseUrl, layer: target.layer, scores: target.readBack }
  })
