/**
 * Why `helicone-eval` stopped before or between suites: a usage or configuration problem, said in one line on
 * stderr, exit code 2. Problems with the command line itself (an option's value that does not parse) are
 * `@effect/cli`'s `ValidationError`s, which `@effect/cli` prints; they answer 2 as well.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

/**
 * `helicone-eval` with no command.
 *
 * @since 0.1.0
 * @category errors
 */
export class MissingCommand extends Schema.TaggedError<MissingCommand>("@helicone-effect/cli/MissingCommand")(
  "MissingCommand",
  {}
) {
  override get message(): string {
    return "a command is needed: helicone-eval run [files or globs…] (see helicone-eval --help)"
  }
}

/**
 * An argument of `run` that looks like an option but is none of its options; `@effect/cli` leaves it among the
 * file arguments.
 *
 * @since 0.1.0
 * @category errors
 */
export class UnknownOption extends Schema.TaggedError<UnknownOption>("@helicone-effect/cli/UnknownOption")(
  "UnknownOption",
  { option: Schema.String }
) {
  override get message(): string {
    return `unknown option ${this.option} (see helicone-eval run --help)`
  }
}

/**
 * An option that takes a value given last without one, or given twice: `@effect/cli` leaves it among the file
 * arguments.
 *
 * @since 0.1.0
 * @category errors
 */
export class MissingValue extends Schema.TaggedError<MissingValue>("@helicone-effect/cli/MissingValue")(
  "MissingValue",
  { option: Schema.String }
) {
  override get message(): string {
    return `${this.option} needs one value (see helicone-eval run --help)`
  }
}

/**
 * No eval file was found: none under the working directory (`argument` absent), or none for one argument.
 *
 * @since 0.1.0
 * @category errors
 */
export class NoEvalFiles extends Schema.TaggedError<NoEvalFiles>("@helicone-effect/cli/NoEvalFiles")(
  "NoEvalFiles",
  { argument: Schema.optional(Schema.String), cwd: Schema.String, pattern: Schema.String }
) {
  override get message(): string {
    return this.argument === undefined
      ? `no eval files (${this.pattern}) under ${this.cwd}`
      : `no eval files match "${this.argument}"`
  }
}

/**
 * An eval file threw while it was imported: a syntax error, a missing module, a throwing top level.
 *
 * @since 0.1.0
 * @category errors
 */
export class EvalFileLoadError extends Schema.TaggedError<EvalFileLoadError>(
  "@helicone-effect/cli/EvalFileLoadError"
)("EvalFileLoadError", { file: Schema.String, reason: Schema.String }) {
  override get message(): string {
    return `cannot load ${this.file}: ${this.reason}`
  }
}

/**
 * The eval files loaded export no suite.
 *
 * @since 0.1.0
 * @category errors
 */
export class NoSuites extends Schema.TaggedError<NoSuites>("@helicone-effect/cli/NoSuites")("NoSuites", {
  files: Schema.Array(Schema.String)
}) {
  override get message(): string {
    return `no eval suites exported by ${this.files.join(", ")}`
  }
}

/**
 * `--filter` matched none of the suites found.
 *
 * @since 0.1.0
 * @category errors
 */
export class NoSuiteMatches extends Schema.TaggedError<NoSuiteMatches>("@helicone-effect/cli/NoSuiteMatches")(
  "NoSuiteMatches",
  { filter: Schema.String, found: Schema.Array(Schema.String) }
) {
  override get message(): string {
    return `no suite matches --filter "${this.filter}" (found: ${this.found.join(", ")})`
  }
}

/**
 * The `layer` an eval file exports for its suites failed to build.
 *
 * @since 0.1.0
 * @category errors
 */
export class LayerBuildError extends Schema.TaggedError<LayerBuildError>("@helicone-effect/cli/LayerBuildError")(
  "LayerBuildError",
  { file: Schema.String, reason: Schema.String }
) {
  override get message(): string {
    return `the layer exported by ${this.file} failed to build: ${this.reason}`
  }
}

/**
 * Helicone could not be set up for `--helicone` / `--local`: `HELICONE_API_KEY` missing, an invalid configuration,
 * `@helicone-effect/local` not installed or not starting, an outbox that cannot be opened.
 *
 * @since 0.1.0
 * @category errors
 */
export class HeliconeSetupError extends Schema.TaggedError<HeliconeSetupError>(
  "@helicone-effect/cli/HeliconeSetupError"
)("HeliconeSetupError", { reason: Schema.String }) {
  override get message(): string {
    return this.reason
  }
}

/**
 * A `--threshold` names a scorer that none of the suites run has (`--threshold levenstein=0.5`); `suggestion` is the
 * closest scorer name, when one is close.
 *
 * @since 0.1.0
 * @category errors
 */
export class UnknownThreshold extends Schema.TaggedError<UnknownThreshold>("@helicone-effect/cli/UnknownThreshold")(
  "UnknownThreshold",
  { name: Schema.String, suggestion: Schema.optional(Schema.String), scorers: Schema.Array(Schema.String) }
) {
  override get message(): string {
    return `--threshold ${this.name}: no suite has a scorer named "${this.name}"` +
      (this.suggestion === undefined
        ? ` (scorers: ${this.scorers.length === 0 ? "none" : this.scorers.join(", ")})`
        : `; did you mean "${this.suggestion}"?`)
  }
}

/**
 * Type checking is on (`--typecheck`, or `CI` set) and the project has no `typescript` package to check with.
 *
 * @since 0.1.0
 * @category errors
 */
export class TypeScriptMissing extends Schema.TaggedError<TypeScriptMissing>(
  "@helicone-effect/cli/TypeScriptMissing"
)("TypeScriptMissing", { install: Schema.String, reason: Schema.optional(Schema.String) }) {
  override get message(): string {
    return this.reason === undefined
      ? `type checking the eval files (--typecheck, on when CI is set) needs typescript installed: ${this.install}, ` +
        "or pass --no-typecheck"
      : `type checking the eval files (--typecheck, on when CI is set) needs typescript, which could not be used: ` +
        this.reason
  }
}

/**
 * An eval file has a type error, with type checking on (`--typecheck`, or `CI` set). `first` is the first error,
 * `file:line:column: TS<code>: message`.
 *
 * @since 0.1.0
 * @category errors
 */
export class TypeCheckFailed extends Schema.TaggedError<TypeCheckFailed>("@helicone-effect/cli/TypeCheckFailed")(
  "TypeCheckFailed",
  { first: Schema.String, errors: Schema.Number, files: Schema.Array(Schema.String) }
) {
  override get message(): string {
    const more = this.errors > 1
      ? `${this.errors} type errors in ${this.files.length} file${this.files.length === 1 ? "" : "s"}; `
      : ""
    return `type error in ${this.first} (${more}--no-typecheck runs without checking)`
  }
}

/**
 * Helicone refused the API key (401): delivery stopped at the first refusal, and the scores not delivered are kept
 * in the outbox, to be sent once the key is fixed.
 *
 * @since 0.1.0
 * @category errors
 */
export class HeliconeUnauthorized extends Schema.TaggedError<HeliconeUnauthorized>(
  "@helicone-effect/cli/HeliconeUnauthorized"
)("HeliconeUnauthorized", {
  baseUrl: Schema.String,
  status: Schema.Number,
  kept: Schema.Number,
  resend: Schema.String
}) {
  override get message(): string {
    return `Helicone at ${this.baseUrl} refused HELICONE_API_KEY (${this.status}): delivery stopped, ${this.kept} ` +
      `score${this.kept === 1 ? "" : "s"} kept in the outbox; fix the key, then ${this.resend}`
  }
}

/**
 * `helicone-eval outbox drop` without a terminal to confirm on, and without `--yes`.
 *
 * @since 0.1.0
 * @category errors
 */
export class ConfirmationNeeded extends Schema.TaggedError<ConfirmationNeeded>(
  "@helicone-effect/cli/ConfirmationNeeded"
)("ConfirmationNeeded", { command: Schema.String }) {
  override get message(): string {
    return `${this.command} asks for a confirmation, and there is no terminal to ask on: pass --yes`
  }
}

/**
 * `helicone-eval outbox drop` while another process's score queue holds the outbox (its lock file names a running
 * process): a run still delivering from it.
 *
 * @since 0.1.0
 * @category errors
 */
export class OutboxInUse extends Schema.TaggedError<OutboxInUse>("@helicone-effect/cli/OutboxInUse")(
  "OutboxInUse",
  { dir: Schema.String, pid: Schema.Number }
) {
  override get message(): string {
    return `the outbox in ${this.dir} is in use by process ${this.pid} (a run still delivering?): nothing dropped`
  }
}

/**
 * An option that only means something with another one: `--fail-on-regression` without `--baseline`.
 *
 * @since 0.1.0
 * @category errors
 */
export class OptionNeeds extends Schema.TaggedError<OptionNeeds>("@helicone-effect/cli/OptionNeeds")(
  "OptionNeeds",
  { option: Schema.String, needs: Schema.String }
) {
  override get message(): string {
    return `${this.option} needs ${this.needs}`
  }
}

/**
 * The `--baseline` report cannot be compared with: missing or unreadable, not a report, from a newer version of
 * helicone-eval, of another suite, or with a cases file that cannot be read. Nothing was run.
 *
 * @since 0.1.0
 * @category errors
 */
export class BadBaseline extends Schema.TaggedError<BadBaseline>("@helicone-effect/cli/BadBaseline")(
  "BadBaseline",
  { path: Schema.String, reason: Schema.String }
) {
  override get message(): string {
    return `--baseline: ${this.reason}`
  }
}

/**
 * `helicone-eval merge` was given reports it cannot merge: unreadable, not reports, of different suites, or not the
 * shards of one run.
 *
 * @since 0.1.0
 * @category errors
 */
export class MergeFailed extends Schema.TaggedError<MergeFailed>("@helicone-effect/cli/MergeFailed")(
  "MergeFailed",
  { reason: Schema.String }
) {
  override get message(): string {
    return `merge: ${this.reason}`
  }
}

/**
 * The `--prices` table cannot be used: the file cannot be read, is not JSON, or has a price that is missing,
 * negative or not a finite number. Nothing was run.
 *
 * @since 0.1.0
 * @category errors
 */
export class BadPriceTable extends Schema.TaggedError<BadPriceTable>("@helicone-effect/cli/BadPriceTable")(
  "BadPriceTable",
  { path: Schema.String, reason: Schema.String }
) {
  override get message(): string {
    return `--prices ${this.path}: ${this.reason}`
  }
}

/**
 * Every failure of `helicone-eval` (`run`, `outbox`) that answers exit code 2.
 *
 * @since 0.1.0
 * @category errors
 */
export type CliError =
  | MissingCommand
  | UnknownOption
  | MissingValue
  | NoEvalFiles
  | EvalFileLoadError
  | NoSuites
  | NoSuiteMatches
  | LayerBuildError
  | HeliconeSetupError
  | UnknownThreshold
  | TypeScriptMissing
  | TypeCheckFailed
  | HeliconeUnauthorized
  | ConfirmationNeeded
  | OutboxInUse
  | OptionNeeds
  | BadBaseline
  | MergeFailed
  | BadPriceTable
