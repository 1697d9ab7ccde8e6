/**
 * The dataset bench: `Dataset.jsonl` on a file with one 50 MB line between two short ones, against a file of the
 * same size made of short lines, and a file of three short lines for the process's own peak RSS, each read in a
 * child process of its own that prints its time and peak RSS (`read.ts`).
 *
 *   node --import tsx bench/dataset/index.ts      # BENCH_LINE_MB=50 BENCH_ROUNDS=3
 *
 * Timings are printed, never asserted.
 */
import { execFileSync } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"

const lineMb = Number(process.env.BENCH_LINE_MB ?? 50)
const rounds = Number(process.env.BENCH_ROUNDS ?? 3)
const here = Path.dirname(fileURLToPath(import.meta.url))
const tmp = Fs.mkdtempSync(Path.join(Os.tmpdir(), "helicone-bench-dataset-"))

const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

interface Read {
  readonly duration: number
  readonly peakRssMb: number
  readonly errors: ReadonlyArray<string | undefined>
}

const read = (file: string): Read => {
  const out = execFileSync(process.execPath, ["--import", "tsx", Path.join(here, "read.ts"), file], {
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024
  })
  return JSON.parse(out.trim().split("\n").pop()!)
}

try {
  const bytes = lineMb * 1024 * 1024
  const long = Path.join(tmp, "long.jsonl")
  const fd = Fs.openSync(long, "w")
  Fs.writeSync(fd, `{"input":"first"}\n{"input":"`)
  const block = "x".repeat(1024 * 1024)
  for (let i = 0; i < lineMb; i++) Fs.writeSync(fd, block)
  Fs.writeSync(fd, `"}\n{"input":"last"}\n`)
  Fs.closeSync(fd)

  const short = Path.join(tmp, "short.jsonl")
  const line = `{"input":"${"x".repeat(100)}"}\n`
  Fs.writeFileSync(short, line.repeat(Math.ceil(bytes / line.length)))
  const tiny = Path.join(tmp, "tiny.jsonl")
  Fs.writeFileSync(tiny, `{"input":"first"}\n{"input":"x"}\n{"input":"last"}\n`)

  console.log(`dataset bench: Dataset.jsonl, one ${lineMb} MB line; median of ${rounds} rounds, one process each read`)
  const runs = { long: [] as Array<Read>, short: [] as Array<Read>, tiny: [] as Array<Read> }
  for (let round = 0; round < rounds; round++) {
    runs.tiny.push(read(tiny))
    runs.short.push(read(short))
    runs.long.push(read(long))
  }
  const time = (rs: ReadonlyArray<Read>) => median(rs.map((r) => r.duration))
  const rss = (rs: ReadonlyArray<Read>) => median(rs.map((r) => r.peakRssMb))
  const show = (what: string, rs: ReadonlyArray<Read>) =>
    console.log(`  ${what.padEnd(46)} ${time(rs).toFixed(0).padStart(6)} ms, peak RSS ${rss(rs).toFixed(0)} MB`)
  show("three short lines (the process alone)", runs.tiny)
  show(`${lineMb} MB of 100-byte lines`, runs.short)
  show(`one ${lineMb} MB line between two short ones`, runs.long)
  console.log(
    `  the long line: time ratio ${
      (time(runs.long) / time(runs.short)).toFixed(2)
    } to the same bytes in short lines, ` +
      `peak RSS ${(rss(runs.long) - rss(runs.tiny)).toFixed(0)} MB above the process alone`
  )
  console.log(`  what the run reported for it: ${JSON.stringify(runs.long[0].errors)}`)
} finally {
  Fs.rmSync(tmp, { recursive: true, force: true })
}
