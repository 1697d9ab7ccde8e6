/**
 * Runs the service on PORT (default 3000), sending scores to Helicone with HELICONE_API_KEY (and HELICONE_BASE_URL
 * for a self-hosted or local server, e.g. `pnpm exec helicone-local` in another terminal).
 *
 *   HELICONE_API_KEY=sk-... pnpm start
 *   curl -s localhost:3000/answer -d '{"question":"How do I get a refund?"}'
 */
import { HttpServer } from "@effect/platform"
import { NodeHttpClient, NodeHttpServer, NodeRuntime } from "@effect/platform-node"
import { HeliconeScores } from "@helicone-effect/core"
import { Config, Layer } from "effect"
import { createServer } from "node:http"
import { HttpLive, ScoringLive } from "./App.js"
import { layerFaq } from "./Assistant.js"

const MainLive = HttpLive.pipe(
  HttpServer.withLogAddress,
  Layer.provide(layerFaq),
  Layer.provide(
    ScoringLive().pipe(Layer.provide(HeliconeScores.layerConfig), Layer.provide(NodeHttpClient.layerUndici))
  ),
  Layer.provide(
    NodeHttpServer.layerConfig(createServer, { port: Config.integer("PORT").pipe(Config.withDefault(3000)) })
  )
)

Layer.launch(MainLive).pipe(NodeRuntime.runMain)
