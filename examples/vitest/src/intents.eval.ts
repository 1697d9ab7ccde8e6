/**
 * The suite, defined once and used two ways: as Vitest tests (test/intents.test.ts, with `describeEval`) and from
 * the CLI (`pnpm exec helicone-eval run src/intents.eval.ts`).
 */
import { type Dataset, Eval, Scorer, Scorers } from "@helicone-effect/evaluator"
import * as Fs from "node:fs/promises"
import { fileURLToPath } from "node:url"
import { classify, type Intent } from "./classify.js"

export type IntentCase = Dataset.Case<string, Intent>

/** Reads the cases; asynchronous like most data sources (a file, a database, an API). */
export const loadCases = async (): Promise<Array<IntentCase>> => {
  const text = await Fs.readFile(fileURLToPath(new URL("../data/intents.jsonl", import.meta.url)), "utf8")
  return text.split("\n").filter((line) => line.trim() !== "").map((line) => JSON.parse(line) as IntentCase)
}

/** A custom scorer: routing a refund anywhere else costs more than any other mistake. */
const refundsNotMissed = Scorer.make<string, Intent, Intent>(
  "refundsNotMissed",
  ({ expected, output }) => expected !== "refund" || output === "refund"
)

export const makeSuite = (cases: ReadonlyArray<IntentCase>) =>
  Eval.make({
    name: "intents",
    data: cases,
    task: (message: string) => classify(message),
    scorers: [Scorers.exactMatch, refundsNotMissed],
    thresholds: { exactMatch: 0.9, refundsNotMissed: 1 }
  })

// For the CLI: a module may export a suite built from awaited data.
export default makeSuite(await loadCases())
