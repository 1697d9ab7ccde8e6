/**
 * What `helicone-eval run` does once its arguments are parsed: find the files, load them, pick the suites, run each
 * with the reporters asked for, send scores to Helicone if asked, and answer with the exit code.
 *
 * @internal
 */
import * as FileSystem from "@effect/platform/FileSystem"
import type * as Path from "@effect/platform/Path"
import * as Cost from "@helicone-effect/evaluator/Cost"
import * as Eval from "@helicone-effect/evaluator/Eval"
import * as EvalReport from "@helicone-effect/evaluator/EvalReport"
import * as MarkdownReport from "@helicone-effect/evaluator/MarkdownReport"
import * as Reporter from "@helicone-effect/evaluator/Reporter"
import * as Cause from "effect/Cause"
import * as ConfigProvider from "effect/ConfigProvider"
import type * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { identity } from "effect/Function"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as Fs from "node:fs"
import * as NodePath from "node:path"
import * as CliError from "../CliError.js"
import * as CasesFiles from "./casesFiles.js"
import * as Delivery from "./delivery.js"
import * as DryRun from "./dryRun.js"
import * as Files from "./files.js"
import * as Load from "./load.js"
import * as CliOptions from "./options.js"
import * as PackageManager from "./packageManager.js"
import * as Pick from "./pick.js"
import * as Prices from "./prices.js"
import * as Thresholds from "./thresholds.js"
import * as TypeCheck from "./typecheck.js"

/** The parsed command line of `run`. */
export interface RunArgs {
  readonly files: ReadonlyArray<string>
  readonly concurrency: number | undefined
  readonly trials: number | undefined
  readonly timeout: Duration.Duration | undefined
  readonly filter: string | undefined
  readonly json: string | undefined
  readonly junit: string | undefined
  readonly html: string | undefined
  /** `--markdown`: a summary of every suite, written after delivery. */
  readonly markdown: string | undefined
  /** `$GITHUB_STEP_SUMMARY`: the same summary, appended. */
  readonly stepSummary: string | undefined
  /** `--baseline`: an earlier JSON report to compare with, named per suite as `--json` names reports. */
  readonly baseline: string | undefined
  readonly failOnRegression: boolean
  readonly minDifference: number | undefined
  readonly shard: CliOptions.Shard | undefined
  readonly thresholds: Readonly<Record<string, number>> | undefined
  readonly maxErrors: Eval.MaxErrors | undefined
  readonly limit: number | undefined
  readonly sample: number | undefined
  readonly seed: number | undefined
  readonly cases: ReadonlyArray<string>
  readonly typecheck: boolean
  readonly keepRuns: number
  readonly helicone: boolean
  readonly local: boolean
  /** `--recording`: with `--local`, the recording the embedded gateway answers model calls from. */
  readonly recording: string | undefined
  readonly deliveryTimeout: Duration.Duration
  readonly strictDelivery: boolean
  /** `--cache`: how the suites' model calls use the call cache, as `Eval.run`'s `cache`. */
  readonly cache: CliOptions.CacheMode
  /** `--cache-dir`: the call cache `--dry-run` reads. */
  readonly cacheDir: string
  /** `--prices`: a JSON price table, read and checked before any file is loaded. */
  readonly prices: string | undefined
  /** `--max-cost`: the budget of the whole run, in US dollars, over its suites. */
  readonly maxCost: number | undefined
  readonly dryRun: boolean
  readonly color: boolean
}

/** Where the run happens and where its text goes. */
export interface Environment {
  readonly cwd: string
  readonly importer: Load.Importer
  /** Results: the summary, the report paths, Helicone's counts. */
  readonly out: (text: string) => void
  /** Progress and notices. */
  readonly err: (text: string) => void
  /** Where the terminal reporter writes, when not to the process's streams. */
  readonly terminal: ((text: string) => void) | undefined
  /** `npm_config_user_agent`: which package manager ran the CLI, for the commands messages suggest. */
  readonly userAgent: string | undefined
}

/** The exit codes of `helicone-eval`. */
export const ExitCode = {
  passed: 0,
  failed: 1,
  usage: 2,
  undelivered: CliOptions.deliveryExitCode,
  budget: CliOptions.budgetExitCode,
  interrupted: 130
} as const

/**
 * A file's layer as the dry run builds it: with `--local --recording`, a model layer's `HeliconeGateway.layerConfig()`
 * finds a gateway and a key, as in the run itself (the dry run starts no server and sends nothing, so neither is used).
 */
const dryRunLayer = (
  layer: Layer.Layer<any, any, never> | undefined,
  args: RunArgs
): Layer.Layer<any, any, never> | undefined =>
  layer === undefined || !args.local || args.recording === undefined ? layer : layer.pipe(
    Layer.provide(Layer.setConfigProvider(
      ConfigProvider.fromEnv().pipe(ConfigProvider.orElse(() =>
        ConfigProvider.fromMap(
          new Map([["HELICONE_GATEWAY_URL", "http://127.0.0.1:9/v1"], ["HELICONE_API_KEY", "helicone-eval-dry-run"]])
        )
      ))
    ))
  )

/** The file arguments that are options `@effect/cli` did not take: unknown ones, and ones without their value. */
const checkLeftovers = (args: RunArgs, env: Environment, valueOptions: ReadonlySet<string>) =>
  Effect.forEach(
    args.files.filter((arg) => arg.startsWith("-") && !Fs.existsSync(NodePath.resolve(env.cwd, arg))),
    (arg) =>
      Effect.fail(
        valueOptions.has(arg) ? new CliError.MissingValue({ option: arg }) : new CliError.UnknownOption({ option: arg })
      ),
    { discard: true }
  )

/** Says when a suite starts (its first line of output, printed from inside the run). */
const startLine = (env: Environment, suite: Eval.Suite<any, any, any, any>, file: string): Reporter.Reporter => ({
  onStart: (info) =>
    Effect.sync(() =>
      env.err(
        `▶ ${info.name}: ${info.total === undefined ? "streaming" : info.total} case${info.total === 1 ? "" : "s"}` +
          `${suite.trials > 1 ? ` (${suite.trials} trials)` : ""}, concurrency ${suite.concurrency} — ${file}\n`
      )
    )
})

/**
 * The request ids of the report's cases that have scores (the ones whose scores were sent: a case whose task failed
 * has nothing to store), read back from its cases file when it has one.
 */
export const scoredRequestIds = (
  report: EvalReport.EvalReport
): Stream.Stream<string, EvalReport.UnreadableCasesFile, FileSystem.FileSystem> =>
  EvalReport.readCases(report).pipe(
    Stream.filter((result) => result.scores.length > 0),
    Stream.map((result) => result.requestId)
  )

/** Runs `helicone-eval run`; `valueOptions` are the options that take a value (`--json`). */
export const run = (
  args: RunArgs,
  env: Environment,
  valueOptions: ReadonlySet<string>
): Effect.Effect<number, CliError.CliError, Scope.Scope | FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    yield* checkLeftovers(args, env, valueOptions)
    // before any file is loaded: a bad price table stops the run before anything ran
    const priceTable = args.prices === undefined
      ? undefined
      : yield* Prices.read(NodePath.resolve(env.cwd, args.prices), args.prices)
    const prices = priceTable?.user
    const overrides: CliOptions.Overrides = {
      concurrency: args.concurrency,
      trials: args.trials,
      timeout: args.timeout,
      thresholds: args.thresholds
    }
    const relative = (file: string) => {
      const path = NodePath.relative(env.cwd, file)
      return path === "" || path.startsWith("..") ? file : path
    }

    const expanded = yield* Effect.promise(() => Files.expand(args.files, env.cwd))
    if (expanded.unmatched.length > 0) {
      return yield* new CliError.NoEvalFiles({
        argument: args.files.length === 0 ? undefined : expanded.unmatched[0],
        cwd: env.cwd,
        pattern: Files.evalFilePattern
      })
    }

    // before any file is imported: a file with a type error does not run at all
    if (args.typecheck && TypeCheck.hasTypeScript(expanded.files)) {
      const checked = yield* TypeCheck.check(
        expanded.files,
        env.cwd,
        PackageManager.addDevDependency("typescript@~5.9", env.userAgent)
      )
      if (checked.first !== undefined) {
        return yield* new CliError.TypeCheckFailed({
          first: checked.first,
          errors: checked.errors,
          files: checked.failing
        })
      }
      env.err(
        `type-checked ${plural(checked.files, "eval file")} with TypeScript ${checked.version} in ` +
          `${checked.seconds.toFixed(1)}s\n`
      )
    }

    const loaded: Array<Load.LoadedFile> = []
    for (const file of expanded.files) {
      loaded.push(
        yield* Load.load(file, env.importer).pipe(
          Effect.mapError((failure) => new CliError.EvalFileLoadError({ file: relative(file), reason: failure.reason }))
        )
      )
    }
    const everySuite = loaded.flatMap((file) => file.suites)
    if (everySuite.length === 0) {
      return yield* new CliError.NoSuites({ files: loaded.map((file) => relative(file.file)) })
    }
    const filter = args.filter?.toLowerCase()
    const selected = filter === undefined
      ? everySuite
      : everySuite.filter((found) => found.suite.name.toLowerCase().includes(filter))
    if (selected.length === 0) {
      return yield* new CliError.NoSuiteMatches({
        filter: args.filter ?? "",
        found: everySuite.map((found) => found.suite.name)
      })
    }
    yield* Thresholds.check(selected.map((found) => found.suite), args.thresholds ?? {})
    if (args.failOnRegression && args.baseline === undefined) {
      return yield* new CliError.OptionNeeds({ option: "--fail-on-regression", needs: "--baseline <report.json>" })
    }
    if (args.recording !== undefined && !args.local) {
      return yield* new CliError.OptionNeeds({ option: "--recording", needs: "--local" })
    }
    if (args.minDifference !== undefined && !args.failOnRegression) {
      return yield* new CliError.OptionNeeds({ option: "--min-difference", needs: "--fail-on-regression" })
    }
    // every baseline is read and checked before any suite runs: nothing is half-compared
    const baselines = new Map<Load.FoundSuite, EvalReport.EvalReport>()
    if (args.baseline !== undefined) {
      for (const found of selected) {
        const path = NodePath.resolve(env.cwd, CliOptions.reportPath(args.baseline, found.suite.name, selected.length))
        baselines.set(
          found,
          yield* EvalReport.loadBaseline(path, { suite: found.suite.name }).pipe(
            Effect.mapError((error) =>
              new CliError.BadBaseline({ path: relative(path), reason: error.message.replaceAll(path, relative(path)) })
            )
          )
        )
      }
    }
    const failOnRegression = !args.failOnRegression
      ? undefined
      : args.minDifference === undefined
      ? true
      : { minimumDifference: args.minDifference }

    const pick: Pick.Pick = {
      cases: args.cases,
      sample: args.sample,
      seed: args.sample === undefined ? undefined : args.seed ?? Pick.randomSeed(),
      limit: args.limit
    }
    if (pick.sample !== undefined) {
      env.err(
        `sampling ${plural(pick.sample, "case")} of each suite with --seed ${pick.seed}` +
          `${args.seed === undefined ? " (pass it to draw the same cases again)" : ""}\n`
      )
    }

    if (args.dryRun) {
      const cacheDir = NodePath.resolve(env.cwd, args.cacheDir)
      const suites = selected.map((found) => {
        const suite = CliOptions.applyOverrides(found.suite, overrides)
        return {
          suite: Pick.picks(pick) ? Pick.apply(suite, pick) : suite,
          file: relative(found.file),
          layer: dryRunLayer(loaded.find((file) => file.file === found.file)?.layer, args)
        }
      })
      env.out(
        yield* DryRun.run(suites, {
          cache: args.cache,
          cacheDir,
          shownCacheDir: relative(cacheDir),
          shard: args.shard,
          prices: priceTable?.merged ?? Cost.builtInPrices,
          maxCost: args.maxCost
        })
      )
      return ExitCode.passed
    }

    // Helicone's client and the embedded server are loaded only for the runs that send scores
    const target = args.helicone || args.local
      ? yield* Effect.promise(() => import("./helicone.js")).pipe(
        Effect.flatMap((Helicone) =>
          args.local
            ? Helicone.local(NodePath.resolve(env.cwd, Helicone.localDatabase), {
              recording: args.recording === undefined ? undefined : NodePath.resolve(env.cwd, args.recording)
            })
            : Helicone.fromEnvironment(NodePath.resolve(env.cwd, Helicone.outboxDir))
        )
      )
      : undefined
    if (target !== undefined) env.err(`${target.description}\n`)
    const heliconeContext = target === undefined ? undefined : yield* Layer.build(target.layer)

    const layers = new Map<string, Layer.Layer<any, any, never>>()
    for (const file of loaded) if (file.layer !== undefined) layers.set(file.file, file.layer)
    const contexts = new Map<string, Context.Context<never>>()
    const outputDir = NodePath.resolve(env.cwd, CasesFiles.outputDir)

    let reports: Array<EvalReport.EvalReport> = []
    const written: Array<string> = []
    // the file reporters of each report, to write it again when the delivery adds a reason to its verdict
    const files: Array<ReadonlyArray<Reporter.Reporter<Reporter.Files>>> = []
    // --max-cost is the budget of the whole command: each suite gets what the suites before it left
    let spent = 0
    let stoppedIn: string | undefined
    const notStarted: Array<string> = []
    for (const found of selected) {
      if (stoppedIn !== undefined) {
        notStarted.push(found.suite.name)
        continue
      }
      let suite = CliOptions.applyOverrides(found.suite, overrides)
      if (Pick.picks(pick)) suite = Pick.apply(suite, pick)
      const fileReporters: Array<Reporter.Reporter<Reporter.Files>> = []
      for (
        const [path, make] of [[args.json, Reporter.json], [args.junit, Reporter.junit], [
          args.html,
          Reporter.html
        ]] as const
      ) {
        if (path === undefined) continue
        const file = NodePath.resolve(env.cwd, CliOptions.reportPath(path, suite.name, selected.length))
        fileReporters.push(make(file))
        written.push(relative(file))
      }
      files.push(fileReporters)
      const terminal = Reporter.terminal({
        color: args.color,
        ...(env.terminal === undefined ? {} : { write: env.terminal })
      })
      const reporters: Array<Reporter.Reporter<Reporter.Files>> = [
        startLine(env, suite, relative(found.file)),
        ...[terminal, ...fileReporters].map((reporter) =>
          target === undefined ? reporter : Delivery.haltAware(reporter, target)
        )
      ]

      // the suite's requirements are what its file's layer provides: checked when that layer is built
      const options = {
        reporters,
        outputDir,
        maxErrors: args.maxErrors,
        baseline: baselines.get(found),
        failOnRegression,
        shard: args.shard,
        cache: args.cache,
        prices,
        maxCost: args.maxCost === undefined ? undefined : Math.max(0, args.maxCost - spent)
      }
      // the prices and the budget were checked before anything ran
      let program = (target === undefined
        ? Eval.run(suite, options)
        : Eval.run(suite, { ...options, helicone: {} })).pipe(
          Effect.catchTags({
            PriceTableError: (error) =>
              new CliError.BadPriceTable({ path: args.prices ?? "(built-in prices)", reason: error.message }),
            // --max-cost's schema and the arithmetic above keep it a finite number >= 0
            MaxCostError: (error) => Effect.die(error)
          })
        ) as Effect.Effect<EvalReport.EvalReport, CliError.CliError, any>
      if (heliconeContext !== undefined) program = Effect.provide(program, heliconeContext)
      const layer = layers.get(found.file)
      if (layer !== undefined) {
        let context = contexts.get(found.file)
        if (context === undefined) {
          context = yield* Layer.build(layer).pipe(
            // with --local, a layer made with HeliconeGateway.layerConfig() sends its model calls through the
            // embedded server's gateway, unless HELICONE_GATEWAY_URL says otherwise
            target === undefined ? identity : Effect.withConfigProvider(target.gatewayConfig),
            Effect.catchAllCause((cause) =>
              new CliError.LayerBuildError({ file: relative(found.file), reason: Load.reasonOf(Cause.squash(cause)) })
            )
          )
          contexts.set(found.file, context)
        }
        program = Effect.provide(program, context)
      }
      const report = yield* (program as Effect.Effect<
        EvalReport.EvalReport,
        CliError.CliError,
        FileSystem.FileSystem | Path.Path
      >)
      reports.push(report)
      spent += report.stopped?.cost ?? report.usage?.cost ?? 0
      if (report.stopped !== undefined) stoppedIn = suite.name
      yield* CasesFiles.prune(outputDir, suite.name, args.keepRuns)
      // a refused key has stopped delivery for good: the other suites would only add to the outbox
      if (target !== undefined && (yield* target.queue.stats).halted !== undefined) break
    }

    const failedRuns = reports.filter((report) => !report.passed).length
    if (stoppedIn !== undefined) {
      env.err(
        `helicone-eval: --max-cost ${
          Cost.formatUsd(args.maxCost!)
        } reached in ${stoppedIn}: cases were left unstarted` +
          (notStarted.length === 0
            ? ""
            : `, and ${plural(notStarted.length, "suite")} did not start (${notStarted.join(", ")})`) +
          "\n"
      )
    }
    /** Adds a failing reason to every report that sent scores, and writes their files again. */
    const failDelivery = (message: string) =>
      Effect.gen(function*() {
        const failing = reports.map((report) =>
          report.helicone !== undefined && !report.verdict.reasons.some((reason) => reason.kind === "delivery")
        )
        reports = reports.map((report, i) =>
          failing[i] ? EvalReport.failWith(report, { kind: "delivery", message }) : report
        )
        for (const [i, report] of reports.entries()) {
          if (!failing[i]) continue
          for (const reporter of files[i]) {
            if (reporter.onEnd !== undefined) yield* Effect.ignore(reporter.onEnd(report))
          }
        }
      })
    let delivery: Delivery.Delivery | undefined
    if (target !== undefined) {
      const resend = PackageManager.commandLine(
        `helicone-eval outbox send${target.kind === "embedded" ? " --local" : ""}`,
        env.userAgent
      )
      const waited = yield* Effect.either(Delivery.awaitDelivery({
        queue: target.queue,
        timeout: args.deliveryTimeout,
        strict: args.strictDelivery,
        where: relative(target.outbox),
        baseUrl: target.baseUrl,
        resend,
        err: env.err
      }))
      if (Either.isLeft(waited)) {
        yield* failDelivery(waited.left.message)
        return yield* waited.left
      }
      delivery = waited.right
      if (delivery.failure !== undefined) yield* failDelivery(delivery.failure)
    }

    if (target?.readBack !== undefined) {
      const readBack = target.readBack
      let sent = 0
      let stored = 0
      for (const report of reports) {
        yield* scoredRequestIds(report).pipe(
          Stream.mapEffect(readBack, { concurrency: 16 }),
          Stream.runForEach((scores) =>
            Effect.sync(() => {
              sent++
              if (scores !== null) stored++
            })
          ),
          Effect.ignore
        )
      }
      const database = target.database === undefined ? undefined : relative(target.database)
      env.out(
        `helicone-local: scores stored for ${stored}/${plural(sent, "request")} (the cases that have scores)` +
          (database === undefined
            ? "\n"
            : ` in ${database}; browse them: ${
              PackageManager.commandLine(`helicone-local --db ${database}`, env.userAgent)
            }\n`)
      )
    }
    // written last, after delivery may have added a reason to a verdict, so that it agrees with the exit code
    if (args.markdown !== undefined || args.stepSummary !== undefined) {
      const jsonFile = args.json === undefined ? undefined : relative(NodePath.resolve(env.cwd, args.json))
      const text = MarkdownReport.render(reports, { fullReport: jsonFile })
      if (args.markdown !== undefined) {
        const file = NodePath.resolve(env.cwd, args.markdown)
        const wrote = yield* writeText(file, text, false)
        if (wrote === undefined) written.push(relative(file))
        else env.err(`helicone-eval: warning: the markdown summary was not written to ${relative(file)}: ${wrote}\n`)
      }
      if (args.stepSummary !== undefined) {
        const wrote = yield* writeText(args.stepSummary, text, true)
        if (wrote !== undefined) env.err(`helicone-eval: warning: $GITHUB_STEP_SUMMARY was not written: ${wrote}\n`)
      }
    }
    if (written.length > 0) env.out(`reports: ${written.join(", ")}\n`)
    if (reports.length > 1) env.out(`${reports.length - failedRuns}/${reports.length} suites passed\n`)
    if (delivery !== undefined) env.out(`${delivery.summary}\n`)
    if (delivery?.failure !== undefined) env.err(`helicone-eval: ${delivery.failure}\n`)
    return stoppedIn !== undefined
      ? ExitCode.budget
      : failedRuns > 0
      ? ExitCode.failed
      : delivery?.failure !== undefined
      ? ExitCode.undelivered
      : ExitCode.passed
  })

/** Writes (or appends) a text file, creating its directory; the reason when it could not. */
const writeText = (
  file: string,
  text: string,
  append: boolean
): Effect.Effect<string | undefined, never, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    yield* fs.makeDirectory(NodePath.dirname(file), { recursive: true })
    yield* fs.writeFileString(file, text, append ? { flag: "a" } : undefined)
  }).pipe(
    Effect.as(undefined),
    Effect.catchAll((error) => Effect.succeed(error.message))
  )

/** `1 case`, `2 cases`. */
export const plural = (count: number, noun: string): string => `${count} ${noun}${count === 1 ? "" : "s"}`
