/**
 * A Helicone-compatible server in one process: the score routes of Helicone's self-hosted server and an
 * OpenAI-compatible gateway that logs each model call, stored in SQLite, with optional fault injection.
 *
 * @since 0.1.0
 */
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpServerError from "@effect/platform/HttpServerError"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import type * as Migrator from "@effect/sql/Migrator"
import type * as SqlError from "@effect/sql/SqlError"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Http from "node:http"
import * as Faults from "./Faults.js"
import * as Address from "./internal/address.js"
import * as InternalFaults from "./internal/faults.js"
import * as Recording from "./internal/recording.js"
import * as Routes from "./internal/routes.js"
import * as Store from "./internal/store.js"

/**
 * A running local server.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /**
   * Where this machine reaches it, e.g. `http://127.0.0.1:8585`; give it to the client as its base URL. For a server
   * bound to every address (`0.0.0.0`, `::`) it is the loopback URL.
   */
  readonly baseUrl: string
  readonly port: number
  /** The seed of the fault sequence (chosen at random when none was given, so that a run can be repeated). */
  readonly seed: number
  /** The faults injected, as parsed from the options (`{}` for none). */
  readonly faults: Faults.FaultSpec
  /**
   * The scores stored for a request, as Helicone stores them (booleans as `<name>-hcone-bool` 1/0), or `null` when
   * nothing is stored for it.
   */
  readonly scores: (requestId: string) => Effect.Effect<Readonly<Record<string, number>> | null>
  /**
   * A request logged by the gateway, shaped as `GET /v1/request/{id}` answers it (Helicone's `HeliconeRequest`, with
   * its `scores`), or `null` when the gateway never logged it.
   */
  readonly request: (requestId: string) => Effect.Effect<Readonly<Record<string, unknown>> | null>
  /** How many requests the server received, on every route, faulted ones included. */
  readonly requestCount: Effect.Effect<number>
}

/**
 * The running local Helicone server.
 *
 * @since 0.1.0
 * @category tags
 */
export class LocalHelicone extends Context.Tag("@helicone-effect/local/LocalHelicone")<LocalHelicone, Service>() {}

/**
 * How to run the server.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Default 0: a free port. */
  readonly port?: number | undefined
  /**
   * Default `127.0.0.1`. `0.0.0.0` (or `::`) listens on every address of the machine, so other machines can connect:
   * give it `apiKeys` then.
   */
  readonly host?: string | undefined
  /** A file path (its directory is created) or `":memory:"` (the default). */
  readonly database?: string | undefined
  /** The accepted API keys; when empty or absent, any non-empty bearer token is accepted. */
  readonly apiKeys?: ReadonlyArray<string> | undefined
  /** Faults to inject, e.g. `"429=0.1,503=0.05,reset=0.02,stall=0.02"` or `{ 429: 0.1 }`. */
  readonly faults?: string | Faults.FaultSpec | undefined
  /** Seed of the fault sequence: the n-th request's fault depends only on (seed, n). */
  readonly seed?: number | undefined
  /** Requests allowed per API key per 5-minute window, like Helicone's limiter; unlimited by default. */
  readonly rateLimit?: number | undefined
  /**
   * Keep scores (and feedback) for any request id. By default, as Helicone, a score for a request the gateway never
   * logged is answered 201 and dropped.
   */
  readonly acceptUnknownRequests?: boolean | undefined
  /**
   * The provider's base URL the gateway forwards model calls to, e.g. `https://api.openai.com/v1`
   * (`POST /v1/responses` goes to `<upstream>/responses`).
   */
  readonly upstream?: string | undefined
  /**
   * The provider key sent upstream for calls that authenticate AI Gateway style (a proxy-style call's own
   * `Authorization` is forwarded instead). Never logged, stored or recorded.
   */
  readonly upstreamApiKey?: Redacted.Redacted | string | undefined
  /**
   * A recording (JSONL) to answer model calls from. A call it lacks goes to `upstream` when there is one, and is
   * otherwise answered 404 with an OpenAI error naming what was missing.
   */
  readonly recording?: string | undefined
  /**
   * How a recorded answer's `latencyMs` is replayed: the gateway waits that long times this factor before answering.
   * Default 0, at once; 1 at the recorded pace.
   */
  readonly replaySpeed?: number | undefined
  /** A recording file to write each answer forwarded to `upstream` into (answers already in it are kept). */
  readonly record?: string | undefined
}

/**
 * The directory of the database file could not be created (a parent is a file, or not writable).
 *
 * @since 0.1.0
 * @category errors
 */
export class DatabaseDirectoryError extends Schema.TaggedError<DatabaseDirectoryError>(
  "@helicone-effect/local/DatabaseDirectoryError"
)("DatabaseDirectoryError", {
  database: Schema.String,
  directory: Schema.String,
  reason: Schema.String
}) {
  /**
   * @since 0.1.0
   */
  override get message(): string {
    return `could not create the directory "${this.directory}" for the database "${this.database}": ${this.reason}. ` +
      `Choose another path, or ":memory:".`
  }
}

/**
 * The database could not be opened: the path is a directory, SQLite cannot create a file there (not writable), or the
 * file is not a SQLite database.
 *
 * @since 0.1.0
 * @category errors
 */
export class DatabaseOpenError extends Schema.TaggedError<DatabaseOpenError>(
  "@helicone-effect/local/DatabaseOpenError"
)("DatabaseOpenError", {
  database: Schema.String,
  reason: Schema.String,
  cause: Schema.optional(Schema.Defect)
}) {
  /**
   * @since 0.1.0
   */
  override get message(): string {
    return `could not open the database "${this.database}": ${this.reason}. Choose another path, or ":memory:".`
  }
}

/**
 * A recording could not be read (missing, unreadable, or a line that is not a recorded answer) or its file could not
 * be opened for recording.
 *
 * @since 0.1.0
 * @category errors
 */
export class RecordingError extends Schema.TaggedError<RecordingError>("@helicone-effect/local/RecordingError")(
  "RecordingError",
  {
    file: Schema.String,
    reason: Schema.String
  }
) {
  /**
   * @since 0.1.0
   */
  override get message(): string {
    return `could not read the recording "${this.file}": ${this.reason}`
  }
}

/**
 * Why the server could not start.
 *
 * @since 0.1.0
 * @category errors
 */
export type StartError =
  | HttpServerError.ServeError
  | SqlError.SqlError
  | Migrator.MigrationError
  | Faults.InvalidFaultSpec
  | DatabaseDirectoryError
  | DatabaseOpenError
  | RecordingError

const directoryError = (database: string, reason: string) =>
  new DatabaseDirectoryError({ database, directory: Store.directoryOf(database) ?? database, reason })

/**
 * Starts the server in the current scope; it stops (stalled requests included) when the scope closes.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options = {}): Effect.Effect<Service, StartError, Scope.Scope> =>
  Effect.gen(function*() {
    const faults = yield* Faults.make(options.faults ?? {})
    const seed = options.seed ?? Math.floor(Math.random() * 2 ** 32)
    const database = options.database ?? ":memory:"
    const store = yield* Store.make(database).pipe(
      Effect.catchTags({
        BadArgument: (error) => Effect.fail(directoryError(database, error.description ?? error.message)),
        SystemError: (error) => Effect.fail(directoryError(database, error.description ?? error.reason)),
        OpenFailed: (error) =>
          Effect.fail(new DatabaseOpenError({ database, reason: error.reason, cause: error.cause }))
      })
    )
    const toRecordingError = (error: Recording.RecordingFailed) =>
      new RecordingError({ file: error.file, reason: error.reason })
    const recording = options.recording === undefined
      ? undefined
      : yield* Recording.load(options.recording).pipe(Effect.mapError(toRecordingError))
    const recorder = options.record === undefined
      ? undefined
      : yield* Recording.recorder(options.record).pipe(Effect.mapError(toRecordingError))
    const client = yield* HttpClient.HttpClient.pipe(Effect.provide(FetchHttpClient.layer))
    const host = options.host ?? "127.0.0.1"
    const server = yield* NodeHttpServer.make(() => Http.createServer(), { port: options.port ?? 0, host })
    // Added after the server, so it runs before `server.close()`, which would otherwise wait for stalled requests.
    const stalled = new InternalFaults.StalledSockets()
    yield* Effect.addFinalizer(() => Effect.sync(() => stalled.releaseAll()))

    const counter = yield* Ref.make(0)
    const apiKeys = options.apiKeys !== undefined && options.apiKeys.length > 0 ? new Set(options.apiKeys) : undefined
    const rateLimit = InternalFaults.makeRateLimiter(options.rateLimit)
    const upstreamApiKey = typeof options.upstreamApiKey === "string"
      ? Redacted.make(options.upstreamApiKey)
      : options.upstreamApiKey
    const router = Routes.make({
      store,
      apiKeys,
      rateLimit,
      acceptUnknownRequests: options.acceptUnknownRequests ?? false,
      gateway: {
        store,
        apiKeys,
        rateLimit,
        client,
        upstream: options.upstream,
        upstreamApiKey,
        recording,
        recorder,
        replaySpeed: options.replaySpeed !== undefined && options.replaySpeed > 0 ? options.replaySpeed : 0
      }
    })
    const app = Effect.gen(function*() {
      const n = yield* Ref.getAndUpdate(counter, (n) => n + 1)
      const fault = Faults.faultAt(faults, seed, n)
      if (fault === undefined) return yield* router
      const request = yield* HttpServerRequest.HttpServerRequest
      yield* Effect.logDebug(`helicone-local: injecting ${fault} into request #${n} (${request.method} ${request.url})`)
      return yield* InternalFaults.respond(fault, request, stalled, options.rateLimit ?? 1000)
    }).pipe(
      // A bug must still answer as Helicone's other failures do, with a JSON body.
      Effect.catchAllDefect((defect) =>
        Effect.as(
          Effect.logError("helicone-local: a request failed unexpectedly", defect),
          HttpServerResponse.unsafeJson({ data: null, error: "Internal Server Error" }, { status: 500 })
        )
      )
    )
    yield* server.serve(app)

    const port = server.address._tag === "TcpAddress" ? server.address.port : 0
    return {
      baseUrl: `http://${Address.isWildcard(host) ? "127.0.0.1" : Address.urlHost(host)}:${port}`,
      port,
      seed,
      faults,
      scores: (requestId) =>
        store.scores(requestId.toLowerCase()).pipe(Effect.map((scores) => scores ?? null), Effect.orDie),
      request: (requestId) =>
        Effect.gen(function*() {
          const id = requestId.toLowerCase()
          const logged = yield* store.loggedRequest(id)
          if (logged === undefined) return null
          return Routes.heliconeRequest(logged, (yield* store.scores(id)) ?? null, false)
        }).pipe(Effect.orDie),
      requestCount: Ref.get(counter)
    } satisfies Service
  })

/**
 * The server as a layer, for tests and demos: port 0 and an in-memory database unless told otherwise.
 *
 * @example
 * ```ts
 * import { LocalHelicone } from "@helicone-effect/local"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const local = yield* LocalHelicone.LocalHelicone
 *   console.log(`Helicone API on ${local.baseUrl}`)
 * }).pipe(Effect.provide(LocalHelicone.layer({ faults: "429=0.1", seed: 42 })))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options = {}): Layer.Layer<LocalHelicone, StartError> =>
  Layer.scoped(LocalHelicone, make(options))
