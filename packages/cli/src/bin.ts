#!/usr/bin/env node
/**
 * `helicone-eval`: loads eval files, runs their suites, prints and writes the reports (see `Cli`).
 *
 * The launcher (`bin/helicone-eval.js`) has registered tsx, so eval files are loaded with a plain `import()`.
 *
 * @since 0.1.0
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Cli from "./Cli.js"

Cli.run(process.argv, { loader: "native" }).pipe(
  Effect.provide(NodeContext.layer),
  NodeRuntime.runMain({
    // A run interrupted by Ctrl-C has written its partial report (Eval.run finishes it); say so with 130.
    teardown: (exit, onExit) =>
      onExit(
        Exit.isSuccess(exit)
          ? typeof exit.value === "number" ? exit.value : Cli.ExitCode.failed
          : Cause.isInterruptedOnly(exit.cause)
          ? Cli.ExitCode.interrupted
          : Cli.ExitCode.failed
      )
  })
)
