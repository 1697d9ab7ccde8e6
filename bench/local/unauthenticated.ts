/**
 * The local server's memory under large bodies: 40 concurrent 9.9 MB POST /v1/request/:id/score with a key the server
 * does not know, against the same 40 bodies with a key it knows, each phase in a fresh `helicone-local` process.
 *
 *   node --import tsx bench/local/unauthenticated.ts [concurrency=40] [megabytes=9.9]
 *
 * An authenticated body has to be read and parsed (it is answered 422: it carries an excess property); an
 * unauthenticated one should be answered 401 without being read. The figure is the server's peak RSS (VmHWM, Linux)
 * minus its RSS once listening. Prints figures only; it never fails on a size.
 */
import * as ChildProcess from "node:child_process"
import { randomUUID } from "node:crypto"
import * as Fs from "node:fs"
import * as Http from "node:http"
import { fileURLToPath } from "node:url"

const concurrency = Number(process.argv[2] ?? 40)
const megabytes = Number(process.argv[3] ?? 9.9)
const bin = fileURLToPath(new URL("../../packages/local/bin/helicone-local.js", import.meta.url))

const prefix = `{"scores":{"a":1},"pad":"`
const body = Buffer.alloc(Math.floor(megabytes * 1024 * 1024), "x")
body.write(prefix, 0)
body.write(`"}`, body.length - 2)

/** The server's resident memory, in MB, from /proc: `VmRSS` now or `VmHWM` (the peak). */
const memory = (pid: number, field: "VmRSS" | "VmHWM"): number => {
  const status = Fs.readFileSync(`/proc/${pid}/status`, "utf8")
  return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)![1]) / 1024
}

const startServer = () =>
  new Promise<{ child: ChildProcess.ChildProcess; url: string }>((resolve, reject) => {
    const child = ChildProcess.spawn(
      process.execPath,
      [bin, "--port", "0", "--db", ":memory:", "--api-key", "sk-bench", "--accept-unknown-requests"],
      { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, HELICONE_LOCAL_API_KEYS: "" } }
    )
    let output = ""
    child.stdout!.on("data", (chunk) => {
      output += chunk
      const url = /listening on (http:\/\/\S+)/.exec(output)
      if (url !== null && output.includes("Press Ctrl-C")) resolve({ child, url: url[1] })
    })
    child.once("exit", (code) => reject(new Error(`helicone-local exited (${code}): ${output}`)))
  })

/** One POST with the whole body; resolves with the status once the response is read and the upload has ended. */
const post = (url: string, key: string) =>
  new Promise<number | string>((resolve) => {
    const request = Http.request(`${url}/v1/request/${randomUUID()}/score`, {
      method: "POST",
      agent: false,
      headers: { "content-type": "application/json", "content-length": body.length, authorization: `Bearer ${key}` }
    })
    let status: number | undefined
    request.on("response", (response) => {
      status = response.statusCode
      response.resume()
      response.once("end", () => resolve(status!))
    })
    request.on("error", (error) => resolve(status ?? (error as NodeJS.ErrnoException).code ?? error.message))
    request.end(body)
  })

const phase = async (name: string, key: string) => {
  const { child, url } = await startServer()
  const pid = child.pid!
  await new Promise((resolve) => setTimeout(resolve, 500))
  const before = memory(pid, "VmRSS")
  const started = performance.now()
  const statuses = await Promise.all(Array.from({ length: concurrency }, () => post(url, key)))
  const ms = performance.now() - started
  const peak = memory(pid, "VmHWM")
  child.kill("SIGINT")
  await new Promise((resolve) => child.once("exit", resolve))
  const counts = new Map<number | string, number>()
  for (const status of statuses) counts.set(status, (counts.get(status) ?? 0) + 1)
  console.log(
    `${name}: RSS ${before.toFixed(0)} MB once listening, peak ${peak.toFixed(0)} MB ` +
      `(+${(peak - before).toFixed(0)} MB) in ${ms.toFixed(0)} ms; answers ${
        [...counts].map(([status, n]) => `${n}x ${status}`).join(", ")
      }`
  )
  return peak - before
}

console.log(`${concurrency} concurrent POSTs of ${(body.length / 1024 / 1024).toFixed(1)} MB, one server per phase`)
const unknownKey = await phase("unknown key  ", "sk-unknown")
const knownKey = await phase("known key    ", "sk-bench")
console.log(`peak RSS growth, unknown key / known key: ${(unknownKey / knownKey).toFixed(2)}`)
