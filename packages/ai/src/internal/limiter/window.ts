/**
 * The concurrency window of one provider and model: how many requests may be in flight (a fractional limit, of
 * which the whole part counts), who waits for a slot (first come, first served), and until when the provider asked
 * everyone to hold off.
 *
 * AIMD, as TCP's congestion window: each success while the window is full adds `1 / limit` (one slot per window of
 * successes); a rate-limit signal multiplies the limit by `decrease`, once per window — the answers to requests
 * sent before the last decrease do not lower it again, so a burst of 429s halves it once, not once per 429.
 */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"

/** The state of one key's window. Mutated only by the functions below, each run synchronously. */
export interface Window {
  readonly key: string
  limit: number
  inFlight: number
  /** Bumped by every decrease; a request remembers the epoch it was sent in. */
  epoch: number
  /** The clock time (ms) before which no request of this key is sent. */
  blockedUntil: number
  /** Rate-limit answers (429) received. */
  rateLimited: number
  readonly waiters: Array<Waiter>
}

/** A request's hold on a slot: `held` is set the moment the slot is its own, so whoever ends it gives it back. */
export interface Slot {
  held: boolean
}

interface Waiter {
  readonly slot: Slot
  readonly granted: Deferred.Deferred<void>
}

/** The bounds of every window of a limiter. */
export interface Bounds {
  readonly initial: number
  readonly min: number
  readonly max: number
  readonly decrease: number
}

/** A new window at the initial limit. */
export const make = (key: string, bounds: Bounds): Window => ({
  key,
  limit: bounds.initial,
  inFlight: 0,
  epoch: 0,
  blockedUntil: 0,
  rateLimited: 0,
  waiters: []
})

const slots = (window: Window): number => Math.max(1, Math.floor(window.limit))

/** Hands free slots to waiters, in order; each waiter woken owns its slot already. */
const grant = (window: Window): void => {
  while (window.waiters.length > 0 && window.inFlight < slots(window)) {
    const waiter = window.waiters.shift()!
    window.inFlight++
    waiter.slot.held = true
    Deferred.unsafeDone(waiter.granted, Exit.void)
  }
}

/**
 * Takes a slot into `slot`, waiting in line when the window is full. Interrupted while in line, it leaves the line;
 * a slot handed over is marked held at once, and the caller gives it back with {@link release}, whatever happens.
 */
export const acquire = (window: Window, slot: Slot): Effect.Effect<void> =>
  Effect.suspend(() => {
    if (window.waiters.length === 0 && window.inFlight < slots(window)) {
      window.inFlight++
      slot.held = true
      return Effect.void
    }
    return Effect.flatMap(Deferred.make<void>(), (granted) => {
      const waiter: Waiter = { slot, granted }
      window.waiters.push(waiter)
      return Effect.onInterrupt(Deferred.await(granted), () =>
        Effect.sync(() => {
          const index = window.waiters.indexOf(waiter)
          if (index >= 0) window.waiters.splice(index, 1)
        }))
    })
  })

/** Gives back the slot `slot` holds, if it holds one. */
export const release = (window: Window, slot: Slot): void => {
  if (!slot.held) return
  slot.held = false
  window.inFlight--
  grant(window)
}

/** Whether more requests wait than the window lets through: then a success is a reason to grow. */
export const saturated = (window: Window): boolean => window.waiters.length > 0 || window.inFlight >= slots(window)

/** A success: grows the limit by one slot per window of successes, when the window was the bottleneck. */
export const succeeded = (window: Window, bounds: Bounds, wasSaturated: boolean): void => {
  if (!wasSaturated) return
  window.limit = Math.min(bounds.max, window.limit + 1 / window.limit)
  grant(window)
}

/** A rate-limit signal for a request sent in `epoch`: lowers the limit, once per window. */
export const limited = (window: Window, bounds: Bounds, epoch: number): void => {
  if (epoch !== window.epoch) return
  window.epoch++
  window.limit = Math.max(bounds.min, window.limit * bounds.decrease)
}

/** Holds every request of the key until `until` (clock ms), or later if it was held longer already. */
export const block = (window: Window, until: number): void => {
  if (until > window.blockedUntil) window.blockedUntil = until
}
