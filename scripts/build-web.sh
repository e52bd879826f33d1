#!/usr/bin/env bash
# Builds the web package (wasm/), twice over: the full entry's module (wasm/pkg/) and the lite
# entry's (wasm/pkg-lite/, without the cache and the outbox). Each is the Rust crate for wasm32
# with the size profile on the pinned
# nightly (wasm/nightly-toolchain) with std rebuilt (`-Zbuild-std`, `optimize_for_size`),
# `panic=immediate-abort` (a panic traps without formatting a message; the bindings never panic
# by design, see the lints), which takes about a sixth off the bundle, and
# `-Zlocation-detail=none` (no file names and lines kept for panic locations, which nothing
# reports); the JS glue and .d.ts by the wasm-bindgen CLI (exactly the pinned version), wasm-opt
# -Oz --converge (binaryen from the package's devDependencies; --converge repeats the passes while
# they still shrink the module), then the TypeScript layer (dist/) and the browser suite's page
# script (test/build/), and last terser (package devDependency) minifies the JS that ships (the
# glue, the JS modules the crate imports (wasm/js/, copied under pkg/snippets/) and dist/*.js;
# the .d.ts files keep every doc comment). Expects scripts/setup-web.sh to
# have run.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
target_dir=${CARGO_TARGET_DIR:-target}

nightly=$(cat wasm/nightly-toolchain)
web_target="$target_dir/web-release"
# One build per entry: pkg/ (the full package: cache, outbox) and pkg-lite/ (feature `offline`
# off: the online client alone, `@appsync-rs/client/lite`). Each is bound right after its build,
# since both builds write the same output file.
build_entry() { # <out dir> [cargo feature args...]
  local out=$1
  shift
  echo "== cargo +$nightly build -p appsync-wasm $* (wasm32-unknown-unknown, profile release-wasm, build-std)"
  CARGO_TARGET_DIR="$web_target" RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none" \
    cargo "+$nightly" build -p appsync-wasm "$@" --target wasm32-unknown-unknown --profile release-wasm --quiet \
    -Z build-std=std,panic_abort -Z build-std-features=optimize_for_size

  echo "== wasm-bindgen --target web (wasm/$out)"
  rm -rf "wasm/$out"
  wasm-bindgen --target web --out-dir "wasm/$out" "$web_target/wasm32-unknown-unknown/release-wasm/appsync_wasm.wasm"

  echo "== wasm-opt -Oz --converge (binaryen from npm)"
  wasm/node_modules/.bin/wasm-opt -Oz --converge --strip-debug --strip-producers -o "wasm/$out/appsync_wasm_bg.wasm" "wasm/$out/appsync_wasm_bg.wasm"
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
