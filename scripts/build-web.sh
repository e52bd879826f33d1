#!/usr/bin/env bash
# Builds the web package (wasm/): the Rust crate for wasm32 with the size profile, the JS glue
# and .d.ts by the wasm-bindgen CLI (exactly the pinned version), wasm-opt -Oz (binaryen from the
# package's devDependencies), then the TypeScript layer (dist/) and the browser suite's page
# script (test/build/). Expects scripts/setup-web.sh to have run.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
target_dir=${CARGO_TARGET_DIR:-target}

echo "== cargo build -p appsync-wasm (wasm32-unknown-unknown, profile release-wasm)"
cargo build -p appsync-wasm --target wasm32-unknown-unknown --profile release-wasm --quiet

echo "== wasm-bindgen --target web"
rm -rf wasm/pkg
wasm-bindgen --target web --out-dir wasm/pkg "$target_dir/wasm32-unknown-unknown/release-wasm/appsync_wasm.wasm"

echo "== wasm-opt -Oz (binaryen from npm)"
wasm/node_modules/.bin/wasm-opt -Oz --strip-debug --strip-producers -o wasm/pkg/appsync_wasm_bg.wasm wasm/pkg/appsync_wasm_bg.wasm

echo "== tsc (dist/, test/build/)"
rm -rf wasm/dist wasm/test/build
(cd wasm && node_modules/.bin/tsc -p tsconfig.json && node_modules/.bin/tsc -p test/tsconfig.json)
