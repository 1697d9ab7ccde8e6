import * as Duration from "effect/Duration"
import * as Either from "effect/Either"
import { InvalidConfig } from "../HeliconeError.js"

/** @internal */
export const decodeDuration = (
  option: string,
  input: Duration.DurationInput | undefined,
  fallback: Duration.Duration
): Either.Either<Duration.Duration, InvalidConfig> => {
  if (input === undefined) return Either.right(fallback)
  const decoded = Duration.decodeUnknown(input)
  if (
    decoded._tag === "Some" && Duration.isFinite(decoded.value) && Duration.greaterThan(decoded.value, Duration.zero)
  ) {
    return Either.right(decoded.value)
  }
  return Either.left(
    new InvalidConfig({ option, reason: `must be a finite duration above zero, got ${String(input)}` })
  )
}
