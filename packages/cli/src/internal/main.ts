/**
 * The `helicone-eval` process: runs `Cli.run` on `process.argv` with Node's file system, path and terminal, and exits
 * with its code (130 when interrupted).
 *
 * Once the run has printed and written its report, the process ends as soon as nothing is left on the event loop,
 * and at the latest a second later: a task or scorer that did not stop at `ctx.signal` (a `fetch` to a server that
 * never answers) would otherwise keep it alive after its case timed out, and a CI job with it. Then one line on
 * stderr says what was still open.
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

/** How long the process may stay after the report for what is still on its event loop. */
const graceMs = 1000

/**
 * A closed stdout or stderr (`helicone-eval run … | head -1`) ends what is printed, not the run: the reports are
 * still written and the exit code still says how the run went, instead of an unhandled EPIPE.
 */
const ignoreClosedPipes = (): void => {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code !== "EPIPE") throw error
    })
  }
}

export const main = (options: Cli.RunOptions): void => {
  ignoreClosedPipes()
  runMain(options)
}

const runMain = (options: Cli.RunOptions): void =>
  Cli.run(process.argv, options).pipe(
    Effect.provide(environment),
    NodeRuntime.runMain({
      teardown: (exit, onExit) => {
        const code = Exit.isSuccess(exit)
          ? typeof exit.value === "number" ? exit.value : Cli.ExitCode.failed
          : Cause.isInterruptedOnly(exit.cause)
          ? Cli.ExitCode.interrupted
          : Cli.ExitCode.failed
        // A run interrupted by Ctrl-C has written its partial report (Eval.run finishes it); say so with 130, at once.
        if (code === Cli.ExitCode.interrupted) onExit(code)
        else exitAfterReport(code)
      }
    })
  )

/**
 * Leaves the process to end by itself with `code` once its event loop is empty; what is still there after
 * {@link graceMs} is named on stderr and the process exits.
 */
const exitAfterReport = (code: number): void => {
  process.exitCode = code
  setTimeout(() => {
    process.stderr.write(
      `helicone-eval: ${pending(process.getActiveResourcesInfo())} still open ${
        graceMs / 1000
      }s after the report (a task or scorer that did not stop at ctx.signal?); ` +
        `exiting with code ${code}\n`
    )
    process.exit(code)
  }, graceMs).unref()
}

/**
 * What Node's resource names mean to a user, counted: `1 socket and 2 timers`. Pipes and terminals are left out: they
 * are the process's own stdout and stderr, listed but not what keeps it alive.
 */
const pending = (resources: ReadonlyArray<string>): string => {
  const counts = new Map<string, number>()
  for (const resource of resources) {
    if (resource === "PipeWrap" || resource === "TTYWrap") continue
    const name = resourceNames[resource] ?? resource
    counts.set(name, (counts.get(name) ?? 0) + 1)
  }
  const parts = [...counts].map(([name, n]) => `${n} ${name}${n === 1 ? "" : "s"}`)
  if (parts.length === 0) return "a handle"
  return parts.length === 1 ? parts[0] : `${parts.slice(0, -1).join(", ")} and ${parts[parts.length - 1]}`
}

const resourceNames: Record<string, string> = {
  TCPSocketWrap: "socket",
  TCPWrap: "socket",
  TLSWrap: "socket",
  UDPWrap: "UDP socket",
  Timeout: "timer",
  Immediate: "immediate callback",
  FSReqCallback: "file operation",
  FSReqPromise: "file operation",
  FileHandle: "open file",
  ProcessWrap: "child process",
  Worker: "worker",
  MessagePort: "message port",
  GetAddrInfoReqWrap: "DNS lookup"
}
