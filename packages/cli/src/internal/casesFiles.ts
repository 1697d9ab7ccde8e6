/**
 * Housekeeping of `.helicone-eval/`, where a run that passes `maxCases` writes its cases file
 * (`<suite>-<ISO time>.cases.jsonl`): after each suite, only its newest `keep` files are kept.
 *
 * @internal
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import { suiteSlug } from "@helicone-effect/evaluator/EvalReport"
import * as Effect from "effect/Effect"

/** Where the CLI's runs write their cases files, in the working directory. */
export const outputDir = ".helicone-eval"

const timePart = /^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z\.cases\.jsonl$/

/** Removes all but the newest `keep` cases files of the suite `name` in `dir`; gives the paths removed. */
export const prune = (
  dir: string,
  name: string,
  keep: number
): Effect.Effect<Array<string>, never, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const prefix = `${suiteSlug(name)}-`
    const entries = yield* fs.readDirectory(dir).pipe(Effect.orElseSucceed(() => []))
    // the time in the name sorts as the runs happened
    const runs = entries
      .filter((entry) => entry.startsWith(prefix) && timePart.test(entry.slice(prefix.length)))
      .sort()
    const removed = runs.slice(0, Math.max(0, runs.length - keep)).map((entry) => path.join(dir, entry))
    yield* Effect.forEach(removed, (file) => fs.remove(file).pipe(Effect.ignore), { discard: true })
    return removed
  })
