/**
 * The vectors of the texts a run compares with, kept in memory so that each distinct text is embedded once per run and
 * per embedding model, however many cases, trials and scorers compare with it, and however many of them ask at once.
 */
import type * as AiError from "@effect/ai/AiError"
import type * as EmbeddingModel from "@effect/ai/EmbeddingModel"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as FiberId from "effect/FiberId"

/** A text's vector, or `undefined` when the case that was computing it failed or was interrupted. */
type Entry = Deferred.Deferred<Array<number> | undefined>

/** The texts of one run, by the text. */
export type Memo = Map<string, Entry>

/** How many runs' texts each embedding model keeps; an older run's are dropped when a newer run starts. */
const runsKept = 4

/** By embedding model (a layer built anew is a new model), then by run. */
const memos = new WeakMap<EmbeddingModel.Service, Map<string, Memo>>()

/** The memo of `run` (a run id; `""` outside a run) for `model`. */
export const of = (model: EmbeddingModel.Service, run: string): Memo => {
  let runs = memos.get(model)
  if (runs === undefined) {
    runs = new Map()
    memos.set(model, runs)
  }
  let memo = runs.get(run)
  if (memo === undefined) {
    memo = new Map()
    runs.set(run, memo)
    if (runs.size > runsKept) runs.delete(runs.keys().next().value!)
  }
  return memo
}

/**
 * Embeds `texts` with `embed`, the last of them being `text` (the one the memo keeps), and makes its vector the memo's
 * for the cases waiting on it. When the call fails or is interrupted, the text leaves the memo and the waiting cases
 * embed it themselves, so one case's failure is never another's.
 */
const own = <R>(
  memo: Memo,
  text: string,
  texts: ReadonlyArray<string>,
  embed: (texts: ReadonlyArray<string>) => Effect.Effect<Array<Array<number>>, AiError.AiError, R>
): Effect.Effect<Array<Array<number>>, AiError.AiError, R> => {
  const entry: Entry = Deferred.unsafeMake(FiberId.none)
  memo.set(text, entry)
  return embed(texts).pipe(
    Effect.onExit((exit) => {
      if (exit._tag === "Success") return Deferred.succeed(entry, exit.value[texts.length - 1])
      if (memo.get(text) === entry) memo.delete(text)
      return Deferred.succeed(entry, undefined)
    })
  )
}

/** The vector of `text`: the memo's, or one this case asks for when nobody has it or is asking for it. */
const memoized = <R>(
  memo: Memo,
  text: string,
  embed: (texts: ReadonlyArray<string>) => Effect.Effect<Array<Array<number>>, AiError.AiError, R>
): Effect.Effect<Array<number>, AiError.AiError, R> =>
  Effect.suspend(() => {
    const entry = memo.get(text)
    if (entry === undefined) return Effect.map(own(memo, text, [text], embed), (vectors) => vectors[0])
    return Effect.flatMap(
      Deferred.await(entry),
      (vector) => vector === undefined ? memoized(memo, text, embed) : Effect.succeed(vector)
    )
  })

/**
 * The vectors of `text` (not kept) and of `kept` (through the memo). When this case is the first to need `kept`, both
 * go to the model in one `embedMany` call; otherwise `text` goes alone while the case waits for `kept`.
 */
export const pair = <R>(
  memo: Memo,
  text: string,
  kept: string,
  embed: (texts: ReadonlyArray<string>) => Effect.Effect<Array<Array<number>>, AiError.AiError, R>
): Effect.Effect<readonly [Array<number>, Array<number>], AiError.AiError, R> =>
  Effect.suspend(() => {
    if (!memo.has(kept)) {
      return Effect.map(own(memo, kept, [text, kept], embed), ([a, b]) => [a, b] as const)
    }
    return Effect.all(
      [Effect.map(embed([text]), (vectors) => vectors[0]), memoized(memo, kept, embed)],
      { concurrency: 2 }
    )
  })
