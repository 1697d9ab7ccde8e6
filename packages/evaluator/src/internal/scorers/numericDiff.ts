/**
 * Normalised numeric difference, the number autoevals' `NumericDiff` gives.
 *
 * @internal
 */

/**
 * `1 − |a − b| / (|a| + |b|)`, clamped to [0, 1]: equal numbers (including two zeros) score 1,
 * numbers of opposite sign score 0. Total on all numbers: when `|a| + |b|` overflows, both sides
 * are halved first (the ratio is unchanged); an infinity against anything but the same infinity,
 * or a NaN, scores 0.
 *
 * @internal
 */
export const numericDiff = (a: number, b: number): number => {
  if (a === b) return 1
  const sum = Math.abs(a) + Math.abs(b)
  const score = sum === Infinity && Number.isFinite(a) && Number.isFinite(b)
    ? 1 - Math.abs(a / 2 - b / 2) / (Math.abs(a / 2) + Math.abs(b / 2))
    : 1 - Math.abs(a - b) / sum
  // `score >= 0` is false for NaN, which lands on 0 too
  return score >= 0 ? (score <= 1 ? score : 1) : 0
}
