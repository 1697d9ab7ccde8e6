/**
 * `helicone-eval outbox`: what a run left for Helicone. The score queue keeps what Helicone did not take yet in its
 * outbox (`outbox.jsonl`, and `outbox.jsonl.replay` while a replay is under way, delivered up to the byte offset in
 * `outbox.jsonl.replay.offset`) and what Helicone rejected for good in its dead letters (`dead-letter.jsonl`), one
 * JSON line per submission, in `.helicone-outbox/` (`--local`: `.helicone-local/`, beside the embedded server's
 * database). Core has no reading API for these files yet, so they are read here, as the queue's documentation
 * describes them.
 *
 * - `outbox` lists them: counts, and the first few request ids with their score names (and, for a dead letter, why);
 * - `outbox send` opens a queue on them, which replays the outbox, moves the dead letters back into delivery, and
 *   waits (`--delivery-timeout`) until each is accepted or dead-lettered again;
 * - `outbox drop` removes the files, once confirmed (`--yes` confirms; without a terminal it must be given).
 *
 * @internal
 */
import * as Prompt from "@effect/cli/Prompt"
import * as FileSystem from "@effect/platform/FileSystem"
import type * as Terminal from "@effect/platform/Terminal"
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
  readonly replay: string
  /** How far the replay got: the byte offset in `replay` up to which every entry was delivered. */
  readonly progress: string
  readonly deadLetter: string
}

const filesOf = (cwd: string, local: boolean): Files => {
  const dir = NodePath.resolve(cwd, directory(local))
  const outbox = NodePath.join(dir, "outbox.jsonl")
  return {
    dir,
    outbox,
    replay: `${outbox}.replay`,
    progress: `${outbox}.replay.offset`,
    deadLetter: NodePath.join(dir, "dead-letter.jsonl")
  }
}

/** One line of an outbox or dead-letter file, as far as a listing needs it. */
interface Line {
  readonly requestId: string
  readonly scores: ReadonlyArray<string>
  readonly reason: string | undefined
}

const decode = (text: string): Line | undefined => {
  try {
    const json = JSON.parse(text) as { requestId?: unknown; scores?: unknown; error?: { message?: unknown } }
    if (typeof json.requestId !== "string") return undefined
    const scores = typeof json.scores === "object" && json.scores !== null ? Object.keys(json.scores) : []
    const reason = typeof json.error?.message === "string" ? json.error.message : undefined
    return { requestId: json.requestId, scores, reason }
  } catch {
    return undefined
  }
}

const linesOf = (text: string) => text.split("\n").filter((line) => line.trim() !== "")

/** The lines of a file, blank ones skipped; none when it cannot be read. */
const readLines = (path: string) =>
  Effect.flatMap(
    FileSystem.FileSystem,
    (fs) => fs.readFileString(path).pipe(Effect.map(linesOf), Effect.orElseSucceed((): Array<string> => []))
  )

/**
 * What waits in the outbox: its file, and what a replay has not delivered yet of the file it took aside (past the
 * recorded offset when that is a line boundary, as the queue resumes it).
 */
const readOutbox = (files: Files) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const replay = yield* fs.readFile(files.replay).pipe(Effect.orElseSucceed(() => new Uint8Array(0)))
    const recorded = yield* fs.readFileString(files.progress).pipe(
      Effect.map((text) => Number(text.trim())),
      Effect.orElseSucceed(() => 0)
    )
    const from = Number.isSafeInteger(recorded) && recorded > 0 && recorded <= replay.length &&
        replay[recorded - 1] === 10
      ? recorded
      : 0
    return [...(yield* readLines(files.outbox)), ...linesOf(new TextDecoder().decode(replay.subarray(from)))]
  })

const shown = 5

const number = (n: number) => n.toLocaleString("en-US")

const describeFile = (label: string, path: string, lines: ReadonlyArray<string>, cwd: string): string => {
  const relative = NodePath.relative(cwd, path)
  const head = `${label} ${relative}: ${number(lines.length)} score${lines.length === 1 ? "" : "s"}\n`
  const examples = lines.slice(0, shown).map((text) => {
    const line = decode(text)
    if (line === undefined) return "  (a line that cannot be read)\n"
    return `  ${line.requestId}  ${line.scores.join(", ")}${line.reason === undefined ? "" : `  — ${line.reason}`}\n`
  })
  const more = lines.length > shown ? `  … and ${number(lines.length - shown)} more\n` : ""
  return head + examples.join("") + more
}

/** Lists the outbox and the dead letters; answers 0. */
const list = (env: Environment, local: boolean) =>
  Effect.gen(function*() {
    const files = filesOf(env.cwd, local)
    const outbox = yield* readOutbox(files)
    const dead = yield* readLines(files.deadLetter)
    if (outbox.length === 0 && dead.length === 0) {
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
    const outbox = (yield* readOutbox(files)).length
    const dead = (yield* readLines(files.deadLetter)).length
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

/** Whether a process with this pid runs (EPERM: it runs, as another user). */
const isRunning = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as { code?: string }).code === "EPERM"
  }
}

/** Removes the outbox and the dead letters once confirmed; answers 0, or 1 when the user said no. */
const drop = (env: Environment, local: boolean, yes: boolean) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const files = filesOf(env.cwd, local)
    const outbox = (yield* readOutbox(files)).length
    const dead = (yield* readLines(files.deadLetter)).length
    if (outbox + dead === 0) {
      env.out(`nothing to drop in ${NodePath.relative(env.cwd, files.dir) || "."}\n`)
      return 0
    }
    const holder = yield* fs.readFileString(`${files.outbox}.lock`).pipe(
      Effect.map((text) => Number(text.trim())),
      Effect.orElseSucceed(() => Number.NaN)
    )
    if (Number.isSafeInteger(holder) && holder !== process.pid && isRunning(holder)) {
      return yield* new CliError.OutboxInUse({ dir: NodePath.relative(env.cwd, files.dir), pid: holder })
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
    for (const path of [files.outbox, files.replay, files.progress, files.deadLetter]) {
      yield* fs.remove(path).pipe(
        Effect.catchTag("SystemError", (error) => error.reason === "NotFound" ? Effect.void : Effect.fail(error)),
        Effect.orDie
      )
    }
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
