//! The normalized cache for hosts: client options (persistence on SQLite, namespace), fetch
//! policies, watched queries through a listener, and reads and writes of queries and fragments.

use crate::client::{to_core, AppSyncClient};
use crate::error::AppSyncException;
use crate::runtime;
use crate::types::{json_text, GraphQlRequest, GraphQlResponse};
use appsync_core as core;
use appsync_core::storage::{SqliteStore, Store, StoreHandle};
use std::sync::{Arc, Mutex};

/// Where query results come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum FetchPolicy {
    /// The cache when it holds the whole result, else the network.
    CacheFirst,
    /// The network, written to the cache; a watched query shows the cached result first.
    CacheAndNetwork,
    /// The network, written to the cache.
    NetworkOnly,
    /// The cache only; a miss is a GraphQL error of type `CacheMiss`.
    CacheOnly,
    /// The network, not written to the cache.
    NoCache,
}

impl From<FetchPolicy> for core::FetchPolicy {
    fn from(policy: FetchPolicy) -> Self {
        match policy {
            FetchPolicy::CacheFirst => core::FetchPolicy::CacheFirst,
            FetchPolicy::CacheAndNetwork => core::FetchPolicy::CacheAndNetwork,
            FetchPolicy::NetworkOnly => core::FetchPolicy::NetworkOnly,
            FetchPolicy::CacheOnly => core::FetchPolicy::CacheOnly,
            FetchPolicy::NoCache => core::FetchPolicy::NoCache,
        }
    }
}

/// Client settings that are not in the Amplify config.
#[derive(Debug, Clone, Default, uniffi::Record)]
pub struct ClientOptions {
    /// The SQLite file the cache persists in (created if missing). `None`: memory only.
    #[uniffi(default = None)]
    pub database_path: Option<String>,
    /// The namespace inside the database (Amplify's `keyPrefix`): clients with different
    /// prefixes never see each other's data. Default: the GraphQL endpoint.
    #[uniffi(default = None)]
    pub key_prefix: Option<String>,
    /// Keep the cache in memory only even when `database_path` is set, and send mutations at
    /// once instead of queuing them.
    #[uniffi(default = false)]
    pub disable_offline: bool,
    /// The outbox's first retry waits up to this long (doubling per attempt, full jitter).
    /// Default 500 ms.
    #[uniffi(default = None)]
    pub retry_base_ms: Option<u64>,
    /// The longest wait between retries. Default 60 s.
    #[uniffi(default = None)]
    pub retry_cap_ms: Option<u64>,
    /// Conflict retries a resolver gets before the mutation is parked. Default 10.
    #[uniffi(default = None)]
    pub max_conflict_retries: Option<u32>,
    /// How long the outbox's drain lease lasts without renewal: a crashed process's lease lapses
    /// after this long and another process sharing the database takes over. Default 5 s.
    #[uniffi(default = None)]
    pub lease_ttl_ms: Option<u64>,
}

impl ClientOptions {
    pub(crate) fn outbox_tuning(&self) -> core::outbox::OutboxTuning {
        core::outbox::OutboxTuning {
            retry_base_ms: self.retry_base_ms,
            retry_cap_ms: self.retry_cap_ms,
            max_conflict_retries: self.max_conflict_retries,
            lease_ttl_ms: self.lease_ttl_ms,
        }
    }
}

/// Receives a watched query's results, on a background thread.
#[uniffi::export(with_foreign)]
pub trait WatchListener: Send + Sync {
    /// The current result: first what the cache holds, then after every change to it.
    fn on_result(&self, response: GraphQlResponse);
    /// A failure of a network fetch: the watch stays open and keeps following the cache. (A
    /// cache that cannot be read at the start is reported here too, and ends the watch.)
    fn on_error(&self, error: AppSyncException);
}

/// Stops a watched query. Released handles stop too.
#[derive(Debug, uniffi::Object)]
pub struct WatchHandle {
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

#[uniffi::export]
impl WatchHandle {
    pub fn cancel(&self) {
        if let Ok(mut task) = self.task.lock() {
            if let Some(task) = task.take() {
                task.abort();
            }
        }
    }
}

impl Drop for WatchHandle {
    fn drop(&mut self) {
        self.cancel();
    }
}

/// Deletes a database file (and its WAL) so the next client starts with an empty cache: the way
/// out of a corrupt store. Close every client using it first.
#[uniffi::export]
pub fn reset_database(path: String) -> Result<(), AppSyncException> {
    SqliteStore::reset(&path).map_err(|e| core::AppSyncError::Cache(e.into()).into())
}

pub(crate) fn core_options(
    options: &ClientOptions,
    config: &core::ClientConfig,
) -> core::ClientOptions {
    let mut out = core::ClientOptions::default();
    if let (Some(path), false) = (&options.database_path, options.disable_offline) {
        let path = path.clone();
        let namespace = options
            .key_prefix
            .clone()
            .unwrap_or_else(|| config.endpoint.clone());
        out.cache_store = Some(StoreHandle::opening(async move {
            let store: Arc<dyn Store> = Arc::new(SqliteStore::open(path, namespace).await?);
            Ok(store)
        }));
    }
    out
}

pub(crate) fn parse_json(text: &str, what: &str) -> Result<serde_json::Value, AppSyncException> {
    serde_json::from_str(text).map_err(|e| AppSyncException::InvalidDocument {
        detail: format!("{what} is not valid JSON: {e}"),
    })
}

pub(crate) fn parse_variables(
    text: Option<String>,
) -> Result<Option<serde_json::Value>, AppSyncException> {
    text.map(|t| parse_json(&t, "variables")).transpose()
}

pub(crate) fn cache_error(e: core::cache::CacheError) -> AppSyncException {
    core::AppSyncError::Cache(e).into()
}

/// Data that is not JSON is the same error as before the text path: nothing was written.
fn text_write_error(e: core::cache::TextWriteError) -> AppSyncException {
    match e {
        core::cache::TextWriteError::InvalidJson(detail) => AppSyncException::InvalidDocument {
            detail: format!("data is not valid JSON: {detail}"),
        },
        core::cache::TextWriteError::Cache(e) => cache_error(e),
    }
}

pub(crate) fn document_error(e: core::graphql::DocumentError) -> AppSyncException {
    core::AppSyncError::InvalidDocument(e).into()
}

/// The request's operation, parsed (a bad document is an `InvalidDocument` exception).
pub(crate) fn parse_operation(
    request: &GraphQlRequest,
) -> Result<core::graphql::Operation, AppSyncException> {
    core::graphql::Operation::parse(&request.document, request.operation_name.as_deref())
        .map_err(document_error)
}

#[uniffi::export]
impl AppSyncClient {
    /// Resolves when the cache's database is open; a corrupt file is an error here (see
    /// [`reset_database`]) and queries still reach the network.
    pub async fn hydrated(&self) -> Result<(), AppSyncException> {
        let client = self.inner.clone();
        runtime::run(async move { client.hydrated().await })
            .await
            .map_err(crate::client::internal)?
            .map_err(cache_error)
    }

    /// Watches a query: the cached result (when complete), the network's per the fetch policy,
    /// then a new result whenever a record it reads changes.
    pub fn watch_query(
        &self,
        request: GraphQlRequest,
        listener: Arc<dyn WatchListener>,
    ) -> Result<Arc<WatchHandle>, AppSyncException> {
        // Document errors are thrown here, not delivered later.
        parse_operation(&request)?;
        let request = to_core(request)?;
        let client = self.inner.clone();
        let task = runtime::spawn(async move {
            // Each result's data stays JSON text from the cache to the listener.
            let mut results = match client.watch_query_text(request).await {
                Ok(results) => results,
                Err(e) => return listener.on_error(e.into()),
            };
            use futures::StreamExt;
            while let Some(result) = results.next().await {
                match result {
                    Ok(response) => listener.on_result(response.into()),
                    Err(e) => listener.on_error(e.into()),
                }
            }
        })
        .map_err(crate::client::internal)?;
        Ok(Arc::new(WatchHandle {
            task: Mutex::new(Some(task)),
        }))
    }

    /// The query's data from the cache as JSON text, `None` when the cache lacks part of it.
    pub async fn read_query(
        &self,
        request: GraphQlRequest,
    ) -> Result<Option<String>, AppSyncException> {
        let operation = parse_operation(&request)?;
        let variables = parse_variables(request.variables_json)?;
        let cache = self.inner.cache().clone();
        // Written as JSON text straight from the records: no tree on the way.
        let read =
            runtime::run(
                async move { cache.read_query_text(&operation, variables.as_ref()).await },
            )
            .await
            .map_err(crate::client::internal)?
            .map_err(cache_error)?;
        Ok(read.data)
    }

    /// Writes `data_json` as the query's result (normalized, persisted, watches notified).
    /// Returns what did not match the document (stored as far as it was valid).
    pub async fn write_query(
        &self,
        request: GraphQlRequest,
        data_json: String,
    ) -> Result<Vec<String>, AppSyncException> {
        let operation = parse_operation(&request)?;
        let variables = parse_variables(request.variables_json)?;
        let cache = self.inner.cache().clone();
        // Normalized straight from the text: no tree of the result on the way.
        runtime::run(async move {
            cache
                .write_query_text(&operation, variables.as_ref(), &data_json)
                .await
        })
        .await
        .map_err(crate::client::internal)?
        .map_err(text_write_error)
    }

    /// Reads entity `key` (e.g. `Todo:1`) through a fragment document, as JSON text; `None`
    /// when the cache lacks part of it.
    pub async fn read_fragment(
        &self,
        document: String,
        key: String,
        fragment_name: Option<String>,
        variables_json: Option<String>,
    ) -> Result<Option<String>, AppSyncException> {
        let fragment = core::graphql::Fragment::parse(&document, fragment_name.as_deref())
            .map_err(document_error)?;
        let variables = parse_variables(variables_json)?;
        let cache = self.inner.cache().clone();
        let read = runtime::run(async move {
            cache
                .read_fragment_text(&fragment, &key, variables.as_ref())
                .await
        })
        .await
        .map_err(crate::client::internal)?
        .map_err(cache_error)?;
        Ok(read.data)
    }

    /// Writes `data_json` as the fields of entity `key` through a fragment document.
    pub async fn write_fragment(
        &self,
        document: String,
        key: String,
        data_json: String,
        fragment_name: Option<String>,
        variables_json: Option<String>,
    ) -> Result<Vec<String>, AppSyncException> {
        let fragment = core::graphql::Fragment::parse(&document, fragment_name.as_deref())
            .map_err(document_error)?;
        let variables = parse_variables(variables_json)?;
        let cache = self.inner.cache().clone();
        runtime::run(async move {
            cache
                .write_fragment_text(&fragment, &key, variables.as_ref(), &data_json)
                .await
        })
        .await
        .map_err(crate::client::internal)?
        .map_err(text_write_error)
    }

    /// Removes one record (e.g. `Todo:1`); queries reading it then miss.
    pub async fn evict(&self, key: String) -> Result<(), AppSyncException> {
        let cache = self.inner.cache().clone();
        runtime::run(async move { cache.evict(&key).await })
            .await
            .map_err(crate::client::internal)?
            .map_err(cache_error)
    }

    /// Drops the records no query reaches; returns their keys.
    pub async fn gc(&self) -> Result<Vec<String>, AppSyncException> {
        let cache = self.inner.cache().clone();
        runtime::run(async move { cache.gc().await })
            .await
            .map_err(crate::client::internal)?
            .map_err(cache_error)
    }

    /// Every record as one JSON object's text (for debugging or moving a cache).
    pub async fn extract(&self) -> Result<String, AppSyncException> {
        let cache = self.inner.cache().clone();
        runtime::run(async move { cache.extract().await })
            .await
            .map_err(crate::client::internal)?
            .map(|v| json_text(&v))
            .map_err(cache_error)
    }

    /// Replaces the cache's records with a snapshot from [`AppSyncClient::extract`].
    pub async fn restore(&self, snapshot_json: String) -> Result<(), AppSyncException> {
        let snapshot = parse_json(&snapshot_json, "the snapshot")?;
        let cache = self.inner.cache().clone();
        runtime::run(async move { cache.restore(&snapshot).await })
            .await
            .map_err(crate::client::internal)?
            .map_err(cache_error)
    }
}
