/**
 * `helicone-eval outbox`: what a run left for Helicone. The score queue keeps what Helicone did not take yet in its
 * outbox (`outbox.jsonl`, and `outbox.jsonl.replay` while a replay is under way, delivered up to the byte offset in
 * `outbox.jsonl.replay.offset`) and what Helicone rejected for good in its dead letters (`dead-letter.jsonl`), one
 * JSON line per submission, in `.helicone-outbox/` (`--local`: `.helicone-local/`, beside the embedded server's
 * database). They are read and cleared through core's `ScoreOutbox`, which knows their format and the lock.
 *
 * - `outbox` lists them: counts, and the first few request ids with their score names (and, for a dead letter, why);
 * - `outbox send` opens a queue on them, which replays the outbox, moves the dead letters back into delivery, and
 *   waits (`--delivery-timeout`) until each is accepted or dead-lettered again;
 * - `outbox drop` removes the files, once confirmed (`--yes` confirms; without a terminal it must be given).
 *
 * @internal
 */
import * as Prompt from "@effect/cli/Prompt"
import type * as FileSystem from "@effect/platform/FileSystem"
import type * as Terminal from "@effect/platform/Terminal"
import * as ScoreOutbox from "@helicone-effect/core/ScoreOutbox"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as NodePath from "node:path"
import * as CliError from "../CliError.js"
import * as Delivery from "./delivery.js"
import * as CliOptions from "./options.js"
import * as PackageManager from "./packageManager.js"

/** The parsed command line of `outbox`, `outbox send` and `outbox drop`. */
export type OutboxArgs =
  | { readonly action: "list"; readonly local: boolean }
  | { readonly action: "send"; readonly local: boolean; readonly deliveryTimeout: Duration.Duration }
  | { readonly action: "drop"; readonly local: boolean; readonly yes: boolean }

/** Where the command runs and where its text goes. */
export interface Environment {
  readonly cwd: string
  readonly out: (text: string) => void
  readonly err: (text: string) => void
  readonly userAgent: string | undefined
  /** Whether there is a terminal to ask for a confirmation on. */
  readonly interactive: boolean
}

/** The outbox directories, relative to the working directory, as `run` uses them. */
const directory = (local: boolean) => local ? ".helicone-local" : ".helicone-outbox"

interface Files {
  readonly dir: string
  readonly outbox: string
  readonly deadLetter: string
}

const filesOf = (cwd: string, local: boolean): Files => {
  const dir = NodePath.resolve(cwd, directory(local))
  return { dir, outbox: NodePath.join(dir, "outbox.jsonl"), deadLetter: NodePath.join(dir, "dead-letter.jsonl") }
}

/** What the files hold, the first `shown` entries of each listed. */
const contentsOf = (files: Files, limit = shown) =>
  ScoreOutbox.read({ outboxPath: files.outbox, deadLetterPath: files.deadLetter, limit }).pipe(Effect.orDie)

const shown = 5

const number = (n: number) => n.toLocaleString("en-US")

const describeFile = (
  label: string,
  path: string,
  held: {
    readonly count: number
    readonly unreadable: number
    readonly entries: ReadonlyArray<ScoreOutbox.OutboxEntry | ScoreOutbox.DeadLetterEntry>
  },
  cwd: string
): string => {
  const head = `${label} ${NodePath.relative(cwd, path)}: ${number(held.count)} score${held.count === 1 ? "" : "s"}\n`
  const examples = held.entries.map((entry) =>
    `  ${entry.requestId}  ${entry.scoreNames.join(", ")}${"reason" in entry ? `  — ${entry.reason.message}` : ""}\n`
  )
  const more = held.count > held.entries.length ? `  … and ${number(held.count - held.entries.length)} more\n` : ""
  const unreadable = held.unreadable > 0
    ? `  ${number(held.unreadable)} line${held.unreadable === 1 ? "" : "s"} that cannot be read\n`
    : ""
  return head + examples.join("") + more + unreadable
}

/** Lists the outbox and the dead letters; answers 0. */
const list = (env: Environment, local: boolean) =>
  Effect.gen(function*() {
    const files = filesOf(env.cwd, local)
    const { deadLetters: dead, outbox } = yield* contentsOf(files)
    if (outbox.count + outbox.unreadable + dead.count + dead.unreadable === 0) {
      env.out(`nothing in ${NodePath.relative(env.cwd, files.dir) || "."}: every score was delivered\n`)
      return 0
    }
    env.out(describeFile("outbox", files.outbox, outbox, env.cwd))
    env.out(describeFile("dead letters", files.deadLetter, dead, env.cwd))
    const send = PackageManager.commandLine(`helicone-eval outbox send${local ? " --local" : ""}`, env.userAgent)
    const drop = PackageManager.commandLine(`helicone-eval outbox drop${local ? " --local" : ""}`, env.userAgent)
    env.out(`send them with ${send}, or clear them with ${drop}\n`)
    return 0
  })

/** Resends the outbox and the dead letters; answers 0 when all were accepted or dead-lettered again, else 3. */
const send = (env: Environment, local: boolean, timeout: Duration.Duration) =>
  Effect.gen(function*() {
    const files = filesOf(env.cwd, local)
    const contents = yield* contentsOf(files, 0)
    const outbox = contents.outbox.count
    const dead = contents.deadLetters.count
    const Helicone = yield* Effect.promise(() => import("./helicone.js"))
    const target = local
      ? yield* Helicone.local(NodePath.resolve(env.cwd, Helicone.localDatabase))
      : yield* Helicone.fromEnvironment(files.dir)
    yield* target.queue.resendDeadLetters.pipe(Effect.orDie)
    env.err(
      `sending ${number(outbox)} score${outbox === 1 ? "" : "s"} from the outbox and ${number(dead)} dead ` +
        `letter${dead === 1 ? "" : "s"} to ${target.baseUrl}\n`
    )
    const delivery = yield* Delivery.awaitDelivery({
      queue: target.queue,
      timeout,
      strict: true,
      where: NodePath.relative(env.cwd, files.dir),
      baseUrl: target.baseUrl,
      resend: PackageManager.commandLine(`helicone-eval outbox send${local ? " --local" : ""}`, env.userAgent),
      err: env.err
    })
    env.out(`${delivery.summary}\n`)
    if (delivery.failure !== undefined) env.err(`helicone-eval: ${delivery.failure}\n`)
    return delivery.left === 0 ? 0 : CliOptions.deliveryExitCode
  }).pipe(Effect.scoped)

/** Removes the outbox and the dead letters once confirmed; answers 0, or 1 when the user said no. */
const drop = (env: Environment, local: boolean, yes: boolean) =>
  Effect.gen(function*() {
    const files = filesOf(env.cwd, local)
    const contents = yield* contentsOf(files, 0)
    const outbox = contents.outbox.count + contents.outbox.unreadable
    const dead = contents.deadLetters.count + contents.deadLetters.unreadable
    if (outbox + dead === 0) {
      env.out(`nothing to drop in ${NodePath.relative(env.cwd, files.dir) || "."}\n`)
      return 0
    }
    const what = `${number(outbox)} score${outbox === 1 ? "" : "s"} in the outbox and ${number(dead)} dead ` +
      `letter${dead === 1 ? "" : "s"} in ${NodePath.relative(env.cwd, files.dir)}`
    if (!yes) {
      if (!env.interactive) {
        return yield* new CliError.ConfirmationNeeded({ command: "outbox drop" })
      }
      const confirmed = yield* Prompt.confirm({ message: `Drop ${what}? They will not reach Helicone.` }).pipe(
        Effect.orElseSucceed(() => false)
      )
      if (!confirmed) {
        env.out("nothing dropped\n")
        return 1
      }
    }
    // The lock tells a queue of a running process (a run still delivering) from one that is gone.
    yield* ScoreOutbox.drop({ outboxPath: files.outbox, deadLetterPath: files.deadLetter }).pipe(
      Effect.catchTag("OutboxLocked", (error) =>
        new CliError.OutboxInUse({ dir: NodePath.relative(env.cwd, files.dir), pid: error.pid ?? Number.NaN })),
      Effect.catchTag("SystemError", "BadArgument", Effect.die)
    )
    env.out(`dropped ${what}\n`)
    return 0
  })

/** Runs `outbox`, `outbox send` or `outbox drop`. */
export const run = (
  args: OutboxArgs,
  env: Environment
): Effect.Effect<
  number,
  CliError.HeliconeSetupError | CliError.HeliconeUnauthorized | CliError.ConfirmationNeeded | CliError.OutboxInUse,
  FileSystem.FileSystem | Terminal.Terminal
> => {
  switch (args.action) {
    case "list":
      return list(env, args.local)
    case "send":
      return send(env, args.local, args.deliveryTimeout)
    case "drop":
      return drop(env, args.local, args.yes)
  }
}
