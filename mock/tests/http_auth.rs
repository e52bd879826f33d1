//! Every auth mode checked for real over HTTP, positive and negative, and per-field auth.

// Test code: a failed expectation should stop the test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use appsync_mock::auth::jwt::JwtKeys;
use appsync_mock::auth::sigv4::AwsCredentialsEntry;
use appsync_mock::auth::ApiKey;
use appsync_mock::config::{DEFAULT_API_KEY, DEFAULT_LAMBDA_TOKEN};
use appsync_mock::{AuthMode, ConflictMode, MockConfig, MockServer};
use serde_json::json;
use support::*;

const GET: &str = "{ getTodo(id: \"none\") { id } }";

fn assert_unauthorized(reply: &Reply, status: u16) {
    assert_eq!(reply.status, status, "{}", reply.body);
    let header = reply
        .headers
        .get("x-amzn-errortype")
        .and_then(|v| v.to_str().ok());
    assert_eq!(
        header,
        reply.error_type(),
        "the header names the error type too"
    );
}

#[tokio::test]
async fn api_keys_are_checked_including_expiry() {
    let mut config = MockConfig::new(SCHEMA);
    config.auth.api_keys.push(ApiKey {
        key: "da2-expired".into(),
        expires_at_ms: Some(1),
    });
    let server = MockServer::start(config).await.unwrap();
    assert_eq!(
        gql_with(&server, &[("x-api-key", DEFAULT_API_KEY)], GET, json!({}))
            .await
            .status,
        200
    );
    let wrong = gql_with(&server, &[("x-api-key", "da2-wrong")], GET, json!({})).await;
    assert_unauthorized(&wrong, 401);
    assert_eq!(wrong.error_type(), Some("UnauthorizedException"));
    let expired = gql_with(&server, &[("x-api-key", "da2-expired")], GET, json!({})).await;
    assert_unauthorized(&expired, 401);
    assert!(expired.message().contains("expired"));
    let missing = gql_with(&server, &[], GET, json!({})).await;
    assert_unauthorized(&missing, 401);
}

#[tokio::test]
async fn user_pool_and_oidc_tokens_are_verified() {
    let server = server(ConflictMode::Automerge).await;
    for mode in [AuthMode::UserPools, AuthMode::Oidc] {
        let token = server.mint_token(mode, &json!({})).unwrap();
        let ok = gql_with(&server, &[("authorization", &token)], GET, json!({})).await;
        assert_eq!(ok.status, 200, "{mode:?}: {}", ok.body);
        let bearer = format!("Bearer {token}");
        assert_eq!(
            gql_with(&server, &[("authorization", &bearer)], GET, json!({}))
                .await
                .status,
            200
        );

        let expired = server
            .mint_token(mode, &json!({"exp": server.clock().now_secs() - 10}))
            .unwrap();
        let reply = gql_with(&server, &[("authorization", &expired)], GET, json!({})).await;
        assert_unauthorized(&reply, 401);
        assert!(
            reply.message().to_lowercase().contains("expired"),
            "{}",
            reply.body
        );

        let wrong_audience = server
            .mint_token(mode, &json!({"aud": "someone-else"}))
            .unwrap();
        assert_unauthorized(
            &gql_with(
                &server,
                &[("authorization", &wrong_audience)],
                GET,
                json!({}),
            )
            .await,
            401,
        );
    }
    // Same claims, another key: the signature does not verify.
    let other = JwtKeys::generate().unwrap();
    let issuer = &server.auth().settings.user_pool;
    let forged = other
        .mint(&json!({"iss": issuer.issuer, "aud": issuer.client_id, "sub": "x", "exp": server.clock().now_secs() + 600}))
        .unwrap();
    assert_unauthorized(
        &gql_with(&server, &[("authorization", &forged)], GET, json!({})).await,
        401,
    );
    let jwks = reqwest::get(format!("http://{}/.well-known/jwks.json", server.addr()))
        .await
        .unwrap();
    let jwks: serde_json::Value = serde_json::from_str(&jwks.text().await.unwrap()).unwrap();
    assert_eq!(jwks["keys"][0]["alg"], "RS256");
}

#[tokio::test]
async fn lambda_tokens_are_checked() {
    let server = server(ConflictMode::Automerge).await;
    assert_eq!(
        gql_with(
            &server,
            &[("authorization", DEFAULT_LAMBDA_TOKEN)],
            GET,
            json!({})
        )
        .await
        .status,
        200
    );
    assert_unauthorized(
        &gql_with(&server, &[("authorization", "deny-me")], GET, json!({})).await,
        401,
    );
}

#[tokio::test]
async fn sigv4_is_verified_with_and_without_session_token() {
    let mut config = MockConfig::new(SCHEMA);
    config.auth.iam_credentials.push(AwsCredentialsEntry {
        access_key_id: "ASIATEMPORARY".into(),
        secret_access_key: "temporary-secret".into(),
        session_token: Some("session-token-1".into()),
    });
    let server = MockServer::start(config).await.unwrap();
    let now = server.clock().now_ms();
    let ok = gql_iam(&server, &default_credentials(), now, GET).await;
    assert_eq!(ok.status, 200, "{}", ok.body);

    let mut session = default_credentials();
    session.access_key_id = "ASIATEMPORARY".into();
    session.secret_access_key = "temporary-secret".into();
    session.session_token = Some("session-token-1".into());
    assert_eq!(gql_iam(&server, &session, now, GET).await.status, 200);
    session.session_token = Some("another-token".into());
    assert_unauthorized(&gql_iam(&server, &session, now, GET).await, 401);

    let mut wrong_secret = default_credentials();
    wrong_secret.secret_access_key = "not-the-secret".into();
    let bad = gql_iam(&server, &wrong_secret, now, GET).await;
    assert_unauthorized(&bad, 403);
    assert_eq!(bad.error_type(), Some("InvalidSignatureException"));

    let skewed = gql_iam(&server, &default_credentials(), now - 10 * 60 * 1000, GET).await;
    assert_unauthorized(&skewed, 403);
    assert!(
        skewed.message().starts_with("Signature expired"),
        "{}",
        skewed.body
    );
    assert!(
        skewed.headers.get("date").is_some(),
        "clients learn the server time from Date"
    );
}

#[tokio::test]
async fn modes_that_are_not_enabled_are_refused() {
    let server = MockServer::start(MockConfig::new(SCHEMA).auth_modes(&[AuthMode::ApiKey]))
        .await
        .unwrap();
    let token = server.mint_token(AuthMode::UserPools, &json!({})).unwrap();
    assert_unauthorized(
        &gql_with(&server, &[("authorization", &token)], GET, json!({})).await,
        401,
    );
    let now = server.clock().now_ms();
    assert_unauthorized(
        &gql_iam(&server, &default_credentials(), now, GET).await,
        401,
    );
}

#[tokio::test]
async fn fields_refuse_modes_their_type_does_not_allow() {
    let server = server(ConflictMode::Automerge).await;
    let query = "{ getTodo(id: \"1\") { id } getSecret(id: \"1\") { id } }";
    let reply = gql(&server, query, json!({})).await;
    assert_eq!(reply.status, 200);
    assert!(reply.data().get("getTodo").is_some());
    assert_eq!(reply.data()["getSecret"], serde_json::Value::Null);
    assert_eq!(reply.error_type(), Some("Unauthorized"));
    assert_eq!(reply.body["errors"][0]["path"], json!(["getSecret"]));
    let token = server.mint_token(AuthMode::UserPools, &json!({})).unwrap();
    let allowed = gql_with(&server, &[("authorization", &token)], query, json!({})).await;
    assert!(allowed.body.get("errors").is_none(), "{}", allowed.body);
}
