//! `cargo bench --bench outbox`: durable enqueue on SQLite, natively. One JSON line per figure:
//! latency of `Outbox::enqueue` (committed to the store before it returns, optimistic response
//! written to the cache) at p50 / p99, and enqueues per second, over 5,000 mutations queued while
//! offline (so nothing drains meanwhile). Targets: p99 ≤ 2 ms, ≥ 5,000 enqueues/s.

// A benchmark harness: a failed setup should stop it loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use appsync_core::outbox::{NewMutation, Outbox, OutboxOptions};
use appsync_core::storage::{SqliteStore, Store, StoreHandle};
use appsync_core::{AppSyncClient, AuthProviders, ClientConfig, ClientOptions, GraphQLRequest};
use serde_json::json;
use std::sync::Arc;
use std::time::Instant;

const N: usize = 5_000;
const CREATE: &str =
    "mutation C($input: CreateTodoInput!) { createTodo(input: $input) { id name priority } }";

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let path = std::env::temp_dir().join(format!("appsync-outbox-bench-{}.db", std::process::id()));
        SqliteStore::reset(&path).unwrap();
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path, "bench").await.unwrap());
        let config = ClientConfig::from_json_str(
            r#"{"version":"1","data":{"url":"http://127.0.0.1:9/graphql","aws_region":"us-east-1","default_authorization_type":"API_KEY","api_key":"da2-bench","authorization_types":[]}}"#,
            "bench",
        )
        .unwrap();
        let client = AppSyncClient::with_options(
            config,
            AuthProviders::new(),
            ClientOptions {
                cache_store: Some(StoreHandle::ready(store)),
                ..ClientOptions::default()
            },
        );
        let outbox = Outbox::new(client, OutboxOptions::default());
        outbox.set_online(false);
        // Warm up (the store's first transactions, the document cache).
        outbox.entries().await.unwrap();
        let mut latencies = Vec::with_capacity(N);
        let started = Instant::now();
        for i in 0..N {
            let id = format!("bench-{i}");
            let mutation = NewMutation::new(
                GraphQLRequest::new(CREATE)
                    .variables(json!({"input": {"id": id, "name": format!("Todo {i}"), "priority": i % 5}})),
            )
            .optimistic(json!({"createTodo": {"__typename": "Todo", "id": id, "name": format!("Todo {i}"), "priority": i % 5}}));
            let start = Instant::now();
            outbox.enqueue(mutation).await.unwrap();
            latencies.push(start.elapsed().as_secs_f64() * 1000.0);
        }
        let total = started.elapsed().as_secs_f64();
        assert_eq!(outbox.entries().await.unwrap().len(), N, "every enqueue is in the store");
        latencies.sort_by(f64::total_cmp);
        let at = |q: f64| latencies[((latencies.len() as f64 - 1.0) * q).round() as usize];
        let round = |v: f64| (v * 1000.0).round() / 1000.0;
        println!("{}", json!({"bench": "enqueue_latency", "store": "sqlite", "n": N, "p50_ms": round(at(0.5)), "p99_ms": round(at(0.99)), "max_ms": round(at(1.0))}));
        println!("{}", json!({"bench": "enqueue_throughput", "store": "sqlite", "n": N, "per_second": (N as f64 / total).round()}));
        drop(outbox);
        SqliteStore::reset(&path).unwrap();
    });
}
