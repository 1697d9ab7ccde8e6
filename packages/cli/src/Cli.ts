/**
 * `helicone-eval`, the command line of the evaluator: `helicone-eval run <files or globs…>` loads `*.eval.ts` files
 * (TypeScript, no build step), runs the suites they export and prints the report, like `braintrust eval` or
 * `evalite`.
 *
 * An eval file exports suites made with `Eval.make`: as its default export, as named exports, or as an array. When
 * its suites need services (a judge model, a database), it also exports `layer`, a `Layer` providing them.
 * `helicone-eval outbox` lists the scores a run left for Helicone, `outbox send` resends them and `outbox drop`
 * clears them.
 *
 * Exit codes: 0 every suite passed, 1 a suite failed (its data could not be read, nothing was scored, more cases
 * errored than `--max-errors` allows, or a threshold was missed; the reason is the summary's first line), 2 a usage or
 * configuration error (said in one line on stderr: also a type error with `--typecheck`, and Helicone refusing the
 * API key, a bad `--prices` table), 3 scores left in the outbox after `--delivery-timeout` with `CI` set or
 * `--strict-delivery`, 4 `--max-cost` reached (cases were left unstarted; the partial report is printed), 130
 * interrupted (Ctrl-C: the cases in flight are stopped and the partial report is still printed and written).
 *
 * @since 0.1.0
 */
import type * as CliApp from "@effect/cli/CliApp"
import * as ValidationError from "@effect/cli/ValidationError"
import type * as HeliconeScores from "@helicone-effect/core/HeliconeScores"
import type * as ScoreQueue from "@helicone-effect/core/ScoreQueue"
import * as Config from "effect/Config"
import type * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import * as HashSet from "effect/HashSet"
import type * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import type * as Scope from "effect/Scope"
import * as Path from "node:path"
import type * as CliError from "./CliError.js"
import * as CliCommand from "./internal/command.js"
import * as CliLoad from "./internal/load.js"
import * as CliLogger from "./internal/logger.js"
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
  /** With `CI` set or `--strict-delivery`: scores still in the outbox when `--delivery-timeout` ran out. */
  readonly undelivered: 3
  /** `--max-cost` was reached: the run stopped starting cases, and its partial report was printed and written. */
  readonly budget: 4
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
   * `"auto"` (the default): a `.js` / `.mjs` / `.cjs` eval file is imported as it is; before the first TypeScript
   * file, tsx's module hooks are registered for the rest of the process (`register()` from `tsx/esm/api`). Either
   * way the eval files share module instances with the CLI. `"native"`: a plain `import()` of every file, for
   * processes that load TypeScript already (tsx registered, vitest).
   */
  readonly loader?: "auto" | "native" | undefined
  /**
   * Where results go, the terminal report included. Default `process.stdout`. Colours only go to `process.stdout`
   * when it is a terminal, and neither `--no-color` nor `NO_COLOR` is given. What `@effect/cli` prints (`--help`,
   * `--version`, its own usage errors) goes to the `Console` service.
   */
  readonly stdout?: ((text: string) => void) | undefined
  /** Where progress, notices and errors go. Default `process.stderr`. */
  readonly stderr?: ((text: string) => void) | undefined
}

/**
 * Runs `helicone-eval` with the given command line (`process.argv`: the first two entries are node and the script)
 * and answers with the exit code; it never fails. A {@link CliError.CliError} is said in one line on stderr and
 * answers 2, as do the usage errors `@effect/cli` reports itself. Interrupting it interrupts the suite that is
 * running, whose partial report is still printed and written.
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
    const err = options.stderr ?? ((text) => void process.stderr.write(text))
    const userAgent = yield* Config.option(Config.string("npm_config_user_agent")).pipe(
      Effect.map(Option.getOrUndefined),
      Effect.orElseSucceed(() => undefined)
    )
    const environment: CliRun.Environment = {
      cwd: options.cwd ?? process.cwd(),
      importer: options.loader === "native" ? CliLoad.nativeImporter : CliLoad.autoImporter,
      out: options.stdout ?? ((text) => void process.stdout.write(text)),
      err,
      terminal: options.stdout,
      userAgent
    }
    const command = CliCommand.make(
      (args) => Effect.scoped(CliRun.run(args, environment, CliCommand.valueOptions)),
      exitCode,
      options.stdout === undefined && process.stdout.isTTY === true,
      (args) =>
        Effect.promise(() => import("./internal/outbox.js")).pipe(
          Effect.flatMap((CliOutbox) =>
            CliOutbox.run(args, {
              ...environment,
              interactive: options.stdout === undefined && process.stdin.isTTY === true
            })
          )
        ),
      (args) =>
        Effect.promise(() => import("./internal/merge.js")).pipe(
          Effect.flatMap((CliMerge) => CliMerge.run(args, environment))
        )
    )
    return yield* CliCommand.run(command, argv).pipe(
      // every logger, the pretty one NodeRuntime.runMain installs included: the run's log lines go to stderr
      Effect.locally(FiberRef.currentLoggers, HashSet.make(CliLogger.make(err))),
      Effect.zipRight(Ref.get(exitCode)),
      Effect.catchIf(ValidationError.isValidationError, () => Effect.succeed(CliRun.ExitCode.usage)),
      Effect.catchAll((error: CliError.CliError) =>
        Effect.sync(() => {
          err(`${CliCommand.program.name}: ${error.message}\n`)
          return CliRun.ExitCode.usage
        })
      )
    )
  })

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
  /**
   * For the embedded server: a model call its gateway logged, shaped as Helicone's `GET /v1/request/{id}` answers
   * it (model, latency, tokens, properties, session, scores), or `null` when it logged none with that id.
   */
  readonly request: ((requestId: string) => Effect.Effect<Readonly<Record<string, unknown>> | null>) | undefined
  /**
   * For the embedded server: its OpenAI-compatible gateway (`<baseUrl>/v1`), for `HeliconeGateway.layer({ baseUrl })`
   * from `@helicone-effect/ai`.
   */
  readonly gatewayUrl: string | undefined
  /**
   * What a model layer made with `HeliconeGateway.layerConfig()` should read its configuration from: the environment,
   * and for the embedded server given a `recording`, its gateway and key under it. `helicone-eval run --local
   * --recording <file>` builds an eval file's `layer` with it.
   */
  readonly gatewayConfig: ConfigProvider.ConfigProvider
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
  /** A JSONL recording the embedded server's gateway answers model calls from (see `@helicone-effect/local`). */
  readonly recording?: string | undefined
  /** How the embedded gateway replays a recorded answer's `latencyMs`: times this factor. Default 0, at once. */
  readonly replaySpeed?: number | undefined
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
export const helicone = (
  options: HeliconeOptions = {}
): Effect.Effect<Helicone, CliError.HeliconeSetupError, Scope.Scope> =>
  Effect.gen(function*() {
    const CliHelicone = yield* Effect.promise(() => import("./internal/helicone.js"))
    const kind = options.kind ?? ((yield* CliHelicone.hasApiKey) ? "helicone" : "embedded")
    const target = yield* kind === "helicone"
      ? CliHelicone.fromEnvironment(Path.resolve(options.outbox ?? CliHelicone.outboxDir))
      : CliHelicone.local(options.database ?? ":memory:", {
        recording: options.recording === undefined ? undefined : Path.resolve(options.recording),
        replaySpeed: options.replaySpeed
      })
    return {
      kind: target.kind,
      baseUrl: target.baseUrl,
      layer: target.layer,
      scores: target.readBack,
      request: target.readRequest,
      gatewayUrl: target.gatewayUrl,
      gatewayConfig: target.gatewayConfig
    }
  })
