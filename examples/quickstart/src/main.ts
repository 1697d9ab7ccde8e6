/**
 * `pnpm demo`: runs src/demo.ts, exiting 0 when the suite meets its thresholds, 1 when it does not.
 */
import { NodeContext, NodeRuntime } from "@effect/platform-node"
import { Effect } from "effect"
import { fileURLToPath } from "node:url"
import { demo } from "./demo.js"

const outputDir = fileURLToPath(new URL("../.helicone-eval/", import.meta.url))

demo({ outputDir, log: (line) => console.log(line) }).pipe(
  Effect.scoped,
  // the reports are written, and the cases read, through FileSystem and Path
  Effect.provide(NodeContext.layer),
  Effect.tap(({ report }) => Effect.sync(() => (process.exitCode = report.passed ? 0 : 1))),
  NodeRuntime.runMain
)
