/**
 * Fault injection for the local server: which failure the n-th request gets, as a pure function of a seed.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"

/**
 * A failure the server can answer with instead of doing its work: an HTTP status (429 carries `Retry-After` and
 * `RateLimit-*` headers), `"reset"` (the socket is destroyed) or `"stall"` (no response is ever sent).
 *
 * @since 0.1.0
 * @category models
 */
export type Fault = 408 | 429 | 500 | 502 | 503 | 504 | "reset" | "stall"

/**
 * Every fault this module knows, in the order probabilities are laid out on [0, 1).
 *
 * @since 0.1.0
 * @category models
 */
export const faults: ReadonlyArray<Fault> = [408, 429, 500, 502, 503, 504, "reset", "stall"]

/**
 * How often each fault happens, as a probability per request: `{ 429: 0.1, reset: 0.02 }`.
 *
 * @since 0.1.0
 * @category models
 */
export type FaultSpec = { readonly [K in Fault]?: number }

/**
 * A fault specification that could not be read: an unknown fault name, a rate outside [0, 1], or rates adding up to
 * more than 1.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidFaultSpec extends Schema.TaggedError<InvalidFaultSpec>(
  "@helicone-effect/local/InvalidFaultSpec"
)("InvalidFaultSpec", {
  spec: Schema.String,
  reason: Schema.String
}) {
  /**
   * @since 0.1.0
   */
  override get message(): string {
    return `Invalid fault specification "${this.spec}": ${this.reason}. ` +
      `Expected something like "429=0.1,503=0.05,reset=0.02,stall=0.02" (faults: ${faults.join(", ")}).`
  }
}

const faultByName = new Map<string, Fault>(faults.map((fault) => [String(fault), fault]))

const render = (spec: FaultSpec): string =>
  faults.filter((fault) => spec[fault] !== undefined).map((fault) => `${fault}=${spec[fault]}`).join(",")

/**
 * Reads a fault specification, either the command-line form `"429=0.1,503=0.05,reset=0.02"` or a `FaultSpec`
 * object, and checks that every rate is in [0, 1] and that they add up to at most 1.
 *
 * @example
 * ```ts
 * import { Faults } from "@helicone-effect/local"
 * import { Effect } from "effect"
 *
 * Effect.runSync(Faults.make("429=0.1,stall=0.01")) // { 429: 0.1, stall: 0.01 }
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (input: string | FaultSpec): Effect.Effect<FaultSpec, InvalidFaultSpec> =>
  Effect.suspend(() => {
    const text = typeof input === "string" ? input : render(input)
    const fail = (reason: string) => Effect.fail(new InvalidFaultSpec({ spec: text, reason }))
    const entries: Array<readonly [string, unknown]> = typeof input === "string"
      ? input.split(",").map((part) => part.trim()).filter((part) => part !== "").map((part) => {
        const eq = part.indexOf("=")
        return eq < 0 ? [part, undefined] : [part.slice(0, eq).trim(), Number(part.slice(eq + 1).trim())]
      })
      : Object.entries(input)
    const spec: { [K in Fault]?: number } = {}
    let total = 0
    for (const [name, rate] of entries) {
      const fault = faultByName.get(name.toLowerCase())
      if (fault === undefined) return fail(`unknown fault "${name}"`)
      if (typeof rate !== "number" || !Number.isFinite(rate) || rate < 0 || rate > 1) {
        return fail(`the rate of "${name}" must be a number between 0 and 1`)
      }
      if (spec[fault] !== undefined) return fail(`"${name}" is given twice`)
      spec[fault] = rate
      total += rate
    }
    if (total > 1 + 1e-9) return fail(`the rates add up to ${total}, more than 1`)
    return Effect.succeed(spec)
  })

/**
 * A uniform number in [0, 1) that depends only on `seed` and `n` (murmur3's 32-bit finaliser over both).
 *
 * @since 0.1.0
 * @category models
 */
export const uniform = (seed: number, n: number): number => {
  const fmix = (x: number): number => {
    let h = x >>> 0
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
    return (h ^ (h >>> 16)) >>> 0
  }
  return fmix(fmix(seed) + Math.imul(n, 0x9e3779b9)) / 4294967296
}

/**
 * The fault the `n`-th request (counting from 0) gets under `spec` and `seed`, or `undefined` for none. The same
 * seed always gives the same sequence, whatever the timing of the requests.
 *
 * @since 0.1.0
 * @category models
 */
export const faultAt = (spec: FaultSpec, seed: number, n: number): Fault | undefined => {
  const u = uniform(seed, n)
  let upper = 0
  for (const fault of faults) {
    const rate = spec[fault]
    if (rate === undefined || rate === 0) continue
    upper += rate
    if (u < upper) return fault
  }
  return undefined
}

/**
 * The specification in the command-line form, e.g. `"429=0.1,reset=0.02"`.
 *
 * @since 0.1.0
 * @category models
 */
export const format: (spec: FaultSpec) => string = render
