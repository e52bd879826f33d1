# Sourced by scripts/build-web.sh and wasm/bench/build-speed.sh (not run on its own): how one
# wasm module of the web package is built, so the bench's variant builds differ from the package
# in optimization only.
#
#   wasm_entry <size|speed|all-z> <cargo target dir> <out dir> [cargo feature args...]
#
# Builds the Rust crate for wasm32 with profile release-wasm on the pinned nightly
# (wasm/nightly-toolchain) with std rebuilt (`-Zbuild-std`), `panic=immediate-abort` (a panic
# traps without formatting a message; the bindings never panic by design, see the lints), which
# takes about a sixth off the bundle, and `-Zlocation-detail=none` (no file names and lines kept
# for panic locations, which nothing reports); binds it with the wasm-bindgen CLI (exactly the
# pinned version) into <out dir>; then runs wasm-opt (binaryen from the package's
# devDependencies). `size` (the package): the profile's opt-level "z", std's
# `optimize_for_size`, `wasm-opt -Oz --converge` (the passes repeated while they still shrink
# the module), and `--cfg size_build`, under which the cache's hot paths ask to be optimized for
# speed (`#[optimize(speed)]`, see core's lib.rs). `speed`: opt-level 3 (`cargo --config`;
# Cargo.toml is not changed), std as it is, `wasm-opt -O3`. `all-z`: `size` without
# `size_build`, every function for size (the package before session 14). Run from the
# repository root.
wasm_entry() {
  local goal=$1 target=$2 out=$3
  shift 3
  local nightly std_features opt_level wasm_opt cfg
  nightly=$(cat wasm/nightly-toolchain)
  case "$goal" in
    size) std_features=(-Z build-std-features=optimize_for_size); opt_level=(); wasm_opt=(-Oz --converge); cfg=--cfg=size_build ;;
    speed) std_features=(); opt_level=(--config 'profile.release-wasm.opt-level=3'); wasm_opt=(-O3); cfg= ;;
    all-z) std_features=(-Z build-std-features=optimize_for_size); opt_level=(); wasm_opt=(-Oz --converge); cfg= ;;
    *) echo "wasm_entry: size, speed or all-z, not $goal" >&2; return 2 ;;
  esac
  echo "== cargo +$nightly build -p appsync-wasm $* (wasm32-unknown-unknown, profile release-wasm, build-std, for $goal)"
  CARGO_TARGET_DIR="$target" RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none $cfg" \
    cargo "+$nightly" build -p appsync-wasm "$@" --target wasm32-unknown-unknown --profile release-wasm --quiet \
    "${opt_level[@]}" -Z build-std=std,panic_abort "${std_features[@]}"

  echo "== wasm-bindgen --target web ($out)"
  rm -rf "$out"
  wasm-bindgen --target web --out-dir "$out" "$target/wasm32-unknown-unknown/release-wasm/appsync_wasm.wasm"

  echo "== wasm-opt ${wasm_opt[*]} (binaryen from npm)"
  wasm/node_modules/.bin/wasm-opt "${wasm_opt[@]}" --strip-debug --strip-producers -o "$out/appsync_wasm_bg.wasm" "$out/appsync_wasm_bg.wasm"
}
