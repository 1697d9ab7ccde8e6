/**
 * Online evaluation: cheap checks run on every answer the service gives, sent to Helicone as scores so they can be
 * charted and filtered next to the logged request. Helicone stores integers and booleans, so a 0..1 score is turned
 * into 0..100 with `Scores.fromUnit`.
 */
import { Scores } from "@helicone-effect/core"

const words = (text: string): Set<string> => new Set(text.toLowerCase().match(/[a-z0-9]+/g) ?? [])

/** The scores of one answer. */
export const grade = (question: string, answer: string): Scores.Scores => {
  const asked = words(question)
  const said = words(answer)
  const overlap = asked.size === 0 ? 0 : [...asked].filter((word) => said.has(word)).length / asked.size
  return {
    answered: !answer.startsWith("I'm not sure"),
    cites_docs: answer.includes("https://example.com/docs/"),
    concise: answer.length <= 280,
    question_overlap: Scores.fromUnit(overlap)
  }
}
