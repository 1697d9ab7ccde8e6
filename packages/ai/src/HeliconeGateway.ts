/**
 * `@effect/ai-openai`'s client routed through Helicone, with every model call made inside a case tied to it: its
 * `Helicone-Request-Id`, `Helicone-Property-*` headers naming the suite, case, trial, run and role, and a Helicone
 * session per run with one path per case. The task needs no code for it: the runner provides
 * `ModelCalls.CurrentCase`, and the client reads it.
 *
 * Routes:
 * - `"gateway"` (the default): Helicone's AI Gateway, `https://ai-gateway.helicone.ai/v1`, with
 *   `Authorization: Bearer <HELICONE_API_KEY>` (the provider keys live in Helicone);
 * - `"proxy"`: the legacy OpenAI proxy, `https://oai.helicone.ai/v1`, with the provider key as `Authorization` and
 *   `Helicone-Auth: Bearer <HELICONE_API_KEY>`;
 * - either route at another `baseUrl`, such as `helicone-local`'s gateway.
 *
 * {@link model} and {@link embeddingModel} are the models to use on it: they set the call's request id, record each
 * call in the case, and answer from the call cache (`CallCache`) when the run asks for it.
 *
 * Its own entry point, `@helicone-effect/ai/HeliconeGateway`, keeps `@effect/ai-openai` an optional peer dependency.
 *
 * @example
 * ```ts
 * import { NodeContext, NodeHttpClient } from "@effect/platform-node"
 * import * as CallCache from "@helicone-effect/ai/CallCache"
 * import * as HeliconeGateway from "@helicone-effect/ai/HeliconeGateway"
 * import { Layer } from "effect"
 *
 * // HELICONE_API_KEY for the AI Gateway; add OPENAI_API_KEY for the legacy proxy
 * const Model = HeliconeGateway.model("gpt-4o-mini", { temperature: 0 }).pipe(
 *   Layer.provide(HeliconeGateway.layerConfig()),
 *   Layer.provide(CallCache.layerStore()),
 *   Layer.provide([NodeHttpClient.layerUndici, NodeContext.layer])
 * )
 * ```
 *
 * @since 0.1.0
 */
import * as OpenAiClient from "@effect/ai-openai/OpenAiClient"
import type * as OpenAiEmbeddingModel from "@effect/ai-openai/OpenAiEmbeddingModel"
import * as OpenAiLanguageModel from "@effect/ai-openai/OpenAiLanguageModel"
import type * as EmbeddingModel from "@effect/ai/EmbeddingModel"
import type * as LanguageModel from "@effect/ai/LanguageModel"
import * as AiModel from "@effect/ai/Model"
import * as Headers from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as ModelCalls from "@helicone-effect/evaluator/ModelCalls"
import * as Arr from "effect/Array"
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as Effect from "effect/Effect"
import { identity } from "effect/Function"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import * as CallCache from "./CallCache.js"
import * as EmbeddingCache from "./internal/cache/embeddingModel.js"
import { CurrentCall } from "./internal/call.js"
import * as Headers_ from "./internal/gateway/headers.js"
import * as Scrub from "./internal/gateway/scrub.js"
import * as ModelLimiter from "./ModelLimiter.js"

/**
 * The URL of Helicone's AI Gateway.
 *
 * @since 0.1.0
 * @category constants
 */
export const AI_GATEWAY_URL = "https://ai-gateway.helicone.ai/v1"

/**
 * The URL of Helicone's legacy OpenAI proxy.
 *
 * @since 0.1.0
 * @category constants
 */
export const PROXY_URL = "https://oai.helicone.ai/v1"

/**
 * How requests reach the provider: Helicone's AI Gateway, or its legacy provider proxy.
 *
 * @since 0.1.0
 * @category models
 */
export type Route = "gateway" | "proxy"

/**
 * How to reach Helicone.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** `"gateway"` (the default) or `"proxy"`. */
  readonly route?: Route | undefined
  /** The base URL, in place of the route's (for example a local gateway's `http://127.0.0.1:8585/v1`). */
  readonly baseUrl?: string | undefined
  /** The Helicone API key: `Authorization` on the gateway route, `Helicone-Auth` on the proxy route. */
  readonly apiKey?: Redacted.Redacted | undefined
  /** The provider's API key (OpenAI's), sent as `Authorization` on the proxy route. */
  readonly providerApiKey?: Redacted.Redacted | undefined
  /** The rate limiter's options, or `false` for none. The default is `ModelLimiter.make()`'s. */
  readonly limiter?: ModelLimiter.Options | false | undefined
  /** A last transformation of the HTTP client, as `OpenAiClient.layer` takes. */
  readonly transformClient?: ((client: HttpClient.HttpClient) => HttpClient.HttpClient) | undefined
}

/**
 * A header value any HTTP stack accepts: `%`, control and non-ASCII characters, and leading or trailing spaces, are
 * percent-encoded as UTF-8; `decodeURIComponent` gives the value back. A case key `"café"` is sent as `"caf%C3%A9"`.
 *
 * @since 0.1.0
 * @category headers
 */
export const encodeHeaderValue: (value: string) => string = Headers_.encodeHeaderValue

/**
 * The Helicone headers for one request made for `kase` under `requestId`: `Helicone-Request-Id`,
 * `Helicone-Property-Eval` (suite), `-Case` (the case's name, else its key), `-Trial`, `-Run` (run id), `-Role` (`task` or `judge`),
 * `-Scorer` (judge calls only), and `Helicone-Session-Id` (run id), `-Session-Name` (suite) and `-Session-Path`
 * (`/<case key>/trial-<n>`, a judge's under it as `/<case key>/trial-<n>/<scorer>`, each segment URI-encoded). For a
 * client of your own; the gateway's client adds them itself.
 *
 * @since 0.1.0
 * @category headers
 */
export const caseHeaders: (kase: ModelCalls.Case, requestId: string) => Record<string, string> = Headers_.caseHeaders

const heliconeAuth = "Helicone-Auth"

/**
 * Makes the OpenAI client routed through Helicone.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: Options = {}
): Effect.Effect<OpenAiClient.Service, never, HttpClient.HttpClient | Scope.Scope> =>
  Effect.gen(function*() {
    const route = options.route ?? "gateway"
    const baseUrl = options.baseUrl ?? (route === "gateway" ? AI_GATEWAY_URL : PROXY_URL)
    yield* Effect.locallyScopedWith(Headers.currentRedactedNames, Arr.append(heliconeAuth.toLowerCase()))

    const authorize = (request: HttpClientRequest.HttpClientRequest) => {
      if (route === "gateway") {
        return options.apiKey === undefined ? request : HttpClientRequest.bearerToken(request, options.apiKey)
      }
      const withProvider = options.providerApiKey === undefined
        ? request
        : HttpClientRequest.bearerToken(request, options.providerApiKey)
      return options.apiKey === undefined
        ? withProvider
        : HttpClientRequest.setHeader(withProvider, heliconeAuth, `Bearer ${Redacted.value(options.apiKey)}`)
    }

    const addCase = (request: HttpClientRequest.HttpClientRequest) =>
      Effect.map(Effect.all([ModelCalls.CurrentCase, CurrentCall]), ([kase, call]) => {
        const authorized = authorize(request)
        if (kase === undefined) return authorized
        const requestId = call?.requestId ?? kase.nextRequestId()
        return HttpClientRequest.setHeaders(authorized, Headers_.caseHeaders(kase, requestId))
      })

    const limiter = options.limiter === false ? undefined : yield* ModelLimiter.make(options.limiter ?? {})
    const httpClient = (yield* HttpClient.HttpClient).pipe(
      limiter === undefined ? identity : limiter.limit,
      HttpClient.mapRequestEffect(addCase)
    )
    const client = yield* OpenAiClient.make({ apiUrl: baseUrl, transformClient: options.transformClient }).pipe(
      Effect.provideService(HttpClient.HttpClient, httpClient)
    )
    const secrets = [options.apiKey, options.providerApiKey].filter((key) => key !== undefined)
    return Scrub.scrubClient(client, Scrub.scrubber(["authorization", heliconeAuth], secrets))
  })

/**
 * The OpenAI client routed through Helicone.
 *
 * @example
 * ```ts
 * import * as HeliconeGateway from "@helicone-effect/ai/HeliconeGateway"
 * import { Redacted } from "effect"
 *
 * const Gateway = HeliconeGateway.layer({ apiKey: Redacted.make(process.env.HELICONE_API_KEY!) })
 * const Local = HeliconeGateway.layer({ baseUrl: "http://127.0.0.1:8585/v1" })
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options = {}): Layer.Layer<OpenAiClient.OpenAiClient, never, HttpClient.HttpClient> =>
  Layer.scoped(OpenAiClient.OpenAiClient, make(options))

/**
 * What {@link layerConfig} reads, each with its default.
 *
 * @since 0.1.0
 * @category models
 */
export interface ConfigOptions {
  /** Default: `HELICONE_API_KEY`; required unless a base URL is set. */
  readonly apiKey?: Config.Config<Option.Option<Redacted.Redacted>> | undefined
  /** Default: `OPENAI_API_KEY`, optional. */
  readonly providerApiKey?: Config.Config<Option.Option<Redacted.Redacted>> | undefined
  /** Default: `HELICONE_GATEWAY_URL`, optional. */
  readonly baseUrl?: Config.Config<Option.Option<string>> | undefined
  /**
   * Default: `HELICONE_GATEWAY_ROUTE` (`gateway` or `proxy`), optional; when it is not set, the route is `proxy` if
   * there is a provider key, else `gateway`.
   */
  readonly route?: Config.Config<Option.Option<Route>> | undefined
  readonly limiter?: ModelLimiter.Options | false | undefined
  readonly transformClient?: ((client: HttpClient.HttpClient) => HttpClient.HttpClient) | undefined
}

/**
 * The OpenAI client routed through Helicone, configured from the environment: `HELICONE_API_KEY` alone takes the AI
 * Gateway; with `OPENAI_API_KEY` too, the legacy proxy; `HELICONE_GATEWAY_URL` points either at another base URL;
 * `HELICONE_GATEWAY_ROUTE` chooses the route outright.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  options: ConfigOptions = {}
): Layer.Layer<OpenAiClient.OpenAiClient, ConfigError.ConfigError, HttpClient.HttpClient> =>
  Layer.scoped(
    OpenAiClient.OpenAiClient,
    Effect.gen(function*() {
      const apiKey = yield* options.apiKey ?? Config.option(Config.redacted("HELICONE_API_KEY"))
      const providerApiKey = yield* options.providerApiKey ?? Config.option(Config.redacted("OPENAI_API_KEY"))
      const baseUrl = yield* options.baseUrl ?? Config.option(Config.nonEmptyString("HELICONE_GATEWAY_URL"))
      const route = yield* options.route ?? Config.option(Config.literal("gateway", "proxy")("HELICONE_GATEWAY_ROUTE"))
      if (Option.isNone(apiKey) && Option.isNone(baseUrl)) {
        return yield* Effect.fail(
          ConfigError.MissingData(
            ["HELICONE_API_KEY"],
            "Set HELICONE_API_KEY to reach Helicone, or HELICONE_GATEWAY_URL for a local gateway"
          )
        )
      }
      const chosen = Option.getOrElse(route, (): Route => Option.isSome(providerApiKey) ? "proxy" : "gateway")
      if (chosen === "proxy" && Option.isNone(providerApiKey)) {
        return yield* Effect.fail(
          ConfigError.MissingData(["OPENAI_API_KEY"], "The proxy route sends the provider's key: set OPENAI_API_KEY")
        )
      }
      return yield* make({
        route: chosen,
        baseUrl: Option.getOrUndefined(baseUrl),
        apiKey: Option.getOrUndefined(apiKey),
        providerApiKey: Option.getOrUndefined(providerApiKey),
        limiter: options.limiter,
        transformClient: options.transformClient
      })
    })
  )

/**
 * An OpenAI language model (`OpenAiLanguageModel.model` under it) whose calls are recorded in the case in progress
 * and answered from the call cache as the run's cache mode says (see `CallCache`).
 *
 * @since 0.1.0
 * @category models
 */
export const model = (
  name: string,
  config?: Omit<OpenAiLanguageModel.Config.Service, "model">
): AiModel.Model<"openai", LanguageModel.LanguageModel, OpenAiClient.OpenAiClient | CallCache.Store> =>
  AiModel.make(
    "openai",
    CallCache.layer({
      provider: "openai",
      model: name,
      config: config ?? {},
      configOverride: OpenAiLanguageModel.Config
    }).pipe(Layer.provide(OpenAiLanguageModel.layer({ model: name, ...(config ? { config } : {}) })))
  )

/**
 * An OpenAI embedding model whose embeddings are cached per input text (keyed by provider, model, its options and
 * the text), sent in batches of at most `maxBatchSize` (default 2048) texts, and recorded in the case in progress.
 *
 * @since 0.1.0
 * @category models
 */
export const embeddingModel = (
  name: string,
  config?: Omit<OpenAiEmbeddingModel.Config.Service, "model"> & { readonly maxBatchSize?: number | undefined }
): AiModel.Model<"openai", EmbeddingModel.EmbeddingModel, OpenAiClient.OpenAiClient | CallCache.Store> =>
  AiModel.make("openai", EmbeddingCache.layer({ model: name, config }))
