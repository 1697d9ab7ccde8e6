// The quickstart of packages/core/README.md and of the root README.md, compiled by `pnpm check` and run by
// quickstart.test.ts, which also checks that each README block is the text of a region below, byte for byte.
// Change the READMEs and this file together.
import { Redacted } from "effect"
import { requestId } from "./fixtures/Harness.js"
// #region quickstart
import { NodeHttpClient } from "@effect/platform-node"
import { HeliconeScores } from "@helicone-effect/core"
import { Effect } from "effect"

// requestId: the id of a request logged through Helicone (the `Helicone-Id` response header, or the
// `Helicone-Request-Id` you chose up front). Helicone stores integers and booleans only.
const program = HeliconeScores.submitScore(requestId, { accuracy: 92, hallucinated: false }).pipe(
  Effect.provide(HeliconeScores.layerConfig), // HELICONE_API_KEY, optional HELICONE_BASE_URL
  Effect.provide(NodeHttpClient.layerUndici)
)
// #endregion quickstart

export const quickstart = program

// With explicit options instead of the environment.
export const explicit = (key: string) =>
  // #region explicit
  HeliconeScores.layer({ apiKey: Redacted.make(key), baseUrl: "http://localhost:8585" })
// #endregion explicit
