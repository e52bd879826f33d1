#!/usr/bin/env bash
# The web package's checks: build, a second, test-only build with the store conformance suite
# (feature `conformance`, dev profile, into wasm/test/build/conformance/; the package is never
# built from it), `tsc --strict --noEmit` over the TypeScript layer, the emitted .d.ts and the
# suites, the package size, then the browser suite in headless Chromium against appsync-mock
# (APPSYNC_MOCK_URL when set, else a mock the runner starts). Ends with exactly one line
# `web: N passed, N failed`; exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

broken() {
  echo "the web suite stopped at: $1" >&2
  echo "web: 0 passed, 1 failed"
  exit 1
}

bash scripts/setup-web.sh || broken "setup"
bash scripts/build-web.sh || broken "build"

build_conformance() {
  local target_dir=${CARGO_TARGET_DIR:-target}
  cargo build -p appsync-wasm --target wasm32-unknown-unknown --features conformance --quiet &&
    rm -rf wasm/test/build/conformance &&
    wasm-bindgen --target web --out-dir wasm/test/build/conformance "$target_dir/wasm32-unknown-unknown/debug/appsync_wasm.wasm" &&
    (cd wasm && node_modules/.bin/tsc -p test/tsconfig.store.json)
}
echo "== test-only build: cargo build -p appsync-wasm --features conformance, wasm-bindgen, tsc (test/build/)"
build_conformance || broken "the test-only conformance build"

echo "== tsc --strict --noEmit"
(cd wasm && node_modules/.bin/tsc --strict --noEmit -p tsconfig.json && node_modules/.bin/tsc --strict --noEmit -p test/tsconfig.json &&
  node_modules/.bin/tsc --strict --noEmit -p test/tsconfig.store.json) ||
  broken "type check"

# What a browser downloads for each entry: its .wasm, and the JS the entry loads (the
# TypeScript layer's modules, wasm-bindgen's glue, the crate's JS modules), each file fetched (and
# compressed) on its own.
entry_size() { # <label> <entry module> <wasm>
  local files file js_raw=0 js_gz=0 wasm_raw wasm_gz
  files=$(node wasm/test/imports.mjs "$2") || return 1
  for file in $files; do
    js_raw=$((js_raw + $(wc -c <"$file")))
    js_gz=$((js_gz + $(gzip -9 -c "$file" | wc -c)))
  done
  wasm_raw=$(wc -c <"$3")
  wasm_gz=$(gzip -9 -c "$3" | wc -c)
  echo "web package, $1: wasm $wasm_raw B (gzip $wasm_gz B), js $js_raw B (gzip $js_gz B); total gzip $((wasm_gz + js_gz)) B"
}
entry_size "full (@appsync-rs/client)" wasm/dist/index.js wasm/pkg/appsync_wasm_bg.wasm || broken "the size of the full entry"
entry_size "lite (@appsync-rs/client/lite)" wasm/dist/lite.js wasm/pkg-lite/appsync_wasm_bg.wasm || broken "the size of the lite entry"

echo "== browser suite (wasm/test/run.mjs)"
node wasm/test/run.mjs
