/**
 * A per-minute budget (requests or tokens) as a token bucket that starts full and refills continuously. A request
 * reserves its share at once and waits until the bucket would have held it, so requests are served in the order
 * they reserved; a reservation can be given back (the request was not sent, or used less than estimated) or
 * topped up (it used more).
 */

/** One bucket. */
export interface Budget {
  readonly capacity: number
  /** Units added per millisecond. */
  readonly rate: number
  /** May go below zero: the units reserved by requests still waiting. */
  level: number
  updatedAt: number
}

/** A bucket of `perMinute` units, full at `now`. */
export const make = (perMinute: number, now: number): Budget => ({
  capacity: perMinute,
  rate: perMinute / 60_000,
  level: perMinute,
  updatedAt: now
})

const refill = (budget: Budget, now: number): void => {
  if (now > budget.updatedAt) {
    budget.level = Math.min(budget.capacity, budget.level + (now - budget.updatedAt) * budget.rate)
    budget.updatedAt = now
  }
}

/**
 * Reserves `units` (at most the whole capacity, so a request larger than the budget still goes, alone) and returns
 * how many milliseconds to wait before using them, with the units actually reserved.
 */
export const reserve = (
  budget: Budget,
  now: number,
  units: number
): { readonly waitMs: number; readonly units: number } => {
  refill(budget, now)
  const taken = Math.min(units, budget.capacity)
  budget.level -= taken
  return { waitMs: budget.level >= 0 ? 0 : -budget.level / budget.rate, units: taken }
}

/** Adds `units` back (negative: takes more), never above the capacity. */
export const adjust = (budget: Budget, now: number, units: number): void => {
  refill(budget, now)
  budget.level = Math.min(budget.capacity, budget.level + units)
}
