import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, expect, it } from "@effect/vitest"
import { HeliconeConfig, HeliconeScores, RetryPolicy } from "@helicone-effect/core"
import { ConfigProvider, Duration, Effect, Layer, Redacted } from "effect"

const apiKey = Redacted.make("sk-helicone-config-test")

describe("HeliconeConfig", () => {
  it.effect("defaults: US cloud, 10 s per attempt, 5 attempts", () =>
    Effect.gen(function*() {
      const config = yield* HeliconeConfig.make({ apiKey })
      assert.strictEqual(config.baseUrl, "https://api.helicone.ai")
      assert.isTrue(Duration.equals(config.timeout, Duration.seconds(10)))
      assert.deepStrictEqual(config.retry, RetryPolicy.defaults)
      assert.strictEqual(config.retry.maxAttempts, 5)
    }))

  it.effect("region eu picks the EU cloud; retry false is a single attempt", () =>
    Effect.gen(function*() {
      const config = yield* HeliconeConfig.make({ apiKey, region: "eu", retry: false })
      assert.strictEqual(config.baseUrl, "https://eu.api.helicone.ai")
      assert.strictEqual(config.retry.maxAttempts, 1)
    }))

  it.effect.each([
    ["http://localhost:8585", "http://localhost:8585"],
    ["http://127.0.0.1:8585/", "http://127.0.0.1:8585"],
    ["http://[::1]:8585", "http://[::1]:8585"],
    ["http://127.45.0.9:8585", "http://127.45.0.9:8585"],
    ["http://LocalHost:8585", "http://localhost:8585"],
    ["https://helicone.internal/api/", "https://helicone.internal/api"]
  ])(
    "accepts %s as %s",
    ([baseUrl, resolved]) =>
      Effect.map(HeliconeConfig.make({ apiKey, baseUrl }), (config) => assert.strictEqual(config.baseUrl, resolved))
  )

  it.effect.each(
    [
      ["http:// to a remote host", { baseUrl: "http://helicone.example.com" }, "baseUrl", "would travel in clear"],
      ["http:// to a LAN address", { baseUrl: "http://192.168.1.20:8585" }, "baseUrl", "would travel in clear"],
      // a resolver may send *.localhost to DNS (glibc does), so the name can point anywhere
      ["http:// to a .localhost name", { baseUrl: "http://evil.localhost:8585" }, "baseUrl", "would travel in clear"],
      ["http:// to localhost.", { baseUrl: "http://localhost.:8585" }, "baseUrl", "would travel in clear"],
      ["http:// to a name under 127", { baseUrl: "http://127.0.0.1.example.com" }, "baseUrl", "would travel in clear"],
      ["http:// to 0.0.0.0", { baseUrl: "http://0.0.0.0:8585" }, "baseUrl", "would travel in clear"],
      ["a non-URL", { baseUrl: "api.helicone.ai" }, "baseUrl", "is not a URL"],
      ["ftp", { baseUrl: "ftp://api.helicone.ai" }, "baseUrl", "must be http(s)"],
      ["a query", { baseUrl: "https://api.helicone.ai/?x=1" }, "baseUrl", "query"],
      ["both baseUrl and region", { baseUrl: "https://api.helicone.ai", region: "eu" }, "baseUrl", "not both"],
      ["an empty key", { apiKey: Redacted.make("  ") }, "apiKey", "empty"],
      ["a key with a trailing newline", { apiKey: Redacted.make("sk-abc\n") }, "apiKey", "whitespace"],
      ["zero attempts", { retry: { maxAttempts: 0 } }, "retry.maxAttempts", ">= 1"],
      ["a zero timeout", { timeout: 0 }, "timeout", "above zero"],
      ["an infinite timeout", { timeout: Duration.infinity }, "timeout", "finite"],
      // names every object inherits: `in` would find them
      ["the region toString", { region: "toString" as HeliconeConfig.Region }, "region", "must be \"us\" or \"eu\""],
      ["the region __proto__", { region: "__proto__" as HeliconeConfig.Region }, "region", "must be \"us\" or \"eu\""]
    ] as const
  )("refuses %s", ([, options, option, reason]) =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(HeliconeConfig.make({ apiKey, ...options }))
      assert.strictEqual(error._tag, "InvalidConfig")
      assert.strictEqual(error.option, option)
      expect(error.message).toContain(reason)
    }))

  it.effect("allowInsecureHttp lets http:// reach a remote host", () =>
    Effect.map(
      HeliconeConfig.make({ apiKey, baseUrl: "http://helicone.lan:8585", allowInsecureHttp: true }),
      (config) => assert.strictEqual(config.baseUrl, "http://helicone.lan:8585")
    ))

  it.effect("the layer refuses an insecure base URL when it is built", () =>
    Effect.gen(function*() {
      const error = yield* HeliconeScores.HeliconeScores.pipe(
        Effect.provide(
          HeliconeScores.layer({ apiKey, baseUrl: "http://helicone.example.com" }).pipe(
            Layer.provide(NodeHttpClient.layerUndici)
          )
        ),
        Effect.flip
      )
      assert.strictEqual(error._tag, "InvalidConfig")
    }))

  it.effect("layerConfig reads HELICONE_API_KEY, HELICONE_BASE_URL and HELICONE_REGION", () =>
    Effect.gen(function*() {
      const fromEnv = (env: Record<string, string>) =>
        HeliconeConfig.HeliconeConfig.pipe(
          Effect.provide(HeliconeConfig.layerConfig),
          Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))
        )
      const selfHosted = yield* fromEnv({ HELICONE_API_KEY: "k", HELICONE_BASE_URL: "http://localhost:8585" })
      assert.strictEqual(selfHosted.baseUrl, "http://localhost:8585")
      assert.strictEqual(Redacted.value(selfHosted.apiKey), "k")
      assert.strictEqual((yield* fromEnv({ HELICONE_API_KEY: "k", HELICONE_REGION: "eu" })).baseUrl, regionsEu)
      const missing = yield* Effect.flip(fromEnv({}))
      expect(String(missing)).toContain("HELICONE_API_KEY")
      const badRegion = yield* Effect.flip(fromEnv({ HELICONE_API_KEY: "k", HELICONE_REGION: "mars" }))
      expect(String(badRegion)).toContain("HELICONE_REGION")
    }))

  it.effect("layerConfig treats a blank HELICONE_BASE_URL or HELICONE_REGION as unset", () =>
    Effect.gen(function*() {
      const fromEnv = (env: Record<string, string>) =>
        HeliconeConfig.HeliconeConfig.pipe(
          Effect.provide(HeliconeConfig.layerConfig),
          Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))
        )
      // what `HELICONE_BASE_URL=` in a .env file or a shell gives
      const blank = yield* fromEnv({ HELICONE_API_KEY: "k", HELICONE_BASE_URL: "" })
      assert.strictEqual(blank.baseUrl, HeliconeConfig.regions.us)
      const spaces = yield* fromEnv({ HELICONE_API_KEY: "k", HELICONE_BASE_URL: "  ", HELICONE_REGION: "eu" })
      assert.strictEqual(spaces.baseUrl, HeliconeConfig.regions.eu)
      const blankRegion = yield* fromEnv({
        HELICONE_API_KEY: "k",
        HELICONE_BASE_URL: "http://localhost:8585",
        HELICONE_REGION: ""
      })
      assert.strictEqual(blankRegion.baseUrl, "http://localhost:8585")
    }))
})

const regionsEu = HeliconeConfig.regions.eu

describe("RetryPolicy.make", () => {
  it("resolves options over the defaults", () => {
    const policy = RetryPolicy.make({ maxAttempts: 2, baseDelay: "1 second" })
    assert.strictEqual(policy._tag, "Right")
    if (policy._tag === "Right") {
      assert.strictEqual(policy.right.maxAttempts, 2)
      assert.isTrue(Duration.equals(policy.right.baseDelay, Duration.seconds(1)))
      assert.isTrue(Duration.equals(policy.right.maxRetryAfter, Duration.seconds(60)))
    }
  })
})
