/**
 * Appends case results to a JSONL file as they finish.
 *
 * Lines are batched in memory and written with a synchronous write per batch (64 KB, a fraction of a millisecond on
 * a local disk). Asynchronous writes were tried first: while synchronous cases keep the event loop busy their
 * callbacks come late, so megabytes of text outlived young-generation collections and the old space (and the
 * process's RSS) grew by a hundred megabytes of garbage on a million-case run.
 *
 * @internal
 */
import * as NodeFs from "node:fs"
import * as Path from "node:path"
import type { CaseResult } from "../EvalReport.js"
import { safeStringify } from "../EvalReport.js"
import { describe } from "../Scorer.js"

const flushAt = 64 * 1024

export interface CasesFile {
  readonly path: string
  readonly write: (result: CaseResult) => void
  /** Writes what is left and closes the file; gives the error if a write failed (later lines are then dropped). */
  readonly close: () => string | undefined
}

/** Opens (truncates) the file, once per run. */
export const open = (path: string): CasesFile | string => {
  let fd: number
  try {
    NodeFs.mkdirSync(Path.dirname(path), { recursive: true })
    fd = NodeFs.openSync(path, "w")
  } catch (error) {
    return `cannot write the cases file ${path}: ${describe(error)}`
  }
  let text = ""
  let failure: string | undefined
  const flush = () => {
    if (text.length === 0 || failure !== undefined) return
    try {
      NodeFs.writeSync(fd, text)
    } catch (error) {
      failure = `writing the cases file ${path} failed: ${describe(error)}`
    }
    text = ""
  }
  return {
    path,
    write: (result) => {
      text += safeStringify(result) + "\n"
      if (text.length >= flushAt) flush()
    },
    close: () => {
      flush()
      try {
        NodeFs.closeSync(fd)
      } catch {
        // the data is written; a failing close changes nothing for the reader
      }
      return failure
    }
  }
}
