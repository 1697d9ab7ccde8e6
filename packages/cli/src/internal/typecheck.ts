/**
 * `--typecheck`: the TypeScript eval files are type-checked before they are loaded, since tsx only strips types. It
 * uses the compiler API of the `typescript` package the user's project has (resolved from the working directory,
 * then from each eval file's directory): TypeScript is not a dependency of the CLI, and the project's own version is
 * the one its types were written for.
 *
 * Each file is checked with the options of the nearest `tsconfig.json` above it (for a solution-style one, the
 * referenced project that includes the file, as editors pick it), without emitting; without one, with `strict` on.
 * Library declaration files are not checked (`skipLibCheck`), and only the eval files' own diagnostics count:
 * modules they import are read for their types, as an editor does.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import { createRequire } from "node:module"
import * as NodePath from "node:path"
import { pathToFileURL } from "node:url"
import * as CliError from "../CliError.js"

/** The part of TypeScript's compiler API used here. */
interface Diagnostic {
  readonly file: { readonly fileName: string; getLineAndCharacterOfPosition(pos: number): Position } | undefined
  readonly start: number | undefined
  readonly code: number
  readonly category: number
  readonly messageText: unknown
}
interface Position {
  readonly line: number
  readonly character: number
}
interface ParsedConfig {
  readonly options: Record<string, unknown>
  readonly fileNames: ReadonlyArray<string>
  readonly projectReferences?: ReadonlyArray<{ readonly path: string }> | undefined
}
interface SourceFile {
  readonly fileName: string
}
interface Program {
  getSourceFile(fileName: string): SourceFile | undefined
  getSyntacticDiagnostics(file: SourceFile): ReadonlyArray<Diagnostic>
  getSemanticDiagnostics(file: SourceFile): ReadonlyArray<Diagnostic>
}
interface TypeScript {
  readonly version: string
  readonly sys: {
    fileExists(path: string): boolean
    readFile(path: string): string | undefined
    readDirectory: unknown
    useCaseSensitiveFileNames: boolean
  }
  readonly DiagnosticCategory: { readonly Error: number }
  readonly ScriptTarget: { readonly ES2022: number }
  readonly ModuleKind: { readonly NodeNext: number }
  readonly ModuleResolutionKind: { readonly NodeNext: number }
  findConfigFile(searchPath: string, fileExists: (path: string) => boolean): string | undefined
  readConfigFile(path: string, readFile: (path: string) => string | undefined): { config?: unknown; error?: unknown }
  parseJsonConfigFileContent(json: unknown, host: unknown, basePath: string): ParsedConfig
  resolveProjectReferencePath(reference: { readonly path: string }): string
  createProgram(rootNames: ReadonlyArray<string>, options: Record<string, unknown>): Program
  flattenDiagnosticMessageText(text: unknown, newLine: string): string
}

/** What a check found. */
export interface Checked {
  readonly files: number
  readonly errors: number
  readonly seconds: number
  readonly version: string
  /** The first error, `file:line:col: TS2322: message` with the file relative to `cwd`. */
  readonly first: string | undefined
  /** The files with an error, relative to `cwd`. */
  readonly failing: ReadonlyArray<string>
}

const typeScriptFile = /\.(?:ts|mts|cts|tsx)$/i

/** Whether any of the files is TypeScript (only those are checked). */
export const hasTypeScript = (files: ReadonlyArray<string>): boolean => files.some((file) => typeScriptFile.test(file))

const resolveTypeScript = (cwd: string, files: ReadonlyArray<string>): string | undefined => {
  for (const dir of [cwd, ...files.map((file) => NodePath.dirname(file))]) {
    try {
      return createRequire(NodePath.join(dir, "package.json")).resolve("typescript")
    } catch {
      // not installed for this directory: try the next
    }
  }
  return undefined
}

const loadTypeScript = (cwd: string, files: ReadonlyArray<string>, install: string) =>
  Effect.gen(function*() {
    const resolved = resolveTypeScript(cwd, files)
    if (resolved === undefined) return yield* new CliError.TypeScriptMissing({ install })
    const module = yield* Effect.tryPromise({
      try: () => import(pathToFileURL(resolved).href) as Promise<{ default?: TypeScript } & Partial<TypeScript>>,
      catch: (error) => new CliError.TypeScriptMissing({ install, reason: String(error) })
    })
    const ts = (module.default ?? module) as Partial<TypeScript>
    // TypeScript 7 (the native compiler, npm's `latest` since 2026) has no JavaScript compiler API to call
    if (typeof ts.createProgram !== "function" || ts.sys === undefined) {
      return yield* new CliError.TypeScriptMissing({
        install,
        reason: `the installed typescript${ts.version === undefined ? "" : ` ${ts.version}`} has no compiler API ` +
          `(TypeScript 7 and later); install TypeScript 5 (${install}) or pass --no-typecheck`
      })
    }
    return ts as TypeScript
  })

/** Forced over the project's options: check only, write nothing, do not check library declarations. */
const checkOnly = {
  noEmit: true,
  skipLibCheck: true,
  composite: false,
  incremental: false,
  declaration: false,
  declarationMap: false,
  emitDeclarationOnly: false,
  sourceMap: false,
  tsBuildInfoFile: undefined
}

/** The compiler options for a file: its project's, or strict defaults. */
const optionsFor = (
  ts: TypeScript,
  file: string
): { readonly key: string; readonly options: Record<string, unknown> } => {
  const configPath = ts.findConfigFile(NodePath.dirname(file), ts.sys.fileExists)
  if (configPath === undefined) {
    return {
      key: "",
      options: {
        strict: true,
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
        ...checkOnly
      }
    }
  }
  const parse = (path: string): ParsedConfig | undefined => {
    const read = ts.readConfigFile(path, ts.sys.readFile)
    return read.config === undefined
      ? undefined
      : ts.parseJsonConfigFileContent(read.config, ts.sys, NodePath.dirname(path))
  }
  const nearest = parse(configPath)
  const normalized = NodePath.resolve(file)
  const includes = (parsed: ParsedConfig) => parsed.fileNames.some((name) => NodePath.resolve(name) === normalized)
  let chosen = { key: configPath, parsed: nearest }
  if (nearest !== undefined && !includes(nearest)) {
    for (const reference of nearest.projectReferences ?? []) {
      const path = ts.resolveProjectReferencePath(reference)
      const parsed = parse(path)
      if (parsed !== undefined && includes(parsed)) {
        chosen = { key: path, parsed }
        break
      }
    }
  }
  return { key: chosen.key, options: { ...chosen.parsed?.options, ...checkOnly } }
}

/** Type-checks the TypeScript files among `files` (absolute paths). */
export const check = (
  files: ReadonlyArray<string>,
  cwd: string,
  install: string
): Effect.Effect<Checked, CliError.TypeScriptMissing> =>
  Effect.gen(function*() {
    const typeScript = files.filter((file) => typeScriptFile.test(file))
    const started = performance.now()
    const ts = yield* loadTypeScript(cwd, typeScript, install)
    return yield* Effect.sync(() => {
      const groups = new Map<string, { options: Record<string, unknown>; files: Array<string> }>()
      for (const file of typeScript) {
        const { key, options } = optionsFor(ts, file)
        const group = groups.get(key) ?? { options, files: [] }
        group.files.push(file)
        groups.set(key, group)
      }
      let errors = 0
      let first: string | undefined
      const failing: Array<string> = []
      const relative = (file: string) => {
        const path = NodePath.relative(cwd, file)
        return path === "" || path.startsWith("..") ? file : path
      }
      for (const group of groups.values()) {
        const program = ts.createProgram(group.files, group.options)
        for (const file of group.files) {
          const source = program.getSourceFile(file)
          if (source === undefined) continue
          const diagnostics = [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)]
            .filter((diagnostic) => diagnostic.category === ts.DiagnosticCategory.Error)
          if (diagnostics.length === 0) continue
          errors += diagnostics.length
          failing.push(relative(file))
          if (first === undefined) {
            const diagnostic = diagnostics[0]
            const at = diagnostic.file !== undefined && diagnostic.start !== undefined
              ? diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start)
              : undefined
            const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n").split("\n")[0]
            first = `${relative(file)}${at === undefined ? "" : `:${at.line + 1}:${at.character + 1}`}: ` +
              `TS${diagnostic.code}: ${message}`
          }
        }
      }
      return {
        files: typeScript.length,
        errors,
        first,
        failing,
        version: ts.version,
        seconds: (performance.now() - started) / 1000
      }
    })
  })
