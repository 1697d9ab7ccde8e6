/**
 * Which files `helicone-eval run` loads. Node 20 has no `fs.glob` (it arrives in Node 22), so patterns are expanded
 * here with a deliberately small matcher:
 *
 * - `*` any characters within one path segment, `?` one character within a segment,
 * - `**` any number of directories (`evals/**` + `/*.eval.ts`, `**` + `/*.eval.ts`),
 * - `{a,b}` alternatives (no nesting), e.g. `*.eval.{ts,mts}`.
 *
 * An argument without these characters is a file (loaded whatever its name) or a directory (every eval file under
 * it). Walking skips `node_modules` and directories whose name starts with a dot. Matching is on `/`-separated paths
 * relative to the working directory.
 *
 * @internal
 */
import type { Dirent } from "node:fs"
import * as Fs from "node:fs/promises"
import * as Path from "node:path"

/** The names a directory argument, or no argument at all, picks up. */
export const evalFilePattern = "**/*.eval.{ts,mts,cts,js,mjs,cjs}"

const isEvalFile = (name: string): boolean => /\.eval\.(?:ts|mts|cts|js|mjs|cjs)$/.test(name)

const globChars = /[*?{]/

/** Whether an argument is a pattern rather than a path. */
export const isPattern = (arg: string): boolean => globChars.test(arg)

/** A pattern as an anchored regular expression over `/`-separated relative paths. */
export const toRegExp = (pattern: string): RegExp => {
  let source = ""
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]
    if (c === "*" && pattern[i + 1] === "*") {
      // `**/` matches zero or more whole directories; a trailing `**` matches everything below.
      if (pattern[i + 2] === "/") {
        source += "(?:[^/]+/)*"
        i += 2
      } else {
        source += ".*"
        i += 1
      }
    } else if (c === "*") {
      source += "[^/]*"
    } else if (c === "?") {
      source += "[^/]"
    } else if (c === "{") {
      const end = pattern.indexOf("}", i)
      if (end === -1) {
        source += "\\{"
      } else {
        source += `(?:${pattern.slice(i + 1, end).split(",").map(escape).join("|")})`
        i = end
      }
    } else {
      source += escape(c)
    }
  }
  return new RegExp(`^${source}$`)
}

const escape = (text: string): string => text.replace(/[.+^$()|[\]\\{}*?]/g, "\\$&")

/** The directory a pattern's matches are all under: its leading segments without pattern characters. */
const baseOf = (pattern: string): string => {
  const segments = pattern.split("/")
  const fixed: Array<string> = []
  for (const segment of segments.slice(0, -1)) {
    if (isPattern(segment)) break
    fixed.push(segment)
  }
  return fixed.join("/")
}

async function* walk(dir: string): AsyncGenerator<string> {
  let entries: Array<Dirent>
  try {
    entries = await Fs.readdir(dir, { withFileTypes: true })
  } catch {
    return
  }
  entries.sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
  for (const entry of entries) {
    const path = Path.join(dir, entry.name)
    if (entry.isDirectory()) {
      if (entry.name === "node_modules" || entry.name.startsWith(".")) continue
      yield* walk(path)
    } else if (entry.isFile()) {
      yield path
    }
  }
}

const toPosix = (path: string): string => path.split(Path.sep).join("/")

/** The result of {@link expand}: absolute paths in argument order (sorted within a pattern), without duplicates. */
export interface Expanded {
  readonly files: ReadonlyArray<string>
  /** The arguments that named nothing: a missing path, or a pattern that matched no file. */
  readonly unmatched: ReadonlyArray<string>
}

/** Expands the file arguments of `helicone-eval run` (see the module comment); no argument means every eval file. */
export const expand = async (args: ReadonlyArray<string>, cwd: string): Promise<Expanded> => {
  const files = new Set<string>()
  const unmatched: Array<string> = []
  for (const arg of args.length === 0 ? [evalFilePattern] : args) {
    const matches = await matchesOf(arg, cwd)
    if (matches.length === 0) unmatched.push(arg)
    for (const file of matches) files.add(file)
  }
  return { files: [...files], unmatched }
}

const matchesOf = async (arg: string, cwd: string): Promise<Array<string>> => {
  const matches: Array<string> = []
  if (isPattern(arg)) {
    const pattern = toPosix(Path.isAbsolute(arg) ? Path.relative(cwd, arg) : arg).replace(/^\.\//, "")
    const regexp = toRegExp(pattern)
    for await (const file of walk(Path.resolve(cwd, baseOf(pattern)))) {
      if (regexp.test(toPosix(Path.relative(cwd, file)))) matches.push(file)
    }
    return matches
  }
  const path = Path.resolve(cwd, arg)
  const stat = await Fs.stat(path).catch(() => undefined)
  if (stat?.isFile()) return [path]
  if (stat?.isDirectory()) {
    for await (const file of walk(path)) {
      if (isEvalFile(file)) matches.push(file)
    }
  }
  return matches
}
