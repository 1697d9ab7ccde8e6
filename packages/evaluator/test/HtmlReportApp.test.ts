import { NodeContext } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { execFileSync } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { Eval, Reporter, Scorers } from "../src/index.js"
import * as Page from "../src/internal/report/html/page.js"

const root = Path.resolve(fileURLToPath(new URL("../../..", import.meta.url)))

describe("the HTML report's bundled page", () => {
  it("app.generated.ts is what scripts/build-report-app.mjs builds from the client's sources", () => {
    // exits 1, naming the file, when a source changed and the module was not built again
    const out = execFileSync(process.execPath, [Path.join(root, "scripts", "build-report-app.mjs"), "--check"], {
      cwd: root,
      encoding: "utf8"
    })
    assert.include(out, "is up to date")
  })

  it("the client type-checks (its own tsconfig: JSX for Preact; the package's tsconfig leaves it out)", () => {
    const tsc = Path.join(root, "node_modules", "typescript", "bin", "tsc")
    const project = Path.join(root, "packages", "evaluator", "src", "internal", "report", "html", "client")
    // throws with tsc's errors on stdout when a type is wrong
    execFileSync(process.execPath, [tsc, "-p", Path.join(project, "tsconfig.json")], { cwd: root, encoding: "utf8" })
  }, 60_000)

  it("embedded JSON can close no script and reads back the same", () => {
    const value = ["</script><script>alert(1)</script>", "<!-- x -->", "\u2028\u2029", "\ud800 lone", "</SCRIPT"]
    const text = Page.scriptSafe(JSON.stringify(value))
    assert.notMatch(text, /<\/script|<!--|\u2028|\u2029/i)
    assert.deepStrictEqual(JSON.parse(text), value)
  })
})

describe("Reporter.html", () => {
  it.scoped("streams a run's cases file into the page: every case is in its data", () =>
    Effect.gen(function*() {
      const dir = yield* Effect.acquireRelease(
        Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), "helicone-eval-html-stream-"))),
        (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
      )
      const suite = Eval.make({
        name: "streamed",
        data: Array.from(
          { length: 2500 },
          (_, i) => ({ input: `in ${i} </script>`, expected: i % 2 === 0 ? `in ${i} </script>` : "x" })
        ),
        task: (s: string) => s,
        scorers: [Scorers.exactMatch]
      })
      const file = Path.join(dir, "report.html")
      const report = yield* Eval.run(suite, {
        casesFile: Path.join(dir, "cases.jsonl"),
        reporters: [Reporter.html(file)]
      })
      assert.deepStrictEqual(report.cases, [])
      const html = Fs.readFileSync(file, "utf8")
      const json = /<script type="application\/json" id="report-data">(.*?)<\/script>/s.exec(html)![1]
      const data = JSON.parse(json) as { cases: Array<[number, number, unknown, string]> }
      assert.deepStrictEqual(
        data.cases.map((c) => c[0]).sort((a, b) => a - b),
        Array.from({ length: 2500 }, (_, i) => i)
      )
      assert.strictEqual(data.cases.find((c) => c[0] === 7)![3], "in 7 </script>")
    }).pipe(Effect.provide(NodeContext.layer)))
})
