/**
 * Where an eval suite's cases come from: an array, an iterable, an async iterable, an Effect `Stream` or a JSONL file
 * read line by line.
 *
 * A dataset is pulled as the runner needs cases, so a file or stream of any length runs in bounded memory.
 *
 * @since 0.1.0
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import * as Predicate from "effect/Predicate"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as pick from "./internal/runner/pick.js"
import * as source from "./internal/runner/source.js"

/**
 * One eval case: the `input` given to the task, the `expected` output scorers compare against, free-form
 * `metadata` (given to scorers, kept in the report) and an optional `name` shown in reports.
 *
 * @since 0.1.0
 * @category models
 */
export interface Case<Input, Expected = unknown> {
  readonly input: Input
  readonly expected?: Expected | undefined
  readonly metadata?: Readonly<Record<string, unknown>> | undefined
  readonly name?: string | undefined
}

/**
 * @since 0.1.0
 * @category type ids
 */
export const TypeId: unique symbol = Symbol.for("@helicone-effect/evaluator/Dataset")

/**
 * @since 0.1.0
 * @category type ids
 */
export type TypeId = typeof TypeId

/**
 * A source of cases. `size` is the number of cases when known up front (for progress and ETA).
 *
 * @since 0.1.0
 * @category models
 */
export interface Dataset<out Input, out Expected = unknown, out R = never> {
  readonly [TypeId]: TypeId
  readonly size: number | undefined
  /** @internal */
  readonly open: Effect.Effect<source.Source<Case<Input, Expected>>, never, Scope.Scope | R>
  /** @internal Counts the cases before a run when `size` is not known but counting is cheap (a JSONL file's lines). */
  readonly count?: Effect.Effect<number | undefined, never, Scope.Scope | R> | undefined
}

/**
 * Everything `Eval.make` accepts as `data`.
 *
 * @since 0.1.0
 * @category models
 */
export type DataInput<Input, Expected, R> =
  | Dataset<Input, Expected, R>
  | ReadonlyArray<Case<Input, Expected>>
  | Iterable<Case<Input, Expected>>
  | AsyncIterable<Case<Input, Expected>>
  | Stream.Stream<Case<Input, Expected>, unknown, R>

/**
 * @since 0.1.0
 * @category guards
 */
export const isDataset = (u: unknown): u is Dataset<unknown, unknown, unknown> => Predicate.hasProperty(u, TypeId)

const make = <Input, Expected, R>(
  size: number | undefined,
  open: Effect.Effect<source.Source<Case<Input, Expected>>, never, Scope.Scope | R>
): Dataset<Input, Expected, R> => ({ [TypeId]: TypeId, size, open })

/**
 * A dataset over an array or any synchronous iterable. An iterable that throws ends the data with a `data` error.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromIterable = <Input, Expected = unknown>(
  cases: Iterable<Case<Input, Expected>>
): Dataset<Input, Expected> =>
  make<Input, Expected, never>(
    Array.isArray(cases) ? cases.length : undefined,
    Effect.sync(() => Array.isArray(cases) ? source.fromArray(cases) : source.fromIterator(cases[Symbol.iterator]()))
  )

/**
 * A dataset over an async iterable (an async generator, a Node readable in object mode). The iterator is closed
 * (`return()`) when the run ends early.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromAsyncIterable = <Input, Expected = unknown>(
  cases: AsyncIterable<Case<Input, Expected>>
): Dataset<Input, Expected> =>
  make<Input, Expected, never>(undefined, source.fromAsyncIterator(() => cases[Symbol.asyncIterator]()))

/**
 * A dataset over an Effect `Stream`. A stream failure ends the data and is recorded as a `data` error.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromStream = <Input, Expected = unknown, E = unknown, R = never>(
  stream: Stream.Stream<Case<Input, Expected>, E, R>
): Dataset<Input, Expected, R> => make(undefined, source.fromStream(stream))

/**
 * The options of {@link jsonl}.
 *
 * @since 0.1.0
 * @category models
 */
export interface JsonlOptions {
  /**
   * The longest line read, in bytes (its newline not counted). A longer line becomes a case with a `data` error and
   * is skipped as it is read, so a file with a runaway line is still read in bounded memory. Default 16 MiB.
   */
  readonly maxLineBytes?: number | undefined
}

/**
 * A dataset read from a JSONL file, one case per line (`{"input": …, "expected": …, "metadata": …, "name": …}`),
 * streamed in blocks so the file is never held in memory. Blank lines are skipped, and so is a UTF-8 byte order mark
 * at the start. A line that is not valid UTF-8, not JSON, not an object with an `input` key, or longer than
 * `maxLineBytes` (16 MiB by default) becomes a case with a `data` error carrying its 1-based line number, and the
 * run goes on with the next line. A file that cannot be opened or read ends the data with a `data` error.
 *
 * The file is read through `@effect/platform`'s `FileSystem`, which the run then needs: on Node, provide
 * `NodeContext.layer` (or `NodeFileSystem.layer`) from `@effect/platform-node`. Throws a `RangeError` at once for a
 * `maxLineBytes` that is not an integer >= 1. Before the run, the file's non-blank lines are counted (up to 512 MiB of
 * file) so that progress shows a total and an ETA.
 *
 * @example
 * ```ts
 * import { NodeContext } from "@effect/platform-node"
 * import { Dataset, Eval } from "@helicone-effect/evaluator"
 * import { Effect } from "effect"
 *
 * const suite = Eval.make({
 *   name: "support-answers",
 *   data: Dataset.jsonl<{ question: string }, string>("./cases.jsonl"),
 *   task: (input) => input.question.toUpperCase(),
 *   scorers: []
 * })
 *
 * Effect.runPromise(Eval.run(suite).pipe(Effect.provide(NodeContext.layer)))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const jsonl = <Input = unknown, Expected = unknown>(
  path: string,
  options: JsonlOptions = {}
): Dataset<Input, Expected, FileSystem.FileSystem> => {
  const maxLineBytes = options.maxLineBytes ?? source.defaultMaxLineBytes
  if (!Number.isSafeInteger(maxLineBytes) || maxLineBytes < 1) {
    throw new RangeError(`maxLineBytes must be an integer >= 1, got ${maxLineBytes}`)
  }
  return {
    ...make(
      undefined,
      source.fromJsonlFile(path, maxLineBytes) as Effect.Effect<
        source.Source<Case<Input, Expected>>,
        never,
        Scope.Scope | FileSystem.FileSystem
      >
    ),
    count: source.countJsonlLines(path)
  }
}

/**
 * Turns anything `Eval.make` accepts as `data` into a {@link Dataset}.
 *
 * @since 0.1.0
 * @category constructors
 */
export const from = <Input, Expected, R>(data: DataInput<Input, Expected, R>): Dataset<Input, Expected, R> => {
  if (isDataset(data)) return data as Dataset<Input, Expected, R>
  if (Stream.StreamTypeId in (data as object)) {
    return fromStream(data as Stream.Stream<Case<Input, Expected>, unknown, R>)
  }
  if (Predicate.hasProperty(data, Symbol.iterator)) return fromIterable(data as Iterable<Case<Input, Expected>>)
  if (Predicate.hasProperty(data, Symbol.asyncIterator)) {
    return fromAsyncIterable(data as AsyncIterable<Case<Input, Expected>>)
  }
  throw new TypeError("Eval data must be an array, an iterable, an async iterable, a Stream or a Dataset")
}

/**
 * A row of a dataset that could not be read (a JSONL line that is not JSON, a row without `input`); a run records it
 * as a case with a `data` error.
 *
 * @since 0.1.0
 * @category models
 */
export interface Unreadable {
  readonly message: string
  /** The line of the file, for a file. */
  readonly line: number | undefined
}

/**
 * Whether an item of {@link readNow} is an unreadable row.
 *
 * @since 0.1.0
 * @category guards
 */
export const isUnreadable = (u: unknown): u is Unreadable => u instanceof source.Invalid

/**
 * Every case of a dataset that has them at hand (an array, a synchronous iterable), read now; `undefined` for one
 * that would have to wait (a file, a stream, an async iterable). For runners that must know the cases up front, as
 * Vitest must when it collects a file.
 *
 * @since 0.1.0
 * @category getters
 */
export const readNow = <Input, Expected, R>(
  dataset: Dataset<Input, Expected, R>
): Array<Case<Input, Expected> | Unreadable> | undefined =>
  source.takeAllNow(dataset.open as Effect.Effect<source.Source<Case<Input, Expected>>, never, Scope.Scope>)

const count = (what: string, n: number): number => {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${what} must be an integer >= 0, got ${n}`)
  return n
}

/**
 * The first `n` cases of a dataset (rows that cannot be read count as cases). Throws a `RangeError` at once for an
 * `n` that is not an integer >= 0.
 *
 * @example
 * ```ts
 * import { Dataset } from "@helicone-effect/evaluator"
 *
 * const firstTen = Dataset.take(Dataset.jsonl("./cases.jsonl"), 10)
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const take = <Input, Expected, R>(self: Dataset<Input, Expected, R>, n: number): Dataset<Input, Expected, R> =>
  make(
    self.size === undefined ? undefined : Math.min(self.size, count("take", n)),
    pick.take(self.open, count("take", n))
  )

/**
 * The cases `predicate` keeps. Rows that cannot be read are always kept, so a broken dataset still shows as `data`
 * errors. An array is filtered at once (its size stays known); any other dataset as it is read.
 *
 * @since 0.1.0
 * @category combinators
 */
export const filter = <Input, Expected, R>(
  self: Dataset<Input, Expected, R>,
  predicate: (item: Case<Input, Expected>) => boolean
): Dataset<Input, Expected, R> => {
  // an array's cases are at hand: filter them now, so the size (progress, ETA) stays known
  const now = self.size === undefined ? undefined : readNow(self)
  if (now === undefined) return make(undefined, pick.filter(self.open, predicate))
  const kept = now.filter((item) => isUnreadable(item) || predicate(item))
  return make(kept.length, Effect.sync(() => source.fromArray(kept as ReadonlyArray<Case<Input, Expected>>)))
}

/**
 * `n` cases drawn at random without replacement, the same ones for the same `seed` and data, in the dataset's order.
 * The whole dataset is read before the first case runs, holding `n` cases in memory. Throws a `RangeError` at once
 * for an `n` that is not an integer >= 0.
 *
 * @example
 * ```ts
 * import { Dataset } from "@helicone-effect/evaluator"
 *
 * // the same 50 cases on every run with seed 7
 * const sampled = Dataset.sample(Dataset.jsonl("./cases.jsonl"), 50, { seed: 7 })
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const sample = <Input, Expected, R>(
  self: Dataset<Input, Expected, R>,
  n: number,
  options: { readonly seed: number }
): Dataset<Input, Expected, R> =>
  make(
    self.size === undefined ? undefined : Math.min(self.size, count("sample", n)),
    pick.sample(self.open, count("sample", n), options.seed)
  )
