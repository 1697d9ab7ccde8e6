import type * as OpenAiClient from "@effect/ai-openai/OpenAiClient"
import type * as AiError from "@effect/ai/AiError"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"

/**
 * `@effect/ai`'s HTTP errors keep the request's headers as a plain record (its redaction only applies inside a
 * logger), so `JSON.stringify(error)` would print the keys. These are the errors with every secret header, and any
 * header holding a secret's value, replaced.
 */
export const scrubber = (secretHeaders: ReadonlyArray<string>, secrets: ReadonlyArray<Redacted.Redacted>) => {
  const names = new Set(secretHeaders.map((name) => name.toLowerCase()))
  const values = secrets.map((secret) => Redacted.value(secret) as string).filter((value) => value.length > 0)
  const scrubHeaders = (headers: Record<string, unknown>): Record<string, unknown> => {
    const scrubbed: Record<string, unknown> = {}
    for (const [name, value] of Object.entries(headers)) {
      const secret = names.has(name.toLowerCase()) ||
        (typeof value === "string" && values.some((s) => value.includes(s)))
      scrubbed[name] = secret ? "<redacted>" : value
    }
    return scrubbed
  }
  return (error: AiError.AiError): AiError.AiError => {
    if (error._tag !== "HttpRequestError" && error._tag !== "HttpResponseError") return error
    const request = error.request as { readonly headers: Record<string, unknown> }
    const copy = Object.create(Object.getPrototypeOf(error))
    Object.defineProperties(copy, Object.getOwnPropertyDescriptors(error))
    copy.request = { ...error.request, headers: scrubHeaders(request.headers) }
    return copy
  }
}

/** The client with its methods' errors scrubbed. */
export const scrubClient = (
  client: OpenAiClient.Service,
  scrub: (error: AiError.AiError) => AiError.AiError
): OpenAiClient.Service => ({
  client: client.client,
  streamRequest: (request, schema) => Stream.mapError(client.streamRequest(request, schema), scrub),
  createResponse: (options) => Effect.mapError(client.createResponse(options), scrub),
  createResponseStream: (options) => Stream.mapError(client.createResponseStream(options), scrub),
  createEmbedding: (options) => Effect.mapError(client.createEmbedding(options), scrub)
})
