import { assert, describe, it } from "@effect/vitest"
import { execFileSync } from "node:child_process"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
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

  it("embedded JSON can close no script and reads back the same", () => {
    const value = ["</script><script>alert(1)</script>", "<!-- x -->", "\u2028\u2029", "\ud800 lone", "</SCRIPT"]
    const text = Page.scriptSafe(JSON.stringify(value))
    assert.notMatch(text, /<\/script|<!--|\u2028|\u2029/i)
    assert.deepStrictEqual(JSON.parse(text), value)
  })
})
