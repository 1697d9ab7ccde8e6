/**
 * Reading a run's cases file back, one {@link CaseResult} per line, through `FileSystem.stream` and Effect's own
 * `decodeText` and `splitLines`; each block's lines are parsed in one step, so a million-line file costs a pull per
 * 64 KiB, not an Effect per case.
 *
 * @internal
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import type { CaseResult } from "../../EvalReport.js"
import { describe } from "./text.js"

/** Why the file could not be read; the public module makes it an `UnreadableCasesFile`. */
export interface Unreadable {
  readonly line: number | undefined
  readonly reason: string
}

export const fromFile = (path: string): Stream.Stream<CaseResult, Unreadable, FileSystem.FileSystem> =>
  Stream.unwrap(Effect.map(FileSystem.FileSystem, (fs) => {
    let line = 0
    return fs.stream(path, { chunkSize: FileSystem.KiB(64) }).pipe(
      Stream.mapError((error): Unreadable => ({ line: undefined, reason: describe(error) })),
      Stream.decodeText(),
      Stream.splitLines,
      Stream.mapChunksEffect((lines) =>
        Effect.suspend(() => {
          const results: Array<CaseResult> = []
          for (const text of lines) {
            line++
            if (text.length === 0) continue
            try {
              results.push(JSON.parse(text) as CaseResult)
            } catch (error) {
              return Effect.fail<Unreadable>({ line, reason: `line ${line} is not valid JSON: ${describe(error)}` })
            }
          }
          return Effect.succeed(Chunk.unsafeFromArray(results))
        })
      )
    )
  }))
