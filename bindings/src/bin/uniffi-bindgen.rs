//! The UniFFI binding generator, built from the workspace so it always matches the library's
//! UniFFI version: `cargo run -p appsync-ffi --bin uniffi-bindgen -- generate --library …`.

fn main() {
    uniffi::uniffi_bindgen_main()
}
