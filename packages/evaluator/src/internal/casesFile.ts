/**
 * Appends case results to a JSONL file without holding the run up: lines are batched in memory and written in the
 * background; a worker waits only when the unwritten text passes a bound (so memory stays bounded when the disk is
 * slower than the run).
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as NodeFs from "node:fs"
import * as Path from "node:path"
import type { CaseResult } from "../EvalReport.js"
import { safeStringify } from "../EvalReport.js"
import { describe } from "../Scorer.js"

const flushAt = 1024 * 1024
const waitAt = 16 * 1024 * 1024

export interface CasesFile {
  readonly path: string
  /** Queues a case; returns an Effect to wait on only when too much text is waiting for the disk. */
  readonly write: (result: CaseResult) => Effect.Effect<void> | undefined
  /** Writes what is left and closes the file; gives the error if a write failed. */
  readonly close: Effect.Effect<string | undefined>
}

/** Opens (truncates) the file synchronously, once per run, so that concurrent workers never see it half-open. */
export const open = (path: string): CasesFile | string => {
  let fd: number
  try {
    NodeFs.mkdirSync(Path.dirname(path), { recursive: true })
    fd = NodeFs.openSync(path, "w")
  } catch (error) {
    return `cannot write the cases file ${path}: ${describe(error)}`
  }
  let lines: Array<string> = []
  let size = 0
  let queued = 0
  let writing: Promise<void> = Promise.resolve()
  let failure: string | undefined
  const writeText = (text: string) =>
    new Promise<void>((resolve) =>
      NodeFs.write(fd, text, (error) => {
        if (error && failure === undefined) failure = `writing the cases file ${path} failed: ${describe(error)}`
        resolve()
      })
    )
  const flush = (): Promise<void> => {
    if (lines.length === 0) return writing
    const text = lines.join("")
    lines = []
    size = 0
    queued += text.length
    writing = writing.then(async () => {
      if (failure === undefined) await writeText(text)
      queued -= text.length
    })
    return writing
  }
  return {
    path,
    write: (result) => {
      const line = safeStringify(result) + "\n"
      lines.push(line)
      size += line.length
      if (size < flushAt) return undefined
      const written = flush()
      // Past the bound, wait for the disk; below it the write proceeds in the background.
      return queued >= waitAt ? Effect.promise(() => written) : undefined
    },
    close: Effect.promise(async () => {
      await flush()
      await new Promise<void>((resolve) => NodeFs.close(fd, () => resolve()))
      return failure
    })
  }
}
