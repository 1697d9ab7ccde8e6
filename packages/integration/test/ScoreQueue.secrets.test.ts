import { FileSystem } from "@effect/platform"
import { NodeFileSystem } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import * as RequestId from "@helicone-effect/core/RequestId"
import { Cause, Effect, Exit, FiberRef, HashMap, Logger, LogLevel, Redacted, Tracer } from "effect"
import { eventually, files, outboxLines, readLines, tempDirectory } from "../../core/test/fixtures/queue/Support.js"
import * as Local from "./fixtures/Local.js"

const secret = "sk-helicone-SECRET-7f3a9c1e5b"

const text = (u: unknown): string => {
  try {
    return JSON.stringify(u, (_, v) => typeof v === "bigint" ? String(v) : v) ?? String(u)
  } catch {
    return String(u)
  }
}

/** A tracer that writes down every span: name, attributes, events, and how it ended. */
const recordingTracer = (record: Array<string>) =>
  Tracer.make({
    span(name, parent, context, links, startTime, kind) {
      const attributes = new Map<string, unknown>()
      let status: Tracer.SpanStatus = { _tag: "Started", startTime }
      return {
        _tag: "Span",
        name,
        spanId: Math.random().toString(16).slice(2),
        traceId: "trace",
        parent,
        context,
        get status() {
          return status
        },
        attributes,
        links,
        sampled: true,
        kind,
        end(endTime, exit) {
          status = { _tag: "Ended", startTime, endTime, exit }
          record.push(
            `${name} ${text([...attributes])} ${Exit.isFailure(exit) ? Cause.pretty(exit.cause) : "ok"}`
          )
        },
        attribute(key, value) {
          attributes.set(key, value)
        },
        event(event, _time, eventAttributes) {
          record.push(`${name} event ${event} ${text(eventAttributes)}`)
        },
        addLinks() {}
      }
    },
    context: (f) => f()
  })

describe("ScoreQueue and the API key", () => {
  it.live(
    "a failing delivery logged at debug level leaks the key nowhere: logs, spans, outbox, dead letters, errors",
    () =>
      Effect.gen(function*() {
        const logs: Array<string> = []
        const spans: Array<string> = []
        const logger = Logger.make((options) => {
          logs.push(Logger.logfmtLogger.log(options))
          logs.push(text(HashMap.toEntries(options.annotations)))
        })
        const errors: Array<string> = []
        const dir = yield* tempDirectory
        const paths = files(dir)

        yield* Effect.gen(function*() {
          // this server knows another key: the first 401 halts delivery, and every score stays in the outbox
          const refusing = yield* Local.server({ apiKeys: ["sk-someone-else"], faults: { 503: 0.3 }, seed: 5 })
          // this one is stopped: every submission fails to connect and goes to the outbox
          const gone = yield* Local.server({})
          yield* gone.stop
          for (const baseUrl of [refusing.local.baseUrl, gone.local.baseUrl]) {
            const { close, queue } = yield* Local.queue(baseUrl, { ...paths, replayInterval: "50 millis" }, {
              apiKey: Redacted.make(secret),
              timeout: "1 second"
            })
            for (let n = 0; n < 20; n++) yield* queue.offer(RequestId.make(), { n, flag: n % 2 === 0 })
            yield* queue.flush
            // the refused ones halt delivery and stay in the outbox; the unreachable ones wait there too
            const refused = baseUrl === refusing.local.baseUrl
            yield* eventually(Effect.map(
              queue.stats,
              (stats) => stats.queued === 0 && stats.inFlight === 0 && (!refused || stats.halted !== undefined)
            ))
            const stats = yield* queue.stats
            errors.push(text(stats))
            yield* close
            errors.push(String(yield* Effect.flip(queue.offer(RequestId.make(), { n: 1 }))))
          }
        }).pipe(
          Effect.provide(Logger.replace(Logger.defaultLogger, logger)),
          Logger.withMinimumLogLevel(LogLevel.All),
          Effect.withTracer(recordingTracer(spans)),
          Effect.locally(FiberRef.currentMinimumLogLevel, LogLevel.All)
        )

        const fs = yield* FileSystem.FileSystem
        const deadLetters = yield* Effect.orElseSucceed(readLines(paths.deadLetterPath), () => [])
        // the replayer may have moved entries to `<outbox>.replay`: both files are the outbox
        const outbox = yield* outboxLines(paths.outboxPath)
        assert.strictEqual(deadLetters.length, 0, "a refused key dead-letters nothing: the scores are not at fault")
        assert.isAtLeast(outbox.length, 40, "the refused and the unreachable ones wait in the outbox")
        assert.isTrue(logs.some((line) => line.includes("level=DEBUG")), "debug lines were captured")
        assert.isTrue(spans.some((span) => span.startsWith("ScoreQueue.deliver")), "spans were captured")

        const everything = [
          ...logs,
          ...spans,
          ...errors,
          text(deadLetters),
          yield* Effect.orElseSucceed(fs.readFileString(paths.deadLetterPath), () => ""),
          ...(yield* Effect.forEach(
            [paths.outboxPath, `${paths.outboxPath}.replay`],
            (path) => Effect.orElseSucceed(fs.readFileString(path), () => "")
          ))
        ]
        const leaks = everything.filter((line) => line.includes(secret) || line.includes(secret.slice(3)))
        assert.deepStrictEqual(leaks, [])
      }).pipe(Effect.scoped, Effect.provide(NodeFileSystem.layer)),
    60_000
  )
})
