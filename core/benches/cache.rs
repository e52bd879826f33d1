//! `cargo bench --bench cache`: the normalized cache on the issue's data, natively. One JSON line
//! per figure (`{"bench":…,"impl":"appsync-rs-native","n":…,"median_ms":…,"runs":…}`), the same
//! shape `node wasm/bench/peers.mjs` prints for Apollo, urql and aws-appsync, so the two can be
//! read side by side.
//!
//! The data is `wasm/bench/data.mjs`'s, byte for byte: a `listTodos` response of n items whose
//! owners are shared among 100 users. Like for like with the peers:
//! - `write` starts from the response's JSON text (parse plus normalized write);
//! - `read_after_write` is the first read after that write and ends with a `serde_json::Value`
//!   (what a Rust app uses);
//! - `update_one_then_read` writes one item's name through a fragment, then reads the list again;
//! - `write_text`, `read_text` and `update_one_then_read_text` are the same through the JSON-text
//!   paths (`write_query_text` from the text of the response's `data` member, normalized
//!   without a `Value` tree; `read_query_text` ending with the result's JSON text, what the FFI
//!   and the web package hand over);
//! - `read_segments` is the first read after `write_text` as the web package makes it
//!   (`read_query_segments`: the skeleton plus every entry as a tape the page builds its objects
//!   from), the Rust part of the web package's `read_after_write`, here natively;
//! - `write_text_sqlite` is `write_text` into a cache persisted in SQLite (resolved once the
//!   batch is committed), from an empty store;
//! - `open_persisted_get` opens a SQLite store holding the 100,000-item list and answers a
//!   cache-only `getTodo` from it (a cold start: nothing loaded up front);
//! - `heap` is the memory the cache holds after the write (bytes allocated and not freed, counted
//!   by a forwarding global allocator: requested sizes, not the allocator's own overhead);
//!   `heap_text` the same after `write_query_text`, and `heap_after_read_text` after one
//!   `read_query_text` too (text reads keep each item's text for the next read). `peak_mib` is
//!   the most the write held at any moment (its high-water mark). `allocs` counts the
//!   allocator calls (allocations and reallocations) of the write, and of the read on the
//!   `heap_after_read_text` line; `heap_read_segments` is the same for a first
//!   `read_query_segments` after the text write, on a second cache.
//! - `query_network_text` is the whole of `AppSyncClient::query_text` (network-only) on a fresh
//!   client whose transport answers at once with the response body: the request's checks and
//!   serialization, the body's parse with `data` kept as text, the cache write from that text,
//!   and the data's text in hand (what the bindings pass on). `query_network` is
//!   `AppSyncClient::query`, the same plus the data parsed into a `serde_json::Value`.
//! - `watch_update_emit` is what a UI bound to the list pays for one changed item: with
//!   `AppSyncClient::watch_query` (cache-only) watching the list, `write_fragment_text` renames
//!   one item, and the time runs until the watch has delivered the new list as a
//!   `serde_json::Value`; `watch_update_emit_text` the same through `watch_query_text`, which
//!   delivers the list's JSON text (what the bindings hand over).

// A benchmark harness: a failed setup should stop it loudly. The counting allocator forwards to
// the system allocator; that forwarding is the only unsafe code, and it lives here only.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, unsafe_code)]

use appsync_core::cache::{Cache, KeyConfig};
use appsync_core::graphql::{Fragment, Operation};
use appsync_core::runtime::BoxFuture;
use appsync_core::storage::{SqliteStore, Store, StoreHandle};
use appsync_core::transport::{HttpRequest, HttpResponse, HttpTransport, TransportError};
use appsync_core::{
    AppSyncClient, AuthProviders, ClientConfig, ClientOptions, FetchPolicy, GraphQLRequest,
};
use serde_json::{json, Value};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicIsize, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);
/// The most `LIVE` has been while `TRACKING` is on.
static PEAK: AtomicIsize = AtomicIsize::new(0);
/// The allocator calls (allocations and reallocations) made while `TRACKING` is on.
static ALLOCS: AtomicUsize = AtomicUsize::new(0);
/// On around the heap figures only (off for the timed ones: it costs atomics per allocation).
static TRACKING: AtomicBool = AtomicBool::new(false);

fn grew(by: isize) {
    let now = LIVE.fetch_add(by, Ordering::Relaxed) + by;
    if TRACKING.load(Ordering::Relaxed) {
        PEAK.fetch_max(now, Ordering::Relaxed);
        ALLOCS.fetch_add(1, Ordering::Relaxed);
    }
}

/// Tracks the peak and counts allocator calls from here on.
fn track() {
    PEAK.store(LIVE.load(Ordering::Relaxed), Ordering::Relaxed);
    ALLOCS.store(0, Ordering::Relaxed);
    TRACKING.store(true, Ordering::Relaxed);
}

/// Stops tracking: the allocator calls since [`track`].
fn untrack() -> usize {
    TRACKING.store(false, Ordering::Relaxed);
    ALLOCS.load(Ordering::Relaxed)
}

/// What `work` gives, and the allocator calls it made.
async fn counted<T>(work: impl std::future::Future<Output = T>) -> (T, usize) {
    track();
    let out = work.await;
    (out, untrack())
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grew(layout.size() as isize);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        grew(new_size as isize - layout.size() as isize);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const QUERY: &str = "query ListTodos($limit: Int) { listTodos(limit: $limit) { items { id name description priority owner { id name } } nextToken } }";
const GET: &str = "query GetTodo($id: ID!) { getTodo(id: $id) { id name description priority owner { id name } } }";
const TODO_NAME: &str = "fragment TodoName on Todo { name }";
const USERS: usize = 100;
const IMPL: &str = "appsync-rs-native";

/// The response body of `wasm/bench/data.mjs`'s `listTodosJson(n)`, byte for byte.
fn list_todos_json(n: usize) -> String {
    let mut out = String::with_capacity(n * 230 + 100);
    out.push_str(r#"{"data":{"listTodos":{"__typename":"ModelTodoConnection","items":["#);
    for i in 0..n {
        if i > 0 {
            out.push(',');
        }
        let u = i % USERS;
        out.push_str(&format!(
            r#"{{"__typename":"Todo","id":"todo-{i}","name":"Todo {i}","description":"Description of todo {i}: buy milk, call the plumber, water the plants and answer the mail.","priority":{},"owner":{{"__typename":"User","id":"user-{u}","name":"User {u}"}}}}"#,
            i % 5 + 1
        ));
    }
    out.push_str(r#"],"nextToken":null}}}"#);
    out
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn report(bench: &str, n: usize, samples: Vec<f64>) {
    let runs = samples.len();
    let ms = (median(samples) * 1000.0).round() / 1000.0;
    println!(
        "{}",
        json!({"bench": bench, "impl": IMPL, "n": n, "median_ms": ms, "runs": runs})
    );
}

fn runs_for(n: usize) -> usize {
    match n {
        0..=1_000 => 21,
        1_001..=10_000 => 11,
        _ => 5,
    }
}

fn ms_since(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1000.0
}

/// The list as read back: checks its length and the last item's name, like the peers do.
fn check_list(read: &Value, n: usize, renamed: Option<usize>) {
    let items = read["listTodos"]["items"].as_array().expect("items");
    assert_eq!(items.len(), n);
    assert_eq!(items[n - 1]["name"], format!("Todo {}", n - 1));
    if let Some(k) = renamed {
        assert_eq!(items[k]["name"], format!("Todo {k} (renamed)"));
    }
}

async fn bench_n(n: usize) {
    let list = Operation::parse(QUERY, None).unwrap();
    let fragment = Fragment::parse(TODO_NAME, None).unwrap();
    let variables = json!({"limit": n});
    let body = list_todos_json(n);
    let (mut write, mut read, mut update) = (Vec::new(), Vec::new(), Vec::new());
    let (mut write_text, mut read_text, mut update_text) = (Vec::new(), Vec::new(), Vec::new());
    // The response is `{"data":…}`: its `data` member's text.
    let data_text = body
        .strip_prefix(r#"{"data":"#)
        .and_then(|rest| rest.strip_suffix('}'))
        .expect("the response's data");
    let k = n / 2;
    let (mut expected, mut expected_renamed) = (String::new(), String::new());
    for _ in 0..runs_for(n) {
        let cache = Cache::new(KeyConfig::default(), None);
        let start = Instant::now();
        let response: Value = serde_json::from_str(&body).unwrap();
        let warnings = cache
            .write_query(&list, Some(&variables), &response["data"])
            .await
            .unwrap();
        write.push(ms_since(start));
        assert!(warnings.is_empty(), "{warnings:?}");
        drop(response);

        let start = Instant::now();
        let value = cache.read_query(&list, Some(&variables)).await.unwrap();
        read.push(ms_since(start));
        check_list(value.data.as_ref().expect("complete"), n, None);
        if expected.is_empty() {
            expected = serde_json::to_string(value.data.as_ref().unwrap()).unwrap();
        }
        drop(value);

        let start = Instant::now();
        cache
            .write_fragment(
                &fragment,
                &format!("Todo:todo-{k}"),
                None,
                &json!({"__typename": "Todo", "name": format!("Todo {k} (renamed)")}),
            )
            .await
            .unwrap();
        let value = cache.read_query(&list, Some(&variables)).await.unwrap();
        update.push(ms_since(start));
        check_list(value.data.as_ref().expect("complete"), n, Some(k));
        if expected_renamed.is_empty() {
            expected_renamed = serde_json::to_string(value.data.as_ref().unwrap()).unwrap();
        }
    }
    // The text path in its own loop, and checked against the text of the tree reads above (the
    // text sink writes what `serde_json::to_string` writes of the same tree) without parsing
    // it: a parsed tree freed inside the loop would leave the allocator work (consolidating
    // its small blocks) that the next timed read pays for. The bindings hand the text over and
    // free it, so each read's text is dropped once checked, as there.
    for _ in 0..runs_for(n) {
        let cache = Cache::new(KeyConfig::default(), None);
        let start = Instant::now();
        let warnings = cache
            .write_query_text(&list, Some(&variables), data_text)
            .await
            .unwrap();
        write_text.push(ms_since(start));
        assert!(warnings.is_empty(), "{warnings:?}");

        let start = Instant::now();
        let text = cache
            .read_query_text(&list, Some(&variables))
            .await
            .unwrap();
        read_text.push(ms_since(start));
        let text = text.data.expect("complete");
        assert!(text == expected, "the text read differs from the tree read");
        drop(text);

        let start = Instant::now();
        cache
            .write_fragment_text(
                &fragment,
                &format!("Todo:todo-{k}"),
                None,
                &format!(r#"{{"__typename":"Todo","name":"Todo {k} (renamed)"}}"#),
            )
            .await
            .unwrap();
        let text = cache
            .read_query_text(&list, Some(&variables))
            .await
            .unwrap();
        update_text.push(ms_since(start));
        let text = text.data.expect("complete");
        assert!(
            text == expected_renamed,
            "the text read differs from the tree read"
        );
    }
    report("write", n, write);
    report("read_after_write", n, read);
    report("update_one_then_read", n, update);
    report("write_text", n, write_text);
    report("read_text", n, read_text);
    report("update_one_then_read_text", n, update_text);

    let mut segments = Vec::new();
    for _ in 0..runs_for(n) {
        let cache = Cache::new(KeyConfig::default(), None);
        cache
            .write_query_text(&list, Some(&variables), data_text)
            .await
            .unwrap();
        let start = Instant::now();
        let read = cache
            .read_query_segments(&list, Some(&variables))
            .await
            .unwrap();
        segments.push(ms_since(start));
        // Every item is a new entry, each on the tape.
        assert_eq!(read.fresh_ids.len(), n, "{:?}", read.info.missing);
        assert!(read.skeleton.is_some() && read.fresh.ops.len() > n * 10);
    }
    report("read_segments", n, segments);
}

/// A client config whose endpoint nothing answers (the benchmarks never reach it).
fn bench_config() -> ClientConfig {
    ClientConfig::from_json_str(
        r#"{"version":"1","data":{"url":"http://127.0.0.1:9/graphql","aws_region":"us-east-1","default_authorization_type":"API_KEY","api_key":"da2-bench","authorization_types":[]}}"#,
        "bench",
    )
    .unwrap()
}

/// Answers every request at once with the same body.
struct Canned(Arc<Vec<u8>>);

impl HttpTransport for Canned {
    fn send(&self, _request: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, TransportError>> {
        let body = self.0.as_ref().clone();
        Box::pin(async move {
            Ok(HttpResponse {
                status: 200,
                headers: vec![("content-type".into(), "application/json".into())],
                body,
            })
        })
    }
}

/// `AppSyncClient::query_text` and `query` end to end on a canned response (see the top).
async fn client_query(n: usize) {
    let body = Arc::new(list_todos_json(n).into_bytes());
    let config = bench_config();
    let request = GraphQLRequest {
        fetch_policy: FetchPolicy::NetworkOnly,
        ..GraphQLRequest::new(QUERY).variables(json!({"limit": n}))
    };
    let new_client = || {
        let options = ClientOptions {
            transport: Some(Arc::new(Canned(body.clone()))),
            ..ClientOptions::default()
        };
        AppSyncClient::with_options(config.clone(), AuthProviders::default(), options)
    };
    let (mut text, mut value) = (Vec::new(), Vec::new());
    for _ in 0..runs_for(n) {
        let client = new_client();
        let start = Instant::now();
        let response = client.query_text(request.clone()).await.unwrap();
        text.push(ms_since(start));
        let data = response.data_text().expect("data");
        assert_eq!(data.len() + r#"{"data":}"#.len(), body.len());
        drop(response);
        let cached = client
            .cache()
            .read_query(
                &Operation::parse(QUERY, None).unwrap(),
                request.variables.as_ref(),
            )
            .await
            .unwrap();
        check_list(cached.data.as_ref().expect("written to the cache"), n, None);
        drop(cached);
        drop(client);

        let client = new_client();
        let start = Instant::now();
        let response = client.query(request.clone()).await.unwrap();
        value.push(ms_since(start));
        check_list(response.data.as_ref().expect("data"), n, None);
    }
    report("query_network_text", n, text);
    report("query_network", n, value);
}

/// A watched list re-delivered after a one-item change (see the top).
async fn watch_update(n: usize) {
    use futures::StreamExt;
    let list = Operation::parse(QUERY, None).unwrap();
    let fragment = Fragment::parse(TODO_NAME, None).unwrap();
    let variables = json!({"limit": n});
    let body = list_todos_json(n);
    let data_text = body
        .strip_prefix(r#"{"data":"#)
        .and_then(|rest| rest.strip_suffix('}'))
        .expect("the response's data");
    let config = bench_config();
    let client = AppSyncClient::new(config, AuthProviders::default());
    let cache = client.cache().clone();
    cache
        .write_query_text(&list, Some(&variables), data_text)
        .await
        .unwrap();
    let request = GraphQLRequest {
        fetch_policy: FetchPolicy::CacheOnly,
        ..GraphQLRequest::new(QUERY).variables(variables.clone())
    };
    let k = n / 2;
    let key = format!("Todo:todo-{k}");
    let rename = |run: usize| {
        let name = format!("Todo {k} (renamed {run})");
        let data = format!(r#"{{"__typename":"Todo","name":"{name}"}}"#);
        (name, data)
    };
    // One rename per run, timed until `watch` delivers; `check` sees what it delivered.
    async fn renames<T>(
        cache: &Cache,
        fragment: &Fragment,
        key: &str,
        rename: impl Fn(usize) -> (String, String),
        runs: std::ops::Range<usize>,
        watch: &mut futures::channel::mpsc::UnboundedReceiver<
            Result<T, appsync_core::AppSyncError>,
        >,
        check: impl Fn(T, &str),
    ) -> Vec<f64> {
        let mut samples = Vec::new();
        for run in runs {
            let (name, data) = rename(run);
            let start = Instant::now();
            cache
                .write_fragment_text(fragment, key, None, &data)
                .await
                .unwrap();
            let emitted = watch.next().await.unwrap().unwrap();
            samples.push(ms_since(start));
            check(emitted, &name);
        }
        samples
    }
    let runs = runs_for(n);
    let mut watch = client.watch_query(request.clone()).await.unwrap();
    let first = watch.next().await.unwrap().unwrap();
    check_list(first.data.as_ref().expect("complete"), n, None);
    let samples = renames(
        &cache,
        &fragment,
        &key,
        rename,
        0..runs,
        &mut watch,
        |emitted, name| {
            let data = emitted.data.expect("complete");
            assert_eq!(data["listTodos"]["items"][k]["name"], name);
        },
    )
    .await;
    drop(watch);
    report("watch_update_emit", n, samples);

    let mut watch = client.watch_query_text(request).await.unwrap();
    watch.next().await.unwrap().unwrap();
    let samples = renames(
        &cache,
        &fragment,
        &key,
        rename,
        runs..2 * runs,
        &mut watch,
        |emitted, name| {
            let text = emitted.data_text().expect("complete");
            assert!(text.contains(&format!(r#""name":"{name}""#)));
            assert_eq!(text.matches(r#""__typename":"Todo""#).count(), n);
        },
    )
    .await;
    report("watch_update_emit_text", n, samples);
}

/// Bytes the cache holds after writing the list (the parsed response freed).
async fn heap(n: usize, text: bool) {
    let list = Operation::parse(QUERY, None).unwrap();
    let variables = json!({"limit": n});
    let body = list_todos_json(n);
    let data = &body[r#"{"data":"#.len()..body.len() - 1];
    let before = LIVE.load(Ordering::Relaxed);
    track();
    let cache = Cache::new(KeyConfig::default(), None);
    if text {
        cache
            .write_query_text(&list, Some(&variables), data)
            .await
            .unwrap();
    } else {
        let response: Value = serde_json::from_str(&body).unwrap();
        cache
            .write_query(&list, Some(&variables), &response["data"])
            .await
            .unwrap();
    }
    let allocs = untrack();
    let held = LIVE.load(Ordering::Relaxed) - before;
    let peak = PEAK.load(Ordering::Relaxed) - before;
    let mib = |bytes: isize| (bytes as f64 / (1024.0 * 1024.0) * 100.0).round() / 100.0;
    let bench = if text { "heap_text" } else { "heap" };
    println!(
        "{}",
        json!({"bench": bench, "impl": IMPL, "n": n, "heap_mib": mib(held), "peak_mib": mib(peak), "allocs": allocs})
    );
    if text {
        // Text reads keep the serialized items for the next read: what that costs.
        let (read, allocs) = counted(cache.read_query_text(&list, Some(&variables))).await;
        drop(read.unwrap());
        let held = LIVE.load(Ordering::Relaxed) - before;
        println!(
            "{}",
            json!({"bench": "heap_after_read_text", "impl": IMPL, "n": n, "heap_mib": mib(held), "allocs": allocs})
        );
        // The web package's first read, on a cache of its own.
        let other = Cache::new(KeyConfig::default(), None);
        other
            .write_query_text(&list, Some(&variables), data)
            .await
            .unwrap();
        let (read, allocs) = counted(other.read_query_segments(&list, Some(&variables))).await;
        assert_eq!(read.unwrap().fresh_ids.len(), n);
        println!(
            "{}",
            json!({"bench": "heap_read_segments", "impl": IMPL, "n": n, "allocs": allocs})
        );
    }
    drop(cache);
}

/// The text write of `n` items into a cache persisted in SQLite: `write_query_text` resolves once
/// the batch is committed (WAL, `synchronous = NORMAL`), so this is what an app waits for when
/// it writes a result with persistence on. Each run starts from an empty store.
async fn persisted_write(n: usize) {
    let list = Operation::parse(QUERY, None).unwrap();
    let variables = json!({"limit": n});
    let body = list_todos_json(n);
    let data = &body[r#"{"data":"#.len()..body.len() - 1];
    let path = std::env::temp_dir().join(format!(
        "appsync-cache-bench-write-{}.db",
        std::process::id()
    ));
    let mut samples = Vec::new();
    for _ in 0..runs_for(n) {
        SqliteStore::reset(&path).unwrap();
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path, "bench").await.unwrap());
        let cache = Cache::new(KeyConfig::default(), Some(StoreHandle::ready(store)));
        let start = Instant::now();
        let warnings = cache
            .write_query_text(&list, Some(&variables), data)
            .await
            .unwrap();
        samples.push(ms_since(start));
        assert!(warnings.is_empty(), "{warnings:?}");
    }
    report("write_text_sqlite", n, samples);
    SqliteStore::reset(&path).unwrap();
}

/// A cold start: open the SQLite store of a 100,000-item list and answer a cache-only `getTodo`.
async fn open_persisted(n: usize) {
    let path = std::env::temp_dir().join(format!("appsync-cache-bench-{}.db", std::process::id()));
    SqliteStore::reset(&path).unwrap();
    let list = Operation::parse(QUERY, None).unwrap();
    let get = Operation::parse(GET, None).unwrap();
    let k = n / 2;
    let get_variables = json!({"id": format!("todo-{k}")});
    {
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path, "bench").await.unwrap());
        let cache = Cache::new(KeyConfig::default(), Some(StoreHandle::ready(store)));
        let response: Value = serde_json::from_str(&list_todos_json(n)).unwrap();
        cache
            .write_query(&list, Some(&json!({"limit": n})), &response["data"])
            .await
            .unwrap();
        // The app once fetched this item too, so `getTodo(id:)` is in ROOT_QUERY.
        let item = &response["data"]["listTodos"]["items"][k];
        cache
            .write_query(&get, Some(&get_variables), &json!({"getTodo": item}))
            .await
            .unwrap();
    }
    let mut samples = Vec::new();
    for _ in 0..runs_for(n) {
        let start = Instant::now();
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path, "bench").await.unwrap());
        let cache = Cache::new(KeyConfig::default(), Some(StoreHandle::ready(store)));
        let read = cache.read_query(&get, Some(&get_variables)).await.unwrap();
        samples.push(ms_since(start));
        let data = read.data.expect("getTodo is on disk");
        assert_eq!(data["getTodo"]["name"], format!("Todo {k}"));
        assert_eq!(
            data["getTodo"]["owner"]["id"],
            format!("user-{}", k % USERS)
        );
    }
    report("open_persisted_get", n, samples);
    SqliteStore::reset(&path).unwrap();
}

fn main() {
    let sizes: Vec<usize> = match std::env::var("CACHE_BENCH_N") {
        Ok(list) => list
            .split(',')
            .filter_map(|s| s.trim().parse().ok())
            .collect(),
        Err(_) => vec![1_000, 10_000, 100_000],
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        for &n in &sizes {
            bench_n(n).await;
            client_query(n).await;
            watch_update(n).await;
        }
        heap(10_000, false).await;
        heap(10_000, true).await;
        persisted_write(10_000).await;
        open_persisted(100_000).await;
    });
}
