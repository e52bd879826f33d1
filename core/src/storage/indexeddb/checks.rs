//! The IndexedDB specifics, next to the [`conformance`](crate::storage::conformance) suite and
//! run in a browser the same way (each check returns `Err(description)`): an upgraded database
//! equals a fresh one and keeps its data, and a database from a newer SDK is refused, untouched.

use super::rows::{self, failed};
use super::schema::{self, OUTBOX};
use super::transaction::WriteTransaction;
use super::IndexedDbStore;
use crate::storage::{Store, StoreError, SCHEMA_VERSION};
use idb::{Database, Factory, TransactionMode};

type Check = Result<(), String>;

fn io<T>(result: Result<T, StoreError>, what: &str) -> Result<T, String> {
    result.map_err(|e| format!("{what}: {e}"))
}

/// The version, every store's key path and key generator, and every index.
fn layout(db: &Database) -> Result<Vec<String>, String> {
    let fail = |e: idb::Error| failed("schema read")(e).to_string();
    let mut lines = vec![format!("version {}", db.version().map_err(fail)?)];
    let mut names = db.store_names();
    names.sort();
    let tx = db
        .transaction(&names, TransactionMode::ReadOnly)
        .map_err(fail)?;
    for name in &names {
        let store = tx.object_store(name).map_err(fail)?;
        lines.push(format!(
            "{name}: key {:?}, generated {}",
            store.key_path().map_err(fail)?,
            store.auto_increment()
        ));
        let mut indexes = store.index_names();
        indexes.sort();
        for index_name in indexes {
            let index = store.index(&index_name).map_err(fail)?;
            lines.push(format!(
                "{name}.{index_name}: key {:?}, unique {}, multi-entry {}",
                index.key_path().map_err(fail)?,
                index.unique(),
                index.multi_entry()
            ));
        }
    }
    Ok(lines)
}

/// A database created at every older version, with a queued mutation in it, upgrades to the same
/// layout as a fresh one and keeps the mutation. Uses the databases `{prefix}-v{n}` and
/// `{prefix}-fresh`.
pub async fn upgraded_equals_fresh(prefix: &str) -> Check {
    let fresh = io(
        IndexedDbStore::open(&format!("{prefix}-fresh"), "app").await,
        "open fresh",
    )?;
    let expected = layout(&fresh.connection.db)?;
    for from in 1..SCHEMA_VERSION {
        let name = format!("{prefix}-v{from}");
        {
            // As an older SDK left it.
            let old = io(schema::open(&name, from).await, "create old")?;
            let tx = io(WriteTransaction::begin(&old), "begin")?;
            let queued = rows::entry("app", "queued", &[1], None)
                .and_then(|row| tx.store(OUTBOX)?.add(&row, None).map_err(failed("add")));
            io(tx.finish(queued.map(drop)).await, "queue a mutation")?;
            old.close();
        }
        let upgraded = io(IndexedDbStore::open(&name, "app").await, "upgrade")?;
        let found = layout(&upgraded.connection.db)?;
        if found != expected {
            return Err(format!(
                "upgraded from version {from}: {found:?}, fresh: {expected:?}"
            ));
        }
        let outbox = io(upgraded.outbox().await, "outbox")?;
        if outbox.iter().map(|e| e.id.as_str()).collect::<Vec<_>>() != ["queued"] {
            return Err(format!(
                "upgraded from version {from}: the queued mutation was not kept"
            ));
        }
    }
    Ok(())
}

/// A database at a higher version is `TooNew`, and stays as it was.
pub async fn newer_database_is_refused(name: &str) -> Check {
    let newer = SCHEMA_VERSION + 7;
    let fail = |e: idb::Error| failed("setup")(e).to_string();
    let factory = Factory::new().map_err(fail)?;
    factory
        .open(name, Some(newer))
        .map_err(fail)?
        .await
        .map_err(fail)?
        .close();
    match IndexedDbStore::open(name, "app").await {
        Err(StoreError::TooNew { found, supported })
            if found == newer && supported == SCHEMA_VERSION => {}
        other => {
            return Err(format!(
                "expected TooNew {{ found: {newer} }}, got {other:?}"
            ))
        }
    }
    let after = factory
        .open(name, None)
        .map_err(fail)?
        .await
        .map_err(fail)?;
    let untouched = after.version().map_err(fail)? == newer && after.store_names().is_empty();
    after.close();
    if untouched {
        Ok(())
    } else {
        Err("the newer database was changed".into())
    }
}
