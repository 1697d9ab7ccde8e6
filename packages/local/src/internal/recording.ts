/**
 * Recorded answers for the gateway: a JSONL file, one answer per line, that the gateway answers from with no upstream.
 *
 * An answer is found by its request's endpoint, model and normalised input (`input` and `instructions` for
 * `/v1/responses`, `messages` for `/v1/chat/completions`, `input` for `/v1/embeddings`), plus `stream` when it is
 * true. Normalising lets a hand-written line say `"input": "What is 2+2?"` for the message list `@effect/ai-openai`
 * sends. A recording written by `record` is sorted by that key and rewritten whole, so a rerun that records the same
 * answers leaves the file unchanged and a diff shows one line per changed answer.
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Crypto from "node:crypto"

/**
 * One line of a recording.
 *
 * @internal
 */
export const Entry = Schema.Struct({
  endpoint: Schema.Literal("/v1/responses", "/v1/chat/completions", "/v1/embeddings"),
  model: Schema.String,
  instructions: Schema.optional(Schema.Unknown),
  input: Schema.optional(Schema.Unknown),
  messages: Schema.optional(Schema.Unknown),
  stream: Schema.optional(Schema.Boolean),
  status: Schema.optionalWith(Schema.Int, { default: () => 200 }),
  contentType: Schema.optionalWith(Schema.String, { default: () => "application/json" }),
  response: Schema.optional(Schema.Unknown),
  /** Shorthand for a whole answer whose only content is this text (responses and chat). */
  text: Schema.optional(Schema.String),
  usage: Schema.optional(Schema.Struct({ input_tokens: Schema.Int, output_tokens: Schema.Int })),
  /** How long the provider took to answer, in milliseconds: replayed at the server's `replaySpeed`. */
  latencyMs: Schema.optional(Schema.NonNegative)
}).pipe(
  Schema.filter((entry) => {
    if ((entry.response === undefined) === (entry.text === undefined)) return "a line needs either response or text"
    if (entry.text !== undefined && (entry.endpoint === "/v1/embeddings" || entry.stream === true)) {
      return "text stands for a whole answer of /v1/responses or /v1/chat/completions, not streamed"
    }
    return true
  })
)

/** @internal */
export type Entry = typeof Entry.Type

/** @internal */
export type Endpoint = Entry["endpoint"]

const decodeEntry = Schema.decodeUnknownEither(Schema.parseJson(Entry))

/**
 * A recording file could not be read: missing, unreadable, or a line that is not an answer.
 *
 * @internal
 */
export class RecordingFailed extends Data.TaggedError("RecordingFailed")<{
  readonly file: string
  readonly reason: string
}> {}

const isObject = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

/** JSON with object keys sorted and `undefined` left out, so that equal values have equal text. */
const canonical = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(canonical)
  if (!isObject(value)) return value
  const result: Record<string, unknown> = {}
  for (const key of Object.keys(value).sort()) {
    if (value[key] !== undefined) result[key] = canonical(value[key])
  }
  return result
}

/** A string `content` becomes the one text part it stands for; `type: "message"` is the default and is left out. */
const responsesInput = (input: unknown): unknown => {
  const items = typeof input === "string" ? [{ role: "user", content: input }] : input
  if (!Array.isArray(items)) return input
  return items.map((item) => {
    if (!isObject(item) || typeof item.role !== "string" || (item.type !== undefined && item.type !== "message")) {
      return item
    }
    const { type: _type, ...message } = item
    return typeof message.content === "string"
      ? {
        ...message,
        content: [{ type: message.role === "assistant" ? "output_text" : "input_text", text: message.content }]
      }
      : message
  })
}

const chatMessages = (messages: unknown): unknown =>
  Array.isArray(messages)
    ? messages.map((message) =>
      isObject(message) && typeof message.content === "string"
        ? { ...message, content: [{ type: "text", text: message.content }] }
        : message
    )
    : messages

/**
 * What a request is matched on, normalised: the fields of its recording line that identify it.
 *
 * @internal
 */
export interface Match {
  readonly endpoint: Endpoint
  readonly model: string
  readonly instructions?: unknown
  readonly input?: unknown
  readonly messages?: unknown
  readonly stream?: true
}

/**
 * The match of a request body (or of a recording line, which carries the same fields).
 *
 * @internal
 */
export const matchOf = (endpoint: Endpoint, body: Record<string, unknown>): Match => {
  const model = typeof body.model === "string" ? body.model : ""
  const stream = body.stream === true ? { stream: true as const } : {}
  switch (endpoint) {
    case "/v1/responses":
      return canonical({
        endpoint,
        model,
        instructions: body.instructions ?? undefined,
        input: responsesInput(body.input),
        ...stream
      }) as Match
    case "/v1/chat/completions":
      return canonical({ endpoint, model, messages: chatMessages(body.messages), ...stream }) as Match
    case "/v1/embeddings":
      return canonical({ endpoint, model, input: typeof body.input === "string" ? [body.input] : body.input }) as Match
  }
}

/** @internal */
export const keyOf = (match: Match): string => JSON.stringify(match)

/** A line in a fixed field order: the match first, then the answer. */
const lineOf = (match: Match, entry: Entry): string =>
  JSON.stringify({
    endpoint: match.endpoint,
    model: match.model,
    instructions: match.instructions,
    input: match.input,
    messages: match.messages,
    stream: match.stream,
    status: entry.status,
    contentType: entry.contentType === "application/json" ? undefined : entry.contentType,
    response: entry.response,
    text: entry.text,
    usage: entry.usage
  })

/** A short stable id for a synthesised answer, from what the call is matched on. */
const answerId = (match: Match): string => Crypto.createHash("sha256").update(keyOf(match)).digest("hex").slice(0, 24)

/**
 * The body an entry answers with: its `response`, or the whole answer its `text` stands for, shaped as OpenAI's (with
 * every field `@effect/ai-openai` requires), `created_at` 0 and the usage given (else zero tokens).
 *
 * @internal
 */
export const responseOf = (entry: Entry): unknown => {
  if (entry.text === undefined) return entry.response
  const match = matchOf(entry.endpoint, entry as unknown as Record<string, unknown>)
  const id = answerId(match)
  const input = entry.usage?.input_tokens ?? 0
  const output = entry.usage?.output_tokens ?? 0
  if (entry.endpoint === "/v1/chat/completions") {
    return {
      id: `chatcmpl-${id}`,
      object: "chat.completion",
      created: 0,
      model: entry.model,
      choices: [{
        index: 0,
        message: { role: "assistant", content: entry.text, refusal: null },
        finish_reason: "stop"
      }],
      usage: { prompt_tokens: input, completion_tokens: output, total_tokens: input + output }
    }
  }
  return {
    id: `resp_${id}`,
    object: "response",
    created_at: 0,
    status: "completed",
    error: null,
    incomplete_details: null,
    instructions: null,
    model: entry.model,
    output: [{
      type: "message",
      id: `msg_${id}`,
      status: "completed",
      role: "assistant",
      content: [{ type: "output_text", text: entry.text, annotations: [] }]
    }],
    parallel_tool_calls: true,
    tools: [],
    tool_choice: "auto",
    metadata: {},
    temperature: null,
    top_p: null,
    usage: {
      input_tokens: input,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: output,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: input + output
    }
  }
}

/**
 * Answers by key, as read from a file.
 *
 * @internal
 */
export interface Recording {
  readonly file: string
  readonly answers: ReadonlyMap<string, Entry>
}

const parse = (file: string, text: string): Effect.Effect<Map<string, Entry>, RecordingFailed> =>
  Effect.suspend(() => {
    const answers = new Map<string, Entry>()
    const lines = text.split("\n")
    for (let i = 0; i < lines.length; i++) {
      if (lines[i].trim() === "") continue
      const decoded = decodeEntry(lines[i])
      if (decoded._tag === "Left") {
        const reason = decoded.left.message.split("\n").slice(0, 6).join(" ")
        return Effect.fail(new RecordingFailed({ file, reason: `line ${i + 1} is not a recorded answer: ${reason}` }))
      }
      const entry = decoded.right
      const body = entry as unknown as Record<string, unknown>
      answers.set(keyOf(matchOf(entry.endpoint, body)), entry)
    }
    return Effect.succeed(answers)
  })

const readText = (file: string, missing: "fail" | "empty"): Effect.Effect<string, RecordingFailed> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    if (missing === "empty" && !(yield* fs.exists(file))) return ""
    return yield* fs.readFileString(file)
  }).pipe(
    Effect.mapError((error) => new RecordingFailed({ file, reason: error.message })),
    Effect.provide(NodeFileSystem.layer)
  )

/**
 * Reads a recording; a missing file is an error.
 *
 * @internal
 */
export const load = (file: string): Effect.Effect<Recording, RecordingFailed> =>
  Effect.map(Effect.flatMap(readText(file, "fail"), (text) => parse(file, text)), (answers) => ({ file, answers }))

/**
 * Writes answers to a recording file as they come, keeping the answers already in it.
 *
 * @internal
 */
export interface Recorder {
  readonly file: string
  readonly add: (match: Match, entry: Entry) => Effect.Effect<void, RecordingFailed>
}

/**
 * Opens a file to record into (created on the first answer; answers already in it are kept, a new answer for the
 * same request replaces the old one).
 *
 * @internal
 */
export const recorder = (file: string): Effect.Effect<Recorder, RecordingFailed> =>
  Effect.gen(function*() {
    const answers = yield* Effect.flatMap(readText(file, "empty"), (text) => parse(file, text))
    const lines = new Map<string, string>()
    for (const [key, entry] of answers) {
      lines.set(key, lineOf(matchOf(entry.endpoint, entry as unknown as Record<string, unknown>), entry))
    }
    const lock = yield* Effect.makeSemaphore(1)
    const write = Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const text = [...lines.keys()].sort().map((key) => `${lines.get(key)}\n`).join("")
      // Whole or not at all: a reader (or a crash) never sees half a file.
      const temporary = `${file}.${process.pid}.tmp`
      yield* fs.writeFileString(temporary, text)
      yield* fs.rename(temporary, file)
    }).pipe(
      Effect.mapError((error) => new RecordingFailed({ file, reason: error.message })),
      Effect.provide(NodeFileSystem.layer)
    )
    return {
      file,
      add: (match, entry) =>
        lock.withPermits(1)(Effect.suspend(() => {
          lines.set(keyOf(match), lineOf(match, entry))
          return write
        }))
    }
  })

/**
 * The answer recorded for a request, if any.
 *
 * @internal
 */
export const lookup = (recording: Recording, match: Match): Option.Option<Entry> =>
  Option.fromNullable(recording.answers.get(keyOf(match)))

/**
 * How many answers the recording holds for a model, to say in a miss whether the model is there at all.
 *
 * @internal
 */
export const countForModel = (recording: Recording, model: string): number => {
  let n = 0
  for (const entry of recording.answers.values()) if (entry.model === model) n++
  return n
}
