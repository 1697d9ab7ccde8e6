/**
 * `--prices <file.json>`: a price table, read and checked before any eval file is loaded, so that a bad table stops
 * the run at once (exit 2) instead of a suite into its run.
 *
 * @internal
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as CliError from "../CliError.js"

/** A model's prices, in US dollars per million tokens. */
export interface ModelPrice {
  readonly input: number
  readonly output: number
}

/** Prices per model, as `Eval.run`'s `prices` takes them. */
export type PriceTable = Readonly<Record<string, ModelPrice>>

const Price = Schema.Number.pipe(
  Schema.filter((usd) => Number.isFinite(usd) && usd >= 0, {
    message: (issue) => `must be a number of US dollars >= 0, got ${JSON.stringify(issue.actual) ?? issue.actual}`
  })
)

const Table = Schema.Record({
  key: Schema.String,
  value: Schema.Struct({ input: Price, output: Price })
})

const decode = Schema.decodeUnknownEither(Table, { errors: "first", onExcessProperty: "ignore" })

/** What is wrong with a decoded table, in one line: the model and the price it concerns. */
const reasonOf = (error: ParseResult.ParseError): string => {
  const [issue] = ParseResult.ArrayFormatter.formatErrorSync(error)
  if (issue === undefined || issue.path.length === 0) {
    return "expected an object of { \"<model>\": { \"input\": usd, \"output\": usd } }, in US dollars per million tokens"
  }
  const [model, field] = issue.path.map(String)
  if (field === undefined) return `the prices of "${model}" must be an object { "input": usd, "output": usd }`
  if (issue._tag === "Missing") return `"${model}" has no ${field} price`
  return `the ${field} price of "${model}" ${issue.message}`
}

/** Checks a price table as the text of its file gives it; the reason it cannot be used, else the table. */
export const parse = (text: string): Either.Either<PriceTable, string> => {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    return Either.left(`not JSON (${error instanceof Error ? error.message : String(error)})`)
  }
  return Either.mapLeft(decode(json), reasonOf)
}

/** Reads and checks the price table at `file` (`shown` is how the error names it). */
export const read = (
  file: string,
  shown: string
): Effect.Effect<PriceTable, CliError.BadPriceTable, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const text = yield* fs.readFileString(file).pipe(
      Effect.mapError((error) =>
        new CliError.BadPriceTable({
          path: shown,
          reason: error._tag === "SystemError" && error.reason === "NotFound"
            ? "no such file"
            : `cannot be read (${error.message})`
        })
      )
    )
    return yield* Either.match(parse(text), {
      onLeft: (reason) => Effect.fail(new CliError.BadPriceTable({ path: shown, reason })),
      onRight: Effect.succeed
    })
  })
