# Builds the full web package a second time, optimized another way, into
# wasm/bench/build/<variant>/ (pkg/ and dist/, laid out as in wasm/), so that
# `node --expose-gc cache.mjs --build <variant>` shows what the cache's figures would be with it:
#
#   bash wasm/bench/build-speed.sh [speed|all-z]      (default speed)
#
# `speed`: what the package would gain by giving up its size, scripts/wasm-entry.sh's `speed`
# build (the package's own build but for opt-level 3, std without `optimize_for_size` and
# `wasm-opt -O3`). `all-z`: what the package gains from its hot paths built for speed, the
# package's build without `size_build` (every function for size). It prints the module's size
# beside the package's. Never part of the package; needs scripts/build-web.sh to have run (it
# reuses dist/, the TypeScript layer, which does not depend on the build).
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$HOME/.cargo/bin:$PATH"
target_dir=${CARGO_TARGET_DIR:-target}
if [ ! -f wasm/dist/index.js ] || [ ! -f wasm/pkg/appsync_wasm_bg.wasm ]; then
  echo "build the web package first: bash scripts/build-web.sh" >&2
  exit 2
fi
variant=${1:-speed}
case "$variant" in
  speed | all-z) ;;
  *) echo "usage: build-speed.sh [speed|all-z] (not $variant)" >&2; exit 2 ;;
esac
out=wasm/bench/build/$variant
. scripts/wasm-entry.sh
rm -rf "$out"
mkdir -p "$out"
wasm_entry "$variant" "$target_dir/web-$variant" "$out/pkg"
cp -r wasm/dist "$out/dist"
size() { printf '%s B raw, %s B gzip -9' "$(wc -c < "$1")" "$(gzip -9c "$1" | wc -c)"; }
echo "built $out/ (node --expose-gc cache.mjs --build $variant)"
echo "$variant module: $(size "$out/pkg/appsync_wasm_bg.wasm")"
echo "package module: $(size wasm/pkg/appsync_wasm_bg.wasm)"
