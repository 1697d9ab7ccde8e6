/**
 * `--threshold name=value` applies to the suites run that have a scorer of that name; a name that none of them has
 * is a usage error (a misspelling, most often), with the closest scorer name when one is close
 * (`Eval.unknownThresholds`).
 *
 * @internal
 */
import * as Eval from "@helicone-effect/evaluator/Eval"
import * as Effect from "effect/Effect"
import * as CliError from "../CliError.js"

/** Fails with the first `--threshold` name that no suite of `suites` has a scorer for. */
export const check = (
  suites: ReadonlyArray<Eval.Suite<any, any, any, any>>,
  thresholds: Readonly<Record<string, number>>
): Effect.Effect<void, CliError.UnknownThreshold> =>
  Effect.suspend(() => {
    const unknown = suites.map((suite) => Eval.unknownThresholds(suite, thresholds))
    for (const name of Object.keys(thresholds)) {
      const missing = unknown.map((names) => names.find((entry) => entry.name === name))
      if (missing.every((entry) => entry !== undefined)) {
        const scorers = [...new Set(suites.flatMap((suite) => suite.scorers.map((scorer) => scorer.name)))]
        return new CliError.UnknownThreshold({
          name,
          suggestion: missing.find((entry) => entry?.suggestion !== undefined)?.suggestion,
          scorers
        })
      }
    }
    return Effect.void
  })
