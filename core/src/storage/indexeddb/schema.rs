//! The IndexedDB schema: numbered upgrade steps with the same numbers as SQLite's migrations
//! (`STEPS[n]` takes a database from version `n` to `n + 1`, as `SQLITE_MIGRATIONS[n]` does), run
//! by the browser's upgrade transaction when a database is opened at a higher version. A step
//! never drops the outbox or user data.

use super::rows::{failed, is_version_error};
use crate::storage::{StoreError, SCHEMA_VERSION};
use idb::event::VersionChangeEvent;
use idb::{
    Database, DatabaseEvent, Event, Factory, IndexParams, KeyPath, ObjectStoreParams, Request,
    Transaction,
};
use std::cell::Cell;
use std::rc::Rc;

pub(super) const RECORDS: &str = "records";
pub(super) const OUTBOX: &str = "outbox";
pub(super) const META: &str = "meta";
/// Unique `[ns, id]`: finds a queued entry by the caller's id.
pub(super) const OUTBOX_BY_ID: &str = "ns_id";
/// `[ns, seq]`: one namespace's outbox in order.
pub(super) const OUTBOX_IN_ORDER: &str = "ns_seq";
/// Every store, the scope of a write.
pub(super) const STORES: [&str; 3] = [RECORDS, OUTBOX, META];

type Step = fn(&Database, &Transaction) -> Result<(), idb::Error>;

/// One step per SQLite migration: a new SQLite migration without its step here does not compile.
const STEPS: [Step; SCHEMA_VERSION as usize] = [
    // 1: records, the outbox and metadata, each namespaced.
    |db, _| {
        db.create_object_store(RECORDS, keyed_by_namespace())?;
        let mut generated = ObjectStoreParams::new();
        generated
            .key_path(Some(KeyPath::new_single("seq")))
            .auto_increment(true);
        let outbox = db.create_object_store(OUTBOX, generated)?;
        let mut unique = IndexParams::new();
        unique.unique(true);
        outbox.create_index(OUTBOX_BY_ID, KeyPath::new_array(["ns", "id"]), Some(unique))?;
        db.create_object_store(META, keyed_by_namespace())?;
        Ok(())
    },
    // 2: reading one namespace's outbox in order is the outbox's hot path.
    |_, upgrade| {
        let outbox = upgrade.object_store(OUTBOX)?;
        outbox.create_index(OUTBOX_IN_ORDER, KeyPath::new_array(["ns", "seq"]), None)?;
        Ok(())
    },
];

fn keyed_by_namespace() -> ObjectStoreParams {
    let mut params = ObjectStoreParams::new();
    params.key_path(Some(KeyPath::new_array(["ns", "key"])));
    params
}

/// Runs the steps from the database's version up to the requested one.
fn upgrade(event: &VersionChangeEvent) -> Result<(), StoreError> {
    let from = event.old_version().map_err(failed("upgrade"))?;
    let to = event
        .new_version()
        .map_err(failed("upgrade"))?
        .unwrap_or(SCHEMA_VERSION);
    let db = event.database().map_err(failed("upgrade"))?;
    let upgrade = event
        .target()
        .map_err(failed("upgrade"))?
        .transaction()
        .ok_or_else(|| StoreError::Io("the IndexedDB upgrade has no transaction".into()))?;
    for step in STEPS.iter().take(to as usize).skip(from as usize) {
        step(&db, &upgrade).map_err(failed("upgrade"))?;
    }
    Ok(())
}

/// Opens database `name` at `version` (at most [`SCHEMA_VERSION`]), creating or upgrading it.
/// A database at a higher version is [`StoreError::TooNew`], left as it is.
pub(super) async fn open(name: &str, version: u32) -> Result<Database, StoreError> {
    let factory = Factory::new().map_err(failed("lookup"))?;
    let mut request = factory.open(name, Some(version)).map_err(failed("open"))?;
    let upgrade_failure = Rc::new(Cell::new(None));
    let failure = upgrade_failure.clone();
    request.on_upgrade_needed(move |event| {
        if let Err(error) = upgrade(&event) {
            failure.set(Some(error));
            // Aborting the upgrade leaves the database at its old version, untouched.
            if let Some(upgrade) = event.target().ok().and_then(|r| r.transaction()) {
                let _ = upgrade.abort();
            }
        }
    });
    match request.await {
        Ok(db) => Ok(db),
        Err(error) if is_version_error(&error) => Err(StoreError::TooNew {
            found: current_version(&factory, name).await?,
            supported: SCHEMA_VERSION,
        }),
        Err(error) => Err(upgrade_failure
            .take()
            .unwrap_or_else(|| failed("open")(error))),
    }
}

/// The version of an existing database, opened without upgrading it.
async fn current_version(factory: &Factory, name: &str) -> Result<u32, StoreError> {
    let db = factory
        .open(name, None)
        .map_err(failed("open"))?
        .await
        .map_err(failed("open"))?;
    let version = db.version().map_err(failed("version"));
    db.close();
    version
}

/// Fails unless `db` has every store (a database of that name that is not ours).
pub(super) fn check_stores(db: &Database, name: &str) -> Result<(), StoreError> {
    let present = db.store_names();
    match STORES.iter().find(|s| !present.iter().any(|p| p == *s)) {
        None => Ok(()),
        Some(missing) => Err(StoreError::Io(format!(
            "IndexedDB database `{name}` has no `{missing}` object store: it is not an AppSync store"
        ))),
    }
}

/// Closes this connection when another one (a newer SDK in another tab) upgrades the database,
/// so the upgrade is not blocked; this handle's later calls then fail with `StoreError::Io`.
pub(super) fn yield_to_upgrades(db: &mut Database) {
    db.on_version_change(|event| {
        if let Some(target) = event.target() {
            if let Ok(db) = Database::try_from(target) {
                db.close();
            }
        }
    });
}
