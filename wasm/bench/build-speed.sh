#!/usr/bin/env bash
# Builds the full web package a second time, for speed instead of size, into
# wasm/bench/build/speed/ (pkg/ and dist/, laid out as in wasm/), so that
# `node --expose-gc cache.mjs --build speed` shows what the cache's figures would be if the
# package gave up its size: scripts/wasm-entry.sh's `speed` build (the package's own build but
# for opt-level 3, std without `optimize_for_size` and `wasm-opt -O3`). It prints the module's
# size beside the package's. Never part of the package; needs scripts/build-web.sh to have run
# (it reuses dist/, the TypeScript layer, which does not depend on the build).
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$HOME/.cargo/bin:$PATH"
target_dir=${CARGO_TARGET_DIR:-target}
if [ ! -f wasm/dist/index.js ] || [ ! -f wasm/pkg/appsync_wasm_bg.wasm ]; then
  echo "build the web package first: bash scripts/build-web.sh" >&2
  exit 2
fi
out=wasm/bench/build/speed
speed_target="$target_dir/web-speed"
. scripts/wasm-entry.sh
rm -rf "$out"
mkdir -p "$out"
wasm_entry speed "$speed_target" "$out/pkg"
cp -r wasm/dist "$out/dist"
size() { printf '%s B raw, %s B gzip -9' "$(wc -c < "$1")" "$(gzip -9c "$1" | wc -c)"; }
echo "built $out/ (node --expose-gc cache.mjs --build speed)"
echo "speed module:   $(size "$out/pkg/appsync_wasm_bg.wasm")"
echo "package module: $(size wasm/pkg/appsync_wasm_bg.wasm)"
