import { assert, describe, it } from "@effect/vitest"
import { LocalHelicone } from "@helicone-effect/local"
import { Effect, Logger } from "effect"
import { randomUUID } from "node:crypto"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { auth, call, postScore } from "./fixtures/Http.js"
import * as TempDir from "./fixtures/TempDir.js"
import * as Upstream from "./fixtures/Upstream.js"

const heliconeKey = "sk-helicone-local"
const providerKey = "sk-provider-5ecret-0f-the-upstream"

/** The body `@effect/ai-openai` 0.41 sends for `LanguageModel.generateText({ prompt: text })`. */
const responsesBody = (text: string, model = "gpt-4o-mini") => ({
  model,
  input: [{ role: "user", content: [{ type: "input_text", text }] }],
  include: [],
  text: { format: { type: "text" } },
  tools: []
})

const post = (baseUrl: string, path: string, body: unknown, headers: Record<string, string> = {}) =>
  call(baseUrl, path, { body: JSON.stringify(body), headers: { ...auth(heliconeKey), ...headers } })

const readBack = (baseUrl: string, id: string, query = "") =>
  Effect.map(
    call(baseUrl, `/v1/request/${id}${query}`, { headers: auth(heliconeKey) }),
    (reply) => ({ status: reply.status, body: JSON.parse(reply.body) as { data: Record<string, any> | null } })
  )

const captureLogs = () => {
  const lines: Array<string> = []
  const logger = Logger.make(({ message }) => {
    lines.push(Array.isArray(message) ? message.map(String).join(" ") : String(message))
  })
  return { lines, layer: Logger.replace(Logger.defaultLogger, logger) }
}

describe("gateway", () => {
  it.live("logs a call with its id, model, properties, session and tokens; GET /v1/request/:id reads it back with its scores", () =>
    Effect.gen(function*() {
      const upstream = yield* Upstream.make
      const local = yield* LocalHelicone.make({
        apiKeys: [heliconeKey],
        upstream: upstream.baseUrl,
        upstreamApiKey: providerKey
      })
      const id = randomUUID()
      const session = randomUUID()
      const reply = yield* post(local.baseUrl, "/v1/responses", responsesBody("What is 2+2?"), {
        "Helicone-Request-Id": id,
        "Helicone-Property-Eval": "arithmetic",
        "Helicone-Property-Case": "two-plus-two",
        "Helicone-Property-Trial": "0",
        "Helicone-Session-Id": session,
        "Helicone-Session-Path": "/arithmetic/two-plus-two",
        "Helicone-Session-Name": "arithmetic run"
      })
      assert.strictEqual(reply.status, 200)
      assert.strictEqual(reply.headers.get("helicone-id"), id)
      const answer = JSON.parse(reply.body)
      assert.strictEqual(
        answer.output[0].content[0].text,
        `answer to [{"role":"user","content":[{"type":"input_text","text":"What is 2+2?"}]}]`
      )

      // What the provider saw: the configured key, the body as sent, and nothing of Helicone's.
      assert.strictEqual(upstream.received.length, 1)
      const forwarded = upstream.received[0]
      assert.strictEqual(forwarded.url, "/v1/responses")
      assert.strictEqual(forwarded.headers.authorization, `Bearer ${providerKey}`)
      assert.deepStrictEqual(JSON.parse(forwarded.body), responsesBody("What is 2+2?"))
      assert.deepStrictEqual(Object.keys(forwarded.headers).filter((name) => name.startsWith("helicone")), [])

      assert.strictEqual(
        (yield* postScore(local.baseUrl, id, { scores: { correct: true, quality: 90 } }, heliconeKey)).status,
        201
      )
      const { body, status } = yield* readBack(local.baseUrl, id)
      assert.strictEqual(status, 200)
      const data = body.data!
      assert.strictEqual(data.request_id, id)
      assert.strictEqual(data.request_path, "/v1/responses")
      assert.strictEqual(data.request_model, "gpt-4o-mini")
      assert.strictEqual(data.response_model, "gpt-4o-mini-2024-07-18")
      assert.strictEqual(data.model, "gpt-4o-mini-2024-07-18")
      assert.strictEqual(data.response_status, 200)
      assert.strictEqual(data.provider, "OPENAI")
      assert.strictEqual(data.prompt_tokens, 12)
      assert.strictEqual(data.completion_tokens, 3)
      assert.strictEqual(data.total_tokens, 15)
      assert.isAtLeast(data.delay_ms, 0)
      assert.isTrue(Number.isFinite(Date.parse(data.request_created_at)))
      assert.isAtLeast(Date.parse(data.response_created_at), Date.parse(data.request_created_at))
      const properties = {
        Eval: "arithmetic",
        Case: "two-plus-two",
        Trial: "0",
        "Helicone-Session-Id": session,
        "Helicone-Session-Path": "/arithmetic/two-plus-two",
        "Helicone-Session-Name": "arithmetic run"
      }
      assert.deepStrictEqual(data.request_properties, properties)
      assert.deepStrictEqual(data.properties, properties)
      assert.deepStrictEqual(data.scores, { "correct-hcone-bool": 1, quality: 90 })
      assert.isUndefined(data.request_body)
      assert.deepStrictEqual(yield* local.request(id), data)

      const withBody = yield* readBack(local.baseUrl, id, "?includeBody=true")
      assert.deepStrictEqual(withBody.body.data!.request_body, responsesBody("What is 2+2?"))
      assert.deepStrictEqual(withBody.body.data!.response_body, answer)
    }).pipe(Effect.scoped))

  it.live("the provider key is never stored, recorded or logged", () =>
    Effect.gen(function*() {
      const dir = yield* TempDir.make()
      const database = Path.join(dir, "helicone.db")
      const record = Path.join(dir, "answers.jsonl")
      const upstream = yield* Upstream.make
      const logs = captureLogs()
      yield* Effect.scoped(
        Effect.gen(function*() {
          const local = yield* LocalHelicone.make({
            database,
            upstream: upstream.baseUrl,
            upstreamApiKey: providerKey,
            record
          })
          const id = randomUUID()
          assert.strictEqual(
            (yield* post(local.baseUrl, "/v1/responses", responsesBody("hi"), { "Helicone-Request-Id": id })).status,
            200
          )
          // Proxy style: the client's own provider key is forwarded, and not kept either.
          const proxied = yield* call(local.baseUrl, "/v1/chat/completions", {
            body: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "2+2?" }] }),
            headers: {
              "content-type": "application/json",
              "helicone-auth": `Bearer ${heliconeKey}`,
              authorization: "Bearer sk-client-0wn-provider-key"
            }
          })
          assert.strictEqual(proxied.status, 200)
          assert.strictEqual(upstream.received[1].headers.authorization, "Bearer sk-client-0wn-provider-key")
          assert.isNotNull(yield* local.request(id))
        }).pipe(Effect.provide(logs.layer))
      )

      assert.strictEqual(upstream.received[0].headers.authorization, `Bearer ${providerKey}`)
      for (const name of Fs.readdirSync(dir)) {
        const bytes = Fs.readFileSync(Path.join(dir, name)).toString("latin1")
        assert.notInclude(bytes, "5ecret", name)
        assert.notInclude(bytes, "0wn-provider", name)
      }
      assert.strictEqual(Fs.readFileSync(record, "utf8").split("\n").filter((line) => line !== "").length, 2)
      assert.notInclude(logs.lines.join("\n"), "5ecret")
    }).pipe(Effect.scoped))

  it.live("chat completions and embeddings are logged with their token counts", () =>
    Effect.gen(function*() {
      const upstream = yield* Upstream.make
      const local = yield* LocalHelicone.make({ upstream: upstream.baseUrl })
      const chat = yield* post(local.baseUrl, "/v1/chat/completions", {
        model: "gpt-4o-mini",
        messages: [{ role: "user", content: "2+2?" }]
      })
      const embedding = yield* post(local.baseUrl, "/v1/embeddings", { model: "text-embedding-3-small", input: "cat" })
      assert.strictEqual(chat.status, 200)
      assert.strictEqual(embedding.status, 200)
      // No configured key and AI Gateway style: nothing to send the provider.
      assert.isUndefined(upstream.received[0].headers.authorization)
      const chatLog = (yield* local.request(chat.headers.get("helicone-id")!))!
      assert.deepStrictEqual(
        [chatLog.request_path, chatLog.prompt_tokens, chatLog.completion_tokens, chatLog.total_tokens],
        ["/v1/chat/completions", 9, 1, 10]
      )
      const embeddingLog = (yield* local.request(embedding.headers.get("helicone-id")!))!
      assert.deepStrictEqual(
        [
          embeddingLog.request_path,
          embeddingLog.prompt_tokens,
          embeddingLog.completion_tokens,
          embeddingLog.total_tokens
        ],
        ["/v1/embeddings", 4, null, 4]
      )
    }).pipe(Effect.scoped))

  it.live("a Helicone-Request-Id that is not a UUID v1-5 is replaced by a fresh v4, as Helicone does", () =>
    Effect.gen(function*() {
      const upstream = yield* Upstream.make
      const local = yield* LocalHelicone.make({ upstream: upstream.baseUrl })
      const reply = yield* post(local.baseUrl, "/v1/responses", responsesBody("hi"), {
        "Helicone-Request-Id": "case-1"
      })
      const id = reply.headers.get("helicone-id")!
      assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
      assert.strictEqual((yield* local.request(id))!.request_id, id)
      const none = yield* post(local.baseUrl, "/v1/responses", responsesBody("hi"))
      assert.notStrictEqual(none.headers.get("helicone-id"), id)
    }).pipe(Effect.scoped))

  it.live("the Helicone key is checked as the score routes check it, from Helicone-Auth in proxy style", () =>
    Effect.gen(function*() {
      const upstream = yield* Upstream.make
      const local = yield* LocalHelicone.make({ apiKeys: [heliconeKey], upstream: upstream.baseUrl })
      const body = JSON.stringify(responsesBody("hi"))
      const none = yield* call(local.baseUrl, "/v1/responses", {
        body,
        headers: { "content-type": "application/json" }
      })
      assert.deepStrictEqual([none.status, none.body], [
        401,
        `{"error":"No authorization header","trace":"isAuthenticated.error"}`
      ])
      const wrong = yield* post(local.baseUrl, "/v1/responses", responsesBody("hi"), {
        authorization: "Bearer sk-other"
      })
      assert.strictEqual(wrong.status, 401)
      const wrongProxy = yield* call(local.baseUrl, "/v1/responses", {
        body,
        headers: {
          "content-type": "application/json",
          "helicone-auth": "Bearer sk-other",
          authorization: `Bearer ${heliconeKey}`
        }
      })
      assert.strictEqual(wrongProxy.status, 401)
      assert.strictEqual(upstream.received.length, 0)
    }).pipe(Effect.scoped))

  it.live("an upstream that cannot be reached is a 502 in OpenAI's error shape, logged with its status", () =>
    Effect.gen(function*() {
      const closed = yield* Effect.scoped(Effect.map(Upstream.make, (upstream) => upstream.baseUrl))
      const local = yield* LocalHelicone.make({ upstream: closed })
      const reply = yield* post(local.baseUrl, "/v1/responses", responsesBody("hi"))
      assert.strictEqual(reply.status, 502)
      const error = JSON.parse(reply.body).error
      assert.strictEqual(error.code, "upstream_unreachable")
      assert.include(error.message, `could not reach the upstream ${closed}/responses`)
      assert.strictEqual((yield* local.request(reply.headers.get("helicone-id")!))!.response_status, 502)
    }).pipe(Effect.scoped))

  it.live("with neither upstream nor recording a model call is answered 501, saying what to configure", () =>
    Effect.gen(function*() {
      const local = yield* LocalHelicone.make()
      const reply = yield* post(local.baseUrl, "/v1/responses", responsesBody("hi"))
      assert.strictEqual(reply.status, 501)
      assert.include(JSON.parse(reply.body).error.message, "--upstream <base url>")
      const notJson = yield* call(local.baseUrl, "/v1/responses", { body: "{", headers: auth(heliconeKey) })
      assert.deepStrictEqual([notJson.status, JSON.parse(notJson.body).error.message], [
        400,
        "helicone-local: the request body is not JSON"
      ])
      const noModel = yield* post(local.baseUrl, "/v1/responses", { input: "hi" })
      assert.strictEqual(noModel.status, 400)
    }).pipe(Effect.scoped))
})

describe("scores for requests the gateway never logged", () => {
  it.live("are answered 201 and dropped, as Helicone drops them, with a warning", () =>
    Effect.gen(function*() {
      const logs = captureLogs()
      const local = yield* LocalHelicone.make().pipe(Effect.provide(logs.layer))
      const id = randomUUID()
      const reply = yield* postScore(local.baseUrl, id, { scores: { accuracy: 90 } })
      assert.deepStrictEqual([reply.status, reply.body], [201, `{"data":null,"error":null}`])
      const feedback = yield* call(local.baseUrl, `/v1/request/${id}/feedback`, {
        body: JSON.stringify({ rating: true }),
        headers: auth()
      })
      assert.strictEqual(feedback.status, 201)
      assert.isNull(yield* local.scores(id))
      assert.strictEqual((yield* readBack(local.baseUrl, id)).status, 404)
      assert.include(logs.lines.join("\n"), `accepted scores for request id "${id}" but did not store them: no request`)
    }).pipe(Effect.scoped))

  it.live("are kept with acceptUnknownRequests", () =>
    Effect.gen(function*() {
      const local = yield* LocalHelicone.make({ acceptUnknownRequests: true })
      const id = randomUUID()
      assert.strictEqual((yield* postScore(local.baseUrl, id, { scores: { accuracy: 90 } })).status, 201)
      assert.deepStrictEqual(yield* local.scores(id), { accuracy: 90 })
      assert.deepStrictEqual((yield* readBack(local.baseUrl, id)).body.data, {
        request_id: id,
        scores: { accuracy: 90 }
      })
    }).pipe(Effect.scoped))
})

describe("recordings", () => {
  it.live("answer offline from a hand-written JSONL line, with no upstream at all, and the call is logged", () =>
    Effect.gen(function*() {
      const dir = yield* TempDir.make()
      const recording = Path.join(dir, "answers.jsonl")
      const recorded = Upstream.responsesAnswer("gpt-4o-mini", "4")
      Fs.writeFileSync(
        recording,
        JSON.stringify({ endpoint: "/v1/responses", model: "gpt-4o-mini", input: "What is 2+2?", response: recorded }) +
          "\n"
      )
      const local = yield* LocalHelicone.make({ recording })
      const id = randomUUID()
      // The message list @effect/ai-openai sends matches the line's plain string input.
      const reply = yield* post(local.baseUrl, "/v1/responses", responsesBody("What is 2+2?"), {
        "Helicone-Request-Id": id,
        "Helicone-Property-Case": "two-plus-two"
      })
      assert.strictEqual(reply.status, 200)
      assert.deepStrictEqual(JSON.parse(reply.body), recorded)
      assert.strictEqual(reply.headers.get("content-type"), "application/json")

      assert.strictEqual((yield* postScore(local.baseUrl, id, { scores: { correct: 1 } }, heliconeKey)).status, 201)
      const data = (yield* readBack(local.baseUrl, id)).body.data!
      assert.deepStrictEqual(
        [
          data.response_status,
          data.prompt_tokens,
          data.completion_tokens,
          data.target_url,
          data.scores,
          data.properties
        ],
        [200, 12, 3, `recording:${recording}`, { correct: 1 }, { Case: "two-plus-two" }]
      )
    }).pipe(Effect.scoped))

  it.live("a line's latencyMs is replayed at replaySpeed, and the logged latency is the replayed one", () =>
    Effect.gen(function*() {
      const dir = yield* TempDir.make()
      const recording = Path.join(dir, "answers.jsonl")
      Fs.writeFileSync(
        recording,
        JSON.stringify({
          endpoint: "/v1/responses",
          model: "gpt-4o-mini",
          input: "What is 2+2?",
          text: "4",
          latencyMs: 400
        }) + "\n"
      )
      const local = yield* LocalHelicone.make({ recording, replaySpeed: 0.5 })
      const reply = yield* post(local.baseUrl, "/v1/responses", responsesBody("What is 2+2?"))
      assert.strictEqual(reply.status, 200)
      const logged = (yield* local.request(reply.headers.get("helicone-id")!))!
      // at least the 200 ms waited: a lower bound, whatever the machine's load
      assert.isAtLeast(logged.delay_ms as number, 200)
    }).pipe(Effect.scoped))

  it.live("a line's text stands for a whole answer, with every field @effect/ai-openai decodes and the usage given", () =>
    Effect.gen(function*() {
      const dir = yield* TempDir.make()
      const recording = Path.join(dir, "answers.jsonl")
      Fs.writeFileSync(
        recording,
        [
          {
            endpoint: "/v1/responses",
            model: "gpt-4o-mini",
            input: "What is 2+2?",
            text: "4",
            usage: { input_tokens: 12, output_tokens: 1 }
          },
          {
            endpoint: "/v1/chat/completions",
            model: "gpt-4o-mini",
            messages: [{ role: "user", content: "2+2?" }],
            text: "4"
          }
        ].map((line) => JSON.stringify(line) + "\n").join("")
      )
      const local = yield* LocalHelicone.make({ recording })
      const reply = yield* post(local.baseUrl, "/v1/responses", responsesBody("What is 2+2?"))
      const answer = JSON.parse(reply.body)
      const id = answer.id as string
      assert.match(id, /^resp_[0-9a-f]{24}$/)
      assert.deepStrictEqual(answer, {
        id,
        object: "response",
        created_at: 0,
        status: "completed",
        error: null,
        incomplete_details: null,
        instructions: null,
        model: "gpt-4o-mini",
        output: [{
          type: "message",
          id: `msg_${id.slice(5)}`,
          status: "completed",
          role: "assistant",
          content: [{ type: "output_text", text: "4", annotations: [] }]
        }],
        parallel_tool_calls: true,
        tools: [],
        tool_choice: "auto",
        metadata: {},
        temperature: null,
        top_p: null,
        usage: {
          input_tokens: 12,
          input_tokens_details: { cached_tokens: 0 },
          output_tokens: 1,
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: 13
        }
      })
      // The same line answers the same way every time.
      assert.strictEqual((yield* post(local.baseUrl, "/v1/responses", responsesBody("What is 2+2?"))).body, reply.body)
      const logged = (yield* local.request(reply.headers.get("helicone-id")!))!
      assert.deepStrictEqual([logged.prompt_tokens, logged.completion_tokens], [12, 1])

      const chat = yield* post(local.baseUrl, "/v1/chat/completions", {
        model: "gpt-4o-mini",
        messages: [{ role: "user", content: "2+2?" }]
      })
      const completion = JSON.parse(chat.body)
      assert.deepStrictEqual(
        [completion.object, completion.choices[0].message.content, completion.usage],
        ["chat.completion", "4", { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 }]
      )
    }).pipe(Effect.scoped))

  it.live("a call the recording lacks is a 404 OpenAI error naming the model and input, and nothing is forwarded", () =>
    Effect.gen(function*() {
      const dir = yield* TempDir.make()
      const recording = Path.join(dir, "answers.jsonl")
      Fs.writeFileSync(
        recording,
        JSON.stringify({ endpoint: "/v1/responses", model: "gpt-4o-mini", input: "What is 2+2?", response: {} }) + "\n"
      )
      const local = yield* LocalHelicone.make({ recording })
      const reply = yield* post(local.baseUrl, "/v1/responses", responsesBody("What is 3+3?", "gpt-4o"))
      assert.strictEqual(reply.status, 404)
      const error = JSON.parse(reply.body).error
      assert.deepStrictEqual([error.type, error.code, error.param], ["invalid_request_error", "recording_miss", null])
      assert.strictEqual(
        error.message,
        `helicone-local: the recording ${JSON.stringify(recording)} has no answer for POST /v1/responses with model ` +
          `"gpt-4o" and input [{"content":[{"text":"What is 3+3?","type":"input_text"}],"role":"user"}]. It holds 0 ` +
          "answers for this model and 1 in all. Record it with --record while forwarding to --upstream, or add the " +
          "line by hand (the whole request is logged: GET /v1/request/<this answer's Helicone-Id>?includeBody=true) " +
          "and restart the server, which reads the recording at start."
      )
      const logged = (yield* local.request(reply.headers.get("helicone-id")!))!
      assert.strictEqual(logged.response_status, 404)
    }).pipe(Effect.scoped))

  it.live("--record writes forwarded answers as sorted JSONL that a rerun with the recording replays with zero upstream calls", () =>
    Effect.gen(function*() {
      const dir = yield* TempDir.make()
      const file = Path.join(dir, "answers.jsonl")
      const calls = [
        ["/v1/responses", responsesBody("b")],
        ["/v1/responses", responsesBody("a")],
        ["/v1/chat/completions", { model: "gpt-4o-mini", messages: [{ role: "user", content: "2+2?" }] }],
        ["/v1/embeddings", { model: "text-embedding-3-small", input: "cat" }]
      ] as const
      const first = yield* Effect.scoped(Effect.gen(function*() {
        const upstream = yield* Upstream.make
        const local = yield* LocalHelicone.make({
          upstream: upstream.baseUrl,
          upstreamApiKey: providerKey,
          record: file
        })
        const bodies = yield* Effect.forEach(
          calls,
          ([path, body]) => Effect.map(post(local.baseUrl, path, body), (reply) => reply.body)
        )
        assert.strictEqual(upstream.received.length, 4)
        return bodies
      }))
      const text = Fs.readFileSync(file, "utf8")
      const lines = text.trimEnd().split("\n")
      assert.strictEqual(lines.length, 4)
      assert.deepStrictEqual([...lines].sort(), lines)
      assert.deepStrictEqual(JSON.parse(lines[0]).endpoint, "/v1/chat/completions")

      // The same calls again, with an upstream that would answer and is never asked.
      const upstream = yield* Upstream.make
      const local = yield* LocalHelicone.make({ recording: file, upstream: upstream.baseUrl })
      const replayed = yield* Effect.forEach(
        calls,
        ([path, body]) => Effect.map(post(local.baseUrl, path, body), (reply) => reply.body)
      )
      assert.deepStrictEqual(replayed.map((body) => JSON.parse(body)), first.map((body) => JSON.parse(body)))
      assert.strictEqual(upstream.received.length, 0)

      // Recording the same answers again leaves the file byte for byte as it was.
      yield* Effect.scoped(Effect.gen(function*() {
        const again = yield* Upstream.make
        const local = yield* LocalHelicone.make({ upstream: again.baseUrl, record: file })
        yield* Effect.forEach(calls, ([path, body]) => post(local.baseUrl, path, body))
      }))
      assert.strictEqual(Fs.readFileSync(file, "utf8"), text)
    }).pipe(Effect.scoped))

  it.live("a streamed call is relayed as the upstream's events, logged with the usage of its last event, and recorded", () =>
    Effect.gen(function*() {
      const dir = yield* TempDir.make()
      const file = Path.join(dir, "answers.jsonl")
      const body = { ...responsesBody("2+2?"), stream: true }
      const first = yield* Effect.scoped(Effect.gen(function*() {
        const upstream = yield* Upstream.make
        const local = yield* LocalHelicone.make({ upstream: upstream.baseUrl, record: file })
        const reply = yield* post(local.baseUrl, "/v1/responses", body)
        assert.strictEqual(reply.status, 200)
        assert.strictEqual(reply.headers.get("content-type"), "text/event-stream; charset=utf-8")
        assert.strictEqual(reply.body, Upstream.streamed("gpt-4o-mini"))
        const logged = (yield* local.request(reply.headers.get("helicone-id")!))!
        assert.deepStrictEqual(
          [logged.prompt_tokens, logged.completion_tokens, logged.total_tokens, logged.response_model],
          [12, 3, 15, "gpt-4o-mini-2024-07-18"]
        )
        return reply
      }))
      const line = JSON.parse(Fs.readFileSync(file, "utf8"))
      assert.deepStrictEqual([line.stream, line.contentType], [true, "text/event-stream; charset=utf-8"])

      const local = yield* LocalHelicone.make({ recording: file })
      const replayed = yield* post(local.baseUrl, "/v1/responses", body)
      assert.deepStrictEqual(
        [replayed.status, replayed.headers.get("content-type"), replayed.body],
        [200, first.headers.get("content-type"), first.body]
      )
      // The same call without `stream` is another call.
      assert.strictEqual((yield* post(local.baseUrl, "/v1/responses", responsesBody("2+2?"))).status, 404)
    }).pipe(Effect.scoped))

  it.effect("a recording that is missing or has a bad line does not start the server, naming the file and line", () =>
    Effect.gen(function*() {
      const dir = yield* TempDir.make()
      const missing = yield* Effect.flip(LocalHelicone.make({ recording: Path.join(dir, "nope.jsonl") }))
      assert.strictEqual(missing._tag, "RecordingError")
      const bad = Path.join(dir, "bad.jsonl")
      Fs.writeFileSync(
        bad,
        `${JSON.stringify({ endpoint: "/v1/responses", model: "m", input: "x", response: {} })}\n{"model":1}\n`
      )
      const error = yield* Effect.flip(LocalHelicone.make({ recording: bad }))
      assert.strictEqual(error._tag, "RecordingError")
      assert.include(error.message, `could not read the recording "${bad}": line 2 is not a recorded answer`)
      Fs.writeFileSync(
        bad,
        `${JSON.stringify({ endpoint: "/v1/responses", model: "m", input: "x", response: {}, text: "4" })}\n`
      )
      const both = yield* Effect.flip(LocalHelicone.make({ recording: bad }))
      assert.include(both.message, "line 1 is not a recorded answer: ")
      assert.include(both.message, "a line needs either response or text")
    }).pipe(Effect.scoped))
})
