#!/usr/bin/env node
/**
 * `helicone-eval`: loads eval files, runs their suites, prints and writes the reports (see `Cli`). Published, this is
 * the package's bin, run by plain node; TypeScript eval files are loaded through tsx (see `Cli.RunOptions.loader`).
 *
 * @since 0.1.0
 */
import { main } from "./internal/main.js"

main({ loader: "auto" })
