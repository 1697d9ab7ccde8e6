/**
 * The system under evaluation, kept small so that the suite runs with no network: a "model" that answers a country's
 * capital from a table, wrong about Australia on purpose, so the scores are not all 1.
 */

const answers: Record<string, string> = {
  France: "Paris",
  Japan: "Tokyo",
  Italy: "Rome",
  Kenya: "Nairobi",
  Australia: "Sydney"
}

/** What the model answers for a country; `unknown` for one it has never heard of. */
export const capitalOf = (country: string): string => answers[country] ?? "unknown"

/** The dataset: each country with its real capital. */
export const cases: ReadonlyArray<{ readonly input: string; readonly expected: string }> = [
  { input: "France", expected: "Paris" },
  { input: "Japan", expected: "Tokyo" },
  { input: "Italy", expected: "Rome" },
  { input: "Kenya", expected: "Nairobi" },
  { input: "Australia", expected: "Canberra" }
]
