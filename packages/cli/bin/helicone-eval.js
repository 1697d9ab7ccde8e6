#!/usr/bin/env node
// In the workspace: registers tsx, then runs the CLI from its TypeScript source (published, the bin is dist/bin.js).
// Eval files are then imported as they are, through the same hooks.
import { register } from "tsx/esm/api"

register()
const { main } = await import("../src/internal/main.ts")
main({ loader: "native" })
