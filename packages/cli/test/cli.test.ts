import { NodeContext } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Eval, EvalReport, Scorer, Scorers } from "@helicone-effect/evaluator"
import { Chunk, Duration, Effect, Either, Fiber, HashMap, Schema, Stream, TestClock } from "effect"
import * as Fs from "node:fs"
import { createRequire } from "node:module"
import * as Path from "node:path"
import * as Cli from "../src/Cli.js"
import * as Files from "../src/internal/files.js"
import * as Helicone from "../src/internal/helicone.js"
import * as Load from "../src/internal/load.js"
import * as CliOptions from "../src/internal/options.js"
import * as CliRun from "../src/internal/run.js"
import { cli, fixture, main, tempDir } from "./runInProcess.js"

/** Writes empty `files` under `dir`; gives back a function that lists absolute paths relative to `dir`, with `/`. */
const writeTree = (dir: string, files: ReadonlyArray<string>) => {
  for (const file of files) {
    Fs.mkdirSync(Path.dirname(Path.join(dir, file)), { recursive: true })
    Fs.writeFileSync(Path.join(dir, file), "")
  }
  return (paths: ReadonlyArray<string>) => paths.map((path) => Path.relative(dir, path).split(Path.sep).join("/"))
}

describe("file arguments", () => {
  it.scopedLive("expands files, directories and patterns, skipping node_modules and dot-directories", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const rel = writeTree(dir, [
        "evals/a.eval.ts",
        "evals/ab.eval.ts",
        "evals/deep/b.eval.mts",
        "evals/deep/c.eval.js",
        "evals/notes.ts",
        "node_modules/x/c.eval.ts",
        ".cache/d.eval.ts",
        "evals/[id].eval.ts"
      ])
      const expand = (...args: Array<string>) => Effect.promise(() => Files.expand(args, dir))

      const all = yield* expand()
      assert.deepStrictEqual(rel(all.files), [
        "evals/[id].eval.ts",
        "evals/a.eval.ts",
        "evals/ab.eval.ts",
        "evals/deep/b.eval.mts",
        "evals/deep/c.eval.js"
      ])

      const mixed = yield* expand("evals/notes.ts", "evals", "evals/*.eval.ts", "nope/*.ts")
      assert.deepStrictEqual(rel(mixed.files), [
        "evals/notes.ts",
        "evals/[id].eval.ts",
        "evals/a.eval.ts",
        "evals/ab.eval.ts",
        "evals/deep/b.eval.mts",
        "evals/deep/c.eval.js"
      ])
      assert.deepStrictEqual(mixed.unmatched, ["nope/*.ts"])

      // * and ? stay within a segment, ** crosses directories, {a,b} picks one
      assert.deepStrictEqual(rel((yield* expand("evals/?.eval.ts")).files), ["evals/a.eval.ts"])
      assert.deepStrictEqual(rel((yield* expand("evals/**/*.eval.{mts,js}")).files), [
        "evals/deep/b.eval.mts",
        "evals/deep/c.eval.js"
      ])
      assert.deepStrictEqual(rel((yield* expand("**/b.eval.*")).files), ["evals/deep/b.eval.mts"])
      assert.deepStrictEqual(rel((yield* expand(Path.join(dir, "evals", "a*.eval.ts"))).files), [
        "evals/a.eval.ts",
        "evals/ab.eval.ts"
      ], "an absolute pattern")
      assert.deepStrictEqual(
        rel((yield* expand("evals/[id].eval.ts")).files),
        ["evals/[id].eval.ts"],
        "a file as named"
      )
    }))

  it.scopedLive("patterns match files, not directories; links and node_modules do not add files; ../ works", () =>
    Effect.gen(function*() {
      const root = yield* tempDir
      const dir = Path.join(root, "project (x86)")
      const rel = writeTree(dir, [
        "evals/a.eval.ts",
        "evals/dir.eval.ts/helper.ts",
        "evals/suite/fixture.json",
        "other/b.eval.ts",
        "other/node_modules/y/m.eval.ts"
      ])
      Fs.symlinkSync("a.eval.ts", Path.join(dir, "evals", "alias.eval.ts"))
      Fs.symlinkSync("..", Path.join(dir, "evals", "loop"))
      const cwd = Path.join(dir, "evals")
      const expand = (...args: Array<string>) => Effect.promise(() => Files.expand(args, cwd))

      // a directory named like an eval file is not one; the link to a.eval.ts is the same file; the loop is not followed
      assert.deepStrictEqual(rel((yield* expand()).files), ["evals/a.eval.ts"])
      assert.deepStrictEqual(rel((yield* expand("*.eval.ts", ".")).files), ["evals/a.eval.ts"])
      assert.deepStrictEqual((yield* expand("{suite,nothing}")).unmatched, ["{suite,nothing}"], "no directory listing")
      assert.deepStrictEqual(rel((yield* expand("../other/**/*.eval.ts")).files), ["other/b.eval.ts"])
      assert.deepStrictEqual(rel((yield* expand(Path.join(dir, "other", "*.eval.ts"))).files), ["other/b.eval.ts"])
    }))
})

describe("option parsing", () => {
  it.effect("--threshold name=value: numbers from 0 to 1", () =>
    Effect.gen(function*() {
      const thresholds = (...pairs: Array<[string, string]>) =>
        Effect.either(CliOptions.thresholdsOf(HashMap.fromIterable(pairs)))
      assert.deepStrictEqual(
        yield* thresholds(["exactMatch", "0.8"], ["b", "1"]),
        Either.right({ exactMatch: 0.8, b: 1 })
      )
      for (const raw of ["1.5", "high", "", "-0.1"]) assert.isTrue(Either.isLeft(yield* thresholds(["x", raw])), raw)
    }))

  it("--timeout durations", () => {
    const millis = (text: string) =>
      Either.map(Schema.decodeEither(CliOptions.DurationFromText)(text), Duration.toMillis)
    assert.deepStrictEqual(millis("500ms"), Either.right(500))
    assert.deepStrictEqual(millis("30s"), Either.right(30_000))
    assert.deepStrictEqual(millis("1.5s"), Either.right(1500))
    assert.deepStrictEqual(millis("2m"), Either.right(120_000))
    assert.deepStrictEqual(millis("250"), Either.right(250))
    assert.deepStrictEqual(millis("10 seconds"), Either.right(10_000))
    assert.isTrue(Either.isLeft(millis("soon")))
    assert.isTrue(Either.isLeft(millis("3 fortnights")))
    const caseTimeout = (text: string) =>
      Either.map(Schema.decodeEither(CliOptions.CaseTimeoutFromText)(text), Duration.toMillis)
    assert.deepStrictEqual(caseTimeout("30s"), Either.right(30_000))
    for (const off of ["off", "none", "Infinity"]) assert.deepStrictEqual(caseTimeout(off), Either.right(Infinity))
    assert.isTrue(Either.isLeft(caseTimeout("0")), "0 would time every case out at once")
    assert.isTrue(Either.isLeft(caseTimeout("soon")))
  })

  it("report paths for several suites", () => {
    assert.strictEqual(CliOptions.reportPath("out/report.json", "Support bot", 1), "out/report.json")
    assert.strictEqual(CliOptions.reportPath("out/report.json", "Support bot", 2), "out/report.support-bot.json")
    assert.strictEqual(CliOptions.reportPath("out.d/report", "x", 2), "out.d/report.x")
  })

  it("overrides keep the suite a suite", () => {
    const scorer = (name: string) => Scorer.make(name, () => 1)
    const suite = Eval.make({
      name: "s",
      data: [],
      task: (x: number) => x,
      scorers: [scorer("a"), scorer("b")],
      thresholds: { a: 0.5, b: 0.5 }
    })
    const changed = CliOptions.applyOverrides(suite, { concurrency: 3, thresholds: { b: 0.9, c: 0.1 } })
    assert.isTrue(Eval.isSuite(changed))
    assert.strictEqual(changed.concurrency, 3)
    assert.strictEqual(changed.trials, suite.trials)
    assert.deepStrictEqual(changed.thresholds, { a: 0.5, b: 0.9 }, "a threshold goes to the suites with that scorer")
  })
})

describe("loading eval files", () => {
  it.effect("finds named suites once each, and the exported layer", () =>
    Effect.gen(function*() {
      const loaded = yield* Load.load(fixture("judged.eval.ts"), Load.nativeImporter)
      assert.deepStrictEqual(loaded.suites.map((s) => [s.exportName, s.suite.name]), [
        ["greetings", "greetings"],
        ["farewells", "farewells"]
      ])
      assert.isDefined(loaded.layer)
    }))

  it.effect("a file that throws while loading fails with the error's message", () =>
    Effect.gen(function*() {
      const failure = yield* Effect.flip(Load.load(fixture("throws.eval.ts"), Load.nativeImporter))
      assert.strictEqual(failure.reason, "the dataset server is down")
    }))

  it("esbuild's first line is not the reason", () => {
    const error = new Error(
      "Transform failed with 1 error:\n/x/a.eval.ts:3:63: ERROR: Expected identifier but found \",\""
    )
    assert.strictEqual(Load.reasonOf(error), "/x/a.eval.ts:3:63: ERROR: Expected identifier but found \",\"")
  })

  it("an eval file loaded as CommonJS says to make it an ES module", () => {
    // what Node 20 and tsx say for a .ts file of an `npm init -y` project ("type": "commonjs") importing the packages
    const cycle = Object.assign(new Error("Cannot require() ES Module /p/x.eval.ts in a cycle. (from /p/x.eval.ts)"), {
      code: "ERR_REQUIRE_CYCLE_MODULE"
    })
    assert.strictEqual(
      Load.loadReasonOf(cycle),
      "Cannot require() ES Module /p/x.eval.ts in a cycle. (from /p/x.eval.ts)" + Load.commonJsHint
    )
    const esm = Object.assign(new Error("require() of ES Module /p/node_modules/effect/dist/esm/index.js"), {
      code: "ERR_REQUIRE_ESM"
    })
    assert.isTrue(Load.loadReasonOf(esm).endsWith("or name the file .eval.mts)"))
    assert.strictEqual(Load.loadReasonOf(new Error("the dataset server is down")), "the dataset server is down")
  })
})

describe("helicone-eval run (in process)", () => {
  it.scopedLive("provides the file's layer, runs every suite, and fails (1) when one misses its threshold", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const { code, stderr, stdout } = yield* cli([fixture("judged.eval.ts"), "--json", "out/report.json"], dir)
      assert.strictEqual(code, Cli.ExitCode.failed, stderr)
      assert.include(stderr, "▶ greetings: 2 cases")
      assert.include(stderr, "▶ farewells: 2 cases")
      assert.include(stdout, "greetings: PASSED")
      assert.include(stdout, "farewells: FAILED")
      assert.include(stdout, "1/2 suites passed")
      const greetings = yield* EvalReport.fromJson(Fs.readFileSync(Path.join(dir, "out/report.greetings.json"), "utf8"))
      const farewells = yield* EvalReport.fromJson(Fs.readFileSync(Path.join(dir, "out/report.farewells.json"), "utf8"))
      assert.strictEqual(greetings.scorers[0].mean, 1)
      assert.isTrue(greetings.passed)
      assert.strictEqual(farewells.scorers[0].mean, 0.25)
      assert.isFalse(farewells.passed)
    }))

  it.scopedLive("--filter picks suites by name; --threshold and --trials override the suite", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const run = yield* cli(
        [
          fixture("judged.eval.ts"),
          "--filter",
          "FARE",
          "--threshold",
          "judge=0.2",
          "--trials",
          "2",
          "--json",
          "r.json"
        ],
        dir
      )
      assert.strictEqual(run.code, Cli.ExitCode.passed, run.stderr)
      assert.notInclude(run.stderr, "greetings")
      const report = yield* EvalReport.fromJson(Fs.readFileSync(Path.join(dir, "r.json"), "utf8"))
      assert.strictEqual(report.name, "farewells")
      assert.strictEqual(report.trials, 2)
      assert.strictEqual(report.totals.cases, 4)
      assert.strictEqual(report.scorers[0].threshold, 0.2)
    }))

  it.scoped("--timeout and --concurrency override the suite", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      // each case sleeps 5 s on the TestClock: move it on in 50 ms steps until the run ends, the timeout comes first
      const fiber = yield* Effect.fork(
        cli([fixture("sleepy.eval.ts"), "--timeout", "50ms", "--concurrency", "1", "--json", "r.json"], dir)
      )
      while ((yield* Fiber.poll(fiber))._tag === "None") {
        if ((yield* TestClock.sleeps()).length > 0) yield* TestClock.adjust("50 millis")
        else yield* Effect.promise(() => new Promise((resolve) => setImmediate(resolve)))
      }
      const run = yield* Fiber.join(fiber)
      // every case timed out: nothing was scored, which fails the run
      assert.strictEqual(run.code, Cli.ExitCode.failed, run.stderr)
      const report = yield* EvalReport.fromJson(Fs.readFileSync(Path.join(dir, "r.json"), "utf8"))
      assert.strictEqual(report.concurrency, 1)
      assert.deepStrictEqual(report.cases.map((c) => c.errors.map((e) => e.source)), [["timeout"], ["timeout"]])
      assert.isBelow(yield* TestClock.currentTimeMillis, 5000, "no case waited for its 5 s sleep")
    }))

  it.scoped("--timeout off lets a case run past the default 10 minutes", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const fiber = yield* Effect.fork(cli([fixture("patient.eval.ts"), "--timeout", "off", "--json", "r.json"], dir))
      while ((yield* Fiber.poll(fiber))._tag === "None") {
        if ((yield* TestClock.sleeps()).length > 0) yield* TestClock.adjust("1 minute")
        else yield* Effect.promise(() => new Promise((resolve) => setImmediate(resolve)))
      }
      const run = yield* Fiber.join(fiber)
      assert.strictEqual(run.code, Cli.ExitCode.passed, run.stderr)
      const report = yield* EvalReport.fromJson(Fs.readFileSync(Path.join(dir, "r.json"), "utf8"))
      assert.deepStrictEqual(report.cases.map((c) => c.errors), [[]])
      assert.isAtLeast(yield* TestClock.currentTimeMillis, 20 * 60_000)
    }))

  it.scopedLive("usage and configuration problems answer 2, and the first line says what is wrong", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const capitals = fixture("capitals.eval.ts")
      const reasons: Array<[ReadonlyArray<string>, string]> = [
        [[capitals, "--threshold", "exactMatch=2"], "--threshold exactMatch: the value must be a number from 0 to 1"],
        [[capitals, "--concurrency", "0"], "--concurrency must be an integer >= 1, got 0"],
        [[capitals, "--trials", "abc"], "'abc' is not a integer"],
        [[capitals, "--json"], "helicone-eval: --json needs one value"],
        [[capitals, "--timeout"], "helicone-eval: --timeout needs one value"],
        [[capitals, "--json", "--local"], "--json needs a value (--json <file>), got --local"],
        [["--filter", "--json", "r.json"], "--filter needs a value (--filter <text>), got --json"],
        [
          [capitals, "--timeout", "soon"],
          "--timeout expects a duration above zero such as 500ms, 30s or 2m, or off for no limit, got \"soon\""
        ],
        [[capitals, "--filter", "zzz"], "helicone-eval: no suite matches --filter \"zzz\" (found: capitals)"],
        [[fixture("empty.eval.ts")], "helicone-eval: no eval suites exported by"],
        [[fixture("throws.eval.ts")], "throws.eval.ts: the dataset server is down"],
        [["missing/**/*.eval.ts"], "helicone-eval: no eval files match \"missing/**/*.eval.ts\""],
        [[], "helicone-eval: no eval files"],
        [[capitals, "--bogus"], "helicone-eval: unknown option --bogus"],
        ...["0/4", "5/4", "a/b", "2"].map((shard): [ReadonlyArray<string>, string] => [
          [capitals, "--shard", shard],
          `--shard expects i/n, the ith of n shards with 1 <= i <= n (such as 2/4), got "${shard}"`
        ]),
        [[capitals, "--fail-on-regression"], "helicone-eval: --fail-on-regression needs --baseline <report.json>"],
        [[capitals, "--recording", capitals], "helicone-eval: --recording needs --local"],
        [
          [capitals, "--min-difference", "0.02"],
          "helicone-eval: --min-difference needs --fail-on-regression"
        ],
        [
          [capitals, "--min-difference", "2", "--fail-on-regression"],
          "--min-difference expects a difference of means from 0 to 1 (such as 0.02), got \"2\""
        ]
      ]
      for (const [args, reason] of reasons) {
        const run = yield* cli(args, dir)
        assert.strictEqual(run.code, Cli.ExitCode.usage, args.join(" "))
        assert.include(run.stderr.split("\n")[0], reason, args.join(" "))
        assert.strictEqual(run.stdout, "", args.join(" "))
      }
    }))

  it.effect("no command, or an unknown one, answers 2", () =>
    Effect.gen(function*() {
      const none = yield* main([])
      assert.strictEqual(none.code, Cli.ExitCode.usage)
      assert.include(none.stderr.split("\n")[0], "helicone-eval: a command is needed: helicone-eval run")
      const unknown = yield* main(["rn", "evals"])
      assert.strictEqual(unknown.code, Cli.ExitCode.usage)
      assert.include(unknown.stderr.split("\n")[0], "'run'")
    }))

  it.scopedLive("--local without @helicone-effect/local installed says to install it", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        Helicone.local(":memory:", {}, () => import("@helicone-effect/local-not-installed" as string))
      )
      assert.strictEqual(error._tag, "HeliconeSetupError")
      assert.strictEqual(error.message, "install @helicone-effect/local to use --local")
    }))

  it.scopedLive("--helicone without HELICONE_API_KEY says how to fix it", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const saved = process.env.HELICONE_API_KEY
      delete process.env.HELICONE_API_KEY
      yield* Effect.addFinalizer(() => Effect.sync(() => saved !== undefined && (process.env.HELICONE_API_KEY = saved)))
      const run = yield* cli([fixture("capitals.eval.ts"), "--helicone"], dir)
      assert.strictEqual(run.code, Cli.ExitCode.usage)
      assert.strictEqual(
        run.stderr,
        "helicone-eval: HELICONE_API_KEY is not set; pass --local to use the embedded server\n"
      )
    }))
})

describe("help", () => {
  const names = [
    "--concurrency",
    "--trials",
    "--timeout",
    "--filter",
    "--json",
    "--junit",
    "--html",
    "--markdown",
    "--baseline",
    "--fail-on-regression",
    "--min-difference",
    "--shard",
    "--threshold",
    "--helicone",
    "--local",
    "--no-color",
    "--max-errors",
    "--limit",
    "--sample",
    "--seed",
    "--case",
    "--typecheck",
    "--keep-runs",
    "--delivery-timeout",
    "--strict-delivery",
    "--cache",
    "--cache-dir",
    "--prices",
    "--max-cost",
    "--dry-run"
  ]

  it.effect("--help, on the program or on run, lists every option of run and the exit codes", () =>
    Effect.gen(function*() {
      for (const argv of [["--help"], ["run", "--help"], ["run", "evals", "-h"]]) {
        const { code, stderr, stdout } = yield* main(argv)
        assert.strictEqual(code, Cli.ExitCode.passed, argv.join(" "))
        assert.strictEqual(stderr, "")
        for (const name of names) assert.include(stdout, name, `${argv.join(" ")}: ${name}`)
        assert.include(stdout, "EXIT CODES")
        assert.notInclude(stdout, "--wizard", "no built-in options")
      }
    }))

  it.effect("--version says the version", () =>
    Effect.gen(function*() {
      const { code, stdout } = yield* main(["--version"])
      assert.strictEqual(code, Cli.ExitCode.passed)
      assert.strictEqual(stdout.trim(), "0.1.0")
    }))
})

describe("package exports", () => {
  const require = createRequire(import.meta.url)
  const exported = (path: string) => {
    try {
      require.resolve(path)
      return true
    } catch (error) {
      if ((error as { code?: string }).code === "ERR_PACKAGE_PATH_NOT_EXPORTED") return false
      throw error
    }
  }

  it("the CLI's module; not the bin, which runs the CLI, nor internals", () => {
    for (const path of ["", "/Cli"]) assert.isTrue(exported(`@helicone-effect/cli${path}`), path)
    for (const path of ["/bin", "/internal/run", "/internal/run.js"]) {
      assert.isFalse(exported(`@helicone-effect/cli${path}`), path)
    }
  })
})

describe("--local read-back", () => {
  it.scopedLive("counts the cases that have scores: a case whose task failed sent nothing", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const run = yield* cli([fixture("partial.eval.ts"), "--local", "--max-errors", "1"], dir)
      assert.strictEqual(run.code, Cli.ExitCode.passed, run.stderr)
      assert.include(
        run.stdout,
        "helicone-local: scores stored for 2/2 requests (the cases that have scores) in .helicone-local/helicone.db; " +
          "browse them: pnpm exec helicone-local --db .helicone-local/helicone.db\n"
      )
    }))

  it.effect("reads the request ids from the cases file when the cases went there", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const report = yield* Eval.run(
        Eval.make({
          name: "spilled",
          data: [{ input: "a", expected: "a" }, { input: "boom", expected: "?" }, { input: "c", expected: "c" }],
          task: (text: string) => text === "boom" ? Effect.die("down") : Effect.succeed(text),
          scorers: [Scorers.exactMatch]
        }),
        { maxCases: 1, outputDir: dir }
      )
      assert.deepStrictEqual(report.cases, [])
      const ids = Chunk.toArray(yield* Stream.runCollect(CliRun.scoredRequestIds(report)))
      const lines = Fs.readFileSync(report.casesFile!, "utf8").trim().split("\n").map((line) => JSON.parse(line))
      assert.deepStrictEqual(
        ids.sort(),
        lines.filter((c) => c.input !== "boom").map((c) => c.requestId).sort()
      )
      assert.strictEqual(ids.length, 2)
    }).pipe(Effect.scoped, Effect.provide(NodeContext.layer)))
})

describe("Cli.helicone", () => {
  it.scopedLive("without HELICONE_API_KEY starts the embedded server, whose stored scores it reads back", () =>
    Effect.gen(function*() {
      const saved = process.env.HELICONE_API_KEY
      delete process.env.HELICONE_API_KEY
      yield* Effect.addFinalizer(() => Effect.sync(() => saved !== undefined && (process.env.HELICONE_API_KEY = saved)))
      const target = yield* Cli.helicone()
      assert.strictEqual(target.kind, "embedded")
      assert.match(target.baseUrl, /^http:\/\/127\.0\.0\.1:\d+/)
      const report = yield* Eval.run(
        Eval.make({
          name: "one",
          data: [{ input: "a", expected: "a" }],
          task: (s: string) => s,
          scorers: [Scorers.exactMatch]
        }),
        { helicone: {} }
      ).pipe(Effect.provide(target.layer))
      assert.deepStrictEqual(yield* target.scores!(report.cases[0].requestId), { exactMatch: 100 })
    }))

  it.scopedLive("kind helicone without HELICONE_API_KEY fails with the reason", () =>
    Effect.gen(function*() {
      const saved = process.env.HELICONE_API_KEY
      delete process.env.HELICONE_API_KEY
      yield* Effect.addFinalizer(() => Effect.sync(() => saved !== undefined && (process.env.HELICONE_API_KEY = saved)))
      const error = yield* Effect.flip(Cli.helicone({ kind: "helicone" }))
      assert.strictEqual(error._tag, "HeliconeSetupError")
      assert.strictEqual(error.message, "HELICONE_API_KEY is not set; pass --local to use the embedded server")
    }))
})
