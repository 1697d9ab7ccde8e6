/**
 * A task's or a scorer's Promise-like, as an Effect.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"

/**
 * `Effect.promise`, without reading the rejection: a rejection is a defect, whatever it is. `Effect.promise` gives it
 * to `Effect.die`, which reads it (`in`) to attach a span; on a revoked Proxy that throws, inside the Promise's
 * rejection callback, so the throw is lost as an unhandled rejection and the fiber never resumes.
 */
export const fromPromiseLike = <A>(thenable: PromiseLike<A>): Effect.Effect<A> =>
  Effect.async<A>((resume) => {
    try {
      thenable.then(
        (value) => resume(Effect.succeed(value)),
        (error) => resume(Effect.failCause(Cause.die(error)))
      )
    } catch (error) {
      // a `then` that throws
      resume(Effect.failCause(Cause.die(error)))
    }
  })
