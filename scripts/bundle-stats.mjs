#!/usr/bin/env node
/**
 * The last step of `pnpm build`: packages/evaluator/dist/internal/stats/distributions.js, which tsc emits as four
 * imports of `@stdlib/stats-base-dists-*`, is rebuilt by esbuild from its source with stdlib's code inlined (ESM, no
 * import left), so the published evaluator needs no stdlib package at run time: loading them from node_modules is
 * ~438 small CommonJS files, 0.4–0.8 s of start-up on a loaded machine (bench/startup). Development and the tests
 * run on the source, which imports the packages (devDependencies of the evaluator).
 *
 * Then it checks what it wrote, and exits 1 when a check fails:
 *
 * - the bundle imports nothing and has no `require` left;
 * - every function gives the same number (`Object.is`, NaN included) as the same source built against the installed
 *   packages (loaded from node_modules as they were before bundling), over a grid of inputs;
 * - every bundled package is Apache-2.0 (some AND BSL-1.0, for code ported from Boost); packages/evaluator/THIRD_PARTY_NOTICES (shipped in the tarball) is written
 *   from what was bundled: the packages and versions, their NOTICE lines, the license texts, and the notices of the
 *   code stdlib ported (Boost, Cephes, FreeBSD, Go, …) quoted from the bundled files' headers.
 *
 *   node scripts/bundle-stats.mjs      # after tsc -b tsconfig.build.json
 */
import * as esbuild from "esbuild"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"

const root = Path.resolve(fileURLToPath(new URL("..", import.meta.url)))
const pkg = Path.join(root, "packages", "evaluator")
const entry = Path.join(pkg, "src", "internal", "stats", "distributions.ts")
const outfile = Path.join(pkg, "dist", "internal", "stats", "distributions.js")
const notices = Path.join(pkg, "THIRD_PARTY_NOTICES")
const reference = Path.join(pkg, "build", "bundle-stats", "distributions.reference.mjs")

/**
 * stdlib's gammaincinv (under the Beta quantile) logs two warnings through `debug`, whose Node build requires tty,
 * util, fs and net: a function that logs nothing stands in for it, so the bundle stays platform-neutral and all
 * Apache-2.0 (debug and ms are MIT). Only what `DEBUG=gammaincinv:*` would print is lost, never a number.
 */
const silentDebug = {
  name: "silent-debug",
  setup(build) {
    build.onResolve({ filter: /^debug$/ }, () => ({ path: "debug", namespace: "silent-debug" }))
    build.onLoad({ filter: /.*/, namespace: "silent-debug" }, () => ({
      contents: "module.exports = function debug() { return function log() {} }",
      loader: "js"
    }))
  }
}

const problems = []
const fail = (message) => problems.push(message)

const common = {
  absWorkingDir: root,
  entryPoints: [entry],
  bundle: true,
  format: "esm",
  // the evaluator is platform-neutral; stdlib's packages name their CommonJS entry in `main`
  platform: "neutral",
  mainFields: ["main"],
  target: "es2022",
  legalComments: "none",
  logLevel: "warning"
}

const bundled = await esbuild.build({
  ...common,
  outfile,
  sourcemap: "linked",
  sourcesContent: true,
  metafile: true,
  plugins: [silentDebug]
})
// the reference: the same source with the packages left as imports, as tsc emits it
await esbuild.build({ ...common, outfile: reference, packages: "external" })

const output = bundled.metafile.outputs[Path.relative(root, outfile)]
if (output === undefined) throw new Error(`esbuild wrote no ${outfile}`)
for (const { path } of output.imports) fail(`the bundle still imports ${path}`)
// esbuild heads each inlined file with its path, here through this workspace's node_modules/.pnpm, and names its
// wrapper by it: name them by package instead (on the same lines, so the source map still fits)
const inWorkspace = /^(\s*\/\/ )(?:\.\.\/)*(?:[^\n]*\/)?node_modules\/(?:\.pnpm\/[^/\n]+\/node_modules\/)?/gm
const commonJsKey =
  /"(?:\.\.\/)*(?:[^"\n]*\/)?node_modules\/(?:\.pnpm\/[^/"\n]+\/node_modules\/)?([^"\n]*)"\(exports, module\)/g
const code = Fs.readFileSync(outfile, "utf8").replace(inWorkspace, "$1").replace(commonJsKey, "\"$1\"(exports, module)")
Fs.writeFileSync(outfile, code)
// esbuild's own CommonJS wrapper is named __require; a require it could not resolve would be left as `require(`
if (/(?<![\w$.])require\(|typeof require\b/.test(code)) fail("the bundle still calls require")

// The map's sources would be paths into this workspace's node_modules/.pnpm: name them by package instead (the
// map carries their text).
const mapFile = `${outfile}.map`
const map = JSON.parse(Fs.readFileSync(mapFile, "utf8"))
map.sources = map.sources.map((source) =>
  source.replace(/^(?:\.\.\/)*(?:.*\/)?node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?/, "")
)
Fs.writeFileSync(mapFile, JSON.stringify(map))

// --- the numbers: the bundle against the packages it inlined

const bundle = await import(pathToFileURL(outfile).href)
const packages = await import(pathToFileURL(reference).href)
const ps = [
  ..."0 5e-324 1e-300 1e-100 1e-20 1e-12 1e-8 1e-6 1e-4 1e-3 0.005 0.01 0.025 0.05 0.1 0.159 0.2 0.25 0.3 0.4 0.45"
    .split(" "),
  ..."0.5 0.55 0.6 0.75 0.8 0.841 0.9 0.95 0.975 0.99 0.995 0.999 0.9999 0.99999999 0.999999999999 1 -0.1 1.1 NaN"
    .split(" ")
].map(Number).concat([1 / 3, 2 / 3, 1 - 2 ** -53])
const dfs = [0.5, 1, 1.5, 2, 3, 4, 5, 7, 9, 10, 14, 19, 29, 30, 49, 99, 199, 999, 1e4, 1e6, 1e9, Infinity, 0, -1, NaN]
const shapes = [0.01, 0.1, 0.5, 1, 1.5, 2, 3, 5, 10, 20, 29.5, 50, 100, 500, 1000, 1e4, 0, -1, NaN]
const ns = [0, 1, 2, 3, 5, 10, 20, 30, 50, 100, 250, 1000, 1e4]
const rates = [0, 1e-6, 0.001, 0.01, 0.05, 0.1, 0.25, 0.3, 0.5, 0.7, 0.9, 0.99, 0.999999, 1, -0.5, 1.5, NaN]

let compared = 0
const compare = (name, args) => {
  compared++
  const got = bundle[name](...args)
  const want = packages[name](...args)
  if (!Object.is(got, want)) fail(`${name}(${args.join(", ")}): the bundle gives ${got}, the packages ${want}`)
}
for (const p of ps) {
  compare("normalQuantile", [p])
  for (const df of dfs) compare("tQuantile", [p, df])
  for (const a of shapes) for (const b of shapes) compare("betaQuantile", [p, a, b])
}
for (const n of ns) {
  const xs = new Set([-1, 0, 1, 2, Math.floor(n / 4), Math.floor(n / 2), n - 1, n, n + 1, 0.5, NaN])
  for (const x of xs) for (const p of rates) compare("binomialCdf", [x, n, p])
}
// the Jeffreys intervals' Beta(k + 1/2, n - k + 1/2), exactly as the statistics ask for them
for (const n of [1, 2, 5, 10, 30, 100, 1000]) {
  for (let k = 0; k <= n; k += Math.max(1, Math.floor(n / 20))) {
    for (const p of [0.025, 0.975, 0.05, 0.95, 0.005, 0.995]) compare("betaQuantile", [p, k + 0.5, n - k + 0.5])
  }
}
const exported = Object.keys(bundle).sort().join(", ")
if (exported !== Object.keys(packages).sort().join(", ")) fail(`the bundle exports ${exported}`)
Fs.rmSync(Path.dirname(reference), { recursive: true, force: true })

// --- the notices

const inputs = Object.keys(bundled.metafile.inputs).map((input) => Path.resolve(root, input))
const byPackage = new Map()
for (const input of inputs) {
  const at = input.lastIndexOf(`${Path.sep}node_modules${Path.sep}`)
  if (at === -1) continue
  const rest = input.slice(at + "/node_modules/".length).split(Path.sep)
  const name = rest[0].startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0]
  const dir = input.slice(0, at + "/node_modules/".length + name.length)
  const files = byPackage.get(dir)?.files ?? []
  byPackage.set(dir, { name, files: [...files, Path.relative(dir, input)] })
}
// Apache-2.0, and the Boost Software License of the code some packages ported (their LICENSE carries both texts)
const allowed = new Set(["Apache-2.0", "BSL-1.0"])
const licenses = new Map()
const attributionHeading = "DEPENDENCIES & ATTRIBUTION"
const packageLines = []
const noticeBlocks = new Map()
for (const [dir, { files, name }] of [...byPackage].sort(([, a], [, b]) => a.name.localeCompare(b.name))) {
  const manifest = JSON.parse(Fs.readFileSync(Path.join(dir, "package.json"), "utf8"))
  if (!manifest.license.split(" AND ").every((license) => allowed.has(license))) {
    fail(`${name} is ${manifest.license}: review its license before bundling it (allowed: ${[...allowed].join(", ")})`)
  }
  const notice = Fs.existsSync(Path.join(dir, "NOTICE")) ? Fs.readFileSync(Path.join(dir, "NOTICE"), "utf8").trim() : ""
  packageLines.push(`${name}@${manifest.version} (${manifest.license})${notice === "" ? "" : `, ${notice}`}`)
  // stdlib's LICENSE files are Apache-2.0, then for some a section on the code they were ported from
  const [license, attribution] = Fs.readFileSync(Path.join(dir, "LICENSE"), "utf8").split(attributionHeading)
  for (const text of [license, attribution === undefined ? "" : attributionHeading + attribution]) {
    if (text.trim() !== "") licenses.set(text.trim(), [...(licenses.get(text.trim()) ?? []), name])
  }
  for (const file of files.sort()) {
    const header = /^\/\*\*([\s\S]*?)\*\//.exec(Fs.readFileSync(Path.join(dir, file), "utf8"))?.[1] ?? ""
    const at = header.indexOf("## Notice")
    if (at === -1) continue
    const block = header.slice(at + "## Notice".length).split("\n").map((line) => line.replace(/^\s*\* ?/, "")).join(
      "\n"
    ).trim()
    noticeBlocks.set(block, [...(noticeBlocks.get(block) ?? []), `${name}/${file}`])
  }
}
const rule = "=".repeat(80)
const stdlibText = [
  "Third-party code in @helicone-effect/evaluator",
  "",
  "dist/internal/stats/distributions.js contains the following packages of stdlib (https://github.com/stdlib-js),",
  "bundled into it by scripts/bundle-stats.mjs of the helicone-effect repository, unmodified:",
  "",
  ...packageLines.map((line) => `- ${line}`),
  "",
  ...[...licenses].flatMap(([license, names]) => [
    rule,
    `${license.startsWith(attributionHeading) ? "In the LICENSE" : "The license"} of ` +
    `${names.length === byPackage.size ? "every package above" : names.join(", ")}:`,
    rule,
    "",
    license,
    ""
  ]),
  rule,
  "Notices of the code these packages were ported from, as their source files give them:",
  rule,
  ...[...noticeBlocks].flatMap(([block, files]) => ["", `In ${files.join(", ")}:`, "", block, ""])
].join("\n")
// the HTML report's page bundles packages of its own (scripts/build-report-app.mjs): their notices follow
const pageNotices = Path.join(pkg, "src", "internal", "report", "html", "THIRD_PARTY_NOTICES")
const text = Fs.existsSync(pageNotices)
  ? `${stdlibText}\n${rule}\n\n${Fs.readFileSync(pageNotices, "utf8")}`
  : stdlibText
const before = Fs.existsSync(notices) ? Fs.readFileSync(notices, "utf8") : ""
if (before !== text) Fs.writeFileSync(notices, text)

if (problems.length > 0) {
  for (const problem of problems) console.error(`FAIL ${problem}`)
  console.error(`bundle-stats: ${problems.length} problems; ${Path.relative(root, outfile)} is not fit to publish`)
  process.exit(1)
}
console.log(
  `bundle-stats: ${Path.relative(root, outfile)} (${(code.length / 1024).toFixed(0)} kB, ${inputs.length} files of ` +
    `${byPackage.size} packages inlined, no imports); ${compared} values identical to the packages'; ` +
    `THIRD_PARTY_NOTICES ${before === text ? "unchanged" : "written"}`
)
