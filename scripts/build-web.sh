#!/usr/bin/env bash
# Builds the web package (wasm/), twice over: the full entry's module (wasm/pkg/) and the lite
# entry's (wasm/pkg-lite/, without the cache and the outbox), each built for size by
# scripts/wasm-entry.sh (which says how); then the TypeScript layer (dist/) and the browser
# suite's page script (test/build/), and last terser (package devDependency) minifies the JS
# that ships (the glue, the JS modules the crate imports (wasm/js/, copied under pkg/snippets/)
# and dist/*.js; the .d.ts files keep every doc comment). Expects scripts/setup-web.sh to have
# run.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
target_dir=${CARGO_TARGET_DIR:-target}

web_target="$target_dir/web-release"
. scripts/wasm-entry.sh
# One build per entry: pkg/ (the full package: cache, outbox) and pkg-lite/ (feature `offline`
# off: the online client alone, `@appsync-rs/client/lite`). Each is bound right after its build,
# since both builds write the same output file.
build_entry() { # <out dir> [cargo feature args...]
  local out=$1
  shift
  wasm_entry size "$web_target" "wasm/$out" "$@"
}
build_entry pkg
build_entry pkg-lite --no-default-features

echo "== tsc (dist/, test/build/)"
rm -rf wasm/dist wasm/test/build
(cd wasm && node_modules/.bin/tsc -p tsconfig.json && node_modules/.bin/tsc -p test/tsconfig.json)

echo "== terser (pkg/appsync_wasm.js, pkg-lite/appsync_wasm.js, pkg/snippets, dist/*.js)"
for file in wasm/pkg/appsync_wasm.js wasm/pkg-lite/appsync_wasm.js wasm/pkg/snippets/*/js/*.js wasm/dist/*.js; do
  wasm/node_modules/.bin/terser "$file" --module --compress --mangle --comments '/@ts-self-types/' -o "$file"
done
