//! The live cache: records in memory (loaded lazily from the store, so opening a large cache
//! parses nothing up front), optimistic layers on top, every base write persisted through the
//! [`Store`], and watches that re-run only when a record they read changes.

use super::keys::KeyConfig;
use super::normalize::{normalize, normalize_fragment, Normalized};
use super::read::{read, read_fragment, ReadResult, RecordSource};
use super::{as_reference, Record};
use crate::graphql::{Fragment, Operation};
use crate::storage::{Change, Store, StoreError, StoreHandle};
use futures::channel::mpsc;
use serde_json::Value;
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

/// Record keys in the store are prefixed so the cache never collides with other record users.
const PREFIX: &str = "cache:";

/// An optimistic layer: fields written on top of the base, removed as a whole.
#[derive(Debug, Default)]
struct Layer {
    id: String,
    records: HashMap<String, Record>,
}

#[derive(Debug, Default)]
struct State {
    base: HashMap<String, Record>,
    /// Keys the store was asked for and does not have.
    absent: HashSet<String>,
    layers: Vec<Layer>,
    /// Every record is in memory (after extract / gc / restore).
    fully_loaded: bool,
}

/// Base records with the optimistic layers' fields on top.
struct View<'s>(&'s State);

impl RecordSource for View<'_> {
    fn record(&self, key: &str) -> Option<Cow<'_, Record>> {
        let base = self.0.base.get(key);
        let mut layered = self
            .0
            .layers
            .iter()
            .filter_map(|l| l.records.get(key))
            .peekable();
        if layered.peek().is_none() {
            return base.map(Cow::Borrowed);
        }
        let mut merged = base.cloned().unwrap_or_default();
        for fields in layered {
            merged.extend(fields.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        Some(Cow::Owned(merged))
    }
}

struct Watch {
    id: u64,
    operation: Arc<Operation>,
    variables: Option<Value>,
    dependencies: BTreeSet<String>,
    last: Option<Value>,
    sender: mpsc::UnboundedSender<ReadResult>,
}

/// A normalized cache.
pub struct Cache {
    keys: KeyConfig,
    store: Option<StoreHandle>,
    state: Mutex<State>,
    watches: Mutex<Vec<Watch>>,
    next_watch: std::sync::atomic::AtomicU64,
}

impl std::fmt::Debug for Cache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cache")
            .field("keys", &self.keys)
            .field("persistent", &self.store.is_some())
            .finish_non_exhaustive()
    }
}

/// A cache failure: the store failed, or a stored record is not JSON.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CacheError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cached record `{key}` is damaged: {message}")]
    Damaged { key: String, message: String },
}

fn encode(record: &Record) -> Vec<u8> {
    serde_json::to_vec(record).unwrap_or_default()
}

impl Cache {
    /// A cache persisted in `store` (open or still opening), or in memory only when `store` is
    /// `None` (`disableOffline`).
    pub fn new(keys: KeyConfig, store: Option<StoreHandle>) -> Cache {
        Cache {
            keys,
            store,
            state: Mutex::default(),
            watches: Mutex::default(),
            next_watch: Default::default(),
        }
    }

    /// Resolves when the store is open (at once without one); a store that cannot open is a
    /// typed error here and on every later read or write, never a crash.
    pub async fn hydrated(&self) -> Result<(), CacheError> {
        self.store().await.map(|_| ())
    }

    /// The open store, if the cache persists.
    async fn store(&self) -> Result<Option<Arc<dyn Store>>, CacheError> {
        match &self.store {
            None => Ok(None),
            Some(handle) => Ok(Some(handle.get().await?)),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A poisoned lock means a panic elsewhere mid-update; the data is still the best we have.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Loads `keys` the memory does not know yet from the store.
    async fn load(&self, keys: Vec<String>) -> Result<(), CacheError> {
        if keys.is_empty() {
            return Ok(());
        }
        let Some(store) = self.store().await? else {
            return Ok(());
        };
        let values = store
            .get_records(keys.iter().map(|k| format!("{PREFIX}{k}")).collect())
            .await?;
        let mut state = self.state();
        for (key, value) in keys.into_iter().zip(values) {
            match value {
                Some(bytes) => {
                    let record: Record =
                        serde_json::from_slice(&bytes).map_err(|e| CacheError::Damaged {
                            key: key.clone(),
                            message: e.to_string(),
                        })?;
                    state.base.entry(key).or_insert(record);
                }
                None => {
                    state.absent.insert(key);
                }
            }
        }
        Ok(())
    }

    fn unknown(state: &State, dependencies: &BTreeSet<String>) -> Vec<String> {
        if state.fully_loaded {
            return Vec::new();
        }
        dependencies
            .iter()
            .filter(|k| !state.base.contains_key(*k) && !state.absent.contains(*k))
            .cloned()
            .collect()
    }

    /// Reads `operation` from the cache (optimistic layers included), loading what it needs.
    pub async fn read_query(
        &self,
        operation: &Operation,
        variables: Option<&Value>,
    ) -> Result<ReadResult, CacheError> {
        self.read_loaded(|source| read(operation, variables, source, &self.keys))
            .await
    }

    /// Reads entity `key` (e.g. `Todo:1`) through `fragment`.
    pub async fn read_fragment(
        &self,
        fragment: &Fragment,
        key: &str,
        variables: Option<&Value>,
    ) -> Result<ReadResult, CacheError> {
        self.read_loaded(|source| read_fragment(fragment, key, variables, source))
            .await
    }

    /// Runs `reading` until every record it reached is in memory: each round loads what the last
    /// one reached but memory lacked (the document's depth bounds the rounds).
    async fn read_loaded(
        &self,
        reading: impl Fn(&View<'_>) -> ReadResult,
    ) -> Result<ReadResult, CacheError> {
        for _ in 0..128 {
            let (result, unknown) = {
                let state = self.state();
                let result = reading(&View(&state));
                let unknown = Self::unknown(&state, &result.dependencies);
                (result, unknown)
            };
            if unknown.is_empty() || self.store.is_none() {
                return Ok(result);
            }
            self.load(unknown).await?;
        }
        let state = self.state();
        Ok(reading(&View(&state)))
    }

    /// Writes `data` as the fields of entity `key` through `fragment` (persisted; watches re-run).
    pub async fn write_fragment(
        &self,
        fragment: &Fragment,
        key: &str,
        variables: Option<&Value>,
        data: &Value,
    ) -> Result<Vec<String>, CacheError> {
        self.write_normalized(normalize_fragment(
            fragment, key, variables, data, &self.keys,
        ))
        .await
    }

    pub async fn write_query(
        &self,
        operation: &Operation,
        variables: Option<&Value>,
        data: &Value,
    ) -> Result<Vec<String>, CacheError> {
        self.write_normalized(normalize(operation, variables, data, &self.keys))
            .await
    }

    async fn write_normalized(&self, normalized: Normalized) -> Result<Vec<String>, CacheError> {
        let Normalized { records, warnings } = normalized;
        let changed: BTreeSet<String> = records.keys().cloned().collect();
        // Merging needs the stored records (fields not in this result are kept).
        let missing = { Self::unknown(&self.state(), &changed) };
        self.load(missing).await?;
        let changes = {
            let mut state = self.state();
            let mut changes = Vec::with_capacity(records.len());
            for (key, fields) in records {
                state.absent.remove(&key);
                let record = state.base.entry(key.clone()).or_default();
                record.extend(fields);
                changes.push(Change::PutRecord {
                    key: format!("{PREFIX}{key}"),
                    value: encode(record),
                });
            }
            changes
        };
        if let Some(store) = self.store().await? {
            store.apply(changes).await?;
        }
        self.notify(&changed).await;
        Ok(warnings)
    }

    /// Writes a result as optimistic layer `layer_id` (not persisted): reads see it on top of
    /// the base until [`Cache::remove_layer`].
    pub async fn write_optimistic(
        &self,
        layer_id: &str,
        operation: &Operation,
        variables: Option<&Value>,
        data: &Value,
    ) -> Vec<String> {
        let Normalized { records, warnings } = normalize(operation, variables, data, &self.keys);
        let changed: BTreeSet<String> = records.keys().cloned().collect();
        {
            let mut state = self.state();
            let index = match state.layers.iter().position(|l| l.id == layer_id) {
                Some(i) => i,
                None => {
                    state.layers.push(Layer {
                        id: layer_id.to_owned(),
                        records: HashMap::new(),
                    });
                    state.layers.len() - 1
                }
            };
            for (key, fields) in records {
                state.layers[index]
                    .records
                    .entry(key)
                    .or_default()
                    .extend(fields);
            }
        }
        self.notify(&changed).await;
        warnings
    }

    /// Rolls back an optimistic layer.
    pub async fn remove_layer(&self, layer_id: &str) {
        let changed: BTreeSet<String> = {
            let mut state = self.state();
            let Some(index) = state.layers.iter().position(|l| l.id == layer_id) else {
                return;
            };
            state.layers.remove(index).records.into_keys().collect()
        };
        self.notify(&changed).await;
    }

    /// Removes one record (references to it then read as missing).
    pub async fn evict(&self, key: &str) -> Result<(), CacheError> {
        {
            let mut state = self.state();
            state.base.remove(key);
            state.absent.insert(key.to_owned());
        }
        if let Some(store) = self.store().await? {
            store
                .apply(vec![Change::DeleteRecord {
                    key: format!("{PREFIX}{key}"),
                }])
                .await?;
        }
        self.notify(&BTreeSet::from([key.to_owned()])).await;
        Ok(())
    }

    /// Loads every stored record into memory.
    async fn load_all(&self) -> Result<(), CacheError> {
        if let Some(store) = self.store().await? {
            if !self.state().fully_loaded {
                let keys: Vec<String> = store
                    .record_keys()
                    .await?
                    .into_iter()
                    .filter_map(|k| k.strip_prefix(PREFIX).map(str::to_owned))
                    .collect();
                self.load(keys).await?;
            }
        }
        self.state().fully_loaded = true;
        Ok(())
    }

    /// Drops every record no root reaches; returns the removed keys.
    pub async fn gc(&self) -> Result<Vec<String>, CacheError> {
        self.load_all().await?;
        let removed: Vec<String> = {
            let mut state = self.state();
            let mut reachable = HashSet::new();
            let mut pending: Vec<String> = ["ROOT_QUERY", "ROOT_MUTATION", "ROOT_SUBSCRIPTION"]
                .map(String::from)
                .to_vec();
            for layer in &state.layers {
                pending.extend(layer.records.keys().cloned());
            }
            while let Some(key) = pending.pop() {
                if !reachable.insert(key.clone()) {
                    continue;
                }
                if let Some(record) = state.base.get(&key) {
                    collect_references(&Value::Object(record.clone()), &mut pending);
                }
            }
            let removed: Vec<String> = state
                .base
                .keys()
                .filter(|k| !reachable.contains(*k))
                .cloned()
                .collect();
            for key in &removed {
                state.base.remove(key);
            }
            removed
        };
        if let Some(store) = self.store().await? {
            store
                .apply(
                    removed
                        .iter()
                        .map(|k| Change::DeleteRecord {
                            key: format!("{PREFIX}{k}"),
                        })
                        .collect(),
                )
                .await?;
        }
        Ok(removed)
    }

    /// Every base record, as one JSON object (for debugging, SSR hand-off or backups).
    pub async fn extract(&self) -> Result<Value, CacheError> {
        self.load_all().await?;
        let state = self.state();
        let sorted: BTreeMap<&String, &Record> = state.base.iter().collect();
        Ok(Value::Object(
            sorted
                .into_iter()
                .map(|(k, v)| (k.clone(), Value::Object(v.clone())))
                .collect(),
        ))
    }

    /// Replaces the whole base with `snapshot` (an [`Cache::extract`] result).
    pub async fn restore(&self, snapshot: &Value) -> Result<(), CacheError> {
        let Value::Object(records) = snapshot else {
            return Err(CacheError::Damaged {
                key: "<snapshot>".into(),
                message: "not a JSON object".into(),
            });
        };
        let mut base = HashMap::new();
        for (key, value) in records {
            match value {
                Value::Object(record) => {
                    base.insert(key.clone(), record.clone());
                }
                _ => {
                    return Err(CacheError::Damaged {
                        key: key.clone(),
                        message: "not a JSON object".into(),
                    })
                }
            }
        }
        self.load_all().await?;
        let old: Vec<String> = self.state().base.keys().cloned().collect();
        let mut changes: Vec<Change> = old
            .iter()
            .map(|k| Change::DeleteRecord {
                key: format!("{PREFIX}{k}"),
            })
            .collect();
        changes.extend(base.iter().map(|(k, r)| Change::PutRecord {
            key: format!("{PREFIX}{k}"),
            value: encode(r),
        }));
        if let Some(store) = self.store().await? {
            store.apply(changes).await?;
        }
        let changed: BTreeSet<String> = old.into_iter().chain(base.keys().cloned()).collect();
        {
            let mut state = self.state();
            state.base = base;
            state.absent.clear();
            state.fully_loaded = true;
        }
        self.notify(&changed).await;
        Ok(())
    }

    /// Watches a query: the current result now, and again whenever a record it read changes
    /// (an unrelated write costs a set lookup, not a read).
    pub async fn watch_query(
        &self,
        operation: Arc<Operation>,
        variables: Option<Value>,
    ) -> Result<mpsc::UnboundedReceiver<ReadResult>, CacheError> {
        let first = self.read_query(&operation, variables.as_ref()).await?;
        let (sender, receiver) = mpsc::unbounded();
        let _ = sender.unbounded_send(first.clone());
        let id = self
            .next_watch
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.lock_watches().push(Watch {
            id,
            operation,
            variables,
            dependencies: first.dependencies,
            last: Some(first.partial),
            sender,
        });
        Ok(receiver)
    }

    fn lock_watches(&self) -> MutexGuard<'_, Vec<Watch>> {
        self.watches.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Re-reads the watches that depend on `changed` and emits the ones whose result changed.
    async fn notify(&self, changed: &BTreeSet<String>) {
        let affected: Vec<(u64, Arc<Operation>, Option<Value>)> = {
            let mut watches = self.lock_watches();
            watches.retain(|w| !w.sender.is_closed());
            watches
                .iter()
                .filter(|w| w.dependencies.iter().any(|d| changed.contains(d)))
                .map(|w| (w.id, w.operation.clone(), w.variables.clone()))
                .collect()
        };
        for (id, operation, variables) in affected {
            let Ok(result) = self.read_query(&operation, variables.as_ref()).await else {
                continue;
            };
            let mut watches = self.lock_watches();
            let Some(watch) = watches.iter_mut().find(|w| w.id == id) else {
                continue;
            };
            watch.dependencies = result.dependencies.clone();
            if watch.last.as_ref() != Some(&result.partial) {
                watch.last = Some(result.partial.clone());
                let _ = watch.sender.unbounded_send(result);
            }
        }
    }
}

fn collect_references(value: &Value, out: &mut Vec<String>) {
    if let Some(key) = as_reference(value) {
        out.push(key.to_owned());
        return;
    }
    match value {
        Value::Array(items) => items.iter().for_each(|v| collect_references(v, out)),
        Value::Object(map) => map.values().for_each(|v| collect_references(v, out)),
        _ => {}
    }
}
