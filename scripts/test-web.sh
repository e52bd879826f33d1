#!/usr/bin/env bash
# The web package's checks: build, `tsc --strict --noEmit` over the TypeScript layer, the emitted
# .d.ts and the suite, the package size, then the browser suite in headless Chromium against
# appsync-mock (APPSYNC_MOCK_URL when set, else a mock the runner starts). Ends with exactly one
# line `web: N passed, N failed`; exits non-zero on any failure.
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

echo "== tsc --strict --noEmit"
(cd wasm && node_modules/.bin/tsc --strict --noEmit -p tsconfig.json && node_modules/.bin/tsc --strict --noEmit -p test/tsconfig.json) ||
  broken "type check"

# What a browser downloads: the .wasm, and the JS (wasm-bindgen's glue and the TypeScript layer).
js_files=(wasm/pkg/appsync_wasm.js wasm/dist/*.js)
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
