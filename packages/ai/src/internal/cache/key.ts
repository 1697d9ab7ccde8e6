import type * as LanguageModel from "@effect/ai/LanguageModel"
import * as Prompt from "@effect/ai/Prompt"
import * as Tool from "@effect/ai/Tool"
import * as Effect from "effect/Effect"
import * as Encoding from "effect/Encoding"
import * as Schema from "effect/Schema"

/**
 * `value` with every object's keys sorted and `undefined` fields dropped, so that equal requests serialise alike;
 * bytes become `{ "base64": ... }`.
 */
export const canonical = (value: unknown): unknown => {
  if (value === null || typeof value !== "object") return value
  if (value instanceof Uint8Array) return { base64: Encoding.encodeBase64(value) }
  if (value instanceof URL) return value.href
  if (Array.isArray(value)) return value.map((item) => item === undefined ? null : canonical(item))
  const sorted: Record<string, unknown> = {}
  for (const key of Object.keys(value).sort()) {
    const field = (value as Record<string, unknown>)[key]
    if (field !== undefined) sorted[key] = canonical(field)
  }
  return sorted
}

/** Pretty JSON with sorted keys, ending in a newline: the text of a store entry. */
export const prettyJson = (value: unknown): string => `${JSON.stringify(canonical(value), null, 2)}\n`

/** The SHA-256 of the canonical JSON of `value`, in hex. */
export const hashOf = (value: unknown): Effect.Effect<string> =>
  Effect.promise(() =>
    globalThis.crypto.subtle.digest("SHA-256", new TextEncoder().encode(JSON.stringify(canonical(value))))
  ).pipe(Effect.map((digest) => Encoding.encodeHex(new Uint8Array(digest))))

const encodePrompt = Schema.encodeSync(Prompt.Prompt)

const toolOf = (tool: Tool.Any): unknown =>
  Tool.isProviderDefined(tool)
    ? { name: tool.name, providerDefined: (tool as any).id, args: (tool as any).args }
    : { name: tool.name, description: Tool.getDescription(tool as any), parameters: Tool.getJsonSchema(tool as any) }

/** What a language model call asks, as the cache key and the entry's `request` hold it. */
export const describeCall = (options: LanguageModel.ProviderOptions, stream: boolean): Record<string, unknown> => ({
  prompt: encodePrompt(options.prompt),
  tools: options.tools.map(toolOf),
  toolChoice: options.toolChoice,
  responseFormat: options.responseFormat.type === "json"
    ? {
      type: "json",
      objectName: options.responseFormat.objectName,
      schema: Tool.getJsonSchemaFromSchemaAst(options.responseFormat.schema.ast)
    }
    : { type: "text" },
  stream
})
