/**
 * Sources that pick some of another source's items: the first `n`, the ones a predicate keeps, or `n` drawn with a
 * seeded random generator. Rows that could not be read (`Invalid`) are items like any other for `take` and `sample`,
 * and always kept by `filter`: a broken dataset stays visible whatever is picked from it.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Random from "effect/Random"
import type * as Scope from "effect/Scope"
import * as source from "./source.js"

type Open<A, R> = Effect.Effect<source.Source<A>, never, Scope.Scope | R>

/** The first `n` items. */
export const take = <A, R>(open: Open<A, R>, n: number): Open<A, R> =>
  Effect.map(open, (inner) => {
    let taken = 0
    return {
      take: () => {
        if (taken >= n) return source.Done
        const item = inner.take()
        if (item !== source.Done && item !== source.Empty) taken++
        return item
      },
      fill: inner.fill
    }
  })

/** The items `keep` is true of, and every `Invalid` one. */
export const filter = <A, R>(open: Open<A, R>, keep: (item: A) => boolean): Open<A, R> =>
  Effect.map(open, (inner) => ({
    take: () => {
      for (;;) {
        const item = inner.take()
        if (item === source.Done || item === source.Empty || item instanceof source.Invalid || keep(item)) return item
      }
    },
    fill: inner.fill
  }))

/**
 * `n` items drawn without replacement by reservoir sampling (Algorithm R) with `Random.make(seed)`, given in the
 * source's order. The whole source is read on the first `fill`, holding `n` items at a time.
 */
export const sample = <A, R>(open: Open<A, R>, n: number, seed: number): Open<A, R> =>
  Effect.gen(function*() {
    const inner = yield* open
    const random = Random.make(seed)
    let kept: Array<A | source.Invalid> | undefined
    let head = 0
    const drain = yield* Effect.cached(Effect.gen(function*() {
      const reservoir: Array<{ readonly position: number; readonly item: A | source.Invalid }> = []
      let position = 0
      for (;;) {
        const item = inner.take()
        if (item === source.Done) break
        if (item === source.Empty) {
          yield* inner.fill
          continue
        }
        if (reservoir.length < n) reservoir.push({ position, item })
        else {
          const slot = yield* random.nextIntBetween(0, position + 1)
          if (slot < n) reservoir[slot] = { position, item }
        }
        position++
      }
      kept = reservoir.sort((a, b) => a.position - b.position).map((entry) => entry.item)
    }))
    return {
      take: () => kept === undefined ? source.Empty : head < kept.length ? kept[head++] : source.Done,
      fill: drain
    }
  })
