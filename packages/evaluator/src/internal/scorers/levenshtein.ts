/**
 * Levenshtein similarity, the number autoevals' `Levenshtein` gives.
 *
 * @internal
 */
import { distance } from "fastest-levenshtein"

/**
 * `1 − d / max(a.length, b.length)`, where `d` is the edit distance; lengths and distance count
 * UTF-16 code units (so an emoji written as a surrogate pair is two units). Two equal strings,
 * including two empty ones, score 1.
 *
 * @internal
 */
export const similarity = (a: string, b: string): number => {
  if (a === b) return 1
  return 1 - distance(a, b) / (a.length > b.length ? a.length : b.length)
}
