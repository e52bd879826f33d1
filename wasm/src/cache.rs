//! The cache half of `WasmClient` (the `offline` feature, in the full build only): where the
//! cache lives (IndexedDB), `hydrated`, `watchQuery`, `readQuery` / `writeQuery`,
//! `readFragment` / `writeFragment`, `evict`, `gc`, `extract` / `restore`, and the reads that
//! hand back the page's own objects of unchanged entities (`js/segments.js`).

use crate::client::{config_error, read_request, WasmClient, WasmSubscription};
use crate::js::{describe_thrown, error_value, from_json, from_json_text, string_of, to_json};
use crate::store::IndexedDbStore;
use appsync_core::cache::{ChangeWatchHandle, FreshTape, TapeChunk, WriteTape};
use appsync_core::graphql::{DocumentError, Fragment, Operation};
use appsync_core::storage::{Store, StoreHandle};
use appsync_core::{AppSyncError, ClientConfig, GraphQLRequest, WatchFetch};
use futures::channel::oneshot;
use futures::future::{select, Either};
use futures::{FutureExt, StreamExt};
use serde_json::Value;
use std::sync::Arc;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

#[wasm_bindgen(module = "/js/segments.js")]
extern "C" {
    #[wasm_bindgen(js_name = newSegments)]
    pub(crate) fn new_segments() -> JsValue;
    /// The read starts over: the chunks handed over so far go.
    #[wasm_bindgen(js_name = freshStart)]
    fn fresh_start(state: &JsValue);
    /// A chunk of a read's fresh entries (core `FreshTape`: its numbers and its strings).
    #[wasm_bindgen(js_name = freshChunk)]
    fn fresh_chunk(state: &JsValue, ops: &[u32], strings: &str);
    /// Whether two results of one query are the same (see `deliver_watch`).
    #[wasm_bindgen(js_name = sameResult)]
    fn same_result(a: &JsValue, b: &JsValue) -> bool;
    #[wasm_bindgen(catch)]
    fn assemble(
        state: &JsValue,
        epoch: u32,
        skeleton: &str,
        refs: &[u32],
        ref_ids: &[u32],
        fresh_slots: &[u32],
        fresh_ids: &[u32],
        fresh_ops: &[u32],
        fresh_strings: &str,
        keys: &str,
        patches: &[u32],
    ) -> Result<JsValue, JsValue>;
}

#[wasm_bindgen(module = "/js/tape.js")]
extern "C" {
    /// The write tape of the app's data (core `WriteTape`); throws what JSON.stringify would.
    #[wasm_bindgen(catch, js_name = walkTape)]
    fn walk_tape(data: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = tapeKeys)]
    fn tape_keys(tape: &JsValue) -> Vec<String>;
    #[wasm_bindgen(js_name = tapeSize)]
    fn tape_size(tape: &JsValue) -> f64;
    /// Chunk `i`'s ops, `None` past the last chunk.
    #[wasm_bindgen(js_name = tapeOps)]
    fn tape_ops(tape: &JsValue, i: u32) -> Option<Vec<u32>>;
    #[wasm_bindgen(js_name = tapeStrings)]
    fn tape_strings(tape: &JsValue, i: u32) -> js_sys::JsString;
}

/// Chunk `i` of a write tape, copied into wasm memory.
fn tape_chunk(tape: &JsValue, i: usize) -> Option<TapeChunk> {
    let i = u32::try_from(i).ok()?;
    let ops = tape_ops(tape, i)?;
    let strings = tape_strings(tape, i);
    let units = strings.length() as usize;
    let strings = string_of(&strings);
    // As many bytes as UTF-16 units: every string is ASCII (a lone surrogate became U+FFFD,
    // three bytes for its one unit).
    let ascii = strings.len() == units;
    Some(TapeChunk {
        ops,
        strings,
        ascii,
    })
}

#[wasm_bindgen]
impl WasmClient {
    /// Resolves when the cache's IndexedDB database is open; rejects with a `CacheError` when it
    /// cannot be (queries still reach the network).
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn hydrated(&self) -> js_sys::Promise {
        let client = self.client.clone();
        crate::js::promise(async move {
            client
                .hydrated()
                .await
                .map(|_| JsValue::UNDEFINED)
                .map_err(|e| error_value(&e.into()))
        })
    }

    /// Watches a query: `onResult` receives `{type: 'result', data, errors}` for the cached
    /// result and after every change, and `{type: 'error', error}` when a network fetch fails
    /// (the watch goes on). Throws a typed error for a bad request.
    #[wasm_bindgen(js_name = watchQuery)]
    pub fn watch_query(
        &self,
        #[wasm_bindgen(unchecked_param_type = "unknown")] request: JsValue,
        #[wasm_bindgen(js_name = onResult, unchecked_param_type = "(result: unknown) => void")]
        on_result: JsValue,
    ) -> Result<WasmSubscription, JsValue> {
        let Some(on_result) = on_result.dyn_ref::<js_sys::Function>().cloned() else {
            return Err(error_value(&config_error(
                "onResult",
                "a function",
                &on_result,
            )));
        };
        let request = read_request(&request).map_err(|e| error_value(&e))?;
        let variables = request.variables.clone();
        let (operation, handle, changes, errors, fetch) = self
            .client
            .watch_changes(request)
            .map_err(|e| error_value(&e))?;
        let watched = WatchedRead {
            cache: self.client.cache().clone(),
            segments: self.segments.clone(),
            operation,
            variables,
        };
        let (cancel, cancelled) = oneshot::channel();
        appsync_core::runtime::spawn(deliver_watch(
            watched, handle, changes, errors, fetch, on_result, cancelled,
        ));
        Ok(WasmSubscription::new(cancel))
    }

    /// The query's data from the cache, or `null` when the cache lacks part of it.
    #[wasm_bindgen(js_name = readQuery, unchecked_return_type = "Promise<unknown>")]
    pub fn read_query(
        &self,
        #[wasm_bindgen(unchecked_param_type = "unknown")] request: JsValue,
    ) -> js_sys::Promise {
        let cache = self.client.cache().clone();
        let request = read_request(&request);
        let segments = self.segments.clone();
        crate::js::promise(async move {
            let request = request.map_err(|e| error_value(&e))?;
            let operation = parse_operation(&request)?;
            read_objects(
                &cache,
                &segments,
                &operation,
                request.variables.as_ref(),
                None,
            )
            .await
            .map_err(|e| error_value(&e.into()))
        })
    }

    /// Writes `data` as the query's result (normalized, persisted, watchers notified); resolves
    /// to what did not match the document (stored as far as it was valid).
    #[wasm_bindgen(js_name = writeQuery, unchecked_return_type = "Promise<string[]>")]
    pub fn write_query(
        &self,
        #[wasm_bindgen(unchecked_param_type = "unknown")] request: JsValue,
        #[wasm_bindgen(unchecked_param_type = "unknown")] data: JsValue,
    ) -> js_sys::Promise {
        let cache = self.client.cache().clone();
        let request = read_request(&request);
        // Walked into a write tape now (a later change to the object does not count), then
        // normalized from the tape a chunk at a time: no JSON text, no tree on the Rust side.
        let tape = walk_tape(&data).map_err(|e| {
            invalid(format!(
                "the data cannot be read as JSON: {}",
                describe_thrown(&e)
            ))
        });
        crate::js::promise(async move {
            let request = request.map_err(|e| error_value(&e))?;
            let tape = tape.map_err(|e| error_value(&e))?;
            let operation = parse_operation(&request)?;
            let keys = tape_keys(&tape);
            let mut chunks = |i: usize| tape_chunk(&tape, i);
            let mut write = WriteTape {
                keys: &keys,
                size: tape_size(&tape) as usize,
                chunks: &mut chunks,
            };
            let warnings = cache
                .write_query_tape(&operation, request.variables.as_ref(), &mut write)
                .await
                .map_err(|e| error_value(&text_write_error(e)))?;
            Ok(from_json(&Value::from(warnings)))
        })
    }

    /// Reads entity `key` through a fragment document (`{fragment, key, fragmentName?,
    /// variables?}`); `null` when the cache lacks part of it.
    #[wasm_bindgen(js_name = readFragment, unchecked_return_type = "Promise<unknown>")]
    pub fn read_fragment(
        &self,
        #[wasm_bindgen(unchecked_param_type = "unknown")] options: JsValue,
    ) -> js_sys::Promise {
        let cache = self.client.cache().clone();
        let options = read_fragment_options(&options, false);
        crate::js::promise(async move {
            let (fragment, key, variables, _) = options.map_err(|e| error_value(&e))?;
            let read = cache
                .read_fragment_text(&fragment, &key, variables.as_ref())
                .await
                .map_err(|e| error_value(&e.into()))?;
            Ok(read.data.as_deref().map_or(JsValue::NULL, from_json_text))
        })
    }

    /// Writes `data` as the fields of entity `key` through a fragment document (`{fragment,
    /// key, data, fragmentName?, variables?}`).
    #[wasm_bindgen(js_name = writeFragment, unchecked_return_type = "Promise<string[]>")]
    pub fn write_fragment(
        &self,
        #[wasm_bindgen(unchecked_param_type = "unknown")] options: JsValue,
    ) -> js_sys::Promise {
        let cache = self.client.cache().clone();
        let options = read_fragment_options(&options, true);
        crate::js::promise(async move {
            let (fragment, key, variables, data) = options.map_err(|e| error_value(&e))?;
            let warnings = cache
                .write_fragment(&fragment, &key, variables.as_ref(), &data)
                .await
                .map_err(|e| error_value(&e.into()))?;
            Ok(from_json(&Value::from(warnings)))
        })
    }

    /// Removes one record (e.g. `Todo:1`); queries reading it then miss.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn evict(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] key: JsValue,
    ) -> js_sys::Promise {
        let cache = self.client.cache().clone();
        let key = key
            .as_string()
            .ok_or_else(|| config_error("key", "a record key string like `Todo:1`", &key));
        crate::js::promise(async move {
            let key = key.map_err(|e| error_value(&e))?;
            cache
                .evict(&key)
                .await
                .map(|_| JsValue::UNDEFINED)
                .map_err(|e| error_value(&e.into()))
        })
    }

    /// Drops the records no query reaches; resolves to their keys.
    #[wasm_bindgen(unchecked_return_type = "Promise<string[]>")]
    pub fn gc(&self) -> js_sys::Promise {
        let cache = self.client.cache().clone();
        crate::js::promise(async move {
            let removed = cache.gc().await.map_err(|e| error_value(&e.into()))?;
            Ok(from_json(&Value::from(removed)))
        })
    }

    /// Every cached record, as one object.
    #[wasm_bindgen(unchecked_return_type = "Promise<unknown>")]
    pub fn extract(&self) -> js_sys::Promise {
        let cache = self.client.cache().clone();
        crate::js::promise(async move {
            let snapshot = cache.extract().await.map_err(|e| error_value(&e.into()))?;
            Ok(from_json(&snapshot))
        })
    }

    /// Replaces the cache's records with a snapshot from `extract()`.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn restore(
        &self,
        #[wasm_bindgen(unchecked_param_type = "unknown")] snapshot: JsValue,
    ) -> js_sys::Promise {
        let cache = self.client.cache().clone();
        let snapshot = read_data(&snapshot);
        crate::js::promise(async move {
            let snapshot = snapshot.map_err(|e| error_value(&e))?;
            cache
                .restore(&snapshot)
                .await
                .map(|_| JsValue::UNDEFINED)
                .map_err(|e| error_value(&e.into()))
        })
    }
}

/// Where the cache lives, `{keyPrefix?, databaseName?, disableOffline?}`, and the outbox's
/// `{retryBaseMs?, retryCapMs?, maxConflictRetries?, leaseTtlMs?}`.
pub(crate) struct StorageOptions {
    key_prefix: Option<String>,
    database_name: String,
    disable_offline: bool,
    pub(crate) tuning: appsync_core::outbox::OutboxTuning,
}

impl StorageOptions {
    /// The IndexedDB store, opening in the background through `open_store`; `None` (memory
    /// only) when offline support is disabled, there is no `open_store`, or the environment has
    /// no IndexedDB (Node).
    pub(crate) fn open(
        self,
        config: &ClientConfig,
        open_store: Option<js_sys::Function>,
    ) -> Option<StoreHandle> {
        let has_indexed_db =
            js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("indexedDB"))
                .is_ok_and(|v| !v.is_undefined() && !v.is_null());
        let open_store = open_store.filter(|_| has_indexed_db && !self.disable_offline)?;
        let namespace = self.key_prefix.unwrap_or_else(|| config.endpoint.clone());
        let name = self.database_name;
        Some(StoreHandle::opening(async move {
            let store = IndexedDbStore::open(&open_store, &name, &namespace).await?;
            let store: Arc<dyn Store> = Arc::new(store);
            Ok(store)
        }))
    }
}

pub(crate) fn storage_options(value: &JsValue) -> Result<StorageOptions, AppSyncError> {
    let json = to_json(value).map_err(|e| invalid(format!("the options cannot be read: {e}")))?;
    let mut options = StorageOptions {
        key_prefix: None,
        database_name: "appsync".into(),
        disable_offline: false,
        tuning: Default::default(),
    };
    let fields = match json {
        Value::Null => return Ok(options),
        Value::Object(fields) => fields,
        other => {
            return Err(invalid(format!(
                "the options must be an object {{keyPrefix?, databaseName?, disableOffline?}}, found {}",
                crate::describe::describe(&other)
            )))
        }
    };
    for (name, value) in fields {
        match (name.as_str(), value) {
            (_, Value::Null) => {}
            ("keyPrefix", Value::String(prefix)) => options.key_prefix = Some(prefix),
            ("databaseName", Value::String(db)) if !db.is_empty() => options.database_name = db,
            ("disableOffline", Value::Bool(off)) => options.disable_offline = off,
            ("retryBaseMs", Value::Number(n)) if n.as_u64().is_some() => {
                options.tuning.retry_base_ms = n.as_u64()
            }
            ("retryCapMs", Value::Number(n)) if n.as_u64().is_some() => {
                options.tuning.retry_cap_ms = n.as_u64()
            }
            ("leaseTtlMs", Value::Number(n)) if n.as_u64().is_some() => {
                options.tuning.lease_ttl_ms = n.as_u64()
            }
            ("maxConflictRetries", Value::Number(n))
                if n.as_u64().is_some_and(|n| n <= u64::from(u32::MAX)) =>
            {
                options.tuning.max_conflict_retries = n.as_u64().map(|n| n as u32)
            }
            (
                name @ ("retryBaseMs" | "retryCapMs" | "leaseTtlMs" | "maxConflictRetries"),
                other,
            ) => {
                return Err(invalid(format!(
                    "options.{name} must be a whole number of at least 0, found {}",
                    crate::describe::describe(&other)
                )))
            }
            (name @ ("keyPrefix" | "databaseName" | "disableOffline"), other) => {
                return Err(invalid(format!(
                    "options.{name} has the wrong type ({})",
                    crate::describe::describe(&other)
                )))
            }
            _ => {}
        }
    }
    Ok(options)
}

fn invalid(message: String) -> AppSyncError {
    AppSyncError::InvalidDocument(DocumentError { message })
}

pub(crate) fn read_data(value: &JsValue) -> Result<Value, AppSyncError> {
    to_json(value).map_err(|e| invalid(format!("the data cannot be read as JSON: {e}")))
}

/// `tape.js` writes JSON data into its tapes, so `InvalidJson` is only data nested 128 levels
/// deep (which JSON text would not pass either); it reads like `read_data`'s error.
fn text_write_error(e: appsync_core::cache::TextWriteError) -> AppSyncError {
    match e {
        appsync_core::cache::TextWriteError::InvalidJson(e) => {
            invalid(format!("the data cannot be read as JSON: {e}"))
        }
        appsync_core::cache::TextWriteError::Cache(e) => e.into(),
    }
}

pub(crate) fn parse_operation(request: &GraphQLRequest) -> Result<Operation, JsValue> {
    Operation::parse(&request.document, request.operation_name.as_deref())
        .map_err(|e| error_value(&e.into()))
}

type FragmentOptions = (Fragment, String, Option<Value>, Value);

/// `{fragment, key, fragmentName?, variables?, data?}`, `data` required when `with_data`.
pub(crate) fn read_fragment_options(
    value: &JsValue,
    with_data: bool,
) -> Result<FragmentOptions, AppSyncError> {
    let json = read_data(value)?;
    let Value::Object(mut fields) = json else {
        return Err(invalid(
            "expected an object {fragment, key, fragmentName?, variables?}".into(),
        ));
    };
    let text = |fields: &mut serde_json::Map<String, Value>, name: &str| match crate::request::take(
        fields, name,
    ) {
        Some(Value::String(s)) => Ok(Some(s)),
        None | Some(Value::Null) => Ok(None),
        Some(other) => Err(invalid(format!(
            "{name} must be a string, found {}",
            crate::describe::describe(&other)
        ))),
    };
    let document = text(&mut fields, "fragment")?
        .ok_or_else(|| invalid("fragment must be the fragment document's text".into()))?;
    let key = text(&mut fields, "key")?
        .ok_or_else(|| invalid("key must be a record key like `Todo:1`".into()))?;
    let name = text(&mut fields, "fragmentName")?;
    let fragment = Fragment::parse(&document, name.as_deref())?;
    let variables = match crate::request::take(&mut fields, "variables") {
        None | Some(Value::Null) => None,
        Some(v @ Value::Object(_)) => Some(v),
        Some(other) => {
            return Err(invalid(format!(
                "variables must be an object, found {}",
                crate::describe::describe(&other)
            )))
        }
    };
    let data = match crate::request::take(&mut fields, "data") {
        Some(data @ Value::Object(_)) => data,
        _ if !with_data => Value::Null,
        other => {
            return Err(invalid(format!(
                "data must be the entity's fields as an object, found {}",
                other
                    .as_ref()
                    .map_or("nothing".into(), crate::describe::describe)
            )))
        }
    };
    Ok((fragment, key, variables, data))
}

fn watch_error(error: &AppSyncError) -> JsValue {
    let value = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&value, &"type".into(), &"error".into());
    let _ = js_sys::Reflect::set(&value, &"error".into(), &error_value(error));
    value.into()
}

fn watch_result(data: &JsValue) -> JsValue {
    let value = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&value, &"data".into(), data);
    let _ = js_sys::Reflect::set(&value, &"errors".into(), &js_sys::Array::new());
    let _ = js_sys::Reflect::set(&value, &"type".into(), &"result".into());
    value.into()
}

/// How many bytes of fresh entries (a tape's numbers and strings) a segment read gathers before
/// it hands them to the page.
const FRESH_CHUNK_BYTES: usize = 256 * 1024;

/// A query's data read from the cache as JS objects (`null` when the cache lacks part of it).
/// Read straight from the records, cut at the memoized objects (a segment read): only the
/// objects this client has not had yet cross over, as a tape (core `FreshTape`) that
/// `js/segments.js` builds them from; the others are the objects earlier reads returned, and a
/// long list where few items changed is a patch of the last one. The rest of the result is a
/// small JSON text (the skeleton). No tree on the Rust side.
/// Nothing awaits between the read and `assemble`, so reads are applied in their order.
/// With `follow`, that watch is told what the read depended on.
async fn read_objects(
    cache: &appsync_core::cache::Cache,
    segments: &JsValue,
    operation: &Operation,
    variables: Option<&Value>,
    follow: Option<&ChangeWatchHandle>,
) -> Result<JsValue, appsync_core::cache::CacheError> {
    // The fresh entries go to the page a chunk at a time, so a first read of a long list never
    // holds all of them in wasm memory (which never shrinks) at once.
    let mut chunks = |chunk: Option<&FreshTape>| match chunk {
        Some(tape) => fresh_chunk(segments, &tape.ops, &tape.strings),
        None => fresh_start(segments),
    };
    let read = cache
        .read_query_segments_with(operation, variables, FRESH_CHUNK_BYTES, &mut chunks)
        .await?;
    if let Some(watch) = follow {
        watch.follow(&read.info);
    }
    let Some(skeleton) = read.skeleton.as_deref() else {
        fresh_start(segments);
        return Ok(JsValue::NULL);
    };
    if read.plain {
        fresh_start(segments);
        return Ok(from_json_text(skeleton));
    }
    let keys = serde_json::to_string(&read.keys).unwrap_or_default();
    let assembled = assemble(
        segments,
        read.epoch,
        skeleton,
        &read.refs,
        &read.ref_ids,
        &read.fresh_slots,
        &read.fresh_ids,
        &read.fresh.ops,
        &read.fresh.strings,
        &keys,
        &read.patches,
    );
    match assembled {
        Ok(value) => Ok(value),
        Err(_) => {
            // The objects and the memo disagree (they cannot, by the order above): start
            // both over, and answer from the text.
            cache.reset_segments();
            let read = cache.read_query_text(operation, variables).await?;
            if let Some(watch) = follow {
                watch.follow(&read.info);
            }
            Ok(read.data.as_deref().map_or(JsValue::NULL, from_json_text))
        }
    }
}

/// What a watch reads its results' objects with: the cache, the client's objects, the query.
struct WatchedRead {
    cache: Arc<appsync_core::cache::Cache>,
    segments: JsValue,
    operation: Arc<Operation>,
    variables: Option<Value>,
}

/// Hands a watch's results to the JS callback until it is cancelled: the cache's result now
/// (when complete), then again each time a record it read changed and the result read then is
/// not the same as the last one handed over (`sameResult` of `js/segments.js`: the objects of
/// unchanged entities are the same objects, so only the changed ones are compared field by
/// field), and each failed network fetch as an `error` result. Results are read as objects
/// (see [`read_objects`]): after a one-item change of a long list the other items' objects are
/// handed over again, and no text of the whole result is made.
async fn deliver_watch(
    watched: WatchedRead,
    handle: ChangeWatchHandle,
    changes: futures::channel::mpsc::UnboundedReceiver<()>,
    errors: futures::channel::mpsc::UnboundedReceiver<AppSyncError>,
    fetch: WatchFetch,
    on_result: js_sys::Function,
    mut cancelled: oneshot::Receiver<()>,
) {
    // Started once the first read is done, so the network's answer cannot overtake the
    // cached result.
    let mut fetch = Some(fetch);
    let WatchedRead {
        cache,
        segments,
        operation,
        variables,
    } = watched;
    let deliver = |value: &JsValue| {
        // A throwing callback must not end the watch.
        let _ = on_result.call1(&JsValue::UNDEFINED, value);
    };
    // `None`: a record changed; `Some`: a fetch failed.
    let mut events = futures::stream::select(changes.map(|()| None), errors.map(Some));
    let mut last: Option<JsValue> = None;
    let mut read = true;
    // Whether the last read found the whole result (for a cache-first watch's fetch).
    let mut complete = false;
    loop {
        if read {
            let objects = read_objects(
                &cache,
                &segments,
                &operation,
                variables.as_ref(),
                Some(&handle),
            )
            .await;
            match objects {
                Ok(data) if data.is_null() => complete = false, // The network's answer completes it.
                Ok(data) => {
                    complete = true;
                    if !last.as_ref().is_some_and(|last| same_result(last, &data)) {
                        deliver(&watch_result(&data));
                        last = Some(data);
                    }
                }
                Err(e) => {
                    let value = watch_error(&e.into());
                    if last.is_none() {
                        // The watch could not start (its cache cannot be read): the last result.
                        let _ = js_sys::Reflect::set(&value, &"ended".into(), &JsValue::TRUE);
                        deliver(&value);
                        return;
                    }
                    deliver(&value);
                }
            }
        }
        read = false;
        if let Some(fetch) = fetch.take() {
            fetch.start(complete);
        }
        match select(&mut cancelled, events.next()).await {
            Either::Right((Some(None), _)) => read = true,
            Either::Right((Some(Some(error)), _)) => deliver(&watch_error(&error)),
            _ => return,
        }
        // Changes that came meanwhile are seen by the one read that follows.
        while let Some(Some(event)) = events.next().now_or_never() {
            match event {
                None => read = true,
                Some(error) => deliver(&watch_error(&error)),
            }
        }
    }
}
