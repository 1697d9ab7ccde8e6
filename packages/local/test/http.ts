/**
 * A plain `fetch` client for the tests: they check the bytes a user's code would see, so nothing here interprets the
 * response.
 */
import { Effect } from "effect"

export interface Reply {
  readonly status: number
  readonly headers: Headers
  readonly body: string
}

export interface Call {
  readonly method?: "GET" | "POST"
  readonly body?: string | undefined
  readonly headers?: Record<string, string>
}

/** Sends one request; a connection that is reset or never answered fails the effect with the fetch error. */
export const call = (baseUrl: string, path: string, options: Call = {}): Effect.Effect<Reply, Error> =>
  Effect.tryPromise({
    try: async (signal) => {
      const response = await fetch(`${baseUrl}${path}`, {
        method: options.method ?? (options.body === undefined ? "GET" : "POST"),
        headers: options.headers ?? {},
        signal,
        ...(options.body === undefined ? {} : { body: options.body })
      })
      return { status: response.status, headers: response.headers, body: await response.text() }
    },
    catch: (error) => error as Error
  })

export const auth = (key = "sk-test"): Record<string, string> => ({
  "content-type": "application/json",
  authorization: `Bearer ${key}`
})

/** POST /v1/request/:id/score with a JSON body. */
export const postScore = (baseUrl: string, requestId: string, body: unknown, key = "sk-test") =>
  call(baseUrl, `/v1/request/${requestId}/score`, { body: JSON.stringify(body), headers: auth(key) })
