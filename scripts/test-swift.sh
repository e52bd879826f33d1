#!/usr/bin/env bash
# The Swift package: generate the UniFFI bindings from the built library, then build and run the
# XCTest suite with Swift from the cached trixie chroot (scripts/setup-swift.sh), linked against
# the host-built libappsync_ffi.so, against the mock scripts/test.sh started (APPSYNC_MOCK_URL,
# APPSYNC_MOCK_DIR). Warnings in the Swift layer are errors (the generated target is exempt).
# Prints "swift: N passed, N failed" last.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
export PATH="$HOME/.cargo/bin:$PATH"
chroot_dir=${APPSYNC_SWIFT_CHROOT:-/var/cache/appsync-rs/swift-trixie}
bash scripts/setup-swift.sh

cargo build --quiet -p appsync-ffi -p appsync-cli
gen=$(mktemp -d)
cargo run --quiet -p appsync-ffi --bin uniffi-bindgen -- generate \
  --library target/debug/libappsync_ffi.so --language swift --no-format --out-dir "$gen" >/dev/null
mkdir -p swift/Sources/AppSyncFFI swift/Sources/AppSyncFFIC
cp "$gen/AppSyncFFI.swift" swift/Sources/AppSyncFFI/AppSyncFFI.swift
cp "$gen/AppSyncFFIC.h" swift/Sources/AppSyncFFIC/AppSyncFFIC.h
rm -rf "$gen"

mock_pid=""
mounted=()
cleanup() {
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount "${mounted[$i]}" 2>/dev/null || umount -l "${mounted[$i]}" 2>/dev/null || true; done
  if [ -n "$mock_pid" ]; then kill "$mock_pid" 2>/dev/null || true; fi
}
trap cleanup EXIT
mount_once() { # mount_once <target> <mount args...>
  local target=$1
  shift
  mkdir -p "$target"
  if ! mountpoint -q "$target"; then
    mount "$@" "$target"
    mounted+=("$target")
  fi
}

if [ -z "${APPSYNC_MOCK_URL:-}" ]; then
  APPSYNC_MOCK_DIR=$(mktemp -d)
  target/debug/appsync mock --port 0 --out-dir "$APPSYNC_MOCK_DIR" >"$APPSYNC_MOCK_DIR/mock.log" 2>&1 &
  mock_pid=$!
  for _ in $(seq 1 100); do grep -q "Press Ctrl-C" "$APPSYNC_MOCK_DIR/mock.log" 2>/dev/null && break; sleep 0.1; done
  APPSYNC_MOCK_URL=$(awk '/GraphQL:/ { print $2; exit }' "$APPSYNC_MOCK_DIR/mock.log")
fi

mount_once "$chroot_dir/proc" -t proc proc
mount_once "$chroot_dir/dev" --bind /dev
mount_once "$chroot_dir/repo" --bind "$repo"
mount_once "$chroot_dir/mock" --bind "$APPSYNC_MOCK_DIR"

log=$(mktemp)
set +e
chroot "$chroot_dir" env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
  APPSYNC_MOCK_URL="$APPSYNC_MOCK_URL" APPSYNC_MOCK_DIR=/mock LD_LIBRARY_PATH=/repo/target/debug \
  bash -c 'cd /repo/swift && swift build --build-tests -Xlinker -L/repo/target/debug 2>&1 && swift test --skip-build 2>&1' >"$log" 2>&1
status=$?
set -e
grep -E "Test Case .*(passed|failed)|error:|warning:|Executed" "$log" | grep -v "^\s*$" | tail -40 || true

if grep -E "^/repo/swift/Sources/AppSync/.*(warning|error):" "$log" >/dev/null; then
  echo "swift: warnings or errors in Sources/AppSync (listed above)"
  status=1
fi
passed=$(grep -cE "Test Case .* passed" "$log" || true)
failed=$(grep -cE "Test Case .* failed" "$log" || true)
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  tail -40 "$log"
  failed=1
fi
rm -f "$log"
echo "swift: $passed passed, $failed failed"
exit "$status"
