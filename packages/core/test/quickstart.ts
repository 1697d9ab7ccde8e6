// The quickstart of packages/core/README.md, compiled by `pnpm check` and run by quickstart.test.ts so it cannot rot.
// Keep the two in sync.
import { NodeHttpClient } from "@effect/platform-node"
import { HeliconeScores } from "@helicone-effect/core"
import { Effect, Redacted } from "effect"

// requestId: the id of a request logged through Helicone (the `Helicone-Id` response header, or the
// `Helicone-Request-Id` you chose up front). Helicone stores integers and booleans only.
export const quickstart = (requestId: string) =>
  HeliconeScores.submitScore(requestId, { accuracy: 92, hallucinated: false }).pipe(
    Effect.provide(HeliconeScores.layerConfig), // HELICONE_API_KEY, optional HELICONE_BASE_URL
    Effect.provide(NodeHttpClient.layerUndici)
  )

// With explicit options instead of the environment.
export const explicit = (requestId: string, key: string, baseUrl: string) =>
  HeliconeScores.submitScore(requestId, { accuracy: 92, hallucinated: false }).pipe(
    Effect.provide(HeliconeScores.layer({ apiKey: Redacted.make(key), baseUrl })),
    Effect.provide(NodeHttpClient.layerUndici)
  )
