//! Fault injection through the Rust handle and the control endpoint, and CORS.

// Test code: a failed expectation should stop the test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use appsync_mock::ConflictMode;
use serde_json::json;
use std::time::{Duration, Instant};
use support::*;

const GET: &str = "{ getTodo(id: \"x\") { id } }";

#[tokio::test]
async fn failures_count_down_then_requests_succeed() {
    let server = server(ConflictMode::Automerge).await;
    server.faults().fail_next(2, 503, None);
    assert_eq!(gql(&server, GET, json!({})).await.status, 503);
    assert_eq!(gql(&server, GET, json!({})).await.status, 503);
    assert_eq!(gql(&server, GET, json!({})).await.status, 200);
}

#[tokio::test]
async fn throttling_carries_retry_after_and_401_is_unauthorized() {
    let server = server(ConflictMode::Automerge).await;
    server.faults().fail_next(1, 429, Some(7));
    let throttled = gql(&server, GET, json!({})).await;
    assert_eq!(throttled.status, 429);
    assert_eq!(throttled.headers.get("retry-after").unwrap(), "7");
    server.faults().fail_next(1, 401, None);
    let denied = gql(&server, GET, json!({})).await;
    assert_eq!(
        (denied.status, denied.error_type()),
        (401, Some("UnauthorizedException"))
    );
    server.faults().fail_next(1, 500, None);
    assert_eq!(gql(&server, GET, json!({})).await.status, 500);
}

#[tokio::test]
async fn latency_delays_answers() {
    let server = server(ConflictMode::Automerge).await;
    server.faults().set_latency(Duration::from_millis(150));
    let started = Instant::now();
    assert_eq!(gql(&server, GET, json!({})).await.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(150));
}

#[tokio::test]
async fn resets_drop_the_connection_without_an_answer() {
    let server = server(ConflictMode::Automerge).await;
    server.faults().reset_next(1);
    let body = json!({"query": GET}).to_string();
    let result = reqwest::Client::new()
        .post(server.graphql_url())
        .header("x-api-key", appsync_mock::config::DEFAULT_API_KEY)
        .body(body)
        .send()
        .await;
    assert!(result.is_err(), "no HTTP answer: {result:?}");
    assert_eq!(gql(&server, GET, json!({})).await.status, 200);
}

#[tokio::test]
async fn the_control_endpoint_sets_and_clears_faults() {
    let server = server(ConflictMode::Automerge).await;
    let control = format!("http://{}/__mock/faults", server.addr());
    let client = reqwest::Client::new();
    let set = client
        .post(&control)
        .body(r#"{"failNext": 1, "fail": {"status": 500}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), 200);
    assert_eq!(gql(&server, GET, json!({})).await.status, 500);
    client
        .post(&control)
        .body(r#"{"failNext": 5}"#)
        .send()
        .await
        .unwrap();
    client.delete(&control).send().await.unwrap();
    assert_eq!(gql(&server, GET, json!({})).await.status, 200);
    let bad = client
        .post(&control)
        .body(r#"{"nonsense": true}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let clock = client
        .post(format!("http://{}/__mock/clock", server.addr()))
        .body(r#"{"advanceMs": 5000}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(clock.status(), 200);
    let token = client
        .post(format!("http://{}/__mock/token", server.addr()))
        .body(r#"{"provider": "oidc", "expiresIn": 60}"#)
        .send()
        .await
        .unwrap();
    let token: serde_json::Value = serde_json::from_str(&token.text().await.unwrap()).unwrap();
    let ok = gql_with(
        &server,
        &[("authorization", token["token"].as_str().unwrap())],
        GET,
        json!({}),
    )
    .await;
    assert_eq!(ok.status, 200);
}

#[tokio::test]
async fn browsers_get_cors_answers() {
    let server = server(ConflictMode::Automerge).await;
    let preflight = reqwest::Client::new()
        .request(reqwest::Method::OPTIONS, server.graphql_url())
        .header("origin", "http://localhost:5173")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "x-api-key,content-type")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), 204);
    assert_eq!(preflight.headers()["access-control-allow-origin"], "*");
    assert_eq!(
        preflight.headers()["access-control-allow-headers"],
        "x-api-key,content-type"
    );
    let reply = gql(&server, GET, json!({})).await;
    assert_eq!(reply.headers["access-control-allow-origin"], "*");
}
