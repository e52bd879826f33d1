//! Test-only exports (feature `conformance`; the published package never has them): the core's
//! store conformance suite and the IndexedDB specifics, run on [`IndexedDbStore`] (with the
//! TypeScript layer's `openStore`) in a real page by the browser suite's second, test-only build
//! (`scripts/test-web.sh`, `test/store.ts`). Every check gets fresh databases.

use crate::store::IndexedDbStore;
use appsync_core::storage::{conformance, Change, Store, StoreError, SCHEMA_VERSION};
use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsError, JsValue};
use wasm_bindgen_futures::JsFuture;

/// Every check, in the order the suite runs them.
const CHECKS: [&str; 9] = [
    "records_round_trip",
    "outbox_keeps_order",
    "failed_apply_changes_nothing",
    "namespaces_are_isolated",
    "reopening_keeps_everything",
    "readers_see_whole_batches",
    "expect_meta_is_compare_and_set",
    "upgraded_equals_fresh",
    "newer_database_is_refused",
];

type Check = Result<(), String>;

/// The names of the store checks.
#[wasm_bindgen(js_name = storeConformanceChecks)]
pub fn store_conformance_checks() -> Vec<String> {
    CHECKS.iter().map(|check| (*check).to_owned()).collect()
}

/// Runs the store check `name` on IndexedDB through `openStore` (`ts/store.ts`); rejects with
/// what failed. `helpers` has the page's raw IndexedDB helpers: `layout(name)` (a database's
/// version, stores and indexes as lines) and `create(name, version)` (an empty database).
#[wasm_bindgen(js_name = runStoreConformanceCheck)]
pub async fn run_store_conformance_check(
    name: String,
    #[wasm_bindgen(js_name = openStore)] open_store: Function,
    #[wasm_bindgen(unchecked_param_type = "StoreHelpers")] helpers: JsValue,
) -> Result<(), JsError> {
    let database = format!(
        "appsync-conformance-{name}-{}-{}",
        js_sys::Date::now() as u64,
        (js_sys::Math::random() * 1e9) as u64
    );
    let suite = Suite {
        open_store,
        helpers,
    };
    suite
        .run(&name, &database)
        .await
        .map_err(|e| JsError::new(&e))
}

#[wasm_bindgen(typescript_custom_section)]
const STORE_HELPERS: &str = r#"
/** The store suite's raw IndexedDB helpers (test/store.ts). */
export interface StoreHelpers {
  /** The database's version, and every store's and index's key path and flags, one per line. */
  layout(name: string): Promise<string[]>;
  /** Creates an empty database at `version`. */
  create(name: string, version: number): Promise<void>;
}
"#;

fn io<T>(result: Result<T, StoreError>, what: &str) -> Result<T, String> {
    result.map_err(|e| format!("{what}: {e}"))
}

struct Suite {
    open_store: Function,
    helpers: JsValue,
}

impl Suite {
    async fn open(&self, database: &str, namespace: &str) -> Result<IndexedDbStore, String> {
        IndexedDbStore::open(&self.open_store, database, namespace)
            .await
            .map_err(|e| format!("open {namespace}: {e}"))
    }

    /// Calls helper `name` with `args` and waits for it.
    async fn helper(&self, name: &str, args: &[JsValue]) -> Result<JsValue, String> {
        let describe = |e: JsValue| format!("{name}: {}", crate::js::describe_thrown(&e));
        let function: Function = Reflect::get(&self.helpers, &name.into())
            .map_err(describe)?
            .dyn_into()
            .map_err(describe)?;
        let args: js_sys::Array = args.iter().collect();
        let promise: Promise = function
            .apply(&self.helpers, &args)
            .map_err(describe)?
            .dyn_into()
            .map_err(describe)?;
        JsFuture::from(promise).await.map_err(describe)
    }

    async fn layout(&self, database: &str) -> Result<Vec<String>, String> {
        let lines = self.helper("layout", &[database.into()]).await?;
        Ok(js_sys::Array::from(&lines)
            .iter()
            .map(|line| line.as_string().unwrap_or_default())
            .collect())
    }

    async fn run(&self, name: &str, database: &str) -> Check {
        match name {
            "records_round_trip" => {
                conformance::records_round_trip(&self.open(database, "one").await?).await
            }
            "outbox_keeps_order" => {
                conformance::outbox_keeps_order(&self.open(database, "one").await?).await
            }
            "failed_apply_changes_nothing" => {
                conformance::failed_apply_changes_nothing(&self.open(database, "one").await?).await
            }
            "namespaces_are_isolated" => {
                let a = self.open(database, "client-a").await?;
                let b = self.open(database, "client-b").await?;
                conformance::namespaces_are_isolated(&a, &b).await
            }
            "reopening_keeps_everything" => {
                // Two connections to one database, as after a page reload.
                let first = self.open(database, "one").await?;
                let reopened = self.open(database, "one").await?;
                conformance::reopening_keeps_everything(&first, &reopened).await
            }
            "readers_see_whole_batches" => {
                conformance::readers_see_whole_batches(&self.open(database, "one").await?).await
            }
            "expect_meta_is_compare_and_set" => {
                // Two connections to one database, as two tabs have.
                let a = self.open(database, "one").await?;
                let b = self.open(database, "one").await?;
                conformance::expect_meta_is_compare_and_set(&a, &b).await
            }
            "upgraded_equals_fresh" => self.upgraded_equals_fresh(database).await,
            "newer_database_is_refused" => self.newer_database_is_refused(database).await,
            other => Err(format!("there is no store check `{other}`")),
        }
    }

    /// A database created at every older version, with a queued mutation in it, upgrades to the
    /// same layout as a fresh one and keeps the mutation. Uses the databases `{prefix}-v{n}` and
    /// `{prefix}-fresh`.
    async fn upgraded_equals_fresh(&self, prefix: &str) -> Check {
        let fresh_name = format!("{prefix}-fresh");
        let _fresh = self.open(&fresh_name, "app").await?;
        let expected = self.layout(&fresh_name).await?;
        if expected.first().map(String::as_str) != Some(&format!("version {SCHEMA_VERSION}")) {
            return Err(format!("a fresh database: {expected:?}"));
        }
        for from in 1..SCHEMA_VERSION {
            let name = format!("{prefix}-v{from}");
            {
                // As an older SDK left it.
                let old = io(
                    IndexedDbStore::open_at(&self.open_store, &name, "app", from).await,
                    "create old",
                )?;
                let queued = Change::OutboxPush {
                    id: "queued".into(),
                    payload: vec![1],
                };
                io(old.apply(vec![queued]).await, "queue a mutation")?;
            }
            let upgraded = self.open(&name, "app").await?;
            let found = self.layout(&name).await?;
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
    async fn newer_database_is_refused(&self, name: &str) -> Check {
        let newer = SCHEMA_VERSION + 7;
        self.helper("create", &[name.into(), newer.into()]).await?;
        match IndexedDbStore::open(&self.open_store, name, "app").await {
            Err(StoreError::TooNew { found, supported })
                if found == newer && supported == SCHEMA_VERSION => {}
            other => {
                return Err(format!(
                    "expected TooNew {{ found: {newer} }}, got {:?}",
                    other.map(drop)
                ))
            }
        }
        let after = self.layout(name).await?;
        if after == [format!("version {newer}")] {
            Ok(())
        } else {
            Err(format!("the newer database was changed: {after:?}"))
        }
    }
}
