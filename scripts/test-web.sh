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

# What a browser downloads: the .wasm, and the JS (wasm-bindgen's glue, the crate's JS modules
# and the TypeScript layer).
js_files=(wasm/pkg/appsync_wasm.js wasm/pkg/snippets/*/js/*.js wasm/dist/*.js)
wasm_raw=$(wc -c <wasm/pkg/appsync_wasm_bg.wasm)
wasm_gz=$(gzip -9 -c wasm/pkg/appsync_wasm_bg.wasm | wc -c)
js_raw=0
js_gz=0
for file in "${js_files[@]}"; do # each file is fetched (and compressed) on its own
  js_raw=$((js_raw + $(wc -c <"$file")))
  js_gz=$((js_gz + $(gzip -9 -c "$file" | wc -c)))
done
echo "web package: wasm $wasm_raw B (gzip $wasm_gz B), js $js_raw B (gzip $js_gz B)"

echo "== browser suite (wasm/test/run.mjs)"
node wasm/test/run.mjs
