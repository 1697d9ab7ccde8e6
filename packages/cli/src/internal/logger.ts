/**
 * Where the log lines of a run go (the score queue's warnings: an outage, a rate limit, a corrupt outbox line): to
 * stderr, one line each, since stdout holds the results. Two are left out because the CLI says the same once, in its
 * own words, when the run ends: that Helicone refused the API key (the one error line of exit 2), and how many scores
 * the queue's shutdown left in the outbox (the run's last line).
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Logger from "effect/Logger"

const saidByTheCli = [/refused the API key/, /scores? (?:are|is) left in the outbox/]

const text = (message: unknown): string =>
  (Array.isArray(message) ? message : [message]).map((part) => typeof part === "string" ? part : String(part)).join(
    " "
  )

/** A logger writing `helicone-eval: <level>: <message>` lines to `err`. */
export const make = (err: (text: string) => void): Logger.Logger<unknown, void> =>
  Logger.make(({ cause, logLevel, message }) => {
    const line = text(message)
    if (saidByTheCli.some((pattern) => pattern.test(line))) return
    const reason = Cause.isEmpty(cause) ? "" : `: ${Cause.pretty(cause).split("\n")[0]}`
    err(`helicone-eval: ${logLevel.label.toLowerCase()}: ${line}${reason}\n`)
  })
