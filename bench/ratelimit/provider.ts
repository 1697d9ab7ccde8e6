/**
 * The bench's loopback provider, run in its own process so that its timing does not share an event loop with the
 * clients it limits: `POST /v1/chat/completions` through a token bucket of 20 requests a second with a burst of 20.
 * A request that finds a token is answered after 50 ms, as OpenAI answers a chat completion (with its usage, and,
 * when the setup asks for them, OpenAI's `x-ratelimit-limit-requests` / `-remaining-requests` / `-reset-requests`
 * as the bucket stands when the answer leaves); one that finds none is answered 429 at once with `retry-after-ms` (the
 * time until the next token) and `Retry-After` (the same in whole seconds), as OpenAI sends them.
 *
 * `GET /reset?headers=0|1` answers the counts since the last reset (`{ ok, tooMany }`), fills the bucket and says
 * whether the next setup gets the `x-ratelimit-*` headers. Prints its port on stdout.
 */
import * as Http from "node:http"
import type { AddressInfo } from "node:net"

const capacity = 20
const perMs = 20 / 1000
const answerMs = 50

let tokens = capacity
let updatedAt = performance.now()
let ok = 0
let tooMany = 0
let rateHeaders = false

const refill = () => {
  const now = performance.now()
  tokens = Math.min(capacity, tokens + (now - updatedAt) * perMs)
  updatedAt = now
}

const server = Http.createServer((req, res) => {
  const chunks: Array<Buffer> = []
  req.on("data", (chunk: Buffer) => chunks.push(chunk))
  req.on("end", () => {
    if (req.method === "GET" && req.url?.startsWith("/reset")) {
      const counts = { ok, tooMany }
      ok = 0
      tooMany = 0
      tokens = capacity
      updatedAt = performance.now()
      rateHeaders = req.url.includes("headers=1")
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(counts))
      return
    }
    refill()
    if (tokens < 1) {
      tooMany++
      const waitMs = Math.ceil((1 - tokens) / perMs)
      res.writeHead(429, {
        "content-type": "application/json",
        "retry-after-ms": String(waitMs),
        "retry-after": String(Math.ceil(waitMs / 1000))
      }).end(JSON.stringify({
        error: { message: "Rate limit reached for requests", type: "requests", code: "rate_limit_exceeded" }
      }))
      return
    }
    tokens -= 1
    const { model } = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { model: string }
    setTimeout(() => {
      ok++
      refill()
      const headers: Record<string, string> = { "content-type": "application/json" }
      if (rateHeaders) {
        headers["x-ratelimit-limit-requests"] = String(capacity)
        headers["x-ratelimit-remaining-requests"] = String(Math.floor(tokens))
        headers["x-ratelimit-reset-requests"] = `${((capacity - tokens) / perMs / 1000).toFixed(3)}s`
      }
      res.writeHead(200, headers).end(JSON.stringify({
        id: `chatcmpl-${ok}`,
        object: "chat.completion",
        model,
        choices: [{ index: 0, message: { role: "assistant", content: "ok" }, finish_reason: "stop" }],
        usage: { prompt_tokens: 12, completion_tokens: 1, total_tokens: 13 }
      }))
    }, answerMs)
  })
})

server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`${(server.address() as AddressInfo).port}\n`)
})
process.on("disconnect", () => server.close())
process.stdin.on("end", () => process.exit(0))
process.stdin.resume()
