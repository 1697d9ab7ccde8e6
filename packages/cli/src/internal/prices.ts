/**
 * `--prices <file.json>`: a price table, read and checked before any eval file is loaded, so that a bad table stops
 * the run at once (exit 2) instead of a suite into its run.
 *
 * @internal
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Cost from "@helicone-effect/evaluator/Cost"
import * as Effect from "effect/Effect"
import * as Predicate from "effect/Predicate"
import * as CliError from "../CliError.js"

/**
 * Checks a price table as the text of its file gives it: the user's table (what `Eval.run` takes as `prices`) and
 * the built-in prices with it over them (what a dry run prices calls with); fails with the reason it cannot be used.
 */
export const parse = (
  text: string
): Effect.Effect<{ readonly user: Cost.PriceTable; readonly merged: Cost.PriceTable }, string> =>
  Effect.gen(function*() {
    const json = yield* Effect.try({
      try: (): unknown => JSON.parse(text),
      catch: (error) => `not JSON (${error instanceof Error ? error.message : String(error)})`
    })
    if (!Predicate.isRecord(json)) {
      return yield* Effect.fail(
        "expected an object of { \"<model>\": { \"input\": usd, \"output\": usd } }, in US dollars per million tokens"
      )
    }
    const user = json as Cost.PriceTable
    const merged = yield* Effect.mapError(Cost.merge(user), (error) => error.message)
    return { user, merged }
  })

/** Reads and checks the price table at `file` (`shown` is how the error names it). */
export const read = (
  file: string,
  shown: string
): Effect.Effect<
  { readonly user: Cost.PriceTable; readonly merged: Cost.PriceTable },
  CliError.BadPriceTable,
  FileSystem.FileSystem
> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const text = yield* fs.readFileString(file).pipe(
      Effect.mapError((error) =>
        error._tag === "SystemError" && error.reason === "NotFound"
          ? "no such file"
          : `cannot be read (${error.message})`
      )
    )
    return yield* parse(text)
  }).pipe(Effect.mapError((reason) => new CliError.BadPriceTable({ path: shown, reason })))
