#!/usr/bin/env bash
# Every check and test suite: formatting, lints (native and wasm), all Rust tests (unit, mock
# HTTP and realtime, client scenarios, CLI), then the suites in other languages against one mock
# server: Amplify JS (AWS's own client), Kotlin (JUnit), Swift (XCTest) and the browser (headless
# Chromium). Ends with each suite's counts and the total.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy (native, all targets)"
cargo clippy --workspace --all-targets --quiet -- -D warnings

echo "== cargo clippy (appsync-sigv4, appsync-core and appsync-wasm for wasm32-unknown-unknown)"
cargo clippy -p appsync-sigv4 -p appsync-core -p appsync-wasm --target wasm32-unknown-unknown --all-features --quiet -- -D warnings
# As the web package builds its two entries: the core without its default `tracing` feature,
# and for the lite entry without `offline` (no cache, no outbox) too.
cargo clippy -p appsync-wasm --target wasm32-unknown-unknown --quiet -- -D warnings
cargo clippy -p appsync-wasm --target wasm32-unknown-unknown --no-default-features --quiet -- -D warnings

work=$(mktemp -d)
mock_pid=""
cleanup() {
  if [ -n "$mock_pid" ]; then kill "$mock_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "== cargo test"
set +e
cargo test --workspace -- --skip killed_at_random_points 2>&1 | tee "$work/rust.log"
rust_status=${PIPESTATUS[0]}
# The core as the lite web entry builds it (feature `offline` off): its unit tests.
echo "== cargo test -p appsync-core --no-default-features --lib (the core without the cache)"
cargo test -p appsync-core --no-default-features --lib 2>&1 | tee -a "$work/rust.log"
lite_status=${PIPESTATUS[0]}
if [ "$lite_status" -ne 0 ]; then rust_status=$lite_status; fi
# The outbox crash test on its own, so that its counts (runs, kills, mutations) are shown.
echo "== outbox crash test (SIGKILL at random points)"
cargo test -p appsync-scenarios --test outbox_crash -- --nocapture 2>&1 | tee -a "$work/rust.log" | grep -E "^outbox crash test:|^test result:|FAILED|panicked|^run [0-9]+:"
crash_status=${PIPESTATUS[0]}
if [ "$crash_status" -ne 0 ]; then rust_status=$crash_status; fi
set -e
counts=$(awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i) ~ /^passed;?$/) p += $(i-1); if ($(i) ~ /^failed;?$/) f += $(i-1) } } END { printf "%d %d", p, f }' "$work/rust.log")
summary=("rust: ${counts% *} passed, ${counts#* } failed")
total_passed=${counts% *}
total_failed=${counts#* }
overall=$rust_status

# One mock for the binding suites; each suite prefixes its ids so they can share it.
cargo build --quiet -p appsync-cli
mkdir -p "$work/mock"
target/debug/appsync mock --port 0 --out-dir "$work/mock" >"$work/mock.log" 2>&1 &
mock_pid=$!
for _ in $(seq 1 100); do
  grep -q "Press Ctrl-C" "$work/mock.log" 2>/dev/null && break
  sleep 0.1
done
APPSYNC_MOCK_URL=$(awk '/GraphQL:/ { print $2; exit }' "$work/mock.log")
export APPSYNC_MOCK_URL
export APPSYNC_MOCK_DIR="$work/mock"
echo "== mock for the binding suites: $APPSYNC_MOCK_URL"

# Runs a suite whose last line is "<name>: N passed, N failed".
suite() {
  local name=$1
  shift
  echo "== $name"
  set +e
  "$@" 2>&1 | tee "$work/$name.log"
  local status=${PIPESTATUS[0]}
  set -e
  local line
  line=$(grep -E "^$name: [0-9]+ passed, [0-9]+ failed$" "$work/$name.log" | tail -1)
  if [ -z "$line" ]; then line="$name: 0 passed, 1 failed"; status=1; fi
  summary+=("$line")
  local p f
  p=$(sed -E 's/.*: ([0-9]+) passed.*/\1/' <<<"$line")
  f=$(sed -E 's/.* ([0-9]+) failed$/\1/' <<<"$line")
  total_passed=$((total_passed + p))
  total_failed=$((total_failed + f))
  if [ "$status" -ne 0 ]; then overall=1; fi
}

amplify_js() {
  (cd tests/amplify-js && APPSYNC_BIN="$PWD/../../target/debug/appsync" node --test --test-reporter=spec compat.test.mjs) 2>&1 | tee "$work/js-raw.log"
  local status=${PIPESTATUS[0]}
  local p f
  p=$(awk '/^ℹ pass / { print $3 }' "$work/js-raw.log")
  f=$(awk '/^ℹ fail / { print $3 }' "$work/js-raw.log")
  echo "amplify-js: ${p:-0} passed, ${f:-1} failed"
  return "$status"
}

suite amplify-js amplify_js
suite kotlin bash scripts/test-kotlin.sh
suite swift bash scripts/test-swift.sh
suite web bash scripts/test-web.sh

echo
grep -E "^outbox crash test:" "$work/rust.log" || echo "outbox crash test: no summary (see above)"
for line in "${summary[@]}"; do echo "$line"; done
echo "all: $total_passed passed, $total_failed failed"
exit "$overall"
