//! The in-memory backend: a process-wide map of namespaces (clones share it, so "reopening" a
//! namespace sees its data). Used when offline persistence is off, and in tests.

use super::batch::{check_expected, check_outbox};
use super::{Change, OutboxEntry, Store, StoreError};
use crate::runtime::BoxFuture;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

#[derive(Debug, Default, Clone)]
struct Namespace {
    records: BTreeMap<String, Vec<u8>>,
    outbox: BTreeMap<u64, (String, Vec<u8>)>,
    seq_of: HashMap<String, u64>,
    next_seq: u64,
    meta: BTreeMap<String, Vec<u8>>,
}

/// A store in memory; `namespace` gives another namespace of the same backend.
#[derive(Debug, Clone)]
pub struct MemoryStore {
    backend: Arc<Mutex<HashMap<String, Namespace>>>,
    ns: String,
}

fn poisoned() -> StoreError {
    StoreError::Io("the memory store's lock is poisoned".into())
}

impl MemoryStore {
    /// A new, empty backend, opened at `namespace`.
    pub fn new(namespace: impl Into<String>) -> Self {
        MemoryStore {
            backend: Arc::default(),
            ns: namespace.into(),
        }
    }

    /// The same backend at another namespace.
    pub fn namespace(&self, namespace: impl Into<String>) -> Self {
        MemoryStore {
            backend: self.backend.clone(),
            ns: namespace.into(),
        }
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&mut Namespace) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut backend = self.backend.lock().map_err(|_| poisoned())?;
        f(backend.entry(self.ns.clone()).or_default())
    }
}

impl Store for MemoryStore {
    fn get_records(
        &self,
        keys: Vec<String>,
    ) -> BoxFuture<'_, Result<Vec<Option<Vec<u8>>>, StoreError>> {
        Box::pin(async move {
            self.with(|ns| Ok(keys.iter().map(|k| ns.records.get(k).cloned()).collect()))
        })
    }

    fn record_keys(&self) -> BoxFuture<'_, Result<Vec<String>, StoreError>> {
        Box::pin(async move { self.with(|ns| Ok(ns.records.keys().cloned().collect())) })
    }

    fn outbox(&self) -> BoxFuture<'_, Result<Vec<OutboxEntry>, StoreError>> {
        Box::pin(async move {
            self.with(|ns| {
                Ok(ns
                    .outbox
                    .iter()
                    .map(|(seq, (id, payload))| OutboxEntry {
                        seq: *seq,
                        id: id.clone(),
                        payload: payload.clone(),
                    })
                    .collect())
            })
        })
    }

    fn get_meta(&self, key: String) -> BoxFuture<'_, Result<Option<Vec<u8>>, StoreError>> {
        Box::pin(async move { self.with(|ns| Ok(ns.meta.get(&key).cloned())) })
    }

    fn apply(&self, changes: Vec<Change>) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async move {
            self.with(|ns| {
                check_expected(&changes, |key| Ok(ns.meta.get(key).cloned()))?;
                check_outbox(&changes, |id| ns.seq_of.contains_key(id))?;
                for change in changes {
                    match change {
                        Change::PutRecord { key, value } => {
                            ns.records.insert(key, value);
                        }
                        Change::DeleteRecord { key } => {
                            ns.records.remove(&key);
                        }
                        Change::OutboxPush { id, payload } => {
                            ns.next_seq += 1;
                            ns.seq_of.insert(id.clone(), ns.next_seq);
                            ns.outbox.insert(ns.next_seq, (id, payload));
                        }
                        Change::OutboxUpdate { id, payload } => {
                            if let Some(seq) = ns.seq_of.get(&id) {
                                ns.outbox.insert(*seq, (id, payload));
                            }
                        }
                        Change::OutboxRemove { id } => {
                            if let Some(seq) = ns.seq_of.remove(&id) {
                                ns.outbox.remove(&seq);
                            }
                        }
                        Change::PutMeta { key, value } => {
                            ns.meta.insert(key, value);
                        }
                        Change::DeleteMeta { key } => {
                            ns.meta.remove(&key);
                        }
                        Change::ExpectMeta { .. } => {}
                    }
                }
                Ok(())
            })
        })
    }

    fn clear(&self) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async move {
            let mut backend = self.backend.lock().map_err(|_| poisoned())?;
            backend.remove(&self.ns);
            Ok(())
        })
    }
}
