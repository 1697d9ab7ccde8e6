/**
 * An LLM judge as a service: grades an answer against a reference. The scorer (src/faithfulness.ts) asks for the
 * `Judge` and never knows which model is behind it; the layer decides.
 *
 * `layerFake` is a deterministic stand-in (word overlap with the reference), for tests and offline runs. In a real
 * app, implement the layer with `@effect/ai`'s `LanguageModel` (see the README): the scorer does not change.
 */
import { Context, Data, Effect, Layer } from "effect"

export interface Verdict {
  /** 0 (unsupported by the reference) to 1 (fully supported). */
  readonly score: number
  readonly reason: string
}

/** The judge could not give a verdict (the model failed, or answered something that is not a verdict). */
export class JudgeError extends Data.TaggedError("JudgeError")<{ readonly reason: string }> {
  override get message() {
    return `the judge gave no verdict: ${this.reason}`
  }
}

export class Judge extends Context.Tag("@helicone-effect/example-custom-scorer/Judge")<Judge, {
  readonly grade: (args: {
    readonly question: string
    readonly answer: string
    readonly reference: string
  }) => Effect.Effect<Verdict, JudgeError>
}>() {}

const words = (text: string): Set<string> => new Set(text.toLowerCase().match(/[a-z0-9]+/g) ?? [])

/** A fake judge: the share of the reference's words the answer uses. An empty answer is an error, like a bad reply. */
export const layerFake: Layer.Layer<Judge> = Layer.succeed(Judge, {
  grade: ({ answer, reference }) =>
    Effect.suspend(() => {
      if (answer.trim() === "") return Effect.fail(new JudgeError({ reason: "empty answer" }))
      const expected = words(reference)
      const given = words(answer)
      const shared = [...expected].filter((word) => given.has(word))
      const score = expected.size === 0 ? 0 : shared.length / expected.size
      return Effect.succeed({ score, reason: `uses ${shared.length} of the reference's ${expected.size} words` })
    })
})
