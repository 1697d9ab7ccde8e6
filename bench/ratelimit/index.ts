/**
 * 600 cases, each one HTTP call, against a loopback provider allowing 20 requests a second (burst 20, 50 ms an
 * answer, 429 with `retry-after-ms` / `Retry-After` when its bucket is empty; see provider.ts), in one run:
 *
 * - adaptive: `ModelLimiter` on the client, the runner at concurrency 64; once against a provider that says nothing
 *   but its 429s, once against one that also sends OpenAI's `x-ratelimit-*` headers on each answer;
 * - fixed concurrency 1, 4, 16 and 64 without the limiter (1 is what this provider's limit allows: 50 ms an answer
 *   at 20 a second; a user would have to know that), with the retries of OpenAI's SDK: 2 retries of a 429,
 *   after `retry-after-ms`, else `Retry-After`, else 0.5 s doubled (at most 8 s) less up to 25% jitter.
 *
 * Prints per setup the wall time, the failed cases, the 429s the provider sent and the ratio to the ideal
 * (600 / 20 = 30 s). The baseline is the fixed setups of the same run; nothing fails on a timing.
 *
 *   pnpm bench:ratelimit          # node --import tsx bench/ratelimit/index.ts [cases=600]
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { Duration, Effect } from "effect"
import * as ChildProcess from "node:child_process"
import * as Path from "node:path"
import * as Readline from "node:readline"
import { fileURLToPath } from "node:url"
import * as ModelLimiter from "../../packages/ai/src/ModelLimiter.js"
import * as Eval from "../../packages/evaluator/src/Eval.js"

const cases = Number(process.argv[2] ?? 600)
const ideal = cases / 20

/** The provider, in a child process; resolves to its base URL. */
const startProvider = async () => {
  const child = ChildProcess.spawn(
    process.execPath,
    ["--import", "tsx", Path.join(Path.dirname(fileURLToPath(import.meta.url)), "provider.ts")],
    { stdio: ["pipe", "pipe", "inherit"] }
  )
  const line = await new Promise<string>((resolve, reject) => {
    Readline.createInterface({ input: child.stdout! }).once("line", resolve)
    child.once("exit", (code) => reject(new Error(`provider exited with ${code}`)))
  })
  return { url: `http://127.0.0.1:${line.trim()}`, stop: () => child.stdin!.end() }
}

/** OpenAI's SDK (openai-node v4/v5): retries a 429 twice, after the wait it is told, else an exponential back-off. */
const sdkRetries = (client: HttpClient.HttpClient): HttpClient.HttpClient =>
  HttpClient.transform(client, (send) => {
    const loop = (retriesLeft: number): Effect.Effect<HttpClientResponse.HttpClientResponse, any> =>
      Effect.flatMap(send, (response) => {
        if (response.status !== 429 || retriesLeft === 0) return Effect.succeed(response)
        const ms = Number(response.headers["retry-after-ms"])
        const seconds = Number(response.headers["retry-after"])
        let delay = Number.isFinite(ms) ? ms : Number.isFinite(seconds) ? seconds * 1000 : NaN
        if (!(delay >= 0 && delay < 60_000)) {
          const done = 2 - retriesLeft
          delay = Math.min(500 * 2 ** done, 8000) * (1 - Math.random() * 0.25)
        }
        return Effect.ignore(response.text).pipe(
          Effect.zipRight(Effect.sleep(Duration.millis(delay))),
          Effect.zipRight(Effect.suspend(() => loop(retriesLeft - 1)))
        )
      })
    return loop(2)
  })

interface Setup {
  readonly name: string
  readonly concurrency: number
  readonly limiter: boolean
  readonly rateHeaders: boolean
}

const setups: ReadonlyArray<Setup> = [
  { name: "adaptive (429s only)", concurrency: 64, limiter: true, rateHeaders: false },
  { name: "adaptive (+ x-ratelimit-*)", concurrency: 64, limiter: true, rateHeaders: true },
  { name: "fixed 1", concurrency: 1, limiter: false, rateHeaders: false },
  { name: "fixed 4", concurrency: 4, limiter: false, rateHeaders: false },
  { name: "fixed 16", concurrency: 16, limiter: false, rateHeaders: false },
  { name: "fixed 64", concurrency: 64, limiter: false, rateHeaders: false }
]

const runSetup = (base: string, setup: Setup) =>
  Effect.gen(function*() {
    const fetchClient = yield* HttpClient.HttpClient
    const limiter = yield* ModelLimiter.make()
    const client = HttpClient.filterStatusOk(setup.limiter ? limiter.limit(fetchClient) : sdkRetries(fetchClient))
    yield* Effect.promise(() => fetch(`${base}/reset?headers=${setup.rateHeaders ? 1 : 0}`).then((r) => r.text()))
    const suite = Eval.make({
      name: setup.name,
      data: Array.from({ length: cases }, (_, i) => ({ input: `question ${i}` })),
      task: (input: string) =>
        HttpClientRequest.post(`${base}/v1/chat/completions`).pipe(
          HttpClientRequest.bodyUnsafeJson({ model: "gpt-4o-mini", messages: [{ role: "user", content: input }] }),
          client.execute,
          Effect.flatMap((response) => response.json),
          Effect.map((body: any) => body.choices[0].message.content as string)
        ),
      scorers: [],
      concurrency: setup.concurrency
    })
    const start = performance.now()
    const report = yield* Eval.run(suite)
    const seconds = (performance.now() - start) / 1000
    const counts = yield* Effect.promise(() =>
      fetch(`${base}/reset?headers=0`).then((r) => r.json() as Promise<{ ok: number; tooMany: number }>)
    )
    const failed = report.cases.filter((c) => c.errors.length > 0).length
    const window = setup.limiter ? (yield* limiter.status)[0] : undefined
    return { setup, seconds, failed, ...counts, window }
  })

const main = Effect.gen(function*() {
  const provider = yield* Effect.promise(startProvider)
  console.log(`${cases} cases, provider 20 requests/s (burst 20, 50 ms an answer); ideal ${ideal} s\n`)
  console.log("setup                       wall (s)  ratio  failed   429s  answered  answered/s")
  const results = []
  for (const setup of setups) {
    const r = yield* runSetup(provider.url, setup)
    results.push(r)
    console.log(
      `${setup.name.padEnd(26)} ${r.seconds.toFixed(1).padStart(9)} ${(r.seconds / ideal).toFixed(2).padStart(6)} ` +
        `${String(r.failed).padStart(7)} ${String(r.tooMany).padStart(6)} ${String(r.ok).padStart(9)} ` +
        `${(r.ok / r.seconds).toFixed(1).padStart(11)}` +
        (r.window === undefined ? "" : `   (window at the end: ${r.window.concurrency.toFixed(2)})`)
    )
  }
  provider.stop()
  const fixed64 = results.find((r) => r.setup.name === "fixed 64")!
  for (const r of results.filter((r) => r.setup.limiter)) {
    console.log(
      `\n${r.setup.name}: ${r.failed} failed (goal 0), ${(r.seconds / ideal).toFixed(2)}x the ideal (goal <= 1.15), ` +
        `${r.tooMany} 429s against ${fixed64.tooMany} for fixed 64 (goal: fewer)`
    )
  }
}).pipe(Effect.provide(FetchHttpClient.layer))

Effect.runPromise(main).then(() => process.exit(0), (error) => {
  console.error(error)
  process.exit(1)
})
