/**
 * Which cases of a suite `helicone-eval run` runs: `--case` (a case's name or input contains one of the patterns,
 * ignoring case), then `--sample n --seed s` (n of those, drawn reproducibly), then `--limit n` (the first n), each a
 * `Dataset` combinator of the evaluator over the suite's data.
 *
 * @internal
 */
import * as Dataset from "@helicone-effect/evaluator/Dataset"
import type * as Eval from "@helicone-effect/evaluator/Eval"

/** The picking options of the command line. */
export interface Pick {
  readonly cases: ReadonlyArray<string>
  readonly sample: number | undefined
  /** Given whenever `sample` is (the run draws a random one when the command line has none, and prints it). */
  readonly seed: number | undefined
  readonly limit: number | undefined
}

/** The text a `--case` pattern is looked for in: the input as it is when a string, else as JSON. */
const inputText = (input: unknown): string => {
  if (typeof input === "string") return input
  try {
    return JSON.stringify(input) ?? String(input)
  } catch {
    return String(input)
  }
}

/** Whether a case's name or input contains one of `patterns`, ignoring case. */
export const matches = (patterns: ReadonlyArray<string>) => {
  const lower = patterns.map((pattern) => pattern.toLowerCase())
  return (item: Dataset.Case<unknown, unknown>): boolean => {
    const name = item.name?.toLowerCase()
    const input = inputText(item.input).toLowerCase()
    return lower.some((pattern) => name?.includes(pattern) === true || input.includes(pattern))
  }
}

/** Whether the command line picks cases at all. */
export const picks = (pick: Pick): boolean =>
  pick.cases.length > 0 || pick.sample !== undefined || pick.limit !== undefined

/** The suite with only the picked cases in its data. */
export const apply = <I, O, E, R>(suite: Eval.Suite<I, O, E, R>, pick: Pick): Eval.Suite<I, O, E, R> => {
  let data: Dataset.Dataset<I, E, any> = suite.data
  if (pick.cases.length > 0) data = Dataset.filter(data, matches(pick.cases))
  if (pick.sample !== undefined) data = Dataset.sample(data, pick.sample, { seed: pick.seed ?? 0 })
  if (pick.limit !== undefined) data = Dataset.take(data, pick.limit)
  return { ...suite, data }
}

/** A seed for `--sample` without `--seed`: printed, so that the run can be repeated. */
export const randomSeed = (): number => Math.floor(Math.random() * 2 ** 31)
