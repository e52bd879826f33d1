//! Shared pieces of the scenario tests: a mock server with the fixture schema, clients built
//! from the configuration files the mock writes, and providers that count their calls.

// Test support: failing loudly on broken setup is the point here.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use appsync_core::auth::{AuthToken, CredentialsFn, ProviderError, TokenFn};
use appsync_core::{AppSyncClient, AuthProviders, AwsCredentials, ClientConfig};
use appsync_mock::config::{DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY};
use appsync_mock::{AuthMode, ConflictMode, MockConfig, MockServer};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// The schema every suite runs against.
pub const SCHEMA: &str = include_str!("../fixtures/schema.graphql");

/// A mock server on 127.0.0.1 with a random port.
pub async fn start_mock(conflict: ConflictMode) -> MockServer {
    match MockServer::start(MockConfig::new(SCHEMA).conflict(conflict)).await {
        Ok(server) => server,
        Err(e) => panic!("the mock server did not start: {e}"),
    }
}

/// The client config read from the `amplify_outputs.json` the mock writes.
pub fn gen2_config(server: &MockServer) -> ClientConfig {
    match ClientConfig::from_json_str(
        &server.amplify_outputs().to_string(),
        "amplify_outputs.json",
    ) {
        Ok(config) => config,
        Err(e) => panic!("the mock's amplify_outputs.json does not load: {e}"),
    }
}

/// A client with every provider wired to the mock's credentials.
pub fn full_client(server: &MockServer) -> AppSyncClient {
    AppSyncClient::new(gen2_config(server), providers_for(server))
}

/// Providers for every mode, minting fresh tokens from the mock.
pub fn providers_for(server: &MockServer) -> AuthProviders {
    let user_pool = mint(server, AuthMode::UserPools);
    let oidc = mint(server, AuthMode::Oidc);
    AuthProviders::new()
        .user_pools(TokenFn(move |_| {
            let token = user_pool.clone();
            async move { Ok(AuthToken::new(token)) }
        }))
        .oidc(TokenFn(move |_| {
            let token = oidc.clone();
            async move { Ok(AuthToken::new(token)) }
        }))
        .lambda(TokenFn(|_| async {
            Ok(AuthToken::new(appsync_mock::config::DEFAULT_LAMBDA_TOKEN))
        }))
        .iam(CredentialsFn(|_| async { Ok(mock_credentials()) }))
}

pub fn mint(server: &MockServer, mode: AuthMode) -> String {
    match server.mint_token(mode, &serde_json::json!({})) {
        Ok(token) => token,
        Err(e) => panic!("minting failed: {e}"),
    }
}

pub fn mock_credentials() -> AwsCredentials {
    AwsCredentials {
        access_key_id: DEFAULT_ACCESS_KEY_ID.into(),
        secret_access_key: DEFAULT_SECRET_ACCESS_KEY.into(),
        session_token: None,
        expires_at_ms: None,
    }
}

/// Counts calls; shared between a provider closure and the test.
#[derive(Debug, Clone, Default)]
pub struct Counter(Arc<AtomicUsize>);

impl Counter {
    pub fn bump(&self) -> usize {
        self.0.fetch_add(1, Ordering::SeqCst) + 1
    }
    pub fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

/// A provider error, for providers that fail on purpose.
pub fn provider_error(message: &str) -> ProviderError {
    ProviderError::new(message)
}
