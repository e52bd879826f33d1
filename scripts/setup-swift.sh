#!/usr/bin/env bash
# The Swift toolchain, idempotently: Swift is not packaged for Debian bookworm, so Debian trixie's
# `swiftlang` (Swift 6, SwiftPM, XCTest) lives in a chroot cached outside the repository
# (APPSYNC_SWIFT_CHROOT, default /var/cache/appsync-rs/swift-trixie). Built once, reused after.
set -euo pipefail
chroot_dir=${APPSYNC_SWIFT_CHROOT:-/var/cache/appsync-rs/swift-trixie}

# Runs a command in the chroot with /proc mounted (Swift's binaries find their libraries through
# $ORIGIN, which glibc resolves via /proc/self/exe).
in_chroot() {
  local mounted_here=""
  if ! mountpoint -q "$chroot_dir/proc"; then
    mount -t proc proc "$chroot_dir/proc"
    mounted_here=1
  fi
  local status=0
  chroot "$chroot_dir" "$@" || status=$?
  if [ -n "$mounted_here" ]; then umount "$chroot_dir/proc" || umount -l "$chroot_dir/proc" || true; fi
  return "$status"
}

if [ -x "$chroot_dir/usr/libexec/swift/bin/swift-driver" ]; then
  # C headers (the FFI module's header includes stdint.h); older chroots lacked them.
  if [ ! -f "$chroot_dir/usr/include/stdio.h" ]; then
    echo "setup-swift: adding libc6-dev to the chroot"
    in_chroot apt-get install -y -qq libc6-dev >/dev/null
  fi
  exit 0
fi
if ! command -v debootstrap >/dev/null 2>&1; then
  echo "setup-swift: installing debootstrap"
  apt-get update -qq
  apt-get install -y -qq debootstrap >/dev/null
fi
# The Debian mirror apt already uses (deb822 sources or a classic sources.list).
mirror=$(grep -hsE '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' | grep -v security | head -1)
if [ -z "$mirror" ]; then
  mirror=$(grep -hsE '^deb ' /etc/apt/sources.list | awk '{print $2}' | grep -v security | head -1)
fi
mirror=${mirror:-http://deb.debian.org/debian}
echo "setup-swift: debootstrap trixie with swiftlang from $mirror into $chroot_dir (about a minute)"
rm -rf "$chroot_dir.partial"
mkdir -p "$(dirname "$chroot_dir")"
debootstrap --variant=minbase --include=swiftlang,libc6-dev trixie "$chroot_dir.partial" "$mirror" >"$chroot_dir.log" 2>&1 || {
  tail -20 "$chroot_dir.log"
  exit 1
}
mv "$chroot_dir.partial" "$chroot_dir"
in_chroot swift --version
