import * as Context from "effect/Context"

/** The model call in progress, set by the model layer around one call and read by the gateway's HTTP client. */
export interface CallState {
  /** The `Helicone-Request-Id` this call's requests carry. */
  readonly requestId: string
  /** Milliseconds the call's requests waited for the rate limiter, added to by the limiter. */
  waitedMs: number
}

/** The model call in progress; `undefined` outside a model layer's call. */
export class CurrentCall extends Context.Reference<CurrentCall>()("@helicone-effect/ai/CurrentCall", {
  defaultValue: (): CallState | undefined => undefined
}) {}
