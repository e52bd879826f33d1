#!/usr/bin/env bash
# Installs what the project needs on a fresh Debian machine, idempotently (skips what is there).
# Today: the Rust toolchain's components and the wasm target. The binding suites (Kotlin, Swift,
# browser) add their toolchains here as they land.
set -euo pipefail

if ! command -v cargo >/dev/null 2>&1; then
  if [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
  else
    echo "setup: cargo is not installed; install Rust with rustup first (https://rustup.rs)" >&2
    exit 1
  fi
fi

if command -v rustup >/dev/null 2>&1; then
  installed_targets=$(rustup target list --installed)
  if ! grep -qx wasm32-unknown-unknown <<<"$installed_targets"; then
    echo "setup: adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
  installed_components=$(rustup component list --installed)
  for component in rustfmt clippy; do
    if ! grep -q "^${component}" <<<"$installed_components"; then
      echo "setup: adding the ${component} component"
      rustup component add "$component"
    fi
  done
fi

# Node packages of the Amplify JS compatibility suite (npm ci only when the lock file changed).
if command -v npm >/dev/null 2>&1; then
  js=tests/amplify-js
  if [ ! -f "$js/node_modules/.package-lock.json" ] || [ "$js/package-lock.json" -nt "$js/node_modules/.package-lock.json" ]; then
    echo "setup: installing the Amplify JS compatibility suite's packages"
    (cd "$js" && npm ci --no-audit --no-fund --loglevel=error)
  fi
else
  echo "setup: npm is not installed; the Amplify JS compatibility suite needs Node.js 20+" >&2
  exit 1
fi

# The Swift toolchain (a cached Debian trixie chroot; see scripts/setup-swift.sh).
bash "$(dirname "$0")/setup-swift.sh"

# The web package: Chromium, the wasm-bindgen CLI at the pinned version, npm packages.
bash "$(dirname "$0")/setup-web.sh"
