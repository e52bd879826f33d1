//! `--tls`: https with a self-signed certificate that clients can trust, kept across restarts.

// Test code: a failed expectation should stop the test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use appsync_mock::config::DEFAULT_API_KEY;
use appsync_mock::tls::TlsIdentity;
use appsync_mock::{MockConfig, MockServer};
use support::SCHEMA;

#[tokio::test]
async fn serves_https_to_clients_that_trust_its_certificate() {
    let identity = TlsIdentity::self_signed().unwrap();
    let server = MockServer::start(MockConfig::new(SCHEMA).tls(identity.clone()))
        .await
        .unwrap();
    assert!(server.graphql_url().starts_with("https://127.0.0.1:"));
    assert!(server.realtime_url().starts_with("wss://"));
    assert_eq!(
        server.amplify_outputs()["data"]["url"],
        server.graphql_url()
    );

    let trusting = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(identity.cert_pem.as_bytes()).unwrap())
        .build()
        .unwrap();
    let response = trusting
        .post(server.graphql_url())
        .header("x-api-key", DEFAULT_API_KEY)
        .body(r#"{"query":"{ listTodos { items { id } } }"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let localhost = server.graphql_url().replace("127.0.0.1", "localhost");
    let by_name = trusting
        .post(localhost)
        .header("x-api-key", DEFAULT_API_KEY)
        .body(r#"{"query":"{ listTodos { items { id } } }"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(by_name.status(), 200, "the certificate names localhost too");

    let untrusting = reqwest::Client::new();
    assert!(untrusting
        .post(server.graphql_url())
        .body("{}")
        .send()
        .await
        .is_err());
    let plain = server.graphql_url().replace("https://", "http://");
    assert!(
        untrusting.post(plain).body("{}").send().await.is_err(),
        "no plain http on a TLS port"
    );
}

#[test]
fn the_certificate_is_written_once_and_reused() {
    let dir = std::env::temp_dir().join(format!("appsync-mock-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let first = TlsIdentity::load_or_create(&dir).unwrap();
    let second = TlsIdentity::load_or_create(&dir).unwrap();
    assert_eq!(first, second);
    assert!(dir.join("appsync-mock-cert.pem").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}
