//! `cargo bench --bench mock`: the mock's throughput, one JSON line per figure.
//! - simple mutations per second: `createTodo` over HTTP with keep-alive from 4 concurrent clients;
//! - items per second through `syncTodos` pages of 1,000 (a full scan of 20,000 items).

// A benchmark harness: a failed setup should stop it loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use appsync_mock::config::DEFAULT_API_KEY;
use appsync_mock::{ConflictMode, MockConfig, MockServer};
use serde_json::json;
use std::time::Instant;

const SCHEMA: &str = include_str!("../../tests/fixtures/schema.graphql");
const CREATE: &str =
    "mutation C($input: CreateTodoInput!) { createTodo(input: $input) { id name _version } }";
const SYNC: &str = "query S($nextToken: String) { syncTodos(limit: 1000, nextToken: $nextToken) { items { id name description priority done tags _version _deleted _lastChangedAt createdAt updatedAt } nextToken startedAt } }";

async fn post(client: &reqwest::Client, url: &str, body: Vec<u8>) -> serde_json::Value {
    let response = client
        .post(url)
        .header("content-type", "application/json")
        .header("x-api-key", DEFAULT_API_KEY)
        .body(body)
        .send()
        .await
        .expect("request");
    serde_json::from_slice(&response.bytes().await.expect("body")).expect("json")
}

async fn creates(server: &MockServer, tasks: usize, per_task: usize, tag: &str) -> f64 {
    let started = Instant::now();
    let mut handles = Vec::new();
    for t in 0..tasks {
        let url = server.graphql_url();
        let tag = tag.to_owned();
        handles.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            for i in 0..per_task {
                let body = json!({"query": CREATE, "variables": {"input": {"id": format!("{tag}-{t}-{i}"), "name": "bench item", "priority": i}}});
                let reply = post(&client, &url, body.to_string().into_bytes()).await;
                assert!(reply.get("errors").is_none(), "{reply}");
            }
        }));
    }
    for handle in handles {
        handle.await.expect("task");
    }
    (tasks * per_task) as f64 / started.elapsed().as_secs_f64()
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let server = MockServer::start(MockConfig::new(SCHEMA).conflict(ConflictMode::Automerge)).await.expect("mock");
        creates(&server, 4, 250, "warm").await;
        let per_second = creates(&server, 4, 5_000, "m").await;
        println!("{}", json!({"bench": "mock_create_mutations_per_second", "value": per_second.round(), "n": 20_000, "target": 5000}));

        let client = reqwest::Client::new();
        let url = server.graphql_url();
        let mut rounds = Vec::new();
        for _ in 0..3 {
            let started = Instant::now();
            let mut items = 0usize;
            let mut token: Option<String> = None;
            loop {
                let body = json!({"query": SYNC, "variables": {"nextToken": token}});
                let reply = post(&client, &url, body.to_string().into_bytes()).await;
                let page = &reply["data"]["syncTodos"];
                items += page["items"].as_array().map_or(0, Vec::len);
                token = page["nextToken"].as_str().map(str::to_owned);
                if token.is_none() {
                    break;
                }
            }
            rounds.push(items as f64 / started.elapsed().as_secs_f64());
            assert_eq!(items, 21_000);
        }
        rounds.sort_by(f64::total_cmp);
        println!("{}", json!({"bench": "mock_sync_items_per_second", "value": rounds[1].round(), "n": 21_000, "page": 1000, "target": 50000}));
    });
}
