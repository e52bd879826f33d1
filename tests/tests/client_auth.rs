//! The client's auth against the mock: every mode, multi-auth, custom headers, refresh and
//! clock skew.

// Test code: a failed expectation should stop the test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use appsync_core::auth::{AuthToken, CredentialsFn, HeadersFn, StaticCredentials, TokenFn};
use appsync_core::{
    AppSyncClient, AppSyncError, AuthMode, AuthProviders, AwsCredentials, ClientConfig,
    ClientOptions, GraphQLRequest,
};
use appsync_mock::auth::sigv4::AwsCredentialsEntry;
use appsync_mock::{AuthMode as ServerMode, ConflictMode, MockConfig, MockServer};
use appsync_scenarios::*;
use serde_json::json;
use std::sync::Arc;

const GET: &str = "query Get($id: ID!) { getTodo(id: $id) { id name } }";

fn get() -> GraphQLRequest {
    GraphQLRequest::new(GET).variables(json!({"id": "none"}))
}

#[tokio::test]
async fn every_auth_mode_succeeds_with_valid_credentials() {
    let server = start_mock(ConflictMode::Automerge).await;
    let client = full_client(&server);
    for mode in [
        AuthMode::ApiKey,
        AuthMode::UserPools,
        AuthMode::Oidc,
        AuthMode::Lambda,
        AuthMode::Iam,
    ] {
        let response = client.query(get().auth_mode(mode)).await;
        assert!(response.is_ok(), "{mode}: {response:?}");
    }
    let modes: Vec<_> = server
        .recorded_requests()
        .iter()
        .map(|r| {
            (
                r.header("x-api-key").is_some(),
                r.header("authorization")
                    .map(|a| a.starts_with("AWS4-HMAC-SHA256")),
            )
        })
        .collect();
    assert_eq!(modes[0], (true, None));
    assert_eq!(modes[4], (false, Some(true)));
}

fn assert_unauthorized(result: Result<appsync_core::GraphQLResponse, AppSyncError>, status: u16) {
    match result {
        Err(AppSyncError::Http {
            status: s,
            error_type,
            ..
        }) => {
            assert_eq!(s, status);
            assert!(error_type.is_some(), "the AppSync error type is kept");
        }
        other => panic!("expected HTTP {status}, got {other:?}"),
    }
}

#[tokio::test]
async fn wrong_and_missing_credentials_are_typed_errors() {
    let server = start_mock(ConflictMode::Automerge).await;
    let mut config = gen2_config(&server);
    config.api_key = Some("da2-wrong".into());
    let wrong_key = AppSyncClient::new(config.clone(), AuthProviders::new());
    let e = wrong_key.query(get()).await;
    assert_unauthorized(e, 401);

    let bad_token = AppSyncClient::new(
        config.clone(),
        AuthProviders::new()
            .user_pools(TokenFn(|_| async {
                Ok(AuthToken::new("not-a-real-token"))
            }))
            .lambda(TokenFn(|_| async { Ok(AuthToken::new("deny")) })),
    );
    assert_unauthorized(
        bad_token.query(get().auth_mode(AuthMode::UserPools)).await,
        401,
    );
    assert_unauthorized(
        bad_token.query(get().auth_mode(AuthMode::Lambda)).await,
        401,
    );

    let mut wrong = mock_credentials();
    wrong.secret_access_key = "wrong".into();
    let bad_iam = AppSyncClient::new(
        config.clone(),
        AuthProviders::new().iam(StaticCredentials(wrong)),
    );
    assert_unauthorized(bad_iam.query(get().auth_mode(AuthMode::Iam)).await, 403);

    let none = AppSyncClient::new(config.clone(), AuthProviders::new());
    for mode in [
        AuthMode::UserPools,
        AuthMode::Oidc,
        AuthMode::Lambda,
        AuthMode::Iam,
    ] {
        match none.query(get().auth_mode(mode)).await {
            Err(AppSyncError::Auth { mode: Some(m), .. }) => assert_eq!(m, mode),
            other => panic!("{mode}: expected a missing-provider error, got {other:?}"),
        }
    }
    config.api_key = None;
    let keyless = AppSyncClient::new(config, AuthProviders::new());
    assert!(matches!(
        keyless.query(get().auth_mode(AuthMode::ApiKey)).await,
        Err(AppSyncError::Auth { .. })
    ));
    // Wrong key: 1 request (an API key cannot be refreshed). Rejected token, Lambda token and
    // signature: 2 each (one refresh and one retry). Missing providers and key: none.
    assert_eq!(
        server.recorded_requests().len(),
        7,
        "missing credentials never reach the network"
    );
}

#[tokio::test]
async fn expired_tokens_are_errors_after_one_refresh() {
    let server = start_mock(ConflictMode::Automerge).await;
    let expired = server
        .mint_token(
            ServerMode::UserPools,
            &json!({"exp": server.clock().now_secs() - 60}),
        )
        .unwrap();
    let calls = Counter::default();
    let counted = calls.clone();
    let client = AppSyncClient::new(
        gen2_config(&server),
        AuthProviders::new().user_pools(TokenFn(move |_| {
            counted.bump();
            let token = expired.clone();
            async move { Ok(AuthToken::new(token)) }
        })),
    );
    assert_unauthorized(
        client.query(get().auth_mode(AuthMode::UserPools)).await,
        401,
    );
    assert_eq!(calls.get(), 2, "asked once, refreshed once, no loop");
}

#[tokio::test]
async fn sigv4_works_with_a_session_token() {
    let mut config = MockConfig::new(SCHEMA);
    config.auth.iam_credentials = vec![AwsCredentialsEntry {
        access_key_id: "ASIASESSION".into(),
        secret_access_key: "session-secret".into(),
        session_token: Some("the-session-token".into()),
    }];
    let server = MockServer::start(config).await.unwrap();
    let credentials = AwsCredentials {
        access_key_id: "ASIASESSION".into(),
        secret_access_key: "session-secret".into(),
        session_token: Some("the-session-token".into()),
        expires_at_ms: None,
    };
    let client = AppSyncClient::new(
        gen2_config(&server),
        AuthProviders::new().iam(StaticCredentials(credentials)),
    );
    client.query(get().auth_mode(AuthMode::Iam)).await.unwrap();
    let request = server.recorded_requests().pop().unwrap();
    assert_eq!(
        request.header("x-amz-security-token"),
        Some("the-session-token")
    );
}

#[tokio::test]
async fn multi_auth_override_picks_the_mode_per_request() {
    let server = start_mock(ConflictMode::Automerge).await;
    let client = full_client(&server);
    let secret = GraphQLRequest::new("{ getSecret(id: \"s\") { id } }");
    match client.query(secret.clone()).await {
        Err(AppSyncError::GraphQl { errors, .. }) => {
            assert_eq!(errors[0].error_type.as_deref(), Some("Unauthorized"))
        }
        other => panic!("API key may not read Secret: {other:?}"),
    }
    let allowed = client
        .query(secret.auth_mode(AuthMode::UserPools))
        .await
        .unwrap();
    assert!(allowed.errors.is_empty());
}

#[tokio::test]
async fn custom_headers_reach_the_server_on_every_request() {
    let server = start_mock(ConflictMode::Automerge).await;
    let calls = Counter::default();
    let counted = calls.clone();
    let providers = providers_for(&server).headers(HeadersFn(move || {
        let n = counted.bump();
        async move { Ok(vec![("x-trace-id".to_owned(), format!("trace-{n}"))]) }
    }));
    let client = AppSyncClient::new(gen2_config(&server), providers);
    client.query(get()).await.unwrap();
    client
        .query(get().header("x-request-flag", "on"))
        .await
        .unwrap();
    let recorded = server.recorded_requests();
    assert_eq!(recorded[0].header("x-trace-id"), Some("trace-1"));
    assert_eq!(recorded[1].header("x-trace-id"), Some("trace-2"));
    assert_eq!(recorded[1].header("x-request-flag"), Some("on"));
    assert_eq!(calls.get(), 2);
}

#[tokio::test]
async fn an_expired_token_is_refreshed_once_and_the_request_succeeds() {
    let server = start_mock(ConflictMode::Automerge).await;
    let expired = server
        .mint_token(
            ServerMode::Oidc,
            &json!({"exp": server.clock().now_secs() - 5}),
        )
        .unwrap();
    let fresh = mint(&server, ServerMode::Oidc);
    let calls = Counter::default();
    let counted = calls.clone();
    let client = AppSyncClient::new(
        gen2_config(&server),
        AuthProviders::new().oidc(TokenFn(move |force_refresh| {
            counted.bump();
            // The provider's cached token is stale until it is told to refresh.
            let token = if force_refresh {
                fresh.clone()
            } else {
                expired.clone()
            };
            async move { Ok(AuthToken::new(token)) }
        })),
    );
    client.query(get().auth_mode(AuthMode::Oidc)).await.unwrap();
    client.query(get().auth_mode(AuthMode::Oidc)).await.unwrap();
    assert_eq!(
        calls.get(),
        2,
        "one fetch, one refresh, then the fresh token is reused"
    );
}

#[tokio::test]
async fn a_token_rejected_by_the_server_is_refreshed_once_and_retried() {
    let server = start_mock(ConflictMode::Automerge).await;
    let fresh = mint(&server, ServerMode::UserPools);
    let calls = Counter::default();
    let counted = calls.clone();
    let client = AppSyncClient::new(
        gen2_config(&server),
        AuthProviders::new().user_pools(TokenFn(move |force_refresh| {
            counted.bump();
            // Claims to be valid for an hour, but the server does not accept it (revoked).
            let token = if force_refresh {
                fresh.clone()
            } else {
                "revoked-token".to_owned()
            };
            async move {
                Ok(AuthToken::expiring_at(
                    token,
                    appsync_core::runtime::now_ms() + 3_600_000,
                ))
            }
        })),
    );
    client
        .query(get().auth_mode(AuthMode::UserPools))
        .await
        .unwrap();
    assert_eq!(calls.get(), 2);
    assert_eq!(
        server.recorded_requests().len(),
        2,
        "one rejected request, one retry"
    );
}

#[tokio::test]
async fn concurrent_requests_share_one_refresh() {
    let server = start_mock(ConflictMode::Automerge).await;
    let fresh = mint(&server, ServerMode::UserPools);
    let calls = Counter::default();
    let counted = calls.clone();
    let client = AppSyncClient::new(
        gen2_config(&server),
        AuthProviders::new().user_pools(TokenFn(move |force_refresh| {
            counted.bump();
            let token = if force_refresh {
                fresh.clone()
            } else {
                "stale".to_owned()
            };
            async move {
                tokio::time::sleep(std::time::Duration::from_millis(30)).await;
                Ok(AuthToken::new(token))
            }
        })),
    );
    let requests = (0..10).map(|_| client.query(get().auth_mode(AuthMode::UserPools)));
    for result in futures::future::join_all(requests).await {
        result.unwrap();
    }
    assert_eq!(
        calls.get(),
        2,
        "one initial fetch and one shared refresh for ten requests"
    );
}

#[tokio::test]
async fn a_provider_that_keeps_failing_is_an_error_not_a_loop() {
    let server = start_mock(ConflictMode::Automerge).await;
    let calls = Counter::default();
    let counted = calls.clone();
    let client = AppSyncClient::new(
        gen2_config(&server),
        AuthProviders::new()
            .lambda(TokenFn(move |_| {
                counted.bump();
                async { Err(provider_error("identity service unreachable")) }
            }))
            .iam(CredentialsFn(|_| async {
                Err(provider_error("no credentials"))
            })),
    );
    match client.query(get().auth_mode(AuthMode::Lambda)).await {
        Err(AppSyncError::Auth { message, .. }) => {
            assert!(message.contains("identity service unreachable"))
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(calls.get(), 1);
    assert!(matches!(
        client.query(get().auth_mode(AuthMode::Iam)).await,
        Err(AppSyncError::Auth { .. })
    ));
    assert!(server.recorded_requests().is_empty());
}

#[tokio::test]
async fn a_device_clock_twenty_minutes_off_still_signs_successfully() {
    let server = start_mock(ConflictMode::Automerge).await;
    for skew_ms in [-20 * 60 * 1000, 20 * 60 * 1000] {
        let options = ClientOptions {
            clock: Some(Arc::new(move || appsync_core::runtime::now_ms() + skew_ms)),
            ..ClientOptions::default()
        };
        let client = AppSyncClient::with_options(
            gen2_config(&server),
            AuthProviders::new().iam(StaticCredentials(mock_credentials())),
            options,
        );
        client.query(get().auth_mode(AuthMode::Iam)).await.unwrap();
        let corrected = client.authorizer().server_time_ms() - appsync_core::runtime::now_ms();
        assert!(
            corrected.abs() < 5_000,
            "the clock offset was learned (off by {corrected} ms)"
        );
        client.query(get().auth_mode(AuthMode::Iam)).await.unwrap();
    }
    assert_eq!(
        server.recorded_requests().len(),
        6,
        "each client: one rejected, one retried, one right first time"
    );
}

#[tokio::test]
async fn an_endpoint_behind_api_gateway_is_signed_for_execute_api_in_its_region() {
    let mut config = MockConfig::new(SCHEMA);
    config.auth.region = "eu-central-1".into();
    config.auth.signing_service = "execute-api".into();
    let server = MockServer::start(config).await.unwrap();
    let client_config = ClientConfig::builder(server.graphql_url())
        .region("eu-central-1")
        .default_auth_mode(AuthMode::Iam)
        .signing_service("execute-api")
        .build()
        .unwrap();
    let client = AppSyncClient::new(
        client_config,
        AuthProviders::new().iam(StaticCredentials(mock_credentials())),
    );
    client.query(get()).await.unwrap();
    let auth = server.recorded_requests()[0]
        .header("authorization")
        .unwrap()
        .to_owned();
    assert!(
        auth.contains("/eu-central-1/execute-api/aws4_request"),
        "{auth}"
    );
}

#[tokio::test]
async fn an_expired_api_key_is_an_unauthorized_error() {
    let mut config = MockConfig::new(SCHEMA);
    config.auth.api_keys = vec![appsync_mock::auth::ApiKey {
        key: "da2-old".into(),
        expires_at_ms: Some(1_000),
    }];
    let server = MockServer::start(config).await.unwrap();
    let mut client_config = gen2_config(&server);
    client_config.api_key = Some("da2-old".into());
    match AppSyncClient::new(client_config, AuthProviders::new())
        .query(get())
        .await
    {
        Err(AppSyncError::Http {
            status: 401,
            message,
            ..
        }) => assert!(message.contains("expired"), "{message}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn expired_iam_session_credentials_are_refreshed_once() {
    let mut config = MockConfig::new(SCHEMA);
    config.auth.iam_credentials = vec![
        AwsCredentialsEntry {
            access_key_id: "ASIAOLD".into(),
            secret_access_key: "old".into(),
            session_token: Some("old-session".into()),
        },
        AwsCredentialsEntry {
            access_key_id: "ASIANEW".into(),
            secret_access_key: "new".into(),
            session_token: Some("new-session".into()),
        },
    ];
    config.auth.expired_session_tokens = vec!["old-session".into()];
    let server = MockServer::start(config).await.unwrap();
    let calls = Counter::default();
    let counted = calls.clone();
    let provider = CredentialsFn(move |force_refresh| {
        counted.bump();
        let (key, secret, session) = if force_refresh {
            ("ASIANEW", "new", "new-session")
        } else {
            ("ASIAOLD", "old", "old-session")
        };
        async move {
            Ok(AwsCredentials {
                access_key_id: key.into(),
                secret_access_key: secret.into(),
                session_token: Some(session.into()),
                // The device believes they are still good: only the server knows better.
                expires_at_ms: Some(appsync_core::runtime::now_ms() + 3_600_000),
            })
        }
    });
    let client = AppSyncClient::new(gen2_config(&server), AuthProviders::new().iam(provider));
    client.query(get().auth_mode(AuthMode::Iam)).await.unwrap();
    assert_eq!(calls.get(), 2);
    let recorded = server.recorded_requests();
    assert_eq!(recorded.len(), 2);
    assert_eq!(
        recorded[1].header("x-amz-security-token"),
        Some("new-session")
    );
}
