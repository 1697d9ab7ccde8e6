/**
 * The demo, as a program you can read top to bottom: run the triage suite, whose task calls a model through
 * Helicone's gateway; send every case's scores to Helicone through a durable ScoreQueue; read a few logged requests
 * back with their scores; write the reports.
 *
 * With no HELICONE_API_KEY, "Helicone" is an embedded Helicone-compatible server (`@helicone-effect/local`) whose
 * gateway answers the model calls from recorded answers (fixtures/recording.jsonl): no key, no network.
 */
import { Cli } from "@helicone-effect/cli"
import { Eval, type EvalReport, type ModelCalls, Reporter } from "@helicone-effect/evaluator"
import { Effect, Layer } from "effect"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import suite, { modelLayer } from "./triage.eval.js"

export interface DemoOptions {
  /** Where the JSON, JUnit and HTML reports go, and the call cache (`cache/`). */
  readonly outputDir: string
  /** Where the demo's own lines go (the eval's progress and summary go to the terminal). */
  readonly log: (line: string) => void
  /** Colours and a live progress bar; default: when the terminal supports them. */
  readonly terminal?: Parameters<typeof Reporter.terminal>[0]
  /** How the call cache is used (`HELICONE_EVAL_CACHE`, default `off`): `replay` reruns the demo with no model call. */
  readonly cache?: ModelCalls.CacheMode | undefined
  /** How fast the recorded answers come back: 1 at their recorded latency, 0 at once. Default 0.25. */
  readonly replaySpeed?: number | undefined
}

/** A logged request read back from the embedded server, as Helicone's `GET /v1/request/{id}` shapes it. */
export interface LoggedRequest {
  readonly case: string | undefined
  readonly requestId: string
  readonly model: unknown
  readonly latencyMs: unknown
  readonly promptTokens: unknown
  readonly completionTokens: unknown
  readonly scores: unknown
}

export interface DemoResult {
  readonly report: EvalReport.EvalReport
  /** Where the scores went: the embedded server's URL or Helicone's. */
  readonly helicone: { readonly kind: "embedded" | "helicone"; readonly baseUrl: string }
  /** For the embedded server: how many of the run's requests have scores stored, read back over its API. */
  readonly stored: number | undefined
  /** For the embedded server: how many of the cases' requests its gateway logged (a model call made). */
  readonly logged: number | undefined
  /** For the embedded server: a few logged requests, read back with their scores. */
  readonly requests: ReadonlyArray<LoggedRequest>
  readonly files: { readonly json: string; readonly junit: string; readonly html: string }
}

const recording = fileURLToPath(new URL("../fixtures/recording.jsonl", import.meta.url))

/** Helicone from the environment when HELICONE_API_KEY is set, else a server started in this process. */
const chooseHelicone = (log: (line: string) => void, outputDir: string, replaySpeed: number) =>
  Effect.gen(function*() {
    // the same choice as `helicone-eval run --helicone` / `--local`: Helicone and a durable ScoreQueue over it. Each
    // case's scores are offered to the queue (the run never waits for Helicone), the run waits for the queue's flush
    // at the end, and what Helicone could not take (an outage) stays in the outbox for a later replay.
    const target = yield* Cli.helicone({
      // kept between runs: scores Helicone did not take are replayed by the next `pnpm demo`
      outbox: Path.join(outputDir, "outbox"),
      // the embedded server lives in memory for this run only: so does its outbox
      database: ":memory:",
      // its gateway answers the model calls from recorded answers
      recording,
      replaySpeed
    })
    if (target.kind === "helicone") {
      log(`HELICONE_API_KEY is set: the model calls go through Helicone's gateway, the scores to ${target.baseUrl}.`)
    } else {
      log(`No HELICONE_API_KEY: started an embedded Helicone-compatible server at ${target.baseUrl}`)
      log(`  (@helicone-effect/local, in memory; its gateway ${target.gatewayUrl} answers from recorded answers)`)
    }
    return target
  })

export const demo = (options: DemoOptions) =>
  Effect.gen(function*() {
    const { log } = options
    const target = yield* chooseHelicone(log, options.outputDir, options.replaySpeed ?? 0.25)
    const files = {
      json: Path.join(options.outputDir, "report.json"),
      junit: Path.join(options.outputDir, "junit.xml"),
      html: Path.join(options.outputDir, "report.html")
    }
    log("")

    // the model layer reads its gateway from the environment; for the embedded server, its own gateway under that
    const model = yield* Layer.build(modelLayer({ cacheDirectory: Path.join(options.outputDir, "cache") })).pipe(
      Effect.withConfigProvider(target.gatewayConfig)
    )

    const report = yield* Eval.run(suite, {
      reporters: [
        Reporter.terminal(options.terminal),
        Reporter.json(files.json),
        Reporter.junit(files.junit),
        Reporter.html(files.html)
      ],
      helicone: {},
      cache: options.cache ?? "off"
    }).pipe(Effect.provide(target.layer), Effect.provide(model))

    const usage = report.usage
    const calls = usage === undefined ? 0 : usage.calls.task + usage.calls.judge
    const hits = usage?.cache.hits ?? 0
    log("")
    log(
      `Model calls: ${calls} made by the task, ${calls - hits} sent through the gateway` +
        (hits > 0 ? `, ${hits} answered from the call cache (${Path.join(options.outputDir, "cache")})` : "")
    )

    let stored: number | undefined
    let logged: number | undefined
    const requests: Array<LoggedRequest> = []
    if (target.scores !== undefined && target.request !== undefined) {
      stored = 0
      logged = 0
      for (const result of report.cases) {
        const scores = yield* target.scores(result.requestId)
        if (scores !== null) stored++
        const request = yield* target.request(result.requestId)
        if (request === null) continue
        logged++
        // the first three cases, and the first one a scorer marked down
        const wanted = requests.length < 3 ||
          (requests.length === 3 && result.scores.some((score) => score.score < 1))
        if (!wanted) continue
        requests.push({
          case: result.name,
          requestId: result.requestId,
          model: request.model,
          latencyMs: request.delay_ms,
          promptTokens: request.prompt_tokens,
          completionTokens: request.completion_tokens,
          scores: request.scores
        })
      }
      log("")
      log(
        `Read back from ${target.baseUrl}: ${logged}/${report.cases.length} cases' requests logged by its gateway, ` +
          `scores stored for ${stored}/${report.cases.length}`
      )
      for (const request of requests) {
        log(
          `  ${request.case} ${request.requestId}  ${String(request.model)}  ${String(request.latencyMs)} ms  ` +
            `${String(request.promptTokens)}+${String(request.completionTokens)} tokens  ${
              JSON.stringify(request.scores)
            }`
        )
      }
      if (logged === 0 && hits > 0) {
        log("  (every answer came from the call cache: no request reached the gateway, so no score was sent)")
      }
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
    log("  pnpm --filter @helicone-effect/example-quickstart eval")
    log("    # = helicone-eval run src/triage.eval.ts --local --recording fixtures/recording.jsonl")
    log("  HELICONE_EVAL_CACHE=replay pnpm demo                     # the same run from the call cache, no model call")
    return {
      report,
      helicone: { kind: target.kind, baseUrl: target.baseUrl },
      stored,
      logged,
      requests,
      files
    } satisfies DemoResult
  })
