//! The store conformance suite on every native backend, and the SQLite specifics: migrations
//! (upgraded == fresh), a store from a newer SDK, a corrupt file that can be reset.

// Test code: a failed expectation should stop the test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use appsync_core::storage::{
    conformance, Change, MemoryStore, SqliteStore, Store, StoreError, SCHEMA_VERSION,
    SQLITE_MIGRATIONS,
};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A database file removed when the test ends.
struct TempDb(PathBuf);

impl TempDb {
    fn new() -> TempDb {
        static N: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "appsync-store-{}-{}.db",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        SqliteStore::reset(&path).unwrap();
        TempDb(path)
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        let _ = SqliteStore::reset(&self.0);
    }
}

macro_rules! conformance_suite {
    ($backend:ident, $storage:expr, $open:ident) => {
        mod $backend {
            use super::*;

            #[tokio::test]
            async fn records_round_trip() {
                let storage = $storage;
                conformance::records_round_trip(&$open(&storage, "one").await)
                    .await
                    .unwrap();
            }

            #[tokio::test]
            async fn outbox_keeps_order() {
                let storage = $storage;
                conformance::outbox_keeps_order(&$open(&storage, "one").await)
                    .await
                    .unwrap();
            }

            #[tokio::test]
            async fn failed_apply_changes_nothing() {
                let storage = $storage;
                conformance::failed_apply_changes_nothing(&$open(&storage, "one").await)
                    .await
                    .unwrap();
            }

            #[tokio::test]
            async fn namespaces_are_isolated() {
                let storage = $storage;
                let (a, b) = (
                    $open(&storage, "client-a").await,
                    $open(&storage, "client-b").await,
                );
                conformance::namespaces_are_isolated(&a, &b).await.unwrap();
            }

            #[tokio::test]
            async fn reopening_keeps_everything() {
                let storage = $storage;
                let first = $open(&storage, "one").await;
                let reopened = $open(&storage, "one").await;
                conformance::reopening_keeps_everything(&first, &reopened)
                    .await
                    .unwrap();
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn expect_meta_is_compare_and_set() {
                let storage = $storage;
                let (a, b) = ($open(&storage, "one").await, $open(&storage, "one").await);
                conformance::expect_meta_is_compare_and_set(&a, &b)
                    .await
                    .unwrap();
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn readers_see_whole_batches() {
                let storage = $storage;
                conformance::readers_see_whole_batches(&$open(&storage, "one").await)
                    .await
                    .unwrap();
            }
        }
    };
}

async fn open_memory(backend: &MemoryStore, ns: &str) -> MemoryStore {
    backend.namespace(ns)
}

async fn open_sqlite(db: &TempDb, ns: &str) -> SqliteStore {
    SqliteStore::open(&db.0, ns).await.unwrap()
}

conformance_suite!(memory, MemoryStore::new("unused"), open_memory);
conformance_suite!(sqlite, TempDb::new(), open_sqlite);

fn schema(path: &PathBuf) -> Vec<String> {
    let c = rusqlite::Connection::open(path).unwrap();
    let mut s = c
        .prepare("SELECT type || ' ' || name || ': ' || coalesce(sql, '') FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name")
        .unwrap();
    let rows = s.query_map([], |r| r.get::<_, String>(0)).unwrap();
    rows.map(Result::unwrap).collect()
}

#[tokio::test]
async fn an_upgraded_store_equals_a_fresh_one_and_keeps_its_data() {
    for from in 1..SCHEMA_VERSION {
        let old = TempDb::new();
        {
            // A database as an older SDK left it, with a queued mutation in it.
            let c = rusqlite::Connection::open(&old.0).unwrap();
            for (i, sql) in SQLITE_MIGRATIONS.iter().take(from as usize).enumerate() {
                c.execute_batch(sql).unwrap();
                c.pragma_update(None, "user_version", i as u32 + 1).unwrap();
            }
            c.execute(
                "INSERT INTO outbox (ns, id, payload) VALUES ('app', 'queued', x'01')",
                [],
            )
            .unwrap();
        }
        let upgraded = SqliteStore::open(&old.0, "app").await.unwrap();
        let fresh = TempDb::new();
        drop(SqliteStore::open(&fresh.0, "app").await.unwrap());
        assert_eq!(
            schema(&old.0),
            schema(&fresh.0),
            "upgraded from version {from} equals fresh"
        );
        let outbox = upgraded.outbox().await.unwrap();
        assert_eq!(outbox.len(), 1, "the migration kept the outbox");
        assert_eq!(outbox[0].id, "queued");
    }
}

#[tokio::test]
async fn a_store_from_a_newer_sdk_is_refused_not_touched() {
    let db = TempDb::new();
    {
        let c = rusqlite::Connection::open(&db.0).unwrap();
        c.pragma_update(None, "user_version", 99).unwrap();
    }
    match SqliteStore::open(&db.0, "app").await {
        Err(StoreError::TooNew {
            found: 99,
            supported,
        }) => assert_eq!(supported, SCHEMA_VERSION),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_corrupt_file_is_a_typed_error_and_can_be_reset() {
    let db = TempDb::new();
    std::fs::write(
        &db.0,
        b"this is not a database, just bytes that look nothing like one".repeat(100),
    )
    .unwrap();
    let error = SqliteStore::open(&db.0, "app").await.unwrap_err();
    assert!(matches!(error, StoreError::Corrupt(_)), "{error:?}");
    SqliteStore::reset(&db.0).unwrap();
    let store = SqliteStore::open(&db.0, "app").await.unwrap();
    store
        .apply(vec![Change::PutRecord {
            key: "k".into(),
            value: b"v".to_vec(),
        }])
        .await
        .unwrap();
}
