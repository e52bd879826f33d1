//! The IndexedDB backend (browsers): one database (named by the caller) with the object stores
//! `records`, `outbox` and `meta`, every key led by the namespace, created by numbered upgrade
//! steps that match SQLite's migrations (`schema`). `apply` is one readwrite transaction over the
//! three stores: it reads the outbox ids it touches, checks the batch against them, then issues
//! every write, and aborts on any failure, so nothing is written. Inside it nothing is awaited
//! but its own requests: IndexedDB commits a transaction as soon as the event loop idles with no
//! request of it pending. Reads use readonly transactions, which see whole batches only.

pub mod checks;
mod rows;
mod schema;
mod transaction;

use super::batch::{check_outbox, not_queued};
use super::{Change, OutboxEntry, Store, StoreError, SCHEMA_VERSION};
use crate::runtime::BoxFuture;
use futures::future::join_all;
use idb::{Database, ObjectStore, Query, TransactionMode};
use rows::failed;
use schema::{META, OUTBOX, OUTBOX_BY_ID, OUTBOX_IN_ORDER, RECORDS};
use std::collections::HashMap;
use std::future::IntoFuture;
use std::rc::Rc;
use transaction::WriteTransaction;
use wasm_bindgen::JsValue;

/// An open database; closed when the last store using it is dropped.
#[derive(Debug)]
struct Connection {
    db: Database,
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.db.close();
    }
}

/// An IndexedDB-backed store at one namespace of a database.
#[derive(Debug, Clone)]
pub struct IndexedDbStore {
    connection: Rc<Connection>,
    ns: Rc<str>,
}

impl IndexedDbStore {
    /// Opens (creating and upgrading if needed) the database `database_name` at `namespace`. A
    /// database written by a newer SDK is [`StoreError::TooNew`] and left as it is.
    pub async fn open(
        database_name: &str,
        namespace: impl Into<String>,
    ) -> Result<IndexedDbStore, StoreError> {
        let mut db = schema::open(database_name, SCHEMA_VERSION).await?;
        schema::yield_to_upgrades(&mut db);
        let connection = Rc::new(Connection { db });
        schema::check_stores(&connection.db, database_name)?;
        Ok(IndexedDbStore {
            connection,
            ns: Rc::from(namespace.into()),
        })
    }

    /// A readonly transaction's store.
    fn reading(&self, name: &str) -> Result<ObjectStore, StoreError> {
        self.connection
            .db
            .transaction(&[name], TransactionMode::ReadOnly)
            .map_err(failed("transaction"))?
            .object_store(name)
            .map_err(failed("object store"))
    }

    async fn get_one(&self, store: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let row = self
            .reading(store)?
            .get(rows::key(&self.ns, key))
            .map_err(failed("get"))?
            .await
            .map_err(failed("get"))?;
        row.map(|row| rows::bytes(&row, "value")).transpose()
    }
}

/// The queued outbox entries among the ids `changes` touch, by id: their `seq` keys.
async fn queued<'a>(
    outbox: &ObjectStore,
    ns: &str,
    changes: &'a [Change],
) -> Result<HashMap<&'a str, JsValue>, StoreError> {
    let mut ids: Vec<&str> = changes
        .iter()
        .filter_map(|change| match change {
            Change::OutboxPush { id, .. }
            | Change::OutboxUpdate { id, .. }
            | Change::OutboxRemove { id } => Some(id.as_str()),
            _ => None,
        })
        .collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let by_id = outbox.index(OUTBOX_BY_ID).map_err(failed("index"))?;
    let requests = ids
        .iter()
        .map(|id| by_id.get_key(rows::key(ns, id)))
        .collect::<Result<Vec<_>, _>>()
        .map_err(failed("get key"))?;
    // All of them, even after a failure: a request's handlers must outlive it.
    let found = join_all(requests.into_iter().map(IntoFuture::into_future)).await;
    let mut queued = HashMap::new();
    for (id, seq) in ids.into_iter().zip(found) {
        if let Some(seq) = seq.map_err(failed("get key"))? {
            queued.insert(id, seq);
        }
    }
    Ok(queued)
}

/// Checks the batch, then issues its writes in order. Only an outbox push is awaited (its `seq`
/// may be needed by a later change of the batch).
async fn write(tx: &WriteTransaction, ns: &str, changes: &[Change]) -> Result<(), StoreError> {
    let records = tx.store(RECORDS)?;
    let outbox = tx.store(OUTBOX)?;
    let meta = tx.store(META)?;
    let mut seqs = queued(&outbox, ns, changes).await?;
    check_outbox(changes, |id| seqs.contains_key(id))?;
    for change in changes {
        match change {
            Change::PutRecord { key, value } => {
                records
                    .put(&rows::keyed(ns, key, value)?, None)
                    .map_err(failed("put"))?;
            }
            Change::DeleteRecord { key } => {
                records
                    .delete(rows::key(ns, key))
                    .map_err(failed("delete"))?;
            }
            Change::OutboxPush { id, payload } => {
                let seq = outbox
                    .add(&rows::entry(ns, id, payload, None)?, None)
                    .map_err(failed("add"))?
                    .await
                    .map_err(failed("add"))?;
                seqs.insert(id, seq);
            }
            Change::OutboxUpdate { id, payload } => {
                let seq = seqs.get(id.as_str()).ok_or_else(|| not_queued(id))?;
                outbox
                    .put(&rows::entry(ns, id, payload, Some(seq))?, None)
                    .map_err(failed("put"))?;
            }
            Change::OutboxRemove { id } => {
                let seq = seqs.remove(id.as_str()).ok_or_else(|| not_queued(id))?;
                outbox.delete(seq).map_err(failed("delete"))?;
            }
            Change::PutMeta { key, value } => {
                meta.put(&rows::keyed(ns, key, value)?, None)
                    .map_err(failed("put"))?;
            }
            Change::DeleteMeta { key } => {
                meta.delete(rows::key(ns, key)).map_err(failed("delete"))?;
            }
        }
    }
    Ok(())
}

/// Deletes namespace `ns` from every store.
async fn clear(tx: &WriteTransaction, ns: &str) -> Result<(), StoreError> {
    let everything = || rows::namespace(ns).map(Query::KeyRange);
    for store in [RECORDS, META] {
        tx.store(store)?
            .delete(everything()?)
            .map_err(failed("delete"))?;
    }
    let outbox = tx.store(OUTBOX)?;
    let seqs = outbox
        .index(OUTBOX_IN_ORDER)
        .map_err(failed("index"))?
        .get_all_keys(Some(everything()?), None)
        .map_err(failed("get all keys"))?
        .await
        .map_err(failed("get all keys"))?;
    for seq in seqs {
        outbox.delete(seq).map_err(failed("delete"))?;
    }
    Ok(())
}

impl Store for IndexedDbStore {
    fn get_records(
        &self,
        keys: Vec<String>,
    ) -> BoxFuture<'_, Result<Vec<Option<Vec<u8>>>, StoreError>> {
        Box::pin(async move {
            let records = self.reading(RECORDS)?;
            let requests = keys
                .iter()
                .map(|key| records.get(rows::key(&self.ns, key)))
                .collect::<Result<Vec<_>, _>>()
                .map_err(failed("get"))?;
            join_all(requests.into_iter().map(IntoFuture::into_future))
                .await
                .into_iter()
                .map(|row| match row.map_err(failed("get"))? {
                    Some(row) => rows::bytes(&row, "value").map(Some),
                    None => Ok(None),
                })
                .collect()
        })
    }

    fn record_keys(&self) -> BoxFuture<'_, Result<Vec<String>, StoreError>> {
        Box::pin(async move {
            let keys = self
                .reading(RECORDS)?
                .get_all_keys(Some(Query::KeyRange(rows::namespace(&self.ns)?)), None)
                .map_err(failed("get all keys"))?
                .await
                .map_err(failed("get all keys"))?;
            let mut keys = keys
                .iter()
                .map(rows::key_of)
                .collect::<Result<Vec<_>, _>>()?;
            // IndexedDB orders strings by UTF-16 code units; the other backends by bytes.
            keys.sort_unstable();
            Ok(keys)
        })
    }

    fn outbox(&self) -> BoxFuture<'_, Result<Vec<OutboxEntry>, StoreError>> {
        Box::pin(async move {
            let entries = self
                .reading(OUTBOX)?
                .index(OUTBOX_IN_ORDER)
                .map_err(failed("index"))?
                .get_all(Some(Query::KeyRange(rows::namespace(&self.ns)?)), None)
                .map_err(failed("get all"))?
                .await
                .map_err(failed("get all"))?;
            entries
                .iter()
                .map(|row| {
                    Ok(OutboxEntry {
                        seq: rows::entry_seq(row)?,
                        id: rows::string(row, "id")?,
                        payload: rows::bytes(row, "payload")?,
                    })
                })
                .collect()
        })
    }

    fn get_meta(&self, key: String) -> BoxFuture<'_, Result<Option<Vec<u8>>, StoreError>> {
        Box::pin(async move { self.get_one(META, &key).await })
    }

    fn apply(&self, changes: Vec<Change>) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async move {
            if changes.is_empty() {
                return Ok(());
            }
            let tx = WriteTransaction::begin(&self.connection.db)?;
            let written = write(&tx, &self.ns, &changes).await;
            tx.finish(written).await
        })
    }

    fn clear(&self) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async move {
            let tx = WriteTransaction::begin(&self.connection.db)?;
            let cleared = clear(&tx, &self.ns).await;
            tx.finish(cleared).await
        })
    }
}
