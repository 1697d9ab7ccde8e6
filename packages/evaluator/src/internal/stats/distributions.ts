/**
 * The distribution functions the statistics need, from stdlib (`@stdlib/stats-base-dists-*`: ports of Boost and
 * Cephes, tested against them), so that no quantile is hand-written here. Every other file calls these.
 */
import betaQuantile_ from "@stdlib/stats-base-dists-beta-quantile"
import binomialCdf_ from "@stdlib/stats-base-dists-binomial-cdf"
import normalQuantile_ from "@stdlib/stats-base-dists-normal-quantile"
import tQuantile_ from "@stdlib/stats-base-dists-t-quantile"

/** The `p` quantile of the standard normal distribution. */
export const normalQuantile = (p: number): number => normalQuantile_(p, 0, 1)

/** The `p` quantile of Student's t with `df` degrees of freedom (the normal's when `df` is infinite). */
export const tQuantile = (p: number, df: number): number => df === Infinity ? normalQuantile(p) : tQuantile_(p, df)

/** The `p` quantile of Beta(`a`, `b`). */
export const betaQuantile = (p: number, a: number, b: number): number => betaQuantile_(p, a, b)

/** P(X <= x) for X ~ Binomial(n, p). */
export const binomialCdf = (x: number, n: number, p: number): number => binomialCdf_(x, n, p)
