//! Each error the client can return, produced for real against the mock (or a socket that
//! misbehaves on purpose), plus partial results.

// Test code: a failed expectation should stop the test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use appsync_core::{
    AppSyncClient, AppSyncError, AuthProviders, ClientConfig, ErrorPolicy, GraphQLRequest,
};
use appsync_mock::ConflictMode;
use appsync_scenarios::*;
use serde_json::json;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn partial_results_keep_data_and_every_error_field() {
    let server = start_mock(ConflictMode::Automerge).await;
    let client = full_client(&server);
    let request =
        GraphQLRequest::new("query Both { getTodo(id: \"1\") { id } getSecret(id: \"1\") { id } }")
            .error_policy(ErrorPolicy::All);
    let response = client.query(request.clone()).await.unwrap();
    let data = response.data.as_ref().unwrap();
    assert!(data.get("getTodo").is_some());
    assert_eq!(data["getSecret"], serde_json::Value::Null);
    let error = &response.errors[0];
    assert_eq!(error.error_type.as_deref(), Some("Unauthorized"));
    assert_eq!(error.path.as_deref(), Some(&[json!("getSecret")][..]));
    // Locations point into the document as sent (`Operation::text()`, `__typename` added).
    let sent = appsync_core::graphql::Operation::parse(
        "query Both { getTodo(id: \"1\") { id } getSecret(id: \"1\") { id } }",
        None,
    )
    .unwrap();
    let line = error.locations.as_ref().unwrap()[0].line as usize;
    assert!(
        sent.text()
            .lines()
            .nth(line - 1)
            .unwrap()
            .contains("getSecret"),
        "{}",
        sent.text()
    );
    match client.query(request.error_policy(ErrorPolicy::None)).await {
        Err(AppSyncError::GraphQl { errors, data }) => {
            assert_eq!(errors.len(), 1);
            assert!(
                data.unwrap().get("getTodo").is_some(),
                "the partial data stays with the error"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_conflict_is_a_graphql_error_with_the_server_item() {
    let server = start_mock(ConflictMode::Optimistic).await;
    let client = full_client(&server);
    let create =
        "mutation C($input: CreateTodoInput!) { createTodo(input: $input) { id _version } }";
    client
        .mutate(GraphQLRequest::new(create).variables(json!({"input": {"id": "c", "name": "a"}})))
        .await
        .unwrap();
    let update =
        "mutation U($input: UpdateTodoInput!) { updateTodo(input: $input) { id _version } }";
    let first = json!({"input": {"id": "c", "name": "b", "_version": 1}});
    client
        .mutate(GraphQLRequest::new(update).variables(first.clone()))
        .await
        .unwrap();
    match client
        .mutate(GraphQLRequest::new(update).variables(first))
        .await
    {
        Err(AppSyncError::GraphQl { errors, .. }) => {
            assert_eq!(errors[0].error_type.as_deref(), Some("ConflictUnhandled"));
            assert_eq!(errors[0].data.as_ref().unwrap()["_version"], 2);
            assert!(
                errors[0].error_info.is_none()
                    || errors[0].error_info == Some(serde_json::Value::Null)
            );
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn server_statuses_become_http_errors_with_their_body() {
    let server = start_mock(ConflictMode::Automerge).await;
    let client = full_client(&server);
    let get = GraphQLRequest::new("{ getTodo(id: \"1\") { id } }");
    server.faults().fail_next(1, 503, None);
    match client.query(get.clone()).await {
        Err(e @ AppSyncError::Http { status: 503, .. }) => {
            assert!(e.is_transient());
            if let AppSyncError::Http {
                body, error_type, ..
            } = e
            {
                assert!(body.contains("InternalFailure"));
                assert_eq!(error_type.as_deref(), Some("InternalFailure"));
            }
        }
        other => panic!("{other:?}"),
    }
    server.faults().fail_next(1, 429, Some(2));
    assert!(matches!(
        client.query(get.clone()).await,
        Err(AppSyncError::Http { status: 429, .. })
    ));
    server.faults().fail_next(1, 401, None);
    match client.query(get.clone()).await {
        Err(e @ AppSyncError::Http { status: 401, .. }) => assert_eq!(e.code(), "UNAUTHORIZED"),
        other => panic!("an API key cannot be refreshed, so 401 is final: {other:?}"),
    }
    client.query(get).await.unwrap();
}

#[tokio::test]
async fn an_unreachable_server_is_a_network_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let config = ClientConfig::builder(format!("http://127.0.0.1:{port}/graphql"))
        .build()
        .unwrap();
    let client = AppSyncClient::new(config, AuthProviders::new());
    match client.query(GraphQLRequest::new("{ a }")).await {
        Err(e @ AppSyncError::Network { .. }) => assert!(e.is_transient()),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_slow_server_is_a_timeout() {
    let server = start_mock(ConflictMode::Automerge).await;
    server.faults().set_latency(Duration::from_millis(400));
    let client = full_client(&server);
    let request =
        GraphQLRequest::new("{ getTodo(id: \"1\") { id } }").timeout(Duration::from_millis(50));
    assert_eq!(
        client.query(request).await.unwrap_err(),
        AppSyncError::Timeout { after_ms: 50 }
    );
}

#[tokio::test]
async fn a_reset_connection_is_a_network_error() {
    let server = start_mock(ConflictMode::Automerge).await;
    server.faults().reset_next(1);
    let client = full_client(&server);
    let result = client
        .query(GraphQLRequest::new("{ getTodo(id: \"1\") { id } }"))
        .await;
    assert!(
        matches!(result, Err(AppSyncError::Network { .. })),
        "{result:?}"
    );
}

#[tokio::test]
async fn invalid_documents_are_caught_before_sending() {
    let server = start_mock(ConflictMode::Automerge).await;
    let client = full_client(&server);
    let cases = [
        GraphQLRequest::new("query { getTodo(id: ) { id }"),
        GraphQLRequest::new("query Q($id: ID!) { getTodo(id: $id) { id } }"),
        GraphQLRequest::new("query { getTodo(id: $undeclared) { id } }"),
        GraphQLRequest::new("mutation { deleteTodo(input: {id: \"1\"}) { id } }"),
        GraphQLRequest::new("query A { a } query B { b }"),
        GraphQLRequest::new("{ a }").variables(json!("not an object")),
    ];
    for request in cases {
        let document = request.document.clone();
        match client.query(request).await {
            Err(e @ AppSyncError::InvalidDocument(_)) => assert_eq!(e.code(), "INVALID_DOCUMENT"),
            other => panic!("{document}: {other:?}"),
        }
    }
    assert!(matches!(
        client
            .mutate(GraphQLRequest::new("{ getTodo(id: \"1\") { id } }"))
            .await,
        Err(AppSyncError::InvalidDocument(_))
    ));
    assert!(
        server.recorded_requests().is_empty(),
        "nothing invalid was sent"
    );
}

#[tokio::test]
async fn documents_are_sent_with_typename_and_operation_name() {
    let server = start_mock(ConflictMode::Automerge).await;
    let client = full_client(&server);
    let response = client
        .query(
            GraphQLRequest::new(
                "query A { x: getTodo(id: \"1\") { id } } query B { listTodos { items { id } } }",
            )
            .operation_name("B"),
        )
        .await
        .unwrap();
    assert_eq!(
        response.data.unwrap()["listTodos"]["__typename"],
        "ModelTodoConnection"
    );
    let body: serde_json::Value =
        serde_json::from_str(&server.recorded_requests()[0].body).unwrap();
    assert_eq!(body["operationName"], "B");
    assert!(body["query"].as_str().unwrap().contains("__typename"));
}

/// Serves one fixed raw HTTP answer to every connection.
async fn garbage_server(answer: &'static str) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buffer = vec![0u8; 16 * 1024];
            let _ = socket.read(&mut buffer).await;
            let _ = socket.write_all(answer.as_bytes()).await;
            let _ = socket.shutdown().await;
        }
    });
    format!("http://{addr}/graphql")
}

#[tokio::test]
async fn a_server_sending_garbage_gets_a_typed_error() {
    for answer in [
        "HTTP/1.1 200 OK\r\ncontent-length: 5\r\nconnection: close\r\n\r\nhello",
        "HTTP/1.1 200 OK\r\ncontent-length: 13\r\nconnection: close\r\n\r\n{\"data\": null",
        "HTTP/1.1 200 OK\r\ncontent-length: 21\r\nconnection: close\r\n\r\n{\"errors\": \"a string\"}",
        "HTTP/1.1 502 Bad Gateway\r\ncontent-length: 4\r\nconnection: close\r\n\r\n<h1>",
    ] {
        let config = ClientConfig::builder(garbage_server(answer).await).build().unwrap();
        let client = AppSyncClient::new(config, AuthProviders::new());
        let result = client.query(GraphQLRequest::new("{ a }")).await;
        assert!(
            matches!(result, Err(AppSyncError::InvalidResponse { .. }) | Err(AppSyncError::Http { .. })),
            "{answer}: {result:?}"
        );
    }
    let config = ClientConfig::builder(garbage_server("not http at all\r\n\r\n").await)
        .build()
        .unwrap();
    let result = AppSyncClient::new(config, AuthProviders::new())
        .query(GraphQLRequest::new("{ a }"))
        .await;
    assert!(
        matches!(result, Err(AppSyncError::Network { .. })),
        "{result:?}"
    );
}
