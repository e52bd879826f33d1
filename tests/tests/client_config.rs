//! Every config form the mock writes (and the ones it does not) drives a working client.

// Test code: a failed expectation should stop the test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use appsync_core::auth::HeadersFn;
use appsync_core::{AppSyncClient, AuthMode, AuthProviders, ClientConfig, GraphQLRequest};
use appsync_mock::config::DEFAULT_API_KEY;
use appsync_mock::ConflictMode;
use appsync_scenarios::*;
use serde_json::json;

async fn works(config: ClientConfig, providers: AuthProviders) {
    let client = AppSyncClient::new(config, providers);
    let create = "mutation($input: CreateTodoInput!) { createTodo(input: $input) { id name } }";
    let response = client
        .mutate(GraphQLRequest::new(create).variables(json!({"input": {"name": "from config"}})))
        .await
        .unwrap();
    assert_eq!(response.data.unwrap()["createTodo"]["name"], "from config");
}

#[tokio::test]
async fn gen2_outputs_and_gen1_files_from_disk_drive_a_client() {
    let server = start_mock(ConflictMode::Automerge).await;
    let dir = std::env::temp_dir().join(format!("appsync-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let outputs = dir.join("amplify_outputs.json");
    std::fs::write(&outputs, server.amplify_outputs().to_string()).unwrap();
    let gen1 = dir.join("amplifyconfiguration.json");
    std::fs::write(&gen1, server.amplify_configuration().to_string()).unwrap();

    let config = ClientConfig::from_file(&outputs).unwrap();
    assert_eq!(config.additional_auth_modes.len(), 4);
    works(config, providers_for(&server)).await;
    works(
        ClientConfig::from_file(&gen1).unwrap(),
        AuthProviders::new(),
    )
    .await;

    // The native plugin form alone (what Android and iOS apps ship).
    let mut native = server.amplify_configuration();
    for key in [
        "aws_appsync_graphqlEndpoint",
        "aws_appsync_authenticationType",
        "aws_appsync_apiKey",
        "aws_appsync_region",
    ] {
        native.as_object_mut().unwrap().remove(key);
    }
    works(
        ClientConfig::from_json_str(&native.to_string(), "amplifyconfiguration.json").unwrap(),
        AuthProviders::new(),
    )
    .await;
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn the_nested_api_graphql_form_drives_a_client() {
    let server = start_mock(ConflictMode::Automerge).await;
    let exports = json!({"API": {"GraphQL": {
        "endpoint": server.graphql_url(), "region": "us-east-1", "defaultAuthMode": "apiKey", "apiKey": DEFAULT_API_KEY
    }}});
    works(
        ClientConfig::from_json_str(&exports.to_string(), "aws-exports.json").unwrap(),
        AuthProviders::new(),
    )
    .await;
}

#[tokio::test]
async fn a_custom_endpoint_with_custom_headers_only() {
    let server = start_mock(ConflictMode::Automerge).await;
    let config = ClientConfig::builder(server.graphql_url()).build().unwrap();
    assert_eq!(config.default_auth_mode, AuthMode::None);
    // A gateway in front of the API wants its own header; no AppSync auth at all.
    let providers = AuthProviders::new().headers(HeadersFn(|| async {
        Ok(vec![("x-api-key".to_owned(), DEFAULT_API_KEY.to_owned())])
    }));
    works(config, providers).await;
}

#[tokio::test]
async fn manual_config_with_user_pools_default_and_api_key_fallback() {
    let server = start_mock(ConflictMode::Automerge).await;
    let config = ClientConfig::builder(server.graphql_url())
        .region("us-east-1")
        .default_auth_mode(AuthMode::UserPools)
        .additional_auth_mode(AuthMode::ApiKey)
        .api_key(DEFAULT_API_KEY)
        .build()
        .unwrap();
    works(config.clone(), providers_for(&server)).await;
    let client = AppSyncClient::new(config, AuthProviders::new());
    client
        .query(GraphQLRequest::new("{ listTodos { items { id } } }").auth_mode(AuthMode::ApiKey))
        .await
        .unwrap();
}
