/**
 * Which files `helicone-eval run` loads. An argument that names a file loads it (whatever its name); one that names
 * a directory loads every eval file under it. Any other argument with `*`, `?`, `{`, `[` or `!` is a pattern,
 * expanded by `tinyglobby` (Node 20 has no `fs.glob`): `*` and `?` within a path segment, `**` across directories,
 * `{a,b}` alternatives, `[abc]` classes. `node_modules`, files and directories whose names start with a dot, and
 * symbolic links to directories are skipped; a file reached by two paths is loaded once.
 *
 * @internal
 */
import * as Fs from "node:fs/promises"
import * as Path from "node:path"

/** The names a directory argument, or no argument at all, picks up. */
export const evalFilePattern = "**/*.eval.{ts,mts,cts,js,mjs,cjs}"

const globChars = /[*?{[!]/

/** Whether an argument is a pattern rather than a path. */
export const isPattern = (arg: string): boolean => globChars.test(arg)

/**
 * Splits a `/`-separated pattern into the directory all its matches are under (its leading segments without pattern
 * characters) and the pattern below it, which is globbed from there: `../suites/deep/*.eval.ts` is `*.eval.ts` in
 * `../suites/deep`. So `node_modules` is skipped under `../` too, and a directory called `Program Files (x86)` is
 * read as a name.
 */
const splitBase = (pattern: string): readonly [string, string] => {
  const segments = pattern.split("/")
  let fixed = 0
  while (fixed < segments.length - 1 && !isPattern(segments[fixed])) fixed++
  return [segments.slice(0, fixed).join("/"), segments.slice(fixed).join("/")]
}

/** The files a pattern matches from `cwd`, as sorted absolute paths; symbolic links are not followed. */
const globFiles = async (pattern: string, cwd: string): Promise<Array<string>> => {
  const [base, rest] = splitBase(pattern)
  const { glob } = await import("tinyglobby")
  const found = await glob(rest, {
    cwd: Path.resolve(cwd, base),
    absolute: true,
    onlyFiles: true,
    expandDirectories: false,
    followSymbolicLinks: false,
    ignore: ["**/node_modules/**"]
  })
  return found.map((file) => Path.resolve(file)).sort()
}

/** The result of {@link expand}: absolute paths in argument order (sorted within a pattern), without duplicates. */
export interface Expanded {
  readonly files: ReadonlyArray<string>
  /** The arguments that named nothing: a missing path, or a pattern that matched no file. */
  readonly unmatched: ReadonlyArray<string>
}

/** Expands the file arguments of `helicone-eval run` (see the module comment); no argument means every eval file. */
export const expand = async (args: ReadonlyArray<string>, cwd: string): Promise<Expanded> => {
  // By real path, so that a file reached through a symbolic link as well is loaded once.
  const files = new Map<string, string>()
  const unmatched: Array<string> = []
  for (const arg of args.length === 0 ? [evalFilePattern] : args) {
    const matches = await matchesOf(arg, cwd)
    if (matches.length === 0) unmatched.push(arg)
    for (const file of matches) {
      const real = await Fs.realpath(file).catch(() => file)
      if (!files.has(real)) files.set(real, file)
    }
  }
  return { files: [...files.values()], unmatched }
}

const matchesOf = async (arg: string, cwd: string): Promise<Array<string>> => {
  // A path that exists is taken as it is, even with pattern characters in its name (`[id].eval.ts`).
  const path = Path.resolve(cwd, arg)
  const stat = await Fs.stat(path).catch(() => undefined)
  if (stat?.isFile()) return [path]
  if (stat?.isDirectory()) return globFiles(evalFilePattern, path)
  return isPattern(arg) ? globFiles(arg.split(Path.sep).join("/"), cwd) : []
}
