//! # appsync-ffi
//!
//! UniFFI exports of `appsync-core` for Kotlin and Swift: newtypes and conversions only, no
//! behaviour of its own. JSON values cross as JSON text; host credentials come in through
//! foreign traits; subscription events go out through a listener. Every async call runs on a
//! tokio runtime this crate owns, so hosts need no Rust runtime of their own.
#![doc = include_str!("../README.md")]

mod cache;
mod client;
mod error;
mod outbox;
mod providers;
mod runtime;
mod types;

pub use cache::{reset_database, ClientOptions, FetchPolicy, WatchHandle, WatchListener};
pub use client::{AppSyncClient, SubscriptionHandle, SubscriptionListener};
pub use error::{AppSyncException, ProviderException};
pub use outbox::{
    ConflictHandler, ConflictInfo, ConflictResolution, MutationCache, MutationOutcome,
    MutationUpdate, OutboxEvent, OutboxListener, OutboxListenerHandle, ParkReason, ParkedInfo,
    PendingMutation, QueuedMutation,
};
pub use providers::{
    AuthProviders, AuthToken, AwsCredentials, CredentialsProvider, HeaderProvider, TokenProvider,
};
pub use types::*;

uniffi::setup_scaffolding!();
