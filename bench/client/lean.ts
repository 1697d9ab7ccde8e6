/**
 * A prototype, not library code: how fast a score submission can be in Effect when it bypasses `HttpClient` and
 * sends through an undici `Pool` directly, against raw undici and `HeliconeScores.submitScore`, in one process, to
 * one loopback server that answers 201 to everything.
 *
 *   node --import tsx bench/client/lean.ts [submissions=10000] [concurrency=64] [rounds=3]
 *
 * Contenders, each per submission, all at the same concurrency (`Effect.forEach` for the Effect ones):
 * - raw undici: `pool.request`, read the body;
 * - lean, undici timeouts: `Effect.async` over `pool.request`, request id and scores validated as `submitScore` does,
 *   the status checked, the body read; the per-attempt timeout is undici's `headersTimeout`/`bodyTimeout`, so no
 *   extra fiber; retried with the same `Schedule` as `submitScore`; one span;
 * - lean, Effect.timeoutTo: the same with the timeout `submitScore` uses (two fibers per attempt);
 * - `submitScore` over `NodeHttpClient.layerUndici`.
 *
 * It prints CPU and wall time per submission and each ratio to raw undici. It never fails on a timing.
 */
import { NodeHttpClient } from "@effect/platform-node"
import { Duration, Effect, Layer, Logger, LogLevel, ManagedRuntime, Redacted } from "effect"
import * as Http from "node:http"
import { createRequire } from "node:module"
import type * as Net from "node:net"
import * as HeliconeScores from "../../packages/core/src/HeliconeScores.js"
import * as RequestId from "../../packages/core/src/RequestId.js"
import * as RetryPolicy from "../../packages/core/src/RetryPolicy.js"
import * as Scores from "../../packages/core/src/Scores.js"

const submissions = Number(process.argv[2] ?? 10_000)
const concurrency = Number(process.argv[3] ?? 64)
const rounds = Number(process.argv[4] ?? 3)
const scores = { accuracy: 92, grounded: true }
const apiKey = "sk-bench"

interface ResponseData {
  readonly statusCode: number
  readonly body: { readonly text: () => Promise<string>; readonly dump: () => Promise<void> }
}
interface Pool {
  readonly request: (options: {
    readonly method: "POST"
    readonly path: string
    readonly headers: Record<string, string>
    readonly body: string
    readonly headersTimeout?: number
    readonly bodyTimeout?: number
    readonly signal?: AbortSignal
  }) => Promise<ResponseData>
  readonly close: () => Promise<void>
}
const Undici = createRequire(
  createRequire(import.meta.url).resolve("@effect/platform-node/package.json")
)("undici") as { readonly Pool: new(origin: string, options: { readonly connections: number }) => Pool }

const server = Http.createServer({ keepAliveTimeout: 60_000 }, (request, response) => {
  request.resume()
  request.on("end", () => {
    response.writeHead(201, { "content-type": "application/json" })
    response.end("{\"data\":null,\"error\":null}")
  })
})
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
const baseUrl = `http://127.0.0.1:${(server.address() as Net.AddressInfo).port}`
const ids = Array.from({ length: submissions }, () => RequestId.make())
const pool = new Undici.Pool(baseUrl, { connections: concurrency })
const headers = { "content-type": "application/json", authorization: `Bearer ${apiKey}`, accept: "application/json" }
const timeout = Duration.seconds(10)

class Failed extends Error {
  readonly _tag = "HeliconeUnavailable"
}

/** One attempt over the pool; `timeouts` hands the per-attempt timeout to undici. */
const attemptOverPool = (path: string, body: string, timeouts: boolean) =>
  Effect.async<void, Failed>((resume, signal) => {
    pool.request({
      method: "POST",
      path,
      headers,
      body,
      signal,
      ...(timeouts ? { headersTimeout: Duration.toMillis(timeout), bodyTimeout: Duration.toMillis(timeout) } : {})
    }).then(
      (response) =>
        response.body.dump().then(() =>
          resume(
            response.statusCode >= 200 && response.statusCode < 300
              ? Effect.void
              : Effect.fail(new Failed(`status ${response.statusCode}`))
          )
        ),
      (cause) => resume(Effect.fail(new Failed(String(cause))))
    )
  })

const retry = RetryPolicy.schedule(RetryPolicy.defaults)

const lean = (mode: "undici timeouts" | "Effect.timeoutTo") => (i: number) =>
  Effect.gen(function*() {
    const id = yield* RequestId.validate(ids[i])
    const valid = yield* Scores.validate(scores)
    const once = attemptOverPool(
      `/v1/request/${id}/score`,
      JSON.stringify({ scores: valid }),
      mode === "undici timeouts"
    )
    const attempt = mode === "undici timeouts" ? once : Effect.timeoutFail(once, {
      duration: timeout,
      onTimeout: () => new Failed("timeout")
    })
    yield* Effect.retry(attempt, retry as never)
  }).pipe(Effect.withSpan("lean.submitScore", { captureStackTrace: false }))

const runtime = ManagedRuntime.make(
  HeliconeScores.layer({ apiKey: Redacted.make(apiKey), baseUrl }).pipe(
    Layer.provide(NodeHttpClient.layerUndici),
    Layer.merge(Logger.minimumLogLevel(LogLevel.Error))
  )
)

const pooled = async (task: (i: number) => Promise<void>) => {
  let next = 0
  const lane = async () => {
    while (next < submissions) await task(next++)
  }
  await Promise.all(Array.from({ length: concurrency }, lane))
}

const effectAll = (one: (i: number) => Effect.Effect<void, unknown, HeliconeScores.HeliconeScores>) => () =>
  runtime.runPromise(Effect.forEach(ids, (_, i) => one(i), { concurrency, discard: true }))

const contenders: ReadonlyArray<readonly [string, () => Promise<void>]> = [
  ["raw undici Pool", () =>
    pooled(async (i) => {
      const response = await pool.request({
        method: "POST",
        path: `/v1/request/${ids[i]}/score`,
        headers,
        body: JSON.stringify({ scores })
      })
      await response.body.text()
    })],
  ["lean Effect over the Pool, undici timeouts", effectAll(lean("undici timeouts"))],
  ["lean Effect over the Pool, Effect.timeoutTo", effectAll(lean("Effect.timeoutTo"))],
  ...(process.env.LEAN_PARTS === undefined ? [] : [
    [
      "  the attempt alone",
      effectAll((i) => attemptOverPool(`/v1/request/${ids[i]}/score`, JSON.stringify({ scores }), true))
    ],
    [
      "  + validation",
      effectAll((i) =>
        Effect.zipRight(
          Effect.zip(RequestId.validate(ids[i]), Scores.validate(scores)),
          attemptOverPool(`/v1/request/${ids[i]}/score`, JSON.stringify({ scores }), true)
        )
      )
    ],
    [
      "  + retry",
      effectAll((i) =>
        Effect.retry(attemptOverPool(`/v1/request/${ids[i]}/score`, JSON.stringify({ scores }), true), retry as never)
      )
    ],
    [
      "  + span",
      effectAll((i) =>
        Effect.withSpan(attemptOverPool(`/v1/request/${ids[i]}/score`, JSON.stringify({ scores }), true), "x", {
          captureStackTrace: false
        })
      )
    ]
  ] as const),
  ["HeliconeScores.submitScore (layerUndici)", effectAll((i) => HeliconeScores.submitScore(ids[i], scores))]
]

const samples = new Map<string, Array<{ readonly cpu: number; readonly wall: number }>>()
for (const [, run] of contenders) await run() // warm-up
for (let round = 0; round < rounds; round++) {
  for (const [name, run] of contenders) {
    const cpu = process.cpuUsage()
    const start = performance.now()
    await run()
    const used = process.cpuUsage(cpu)
    const list = samples.get(name) ?? []
    list.push({ cpu: (used.user + used.system) / submissions, wall: (performance.now() - start) * 1000 / submissions })
    samples.set(name, list)
  }
}
await runtime.dispose()
await pool.close()
server.close()

const median = (values: ReadonlyArray<number>) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
const raw = samples.get(contenders[0][0])!
const rawCpu = median(raw.map((s) => s.cpu))
const rawWall = median(raw.map((s) => s.wall))
console.log(`${submissions} submissions, concurrency ${concurrency}, ${rounds} rounds; per submission, medians`)
for (const [name, list] of samples) {
  const cpu = median(list.map((s) => s.cpu))
  const wall = median(list.map((s) => s.wall))
  console.log(
    `${name.padEnd(46)} cpu ${cpu.toFixed(0).padStart(5)} µs ${(rawCpu / cpu).toFixed(2)}x   wall ${
      wall.toFixed(0).padStart(5)
    } µs ${(rawWall / wall).toFixed(2)}x`
  )
}
