/**
 * HeliconeScores.submitScore throughput against raw undici, in one process, to one loopback `node:http` server that
 * answers every request with 201 `{"data":null,"error":null}` (so the server is not the bottleneck).
 *
 *   node --import tsx bench/client/index.ts [submissions=20000] [concurrency=64] [rounds=3]
 *
 * Each round runs every contender once, in turn, after an untimed warm-up of each. Prints the rates, the medians and
 * the ratio to raw undici; it never fails on a timing.
 */
import { NodeFileSystem, NodeHttpClient } from "@effect/platform-node"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { Effect, Layer, Logger, LogLevel, ManagedRuntime, Redacted } from "effect"
import * as Fs from "node:fs"
import * as Http from "node:http"
import { createRequire } from "node:module"
import type * as Net from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"
import * as HeliconeScores from "../../packages/core/src/HeliconeScores.js"
import * as RequestId from "../../packages/core/src/RequestId.js"
import * as ScoreQueue from "../../packages/core/src/ScoreQueue.js"

const submissions = Number(process.argv[2] ?? 20_000)
const concurrency = Number(process.argv[3] ?? 64)
const rounds = Number(process.argv[4] ?? 3)
const scores = { accuracy: 92, grounded: true }
const apiKey = "sk-bench"

/** The part of undici's `Pool` this bench uses. */
interface Pool {
  readonly request: (options: {
    readonly method: "POST"
    readonly path: string
    readonly headers: Record<string, string>
    readonly body: string
  }) => Promise<{ readonly statusCode: number; readonly body: { readonly text: () => Promise<string> } }>
  readonly close: () => Promise<void>
}

// undici as @effect/platform-node resolves it: the same copy that `NodeHttpClient.layerUndici` drives
const Undici = createRequire(
  createRequire(import.meta.url).resolve("@effect/platform-node/package.json")
)("undici") as { readonly Pool: new(origin: string, options: { readonly connections: number }) => Pool }

/** Temporary directories of the queue contenders, removed at the end. */
const directories: Array<string> = []

const server = Http.createServer({ keepAliveTimeout: 60_000 }, (request, response) => {
  request.resume()
  request.on("end", () => {
    response.writeHead(201, { "content-type": "application/json" })
    response.end("{\"data\":null,\"error\":null}")
  })
})
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
const baseUrl = `http://127.0.0.1:${(server.address() as Net.AddressInfo).port}`
let connections = 0
server.on("connection", () => connections++)

const ids = Array.from({ length: submissions }, () => RequestId.make())

/** Runs `task(i)` for every submission with at most `concurrency` in flight. */
const pooled = async (task: (i: number) => Promise<void>) => {
  let next = 0
  const lane = async () => {
    while (next < submissions) await task(next++)
  }
  await Promise.all(Array.from({ length: concurrency }, lane))
}

interface Contender {
  readonly name: string
  readonly run: () => Promise<void>
  readonly close?: () => Promise<void>
}

const rawUndici = (): Contender => {
  const pool = new Undici.Pool(baseUrl, { connections: concurrency })
  return {
    name: "raw undici Pool",
    run: () =>
      pooled(async (i) => {
        const response = await pool.request({
          method: "POST",
          path: `/v1/request/${ids[i]}/score`,
          headers: {
            "content-type": "application/json",
            authorization: `Bearer ${apiKey}`,
            accept: "application/json"
          },
          body: JSON.stringify({ scores })
        })
        await response.body.text()
        if (response.statusCode !== 201) throw new Error(`status ${response.statusCode}`)
      }),
    close: () => pool.close()
  }
}

const contender = <R, E>(
  name: string,
  layer: Layer.Layer<R, E>,
  program: (context: { readonly all: Effect.Effect<void, unknown, R> }) => Effect.Effect<void, unknown, R>,
  one: (i: number) => Effect.Effect<void, unknown, R>
) => ({ name, layer, program, one })

const all = <R>(one: (i: number) => Effect.Effect<void, unknown, R>) =>
  Effect.forEach(ids, (_, i) => one(i), { concurrency, discard: true })

const effectHttp = (client: Layer.Layer<HttpClient.HttpClient>, label: string) =>
  contender(
    `Effect HttpClient (${label})`,
    client,
    (c) => c.all,
    (i) =>
      Effect.flatMap(HttpClient.HttpClient, (http) =>
        HttpClientRequest.post(`${baseUrl}/v1/request/${ids[i]}/score`).pipe(
          HttpClientRequest.bearerToken(apiKey),
          HttpClientRequest.acceptJson,
          HttpClientRequest.bodyJson({ scores }),
          Effect.flatMap(http.execute),
          Effect.flatMap((response) =>
            response.text
          ),
          Effect.scoped
        ))
  )

const scoresClient = (client: Layer.Layer<HttpClient.HttpClient>) =>
  HeliconeScores.layer({ apiKey: Redacted.make(apiKey), baseUrl }).pipe(Layer.provide(client))

const heliconeScores = (client: Layer.Layer<HttpClient.HttpClient>, label: string) =>
  contender(
    `HeliconeScores.submitScore (${label})`,
    scoresClient(client),
    (c) => c.all,
    (i) => HeliconeScores.submitScore(ids[i], scores)
  )

const scoreQueue = (client: Layer.Layer<HttpClient.HttpClient>, label: string) => {
  const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "bench-client-"))
  directories.push(dir)
  let round = 0
  return contender(
    `ScoreQueue offer + awaitDelivery (${label})`,
    Layer.merge(scoresClient(client), NodeFileSystem.layer),
    () =>
      Effect.gen(function*() {
        round++
        // a fresh queue per run, so that each run starts idle
        const queue = yield* ScoreQueue.make({
          outboxPath: Path.join(dir, `${round}`, "outbox.jsonl"),
          deadLetterPath: Path.join(dir, `${round}`, "dead-letter.jsonl")
        })
        for (let i = 0; i < submissions; i++) yield* queue.offer(ids[i], scores)
        const report = yield* queue.awaitDelivery({ timeout: "120 seconds" })
        if (!report.complete) console.log(`  (queue: ${report.delivered} delivered, ${report.inOutbox} in outbox)`)
      }).pipe(Effect.scoped),
    () => Effect.void
  )
}

type AnyContender = ReturnType<typeof contender<any, any>>

const contenders: Array<AnyContender> = [
  effectHttp(NodeHttpClient.layerUndici, "layerUndici"),
  effectHttp(FetchHttpClient.layer, "FetchHttpClient"),
  heliconeScores(NodeHttpClient.layerUndici, "layerUndici"),
  heliconeScores(FetchHttpClient.layer, "FetchHttpClient"),
  scoreQueue(NodeHttpClient.layerUndici, "layerUndici")
]
const only = process.env.BENCH_ONLY
const selected = only === undefined ? contenders : contenders.filter((c) => c.name.includes(only))

const time = async (run: () => Promise<void>) => {
  const before = connections
  const cpu = process.cpuUsage()
  const start = performance.now()
  await run()
  const used = process.cpuUsage(cpu)
  return { ms: performance.now() - start, cpu: (used.user + used.system) / 1000, connections: connections - before }
}

const results = new Map<string, Array<{ ms: number; cpu: number; connections: number }>>()
const record = (name: string, sample: { ms: number; connections: number }) => {
  const list = results.get(name) ?? []
  list.push(sample)
  results.set(name, list)
}

const raw = rawUndici()
// one runtime per contender, built once: its HTTP client (and connections) lives across the rounds, like the pool's
const runtimes = new Map(
  selected.map((c) => [c, ManagedRuntime.make(Layer.merge(c.layer, Logger.minimumLogLevel(LogLevel.Error)))] as const)
)

console.log(`HeliconeScores throughput — ${submissions} submissions, concurrency ${concurrency}, ${rounds} rounds`)
console.log(`node ${process.version}, ${Os.cpus().length} cpus; server: node:http on loopback, 201 to everything`)

const runEffect = (c: AnyContender) => () => runtimes.get(c)!.runPromise(c.program({ all: all(c.one) }))

await raw.run() // warm-up
for (const c of selected) await runEffect(c)()
for (let round = 0; round < rounds; round++) {
  await raw.run()
  record(raw.name, await time(raw.run))
  for (const c of selected) {
    await runEffect(c)()
    record(c.name, await time(runEffect(c)))
  }
}
await raw.close?.()
for (const runtime of runtimes.values()) await runtime.dispose()
server.close()
for (const dir of directories) Fs.rmSync(dir, { recursive: true, force: true })

const median = (values: Array<number>) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
const rawMs = median(results.get(raw.name)!.map((s) => s.ms))
const rawCpu = median(results.get(raw.name)!.map((s) => s.cpu))
console.log("")
console.log(`${"".padEnd(46)} ${"wall".padStart(9)}  ${"rate".padStart(9)}  ratio  ${"cpu".padStart(9)}  ratio`)
for (const [name, samples] of results) {
  const ms = median(samples.map((s) => s.ms))
  const cpu = median(samples.map((s) => s.cpu))
  const rate = Math.round(submissions / (ms / 1000))
  console.log(
    `${name.padEnd(46)} ${`${ms.toFixed(0)} ms`.padStart(9)}  ${`${rate}/s`.padStart(9)}  ${
      (rawMs / ms).toFixed(2)
    }x  ${`${cpu.toFixed(0)} ms`.padStart(9)}  ${(rawCpu / cpu).toFixed(2)}x  (wall per round ${
      samples.map((s) => s.ms.toFixed(0)).join(", ")
    } ms; ${median(samples.map((s) => s.connections))} new connections)`
  )
}
console.log("\nratio: raw undici's figure over the contender's (1.00x = as fast as raw; the goal is >= 0.8x)")
process.exit(0)
