//! `cargo bench --bench request_overhead`: the client's own cost per request.
//!
//! Two measurements, one JSON line per figure:
//! - over the network: the same query through `AppSyncClient` and as a raw HTTP POST (reqwest,
//!   body prepared once, no JSON parsing) to the same local mock; the difference of medians is
//!   the overhead (noisy: loopback HTTP itself varies by several µs);
//! - in isolation: `AppSyncClient` over a transport that answers a canned response at once, so
//!   only the client's work is timed: document lookup, variables check, body serialisation,
//!   auth headers (API key, or SigV4 signing for IAM) and response parsing.

// A benchmark harness: a failed setup should stop it loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use appsync_core::auth::StaticCredentials;
use appsync_core::runtime::BoxFuture;
use appsync_core::transport::{HttpRequest, HttpResponse, HttpTransport, TransportError};
use appsync_core::{AppSyncClient, AuthMode, AuthProviders, ClientOptions, GraphQLRequest};
use appsync_mock::config::DEFAULT_API_KEY;
use appsync_mock::ConflictMode;
use appsync_scenarios::{gen2_config, mock_credentials, start_mock};
use serde_json::json;
use std::sync::Arc;
use std::time::Instant;

const QUERY: &str =
    "query Get($id: ID!) { getTodo(id: $id) { id name description priority done _version } }";
const ROUNDS: usize = 3_000;

fn median_us(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn line(bench: &str, median: f64, extra: serde_json::Value) {
    let mut value = json!({"bench": bench, "median_us": (median * 100.0).round() / 100.0});
    if let (Some(map), Some(extra)) = (value.as_object_mut(), extra.as_object()) {
        map.extend(extra.clone());
    }
    println!("{value}");
}

/// Answers every request with the same body, without I/O.
struct Canned(Vec<u8>);

impl HttpTransport for Canned {
    fn send(&self, _request: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, TransportError>> {
        let body = self.0.clone();
        Box::pin(async move {
            Ok(HttpResponse {
                status: 200,
                headers: Vec::new(),
                body,
            })
        })
    }
}

async fn isolated(config: appsync_core::ClientConfig, mode: AuthMode, body: Vec<u8>) -> f64 {
    let client = AppSyncClient::with_options(
        config,
        AuthProviders::new().iam(StaticCredentials(mock_credentials())),
        ClientOptions {
            transport: Some(Arc::new(Canned(body))),
            ..ClientOptions::default()
        },
    );
    let request = GraphQLRequest::new(QUERY)
        .variables(json!({"id": "bench"}))
        .auth_mode(mode);
    for _ in 0..500 {
        let _ = client.query(request.clone()).await;
    }
    let mut samples = Vec::with_capacity(ROUNDS);
    for _ in 0..ROUNDS {
        let started = Instant::now();
        let result = client.query(request.clone()).await;
        samples.push(started.elapsed().as_secs_f64() * 1e6);
        assert!(result.is_ok());
    }
    median_us(samples)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let server = start_mock(ConflictMode::Automerge).await;
        let config = gen2_config(&server);
        let client = AppSyncClient::new(config.clone(), AuthProviders::new());
        client
            .mutate(GraphQLRequest::new("mutation { createTodo(input: {id: \"bench\", name: \"benchmark item\", priority: 3}) { id } }"))
            .await
            .expect("seed");
        let request = GraphQLRequest::new(QUERY).variables(json!({"id": "bench"}));
        let sent = appsync_core::graphql::Operation::parse(QUERY, None).expect("parses");
        let raw_body = serde_json::to_vec(&json!({"query": sent.text(), "variables": {"id": "bench"}, "operationName": "Get"})).expect("json");
        let raw = reqwest::Client::new();
        let url = server.graphql_url();

        let mut client_samples = Vec::with_capacity(ROUNDS);
        let mut raw_samples = Vec::with_capacity(ROUNDS);
        let mut canned = Vec::new();
        for i in 0..(ROUNDS + 300) {
            let started = Instant::now();
            let response = client.query(request.clone()).await.expect("client request");
            let client_us = started.elapsed().as_secs_f64() * 1e6;
            let started = Instant::now();
            let body = raw
                .post(&url)
                .header("content-type", "application/json")
                .header("accept", "application/json")
                .header("x-api-key", DEFAULT_API_KEY)
                .body(raw_body.clone())
                .send()
                .await
                .expect("raw request")
                .bytes()
                .await
                .expect("raw body");
            let raw_us = started.elapsed().as_secs_f64() * 1e6;
            if i >= 300 {
                client_samples.push(client_us);
                raw_samples.push(raw_us);
            } else if canned.is_empty() {
                canned = body.to_vec();
                assert!(response.data.is_some());
            }
        }
        let client_median = median_us(client_samples);
        let raw_median = median_us(raw_samples);
        line("raw_http_post", raw_median, json!({"n": ROUNDS}));
        line("client_query_api_key", client_median, json!({"n": ROUNDS}));
        line("overhead_over_raw_http_api_key", client_median - raw_median, json!({"target_us": 20}));
        line("client_only_api_key", isolated(config.clone(), AuthMode::ApiKey, canned.clone()).await, json!({"n": ROUNDS, "target_us": 20}));
        line("client_only_iam_sigv4", isolated(config, AuthMode::Iam, canned).await, json!({"n": ROUNDS, "target_us": 20}));
    });
}
