//! The browser's persistent store: the core's [`Store`] over IndexedDB, whose side lives in the
//! TypeScript layer (`ts/store.ts`: the object stores, the schema's upgrade steps, one readwrite
//! transaction per batch). This side only hands calls over and reads the answers: a batch goes
//! over whole as one array (`[op, key, value?]` per change), and what the JS side rejects with
//! (`{kind, message, found?}`) comes back as a typed [`StoreError`]. Nothing JS returns is trusted:
//! a value of the wrong shape is `StoreError::Io`.

use appsync_core::runtime::BoxFuture;
use appsync_core::storage::{Change, OutboxEntry, Store, StoreError, SCHEMA_VERSION};
use js_sys::{Array, Function, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen]
extern "C" {
    /// `IdbStore` of `ts/store.ts`: one namespace of an open database. Its methods are async (they
    /// reject, never throw); `catch` still turns a throw into an error.
    #[derive(Debug)]
    type IdbStore;

    #[wasm_bindgen(method, catch, js_name = getRecords)]
    fn get_records(this: &IdbStore, keys: Array) -> Result<Promise, JsValue>;
    #[wasm_bindgen(method, catch, js_name = recordKeys)]
    fn record_keys(this: &IdbStore) -> Result<Promise, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn outbox(this: &IdbStore) -> Result<Promise, JsValue>;
    #[wasm_bindgen(method, catch, js_name = getMeta)]
    fn get_meta(this: &IdbStore, key: &str) -> Result<Promise, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn apply(this: &IdbStore, changes: Array) -> Result<Promise, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn clear(this: &IdbStore) -> Result<Promise, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn close(this: &IdbStore) -> Result<(), JsValue>;
}

/// One client's namespace of an IndexedDB database; the connection closes when it is dropped.
#[derive(Debug)]
pub struct IndexedDbStore {
    js: IdbStore,
}

impl IndexedDbStore {
    /// Opens (creating and upgrading if needed) database `name` at `namespace` through `open`
    /// (`openStore` of `ts/store.ts`). A database written by a newer SDK is
    /// [`StoreError::TooNew`] and left as it is.
    pub async fn open(open: &Function, name: &str, namespace: &str) -> Result<Self, StoreError> {
        Self::open_at(open, name, namespace, SCHEMA_VERSION).await
    }

    /// As [`open`](Self::open), at schema `version` (the store checks create older databases).
    pub async fn open_at(
        open: &Function,
        name: &str,
        namespace: &str,
        version: u32,
    ) -> Result<Self, StoreError> {
        let promise = open
            .call3(
                &JsValue::UNDEFINED,
                &name.into(),
                &namespace.into(),
                &version.into(),
            )
            .map_err(store_error)?;
        let js = settle(promise.dyn_into()).await?;
        Ok(IndexedDbStore {
            js: js.unchecked_into(),
        })
    }
}

impl Drop for IndexedDbStore {
    fn drop(&mut self) {
        let _ = self.js.close();
    }
}

/// What a call resolved to, or its rejection as a [`StoreError`].
async fn settle(call: Result<Promise, JsValue>) -> Result<JsValue, StoreError> {
    JsFuture::from(call.map_err(store_error)?)
        .await
        .map_err(store_error)
}

/// A rejection of `ts/store.ts` (`{kind, message, found?}`); anything else is `Io`.
fn store_error(error: JsValue) -> StoreError {
    let field = |name: &str| Reflect::get(&error, &name.into()).unwrap_or(JsValue::UNDEFINED);
    let message = field("message").as_string().unwrap_or_default();
    match field("kind").as_string().as_deref() {
        Some("Conflict") => StoreError::Conflict(message),
        Some("TooNew") => StoreError::TooNew {
            found: field("found").as_f64().unwrap_or_default() as u32,
            supported: SCHEMA_VERSION,
        },
        Some("Io") => StoreError::Io(message),
        _ => StoreError::Io(format!(
            "IndexedDB failed: {}",
            crate::js::describe_thrown(&error)
        )),
    }
}

fn malformed(what: &str) -> StoreError {
    StoreError::Io(format!("a stored row has no valid {what}"))
}

fn array(value: JsValue, what: &str) -> Result<Array, StoreError> {
    value.dyn_into::<Array>().map_err(|_| malformed(what))
}

fn bytes(value: JsValue, what: &str) -> Result<Vec<u8>, StoreError> {
    value
        .dyn_into::<Uint8Array>()
        .map(|array| array.to_vec())
        .map_err(|_| malformed(what))
}

/// An optional value: `undefined` is absent.
fn maybe_bytes(value: JsValue) -> Result<Option<Vec<u8>>, StoreError> {
    if value.is_undefined() {
        Ok(None)
    } else {
        bytes(value, "value").map(Some)
    }
}

/// An outbox row `{seq, id, payload}`.
fn entry(row: JsValue) -> Result<OutboxEntry, StoreError> {
    let field = |name: &str| Reflect::get(&row, &name.into()).unwrap_or(JsValue::UNDEFINED);
    let seq = match field("seq").as_f64() {
        Some(seq) if seq >= 1.0 && seq.fract() == 0.0 && seq <= 9_007_199_254_740_992.0 => {
            seq as u64
        }
        _ => return Err(malformed("seq")),
    };
    Ok(OutboxEntry {
        seq,
        id: field("id").as_string().ok_or_else(|| malformed("id"))?,
        payload: bytes(field("payload"), "payload")?,
    })
}

/// `[op, key, value?]`, `op` in the order of `Op` in `ts/store.ts`.
fn change(change: &Change) -> JsValue {
    let (op, key, value) = match change {
        Change::PutRecord { key, value } => (0, key, Some(value)),
        Change::DeleteRecord { key } => (1, key, None),
        Change::OutboxPush { id, payload } => (2, id, Some(payload)),
        Change::OutboxUpdate { id, payload } => (3, id, Some(payload)),
        Change::OutboxRemove { id } => (4, id, None),
        Change::PutMeta { key, value } => (5, key, Some(value)),
        Change::DeleteMeta { key } => (6, key, None),
        Change::ExpectMeta { key, value } => (7, key, value.as_ref()),
    };
    let row = Array::of2(&JsValue::from(op), &JsValue::from_str(key));
    if let Some(value) = value {
        row.push(&Uint8Array::from(value.as_slice()));
    }
    row.into()
}

impl Store for IndexedDbStore {
    fn get_records(
        &self,
        keys: Vec<String>,
    ) -> BoxFuture<'_, Result<Vec<Option<Vec<u8>>>, StoreError>> {
        Box::pin(async move {
            let count = keys.len();
            let keys: Array = keys.iter().map(|key| JsValue::from_str(key)).collect();
            let values = array(settle(self.js.get_records(keys)).await?, "value")?;
            if values.length() as usize != count {
                return Err(malformed("value"));
            }
            values.iter().map(maybe_bytes).collect()
        })
    }

    fn record_keys(&self) -> BoxFuture<'_, Result<Vec<String>, StoreError>> {
        Box::pin(async move {
            let keys = array(settle(self.js.record_keys()).await?, "key")?;
            let mut keys = keys
                .iter()
                .map(|key| key.as_string().ok_or_else(|| malformed("key")))
                .collect::<Result<Vec<_>, _>>()?;
            // IndexedDB orders strings by UTF-16 code units; the other backends by bytes.
            keys.sort_unstable();
            Ok(keys)
        })
    }

    fn outbox(&self) -> BoxFuture<'_, Result<Vec<OutboxEntry>, StoreError>> {
        Box::pin(async move {
            array(settle(self.js.outbox()).await?, "outbox entry")?
                .iter()
                .map(entry)
                .collect()
        })
    }

    fn get_meta(&self, key: String) -> BoxFuture<'_, Result<Option<Vec<u8>>, StoreError>> {
        Box::pin(async move { maybe_bytes(settle(self.js.get_meta(&key)).await?) })
    }

    fn apply(&self, changes: Vec<Change>) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async move {
            if changes.is_empty() {
                return Ok(());
            }
            let batch: Array = changes.iter().map(change).collect();
            settle(self.js.apply(batch)).await.map(drop)
        })
    }

    fn clear(&self) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async move { settle(self.js.clear()).await.map(drop) })
    }
}
