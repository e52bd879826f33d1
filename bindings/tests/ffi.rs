//! The exported API driven from Rust exactly as the generated bindings drive it: a client from the
//! config the mock wrote, queries, typed exceptions for bad input, and a subscription listener.

// Test code: a failed expectation should stop the test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use appsync_ffi::*;
use appsync_mock::{MockConfig, MockServer};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SCHEMA: &str = include_str!("../../tests/fixtures/schema.graphql");

fn request(document: &str, variables: Option<&str>) -> GraphQlRequest {
    GraphQlRequest {
        document: document.into(),
        variables_json: variables.map(str::to_owned),
        operation_name: None,
        auth_mode: None,
        headers: Default::default(),
        timeout_ms: None,
        partial_results: false,
    }
}

#[tokio::test]
async fn queries_and_typed_exceptions_through_the_exported_api() {
    let server = MockServer::start(MockConfig::new(SCHEMA)).await.unwrap();
    let client = AppSyncClient::new(
        server.amplify_outputs().to_string(),
        "amplify_outputs.json".into(),
        AuthProviders::default(),
    )
    .unwrap();
    let created = client
        .mutate(request(
            "mutation C($i: CreateTodoInput!) { createTodo(input: $i) { id name } }",
            Some(r#"{"i":{"id":"f1","name":"ffi"}}"#),
        ))
        .await
        .unwrap();
    assert_eq!(
        created.data_json.as_deref(),
        Some(r#"{"createTodo":{"__typename":"Todo","id":"f1","name":"ffi"}}"#)
    );

    let bad_variables = client
        .query(request("{ listTodos { items { id } } }", Some("{not json")))
        .await;
    assert!(matches!(
        bad_variables,
        Err(AppSyncException::InvalidDocument { .. })
    ));
    let partial = client
        .query(request("{ listSecrets { items { id } } }", None))
        .await;
    match partial {
        Err(AppSyncException::GraphQl { errors, .. }) => {
            assert_eq!(errors[0].error_type.as_deref(), Some("Unauthorized"));
            assert_eq!(errors[0].path_json.as_deref(), Some(r#"["listSecrets"]"#));
        }
        other => panic!("{other:?}"),
    }
    let config = AppSyncClient::new(
        r#"{"data":{"url":1}}"#.into(),
        "amplify_outputs.json".into(),
        AuthProviders::default(),
    );
    match config {
        Err(AppSyncException::Config {
            key, source_name, ..
        }) => assert_eq!(
            (key.as_str(), source_name.as_str()),
            ("data.url", "amplify_outputs.json")
        ),
        other => panic!("{other:?}"),
    }
}

struct Collect(Mutex<Vec<SubscriptionEvent>>);

impl SubscriptionListener for Collect {
    fn on_event(&self, event: SubscriptionEvent) {
        self.0.lock().unwrap().push(event);
    }
}

#[tokio::test]
async fn a_listener_receives_events_until_the_handle_is_cancelled() {
    let server = MockServer::start(MockConfig::new(SCHEMA)).await.unwrap();
    let client = AppSyncClient::new(
        server.amplify_outputs().to_string(),
        "amplify_outputs.json".into(),
        AuthProviders::default(),
    )
    .unwrap();
    let listener = Arc::new(Collect(Mutex::new(Vec::new())));
    let handle = client
        .subscribe(
            request("subscription { onCreateTodo { id } }", None),
            listener.clone(),
        )
        .unwrap();
    for _ in 0..100 {
        if listener
            .0
            .lock()
            .unwrap()
            .contains(&SubscriptionEvent::Started)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    client
        .mutate(request(
            "mutation { createTodo(input: {id: \"e1\", name: \"x\"}) { id } }",
            None,
        ))
        .await
        .unwrap();
    for _ in 0..100 {
        if listener
            .0
            .lock()
            .unwrap()
            .iter()
            .any(|e| matches!(e, SubscriptionEvent::Data { .. }))
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    handle.cancel();
    let before = listener.0.lock().unwrap().len();
    client
        .mutate(request(
            "mutation { createTodo(input: {id: \"e2\", name: \"x\"}) { id } }",
            None,
        ))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let events = listener.0.lock().unwrap().clone();
    assert!(
        events.contains(&SubscriptionEvent::Data {
            data_json: r#"{"onCreateTodo":{"__typename":"Todo","id":"e1"}}"#.into()
        }),
        "{events:?}"
    );
    assert_eq!(events.len(), before, "nothing after cancel");
    assert!(
        client
            .subscribe(request("query { a }", None), listener)
            .is_err(),
        "a query is not a subscription"
    );
}
