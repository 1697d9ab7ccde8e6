/**
 * Where `helicone-eval run --helicone` sends scores: Helicone from the environment, or (`--local`) the embedded
 * local server. `@helicone-effect/local` is an optional peer of this package, imported when `--local` asks for it.
 *
 * Either way the scores go through a durable `ScoreQueue`, so that an outage of Helicone neither blocks the run nor
 * loses scores: what cannot be delivered waits in an outbox that the next run replays. Each Helicone has its own
 * outbox — `.helicone-outbox/` in the working directory for Helicone, next to the database (`.helicone-local/`) for
 * the embedded server — so that scores meant for one are never replayed to the other.
 *
 * @internal
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import type * as HttpClient from "@effect/platform/HttpClient"
import * as HeliconeConfig from "@helicone-effect/core/HeliconeConfig"
import * as HeliconeScores from "@helicone-effect/core/HeliconeScores"
import * as ScoreQueue from "@helicone-effect/core/ScoreQueue"
import type * as LocalHelicone from "@helicone-effect/local/LocalHelicone"
import * as Config from "effect/Config"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { HeliconeSetupError } from "../CliError.js"

/** A Helicone to send scores to. */
export interface Target {
  /** `helicone`: Helicone as configured by the environment; `embedded`: a server started in this process. */
  readonly kind: "helicone" | "embedded"
  /** Built in the command's scope: closing it delivers what is left, or writes it to the outbox. */
  readonly layer: Layer.Layer<HeliconeScores.HeliconeScores | ScoreQueue.ScoreQueue>
  /** Said before the run, e.g. `sending scores to Helicone at https://api.helicone.ai`. */
  readonly description: string
  /** For the embedded server: reads what it stored for a request id. */
  readonly readBack: ((requestId: string) => Effect.Effect<Readonly<Record<string, number>> | null>) | undefined
  /** For the embedded server: a request its gateway logged, as `GET /v1/request/{id}` answers it. */
  readonly readRequest: ((requestId: string) => Effect.Effect<Readonly<Record<string, unknown>> | null>) | undefined
  readonly baseUrl: string
  /** For the embedded server: its OpenAI-compatible gateway, `<baseUrl>/v1`. */
  readonly gatewayUrl: string | undefined
  /**
   * The configuration a model layer made with `HeliconeGateway.layerConfig()` reads: the environment, and for the
   * embedded server with a recording, its gateway and key under it (`HELICONE_GATEWAY_URL`, `HELICONE_API_KEY`).
   */
  readonly gatewayConfig: ConfigProvider.ConfigProvider
  /** The embedded server's database file (absent in memory). */
  readonly database: string | undefined
  /** The queue in `layer`, for the wait after the run. */
  readonly queue: ScoreQueue.Service
  /** The directory of the queue's outbox and dead-letter files (a temporary one for an in-memory server). */
  readonly outbox: string
}

type LocalModule = typeof LocalHelicone

const importLocal = (): Promise<LocalModule> => import("@helicone-effect/local/LocalHelicone")

/** The key the CLI gives the embedded server, which checks none. */
const localApiKey = "helicone-eval-local"

/** Where `--local` keeps scores: the same file `helicone-local` serves by default, so they can be browsed after. */
export const localDatabase = ".helicone-local/helicone.db"

/** Starts the embedded server in the scope. */
export const local = (
  database: string,
  options: {
    /** A recording the gateway answers model calls from. */
    readonly recording?: string | undefined
    /** How a recorded answer's latency is replayed (0: at once). */
    readonly replaySpeed?: number | undefined
  } = {},
  load: () => Promise<LocalModule> = importLocal
): Effect.Effect<Target, HeliconeSetupError, Scope.Scope> =>
  Effect.gen(function*() {
    const Local = yield* Effect.tryPromise({
      try: load,
      catch: (error) =>
        setup(
          isModuleNotFound(error, "@helicone-effect/local")
            ? "install @helicone-effect/local to use --local"
            : `@helicone-effect/local could not be loaded: ${messageOf(error)}`
        )
    })
    // Permissive: the run's scores are for request ids the task chose, not calls made through this server's gateway.
    const server = yield* Local.make({
      database,
      acceptUnknownRequests: true,
      recording: options.recording,
      replaySpeed: options.replaySpeed
    }).pipe(
      Effect.mapError((error) => setup(`the embedded Helicone server could not start: ${messageOf(error)}`))
    )
    // opened after the server, so closed before it: the queue's shutdown can still deliver to it
    const { layer, outbox, queue } = yield* withQueue(
      HeliconeScores.layer({ apiKey: Redacted.make(localApiKey), baseUrl: server.baseUrl }),
      database === ":memory:" ? undefined : Path.dirname(database)
    )
    return {
      layer,
      outbox,
      queue,
      description: `sending scores to the embedded Helicone server at ${server.baseUrl} (stored in ${database})`,
      kind: "embedded" as const,
      readBack: server.scores,
      readRequest: server.request,
      baseUrl: server.baseUrl,
      gatewayUrl: `${server.baseUrl}/v1`,
      // only a server with a recording answers model calls; without one they go where the environment says
      gatewayConfig: options.recording === undefined ? ConfigProvider.fromEnv() : ConfigProvider.fromEnv().pipe(
        ConfigProvider.orElse(() =>
          ConfigProvider.fromMap(
            new Map([["HELICONE_GATEWAY_URL", `${server.baseUrl}/v1`], ["HELICONE_API_KEY", localApiKey]])
          )
        )
      ),
      database: database === ":memory:" ? undefined : database
    }
  })

/** Only the package itself missing: a missing dependency of an installed package is another problem. */
const isModuleNotFound = (error: unknown, specifier: string): boolean =>
  typeof error === "object" && error !== null && "code" in error &&
  (error.code === "ERR_MODULE_NOT_FOUND" || error.code === "MODULE_NOT_FOUND") &&
  String((error as { message?: unknown }).message).includes(specifier)

/** Whether `HELICONE_API_KEY` is set to something other than blanks. */
export const hasApiKey: Effect.Effect<boolean> = Config.option(Config.string("HELICONE_API_KEY")).pipe(
  Effect.map((key) => Option.isSome(key) && key.value.trim() !== ""),
  Effect.orElseSucceed(() => false)
)

/**
 * Helicone as configured by `HELICONE_API_KEY`, `HELICONE_BASE_URL` / `HELICONE_REGION`, with its outbox in the
 * directory `outbox`.
 */
export const fromEnvironment = (outbox: string): Effect.Effect<Target, HeliconeSetupError, Scope.Scope> =>
  Effect.gen(function*() {
    if (!(yield* hasApiKey)) {
      return yield* setup("HELICONE_API_KEY is not set; pass --local to use the embedded server")
    }
    const options = yield* HeliconeConfig.config.pipe(
      Effect.mapError((error) => setup(`invalid Helicone configuration: ${error}`))
    )
    const resolved = yield* HeliconeConfig.make(options).pipe(Effect.mapError((error) => setup(error.message)))
    const { layer, queue } = yield* withQueue(HeliconeScores.layer(options), outbox)
    return {
      kind: "helicone" as const,
      layer,
      outbox,
      queue,
      description: `sending scores to Helicone at ${resolved.baseUrl} (HELICONE_API_KEY is set; undelivered scores ` +
        `wait in ${outbox})`,
      readBack: undefined,
      readRequest: undefined,
      baseUrl: resolved.baseUrl,
      gatewayUrl: undefined,
      gatewayConfig: ConfigProvider.fromEnv(),
      database: undefined
    }
  })

/** Where `--helicone` keeps the scores Helicone did not take yet (the `ScoreQueue` default), in the working dir. */
export const outboxDir = ".helicone-outbox"

/**
 * Starts a `ScoreQueue` over `helicone` in the scope, with its outbox and dead-letter files in `dir` (in a temporary
 * directory removed with the scope when there is none, e.g. for an in-memory server).
 */
const withQueue = (
  helicone: Layer.Layer<HeliconeScores.HeliconeScores, unknown, HttpClient.HttpClient>,
  dir: string | undefined
): Effect.Effect<
  {
    readonly layer: Layer.Layer<HeliconeScores.HeliconeScores | ScoreQueue.ScoreQueue>
    readonly queue: ScoreQueue.Service
    readonly outbox: string
  },
  HeliconeSetupError,
  Scope.Scope
> =>
  Effect.gen(function*() {
    const scores = yield* Layer.build(helicone.pipe(Layer.provide(FetchHttpClient.layer))).pipe(
      Effect.mapError((error) => setup(`invalid Helicone configuration: ${messageOf(error)}`))
    )
    const files = dir ?? (yield* tempDir)
    const queue = yield* Layer.build(ScoreQueue.layer({
      outboxPath: Path.join(files, "outbox.jsonl"),
      deadLetterPath: Path.join(files, "dead-letter.jsonl")
    })).pipe(
      Effect.provide(scores),
      Effect.provide(NodeFileSystem.layer),
      Effect.mapError((error) => setup(`the score outbox in ${files} could not be opened: ${messageOf(error)}`))
    )
    return {
      layer: Layer.succeedContext(Context.merge(scores, queue)),
      queue: Context.get(queue, ScoreQueue.ScoreQueue),
      outbox: files
    }
  })

const tempDir = Effect.acquireRelease(
  Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), "helicone-eval-outbox-"))),
  (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
)

const messageOf = (error: unknown): string =>
  typeof error === "object" && error !== null && "message" in error ? String(error.message) : String(error)

const setup = (reason: string) => new HeliconeSetupError({ reason })
