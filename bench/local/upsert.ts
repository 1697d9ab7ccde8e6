/**
 * The local server's score upserts: N distinct POST /v1/request/:id/score at concurrency 32 on loopback, against the
 * same POSTs without a key in the same run (401: answered before the body is read, nothing is stored).
 *
 *   node --import tsx bench/local/upsert.ts [posts=5000] [database=:memory:|file]
 *
 * The client runs in the same process, so each phase is measured in CPU time as well as wall-clock time: on a shared
 * machine the CPU-time ratio is the steadier one. One warm-up round, then 3; the ratios printed are the medians.
 * Prints figures only; it never fails on a timing.
 */
import { Effect } from "effect"
import { randomUUID } from "node:crypto"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import * as LocalHelicone from "../../packages/local/src/LocalHelicone.js"

const posts = Number(process.argv[2] ?? 5000)
const onDisk = process.argv[3] === "file"
const concurrency = 32
const rounds = 3
const body = JSON.stringify({ scores: { accuracy: 90, grounded: true, latency: 120 } })

interface Phase {
  readonly wallMs: number
  readonly cpuMs: number
}

/** Sends one POST per id, `concurrency` at a time, and checks every status. */
const phase = async (baseUrl: string, ids: ReadonlyArray<string>, key: string | undefined, status: number) => {
  const headers: Record<string, string> = { "content-type": "application/json" }
  if (key !== undefined) headers.authorization = `Bearer ${key}`
  let next = 0
  const wall = performance.now()
  const cpu = process.cpuUsage()
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < ids.length) {
      const id = ids[next++]
      const response = await fetch(`${baseUrl}/v1/request/${id}/score`, { method: "POST", headers, body })
      await response.text()
      if (response.status !== status) throw new Error(`expected ${status}, got ${response.status}`)
    }
  }))
  const used = process.cpuUsage(cpu)
  return { wallMs: performance.now() - wall, cpuMs: (used.user + used.system) / 1000 } satisfies Phase
}

const median = (values: ReadonlyArray<number>) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
const newIds = () => Array.from({ length: posts }, () => randomUUID())

const program = Effect.gen(function*() {
  const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "helicone-local-bench-"))
  yield* Effect.addFinalizer(() => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true })))
  const database = onDisk ? Path.join(dir, "helicone.db") : ":memory:"
  const local = yield* LocalHelicone.make({ acceptUnknownRequests: true, database })
  console.log(`${posts} POST /v1/request/:id/score, concurrency ${concurrency}, database ${database}`)

  yield* Effect.promise(async () => {
    await phase(local.baseUrl, newIds(), "sk-bench", 201)
    const wallRatios: Array<number> = []
    const cpuRatios: Array<number> = []
    for (let round = 1; round <= rounds; round++) {
      const ids = newIds()
      const baseline = await phase(local.baseUrl, ids, undefined, 401)
      const upsert = await phase(local.baseUrl, ids, "sk-bench", 201)
      wallRatios.push(upsert.wallMs / baseline.wallMs)
      cpuRatios.push(upsert.cpuMs / baseline.cpuMs)
      console.log(
        `round ${round}: baseline ${baseline.wallMs.toFixed(0)} ms (${baseline.cpuMs.toFixed(0)} ms CPU), ` +
          `upsert ${upsert.wallMs.toFixed(0)} ms (${upsert.cpuMs.toFixed(0)} ms CPU), ` +
          `${(posts / upsert.wallMs * 1000).toFixed(0)} upserts/s`
      )
    }
    console.log(
      `upsert / baseline: ${median(cpuRatios).toFixed(2)} in CPU time ` +
        `(${Math.min(...cpuRatios).toFixed(2)}-${Math.max(...cpuRatios).toFixed(2)}), ` +
        `${median(wallRatios).toFixed(2)} in wall-clock time ` +
        `(${Math.min(...wallRatios).toFixed(2)}-${Math.max(...wallRatios).toFixed(2)})`
    )
  })
  const names = yield* Effect.promise(() =>
    fetch(`${local.baseUrl}/v1/evals/scores`, { headers: { authorization: "Bearer sk-bench" } }).then((r) => r.text())
  )
  console.log(`stored score names: ${names}`)
})

Effect.runPromise(Effect.scoped(program))
