/**
 * The embedding scorer through `@effect/ai-openai` against a loopback stand-in for OpenAI's embeddings API: scores
 * computed by hand from the vectors the stand-in gives, the texts sent on the wire and how many requests carry them,
 * and what a failing embedding call leaves in the report.
 */
import { OpenAiClient, OpenAiEmbeddingModel } from "@effect/ai-openai"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { assert, describe, it } from "@effect/vitest"
import { Eval, Scorer } from "@helicone-effect/evaluator"
import { CurrentCase } from "@helicone-effect/evaluator/ModelCalls"
import { Effect, Layer, Redacted } from "effect"
import * as Embeddings from "../src/Embeddings.js"
import * as OpenAi from "./fixtures/OpenAiEmbeddings.js"

/** `text-embedding-3-small` through `@effect/ai-openai` in its batched mode, pointed at the stand-in. */
const embedder = (apiUrl: string) =>
  OpenAiEmbeddingModel.layerBatched({ model: "text-embedding-3-small" }).pipe(
    Layer.provide(OpenAiClient.layer({ apiKey: Redacted.make("sk-embed"), apiUrl })),
    Layer.provide(FetchHttpClient.layer)
  )

/** Vectors chosen so that each cosine is known by hand. */
const vectors: Record<string, ReadonlyArray<number>> = {
  x: [1, 0, 0],
  "twice x": [2, 0, 0],
  y: [0, 1, 0],
  "minus x": [-1, 0, 0],
  "3,4": [3, 4, 0],
  "4,3": [4, 3, 0]
}
const vectorOf = (text: string): ReadonlyArray<number> => vectors[text] ?? [1, 1, 1]

/** Every text sent, in order, over all requests. */
const sent = (requests: ReadonlyArray<OpenAi.RequestBody>) => requests.flatMap(OpenAi.inputsOf)

describe("Embeddings", () => {
  it.live("embeddingSimilarity: cosine rescaled from expectedMin 0.7 (same direction 1, orthogonal 0, 0.96 → 0.8667)", () =>
    Effect.gen(function*() {
      const server = yield* OpenAi.make(vectorOf)
      const pairs = [["twice x", "x"], ["y", "x"], ["4,3", "3,4"], ["minus x", "x"]] as const
      const suite = Eval.make({
        name: "similarity",
        data: pairs.map(([output, expected]) => ({ input: output, expected })),
        task: (output: string) => output,
        scorers: [
          Embeddings.embeddingSimilarity,
          Embeddings.embeddingSimilarityWith({ name: "raw", expectedMin: 0 }),
          Embeddings.embeddingSimilarityWith({ name: "halfway", expectedMin: -1 })
        ]
      })
      const report = yield* Eval.run(suite).pipe(Effect.provide(embedder(server.apiUrl)))
      assert.deepStrictEqual(report.cases.flatMap((c) => c.errors), [])

      const scores = (name: string) => report.cases.map((c) => c.scores.find((s) => s.name === name)!.score)
      // cos: 1, 0, (3·4 + 4·3) / (5 · 5) = 24/25 = 0.96, −1
      const [same, orthogonal, close, opposite] = scores("embeddingSimilarity")
      assert.strictEqual(same, 1)
      assert.strictEqual(orthogonal, 0)
      assert.closeTo(close, (0.96 - 0.7) / 0.3, 1e-12) // 0.8667
      assert.strictEqual(opposite, 0)
      assert.deepStrictEqual(
        scores("raw").map((s) => Math.round(s * 1e12) / 1e12),
        [1, 0, 0.96, 0]
      )
      // expectedMin −1 maps the whole range of the cosine: (cos + 1) / 2
      assert.deepStrictEqual(
        scores("halfway").map((s) => Math.round(s * 1e12) / 1e12),
        [1, 0.5, 0.98, 0]
      )
      const metadata = report.cases[2].scores[0].metadata as { similarity: number }
      assert.closeTo(metadata.similarity, 0.96, 1e-12)
      assert.isFalse(report.cases[2].scores[0].boolean)

      assert.isTrue(server.requests.every((r) => r.model === "text-embedding-3-small"))
    }).pipe(Effect.scoped))

  it.live("each expected text is embedded once per run, in the same request as the first output compared with it", () =>
    Effect.gen(function*() {
      const server = yield* OpenAi.make(vectorOf)
      const suite = Eval.make({
        name: "memo",
        data: [
          { input: "a", expected: "Paris" },
          { input: "b", expected: "Paris" },
          { input: "c", expected: "Lyon" },
          { input: "d", expected: "Paris" }
        ],
        task: (letter: string) => `answer ${letter}`,
        scorers: [
          Embeddings.embeddingSimilarity,
          Embeddings.embeddingSimilarityWith({ name: "strict", expectedMin: 0.9 })
        ],
        trials: 2,
        concurrency: 1
      })
      const report = yield* Eval.run(suite).pipe(Effect.provide(embedder(server.apiUrl)))
      assert.deepStrictEqual(report.cases.flatMap((c) => c.errors), [])
      assert.strictEqual(report.cases.length, 8)

      const texts = sent(server.requests)
      assert.strictEqual(texts.filter((t) => t === "Paris").length, 1)
      assert.strictEqual(texts.filter((t) => t === "Lyon").length, 1)
      // the first case to compare with a text sends both in one request; every later one its output alone
      const pairs = server.requests.filter((r) => OpenAi.inputsOf(r).length === 2).map(OpenAi.inputsOf)
      assert.deepStrictEqual(pairs, [["answer a", "Paris"], ["answer c", "Lyon"]])
      // 8 case trials × 2 scorers, one request each
      assert.strictEqual(server.requests.length, 16)
    }).pipe(Effect.scoped))

  it.live("concurrent cases comparing with one text wait for its one embedding", () =>
    Effect.gen(function*() {
      const server = yield* OpenAi.make(vectorOf)
      const suite = Eval.make({
        name: "concurrent",
        data: Array.from({ length: 8 }, (_, i) => ({ input: `answer ${i}`, expected: "Paris" })),
        task: (output: string) => output,
        scorers: [Embeddings.embeddingSimilarity],
        concurrency: 8
      })
      const report = yield* Eval.run(suite).pipe(Effect.provide(embedder(server.apiUrl)))
      assert.deepStrictEqual(report.cases.flatMap((c) => c.errors), [])
      assert.strictEqual(sent(server.requests).filter((t) => t === "Paris").length, 1)
      assert.strictEqual(server.requests.length, 8)
      assert.deepStrictEqual(
        sent(server.requests).filter((t) => t !== "Paris").sort(),
        Array.from({ length: 8 }, (_, i) => `answer ${i}`).sort()
      )
    }).pipe(Effect.scoped))

  it.live("a new run embeds its expected texts again; the same run, in another case, does not", () =>
    Effect.gen(function*() {
      const server = yield* OpenAi.make(vectorOf)
      // what the runner provides around a scorer; only the run id matters here
      const inRun = (runId: string, output: string) =>
        Scorer.run(Embeddings.embeddingSimilarity, { input: null, output, expected: "Paris", metadata: {} }).pipe(
          Effect.provideService(CurrentCase, {
            suite: "runs",
            runId,
            index: 0,
            trial: 0,
            key: "k",
            name: undefined,
            requestId: "r",
            role: "judge",
            scorer: "embeddingSimilarity",
            cache: "off",
            nextRequestId: () => crypto.randomUUID(),
            record: () => {},
            waiting: (wait) => wait
          })
        )
      yield* Effect.gen(function*() {
        yield* inRun("run-1", "answer a")
        yield* inRun("run-1", "answer b")
        yield* inRun("run-2", "answer c")
        yield* inRun("run-1", "answer d")
      }).pipe(Effect.provide(embedder(server.apiUrl)))
      assert.deepStrictEqual(server.requests.map(OpenAi.inputsOf), [
        ["answer a", "Paris"],
        ["answer b"],
        ["answer c", "Paris"],
        ["answer d"]
      ])
    }).pipe(Effect.scoped))

  it.live("two runs on one embedding model: each embeds its expected texts once", () =>
    Effect.gen(function*() {
      const server = yield* OpenAi.make(vectorOf)
      const suite = Eval.make({
        name: "twice",
        data: [{ input: "a", expected: "Paris" }, { input: "b", expected: "Paris" }],
        task: (letter: string) => `answer ${letter}`,
        scorers: [Embeddings.embeddingSimilarity],
        concurrency: 1
      })
      yield* Effect.zip(Eval.run(suite), Eval.run(suite)).pipe(Effect.provide(embedder(server.apiUrl)))
      assert.deepStrictEqual(server.requests.map(OpenAi.inputsOf), [
        ["answer a", "Paris"],
        ["answer b"],
        ["answer a", "Paris"],
        ["answer b"]
      ])
    }).pipe(Effect.scoped))

  it.live("a case that times out while embedding an expected text leaves it to the cases waiting for it", () =>
    Effect.gen(function*() {
      // "slow" is never answered; "filler" is answered late, so that "fine" starts (and its timeout with it) well
      // after "slow", and waits for the "Paris" that "slow" is embedding
      const server = yield* OpenAi.make(vectorOf, {
        delayMs: (texts) => texts.includes("slow") ? Infinity : texts.includes("filler") ? 500 : 0
      })
      const suite = Eval.make({
        name: "timeout",
        data: [
          { input: "slow", expected: "Paris" },
          { input: "filler", expected: "Lyon" },
          { input: "fine", expected: "Paris" }
        ],
        task: (output: string) => output,
        scorers: [Embeddings.embeddingSimilarity],
        concurrency: 2,
        timeout: "1 second"
      })
      const report = yield* Eval.run(suite).pipe(Effect.provide(embedder(server.apiUrl)))
      const [slow, filler, fine] = report.cases
      assert.deepStrictEqual(slow.errors.map((e) => [e.source, e.message]), [
        ["timeout", "the case did not finish within 1s"],
        ["scorer", "Scorer \"embeddingSimilarity\" timed out: no score within 1s"]
      ])
      assert.deepStrictEqual([filler.errors, fine.errors], [[], []])
      assert.deepStrictEqual([filler.scores[0].score, fine.scores[0].score], [1, 1])
      // "fine" waited for the "Paris" of "slow", then asked for it itself once "slow" gave up
      assert.deepStrictEqual(server.requests.map(OpenAi.inputsOf), [
        ["slow", "Paris"],
        ["filler", "Lyon"],
        ["fine"],
        ["Paris"]
      ])
    }).pipe(Effect.scoped))

  it.live("texts on the wire: JSON for values that are not strings, stringify, prefix; the same text needs no call", () =>
    Effect.gen(function*() {
      const server = yield* OpenAi.make(vectorOf)
      const run = (scorer: typeof Embeddings.embeddingSimilarity) =>
        Eval.run(Eval.make({
          name: "texts",
          data: [
            { input: { city: "Paris", rank: 1 }, expected: { city: "Paris", rank: 2 } },
            { input: 42, expected: "42" },
            { input: "same", expected: "same" }
          ],
          task: (input: unknown) => input,
          scorers: [scorer]
        })).pipe(Effect.provide(embedder(server.apiUrl)))

      const plain = yield* run(Embeddings.embeddingSimilarity)
      assert.deepStrictEqual(sent(server.requests), [
        "{\"city\":\"Paris\",\"rank\":1}",
        "{\"city\":\"Paris\",\"rank\":2}"
      ])
      // 42 and "42" are the same text
      assert.deepStrictEqual(plain.cases.map((c) => c.scores[0].score), [1, 1, 1])
      assert.deepStrictEqual(plain.cases[2].scores[0].metadata, { similarity: 1 })

      server.requests.length = 0
      yield* run(Embeddings.embeddingSimilarityWith({
        prefix: "City: ",
        stringify: (value) => typeof value === "object" ? (value as { city: string }).city : `#${String(value)}`
      }))
      // { city: "Paris" } twice is the same text; 42 becomes "#42", "42" stays a string
      assert.deepStrictEqual(server.requests.map(OpenAi.inputsOf), [["City: #42", "City: 42"]])
    }).pipe(Effect.scoped))

  it.live("a failed embedding call is the case's scorer error; a 5xx is asked again, a 400 is not", () =>
    Effect.gen(function*() {
      const attempts = new Map<string, number>()
      const server = yield* OpenAi.make((text): OpenAi.Answer => {
        const attempt = (attempts.get(text) ?? 0) + 1
        attempts.set(text, attempt)
        if (text === "bad") return { status: 400, error: "input is invalid" }
        if (text === "flaky" && attempt <= 2) return { status: 503, error: `attempt ${attempt}` }
        if (text === "down") return { status: 500, error: "the embedder is down" }
        if (text === "zero") return [0, 0, 0]
        if (text === "short") return [1, 0]
        return vectorOf(text)
      })
      const suite = Eval.make({
        name: "failing",
        data: [
          { input: "bad", expected: "x" },
          { input: "flaky", expected: "y" },
          { input: "down", expected: "y" },
          { input: "zero", expected: "x" },
          { input: "short", expected: "x" },
          { input: "twice x", expected: "x" }
        ],
        task: (output: string) => output,
        scorers: [Embeddings.embeddingSimilarityWith({ retry: { baseDelay: "1 millis" } })],
        concurrency: 1
      })
      const report = yield* Eval.run(suite).pipe(Effect.provide(embedder(server.apiUrl)))
      const [bad, flaky, down, zero, short, fine] = report.cases

      assert.match(bad.errors[0].message, /^Scorer "embeddingSimilarity" failed: HttpResponseError: .*400/s)
      assert.strictEqual(flaky.scores[0].score, 0)
      assert.match(down.errors[0].message, /^Scorer "embeddingSimilarity" failed: HttpResponseError: .*500/s)
      assert.strictEqual(
        zero.errors[0].message,
        "Scorer \"embeddingSimilarity\" failed: InvalidEmbedding: the embedding of output is all zeros"
      )
      assert.strictEqual(
        short.errors[0].message,
        "Scorer \"embeddingSimilarity\" failed: InvalidEmbedding: the embeddings of output and expected have 2 and 3 " +
          "dimensions"
      )
      assert.strictEqual(fine.scores[0].score, 1)
      for (const c of [bad, down, zero, short]) {
        assert.strictEqual(c.errors[0].source, "scorer", `case ${c.index}`)
        assert.lengthOf(c.scores, 0, `case ${c.index}`)
      }
      assert.strictEqual(report.scorers[0].errors, 4)
      // "bad" failed its request, so "x" was not kept and the next case to compare with it asked again; "flaky" (sent
      // with "y") and "down" took three attempts each, "bad" one
      assert.deepStrictEqual(Object.fromEntries(attempts), {
        bad: 1,
        x: 2,
        flaky: 3,
        y: 3,
        down: 3,
        zero: 1,
        short: 1,
        "twice x": 1
      })
    }).pipe(Effect.scoped))

  it.live("a case without expected fails with MissingExpected and costs no embedding call", () =>
    Effect.gen(function*() {
      const server = yield* OpenAi.make(vectorOf)
      const suite = Eval.make({
        name: "no reference",
        data: [{ input: "twice x", expected: "x" }, { input: "y" }],
        task: (output: string) => output,
        scorers: [Embeddings.embeddingSimilarity]
      })
      const report = yield* Eval.run(suite).pipe(Effect.provide(embedder(server.apiUrl)))
      assert.strictEqual(report.cases[0].scores[0].score, 1)
      assert.deepStrictEqual(report.cases[1].errors, [{
        source: "scorer",
        scorer: "embeddingSimilarity",
        message:
          "Scorer \"embeddingSimilarity\" failed: MissingExpected: the case has no expected value to compare the output " +
          "with"
      }])
      assert.strictEqual(server.requests.length, 1)
    }).pipe(Effect.scoped))

  it("refuses at construction: expectedMin outside [-1, 1), no attempt", () => {
    for (const expectedMin of [1, 1.5, -2, Number.NaN]) {
      assert.throws(
        () => Embeddings.embeddingSimilarityWith({ expectedMin }),
        /expectedMin is .*; it must be a number in \[-1, 1\)/,
        String(expectedMin)
      )
    }
    assert.throws(
      () => Embeddings.embeddingSimilarityWith({ retry: { maxAttempts: 0 } }),
      /retry.maxAttempts must be an integer >= 1/
    )
  })
})
