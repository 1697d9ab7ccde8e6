#!/usr/bin/env node
/**
 * `helicone-local`: runs the local Helicone score API until Ctrl-C.
 *
 * @since 0.1.0
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Config from "effect/Config"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Faults from "./Faults.js"
import * as Address from "./internal/address.js"
import * as LocalHelicone from "./LocalHelicone.js"

const port = Options.integer("port").pipe(
  Options.withDefault(8585),
  Options.withDescription("Port to listen on; 0 picks a free one")
)
const host = Options.text("host").pipe(
  Options.withDefault("127.0.0.1"),
  Options.withDescription(
    "Address to listen on (loopback by default: nothing leaves this machine); 0.0.0.0 listens on every IPv4 address, " +
      "so other machines can connect: give it --api-key then"
  )
)
const db = Options.text("db").pipe(
  Options.withDefault(".helicone-local/helicone.db"),
  Options.withDescription("SQLite file to store scores in (its directory is created), or :memory:")
)
const apiKeys = Options.text("api-key").pipe(
  Options.repeated,
  Options.withDescription(
    "An accepted API key (repeatable; also HELICONE_LOCAL_API_KEYS, comma-separated). " +
      "With none, any non-empty bearer token is accepted"
  )
)
const faults = Options.text("faults").pipe(
  Options.optional,
  Options.withDescription(`Faults to inject per request, e.g. "429=0.1,503=0.05,reset=0.02,stall=0.02"`)
)
const seed = Options.integer("seed").pipe(
  Options.optional,
  Options.withDescription("Seed of the fault sequence (random, and printed, when absent)")
)
const rateLimit = Options.integer("rate-limit").pipe(
  Options.optional,
  Options.withDescription("Requests allowed per API key per 5-minute window, like Helicone's limiter")
)

const acceptUnknownRequests = Options.boolean("accept-unknown-requests").pipe(
  Options.withDescription(
    "Keep scores for any request id; by default, as Helicone, a score for a request the gateway never logged is " +
      "answered 201 and dropped"
  )
)
const upstream = Options.text("upstream").pipe(
  Options.optional,
  Options.withDescription(
    "Provider base URL to forward model calls to, e.g. https://api.openai.com/v1 (POST /v1/responses goes to " +
      "<url>/responses)"
  )
)
const upstreamApiKey = Options.redacted("upstream-api-key").pipe(
  Options.withFallbackConfig(Config.redacted("HELICONE_LOCAL_UPSTREAM_API_KEY")),
  Options.optional,
  Options.withDescription(
    "Provider key sent upstream for calls authenticated AI Gateway style (also HELICONE_LOCAL_UPSTREAM_API_KEY, " +
      "which keeps it out of the process list); never printed or stored"
  )
)
const recording = Options.file("recording").pipe(
  Options.optional,
  Options.withDescription("JSONL recording to answer model calls from, offline; a call it lacks is a 404")
)
const replaySpeed = Options.float("replay-speed").pipe(
  Options.withSchema(Schema.NonNegative),
  Options.withDefault(0),
  Options.withDescription("Replay a recorded answer's latencyMs times this factor (0: answer at once, 1: as recorded)")
)
const record = Options.file("record").pipe(
  Options.optional,
  Options.withDescription("JSONL file to record each answer forwarded to --upstream into")
)

const envApiKeys = Config.string("HELICONE_LOCAL_API_KEYS").pipe(
  Config.withDefault(""),
  Config.map((value) => value.split(",").map((key) => key.trim()).filter((key) => key !== ""))
)

const command = Command.make(
  "helicone-local",
  {
    port,
    host,
    db,
    apiKeys,
    faults,
    seed,
    rateLimit,
    acceptUnknownRequests,
    upstream,
    upstreamApiKey,
    recording,
    replaySpeed,
    record
  },
  (options) =>
    Effect.gen(function*() {
      const keys = options.apiKeys.length > 0 ? options.apiKeys : yield* envApiKeys
      const server = yield* LocalHelicone.make({
        port: options.port,
        host: options.host,
        database: options.db,
        apiKeys: keys,
        faults: Option.getOrUndefined(options.faults),
        seed: Option.getOrUndefined(options.seed),
        rateLimit: Option.getOrUndefined(options.rateLimit),
        acceptUnknownRequests: options.acceptUnknownRequests,
        upstream: Option.getOrUndefined(options.upstream),
        upstreamApiKey: Option.getOrUndefined(options.upstreamApiKey),
        recording: Option.getOrUndefined(options.recording),
        replaySpeed: options.replaySpeed,
        record: Option.getOrUndefined(options.record)
      })
      yield* Console.log(`helicone-local listening on ${listening(options.host, server.port)}`)
      yield* Console.log(`  database: ${options.db}`)
      yield* Console.log(
        keys.length > 0
          ? `  api keys: ${keys.length} configured`
          : "  api keys: none configured, so any non-empty bearer token is accepted"
      )
      if (keys.length === 0 && !Address.isLoopback(options.host)) {
        yield* Console.log(
          `  WARNING: ${options.host} is reachable from other machines, and with no API key anyone who can connect ` +
            "can read and write scores. Give --api-key (or HELICONE_LOCAL_API_KEYS), or listen on --host 127.0.0.1."
        )
      }
      if (Option.isSome(options.faults)) {
        yield* Console.log(`  faults: ${Faults.format(server.faults) || "none"} (seed ${server.seed})`)
      }
      if (Option.isSome(options.rateLimit)) {
        yield* Console.log(`  rate limit: ${options.rateLimit.value} requests per key per 5 minutes`)
      }
      yield* Console.log(`  gateway: ${gatewayLine(options)}`)
      yield* Console.log(
        options.acceptUnknownRequests
          ? "  scores: kept for any request id (--accept-unknown-requests)"
          : "  scores: kept for requests logged through the gateway; others are answered 201 and dropped, as Helicone"
      )
      yield* Console.log("Press Ctrl-C to stop.")
      return yield* Effect.never
    }).pipe(
      Effect.scoped,
      Effect.catchTags({
        InvalidFaultSpec: (error) => exitWith(error.message),
        DatabaseDirectoryError: (error) => exitWith(error.message),
        DatabaseOpenError: (error) => exitWith(error.message),
        RecordingError: (error) => exitWith(error.message),
        ServeError: (error) =>
          exitWith(`could not listen on ${options.host}:${options.port}: ${String((error.cause as Error)?.message)}`),
        SqlError: (error) => exitWith(`could not open the database ${options.db}: ${withCause(error)}`),
        MigrationError: (error) => exitWith(`could not prepare the database ${options.db}: ${withCause(error)}`)
      })
    )
).pipe(Command.withDescription("A Helicone-compatible score API and gateway on your machine, stored in SQLite"))

/**
 * What the server is bound to and the URLs that reach it: for a wildcard address, the loopback URL and one per
 * network address, since `0.0.0.0` is not somewhere a client can connect to.
 */
const listening = (host: string, port: number): string => {
  if (!Address.isWildcard(host)) {
    const url = `http://${Address.urlHost(host)}:${port}`
    return Address.isLoopback(host) ? url : `${url} (reachable from other machines)`
  }
  const every = host.includes(":") ? "every address of this machine" : "every IPv4 address of this machine"
  const others = Address.networkUrls(host, port)
  return `${Address.urlHost(host)}:${port}, ${every}, reachable from other machines\n` +
    `  urls: http://127.0.0.1:${port} from this machine` +
    (others.length > 0 ? `; ${others.join(", ")} from others` : "")
}

/** Where model calls are answered from; the upstream key is only said to be there. */
const gatewayLine = (options: {
  readonly upstream: Option.Option<string>
  readonly upstreamApiKey: Option.Option<unknown>
  readonly recording: Option.Option<string>
  readonly record: Option.Option<string>
}): string => {
  const parts: Array<string> = []
  if (Option.isSome(options.recording)) parts.push(`answers from the recording ${options.recording.value}`)
  if (Option.isSome(options.upstream)) {
    parts.push(
      `${Option.isSome(options.recording) ? "the rest forwarded" : "forwards"} to ${options.upstream.value}` +
        (Option.isSome(options.upstreamApiKey) ? " with the configured provider key" : "")
    )
  }
  if (Option.isSome(options.record)) parts.push(`recording answers into ${options.record.value}`)
  return parts.length > 0
    ? `POST /v1/responses, /v1/chat/completions, /v1/embeddings; ${parts.join(", ")}`
    : "no --upstream or --recording, so model calls are answered 501"
}

/** The error's message and, when it wraps one, SQLite's own ("SQLITE_READONLY: …"), on one line. */
const withCause = (error: { readonly message: string; readonly cause?: unknown }): string =>
  error.cause instanceof Error ? `${error.message}: ${error.cause.message.split("\n")[0]}` : error.message

const exitWith = (message: string) =>
  Effect.zipRight(Console.error(`helicone-local: ${message}`), Effect.sync(() => process.exitCode = 1))

const cli = Command.run(command, { name: "helicone-local", version: "0.1.0" })

cli(process.argv).pipe(
  // Debug lines are the injected faults, one per faulted request, so a user can see what their client went through.
  Logger.withMinimumLogLevel(LogLevel.Debug),
  Effect.provide(NodeContext.layer),
  NodeRuntime.runMain
)
