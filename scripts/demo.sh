#!/usr/bin/env bash
# The main job: set up, then run `appsync demo` (the SDK end to end against an embedded mock).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
cargo run --quiet -p appsync-cli -- demo
