/**
 * Loads eval files and finds the suites they export.
 *
 * A `.js` / `.mjs` / `.cjs` eval file is imported as it is. TypeScript is loaded with tsx, whose module hooks are
 * registered (`register()` from `tsx/esm/api`) just before the first TypeScript file is imported, after the CLI's own
 * modules are loaded: a plain dynamic `import()` then loads the file, which shares module instances with the CLI (one
 * copy of `effect` and of the evaluator), and only the eval files and what they alone import go through the hooks.
 *
 * @internal
 */
import * as Eval from "@helicone-effect/evaluator/Eval"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Path from "node:path"
import { pathToFileURL } from "node:url"

/** Imports an eval file by its absolute path. */
export type Importer = (file: string) => Promise<Record<string, unknown>>

/** The extensions tsx loads and Node does not. */
const typeScript = /\.(?:ts|mts|cts|tsx)$/i

let tsxRegistered: Promise<unknown> | undefined

/**
 * Every module loaded once tsx's hooks are registered goes through them, which costs several times a plain load (the
 * whole `effect` index: ~350 ms of CPU more). So the two indexes eval files import (`effect`, the evaluator) are
 * loaded first.
 */
const registerTsx = async () => {
  await Promise.all([import("effect"), import("@helicone-effect/evaluator")])
  const tsx = await import("tsx/esm/api")
  tsx.register()
}

/** Registers tsx's hooks for TypeScript files, once per process; other files are imported as they are. */
export const autoImporter: Importer = async (file) => {
  if (typeScript.test(file)) {
    tsxRegistered ??= registerTsx()
    await tsxRegistered
  }
  return import(pathToFileURL(file).href)
}

/** A plain `import()`, for processes that load TypeScript already (tsx's hooks registered, vitest). */
export const nativeImporter: Importer = (file) => import(pathToFileURL(file).href)

/** One exported suite, and where it came from. */
export interface FoundSuite {
  readonly file: string
  /** `default`, or the name of the export. */
  readonly exportName: string
  readonly suite: Eval.Suite<any, any, any, any>
}

/** What an eval file gave: its suites, and the layer it exports as `layer` for them (services their tasks need). */
export interface LoadedFile {
  readonly file: string
  readonly suites: ReadonlyArray<FoundSuite>
  readonly layer: Layer.Layer<any, any, never> | undefined
}

/** Why a file could not be loaded, in one line. */
export interface LoadFailure {
  readonly file: string
  readonly reason: string
}

/**
 * The suites of a module: its default export and every named export that is a suite (or an array of suites), in
 * export order, each suite once even when exported under two names.
 */
export const suitesOf = (file: string, module: Record<string, unknown>): Array<FoundSuite> => {
  const found: Array<FoundSuite> = []
  const seen = new Set<unknown>()
  const names = Object.keys(module).sort((a, b) => a === "default" ? -1 : b === "default" ? 1 : 0)
  for (const exportName of names) {
    const value = module[exportName]
    const candidates = Array.isArray(value) ? value : [value]
    for (const candidate of candidates) {
      if (Eval.isSuite(candidate) && !seen.has(candidate)) {
        seen.add(candidate)
        found.push({ file, exportName, suite: candidate as Eval.Suite<any, any, any, any> })
      }
    }
  }
  return found
}

/** The first line of an error that says what is wrong (esbuild puts "Transform failed with 1 error:" first). */
export const reasonOf = (error: unknown): string => {
  const message = error instanceof Error ? error.message : String(error)
  const lines = message.split("\n").map((line) => line.trim()).filter((line) => line.length > 0)
  const useful = lines.find((line) => !/^Transform failed with \d+ errors?:?$/.test(line)) ?? lines[0] ??
    "unknown error"
  return useful.length > 300 ? `${useful.slice(0, 297)}...` : useful
}

/** Node's ways of saying a CommonJS module met an ES module it cannot require. */
const requireOfEsm = /ERR_REQUIRE_ESM|ERR_REQUIRE_CYCLE_MODULE|ERR_REQUIRE_ASYNC_MODULE|require\(\) (?:of )?ES Module/

/** What to do when an eval file was loaded as CommonJS and could not import the packages, which are ESM only. */
export const commonJsHint = " (a .ts file of a package without \"type\": \"module\" is loaded as CommonJS, and these " +
  "packages are ES modules: add \"type\": \"module\" to its package.json, or name the file .eval.mts)"

/** The reason an eval file did not load, with {@link commonJsHint} when it was loaded as CommonJS. */
export const loadReasonOf = (error: unknown): string => {
  const code = typeof error === "object" && error !== null && "code" in error ? String(error.code) : ""
  const message = error instanceof Error ? error.message : String(error)
  return reasonOf(error) + (requireOfEsm.test(code) || requireOfEsm.test(message) ? commonJsHint : "")
}

/** Imports one eval file. A throw while importing (a syntax error, a missing module, a throwing top level) fails. */
export const load = (file: string, importer: Importer): Effect.Effect<LoadedFile, LoadFailure> =>
  Effect.tryPromise({
    try: () => importer(Path.resolve(file)),
    catch: (error): LoadFailure => ({ file, reason: loadReasonOf(error) })
  }).pipe(Effect.map((module): LoadedFile => ({
    file,
    suites: suitesOf(file, module),
    layer: Layer.isLayer(module.layer) ? module.layer as Layer.Layer<any, any, never> : undefined
  })))
