import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as ChildProcess from "node:child_process"
import { randomUUID } from "node:crypto"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { auth, call, postScore } from "./fixtures/Http.js"
import * as TempDir from "./fixtures/TempDir.js"
import * as Upstream from "./fixtures/Upstream.js"

const bin = fileURLToPath(new URL("../bin/helicone-local.js", import.meta.url))

interface Running {
  readonly child: ChildProcess.ChildProcess
  readonly url: string
  /** Everything printed so far, stdout and stderr. */
  readonly output: () => string
  /** Waits until the output matches (the fault lines are printed as the server injects them). */
  readonly waitFor: (pattern: RegExp) => Effect.Effect<void>
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

/**
 * Starts the bin and waits for the end of its start-up lines, reading the URL from them; the process is stopped when
 * the test ends.
 */
const start = (args: ReadonlyArray<string>, cwd: string, env: Record<string, string> = {}) =>
  Effect.acquireRelease(
    Effect.async<Running, Error>((resume) => {
      const child = ChildProcess.spawn(process.execPath, [bin, ...args], {
        cwd,
        env: { ...process.env, HELICONE_LOCAL_API_KEYS: "", ...env },
        stdio: ["ignore", "pipe", "pipe"]
      })
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        child.once("exit", (code, signal) => resolve({ code, signal }))
      )
      let output = ""
      const waiters = new Set<{ pattern: RegExp; done: () => void }>()
      const onOutput = (chunk: Buffer) => {
        output += chunk.toString()
        for (const waiter of waiters) {
          if (waiter.pattern.test(output)) {
            waiters.delete(waiter)
            waiter.done()
          }
        }
      }
      child.stdout!.on("data", onOutput)
      child.stderr!.on("data", onOutput)
      const waitFor = (pattern: RegExp) =>
        Effect.async<void>((resume) => {
          if (pattern.test(output)) return resume(Effect.void)
          const waiter = { pattern, done: () => resume(Effect.void) }
          waiters.add(waiter)
          return Effect.sync(() => waiters.delete(waiter))
        })
      let found = false
      // The first URL printed: the listening address, or the first of the `urls:` of a wildcard address.
      const listening = /(http:\/\/[^\s,;]+)/
      waiters.add({
        pattern: /Press Ctrl-C to stop/,
        done: () => {
          found = true
          resume(Effect.succeed({ child, url: listening.exec(output)![1], output: () => output, waitFor, exited }))
        }
      })
      void exited.then(({ code }) => {
        if (!found) resume(Effect.fail(new Error(`helicone-local exited (${code}) before listening: ${output}`)))
      })
    }),
    // SIGINT, so that the server removes what it made (the temporary file of `--db :memory:`); SIGKILL if it hangs.
    ({ child, exited }) =>
      child.exitCode === null && child.signalCode === null
        ? Effect.promise(() => {
          child.kill("SIGINT")
          const timer = setTimeout(() => child.kill("SIGKILL"), 10_000)
          return exited.finally(() => clearTimeout(timer))
        })
        : Effect.void
  )

/** Runs the bin to its exit (for arguments it refuses); returns the exit code and everything it printed. */
const exitOf = (args: ReadonlyArray<string>, cwd: string) =>
  Effect.promise(() =>
    new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = ChildProcess.spawn(process.execPath, [bin, ...args], { cwd })
      let output = ""
      child.stdout.on("data", (chunk) => output += chunk)
      child.stderr.on("data", (chunk) => output += chunk)
      // "close", not "exit": the output pipes may still hold the last lines when the process exits
      child.once("close", (code) => resolve({ code, output }))
    })
  )

describe("helicone-local", () => {
  it.live(
    "starts on a free port, prints its URL, answers like Helicone, and exits 0 on SIGINT",
    () =>
      Effect.gen(function*() {
        const dir = yield* TempDir.make("helicone-local-bin-")
        const running = yield* start(["--port", "0", "--api-key", "sk-bin", "--accept-unknown-requests"], dir)
        assert.include(running.output(), "api keys: 1 configured")

        const id = randomUUID()
        const created = yield* postScore(running.url, id, { scores: { quality: 3, ok: true } }, "sk-bin")
        assert.strictEqual(created.status, 201)
        assert.strictEqual(created.body, `{"data":null,"error":null}`)
        const wrongKey = yield* postScore(running.url, id, { scores: { quality: 1 } }, "sk-other")
        assert.strictEqual(wrongKey.status, 401)
        const read = yield* call(running.url, `/v1/request/${id}`, { headers: auth("sk-bin") })
        assert.strictEqual(
          read.body,
          `{"data":{"request_id":"${id}","scores":{"ok-hcone-bool":1,"quality":3}},"error":null}`
        )

        running.child.kill("SIGINT")
        const exit = yield* Effect.promise(() => running.exited)
        assert.deepStrictEqual(exit, { code: 0, signal: null })
        assert.isTrue(Fs.existsSync(Path.join(dir, ".helicone-local", "helicone.db")), "the default database file")
      }).pipe(Effect.scoped),
    60_000
  )

  it.live(
    "takes its keys from HELICONE_LOCAL_API_KEYS (comma-separated) when no --api-key is given",
    () =>
      Effect.gen(function*() {
        const dir = yield* TempDir.make("helicone-local-bin-")
        const running = yield* start(["--port", "0", "--db", ":memory:"], dir, {
          HELICONE_LOCAL_API_KEYS: " sk-one, sk-two ,"
        })
        assert.include(running.output(), "api keys: 2 configured")
        for (const key of ["sk-one", "sk-two"]) {
          const reply = yield* postScore(running.url, randomUUID(), { scores: { a: 1 } }, key)
          assert.strictEqual(reply.status, 201, key)
        }
        const other = yield* postScore(running.url, randomUUID(), { scores: { a: 1 } }, "sk-three")
        assert.strictEqual(other.status, 401)
      }).pipe(Effect.scoped),
    60_000
  )

  it.live(
    "with no key configured it says so at start-up and accepts any non-empty bearer token",
    () =>
      Effect.gen(function*() {
        const dir = yield* TempDir.make("helicone-local-bin-")
        const running = yield* start(["--port", "0", "--db", ":memory:"], dir)
        assert.include(running.output(), "api keys: none configured, so any non-empty bearer token is accepted")
        assert.notInclude(running.output(), "WARNING", "on loopback, only this machine can connect")
        const reply = yield* postScore(running.url, randomUUID(), { scores: { a: 1 } }, "whatever")
        assert.strictEqual(reply.status, 201)
      }).pipe(Effect.scoped),
    60_000
  )

  it.live(
    "--host 0.0.0.0 says what it is bound to, prints URLs that reach it, and warns when no key is configured",
    () =>
      Effect.gen(function*() {
        const dir = yield* TempDir.make("helicone-local-bin-")
        const open = yield* start(["--host", "0.0.0.0", "--port", "0", "--db", ":memory:"], dir)
        const port = /listening on 0\.0\.0\.0:(\d+), every IPv4 address of this machine/.exec(open.output())?.[1]
        assert.isDefined(port, open.output())
        const urls = /\n {2}urls: (.*)\n/.exec(open.output())![1]
        assert.match(urls, new RegExp(`^http://127\\.0\\.0\\.1:${port} from this machine`))
        assert.notInclude(open.output(), "listening on http://127.0.0.1")
        assert.include(
          open.output(),
          "  WARNING: 0.0.0.0 is reachable from other machines, and with no API key anyone who can connect can read " +
            "and write scores. Give --api-key (or HELICONE_LOCAL_API_KEYS), or listen on --host 127.0.0.1.\n"
        )
        // Every URL printed is this machine's own address, so reaching it stays on the machine.
        const printed = urls.match(/http:\/\/[^\s,;]+/g) ?? []
        assert.isAtLeast(printed.length, 1)
        for (const url of printed) {
          const reply = yield* postScore(url, randomUUID(), { scores: { a: 1 } }, "any-token")
          assert.strictEqual(reply.status, 201, url)
        }

        const keyed = yield* start(["--host", "0.0.0.0", "--port", "0", "--db", ":memory:", "--api-key", "k"], dir)
        assert.include(keyed.output(), "api keys: 1 configured")
        assert.notInclude(keyed.output(), "WARNING")
        assert.strictEqual((yield* postScore(keyed.url, randomUUID(), { scores: { a: 1 } }, "any-token")).status, 401)
      }).pipe(Effect.scoped),
    60_000
  )

  it.live(
    "a request id with %0A cannot add a line to its output",
    () =>
      Effect.gen(function*() {
        const dir = yield* TempDir.make("helicone-local-bin-")
        const running = yield* start(["--port", "0", "--db", ":memory:"], dir)
        const forged = "timestamp=2026-01-01T00:00:00.000Z level=ERROR message=forged"
        const reply = yield* call(running.url, `/v1/request/x%0A${encodeURIComponent(forged)}%0A/score`, {
          body: `{"scores":{"a":1}}`,
          headers: auth("t")
        })
        assert.strictEqual(reply.status, 201)
        yield* running.waitFor(/UUID versions 1 to 5.*\n/)
        const lines = running.output().split("\n").filter((line) => line.includes("forged"))
        assert.strictEqual(lines.length, 1, running.output())
        assert.match(lines[0], /^\[[\d:.]+\] WARN \(#\d+\): helicone-local: accepted scores for request id "x\\n/)
        assert.include(lines[0], `"x\\n${forged}\\n" but did not store them`)
      }).pipe(Effect.scoped),
    60_000
  )

  it.live("SIGINT still exits cleanly while a request is stalled by fault injection", () =>
    Effect.gen(function*() {
      const dir = yield* TempDir.make("helicone-local-bin-")
      const running = yield* start(["--port", "0", "--db", ":memory:", "--faults", "stall=1", "--seed", "1"], dir)
      assert.include(running.output(), "stall=1 (seed 1)")
      const pending = yield* Effect.fork(postScore(running.url, randomUUID(), { scores: { a: 1 } }))
      yield* running.waitFor(/injecting stall into request #0/)
      running.child.kill("SIGINT")
      const exit = yield* Effect.promise(() => running.exited)
      assert.deepStrictEqual(exit, { code: 0, signal: null })
      const client = yield* Effect.exit(pending)
      assert.isTrue(client._tag === "Failure", "the stalled client sees its connection closed, not a response")
    }).pipe(Effect.scoped), 60_000)

  it.live(
    "exits 1 with a one-line message, no stack trace, for a --db whose directory cannot be created",
    () =>
      Effect.gen(function*() {
        const dir = yield* TempDir.make("helicone-local-bin-")
        Fs.writeFileSync(Path.join(dir, "a-file"), "")
        const result = yield* exitOf(["--port", "0", "--db", "a-file/nested/helicone.db"], dir)
        assert.strictEqual(result.code, 1)
        const lines = result.output.trim().split("\n")
        assert.strictEqual(lines.length, 1, result.output)
        assert.match(lines[0], /^helicone-local: could not create the directory "a-file\/nested" for the database/)
      }).pipe(Effect.scoped),
    60_000
  )

  it.live(
    "exits 1 with a one-line message, no stack trace, for a --db that is a directory or not a SQLite database",
    () =>
      Effect.gen(function*() {
        const dir = yield* TempDir.make("helicone-local-bin-")
        Fs.mkdirSync(Path.join(dir, "a-directory"))
        Fs.writeFileSync(Path.join(dir, "notes.txt"), "not a database\n".repeat(100))
        const cases = [
          ["a-directory", "it is a directory"],
          ["notes.txt", "the file is not a SQLite database"]
        ] as const
        for (const [db, reason] of cases) {
          const result = yield* exitOf(["--port", "0", "--db", db], dir)
          assert.strictEqual(result.code, 1, result.output)
          assert.strictEqual(
            result.output,
            `helicone-local: could not open the database "${db}": ${reason}. Choose another path, or ":memory:".\n`
          )
        }
      }).pipe(Effect.scoped),
    60_000
  )

  it.live("exits 1 with a readable message for a bad --faults", () =>
    Effect.gen(function*() {
      const dir = yield* TempDir.make("helicone-local-bin-")
      const result = yield* exitOf(["--port", "0", "--faults", "teapot=1"], dir)
      assert.strictEqual(result.code, 1)
      assert.include(result.output, `unknown fault "teapot"`)
    }).pipe(Effect.scoped), 60_000)

  it.live(
    "--recording answers offline, the rest goes to --upstream with the key from the environment, never printed; " +
      "only logged requests keep scores",
    () =>
      Effect.gen(function*() {
        const dir = yield* TempDir.make("helicone-local-bin-")
        const upstream = yield* Upstream.make
        const recorded = Upstream.responsesAnswer("gpt-4o-mini", "4")
        Fs.writeFileSync(
          Path.join(dir, "answers.jsonl"),
          JSON.stringify({ endpoint: "/v1/responses", model: "gpt-4o-mini", input: "2+2?", response: recorded }) + "\n"
        )
        const secret = "sk-upstream-kept-0ut-of-sight"
        const running = yield* start(
          ["--port", "0", "--db", ":memory:", "--recording", "answers.jsonl", "--upstream", upstream.baseUrl],
          dir,
          { HELICONE_LOCAL_UPSTREAM_API_KEY: secret }
        )
        assert.include(
          running.output(),
          "  gateway: POST /v1/responses, /v1/chat/completions, /v1/embeddings; answers from the recording " +
            `answers.jsonl, the rest forwarded to ${upstream.baseUrl} with the configured provider key\n`
        )
        const ask = (text: string) =>
          call(running.url, "/v1/responses", {
            body: JSON.stringify({ model: "gpt-4o-mini", input: [{ role: "user", content: text }] }),
            headers: auth("sk-any")
          })
        const hit = yield* ask("2+2?")
        assert.deepStrictEqual([hit.status, JSON.parse(hit.body)], [200, recorded])
        assert.strictEqual(upstream.received.length, 0)
        const forwarded = yield* ask("3+3?")
        assert.strictEqual(forwarded.status, 200)
        assert.strictEqual(upstream.received.length, 1)
        assert.strictEqual(upstream.received[0].headers.authorization, `Bearer ${secret}`)

        const logged = hit.headers.get("helicone-id")!
        const unknown = randomUUID()
        assert.strictEqual((yield* postScore(running.url, logged, { scores: { correct: true } }, "sk-any")).status, 201)
        assert.strictEqual(
          (yield* postScore(running.url, unknown, { scores: { correct: true } }, "sk-any")).status,
          201
        )
        yield* running.waitFor(new RegExp(`${unknown}\\W+ but did not store them: no request`))
        const read = JSON.parse((yield* call(running.url, `/v1/request/${logged}`, { headers: auth("sk-any") })).body)
        assert.deepStrictEqual(read.data.scores, { "correct-hcone-bool": 1 })
        assert.strictEqual(
          (yield* call(running.url, `/v1/request/${unknown}`, { headers: auth("sk-any") })).status,
          404
        )
        assert.notInclude(running.output(), secret)
      }).pipe(Effect.scoped),
    60_000
  )

  it.live("exits 1 with a one-line message for a --recording it cannot read", () =>
    Effect.gen(function*() {
      const dir = yield* TempDir.make("helicone-local-bin-")
      Fs.writeFileSync(Path.join(dir, "answers.jsonl"), "not json\n")
      const result = yield* exitOf(["--port", "0", "--db", ":memory:", "--recording", "answers.jsonl"], dir)
      assert.strictEqual(result.code, 1, result.output)
      assert.match(
        result.output,
        /^helicone-local: could not read the recording "answers.jsonl": line 1 is not a recorded answer: [^\n]*\n$/
      )
    }).pipe(Effect.scoped), 60_000)

  it("the bin module is not importable from the package (importing it would start the server)", () => {
    const resolve = (specifier: string) =>
      ChildProcess.execFileSync(process.execPath, [
        "--input-type=module",
        "-e",
        `try { console.log(import.meta.resolve(${JSON.stringify(specifier)})) } catch (e) { console.log(e.code) }`
      ], { cwd: Path.dirname(Path.dirname(bin)), encoding: "utf8" }).trim()
    assert.match(resolve("@helicone-effect/local/LocalHelicone"), /\/src\/LocalHelicone\.ts$/)
    assert.strictEqual(resolve("@helicone-effect/local/bin"), "ERR_PACKAGE_PATH_NOT_EXPORTED")
  })
})
