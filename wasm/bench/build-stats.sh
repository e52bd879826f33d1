#!/usr/bin/env bash
# Builds the web package's engine with the Cargo feature `alloc-stats` (the Rust heap's live and
# peak bytes, `allocStats()`) into wasm/bench/build/stats/, for the heap figure of cache.mjs:
# with it, the heap line also shows what the Rust heap holds (`rust_live_mib`), apart from how
# far linear memory grew. The same sources and features as the package, in the release profile
# (allocation sizes do not depend on the optimization level). Never part of the package.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$HOME/.cargo/bin:$PATH"
target_dir=${CARGO_TARGET_DIR:-target}
cargo build -p appsync-wasm --target wasm32-unknown-unknown --release --features alloc-stats --quiet
rm -rf wasm/bench/build/stats
wasm-bindgen --target web --out-dir wasm/bench/build/stats "$target_dir/wasm32-unknown-unknown/release/appsync_wasm.wasm"
echo "built wasm/bench/build/stats/ (node --expose-gc cache.mjs now shows rust_live_mib)"
