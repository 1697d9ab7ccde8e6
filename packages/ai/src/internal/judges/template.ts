/**
 * The prompt templates of the judges: `{{input}}`, `{{{output}}}`, `{{metadata.key}}` placeholders, and how a case's
 * values are written into them.
 */
import type * as Scorer from "@helicone-effect/evaluator/Scorer"

/** `{{{path}}}` or `{{path}}`, braces balanced; a path is a name, then `.key`s. */
export const placeholder =
  /\{\{\{\s*([A-Za-z_$][\w$]*(?:\.[\w$-]+)*)\s*\}\}\}|\{\{\s*([A-Za-z_$][\w$]*(?:\.[\w$-]+)*)\s*\}\}/g
/** A whole run of braces that is one placeholder. */
export const exactPlaceholder = new RegExp(`^(?:${placeholder.source})$`)
/** The case fields a placeholder may name. */
export const roots = new Set(["input", "output", "expected", "metadata"])

/** A value as the prompt shows it: strings as they are, anything else as JSON (or `String` when it has a cycle). */
export const valueText = (value: unknown): string => {
  if (value === undefined || value === null) return ""
  if (typeof value === "string") return value
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}

/** The value at a dotted path of the case (`input.question`), or `undefined`. */
export const lookup = (args: Scorer.ScorerArgs<unknown, unknown, unknown>, path: string): unknown => {
  let value: unknown = args
  for (const key of path.split(".")) {
    if (value === null || typeof value !== "object" || !Object.hasOwn(value, key)) return undefined
    value = (value as Record<string, unknown>)[key]
  }
  return value
}

/** The choices as a sentence: "A, B or C". */
export const listed = (choices: ReadonlyArray<string>): string =>
  choices.length === 1 ? choices[0] : `${choices.slice(0, -1).join(", ")} or ${choices[choices.length - 1]}`
