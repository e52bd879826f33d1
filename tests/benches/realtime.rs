//! `cargo bench --bench realtime`: one JSON line per figure.
//! - events per second from mutations on the mock to the app through one connection: the mock
//!   (its own runtime) executes 20,000 `createTodo`s in-process as fast as it can; the client
//!   (another runtime) counts `Data` events on one subscription; the clock runs from the first
//!   mutation to the last event;
//! - memory per idle subscription with 1,000 open on the client: net bytes allocated by the
//!   client's threads (a counting allocator that ignores the mock's threads), divided by 1,000.

// A benchmark harness: a failed setup should stop it loudly. Measuring memory needs a global
// allocator, whose trait is unsafe to implement: it only forwards to the system allocator.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, unsafe_code)]

use appsync_core::{AppSyncClient, AuthProviders, GraphQLRequest, SubscriptionEvent};
use appsync_mock::api::GraphQLBody;
use appsync_mock::{AuthMode, ConflictMode, MockConfig, MockServer};
use appsync_scenarios::{gen2_config, SCHEMA};
use serde_json::json;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Instant;

struct Counting;
static NET_BYTES: AtomicI64 = AtomicI64::new(0);
thread_local! {
    static COUNTED: Cell<bool> = const { Cell::new(false) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTED.with(Cell::get) {
            NET_BYTES.fetch_add(layout.size() as i64, Ordering::Relaxed);
        }
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if COUNTED.with(Cell::get) {
            NET_BYTES.fetch_sub(layout.size() as i64, Ordering::Relaxed);
        }
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const EVENTS: usize = 20_000;
const IDLE: usize = 1_000;

fn main() {
    let mock_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let server = mock_runtime
        .block_on(MockServer::start(
            MockConfig::new(SCHEMA).conflict(ConflictMode::None),
        ))
        .unwrap();
    let client_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .on_thread_start(|| COUNTED.with(|c| c.set(true)))
        .build()
        .unwrap();
    let config = gen2_config(&server);

    // Events per second through one connection.
    let client = AppSyncClient::new(config.clone(), AuthProviders::new());
    let mut subscription = client_runtime.block_on(async {
        let mut s = client
            .subscribe(GraphQLRequest::new(
                "subscription { onCreateTodo { id name } }",
            ))
            .unwrap();
        while let Some(event) = s.next_event().await {
            if event == SubscriptionEvent::Started {
                break;
            }
        }
        s
    });
    let started = Instant::now();
    let received = std::thread::scope(|scope| {
        scope.spawn(|| {
            for i in 0..EVENTS {
                let body: GraphQLBody = serde_json::from_value(json!({
                    "query": "mutation C($input: CreateTodoInput!) { createTodo(input: $input) { id } }",
                    "variables": {"input": {"id": format!("e{i}"), "name": "event"}}
                }))
                .unwrap();
                assert_eq!(server.api().execute(&body, AuthMode::ApiKey).status, 200);
            }
        });
        client_runtime.block_on(async {
            let mut n = 0;
            while n < EVENTS {
                match subscription.next_event().await {
                    Some(SubscriptionEvent::Data(_)) => n += 1,
                    Some(_) => {}
                    None => break,
                }
            }
            n
        })
    });
    let elapsed = started.elapsed().as_secs_f64();
    assert_eq!(received, EVENTS, "every event arrived");
    println!(
        "{}",
        json!({"bench": "realtime_events_per_second", "value": (received as f64 / elapsed).round(), "n": EVENTS, "target": 20000})
    );
    drop(subscription);

    // Memory per idle subscription.
    let idle_client = AppSyncClient::new(config, AuthProviders::new());
    let (before, after) = client_runtime.block_on(async {
        // One subscription first, so the connection itself is not counted per subscription.
        let mut first = idle_client
            .subscribe(GraphQLRequest::new("subscription { onUpdateTodo { id } }"))
            .unwrap();
        while first.next_event().await != Some(SubscriptionEvent::Started) {}
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        COUNTED.with(|c| c.set(true));
        let before = NET_BYTES.load(Ordering::Relaxed);
        let mut subs = Vec::with_capacity(IDLE);
        for _ in 0..IDLE {
            subs.push(
                idle_client
                    .subscribe(GraphQLRequest::new("subscription { onUpdateTodo { id } }"))
                    .unwrap(),
            );
        }
        for sub in &mut subs {
            while let Some(event) = sub.next_event().await {
                if event == SubscriptionEvent::Started {
                    break;
                }
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let after = NET_BYTES.load(Ordering::Relaxed);
        std::hint::black_box(&subs);
        (before, after)
    });
    let per = (after - before) as f64 / IDLE as f64;
    println!(
        "{}",
        json!({"bench": "realtime_bytes_per_idle_subscription", "value": per.round(), "n": IDLE, "connections": idle_client.realtime_connection_count(), "target": 4096})
    );
}
