/**
 * Where `helicone-eval run --helicone` sends scores: Helicone from the environment, or (`--local`) the embedded
 * local server, loaded on demand because `@helicone-effect/local` is not a runtime dependency of this package.
 *
 * @internal
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HeliconeConfig from "@helicone-effect/core/HeliconeConfig"
import * as HeliconeScores from "@helicone-effect/core/HeliconeScores"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"

/** A Helicone to send scores to. */
export interface Target {
  readonly layer: Layer.Layer<HeliconeScores.HeliconeScores>
  /** Said before the run, e.g. `sending scores to Helicone at https://api.helicone.ai`. */
  readonly description: string
  /** For the embedded server: reads what it stored for a request id. */
  readonly readBack: ((requestId: string) => Effect.Effect<Readonly<Record<string, number>> | null>) | undefined
  readonly baseUrl: string
}

/** The part of `@helicone-effect/local` used here, typed structurally so this package needs no types from it. */
interface LocalModule {
  readonly LocalHelicone: {
    readonly make: (options: { readonly database?: string }) => Effect.Effect<
      {
        readonly baseUrl: string
        readonly scores: (requestId: string) => Effect.Effect<Readonly<Record<string, number>> | null>
      },
      { readonly message?: string },
      Scope.Scope
    >
  }
}

// A variable, not a literal, so that TypeScript and bundlers do not resolve it at build time.
const localPackage = "@helicone-effect/local"

/** Where `--local` keeps scores: the same file `helicone-local` serves by default, so they can be browsed after. */
export const localDatabase = ".helicone-local/helicone.db"

/** Starts the embedded server in the scope. Fails with a one-line reason (exit code 2). */
export const local = (database: string, specifier = localPackage): Effect.Effect<Target, string, Scope.Scope> =>
  Effect.gen(function*() {
    const module = yield* Effect.tryPromise({
      try: () => import(specifier) as Promise<LocalModule>,
      catch: (error) =>
        isModuleNotFound(error, specifier)
          ? `install ${localPackage} to use --local`
          : `@helicone-effect/local could not be loaded: ${error instanceof Error ? error.message : String(error)}`
    })
    const server = yield* module.LocalHelicone.make({ database }).pipe(
      Effect.mapError((error) => `the embedded Helicone server could not start: ${error.message ?? String(error)}`)
    )
    return {
      layer: HeliconeScores.layer({ apiKey: Redacted.make("helicone-eval-local"), baseUrl: server.baseUrl }).pipe(
        Layer.provide(FetchHttpClient.layer),
        Layer.orDie
      ),
      description: `sending scores to the embedded Helicone server at ${server.baseUrl} (stored in ${database})`,
      readBack: server.scores,
      baseUrl: server.baseUrl
    }
  })

/** Only the package itself missing: a missing dependency of an installed package is another problem. */
const isModuleNotFound = (error: unknown, specifier: string): boolean =>
  typeof error === "object" && error !== null && "code" in error &&
  (error.code === "ERR_MODULE_NOT_FOUND" || error.code === "MODULE_NOT_FOUND") &&
  String((error as { message?: unknown }).message).includes(specifier)

/** Helicone as configured by `HELICONE_API_KEY`, `HELICONE_BASE_URL` / `HELICONE_REGION`. */
export const fromEnvironment: Effect.Effect<Target, string> = Effect.gen(function*() {
  const apiKey = yield* Config.option(Config.string("HELICONE_API_KEY")).pipe(Effect.orElseSucceed(Option.none))
  if (Option.isNone(apiKey) || apiKey.value.trim() === "") {
    return yield* Effect.fail("HELICONE_API_KEY is not set; pass --local to use the embedded server")
  }
  const options = yield* HeliconeConfig.config.pipe(
    Effect.mapError((error) => `invalid Helicone configuration: ${error}`)
  )
  const resolved = yield* HeliconeConfig.make(options).pipe(Effect.mapError((error) => error.message))
  return {
    layer: HeliconeScores.layer(options).pipe(Layer.provide(FetchHttpClient.layer), Layer.orDie),
    description: `sending scores to Helicone at ${resolved.baseUrl} (HELICONE_API_KEY is set)`,
    readBack: undefined,
    baseUrl: resolved.baseUrl
  }
})
