//! # appsync-core
//!
//! The platform-neutral core of the offline-first AWS AppSync client: configuration, auth for
//! every AppSync mode, GraphQL documents and the HTTP client. Kotlin, Swift and web bindings are
//! thin layers over this crate.
#![doc = include_str!("../README.md")]
// On wasm nothing is `Send` (one thread); the same `Arc`-based types serve both targets.
#![cfg_attr(target_family = "wasm", allow(clippy::arc_with_non_send_sync))]
// The web package is built for size (opt-level "z"), which keeps even the smallest helpers out
// of line. Its build (scripts/wasm-entry.sh, on the pinned nightly) sets `size_build`, and then
// every function of the cache's read and write paths (`cache::read`, `cache::normalize`,
// `cache::records`, `cache::selection`, `cache::symset`, `cache::hash`) asks to be optimized for
// speed instead: in the benchmarks, a fifth to a quarter off the web write and first read for
// about 2% more gzip (the root README's benchmarks). Native builds never set it.
#![cfg_attr(all(size_build, feature = "offline"), feature(optimize_attribute))]

pub mod auth;
mod base64;
#[cfg(feature = "offline")]
pub mod cache;
pub mod client;
pub mod config;
pub mod error;
pub mod graphql;
mod http_date;
mod log;
#[cfg(feature = "offline")]
pub mod outbox;
pub mod realtime;
pub mod request;
pub mod response;
pub mod runtime;
#[cfg(feature = "offline")]
pub mod storage;
pub mod transport;
pub mod url;

/// A JSON value's compact text, the same as its `Display`, through the serializer the rest of the
/// crate uses (which keeps `Display`'s second, pretty-printing path out of the web build).
pub(crate) fn json_text(value: &serde_json::Value) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

pub use auth::{AuthMode, AuthProviders, AuthToken, AwsCredentials, ProviderError};
#[cfg(feature = "offline")]
pub use client::WatchFetch;
pub use client::{AppSyncClient, ClientOptions};
pub use config::{ClientConfig, ConfigError};
pub use error::AppSyncError;
pub use realtime::{
    ConnectionState, RealtimeOptions, Subscription, SubscriptionEvent, SubscriptionHandle,
};
pub use request::{ErrorPolicy, FetchPolicy, GraphQLRequest};
pub use response::{ErrorLocation, GraphQLError, GraphQLResponse, TextResponse};
