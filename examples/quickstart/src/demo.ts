/**
 * The demo, as a program you can read top to bottom: run the triage suite, send every case's scores to Helicone
 * (an embedded Helicone-compatible server unless HELICONE_API_KEY is set) through a durable ScoreQueue, read them
 * back, write the reports.
 */
import { Cli } from "@helicone-effect/cli"
import { Eval, type EvalReport, Reporter } from "@helicone-effect/evaluator"
import { Effect } from "effect"
import * as Path from "node:path"
import suite from "./triage.eval.js"

export interface DemoOptions {
  /** Where the JSON, JUnit and HTML reports go. */
  readonly outputDir: string
  /** Where the demo's own lines go (the eval's progress and summary go to the terminal). */
  readonly log: (line: string) => void
  /** Colours and a live progress bar; default: when the terminal supports them. */
  readonly terminal?: Parameters<typeof Reporter.terminal>[0]
}

export interface DemoResult {
  readonly report: EvalReport.EvalReport
  /** Where the scores went: the embedded server's URL or Helicone's. */
  readonly helicone: { readonly kind: "embedded" | "helicone"; readonly baseUrl: string }
  /** For the embedded server: how many of the run's requests have scores stored, read back over its API. */
  readonly stored: number | undefined
  readonly files: { readonly json: string; readonly junit: string; readonly html: string }
}

/** Helicone from the environment when HELICONE_API_KEY is set, else a server started in this process. */
const chooseHelicone = (log: (line: string) => void, outputDir: string) =>
  Effect.gen(function*() {
    // the same choice as `helicone-eval run --helicone` / `--local`: Helicone and a durable ScoreQueue over it. Each
    // case's scores are offered to the queue (the run never waits for Helicone), the run waits for the queue's flush
    // at the end, and what Helicone could not take (an outage) stays in the outbox for a later replay.
    const target = yield* Cli.helicone({
      // kept between runs: scores Helicone did not take are replayed by the next `pnpm demo`
      outbox: Path.join(outputDir, "outbox"),
      // the embedded server lives in memory for this run only: so does its outbox
      database: ":memory:"
    })
    if (target.kind === "helicone") {
      log(`HELICONE_API_KEY is set: sending scores to Helicone at ${target.baseUrl}.`)
      log("  (Helicone keeps a score only for a request it logged. These outputs are replayed, never logged, so")
      log("   expect them to be accepted but not shown; in your suite, pass ctx.heliconeHeaders to the model call.)")
    } else {
      log(`No HELICONE_API_KEY: started an embedded Helicone-compatible server at ${target.baseUrl}`)
      log("  (@helicone-effect/local, in memory; set HELICONE_API_KEY to send the scores to Helicone instead)")
    }
    return target
  })

export const demo = (options: DemoOptions) =>
  Effect.gen(function*() {
    const { log } = options
    const target = yield* chooseHelicone(log, options.outputDir)
    const files = {
      json: Path.join(options.outputDir, "report.json"),
      junit: Path.join(options.outputDir, "junit.xml"),
      html: Path.join(options.outputDir, "report.html")
    }
    log("")

    const report = yield* Eval.run(suite, {
      reporters: [
        Reporter.terminal(options.terminal),
        Reporter.json(files.json),
        Reporter.junit(files.junit),
        Reporter.html(files.html)
      ],
      helicone: {}
    }).pipe(Effect.provide(target.layer))

    let stored: number | undefined
    if (target.scores !== undefined) {
      stored = 0
      let example: string | undefined
      for (const result of report.cases) {
        const scores = yield* target.scores(result.requestId)
        if (scores === null) continue
        stored++
        if (example === undefined && result.scores.some((s) => s.score < 1)) {
          example = `  e.g. ${result.name} (request ${result.requestId}): ${JSON.stringify(scores)}`
        }
      }
      log("")
      log(`Read back from ${target.baseUrl}: scores stored for ${stored}/${report.cases.length} requests`)
      if (example !== undefined) log(example)
    }

    log("")
    log("Reports:")
    for (const file of [files.json, files.junit, files.html]) log(`  ${Path.relative(process.cwd(), file) || file}`)
    log("")
    log(
      report.passed
        ? "Suite PASSED: every case was scored and met its thresholds."
        : `Suite FAILED: ${report.verdict.reasons.map((reason) => reason.message).join("; ")}`
    )
    log("Next: the same suite from the CLI, then your own *.eval.ts the same way:")
    log("  pnpm --filter @helicone-effect/example-quickstart eval   # helicone-eval run src/triage.eval.ts --local")
    return {
      report,
      helicone: { kind: target.kind, baseUrl: target.baseUrl },
      stored,
      files
    } satisfies DemoResult
  })
