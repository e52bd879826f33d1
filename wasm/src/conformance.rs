//! Test-only exports (feature `conformance`; the published package never has them): the core's
//! store conformance suite and the IndexedDB specifics, run on `IndexedDbStore` in a real page by
//! the browser suite's second, test-only build (`scripts/test-web.sh`, `test/store.ts`). Every
//! check gets fresh databases.

use appsync_core::storage::{conformance, indexeddb_checks, IndexedDbStore};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsError;

/// Every check, in the order the suite runs them.
const CHECKS: [&str; 8] = [
    "records_round_trip",
    "outbox_keeps_order",
    "failed_apply_changes_nothing",
    "namespaces_are_isolated",
    "reopening_keeps_everything",
    "readers_see_whole_batches",
    "upgraded_equals_fresh",
    "newer_database_is_refused",
];

/// The names of the store checks.
#[wasm_bindgen(js_name = storeConformanceChecks)]
pub fn store_conformance_checks() -> Vec<String> {
    CHECKS.iter().map(|check| (*check).to_owned()).collect()
}

/// Runs the store check `name` on IndexedDB; rejects with what failed.
#[wasm_bindgen(js_name = runStoreConformanceCheck)]
pub async fn run_store_conformance_check(name: String) -> Result<(), JsError> {
    let database = format!(
        "appsync-conformance-{name}-{}-{}",
        js_sys::Date::now() as u64,
        (js_sys::Math::random() * 1e9) as u64
    );
    run(&name, &database).await.map_err(|e| JsError::new(&e))
}

async fn open(database: &str, namespace: &str) -> Result<IndexedDbStore, String> {
    IndexedDbStore::open(database, namespace)
        .await
        .map_err(|e| format!("open {namespace}: {e}"))
}

async fn run(name: &str, database: &str) -> Result<(), String> {
    match name {
        "records_round_trip" => {
            conformance::records_round_trip(&open(database, "one").await?).await
        }
        "outbox_keeps_order" => {
            conformance::outbox_keeps_order(&open(database, "one").await?).await
        }
        "failed_apply_changes_nothing" => {
            conformance::failed_apply_changes_nothing(&open(database, "one").await?).await
        }
        "namespaces_are_isolated" => {
            let a = open(database, "client-a").await?;
            let b = open(database, "client-b").await?;
            conformance::namespaces_are_isolated(&a, &b).await
        }
        "reopening_keeps_everything" => {
            // Two connections to one database, as after a page reload.
            let first = open(database, "one").await?;
            let reopened = open(database, "one").await?;
            conformance::reopening_keeps_everything(&first, &reopened).await
        }
        "readers_see_whole_batches" => {
            conformance::readers_see_whole_batches(&open(database, "one").await?).await
        }
        "upgraded_equals_fresh" => indexeddb_checks::upgraded_equals_fresh(database).await,
        "newer_database_is_refused" => indexeddb_checks::newer_database_is_refused(database).await,
        other => Err(format!("there is no store check `{other}`")),
    }
}
