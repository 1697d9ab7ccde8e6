/**
 * `pnpm demo`: runs src/demo.ts, exiting 0 when the suite meets its thresholds, 1 when it does not.
 */
import { NodeContext, NodeRuntime } from "@effect/platform-node"
import { Effect } from "effect"
import { fileURLToPath } from "node:url"
import { demo } from "./demo.js"

const outputDir = fileURLToPath(new URL("../.helicone-eval/", import.meta.url))

const cacheModes = ["auto", "record", "replay", "off"] as const
const cache = process.env.HELICONE_EVAL_CACHE ?? "off"
const replaySpeed = Number(process.env.REPLAY_SPEED ?? 0.25)
if (!cacheModes.includes(cache as never) || !(replaySpeed >= 0)) {
  console.error(`pnpm demo: HELICONE_EVAL_CACHE is one of ${cacheModes.join(", ")}; REPLAY_SPEED a number >= 0`)
  process.exit(2)
}

demo({
  outputDir,
  log: (line) => console.log(line),
  cache: cache as (typeof cacheModes)[number],
  replaySpeed
}).pipe(
  Effect.scoped,
  // the reports are written, and the cases read, through FileSystem and Path
  Effect.provide(NodeContext.layer),
  Effect.tap(({ report }) => Effect.sync(() => (process.exitCode = report.passed ? 0 : 1))),
  NodeRuntime.runMain
)
