//! Persistence for one client, behind one small trait: typed reads, plus [`Store::apply`], which
//! writes a batch of [`Change`]s in one transaction (all or nothing). Every client has its own
//! namespace (its `keyPrefix`): two clients never see each other's data, and `clear` removes one
//! client's data only. No transaction spans network I/O: callers read, talk to the network, then
//! apply.
//!
//! It serves three users, designed together:
//! - the normalized cache: records by key (`get_records` / `PutRecord` / `DeleteRecord`);
//! - the outbox: an ordered durable queue (`outbox` / `OutboxPush` / `OutboxUpdate` /
//!   `OutboxRemove`), its order fixed by a store-assigned sequence number;
//! - small metadata (sync watermarks, leases, schema markers): `get_meta` / `PutMeta`.
//!
//! DataStore's model documents will join as a fourth table family (collections of documents with
//! indexed fields, queried by predicate, sort and page) through the same `apply`, so one
//! transaction can touch a model, the cache and the outbox at once.
//!
//! Backends: [`MemoryStore`] everywhere, [`SqliteStore`] natively (rusqlite, bundled SQLite, WAL,
//! on its own threads so no async thread blocks); in browsers the web package's `IndexedDbStore`
//! (appsync-wasm, with its IndexedDB side in TypeScript: one readwrite transaction per batch).
//! [`conformance`] is the one suite every backend passes.

mod batch;
pub mod conformance;
mod memory;
mod migrations;
#[cfg(not(target_family = "wasm"))]
mod sqlite;

pub use memory::MemoryStore;
pub use migrations::{SCHEMA_VERSION, SQLITE_MIGRATIONS};
#[cfg(not(target_family = "wasm"))]
pub use sqlite::SqliteStore;

use crate::runtime::{BoxFuture, SendOutsideWasm, SendSyncOutsideWasm};
use std::sync::Arc;

/// One queued entry of the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    /// Assigned by the store on push; entries come back in this order.
    pub seq: u64,
    /// The caller's id (the client mutation id); unique within a namespace.
    pub id: String,
    pub payload: Vec<u8>,
}

/// One write of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    PutRecord {
        key: String,
        value: Vec<u8>,
    },
    DeleteRecord {
        key: String,
    },
    /// Appends an entry; fails the batch if `id` is already queued.
    OutboxPush {
        id: String,
        payload: Vec<u8>,
    },
    /// Replaces a queued entry's payload in place (its position is kept); fails if absent.
    OutboxUpdate {
        id: String,
        payload: Vec<u8>,
    },
    /// Removes a queued entry; fails if absent.
    OutboxRemove {
        id: String,
    },
    PutMeta {
        key: String,
        value: Vec<u8>,
    },
    DeleteMeta {
        key: String,
    },
    /// Fails the batch with [`StoreError::Conflict`] unless meta `key` holds `value` (`None`:
    /// absent) before the batch: a compare-and-set when paired with a `PutMeta` of the same key
    /// (the outbox's drain lease). Every expectation is checked before anything is written, and
    /// the check and the writes are one transaction, also between processes.
    ExpectMeta {
        key: String,
        value: Option<Vec<u8>>,
    },
}

/// A store failure. The message never carries stored values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// A change of the batch cannot apply (duplicate or missing outbox id); nothing was written.
    #[error("the batch was not applied: {0}")]
    Conflict(String),
    /// The store file is damaged or not ours; [`SqliteStore::reset`] starts it over.
    #[error("the store is corrupt: {0}")]
    Corrupt(String),
    /// The store was written by a newer version of this SDK.
    #[error("the store has schema version {found}, newer than this SDK's {supported}")]
    TooNew { found: u32, supported: u32 },
    /// Any other I/O or database failure.
    #[error("store I/O failed: {0}")]
    Io(String),
}

/// Persistence for one client's namespace.
pub trait Store: SendSyncOutsideWasm {
    /// The values of `keys`, in order (`None` where absent).
    fn get_records(
        &self,
        keys: Vec<String>,
    ) -> BoxFuture<'_, Result<Vec<Option<Vec<u8>>>, StoreError>>;
    /// Every record key (for gc and extract).
    fn record_keys(&self) -> BoxFuture<'_, Result<Vec<String>, StoreError>>;
    /// The outbox in order.
    fn outbox(&self) -> BoxFuture<'_, Result<Vec<OutboxEntry>, StoreError>>;
    fn get_meta(&self, key: String) -> BoxFuture<'_, Result<Option<Vec<u8>>, StoreError>>;
    /// Applies every change in one transaction; on error nothing changed.
    fn apply(&self, changes: Vec<Change>) -> BoxFuture<'_, Result<(), StoreError>>;
    /// Removes everything of this namespace (other namespaces are untouched).
    fn clear(&self) -> BoxFuture<'_, Result<(), StoreError>>;
}

type Opening = futures::future::Shared<BoxFuture<'static, Result<Arc<dyn Store>, StoreError>>>;

/// A store that is open or still opening. Cheap to clone; every clone waits for the same open.
/// Clients take one so that they can be built synchronously while the store opens (an
/// IndexedDB open or a SQLite migration takes a while); the first read or write waits for it,
/// and `hydrated()` reports how the open went.
#[derive(Clone)]
pub struct StoreHandle(Opening);

impl StoreHandle {
    /// A store that is already open.
    pub fn ready(store: Arc<dyn Store>) -> StoreHandle {
        StoreHandle::opening(async move { Ok(store) })
    }

    /// A store being opened by `open`. It is polled by whoever waits first, so no runtime is
    /// needed to build the handle.
    pub fn opening(
        open: impl std::future::Future<Output = Result<Arc<dyn Store>, StoreError>>
            + SendOutsideWasm
            + 'static,
    ) -> StoreHandle {
        use futures::FutureExt;
        let boxed: BoxFuture<'static, Result<Arc<dyn Store>, StoreError>> = Box::pin(open);
        StoreHandle(boxed.shared())
    }

    /// The store, once open (the open's error, to every caller, if it failed).
    pub async fn get(&self) -> Result<Arc<dyn Store>, StoreError> {
        self.0.clone().await
    }
}

impl<S: Store + 'static> From<Arc<S>> for StoreHandle {
    fn from(store: Arc<S>) -> StoreHandle {
        StoreHandle::ready(store)
    }
}

impl std::fmt::Debug for StoreHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match self.0.peek() {
            None => "opening",
            Some(Ok(_)) => "open",
            Some(Err(_)) => "failed",
        };
        f.debug_tuple("StoreHandle").field(&state).finish()
    }
}
