#!/usr/bin/env bash
# Installs what the web package (wasm/) needs on a fresh Debian machine, idempotently: Debian's
# Chromium, the wasm32 target, the wasm-bindgen CLI at exactly the version the workspace pins,
# and the package's npm devDependencies (TypeScript, binaryen's wasm-opt, terser, playwright-core,
# which never downloads a browser: the suite drives /usr/bin/chromium). Debian's binaryen (108) is not
# used: its wasm-opt breaks wasm-bindgen's externref table.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

if [ ! -x /usr/bin/chromium ]; then
  echo "setup-web: installing chromium from Debian"
  as_root apt-get update
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
fi

if command -v rustup >/dev/null 2>&1 && ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  echo "setup-web: adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# The release build of the package uses a pinned nightly for `-Zbuild-std` (std rebuilt for size,
# panics as immediate aborts: no panic messages or formatting in the bundle). See build-web.sh.
nightly=$(cat wasm/nightly-toolchain)
if command -v rustup >/dev/null 2>&1; then
  if ! rustup toolchain list | grep -q "^$nightly"; then
    echo "setup-web: installing the $nightly toolchain (minimal, rust-src, wasm32 target)"
    rustup toolchain install "$nightly" --profile minimal --component rust-src --target wasm32-unknown-unknown
  fi
  if ! rustup component list --toolchain "$nightly" --installed | grep -q '^rust-src'; then
    rustup component add rust-src --toolchain "$nightly"
  fi
fi

# The CLI must match the `wasm-bindgen = "=x.y.z"` pin in Cargo.toml exactly.
version=$(sed -n 's/^wasm-bindgen = "=\([0-9.]*\)".*/\1/p' Cargo.toml)
if [ -z "$version" ]; then
  echo "setup-web: no exact wasm-bindgen pin found in Cargo.toml" >&2
  exit 1
fi
if [ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $version" ]; then
  echo "setup-web: installing wasm-bindgen-cli $version"
  # Its lock file can name a dependency version the registry no longer serves; then resolve anew
  # (the CLI's own version stays exact either way).
  if ! cargo install wasm-bindgen-cli --version "$version" --locked; then
    echo "setup-web: the locked install failed; installing wasm-bindgen-cli $version with fresh resolution"
    cargo install wasm-bindgen-cli --version "$version"
  fi
fi

# npm ci only when node_modules is missing or older than the lock file.
if [ ! -f wasm/node_modules/.package-lock.json ] || [ wasm/package-lock.json -nt wasm/node_modules/.package-lock.json ]; then
  echo "setup-web: installing the web package's npm devDependencies"
  (cd wasm && npm ci --no-audit --no-fund --loglevel=error)
fi
