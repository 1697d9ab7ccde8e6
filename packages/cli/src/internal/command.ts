/**
 * The command line of `helicone-eval`, declared with `@effect/cli`, which parses it and generates `--help` from it.
 *
 * @internal
 */
import * as Args from "@effect/cli/Args"
import type * as CliApp from "@effect/cli/CliApp"
import * as CliConfig from "@effect/cli/CliConfig"
import * as Command from "@effect/cli/Command"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Span from "@effect/cli/HelpDoc/Span"
import * as Options from "@effect/cli/Options"
import type * as ValidationError from "@effect/cli/ValidationError"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as Schema from "effect/Schema"
import * as CliError from "../CliError.js"
import type * as CliMerge from "./merge.js"
import * as CliOptions from "./options.js"
import type * as CliOutbox from "./outbox.js"
import type * as CliRun from "./run.js"

/** The program's name and version, as `--help` and `--version` say them. */
export const program = { name: "helicone-eval", version: "0.1.0" } as const

/** An option that takes a value, with the name of its value in the usage line. */
const valueOption = (name: string, pseudoName: string, description: string) =>
  Options.text(name).pipe(
    Options.withPseudoName(pseudoName),
    Options.withSchema(CliOptions.Value(name, pseudoName)),
    Options.withDescription(description),
    Options.optional
  )

const atLeastOne = (name: string, description: string) =>
  Options.integer(name).pipe(
    Options.withPseudoName("n"),
    Options.withSchema(CliOptions.AtLeastOne(name)),
    Options.withDescription(description),
    Options.optional
  )

/** The options and arguments of `helicone-eval run`. */
export const runOptions = {
  files: Args.text({ name: "file | directory | glob" }).pipe(
    Args.withDescription(
      "Eval files to load (TypeScript needs no build step). A directory loads every *.eval.ts (.mts, .cts, .js, " +
        ".mjs, .cjs) below it; a glob takes *, **, ?, {a,b} and [abc]. Default: every eval file below the " +
        "current directory. node_modules and dot-directories are skipped."
    ),
    Args.repeated
  ),
  concurrency: atLeastOne("concurrency", "Cases run at the same time, in every suite (overrides the suite's)."),
  trials: atLeastOne("trials", "Times each case runs (overrides the suite's)."),
  timeout: Options.text("timeout").pipe(
    Options.withPseudoName("duration"),
    Options.withSchema(CliOptions.CaseTimeoutFromText),
    Options.withDescription(
      "Time limit per case: 500ms, 30s, 2m, or off for none (overrides the suite's; the default is 10 minutes)."
    ),
    Options.optional
  ),
  filter: valueOption("filter", "text", "Run only the suites whose name contains this text (case-insensitive)."),
  json: valueOption(
    "json",
    "file",
    "Write the report as JSON; with several suites report.json becomes report.<suite>.json."
  ),
  junit: valueOption("junit", "file", "Write the report as JUnit XML, for CI test views."),
  html: valueOption(
    "html",
    "file",
    "Write the report as one self-contained HTML page (opens from disk, no network); named per suite as --json."
  ),
  markdown: valueOption(
    "markdown",
    "file",
    "Write a markdown summary of every suite, for a pull-request comment; it is also appended to " +
      "$GITHUB_STEP_SUMMARY when that is set."
  ),
  baseline: valueOption(
    "baseline",
    "report.json",
    "Compare with an earlier JSON report of the suite (report.<suite>.json for several suites, as --json names " +
      "them): per scorer, the paired difference with its interval and whether it is real."
  ),
  failOnRegression: Options.boolean("fail-on-regression").pipe(
    Options.withDescription(
      "With --baseline: fail the run (exit 1) when a scorer regressed significantly (Holm-corrected across " +
        "scorers, alpha 0.05) and by at least --min-difference. A run that only got noisier passes."
    )
  ),
  minDifference: Options.text("min-difference").pipe(
    Options.withPseudoName("x"),
    Options.withSchema(CliOptions.MinDifferenceFromText),
    Options.withDescription("The smallest drop in a mean, from 0 to 1, that --fail-on-regression counts. Default 0."),
    Options.optional
  ),
  shard: Options.text("shard").pipe(
    Options.withPseudoName("i/n"),
    Options.withSchema(CliOptions.ShardFromText),
    Options.withDescription(
      "Run the ith of n deterministic parts of each suite's cases, split by case key; merge the shards' JSON " +
        "reports with helicone-eval merge."
    ),
    Options.optional
  ),
  thresholds: Options.keyValueMap("threshold").pipe(
    Options.withPseudoName("scorer=value"),
    Options.mapEffect(CliOptions.thresholdsOf),
    Options.withDescription(
      "The mean score a scorer must reach, from 0 to 1, merged over the suite's thresholds; a run below it exits 1."
    ),
    Options.optional
  ),
  maxErrors: Options.text("max-errors").pipe(
    Options.withPseudoName("n | n%"),
    Options.withSchema(CliOptions.MaxErrorsFromText),
    Options.withDescription(
      "Errored cases a suite may have and still pass: a count (5) or a percentage of its cases (2%), overriding " +
        "the suite's maxErrors. Default: none."
    ),
    Options.optional
  ),
  limit: atLeastOne("limit", "Run only the first n cases of each suite."),
  sample: atLeastOne("sample", "Run n cases of each suite drawn at random (reproducibly with --seed)."),
  seed: Options.integer("seed").pipe(
    Options.withPseudoName("n"),
    Options.withDescription(
      "The seed --sample draws with; the same seed draws the same cases. Default: a random one, printed."
    ),
    Options.optional
  ),
  cases: Options.text("case").pipe(
    Options.withPseudoName("pattern"),
    Options.withDescription(
      "Run only the cases whose name or input contains this text (case-insensitive); repeat it for several."
    ),
    Options.repeated,
    Options.withSchema(Schema.mutable(Schema.Array(CliOptions.Value("case", "pattern"))))
  ),
  typecheck: Options.boolean("typecheck", { negationNames: ["no-typecheck"] }).pipe(
    Options.withDescription(
      "Type-check the TypeScript eval files before running them (a type error is exit 2), with the typescript " +
        "package of your project. Default: on when CI is set."
    ),
    Options.withFallbackConfig(CliOptions.ciConfig)
  ),
  keepRuns: atLeastOne("keep-runs", "Cases files of each suite kept in .helicone-eval/ (the newest). Default 10."),
  helicone: Options.boolean("helicone").pipe(
    Options.withDescription(
      "Send each case's scores to Helicone: HELICONE_API_KEY, and HELICONE_BASE_URL or HELICONE_REGION. Scores " +
        "Helicone does not take wait in .helicone-outbox/ for the next run."
    )
  ),
  local: Options.boolean("local").pipe(
    Options.withDescription(
      "Send the scores to a Helicone-compatible server started in this process (needs @helicone-effect/local), " +
        "stored in .helicone-local/helicone.db."
    )
  ),
  recording: Options.file("recording").pipe(
    Options.withSchema(CliOptions.Value("recording", "file")),
    Options.withDescription(
      "With --local: the embedded server's gateway answers the suites' model calls from this JSONL recording " +
        "(see @helicone-effect/local), offline; an eval file's HeliconeGateway.layerConfig() is pointed at it."
    ),
    Options.optional
  ),
  deliveryTimeout: Options.text("delivery-timeout").pipe(
    Options.withPseudoName("duration"),
    Options.withSchema(CliOptions.durationFor("delivery-timeout")),
    Options.withDescription(
      "With --helicone or --local, how long to wait after the run for every score to be accepted or " +
        "dead-lettered. Default 60s."
    ),
    Options.optional
  ),
  strictDelivery: Options.boolean("strict-delivery", { negationNames: ["no-strict-delivery"] }).pipe(
    Options.withDescription(
      `A score still in the outbox after --delivery-timeout fails the run (exit ${CliOptions.deliveryExitCode}). ` +
        "Default: on when CI is set (a CI machine's outbox goes with it)."
    ),
    Options.withFallbackConfig(CliOptions.ciConfig)
  ),
  cache: Options.choice("cache", CliOptions.cacheModes).pipe(
    Options.withDescription(
      "How model calls use the call cache (.helicone-eval/cache/): auto answers from it and stores what it lacks, " +
        "record always calls and stores, replay answers from it only (a missing call fails its case, with no " +
        "network call), off neither reads nor writes. Default: $HELICONE_EVAL_CACHE, else off."
    ),
    Options.withDefault(CliOptions.defaultCacheMode),
    Options.withFallbackConfig(CliOptions.cacheConfig)
  ),
  cacheDir: Options.directory("cache-dir").pipe(
    Options.withSchema(CliOptions.Value("cache-dir", "directory")),
    Options.withDescription("The call cache --dry-run reads. Default .helicone-eval/cache."),
    Options.withDefault(CliOptions.defaultCacheDir)
  ),
  prices: Options.file("prices").pipe(
    Options.withSchema(CliOptions.Value("prices", "file")),
    Options.withDescription(
      "A JSON price table over the built-in prices: { \"<model>\": { \"input\": usd, \"output\": usd } }, in US " +
        "dollars per million tokens. A bad table is exit 2 before anything runs."
    ),
    Options.optional
  ),
  maxCost: Options.float("max-cost").pipe(
    Options.withPseudoName("usd"),
    Options.withSchema(CliOptions.MaxCost),
    Options.withDescription(
      `Stop starting cases once the run's model calls cost this much, in US dollars, over every suite: the partial ` +
        `report is printed and written, and the exit code is ${CliOptions.budgetExitCode}.`
    ),
    Options.optional
  ),
  dryRun: Options.boolean("dry-run").pipe(
    Options.withDescription(
      "Run nothing and send nothing: print per suite the cases and trials it would run, the calls the cache " +
        "would answer, and the calls, tokens and cost to expect for the rest (from the cache's recorded calls)."
    )
  ),
  noColor: Options.boolean("no-color").pipe(
    Options.withDescription("No colours; also when NO_COLOR is set, or when the output is not a terminal."),
    Options.withFallbackConfig(Config.string("NO_COLOR").pipe(Config.map((value) => value !== "")))
  )
}

/** `$GITHUB_STEP_SUMMARY`: the file a GitHub Actions step appends its job summary to. */
const stepSummaryConfig = Config.option(Config.string("GITHUB_STEP_SUMMARY")).pipe(
  Effect.orElseSucceed(() => Option.none<string>())
)

/** The options of `run` that take a value, as typed: what a leftover file argument with that name means. */
export const valueOptions: ReadonlySet<string> = new Set([
  "--concurrency",
  "--trials",
  "--timeout",
  "--filter",
  "--json",
  "--junit",
  "--html",
  "--markdown",
  "--baseline",
  "--min-difference",
  "--shard",
  "--threshold",
  "--max-errors",
  "--limit",
  "--sample",
  "--seed",
  "--case",
  "--keep-runs",
  "--delivery-timeout",
  "--cache",
  "--cache-dir",
  "--prices",
  "--max-cost"
])

const footer = HelpDoc.blocks([
  HelpDoc.h1("EXAMPLES"),
  ...[
    "helicone-eval run",
    "helicone-eval run evals/support.eval.ts --threshold exactMatch=0.8",
    "helicone-eval run \"evals/**/*.eval.ts\" --concurrency 4 --timeout 30s",
    "helicone-eval run evals --json reports/eval.json --junit reports/junit.xml",
    "helicone-eval run evals --local",
    "HELICONE_API_KEY=sk-... helicone-eval run evals --helicone",
    "helicone-eval run evals --case refund --sample 20 --seed 7 --max-errors 2%",
    "helicone-eval run evals --cache replay",
    "helicone-eval run evals --dry-run --prices prices.json",
    "helicone-eval run evals --cache auto --prices prices.json --max-cost 5",
    "helicone-eval outbox send"
  ].map((line) => HelpDoc.p(Span.code(line))),
  HelpDoc.h1("EXIT CODES"),
  HelpDoc.descriptionList([
    [Span.text("0"), HelpDoc.p("Every suite met its thresholds.")],
    [
      Span.text("1"),
      HelpDoc.p(
        "A suite failed: its data could not be read, nothing was scored, too many cases errored, or a " +
          "threshold was missed."
      )
    ],
    [
      Span.text("2"),
      HelpDoc.p(
        "A usage or configuration error, said on stderr (a type error in an eval file, Helicone refusing the " +
          "API key)."
      )
    ],
    [
      Span.text(String(CliOptions.deliveryExitCode)),
      HelpDoc.p("With CI set or --strict-delivery: scores still in the outbox after --delivery-timeout.")
    ],
    [
      Span.text(String(CliOptions.budgetExitCode)),
      HelpDoc.p("--max-cost was reached: cases were left unstarted; the partial report is printed and written.")
    ],
    [Span.text("130"), HelpDoc.p("Interrupted (Ctrl-C): the partial report is still printed and written.")]
  ])
])

/**
 * `helicone-eval` and its command `run`, whose exit code goes to `exitCode`. `execute` is the run itself, given the
 * parsed command line.
 */
export const make = <R, R2, R3>(
  execute: (args: CliRun.RunArgs) => Effect.Effect<number, CliError.CliError, R>,
  exitCode: Ref.Ref<number>,
  tty: boolean,
  outbox: (args: CliOutbox.OutboxArgs) => Effect.Effect<number, CliError.CliError, R2>,
  merge: (args: CliMerge.MergeArgs) => Effect.Effect<number, CliError.CliError, R3>
) => {
  const setExitCode = Effect.flatMap((code: number) => Ref.set(exitCode, code))
  const local = Options.boolean("local").pipe(
    Options.withDescription("The embedded server's outbox (.helicone-local/, what --local left) instead of Helicone's.")
  )
  const send = Command.make("send", {
    local,
    deliveryTimeout: runOptions.deliveryTimeout
  }, (options) =>
    outbox({
      action: "send",
      local: options.local,
      deliveryTimeout: Option.getOrElse(options.deliveryTimeout, () => CliOptions.defaultDeliveryTimeout)
    }).pipe(setExitCode)).pipe(
      Command.withDescription(
        "Send what the outbox holds, and the dead letters again, to Helicone (HELICONE_API_KEY, HELICONE_BASE_URL), " +
          `waiting until each is accepted or rejected (exit ${CliOptions.deliveryExitCode} if some are left).`
      )
    )
  const drop = Command.make("drop", {
    local,
    yes: Options.boolean("yes").pipe(
      Options.withAlias("y"),
      Options.withDescription("Drop without asking (needed without a terminal).")
    )
  }, (options) => outbox({ action: "drop", local: options.local, yes: options.yes }).pipe(setExitCode)).pipe(
    Command.withDescription("Delete the outbox and the dead letters, after a confirmation: they will not be sent.")
  )
  const outboxCommand = Command.make(
    "outbox",
    { local },
    (options) => outbox({ action: "list", local: options.local }).pipe(setExitCode)
  ).pipe(
    Command.withDescription(
      "List the scores waiting in the outbox (.helicone-outbox/) and the dead letters Helicone rejected: counts, " +
        "and the first request ids with their score names and reasons."
    ),
    Command.withSubcommands([send, drop])
  )
  const run = Command.make(
    "run",
    runOptions,
    (options) =>
      Effect.flatMap(stepSummaryConfig, (stepSummary) =>
        execute({
          files: options.files,
          concurrency: Option.getOrUndefined(options.concurrency),
          trials: Option.getOrUndefined(options.trials),
          timeout: Option.getOrUndefined(options.timeout),
          filter: Option.getOrUndefined(options.filter),
          json: Option.getOrUndefined(options.json),
          junit: Option.getOrUndefined(options.junit),
          html: Option.getOrUndefined(options.html),
          markdown: Option.getOrUndefined(options.markdown),
          baseline: Option.getOrUndefined(options.baseline),
          failOnRegression: options.failOnRegression,
          minDifference: Option.getOrUndefined(options.minDifference),
          shard: Option.getOrUndefined(options.shard),
          stepSummary: Option.getOrUndefined(Option.filter(stepSummary, (path) => path !== "")),
          thresholds: Option.getOrUndefined(options.thresholds),
          maxErrors: Option.getOrUndefined(options.maxErrors),
          limit: Option.getOrUndefined(options.limit),
          sample: Option.getOrUndefined(options.sample),
          seed: Option.getOrUndefined(options.seed),
          cases: options.cases,
          typecheck: options.typecheck,
          keepRuns: Option.getOrElse(options.keepRuns, () => CliOptions.defaultKeepRuns),
          helicone: options.helicone,
          local: options.local,
          recording: Option.getOrUndefined(options.recording),
          deliveryTimeout: Option.getOrElse(options.deliveryTimeout, () => CliOptions.defaultDeliveryTimeout),
          strictDelivery: options.strictDelivery,
          cache: options.cache,
          cacheDir: options.cacheDir,
          prices: Option.getOrUndefined(options.prices),
          maxCost: Option.getOrUndefined(options.maxCost),
          dryRun: options.dryRun,
          color: tty && !options.noColor
        })).pipe(Effect.flatMap((code) => Ref.set(exitCode, code)))
  ).pipe(
    Command.withDescription(
      "Load eval files, run the suites they export and print their reports (exit code 1 if a threshold failed)."
    )
  )
  const mergeCommand = Command.make("merge", {
    files: Args.text({ name: "report.json" }).pipe(
      Args.withDescription("The JSON reports of the shards (run --shard i/n --json shard-i.json); patterns expand."),
      Args.repeated
    ),
    json: runOptions.json,
    junit: runOptions.junit,
    html: runOptions.html,
    markdown: runOptions.markdown,
    noColor: runOptions.noColor
  }, (options) =>
    merge({
      files: options.files,
      json: Option.getOrUndefined(options.json),
      junit: Option.getOrUndefined(options.junit),
      html: Option.getOrUndefined(options.html),
      markdown: Option.getOrUndefined(options.markdown),
      color: tty && !options.noColor
    }).pipe(setExitCode)).pipe(
      Command.withDescription(
        "Merge the JSON reports of a run's shards into the report one run would have written: cases, means, " +
          "intervals, thresholds, the verdict and the baseline comparison (exit 1 if it failed)."
      )
    )
  return Command.make(program.name, {}, () => Effect.fail(new CliError.MissingCommand())).pipe(
    Command.withDescription("Run eval suites, print and write their reports, and send their scores to Helicone."),
    Command.withSubcommands([run, mergeCommand, outboxCommand])
  )
}

/** Parses `argv` (node, the script, then the arguments) and runs what it asks for. */
export const run = <R, E, A>(
  command: Command.Command<typeof program.name, R, E, A>,
  argv: ReadonlyArray<string>
): Effect.Effect<void, E | ValidationError.ValidationError, R | CliApp.CliApp.Environment> =>
  Command.run(command, { name: program.name, version: program.version, footer })(argv).pipe(
    Effect.provide(CliConfig.layer({ showBuiltIns: false }))
  )
