#!/usr/bin/env bash
# The Kotlin package: generate the UniFFI bindings from the built library, compile (warnings in
# our own Kotlin are errors; the generated file is exempt), run the JUnit suite against the mock
# (APPSYNC_MOCK_URL / APPSYNC_MOCK_DIR when scripts/test.sh started one), print the counts.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

cargo build --quiet -p appsync-ffi -p appsync-cli
rm -rf kotlin/target/generated-sources/uniffi
cargo run --quiet -p appsync-ffi --bin uniffi-bindgen -- generate \
  --library target/debug/libappsync_ffi.so --language kotlin --no-format \
  --out-dir kotlin/target/generated-sources/uniffi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
(cd kotlin && mvn -B --no-transfer-progress test) >"$log" 2>&1
status=$?
set -e
grep -E "Tests run:|FAIL|ERROR\]" "$log" | grep -v "^\[INFO\] *$" || true

# Compiler warnings in the layer we write fail the build (generated bindings aside).
if grep -E "^\[WARNING\] .*/kotlin/src/.*\.kt" "$log"; then
  echo "kotlin: compiler warnings in kotlin/src (listed above)"
  status=1
fi
if [ "$status" -ne 0 ]; then
  tail -60 "$log"
fi

summary=$(grep -E "^\[(INFO|ERROR|WARNING)\] Tests run: [0-9]+, Failures: [0-9]+, Errors: [0-9]+, Skipped: [0-9]+$" "$log" | tail -1 || true)
run=$(sed -E 's/.*Tests run: ([0-9]+).*/\1/' <<<"${summary:-Tests run: 0}")
failures=$(sed -E 's/.*Failures: ([0-9]+).*/\1/' <<<"${summary:-Failures: 0}")
errors=$(sed -E 's/.*Errors: ([0-9]+).*/\1/' <<<"${summary:-Errors: 0}")
failed=$((failures + errors))
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "kotlin: $((run - failures - errors)) passed, $failed failed"
exit "$status"
