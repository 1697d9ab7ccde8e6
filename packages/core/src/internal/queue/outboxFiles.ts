/**
 * File helpers of the outbox and the dead-letter file: durable appends, directory syncs, and "a missing file means
 * the default".
 *
 * @internal
 */
import type * as PlatformError from "@effect/platform/Error"
import type * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"

const encoder = new TextEncoder()

/** The directory of a path (`.` for a bare file name). */
export const directoryOf = (path: string): string => {
  const index = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"))
  return index < 0 ? "." : index === 0 ? path.slice(0, 1) : path.slice(0, index)
}

/** Recovers from a missing file with `onMissing`; every other error goes on. */
export const ifMissing = <A2, E2, R2 = never>(onMissing: () => Effect.Effect<A2, E2, R2>) =>
<A, R>(
  effect: Effect.Effect<A, PlatformError.PlatformError, R>
): Effect.Effect<A | A2, PlatformError.PlatformError | E2, R | R2> =>
  Effect.catchTag(
    effect,
    "SystemError",
    (error): Effect.Effect<A2, PlatformError.PlatformError | E2, R2> =>
      error.reason === "NotFound" ? onMissing() : Effect.fail(error)
  )

/** Appends text (or bytes) to a file and fsyncs it, creating the file (and its directory) when missing. */
export const appendDurably = (
  fs: FileSystem.FileSystem,
  path: string,
  content: string | Uint8Array | ReadonlyArray<Uint8Array>
): Effect.Effect<void, PlatformError.PlatformError> => {
  const parts = typeof content === "string"
    ? [encoder.encode(content)]
    : content instanceof Uint8Array
    ? [content]
    : content
  const write = Effect.scoped(Effect.gen(function*() {
    const file = yield* fs.open(path, { flag: "a" })
    for (const part of parts) yield* file.writeAll(part)
    yield* file.sync
  }))
  return write.pipe(ifMissing(() => Effect.zipRight(fs.makeDirectory(directoryOf(path), { recursive: true }), write)))
}

/** Makes a rename or a file creation durable; not every platform can fsync a directory, so failures are ignored. */
export const syncDirectory = (fs: FileSystem.FileSystem, path: string) =>
  Effect.scoped(Effect.flatMap(fs.open(directoryOf(path), { flag: "r" }), (dir) => dir.sync)).pipe(Effect.ignore)

export const fileSize = (fs: FileSystem.FileSystem, path: string) =>
  fs.stat(path).pipe(
    Effect.map((info) => Number(info.size)),
    ifMissing(() => Effect.succeed(0))
  )
