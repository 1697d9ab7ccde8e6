/**
 * Delivery before exit: after the suites of a run that sent scores (`--helicone`, `--local`), the CLI waits, within
 * `--delivery-timeout`, until the queue has every score accepted by Helicone or dead-lettered, then says where the
 * scores are, counting every outbox file (the one being replayed included). With `--strict-delivery` (on when `CI`
 * is set: a CI machine's outbox goes with it), a score left in the outbox fails the run, and the reports say so with
 * a `"delivery"` reason; otherwise the outbox stays for the next run or `helicone-eval outbox send`. A refused API key
 * (401) has stopped delivery with the scores kept in the outbox: a configuration error.
 *
 * Core's queue and client are type imports here: this module runs only with a target, whose module loaded them.
 *
 * @internal
 */
import type * as ScoreQueue from "@helicone-effect/core/ScoreQueue"
import * as EvalReport from "@helicone-effect/evaluator/EvalReport"
import type * as Reporter from "@helicone-effect/evaluator/Reporter"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as CliError from "../CliError.js"

/**
 * The reporter, but when Helicone has refused the API key by the end of the suite (the queue waited for the
 * deliveries in flight), it is given the report with a `"delivery"` reason: the summary's first line then says why
 * the run stops, as the exit code (2) does.
 */
export const haltAware = <R>(
  reporter: Reporter.Reporter<R>,
  target: { readonly queue: ScoreQueue.Service; readonly baseUrl: string }
): Reporter.Reporter<R> => {
  const onEnd = reporter.onEnd
  if (onEnd === undefined) return reporter
  return {
    ...reporter,
    onEnd: (report) =>
      Effect.flatMap(target.queue.stats, (stats) =>
        onEnd(
          stats.halted === undefined ? report : EvalReport.failWith(report, {
            kind: "delivery",
            message: `Helicone at ${target.baseUrl} refused HELICONE_API_KEY (${stats.halted.status}): delivery ` +
              "stopped, the scores are kept in the outbox"
          })
        ))
  }
}

/** A wait shorter than this is not worth a line. */
const noticeable = Duration.seconds(1)

/** What the wait found. */
export interface Delivery {
  readonly report: ScoreQueue.DeliveryReport
  /** Scores that are not accepted nor dead-lettered: in the outbox, or in memory (written to it at exit). */
  readonly left: number
  /** The line saying where the scores are, the run's last. */
  readonly summary: string
  /** The line saying why the run failed, with strict delivery and scores left. */
  readonly failure: string | undefined
}

const number = (n: number) => n.toLocaleString("en-US")
const count = (n: number, noun: string) => `${number(n)} ${noun}${n === 1 ? "" : "s"}`

/**
 * Waits for the queue within `timeout`, saying so on `err` once the wait is noticeable. Fails with
 * `HeliconeUnauthorized` when Helicone refused the key.
 */
export const awaitDelivery = (options: {
  readonly queue: ScoreQueue.Service
  readonly timeout: Duration.Duration
  readonly strict: boolean
  readonly where: string
  readonly baseUrl: string
  readonly resend: string
  readonly err: (text: string) => void
}): Effect.Effect<Delivery, CliError.HeliconeUnauthorized> =>
  Effect.gen(function*() {
    const { queue } = options
    const started = Date.now()
    const fiber = yield* Effect.fork(Effect.either(queue.awaitDelivery({ timeout: options.timeout })))
    let waited = false
    if (Option.isNone(yield* Fiber.join(fiber).pipe(Effect.timeoutOption(noticeable)))) {
      waited = true
      options.err(
        `waiting for the scores to reach ${options.baseUrl} (at most ${
          Duration.format(options.timeout)
        }, --delivery-timeout)\n`
      )
    }
    const outcome = yield* Fiber.join(fiber)
    if (Either.isLeft(outcome)) {
      const stats = yield* queue.stats
      return yield* new CliError.HeliconeUnauthorized({
        baseUrl: options.baseUrl,
        status: outcome.left.status,
        kept: stats.inOutbox,
        resend: options.resend
      })
    }
    const report = outcome.right
    const seconds = ((Date.now() - started) / 1000).toFixed(1)
    if (waited) options.err(`waited ${seconds}s for delivery after the run\n`)
    const left = report.inOutbox + report.inMemory
    const summary = `helicone: ${number(report.delivered)} delivered, ${number(report.deadLettered)} dead-lettered, ` +
      `${number(left)} in the outbox (${options.where})` +
      (left === 0 || options.strict ? "" : `; send them with ${options.resend}, or the next run will`)
    const failure = left > 0 && options.strict
      ? `${count(left, "score")} not delivered within ${Duration.format(options.timeout)} (--delivery-timeout): ` +
        `${number(report.inOutbox)} in the outbox ${options.where}, ${number(report.inMemory)} in memory, written ` +
        `there at exit; ${number(report.delivered)} delivered, ${number(report.deadLettered)} dead-lettered`
      : undefined
    return { report, left, summary, failure }
  })
