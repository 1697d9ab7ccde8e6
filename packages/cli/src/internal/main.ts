/**
 * The `helicone-eval` process: runs `Cli.run` on `process.argv` with Node's file system, path and terminal, and exits
 * with its code (130 when interrupted).
 *
 * @internal
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodePath from "@effect/platform-node/NodePath"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeTerminal from "@effect/platform-node/NodeTerminal"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Cli from "../Cli.js"

// NodeContext.layer less its command executor and workers, which the CLI does not use and would load at start-up
const environment = Layer.mergeAll(NodeFileSystem.layer, NodePath.layer, NodeTerminal.layer)

export const main = (options: Cli.RunOptions): void =>
  Cli.run(process.argv, options).pipe(
    Effect.provide(environment),
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
