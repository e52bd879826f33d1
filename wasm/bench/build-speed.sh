#!/usr/bin/env bash
# Builds the full web package a second time, for speed instead of size, into
# wasm/bench/build/speed/ (pkg/ and dist/, laid out as in wasm/), so that
# `node --expose-gc cache.mjs --build speed` shows what the cache's figures would be if the
# package gave up its size: the same sources, features and nightly as scripts/build-web.sh, with
# the `release-wasm` profile at opt-level 3 (`--config`, Cargo.toml is not changed), std rebuilt
# without `optimize_for_size`, and `wasm-opt -O3` instead of `-Oz --converge`. It prints the
# module's size beside the package's. Never part of the package; needs scripts/build-web.sh to
# have run (it reuses dist/, the TypeScript layer, which does not depend on the build).
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$HOME/.cargo/bin:$PATH"
target_dir=${CARGO_TARGET_DIR:-target}
nightly=$(cat wasm/nightly-toolchain)
if [ ! -f wasm/dist/index.js ] || [ ! -f wasm/pkg/appsync_wasm_bg.wasm ]; then
  echo "build the web package first: bash scripts/build-web.sh" >&2
  exit 2
fi
out=wasm/bench/build/speed
speed_target="$target_dir/web-speed"
CARGO_TARGET_DIR="$speed_target" RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none" \
  cargo "+$nightly" build -p appsync-wasm --target wasm32-unknown-unknown --profile release-wasm --quiet \
  --config 'profile.release-wasm.opt-level=3' -Z build-std=std,panic_abort
rm -rf "$out"
mkdir -p "$out"
wasm-bindgen --target web --out-dir "$out/pkg" "$speed_target/wasm32-unknown-unknown/release-wasm/appsync_wasm.wasm"
wasm/node_modules/.bin/wasm-opt -O3 --strip-debug --strip-producers -o "$out/pkg/appsync_wasm_bg.wasm" "$out/pkg/appsync_wasm_bg.wasm"
cp -r wasm/dist "$out/dist"
size() { printf '%s B raw, %s B gzip -9' "$(wc -c < "$1")" "$(gzip -9c "$1" | wc -c)"; }
echo "built $out/ (node --expose-gc cache.mjs --build speed)"
echo "speed module:   $(size "$out/pkg/appsync_wasm_bg.wasm")"
echo "package module: $(size wasm/pkg/appsync_wasm_bg.wasm)"
