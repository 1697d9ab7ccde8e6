#!/usr/bin/env node
/**
 * `pnpm check:packages`: packs every published package as `pnpm publish` would, then checks each tarball:
 *
 * - its files: no tests, fixtures, caches or build info; dist/index.js, dist/index.d.ts, README.md and LICENSE present;
 *   no dist/ module left from a source that is gone;
 * - what its dist/ modules import: only the package itself, its dependencies and peers, and `node:` built-ins;
 * - its package.json: no `workspace:` range left, `main`, `types`, `exports` and `bin` point at files in dist/, a bin
 *   starts with a `#!/usr/bin/env node` line;
 * - publint (`--strict`: a warning fails too);
 * - attw (see `attwRuns`): every module entry under node16 (from ESM) and bundler resolution, the root entry under
 *   node10 too;
 * - `pnpm publish --dry-run` over the published packages, which publishes nothing.
 *
 * Builds first (`pnpm build`: `tsc -b`, a no-op when dist/ is current, then scripts/bundle-stats.mjs). Exits 1 when
 * any check failed, after running them all, and prints each problem with the package it was found in.
 */
import { execFileSync } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"

const root = Path.resolve(fileURLToPath(new URL("..", import.meta.url)))
const temp = Fs.mkdtempSync(Path.join(Os.tmpdir(), "helicone-effect-packages-"))
const cleanUp = () => Fs.rmSync(temp, { recursive: true, force: true })
process.on("exit", cleanUp)
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    cleanUp()
    process.exit(130)
  })
}

const run = (command, args, options = {}) =>
  execFileSync(command, args, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], ...options })

/** Runs a command, returning its exit code and everything it printed (stdout then stderr). */
const attempt = (command, args, options = {}) => {
  try {
    return { code: 0, output: run(command, args, options) }
  } catch (error) {
    return { code: error.status ?? 1, output: `${error.stdout ?? ""}${error.stderr ?? ""}` || String(error) }
  }
}

const problems = []
const fail = (name, message) => problems.push(`${name}: ${message}`)
const section = (title) => console.log(`\n=== ${title}`)

const published = Fs.readdirSync(Path.join(root, "packages"))
  .map((dir) => Path.join(root, "packages", dir))
  .filter((dir) => Fs.existsSync(Path.join(dir, "package.json")))
  .map((dir) => ({ dir, manifest: JSON.parse(Fs.readFileSync(Path.join(dir, "package.json"), "utf8")) }))
  .filter(({ manifest }) => manifest.private !== true)
  .sort((a, b) => a.manifest.name.localeCompare(b.manifest.name))

section("pnpm build")
try {
  run("pnpm", ["build"], { stdio: "inherit" })
} catch {
  console.log("package checks: pnpm build failed (above), so there is nothing to pack")
  process.exit(1)
}

/** Paths a tarball must not contain (relative to its `package/` folder). */
const forbidden = [
  { test: (file) => /(^|\/)(test|tests|__tests__)\//.test(file), why: "a test folder" },
  { test: (file) => /\.(test|spec)\.[cm]?[jt]sx?$/.test(file), why: "a test file" },
  { test: (file) => /(^|\/)fixtures?\//.test(file), why: "fixtures" },
  {
    test: (file) => /(^|\/)(\.vite|\.vitest|node_modules|coverage|build|\.helicone-[a-z]+)\//.test(file),
    why: "a cache"
  },
  { test: (file) => /\.tsbuildinfo$/.test(file) || /(^|\/)\.tsbuildinfo/.test(file), why: "build info" },
  { test: (file) => /(^|\/)(\.env[^/]*|\.npmrc)$/.test(file), why: "a local settings file" }
]
const required = ["dist/index.js", "dist/index.d.ts", "README.md", "LICENSE", "package.json"]
/** Further files a package must ship: the evaluator inlines stdlib's code (scripts/bundle-stats.mjs) and its notices. */
const requiredFor = {
  "@helicone-effect/evaluator": ["THIRD_PARTY_NOTICES", "dist/internal/stats/distributions.js"]
}

/** The packages a module imports (static, dynamic and re-exports), by name: no relative path, no `node:` built-in. */
const importedPackages = (code) => {
  const specifiers = [
    ...code.matchAll(/^\s*(?:import|export)\b[^"'`;]*?\bfrom\s*["']([^"']+)["']/gm),
    ...code.matchAll(/^\s*import\s*["']([^"']+)["']/gm),
    ...code.matchAll(/\bimport\s*\(\s*["']([^"']+)["']\s*\)/g)
  ].map((match) => match[1])
  return new Set(
    specifiers.filter((specifier) => !specifier.startsWith(".") && !specifier.startsWith("node:")).map((specifier) =>
      specifier.split("/").slice(0, specifier.startsWith("@") ? 2 : 1).join("/")
    )
  )
}

/** Every string an `exports` value resolves to, with the condition path that leads there. */
const exportTargets = (value, at = []) => {
  if (value === null) return []
  if (typeof value === "string") return [{ at: at.join(" > "), target: value }]
  if (Array.isArray(value)) return value.flatMap((item, i) => exportTargets(item, [...at, String(i)]))
  return Object.entries(value).flatMap(([key, item]) => exportTargets(item, [...at, key]))
}

const dependencyFields = ["dependencies", "peerDependencies", "optionalDependencies", "devDependencies"]

const tarballs = []
for (const { dir, manifest } of published) {
  const name = manifest.name
  section(`${name}: pack`)
  const out = Path.join(temp, name.replace("@", "").replace("/", "-"))
  Fs.mkdirSync(out)
  run("pnpm", ["pack", "--pack-destination", out], { cwd: dir })
  const tarball = Fs.readdirSync(out).find((file) => file.endsWith(".tgz"))
  if (tarball === undefined) {
    fail(name, "pnpm pack wrote no tarball")
    continue
  }
  const file = Path.join(out, tarball)
  tarballs.push({ name, file })
  const files = run("tar", ["-tzf", file]).split("\n").filter((line) => line !== "").map((line) =>
    line.replace(/^package\//, "")
  )
  console.log(`${tarball}: ${files.length} files, ${(Fs.statSync(file).size / 1024).toFixed(1)} kB`)

  for (const path of files) {
    for (const rule of forbidden) if (rule.test(path)) fail(name, `the tarball contains ${rule.why}: ${path}`)
  }
  for (const path of required) if (!files.includes(path)) fail(name, `the tarball has no ${path}`)
  // tsc -b never deletes what it emitted: a module renamed or removed since the last build would still be packed.
  for (const path of files) {
    const source = path.match(/^dist\/(.+)\.js$/)?.[1]
    if (source !== undefined && !files.includes(`src/${source}.ts`) && !files.includes(`src/${source}.tsx`)) {
      fail(name, `${path} has no source in src/ (a stale build output? pnpm clean && pnpm build)`)
    }
  }

  for (const path of requiredFor[name] ?? []) if (!files.includes(path)) fail(name, `the tarball has no ${path}`)

  const packed = JSON.parse(run("tar", ["-xzOf", file, "package/package.json"]))
  // What dist/ imports at run time must be installed with the package: a dependency or a peer (not a devDependency).
  const unpacked = Path.join(out, "unpacked")
  Fs.mkdirSync(unpacked)
  run("tar", ["-xzf", file, "-C", unpacked])
  const installed = new Set([name, ...Object.keys({ ...packed.dependencies, ...packed.peerDependencies })])
  for (const path of files.filter((path) => /^dist\/.+\.js$/.test(path))) {
    const code = Fs.readFileSync(Path.join(unpacked, "package", path), "utf8").replace(/\/\*[\s\S]*?\*\//g, "")
    for (const specifier of importedPackages(code)) {
      if (!installed.has(specifier)) fail(name, `${path} imports ${specifier}, which is not a dependency or a peer`)
    }
  }
  for (const field of dependencyFields) {
    for (const [dep, range] of Object.entries(packed[field] ?? {})) {
      if (String(range).startsWith("workspace:")) fail(name, `${field}.${dep} is still "${range}"`)
    }
  }
  const inDist = (what, target, { pattern = false } = {}) => {
    if (!target.startsWith("./dist/")) return fail(name, `${what} points outside dist/: ${target}`)
    if (!pattern && !files.includes(target.slice(2))) {
      fail(name, `${what} points at a file not in the tarball: ${target}`)
    }
  }
  if (packed.exports === undefined) fail(name, "the packed package.json has no exports")
  for (const [subpath, value] of Object.entries(packed.exports ?? {})) {
    if (subpath === "./package.json") continue
    const targets = exportTargets(value)
    for (const { at, target } of targets) {
      inDist(`exports["${subpath}"]${at === "" ? "" : ` (${at})`}`, target, { pattern: target.includes("*") })
    }
    if (targets.length > 0 && !targets.some(({ at }) => at.split(" > ").includes("types"))) {
      fail(name, `exports["${subpath}"] has no "types" condition`)
    }
  }
  for (const field of ["main", "types"]) {
    if (packed[field] === undefined) fail(name, `the packed package.json has no "${field}" (node10 resolution)`)
    else inDist(field, packed[field])
  }
  for (const [command, target] of Object.entries(packed.bin ?? {})) {
    inDist(`bin.${command}`, target)
    const head = files.includes(target.slice(2)) ? run("tar", ["-xzOf", file, `package/${target.slice(2)}`]) : ""
    if (head !== "" && !head.startsWith("#!/usr/bin/env node\n")) {
      fail(name, `bin.${command} (${target}) does not start with "#!/usr/bin/env node"`)
    }
  }

  section(`${name}: publint`)
  const publint = attempt("pnpm", ["exec", "publint", "run", file, "--strict"])
  console.log(publint.output.trim())
  if (publint.code !== 0) fail(name, "publint reported problems (above)")

  // The packages are ESM only, so attw's node16-from-CJS column can only say "ESM (dynamic import only)", which is
  // what an ESM-only package is: the first run checks what a user resolves with (node16/nodenext from ESM, bundler)
  // for the root and for every module (attw does not expand a "./*" pattern by itself). The second checks the root
  // entry under node10 too, through the top-level main and types (a subpath needs node16 or bundler).
  const modules = packed.exports?.["./*"] === undefined ? [] : files
    .filter((path) => /^dist\/[^/]+\.d\.ts$/.test(path))
    .map((path) => `./${path.slice("dist/".length, -".d.ts".length)}`)
    .filter((entry) => entry !== "./index" && !Object.hasOwn(packed.exports, entry))
  const attwRuns = [
    ["--profile", "esm-only", ...(modules.length > 0 ? ["--include-entrypoints", ...modules] : [])],
    ["--entrypoints", ".", "--ignore-rules", "cjs-resolves-to-esm"]
  ]
  for (const args of attwRuns) {
    section(`${name}: attw ${args.join(" ")}`)
    const attw = attempt("pnpm", [
      "exec",
      "attw",
      file,
      "--no-emoji",
      "--no-color",
      "--format",
      "table-flipped",
      ...args
    ])
    console.log(attw.output.trim())
    if (attw.code !== 0) fail(name, `attw ${args.join(" ")} reported problems (above)`)
  }
}

section("pnpm publish --dry-run (publishes nothing)")
const dryRun = attempt("pnpm", ["-r", "--filter", "./packages/*", "publish", "--dry-run", "--no-git-checks"])
console.log(dryRun.output.split("\n").filter((line) => !/^npm notice [\d.]+[kMG]?B /.test(line)).join("\n").trim())
if (dryRun.code !== 0) fail("pnpm publish --dry-run", `exited with ${dryRun.code} (above)`)
for (const { manifest } of published) {
  const spec = `${manifest.name}@${manifest.version}`
  if (dryRun.output.includes(`+ ${spec}`)) continue
  // pnpm -r publish skips a version the registry already has (and npm would refuse it): nothing to try until the next
  // version. Anything else that kept a package from the dry run is a failure.
  const onRegistry = attempt("npm", ["view", spec, "version"])
  if (onRegistry.code === 0 && onRegistry.output.trim() === manifest.version) {
    console.log(`${spec} is already on the registry: skipped`)
  } else {
    fail(manifest.name, "pnpm publish --dry-run did not reach it")
  }
}

section("summary")
if (problems.length === 0) {
  console.log(`${published.length} packages checked: ${published.map(({ manifest }) => manifest.name).join(", ")}`)
  console.log("package checks: 0 problems")
} else {
  for (const problem of problems) console.log(`FAIL ${problem}`)
  console.log(`package checks: ${problems.length} problems`)
  process.exitCode = 1
}
