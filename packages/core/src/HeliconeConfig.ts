/**
 * Where and how the client talks to Helicone: the API key (kept `Redacted`), the base URL, the per-attempt timeout
 * and the retry policy. Resolved and checked once, when the layer is built.
 *
 * @since 0.1.0
 */
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { InvalidConfig } from "./HeliconeError.js"
import { decodeDuration } from "./internal/duration.js"
import * as RetryPolicy from "./RetryPolicy.js"

/**
 * The base URLs of Helicone's cloud.
 *
 * @since 0.1.0
 * @category models
 */
export const regions = {
  us: "https://api.helicone.ai",
  eu: "https://eu.api.helicone.ai"
} as const

/**
 * @since 0.1.0
 * @category models
 */
export type Region = keyof typeof regions

/**
 * What a user sets.
 *
 * - `apiKey`: a Helicone API key with write permission.
 * - `baseUrl`: for self-hosted Helicone or a proxy; `region` picks the cloud (`"us"`, the default, or `"eu"`). Set
 *   one or the other. An `http://` URL is refused unless it points at loopback or `allowInsecureHttp` is `true`,
 *   since the key would travel in clear.
 * - `timeout`: per attempt, 10 seconds by default.
 * - `retry`: the retry policy (see `RetryPolicy`), or `false` for a single attempt.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly apiKey: Redacted.Redacted<string>
  readonly baseUrl?: string | undefined
  readonly region?: Region | undefined
  readonly timeout?: Duration.DurationInput | undefined
  readonly retry?: RetryPolicy.Options | false | undefined
  readonly allowInsecureHttp?: boolean | undefined
}

/**
 * The resolved configuration. `JSON.stringify` of it shows `"<redacted>"` for the key.
 *
 * @since 0.1.0
 * @category models
 */
export interface ResolvedConfig {
  readonly apiKey: Redacted.Redacted<string>
  /** Without a trailing slash, e.g. `https://api.helicone.ai`. */
  readonly baseUrl: string
  readonly timeout: Duration.Duration
  readonly retry: RetryPolicy.RetryPolicy
}

/**
 * The resolved configuration as a service.
 *
 * @since 0.1.0
 * @category tags
 */
export class HeliconeConfig extends Context.Tag("@helicone-effect/core/HeliconeConfig")<
  HeliconeConfig,
  ResolvedConfig
>() {}

/**
 * Resolves and checks options.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options): Effect.Effect<ResolvedConfig, InvalidConfig> =>
  Either.all({
    apiKey: checkApiKey(options.apiKey),
    baseUrl: resolveBaseUrl(options),
    timeout: decodeDuration("timeout", options.timeout, Duration.seconds(10)),
    retry: RetryPolicy.make(options.retry)
  })

/**
 * The options read from the environment: `HELICONE_API_KEY` (required), `HELICONE_BASE_URL` and `HELICONE_REGION`
 * (`us` or `eu`), both optional. A blank `HELICONE_BASE_URL` or `HELICONE_REGION` (`HELICONE_BASE_URL=` in a
 * `.env` file) counts as unset.
 *
 * @since 0.1.0
 * @category config
 */
export const config: Config.Config<Options> = Config.all({
  apiKey: Config.redacted("HELICONE_API_KEY"),
  baseUrl: unlessBlank(Config.string("HELICONE_BASE_URL")),
  region: unlessBlank(
    Config.string("HELICONE_REGION").pipe(
      Config.validate({
        message: "Expected us or eu",
        validation: (value): value is Region | "" => value.trim() === "" || Object.hasOwn(regions, value)
      })
    )
  )
}).pipe(Config.map(({ apiKey, baseUrl, region }) => ({
  apiKey,
  baseUrl: Option.getOrUndefined(baseUrl),
  region: Option.getOrUndefined(region)
})))

/** An optional variable where a blank value means unset. */
function unlessBlank<A extends string>(config: Config.Config<A>): Config.Config<Option.Option<Exclude<A, "">>> {
  return Config.option(config).pipe(
    Config.map(Option.filter((value): value is Exclude<A, ""> => value.trim().length > 0))
  )
}

/**
 * The configuration from explicit options.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options): Layer.Layer<HeliconeConfig, InvalidConfig> =>
  Layer.effect(HeliconeConfig, make(options))

/**
 * The configuration from the environment (see {@link config}).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig: Layer.Layer<HeliconeConfig, ConfigError.ConfigError | InvalidConfig> = Layer.effect(
  HeliconeConfig,
  Effect.flatMap(config, make)
)

/**
 * Tells whether a host name is the local machine: `localhost`, an address in `127.0.0.0/8`, or `::1` (`[::1]`).
 * Names under `.localhost` are not: a resolver may send them to DNS (glibc does), and the key would go with them.
 *
 * @since 0.1.0
 * @category guards
 */
export const isLoopbackHost = (hostname: string): boolean => {
  const host = hostname.toLowerCase().replace(/^\[(.*)\]$/, "$1")
  return host === "localhost" || host === "::1" || isLoopbackIPv4(host)
}

const isLoopbackIPv4 = (host: string): boolean => {
  const octets = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host)
  return octets !== null && octets.slice(1).every((octet) => Number(octet) <= 255)
}

const checkApiKey = (apiKey: Redacted.Redacted<string>): Either.Either<Redacted.Redacted<string>, InvalidConfig> => {
  if (!Redacted.isRedacted(apiKey)) {
    return Either.left(new InvalidConfig({ option: "apiKey", reason: "must be a Redacted value (Redacted.make(key))" }))
  }
  const value = Redacted.value(apiKey)
  if (typeof value !== "string" || value.trim().length === 0) {
    return Either.left(new InvalidConfig({ option: "apiKey", reason: "is empty" }))
  }
  // A header cannot carry these, and the HTTP stack's error about it could quote the key.
  return /^[\x21-\x7e]+$/.test(value)
    ? Either.right(apiKey)
    : Either.left(
      new InvalidConfig({ option: "apiKey", reason: "contains whitespace, control or non-ASCII characters" })
    )
}

const resolveBaseUrl = (options: Options): Either.Either<string, InvalidConfig> => {
  if (options.baseUrl !== undefined && options.region !== undefined) {
    return Either.left(
      new InvalidConfig({ option: "baseUrl", reason: "set either baseUrl or region, not both" })
    )
  }
  if (options.baseUrl === undefined) {
    const region = options.region ?? "us"
    return Object.hasOwn(regions, region)
      ? Either.right(regions[region])
      : Either.left(new InvalidConfig({ option: "region", reason: `must be "us" or "eu", got ${String(region)}` }))
  }
  let url: URL
  try {
    url = new URL(options.baseUrl)
  } catch {
    return Either.left(new InvalidConfig({ option: "baseUrl", reason: "is not a URL" }))
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    return Either.left(new InvalidConfig({ option: "baseUrl", reason: `must be http(s), got ${url.protocol}` }))
  }
  if (url.username !== "" || url.password !== "" || url.search !== "" || url.hash !== "") {
    return Either.left(
      new InvalidConfig({ option: "baseUrl", reason: "must not contain credentials, a query or a fragment" })
    )
  }
  if (url.protocol === "http:" && !isLoopbackHost(url.hostname) && options.allowInsecureHttp !== true) {
    return Either.left(
      new InvalidConfig({
        option: "baseUrl",
        reason: `http://${url.host} is not loopback and the API key would travel in clear; ` +
          "use https, or set allowInsecureHttp: true if the network is trusted"
      })
    )
  }
  return Either.right(`${url.origin}${url.pathname.replace(/\/+$/, "")}`)
}
