#!/usr/bin/env bash
# Every check and test suite: formatting, lints (native and wasm), the wasm build of the core,
# and all Rust tests (unit, mock HTTP, client scenarios against the mock, CLI). Ends with the
# counts. Binding suites (Kotlin, Swift, browser) join here as they land.
set -euo pipefail
cd "$(dirname "$0")/.."
# setup.sh resolves paths from the repository root.
bash scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy (native, all targets)"
cargo clippy --workspace --all-targets --quiet -- -D warnings

echo "== cargo clippy (appsync-core for wasm32-unknown-unknown)"
cargo clippy -p appsync-core --target wasm32-unknown-unknown --quiet -- -D warnings

echo "== cargo test"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
cargo test --workspace 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

counts=$(awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i) ~ /^passed;?$/) p += $(i-1); if ($(i) ~ /^failed;?$/) f += $(i-1) } } END { printf "%d %d", p, f }' "$log")
passed=${counts% *}
failed=${counts#* }

echo "== Amplify JS v6 against appsync-mock (tests/amplify-js)"
set +e
(cd tests/amplify-js && APPSYNC_BIN="$PWD/../../target/debug/appsync" node --test --test-reporter=spec compat.test.mjs) 2>&1 | tee "$log.js"
js_status=${PIPESTATUS[0]}
set -e
js_passed=$(awk '/^ℹ pass / { print $3 }' "$log.js")
js_failed=$(awk '/^ℹ fail / { print $3 }' "$log.js")
rm -f "$log.js"

echo
echo "rust: ${passed:-0} passed, ${failed:-0} failed"
echo "amplify-js: ${js_passed:-0} passed, ${js_failed:-0} failed"
echo "all: $(( ${passed:-0} + ${js_passed:-0} )) passed, $(( ${failed:-0} + ${js_failed:-0} )) failed"
if [ "$status" -ne 0 ]; then exit "$status"; fi
exit "$js_status"
