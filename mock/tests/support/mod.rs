//! Helpers for the mock's HTTP tests: a server on 127.0.0.1 with the shared fixture schema and
//! a raw HTTP client that talks to it the way any AppSync client would.

// Test code: a failed expectation should stop the test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(dead_code)]

use appsync_core::auth::{sign_request, AwsCredentials, SigningInput};
use appsync_mock::config::{DEFAULT_ACCESS_KEY_ID, DEFAULT_API_KEY, DEFAULT_SECRET_ACCESS_KEY};
use appsync_mock::{ConflictMode, MockConfig, MockServer};
use serde_json::{json, Value};

pub const SCHEMA: &str = include_str!("../../../tests/fixtures/schema.graphql");

pub async fn server(conflict: ConflictMode) -> MockServer {
    MockServer::start(MockConfig::new(SCHEMA).conflict(conflict))
        .await
        .expect("mock starts")
}

pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn data(&self) -> &Value {
        &self.body["data"]
    }
    pub fn error_type(&self) -> Option<&str> {
        self.body["errors"][0]["errorType"].as_str()
    }
    pub fn message(&self) -> &str {
        self.body["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
    }
}

pub async fn post_raw(url: &str, headers: &[(&str, &str)], body: Vec<u8>) -> Reply {
    let client = reqwest::Client::new();
    let mut request = client.post(url).header("content-type", "application/json");
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let response = request
        .body(body)
        .send()
        .await
        .expect("request reaches the mock");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Reply {
        status,
        headers,
        body,
    }
}

/// A GraphQL request with the default API key.
pub async fn gql(server: &MockServer, query: &str, variables: Value) -> Reply {
    gql_with(server, &[("x-api-key", DEFAULT_API_KEY)], query, variables).await
}

pub async fn gql_with(
    server: &MockServer,
    headers: &[(&str, &str)],
    query: &str,
    variables: Value,
) -> Reply {
    let body = json!({"query": query, "variables": variables})
        .to_string()
        .into_bytes();
    post_raw(&server.graphql_url(), headers, body).await
}

/// A GraphQL request signed with SigV4 at `time_ms` (the device's idea of now).
pub async fn gql_iam(
    server: &MockServer,
    credentials: &AwsCredentials,
    time_ms: i64,
    query: &str,
) -> Reply {
    let body = json!({"query": query}).to_string().into_bytes();
    let base = vec![("content-type".to_owned(), "application/json".to_owned())];
    let url = server.graphql_url();
    let input = SigningInput {
        method: "POST",
        url: &url,
        headers: &base,
        body: &body,
        region: "us-east-1",
        service: "appsync",
        time_ms,
    };
    let signed = sign_request(credentials, &input).expect("signs");
    let pairs: Vec<(&str, &str)> = signed
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    post_raw(&url, &pairs, body).await
}

pub fn default_credentials() -> AwsCredentials {
    AwsCredentials {
        access_key_id: DEFAULT_ACCESS_KEY_ID.into(),
        secret_access_key: DEFAULT_SECRET_ACCESS_KEY.into(),
        session_token: None,
        expires_at_ms: None,
    }
}

pub const CREATE_TODO: &str = "mutation($input: CreateTodoInput!, $condition: ModelTodoConditionInput) {
  createTodo(input: $input, condition: $condition) { id name description priority done tags _version _deleted _lastChangedAt createdAt updatedAt }
}";
pub const UPDATE_TODO: &str = "mutation($input: UpdateTodoInput!, $condition: ModelTodoConditionInput) {
  updateTodo(input: $input, condition: $condition) { id name description priority done tags _version _deleted }
}";
pub const DELETE_TODO: &str = "mutation($input: DeleteTodoInput!) { deleteTodo(input: $input) { id name _version _deleted } }";
pub const SYNC_TODOS: &str = "query($limit: Int, $nextToken: String, $lastSync: AWSTimestamp, $filter: ModelTodoFilterInput) {
  syncTodos(limit: $limit, nextToken: $nextToken, lastSync: $lastSync, filter: $filter) { items { id name _version _deleted } nextToken startedAt }
}";
pub const LIST_TODOS: &str = "query($filter: ModelTodoFilterInput, $limit: Int, $nextToken: String) {
  listTodos(filter: $filter, limit: $limit, nextToken: $nextToken) { items { id name priority } nextToken }
}";

pub async fn create_todo(server: &MockServer, input: Value) -> Value {
    let reply = gql(server, CREATE_TODO, json!({"input": input})).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(reply.body.get("errors").is_none(), "{}", reply.body);
    reply.data()["createTodo"].clone()
}
