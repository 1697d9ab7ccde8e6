import * as NodeHttpServerRequest from "@effect/platform-node/NodeHttpServerRequest"
import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import type { Socket } from "node:net"
import type * as Faults from "../Faults.js"

/** The real limiter's window: five minutes per organisation (here: per API key). */
const windowMillis = 5 * 60 * 1000

/** Helicone's 429 body (express-rate-limit's message). */
const tooManyRequestsBody = { error: "Too many requests, please try again later." }

/** @internal */
export const rateLimitHeaders = (limit: number, remaining: number, resetSeconds: number): Record<string, string> => ({
  "RateLimit-Policy": `${limit};w=${windowMillis / 1000}`,
  "RateLimit-Limit": String(limit),
  "RateLimit-Remaining": String(Math.max(0, remaining)),
  "RateLimit-Reset": String(resetSeconds)
})

/** @internal */
export const tooManyRequests = (limit: number, resetSeconds: number): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.unsafeJson(tooManyRequestsBody, {
    status: 429,
    headers: { "Retry-After": String(resetSeconds), ...rateLimitHeaders(limit, 0, resetSeconds) }
  })

const reasons: Record<number, string> = {
  408: "Request Timeout",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout"
}

/**
 * Sockets of requests held by a `stall` fault. They are destroyed when the server shuts down, so that a stalled
 * client cannot keep `server.close()` waiting forever.
 *
 * @internal
 */
export class StalledSockets {
  readonly sockets = new Set<Socket>()
  hold(socket: Socket): void {
    this.sockets.add(socket)
    socket.once("close", () => this.sockets.delete(socket))
  }
  releaseAll(): void {
    for (const socket of this.sockets) socket.destroy()
    this.sockets.clear()
  }
}

/**
 * Answers a request with the given fault. `reset` and `stall` never answer: the handler's fiber is interrupted when
 * the socket closes (by us, by the client, or at shutdown).
 *
 * @internal
 */
export const respond = (
  fault: Faults.Fault,
  request: HttpServerRequest.HttpServerRequest,
  stalled: StalledSockets,
  injectedRateLimit: number
): Effect.Effect<HttpServerResponse.HttpServerResponse> => {
  switch (fault) {
    case "reset":
      return Effect.zipRight(
        Effect.sync(() => NodeHttpServerRequest.toIncomingMessage(request).socket.destroy()),
        Effect.never
      )
    case "stall":
      return Effect.zipRight(
        Effect.sync(() => stalled.hold(NodeHttpServerRequest.toIncomingMessage(request).socket)),
        Effect.never
      )
    case 429:
      return Effect.succeed(tooManyRequests(injectedRateLimit, 1))
    default:
      return Effect.succeed(
        HttpServerResponse.unsafeJson({ data: null, error: `${reasons[fault]} (injected by helicone-local)` }, {
          status: fault
        })
      )
  }
}

/** @internal */
export type RateDecision =
  | { readonly _tag: "Allowed"; readonly headers: Record<string, string> }
  | { readonly _tag: "Limited"; readonly response: HttpServerResponse.HttpServerResponse }

/**
 * A fixed-window limiter like Helicone's: `limit` requests per key per five minutes, the window starting at the key's
 * first request.
 *
 * @internal
 */
export const makeRateLimiter = (limit: number | undefined) => {
  const windows = new Map<string, { start: number; count: number }>()
  return (key: string): Effect.Effect<RateDecision> =>
    limit === undefined
      ? Effect.succeed({ _tag: "Allowed", headers: {} })
      : Effect.map(Clock.currentTimeMillis, (now): RateDecision => {
        let window = windows.get(key)
        if (window === undefined || now >= window.start + windowMillis) {
          window = { start: now, count: 0 }
          windows.set(key, window)
        }
        window.count += 1
        const resetSeconds = Math.max(1, Math.ceil((window.start + windowMillis - now) / 1000))
        return window.count > limit
          ? { _tag: "Limited", response: tooManyRequests(limit, resetSeconds) }
          : { _tag: "Allowed", headers: rateLimitHeaders(limit, limit - window.count, resetSeconds) }
      })
}
