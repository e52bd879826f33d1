//! # appsync-wasm
//!
//! The browser binding of `appsync-core`: wasm-bindgen exports that the `@appsync-rs/client`
//! TypeScript layer wraps. It only translates: JS values to core requests and credentials, core
//! results, errors and events to JS values, and the browser's `WebSocket` to the core's
//! `WsConnector`. The conversions are plain Rust (unit-tested natively); the JS-facing modules
//! exist only in the wasm build, where JS values are not `Send`.
#![doc = include_str!("../README.md")]
// On wasm nothing is `Send` (one thread); the core's `Arc`-based provider slots take JS values.
#![cfg_attr(target_family = "wasm", allow(clippy::arc_with_non_send_sync))]

pub mod credentials;
mod describe;
pub mod encode;
pub mod request;

#[cfg(all(target_family = "wasm", feature = "alloc-stats"))]
mod alloc_stats;
#[cfg(all(target_family = "wasm", feature = "offline"))]
mod cache;
#[cfg(target_family = "wasm")]
mod client;
#[cfg(all(target_family = "wasm", feature = "conformance"))]
mod conformance;
#[cfg(target_family = "wasm")]
mod fetch;
#[cfg(target_family = "wasm")]
mod js;
#[cfg(all(target_family = "wasm", feature = "offline"))]
mod outbox;
#[cfg(target_family = "wasm")]
mod providers;
#[cfg(all(target_family = "wasm", feature = "offline"))]
mod store;
#[cfg(target_family = "wasm")]
mod websocket;

#[cfg(target_family = "wasm")]
pub use client::{WasmClient, WasmSubscription};
#[cfg(target_family = "wasm")]
pub use fetch::FetchTransport;
#[cfg(all(target_family = "wasm", feature = "offline"))]
pub use store::IndexedDbStore;
#[cfg(target_family = "wasm")]
pub use websocket::BrowserWebSocketConnector;
