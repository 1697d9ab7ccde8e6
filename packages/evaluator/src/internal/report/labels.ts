/**
 * How a case and a suite are named wherever the evaluator prints or writes them (terminal summary, JUnit XML, Vitest
 * test names, file names), so that the same case reads the same everywhere.
 *
 * @internal
 */

/** `#3 refund request`, `#3 refund request (trial 2)`, `#3` for a case without a name. */
export const caseLabel = (ref: {
  readonly index: number
  readonly trial: number
  readonly name?: string | undefined
}): string =>
  `#${ref.index}${ref.name === undefined || ref.name === "" ? "" : ` ${ref.name}`}${
    ref.trial > 0 ? ` (trial ${ref.trial})` : ""
  }`

/** A suite's name as a file-name part: `Support bot` becomes `support-bot`; `eval` when nothing is left. */
export const suiteSlug = (name: string): string =>
  name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || "eval"

/** A count with its noun: `1 case`, `2 cases`, `1,204 cases`. */
export const plural = (n: number, noun: string): string =>
  `${Math.round(n).toLocaleString("en-US")} ${noun}${n === 1 ? "" : "s"}`
