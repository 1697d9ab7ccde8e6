/**
 * The SQLite store, through libSQL.
 *
 * Writes are the hot path (a run of an eval upserts a score per case, tens of thousands at once), and libSQL's cost is
 * per statement (a prepare and a commit each time) far more than per row, so upserts are not written by the request
 * that sends them: each is queued, and one writer fiber writes all those that arrived in the same event-loop turn in
 * one multi-row `INSERT … ON CONFLICT DO UPDATE` (group commit). The contract a request relies on:
 *
 * - its `upsert` succeeds only after its scores are stored, and fails with the batch's `SqlError` otherwise;
 * - upserts apply in the order they were offered: the last write of a key wins, other keys are kept;
 * - there is no transaction (libSQL would pay for one with a new connection, and lose the connection's pragmas): each
 *   statement is atomic and idempotent, and a failed upsert is answered 500 and repeated by the client's retry. The
 *   scores are written before the request, so a request is never known without the scores it was sent with.
 */
import * as Reactivity from "@effect/experimental/Reactivity"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import type { PlatformError } from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import * as LibsqlClient from "@effect/sql-libsql/LibsqlClient"
import * as Migrator from "@effect/sql/Migrator"
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as Data from "effect/Data"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import * as Queue from "effect/Queue"
import type * as Scope from "effect/Scope"
import * as NodePath from "node:path"
import * as NodeUrl from "node:url"

/** @internal */
export interface Store {
  /** Upserts each score (last write wins, other keys kept) and remembers the request. */
  readonly upsert: (requestId: string, scores: ReadonlyArray<readonly [name: string, value: number]>) => Effect.Effect<
    void,
    SqlError
  >
  /** `undefined`: the request was never scored; `null`: it was, but holds no score. */
  readonly scores: (requestId: string) => Effect.Effect<Record<string, number> | null | undefined, SqlError>
  readonly scoreNames: Effect.Effect<ReadonlyArray<string>, SqlError>
  /** Writes one request the gateway answered; it is stored when the effect succeeds. */
  readonly logRequest: (request: LoggedRequest) => Effect.Effect<void, SqlError>
  /** Whether the gateway logged a request under this id. */
  readonly isLogged: (requestId: string) => Effect.Effect<boolean, SqlError>
  /** The request the gateway logged under this id, or `undefined`. */
  readonly loggedRequest: (requestId: string) => Effect.Effect<LoggedRequest | undefined, SqlError>
}

/**
 * One request through the gateway, as it is logged: what Helicone keeps of a request and its response.
 *
 * @internal
 */
export interface LoggedRequest {
  readonly requestId: string
  /** ISO time the request arrived. */
  readonly createdAt: string
  /** ISO time the answer was complete. */
  readonly respondedAt: string
  /** The route asked for, e.g. `/v1/responses`. */
  readonly path: string
  /** Where the answer came from: the upstream URL it was forwarded to, or `recording:<file>`. */
  readonly targetUrl: string
  readonly model: string | null
  readonly responseModel: string | null
  readonly status: number
  readonly latencyMs: number
  readonly promptTokens: number | null
  readonly completionTokens: number | null
  readonly totalTokens: number | null
  /** `Helicone-Property-*` values by name, and the `Helicone-Session-*` headers under their own names, as Helicone. */
  readonly properties: Readonly<Record<string, string>>
  readonly userId: string | null
  readonly sessionId: string | null
  readonly sessionPath: string | null
  readonly sessionName: string | null
  /** The request body as JSON text. */
  readonly requestBody: string
  /** The answer's body as sent to the client (JSON or event-stream text). */
  readonly responseBody: string
}

/**
 * The schema, one migration per change; never edit a migration that has shipped, add the next one.
 *
 * @internal
 */
export const migrations = Migrator.fromRecord({
  "0001_create_scores": Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql`CREATE TABLE requests (
      request_id TEXT PRIMARY KEY NOT NULL,
      created_at TEXT NOT NULL
    )`
    yield* sql`CREATE TABLE scores (
      request_id TEXT NOT NULL,
      name TEXT NOT NULL,
      value INTEGER NOT NULL,
      updated_at TEXT NOT NULL,
      PRIMARY KEY (request_id, name)
    )`
    yield* sql`CREATE INDEX scores_name ON scores (name)`
  }),
  "0002_create_request_log": Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql`CREATE TABLE request_log (
      request_id TEXT PRIMARY KEY NOT NULL,
      created_at TEXT NOT NULL,
      responded_at TEXT NOT NULL,
      path TEXT NOT NULL,
      target_url TEXT NOT NULL,
      model TEXT,
      response_model TEXT,
      status INTEGER NOT NULL,
      latency_ms INTEGER NOT NULL,
      prompt_tokens INTEGER,
      completion_tokens INTEGER,
      total_tokens INTEGER,
      properties TEXT NOT NULL,
      user_id TEXT,
      session_id TEXT,
      session_path TEXT,
      session_name TEXT,
      request_body TEXT NOT NULL,
      response_body TEXT NOT NULL
    )`
    yield* sql`CREATE INDEX request_log_session ON request_log (session_id)`
  })
})

const migrate = Migrator.make({})({ loader: migrations, table: "helicone_local_migrations" })

/**
 * The directory a database file needs, or `undefined` when there is none to create (in memory, or a `file:` URI that
 * SQLite resolves itself).
 *
 * @internal
 */
export const directoryOf = (database: string): string | undefined =>
  database === ":memory:" || database.startsWith("file:") ? undefined : NodePath.dirname(database)

const ensureDirectory = (database: string): Effect.Effect<void, PlatformError> => {
  const directory = directoryOf(database)
  return directory === undefined
    ? Effect.void
    : Effect.flatMap(FileSystem.FileSystem, (fs) => fs.makeDirectory(directory, { recursive: true }))
      .pipe(Effect.provide(NodeFileSystem.layer))
}

/**
 * The libSQL URL of a database. `:memory:` becomes a file in a temporary directory removed with the scope: libSQL
 * hands its connection to each transaction (the migrator's) and opens a new one after it, and a new connection to
 * `:memory:` is a new, empty database.
 */
const urlOf = (database: string): Effect.Effect<string, PlatformError, Scope.Scope> => {
  if (database.startsWith("file:")) return Effect.succeed(database)
  if (database !== ":memory:") return Effect.succeed(NodeUrl.pathToFileURL(NodePath.resolve(database)).href)
  return Effect.flatMap(FileSystem.FileSystem, (fs) => fs.makeTempDirectoryScoped({ prefix: "helicone-local-" })).pipe(
    Effect.map((directory) => NodeUrl.pathToFileURL(NodePath.join(directory, "helicone.db")).href),
    Effect.provide(NodeFileSystem.layer)
  )
}

/**
 * The database could not be opened: the path is a directory, SQLite cannot create a file there, or the file is not a
 * SQLite database. `LocalHelicone` turns it into its public `DatabaseOpenError`.
 *
 * @internal
 */
export class OpenFailed extends Data.TaggedError("OpenFailed")<{
  readonly reason: string
  readonly cause?: unknown
}> {}

const refuseDirectory = (database: string): Effect.Effect<void, OpenFailed> =>
  database === ":memory:" || database.startsWith("file:")
    ? Effect.void
    : Effect.flatMap(FileSystem.FileSystem, (fs) => fs.stat(database)).pipe(
      Effect.provide(NodeFileSystem.layer),
      Effect.option,
      Effect.flatMap((info) =>
        Option.isSome(info) && info.value.type === "Directory"
          ? Effect.fail(new OpenFailed({ reason: "it is a directory" }))
          : Effect.void
      )
    )

const sqliteCode = (cause: unknown): string | undefined => {
  const code = Predicate.hasProperty(cause, "code") ? cause.code : undefined
  return typeof code === "string" ? code : undefined
}

/**
 * Opens the client and reads the file's header. `LibsqlClient.make` opens the connection inside `Effect.sync`, so a
 * file SQLite cannot open or create is a defect there; it is the only thing that can throw in that step.
 */
const open = (url: string): Effect.Effect<SqlClient.SqlClient, OpenFailed, Scope.Scope> =>
  Effect.gen(function*() {
    const sql = yield* LibsqlClient.make({ url }).pipe(
      Effect.provide(Reactivity.layer),
      Effect.catchAllDefect((cause) =>
        Effect.fail(new OpenFailed({ reason: "SQLite cannot open or create a file there (is it writable?)", cause }))
      )
    )
    // Persistent in the file, so set once here; it is also the first statement that reads the file.
    yield* sql`PRAGMA journal_mode = WAL`.pipe(
      Effect.mapError((error) =>
        new OpenFailed({
          reason: sqliteCode(error.cause) === "SQLITE_NOTADB"
            ? "the file is not a SQLite database"
            : `SQLite refused it (${error.cause instanceof Error ? error.cause.message : error.message})`,
          cause: error.cause
        })
      )
    )
    return sql
  })

interface LogRow {
  readonly request_id: string
  readonly created_at: string
  readonly responded_at: string
  readonly path: string
  readonly target_url: string
  readonly model: string | null
  readonly response_model: string | null
  readonly status: number
  readonly latency_ms: number
  readonly prompt_tokens: number | null
  readonly completion_tokens: number | null
  readonly total_tokens: number | null
  readonly properties: string
  readonly user_id: string | null
  readonly session_id: string | null
  readonly session_path: string | null
  readonly session_name: string | null
  readonly request_body: string
  readonly response_body: string
}

const fromRow = (row: LogRow): LoggedRequest => ({
  requestId: row.request_id,
  createdAt: row.created_at,
  respondedAt: row.responded_at,
  path: row.path,
  targetUrl: row.target_url,
  model: row.model,
  responseModel: row.response_model,
  status: Number(row.status),
  latencyMs: Number(row.latency_ms),
  promptTokens: row.prompt_tokens === null ? null : Number(row.prompt_tokens),
  completionTokens: row.completion_tokens === null ? null : Number(row.completion_tokens),
  totalTokens: row.total_tokens === null ? null : Number(row.total_tokens),
  properties: JSON.parse(row.properties) as Record<string, string>,
  userId: row.user_id,
  sessionId: row.session_id,
  sessionPath: row.session_path,
  sessionName: row.session_name,
  requestBody: row.request_body,
  responseBody: row.response_body
})

interface Pending {
  readonly requestId: string
  readonly scores: ReadonlyArray<readonly [name: string, value: number]>
  readonly done: Deferred.Deferred<void, SqlError>
}

/** The most upserts one write takes from the queue. */
const upsertsPerWrite = 512

/**
 * Lets the event loop run the callbacks that are ready before the writer takes its batch: libSQL runs a statement
 * synchronously, so without this turn each request would be written alone, as soon as it is offered.
 */
const nextTurn: Effect.Effect<void> = Effect.async((resume) => {
  const handle = setImmediate(() => resume(Effect.void))
  return Effect.sync(() => clearImmediate(handle))
})

/** SQLite's limit is 32,766 bound values; a score row takes four. */
const rowsPerStatement = 2000

const chunks = <A>(rows: ReadonlyArray<A>): Array<ReadonlyArray<A>> => {
  const result: Array<ReadonlyArray<A>> = []
  for (let start = 0; start < rows.length; start += rowsPerStatement) {
    result.push(rows.slice(start, start + rowsPerStatement))
  }
  return result
}

/** One batch: its scores in as few statements as SQLite allows, then its requests. */
const write = (sql: SqlClient.SqlClient, batch: ReadonlyArray<Pending>): Effect.Effect<void, SqlError> =>
  Effect.gen(function*() {
    const now = new Date(yield* Clock.currentTimeMillis).toISOString()
    const scoreRows = batch.flatMap(({ requestId, scores }) =>
      scores.map(([name, value]) => ({ request_id: requestId, name, value, updated_at: now }))
    )
    for (const rows of chunks(scoreRows)) {
      yield* sql`INSERT INTO scores ${sql.insert(rows)}
        ON CONFLICT (request_id, name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`
    }
    for (const rows of chunks(batch.map(({ requestId }) => ({ request_id: requestId, created_at: now })))) {
      yield* sql`INSERT INTO requests ${sql.insert(rows)} ON CONFLICT (request_id) DO NOTHING`
    }
  })

/**
 * Opens (creating if needed) the SQLite database and brings its schema up to date.
 *
 * @internal
 */
export const make = (
  database: string
): Effect.Effect<Store, OpenFailed | SqlError | Migrator.MigrationError | PlatformError, Scope.Scope> =>
  Effect.gen(function*() {
    yield* ensureDirectory(database)
    yield* refuseDirectory(database)
    const url = yield* urlOf(database)
    const sql = yield* open(url)
    // The migrator's progress lines are noise for a user who only started a server.
    yield* Effect.provideService(migrate, SqlClient.SqlClient, sql).pipe(Logger.withMinimumLogLevel(LogLevel.Info))
    // Per connection, and libSQL opens a new connection after each transaction: after the migrator's, the store keeps
    // this one, because it never opens a transaction. Without a sync per commit a write is lost only with the machine.
    yield* sql`PRAGMA synchronous = NORMAL`

    const pending = yield* Queue.unbounded<Pending>()
    yield* Queue.take(pending).pipe(
      Effect.flatMap((first) =>
        nextTurn.pipe(
          Effect.zipRight(Queue.takeUpTo(pending, upsertsPerWrite - 1)),
          Effect.map(Chunk.prepend(first)),
          Effect.flatMap((batch) =>
            Effect.flatMap(
              Effect.exit(write(sql, Chunk.toReadonlyArray(batch))),
              (exit) => Effect.forEach(batch, ({ done }) => Deferred.done(done, exit), { discard: true })
            )
          ),
          Effect.uninterruptible
        )
      ),
      Effect.forever,
      Effect.onInterrupt(() =>
        Effect.flatMap(
          Queue.takeAll(pending),
          Effect.forEach(({ done }) => Deferred.interrupt(done), { discard: true })
        )
      ),
      Effect.forkScoped
    )

    const upsert: Store["upsert"] = (requestId, scores) =>
      Effect.flatMap(
        Deferred.make<void, SqlError>(),
        (done) => Effect.zipRight(Queue.offer(pending, { requestId, scores, done }), Deferred.await(done))
      )

    const scores: Store["scores"] = (requestId) =>
      Effect.gen(function*() {
        const rows = yield* sql<{ readonly name: string; readonly value: number }>`
          SELECT name, value FROM scores WHERE request_id = ${requestId} ORDER BY name`
        if (rows.length === 0) {
          const known = yield* sql<{ readonly n: number }>`SELECT 1 AS n FROM requests WHERE request_id = ${requestId}`
          return known.length === 0 ? undefined : null
        }
        const result: Record<string, number> = {}
        for (const row of rows) result[row.name] = row.value
        return result
      })

    const scoreNames: Store["scoreNames"] = Effect.map(
      sql<{ readonly name: string }>`SELECT DISTINCT name FROM scores ORDER BY name`,
      (rows) => rows.map((row) => row.name)
    )

    const logRequest: Store["logRequest"] = (request) =>
      sql`INSERT INTO request_log ${
        sql.insert({
          request_id: request.requestId,
          created_at: request.createdAt,
          responded_at: request.respondedAt,
          path: request.path,
          target_url: request.targetUrl,
          model: request.model,
          response_model: request.responseModel,
          status: request.status,
          latency_ms: request.latencyMs,
          prompt_tokens: request.promptTokens,
          completion_tokens: request.completionTokens,
          total_tokens: request.totalTokens,
          properties: JSON.stringify(request.properties),
          user_id: request.userId,
          session_id: request.sessionId,
          session_path: request.sessionPath,
          session_name: request.sessionName,
          request_body: request.requestBody,
          response_body: request.responseBody
        })
      }
        ON CONFLICT (request_id) DO UPDATE SET created_at = excluded.created_at, responded_at = excluded.responded_at,
          path = excluded.path, target_url = excluded.target_url, model = excluded.model,
          response_model = excluded.response_model, status = excluded.status, latency_ms = excluded.latency_ms,
          prompt_tokens = excluded.prompt_tokens, completion_tokens = excluded.completion_tokens,
          total_tokens = excluded.total_tokens, properties = excluded.properties, user_id = excluded.user_id,
          session_id = excluded.session_id, session_path = excluded.session_path, session_name = excluded.session_name,
          request_body = excluded.request_body, response_body = excluded.response_body`.pipe(Effect.asVoid)

    const loggedRequest: Store["loggedRequest"] = (requestId) =>
      Effect.map(
        sql<LogRow>`SELECT * FROM request_log WHERE request_id = ${requestId}`,
        (rows) => rows.length === 0 ? undefined : fromRow(rows[0])
      )

    const isLogged: Store["isLogged"] = (requestId) =>
      Effect.map(sql`SELECT 1 AS n FROM request_log WHERE request_id = ${requestId}`, (rows) => rows.length > 0)

    return { upsert, scores, scoreNames, logRequest, isLogged, loggedRequest }
  })
