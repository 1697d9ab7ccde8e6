/**
 * Helicone's score API as an Effect service: `submitScore` and `submitFeedback`, validated before any byte goes on
 * the wire, retried within bounds, failing with typed errors.
 *
 * @example
 * ```ts
 * import { HeliconeScores } from "@helicone-effect/core"
 * import { NodeHttpClient } from "@effect/platform-node"
 * import { Effect } from "effect"
 *
 * HeliconeScores.submitScore(requestId, { accuracy: 92, hallucinated: false }).pipe(
 *   Effect.provide(HeliconeScores.layerConfig),
 *   Effect.provide(NodeHttpClient.layerUndici)
 * )
 * ```
 *
 * @since 0.1.0
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as Headers from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as HeliconeConfig from "./HeliconeConfig.js"
import type { InvalidConfig, SubmitScoreError } from "./HeliconeError.js"
import { HeliconeUnavailable, InvalidScores } from "./HeliconeError.js"
import { redactor } from "./internal/http/redact.js"
import { classify, drain, followedRedirect, fromClientError } from "./internal/http/response.js"
import * as RequestId from "./RequestId.js"
import * as RetryPolicy from "./RetryPolicy.js"
import * as Scores from "./Scores.js"

/**
 * The operations of the score API.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /**
   * Submits scores for a request. Each name is upserted (last write wins, other names stay), so a retry does no
   * harm. Success means Helicone accepted the scores, not that it stored them: it stores them later, and never for
   * a request it does not know or older than 30 days.
   */
  readonly submitScore: (
    requestId: string,
    scores: Readonly<Record<string, unknown>>
  ) => Effect.Effect<void, SubmitScoreError>
  /**
   * Submits a user's thumbs up (`true`) or down (`false`) for a request, stored by Helicone as the score
   * `helicone-score-feedback`.
   */
  readonly submitFeedback: (requestId: string, rating: boolean) => Effect.Effect<void, SubmitScoreError>
}

/**
 * The score API service.
 *
 * @since 0.1.0
 * @category tags
 */
export class HeliconeScores extends Context.Tag("@helicone-effect/core/HeliconeScores")<HeliconeScores, Service>() {}

/**
 * The options of {@link layer}: see `HeliconeConfig.Options`.
 *
 * @since 0.1.0
 * @category models
 */
export type Options = HeliconeConfig.Options

/**
 * Submits scores for a request with the `HeliconeScores` service of the context.
 *
 * @since 0.1.0
 * @category accessors
 */
export const submitScore = (
  requestId: string,
  scores: Readonly<Record<string, unknown>>
): Effect.Effect<void, SubmitScoreError, HeliconeScores> =>
  Effect.flatMap(HeliconeScores, (service) => service.submitScore(requestId, scores))

/**
 * Submits feedback for a request with the `HeliconeScores` service of the context.
 *
 * @since 0.1.0
 * @category accessors
 */
export const submitFeedback = (
  requestId: string,
  rating: boolean
): Effect.Effect<void, SubmitScoreError, HeliconeScores> =>
  Effect.flatMap(HeliconeScores, (service) => service.submitFeedback(requestId, rating))

const FeedbackRequest = Schema.Struct({ rating: Schema.Boolean })

const everyHeader: ReadonlyArray<RegExp> = [/^/]

/** A URL's path and query, or the text itself when it is not a URL. */
const pathOf = (url: string): string => {
  try {
    const parsed = new URL(url)
    return `${parsed.pathname}${parsed.search}`
  } catch {
    return url
  }
}

/**
 * Builds the service over an `HttpClient` and a resolved configuration.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<Service, never, HeliconeConfig.HeliconeConfig | HttpClient.HttpClient> = Effect.gen(
  function*() {
    const config = yield* HeliconeConfig.HeliconeConfig
    const client = (yield* HttpClient.HttpClient).pipe(
      HttpClient.mapRequest((request) =>
        request.pipe(
          HttpClientRequest.prependUrl(config.baseUrl),
          // the only place the key leaves its Redacted wrapper
          HttpClientRequest.bearerToken(config.apiKey),
          HttpClientRequest.acceptJson
        )
      )
    )
    const retry = RetryPolicy.schedule(config.retry)
    const timeout = Duration.format(config.timeout)
    const redact = redactor(config.apiKey)
    const onClientError = fromClientError(redact)
    // FetchHttpClient follows redirects unless told not to, turning a POST into a GET on a 301 or 302. The options
    // are read at each request from the context, where ours win over the layer's: keep what the program set.
    const fetchOptions: globalThis.RequestInit = {
      ...Option.getOrUndefined(yield* Effect.serviceOption(FetchHttpClient.RequestInit)),
      redirect: "manual"
    }

    // The HTTP client's span records every header by value, and a server may echo the key in any response header:
    // every header of our requests is traced as redacted, whatever its name.
    const execute = (request: HttpClientRequest.HttpClientRequest) =>
      client.execute(request).pipe(
        Effect.provideService(FetchHttpClient.RequestInit, fetchOptions),
        Effect.locally(Headers.currentRedactedNames, everyHeader)
      )

    // One timeout covers the whole attempt, the body included (a timeout costs two fibers). Every response's body is
    // read to its end, so that its connection goes back to the pool (keep-alive); an attempt that times out is
    // interrupted, which aborts its request. Once the status says accepted, a body cut short or slow to come does not
    // change that. An answer to another request than ours (another method or path) means the client followed a
    // redirect: it is not an answer. Only the origin may differ, as it does behind a client that rewrites it.
    const attempt = (request: HttpClientRequest.HttpClientRequest): Effect.Effect<void, SubmitScoreError> =>
      Effect.suspend(() => {
        let accepted = false
        const sent = pathOf(HttpClientRequest.prependUrl(request, config.baseUrl).url)
        return execute(request).pipe(
          Effect.flatMap((response) =>
            response.request.method !== request.method || pathOf(response.request.url) !== sent
              ? followedRedirect(response, redact)
              : Effect.zipRight(
                classify(response, redact),
                Effect.suspend(() => {
                  accepted = true
                  return drain(response)
                })
              )
          ),
          Effect.catchTags({ RequestError: onClientError, ResponseError: onClientError }),
          Effect.timeoutTo({
            duration: config.timeout,
            onSuccess: Effect.succeed,
            onTimeout: () =>
              accepted ? Effect.void : Effect.fail(new HeliconeUnavailable({ reason: `no answer within ${timeout}` }))
          }),
          Effect.flatten,
          Effect.tapError((error) => Effect.logDebug(`Helicone: attempt failed: ${error.message}`))
        )
      })

    // What Effect.retry does, except that the schedule's driver is made only after a first failure: Effect.retry
    // makes one for every call, and most calls succeed at once.
    const send = (request: HttpClientRequest.HttpClientRequest): Effect.Effect<void, SubmitScoreError> =>
      Effect.catchAll(attempt(request), (first) =>
        Effect.flatMap(Schedule.driver(retry), (driver) => {
          const again = (error: SubmitScoreError): Effect.Effect<void, SubmitScoreError> =>
            Effect.matchEffect(driver.next(error), {
              onFailure: () => Effect.fail(error),
              onSuccess: () => Effect.catchAll(attempt(request), again)
            })
          return again(first)
        }))

    return validating({
      score: (id, scores) =>
        // The scores are already decoded. Encoding them again through the Record schema would assign each key,
        // and a score named "__proto__" would silently vanish from the body.
        HttpClientRequest.post(`/v1/request/${id}/score`).pipe(
          HttpClientRequest.bodyJson({ scores }),
          Effect.orDie,
          Effect.flatMap(send)
        ),
      feedback: (id, rating) =>
        HttpClientRequest.post(`/v1/request/${id}/feedback`).pipe(
          HttpClientRequest.schemaBodyJson(FeedbackRequest)({ rating }),
          Effect.orDie,
          Effect.flatMap(send)
        )
    })
  }
)

/**
 * The service over `HttpClient`, with explicit options.
 *
 * @example
 * ```ts
 * import { HeliconeScores } from "@helicone-effect/core"
 * import { Redacted } from "effect"
 *
 * HeliconeScores.layer({ apiKey: Redacted.make(key), baseUrl: "http://localhost:8585" })
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options): Layer.Layer<HeliconeScores, InvalidConfig, HttpClient.HttpClient> =>
  Layer.effect(HeliconeScores, make).pipe(Layer.provide(HeliconeConfig.layer(options)))

/**
 * The service over `HttpClient`, configured from the environment: `HELICONE_API_KEY` (required),
 * `HELICONE_BASE_URL` or `HELICONE_REGION` (optional, US cloud by default).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig: Layer.Layer<HeliconeScores, ConfigError.ConfigError | InvalidConfig, HttpClient.HttpClient> =
  Layer.effect(HeliconeScores, make).pipe(Layer.provide(HeliconeConfig.layerConfig))

/**
 * A submission recorded by {@link layerTest}.
 *
 * @since 0.1.0
 * @category testing
 */
export interface Submission {
  readonly requestId: RequestId.RequestId
  readonly scores: Scores.Scores
}

/**
 * A feedback recorded by {@link layerTest}.
 *
 * @since 0.1.0
 * @category testing
 */
export interface FeedbackSubmission {
  readonly requestId: RequestId.RequestId
  readonly rating: boolean
}

/**
 * What a test can see and steer of {@link layerTest}.
 *
 * @since 0.1.0
 * @category testing
 */
export interface TestService {
  /** The scores accepted so far, in order. */
  readonly submissions: Effect.Effect<ReadonlyArray<Submission>>
  /** The feedback accepted so far, in order. */
  readonly feedback: Effect.Effect<ReadonlyArray<FeedbackSubmission>>
  /** Makes every later valid call fail with this error (after validation); `undefined` restores success. */
  readonly failWith: (error: SubmitScoreError | undefined) => Effect.Effect<void>
}

/**
 * The test side of {@link layerTest}.
 *
 * @since 0.1.0
 * @category testing
 */
export class HeliconeScoresTest extends Context.Tag("@helicone-effect/core/HeliconeScoresTest")<
  HeliconeScoresTest,
  TestService
>() {}

/**
 * An in-memory `HeliconeScores` with the same validation as the real one, for a user's tests: nothing goes on the
 * wire and `HeliconeScoresTest` tells what was submitted.
 *
 * @example
 * ```ts
 * import { HeliconeScores } from "@helicone-effect/core"
 * import { Effect } from "effect"
 *
 * Effect.gen(function*() {
 *   yield* HeliconeScores.submitScore(id, { accuracy: 92 })
 *   const test = yield* HeliconeScores.HeliconeScoresTest
 *   const submitted = yield* test.submissions // [{ requestId: id, scores: { accuracy: 92 } }]
 * }).pipe(Effect.provide(HeliconeScores.layerTest))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerTest: Layer.Layer<HeliconeScores | HeliconeScoresTest> = Layer.effectContext(
  Effect.gen(function*() {
    const submissions = yield* Ref.make<ReadonlyArray<Submission>>([])
    const feedback = yield* Ref.make<ReadonlyArray<FeedbackSubmission>>([])
    const failure = yield* Ref.make<SubmitScoreError | undefined>(undefined)
    const failIfTold = Effect.flatMap(
      Ref.get(failure),
      (error) => error === undefined ? Effect.void : Effect.fail(error)
    )

    const service = validating({
      score: (requestId, scores) =>
        Effect.zipRight(failIfTold, Ref.update(submissions, (all) => [...all, { requestId, scores }])),
      feedback: (requestId, rating) =>
        Effect.zipRight(failIfTold, Ref.update(feedback, (all) => [...all, { requestId, rating }]))
    })
    const test = HeliconeScoresTest.of({
      submissions: Ref.get(submissions),
      feedback: Ref.get(feedback),
      failWith: (error) => Ref.set(failure, error)
    })
    return Context.make(HeliconeScores, service).pipe(Context.add(HeliconeScoresTest, test))
  })
)

/**
 * A service from what it does with valid input. The real client and `layerTest` both go through here, so they
 * validate the same way, in the same span.
 */
const validating = (send: {
  readonly score: (requestId: RequestId.RequestId, scores: Scores.Scores) => Effect.Effect<void, SubmitScoreError>
  readonly feedback: (requestId: RequestId.RequestId, rating: boolean) => Effect.Effect<void, SubmitScoreError>
}): Service =>
  HeliconeScores.of({
    submitScore: (requestId, scores) =>
      Effect.gen(function*() {
        const id = yield* RequestId.validate(requestId)
        const valid = yield* Scores.validate(scores)
        yield* send.score(id, valid)
      }).pipe(withScoreSpan(requestId, scores)),
    submitFeedback: (requestId, rating) =>
      Effect.gen(function*() {
        const id = yield* RequestId.validate(requestId)
        yield* checkRating(rating)
        yield* send.feedback(id, rating)
      }).pipe(withFeedbackSpan(requestId, rating))
  })

const checkRating = (rating: unknown): Effect.Effect<void, InvalidScores> =>
  typeof rating === "boolean"
    ? Effect.void
    : Effect.fail(
      new InvalidScores({
        issues: [{
          key: "rating",
          reason: `feedback must be true or false, got ${rating === null ? "null" : typeof rating}`
        }]
      })
    )

// The span attributes are computed when the effect runs, from functions that never throw: a JavaScript caller may
// pass anything (an Object.create(null) id, a revoked Proxy), and the call must still return an Effect that fails
// with the typed error of validation.

const requestIdAttribute = (requestId: unknown): string =>
  typeof requestId === "string" ? requestId.slice(0, 100) : `${requestId === null ? "null" : typeof requestId} value`

const scoreCount = (scores: unknown): number => {
  try {
    return typeof scores === "object" && scores !== null ? Object.keys(scores).length : 0
  } catch {
    return 0
  }
}

const withScoreSpan = (requestId: unknown, scores: unknown) => <A, E, R>(self: Effect.Effect<A, E, R>) =>
  Effect.suspend(() =>
    Effect.withSpan(self, "HeliconeScores.submitScore", {
      captureStackTrace: false,
      attributes: { "helicone.request_id": requestIdAttribute(requestId), "helicone.score_count": scoreCount(scores) }
    })
  )

const withFeedbackSpan = (requestId: unknown, rating: unknown) => <A, E, R>(self: Effect.Effect<A, E, R>) =>
  Effect.suspend(() =>
    Effect.withSpan(self, "HeliconeScores.submitFeedback", {
      captureStackTrace: false,
      attributes: {
        "helicone.request_id": requestIdAttribute(requestId),
        "helicone.rating": typeof rating === "boolean" ? rating : `${rating === null ? "null" : typeof rating} value`
      }
    })
  )
