/**
 * Which files `helicone-eval run` loads. An argument that names a file loads it (whatever its name); one that names
 * a directory loads every eval file under it. Any other argument with `*`, `?`, `{`, `[` or `!` is a pattern,
 * expanded by `tinyglobby` (Node 20 has no `fs.glob`): `*` and `?` within a path segment, `**` across directories,
 * `{a,b}` alternatives, `[abc]` classes. `node_modules` and names starting with a dot are skipped.
 *
 * @internal
 */
import * as Fs from "node:fs/promises"
import * as Path from "node:path"
import { glob } from "tinyglobby"

/** The names a directory argument, or no argument at all, picks up. */
export const evalFilePattern = "**/*.eval.{ts,mts,cts,js,mjs,cjs}"

const globChars = /[*?{[!]/

/** Whether an argument is a pattern rather than a path. */
export const isPattern = (arg: string): boolean => globChars.test(arg)

/** The files under `cwd` a pattern matches, as sorted absolute paths. */
const globFiles = async (pattern: string, cwd: string): Promise<Array<string>> => {
  const found = await glob(pattern, { cwd, absolute: true, onlyFiles: true, ignore: ["**/node_modules/**"] })
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
  // A path that exists is taken as it is, even with pattern characters in its name (`[id].eval.ts`).
  const path = Path.resolve(cwd, arg)
  const stat = await Fs.stat(path).catch(() => undefined)
  if (stat?.isFile()) return [path]
  if (stat?.isDirectory()) return globFiles(evalFilePattern, path)
  return isPattern(arg) ? globFiles(arg.split(Path.sep).join("/"), cwd) : []
}
