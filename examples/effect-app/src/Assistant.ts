/**
 * The model behind the support endpoint, as a service. This example answers from a small FAQ so it runs with no
 * network and no key; in a real app the layer would call a model through Helicone's gateway (for instance with
 * `@effect/ai`'s `LanguageModel`), sending the request id below as the `Helicone-Request-Id` header so the scores
 * submitted later attach to that logged request.
 */
import { RequestId } from "@helicone-effect/core"
import { Context, Effect, Layer } from "effect"

export interface Reply {
  readonly text: string
  /** The Helicone request id of the model call that produced the text. */
  readonly requestId: RequestId.RequestId
}

export class Assistant extends Context.Tag("@helicone-effect/example-effect-app/Assistant")<Assistant, {
  readonly answer: (question: string) => Effect.Effect<Reply>
}>() {}

const faq: ReadonlyArray<{ readonly keywords: ReadonlyArray<string>; readonly answer: string }> = [
  {
    keywords: ["refund", "money back"],
    answer: "You can ask for a refund within 30 days of purchase from Settings > Billing. " +
      "See https://example.com/docs/refunds for the details."
  },
  {
    keywords: ["password", "log in", "login"],
    answer: "Use \"Forgot password\" on the sign-in page; the reset link is valid for 1 hour."
  },
  {
    keywords: ["invoice", "receipt"],
    answer: "Invoices are under Settings > Billing > Invoices. See https://example.com/docs/invoices."
  }
]

const fallback = "I'm not sure. A person from the support team will get back to you."

/** A deterministic stand-in for a model: the FAQ answer whose keywords appear in the question, or a fallback. */
export const layerFaq: Layer.Layer<Assistant> = Layer.succeed(Assistant, {
  answer: (question) =>
    Effect.sync(() => {
      const lower = question.toLowerCase()
      const entry = faq.find((e) => e.keywords.some((keyword) => lower.includes(keyword)))
      return { text: entry?.answer ?? fallback, requestId: RequestId.make() }
    })
})
