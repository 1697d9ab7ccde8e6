/**
 * One contender of bench/client alone, for a profiler: `submitScore` over `layerUndici` (or Effect's `HttpClient`
 * alone with `PROFILE=http`), to the same loopback server, printing wall and CPU time.
 *
 *   node --cpu-prof --import tsx bench/client/profile.ts [submissions=10000] [concurrency=64]
 */
import { NodeHttpClient } from "@effect/platform-node"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { Effect, Layer, Logger, LogLevel, ManagedRuntime, Redacted } from "effect"
import * as Http from "node:http"
import type * as Net from "node:net"
import * as HeliconeScores from "../../packages/core/src/HeliconeScores.js"
import * as RequestId from "../../packages/core/src/RequestId.js"

const submissions = Number(process.argv[2] ?? 10_000)
const concurrency = Number(process.argv[3] ?? 64)
const mode = process.env.PROFILE ?? "submitScore"
const scores = { accuracy: 92, grounded: true }

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

const layer = Layer.merge(
  HeliconeScores.layer({ apiKey: Redacted.make("sk-bench"), baseUrl }),
  Layer.empty
).pipe(Layer.provideMerge(NodeHttpClient.layerUndici), Layer.merge(Logger.minimumLogLevel(LogLevel.Error)))
const runtime = ManagedRuntime.make(layer)

const one = (i: number) =>
  mode === "http"
    ? Effect.flatMap(HttpClient.HttpClient, (http) =>
      HttpClientRequest.post(`${baseUrl}/v1/request/${ids[i]}/score`).pipe(
        HttpClientRequest.bearerToken("sk-bench"),
        HttpClientRequest.acceptJson,
        HttpClientRequest.bodyJson({ scores }),
        Effect.flatMap(http.execute),
        Effect.flatMap((response) =>
          response.text
        ),
        Effect.scoped
      ))
    : HeliconeScores.submitScore(ids[i], scores)

const all = Effect.forEach(ids, (_, i) => one(i), { concurrency, discard: true })
await runtime.runPromise(all) // warm-up
const cpu = process.cpuUsage()
const start = performance.now()
await runtime.runPromise(all)
const used = process.cpuUsage(cpu)
const ms = performance.now() - start
console.log(
  `${mode}: ${submissions} in ${ms.toFixed(0)} ms wall, ${((used.user + used.system) / 1000).toFixed(0)} ms CPU, ${
    Math.round(submissions / (ms / 1000))
  }/s`
)
await runtime.dispose()
server.close()
