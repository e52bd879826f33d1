//! Subscriptions against the mock: every auth mode, mixed modes on one connection, selection
//! sets and filters, many subscriptions over two connections, and every way a connection can
//! fail (socket closed, `ka` withheld, handshake refused, credential expiring, permanent
//! denial, network change, a server sending garbage), each recovered or ended with a typed
//! error, never silently.

// Test code: a failed expectation should stop the test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::result_large_err
)]

use appsync_core::auth::{AuthToken, TokenFn};
use appsync_core::realtime::Handshake;
use appsync_core::{
    AppSyncClient, AppSyncError, AuthMode, AuthProviders, ClientOptions, ConnectionState,
    GraphQLRequest, RealtimeOptions, Subscription, SubscriptionEvent,
};
use appsync_mock::{AuthMode as ServerMode, ConflictMode, MockConfig, MockServer};
use appsync_scenarios::*;
use serde_json::{json, Value};
use std::sync::atomic::Ordering;
use std::time::Duration;

fn fast() -> RealtimeOptions {
    RealtimeOptions {
        backoff_base: Duration::from_millis(50),
        backoff_cap: Duration::from_millis(400),
        linger: Duration::from_millis(200),
        start_ack_timeout: Duration::from_secs(3),
        ack_timeout: Duration::from_secs(3),
        ..RealtimeOptions::default()
    }
}

fn client_with(
    server: &MockServer,
    providers: AuthProviders,
    realtime: RealtimeOptions,
) -> AppSyncClient {
    AppSyncClient::with_options(
        gen2_config(server),
        providers,
        ClientOptions {
            realtime,
            ..ClientOptions::default()
        },
    )
}

fn client(server: &MockServer) -> AppSyncClient {
    client_with(server, providers_for(server), fast())
}

/// Waits for the first event `wanted` accepts, failing with what came instead.
async fn expect(
    sub: &mut Subscription,
    what: &str,
    wanted: impl Fn(&SubscriptionEvent) -> bool,
) -> SubscriptionEvent {
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(8);
    loop {
        match tokio::time::timeout_at(deadline, sub.next_event()).await {
            Ok(Some(event)) if wanted(&event) => return event,
            Ok(Some(event)) => seen.push(event),
            Ok(None) => panic!("{what}: the subscription ended; saw {seen:?}"),
            Err(_) => panic!("{what}: timed out; saw {seen:?}"),
        }
    }
}

async fn started(sub: &mut Subscription) {
    expect(sub, "start_ack", |e| {
        matches!(e, SubscriptionEvent::Started)
    })
    .await;
}

async fn data(sub: &mut Subscription) -> Value {
    match expect(sub, "data", |e| matches!(e, SubscriptionEvent::Data(_))).await {
        SubscriptionEvent::Data(v) => v,
        _ => unreachable!(),
    }
}

async fn create(client: &AppSyncClient, id: &str, priority: i64) {
    let create = "mutation C($input: CreateTodoInput!) { createTodo(input: $input) { id name priority description } }";
    client
        .mutate(GraphQLRequest::new(create).variables(json!({"input": {"id": id, "name": format!("todo {id}"), "priority": priority, "description": "d"}})))
        .await
        .unwrap();
}

const ON_CREATE: &str = "subscription OnCreate($filter: ModelSubscriptionTodoFilterInput) { onCreateTodo(filter: $filter) { id name } }";

#[tokio::test]
async fn every_auth_mode_subscribes_and_mixed_modes_share_one_connection() {
    let server = start_mock(ConflictMode::Automerge).await;
    let client = client(&server);
    let mut subs = Vec::new();
    for mode in [
        AuthMode::ApiKey,
        AuthMode::UserPools,
        AuthMode::Oidc,
        AuthMode::Lambda,
        AuthMode::Iam,
    ] {
        let mut sub = client
            .subscribe(GraphQLRequest::new(ON_CREATE).auth_mode(mode))
            .unwrap();
        started(&mut sub).await;
        subs.push((mode, sub));
    }
    assert_eq!(
        client.realtime_connection_count(),
        1,
        "one connection multiplexes every mode"
    );
    assert_eq!(server.realtime_stats().handshakes.load(Ordering::SeqCst), 1);
    create(&client, "m1", 1).await;
    for (mode, sub) in &mut subs {
        let event = data(sub).await;
        assert_eq!(
            event,
            json!({"onCreateTodo": {"__typename": "Todo", "id": "m1", "name": "todo m1"}}),
            "{mode}"
        );
    }
}

#[tokio::test]
async fn the_subprotocol_handshake_works_too() {
    let server = start_mock(ConflictMode::Automerge).await;
    let options = RealtimeOptions {
        handshake: Handshake::Subprotocol,
        ..fast()
    };
    let client = client_with(&server, providers_for(&server), options);
    for mode in [AuthMode::Iam, AuthMode::UserPools] {
        let mut sub = client
            .subscribe(GraphQLRequest::new(ON_CREATE).auth_mode(mode))
            .unwrap();
        started(&mut sub).await;
        client.reconnect_realtime();
    }
}

#[tokio::test]
async fn events_carry_the_subscribers_selection_and_respect_filters() {
    let server = start_mock(ConflictMode::Automerge).await;
    let client = client(&server);
    let mut all = client
        .subscribe(GraphQLRequest::new(
            "subscription { onCreateTodo { priority } }",
        ))
        .unwrap();
    let mut high = client
        .subscribe(
            GraphQLRequest::new(ON_CREATE).variables(json!({"filter": {"priority": {"gt": 5}}})),
        )
        .unwrap();
    started(&mut all).await;
    started(&mut high).await;
    create(&client, "low", 1).await;
    create(&client, "high", 9).await;
    assert_eq!(
        data(&mut all).await,
        json!({"onCreateTodo": {"__typename": "Todo", "priority": 1}})
    );
    assert_eq!(data(&mut all).await["onCreateTodo"]["priority"], 9);
    assert_eq!(
        data(&mut high).await["onCreateTodo"]["id"],
        "high",
        "the low-priority event was filtered out"
    );
}

#[tokio::test]
async fn one_hundred_fifty_subscriptions_use_two_connections() {
    let server = start_mock(ConflictMode::Automerge).await;
    let client = client(&server);
    let mut subs = Vec::new();
    for _ in 0..150 {
        subs.push(client.subscribe(GraphQLRequest::new(ON_CREATE)).unwrap());
    }
    for sub in &mut subs {
        started(sub).await;
    }
    assert_eq!(client.realtime_connection_count(), 2);
    assert_eq!(server.realtime_stats().active.load(Ordering::SeqCst), 150);
    create(&client, "fanout", 1).await;
    for sub in &mut subs {
        assert_eq!(data(sub).await["onCreateTodo"]["id"], "fanout");
    }
}

#[tokio::test]
async fn max_subscriptions_reached_moves_the_subscription_to_a_new_connection() {
    let mut config = MockConfig::new(SCHEMA);
    config.max_subscriptions_per_connection = 2;
    let server = MockServer::start(config).await.unwrap();
    let client = client(&server);
    let mut subs = Vec::new();
    for _ in 0..3 {
        let mut sub = client.subscribe(GraphQLRequest::new(ON_CREATE)).unwrap();
        started(&mut sub).await;
        subs.push(sub);
    }
    assert_eq!(client.realtime_connection_count(), 2);
    create(&client, "moved", 1).await;
    for sub in &mut subs {
        assert_eq!(data(sub).await["onCreateTodo"]["id"], "moved");
    }
}

#[tokio::test]
async fn a_closed_socket_is_reported_reconnected_and_resubscribed() {
    let server = start_mock(ConflictMode::Automerge).await;
    let client = client(&server);
    let mut sub = client.subscribe(GraphQLRequest::new(ON_CREATE)).unwrap();
    started(&mut sub).await;
    server.faults().close_sockets();
    expect(&mut sub, "disrupted", |e| {
        matches!(
            e,
            SubscriptionEvent::ConnectionState(ConnectionState::Disrupted { .. })
        )
    })
    .await;
    expect(&mut sub, "reconnecting", |e| {
        matches!(
            e,
            SubscriptionEvent::ConnectionState(ConnectionState::Reconnecting { .. })
        )
    })
    .await;
    expect(&mut sub, "resubscribed", |e| {
        matches!(e, SubscriptionEvent::Resubscribed)
    })
    .await;
    create(&client, "after-close", 1).await;
    assert_eq!(data(&mut sub).await["onCreateTodo"]["id"], "after-close");
}

#[tokio::test]
async fn a_withheld_keep_alive_is_detected_within_the_timeout_and_recovered() {
    let mut config = MockConfig::new(SCHEMA);
    config.connection_timeout_ms = 800;
    config.ka_interval_ms = 150;
    let server = MockServer::start(config).await.unwrap();
    let client = client(&server);
    let mut sub = client.subscribe(GraphQLRequest::new(ON_CREATE)).unwrap();
    started(&mut sub).await;
    server.faults().withhold_ka(true);
    let started_at = std::time::Instant::now();
    let event = expect(&mut sub, "ka missed", |e| {
        matches!(
            e,
            SubscriptionEvent::ConnectionState(ConnectionState::Disrupted { .. })
        )
    })
    .await;
    let waited = started_at.elapsed();
    assert!(format!("{event:?}").contains("keep-alive"), "{event:?}");
    assert!(
        waited < Duration::from_millis(2_000),
        "detected within the 800 ms timeout (took {waited:?})"
    );
    server.faults().withhold_ka(false);
    expect(&mut sub, "resubscribed", |e| {
        matches!(e, SubscriptionEvent::Resubscribed)
    })
    .await;
    create(&client, "after-ka", 1).await;
    assert_eq!(data(&mut sub).await["onCreateTodo"]["id"], "after-ka");
}

#[tokio::test]
async fn refused_handshakes_are_retried_with_backoff() {
    let server = start_mock(ConflictMode::Automerge).await;
    server.faults().reject_handshakes(3);
    let client = client(&server);
    let mut sub = client.subscribe(GraphQLRequest::new(ON_CREATE)).unwrap();
    started(&mut sub).await;
    assert_eq!(server.realtime_stats().handshakes.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn a_token_about_to_expire_is_refreshed_and_the_connection_renewed() {
    let server = start_mock(ConflictMode::Automerge).await;
    let short = server
        .mint_token(
            ServerMode::UserPools,
            &json!({"exp": server.clock().now_secs() + 62}),
        )
        .unwrap();
    let long = mint(&server, ServerMode::UserPools);
    let calls = Counter::default();
    let counted = calls.clone();
    let providers = AuthProviders::new().user_pools(TokenFn(move |_| {
        let n = counted.bump();
        let token = if n == 1 { short.clone() } else { long.clone() };
        async move { Ok(AuthToken::new(token)) }
    }));
    // Reconnect 60 s before expiry: the 62-second token triggers a renewal after about 2 s.
    let options = RealtimeOptions {
        refresh_before_expiry: Duration::from_secs(60),
        ..fast()
    };
    let client = client_with(&server, providers, options);
    let mut sub = client
        .subscribe(GraphQLRequest::new(ON_CREATE).auth_mode(AuthMode::UserPools))
        .unwrap();
    started(&mut sub).await;
    expect(&mut sub, "resubscribed", |e| {
        matches!(e, SubscriptionEvent::Resubscribed)
    })
    .await;
    assert!(calls.get() >= 2, "the provider was asked for a new token");
    assert_eq!(server.realtime_stats().handshakes.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_rejected_token_is_refreshed_once_then_the_subscription_fails_with_a_typed_error() {
    let server = start_mock(ConflictMode::Automerge).await;
    let calls = Counter::default();
    let counted = calls.clone();
    let providers = AuthProviders::new().lambda(TokenFn(move |_| {
        counted.bump();
        async { Ok(AuthToken::new("always-denied")) }
    }));
    let client = client_with(&server, providers, fast());
    let mut sub = client
        .subscribe(GraphQLRequest::new(ON_CREATE).auth_mode(AuthMode::Lambda))
        .unwrap();
    match expect(&mut sub, "failed", |e| {
        matches!(e, SubscriptionEvent::Failed(_))
    })
    .await
    {
        SubscriptionEvent::Failed(AppSyncError::Http {
            status: 401,
            error_type,
            ..
        }) => {
            assert_eq!(error_type.as_deref(), Some("UnauthorizedException"))
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(calls.get(), 2, "asked once and refreshed once, no loop");
    assert_eq!(server.realtime_stats().handshakes.load(Ordering::SeqCst), 2);
    assert!(sub.next_event().await.is_none(), "the subscription ended");
}

#[tokio::test]
async fn a_denied_start_ends_only_that_subscription() {
    let server = start_mock(ConflictMode::Automerge).await;
    let client = client(&server);
    let mut ok = client.subscribe(GraphQLRequest::new(ON_CREATE)).unwrap();
    started(&mut ok).await;
    let mut secret = client
        .subscribe(GraphQLRequest::new(
            "subscription { onCreateSecret { id } }",
        ))
        .unwrap();
    match expect(&mut secret, "failed", |e| {
        matches!(e, SubscriptionEvent::Failed(_))
    })
    .await
    {
        SubscriptionEvent::Failed(AppSyncError::GraphQl { errors, .. }) => {
            assert_eq!(errors[0].error_type.as_deref(), Some("Unauthorized"))
        }
        other => panic!("{other:?}"),
    }
    create(&client, "still-live", 1).await;
    assert_eq!(data(&mut ok).await["onCreateTodo"]["id"], "still-live");
}

#[tokio::test]
async fn cancel_sends_stop_and_the_connection_closes_after_the_last_one() {
    let server = start_mock(ConflictMode::Automerge).await;
    let client = client(&server);
    let mut first = client.subscribe(GraphQLRequest::new(ON_CREATE)).unwrap();
    let mut second = client.subscribe(GraphQLRequest::new(ON_CREATE)).unwrap();
    started(&mut first).await;
    started(&mut second).await;
    first.cancel();
    assert!(
        first.next_event().await.is_none(),
        "no more events after cancel"
    );
    drop(second);
    for _ in 0..50 {
        if server.realtime_stats().stops.load(Ordering::SeqCst) == 2
            && client.realtime_connection_count() == 0
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        server.realtime_stats().stops.load(Ordering::SeqCst),
        2,
        "cancel and drop both send stop"
    );
    assert_eq!(server.realtime_stats().active.load(Ordering::SeqCst), 0);
    assert_eq!(
        client.realtime_connection_count(),
        0,
        "closed after the linger time"
    );
    let mut again = client.subscribe(GraphQLRequest::new(ON_CREATE)).unwrap();
    started(&mut again).await;
}

#[tokio::test]
async fn a_network_change_reconnects_at_once() {
    let server = start_mock(ConflictMode::Automerge).await;
    let client = client(&server);
    let mut sub = client.subscribe(GraphQLRequest::new(ON_CREATE)).unwrap();
    started(&mut sub).await;
    client.reconnect_realtime();
    expect(&mut sub, "resubscribed", |e| {
        matches!(e, SubscriptionEvent::Resubscribed)
    })
    .await;
    assert_eq!(server.realtime_stats().handshakes.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn invalid_subscriptions_are_caught_before_anything_is_sent() {
    let server = start_mock(ConflictMode::Automerge).await;
    let client = client(&server);
    for document in [
        "subscription { onCreateTodo { id }",
        "query { listTodos { items { id } } }",
        "subscription($f: X!) { onCreateTodo { id } }",
    ] {
        assert!(
            matches!(
                client.subscribe(GraphQLRequest::new(document)),
                Err(AppSyncError::InvalidDocument(_))
            ),
            "{document}"
        );
    }
    assert_eq!(server.realtime_stats().handshakes.load(Ordering::SeqCst), 0);
}

/// A server that acknowledges, then sends garbage between real events.
#[tokio::test]
async fn malformed_frames_from_a_server_are_errors_not_panics() {
    use futures::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let callback = |_: &tokio_tungstenite::tungstenite::handshake::server::Request,
                        mut response: tokio_tungstenite::tungstenite::handshake::server::Response| {
            response.headers_mut().insert("sec-websocket-protocol", "graphql-ws".parse().unwrap());
            Ok(response)
        };
        let mut socket = tokio_tungstenite::accept_hdr_async(stream, callback)
            .await
            .unwrap();
        let mut id = String::new();
        while let Some(Ok(Message::Text(text))) = socket.next().await {
            let message: Value = serde_json::from_str(&text).unwrap();
            match message["type"].as_str() {
                Some("connection_init") => {
                    socket
                        .send(Message::Text(
                            r#"{"type":"connection_ack","payload":{"connectionTimeout":300000}}"#
                                .into(),
                        ))
                        .await
                        .unwrap();
                }
                Some("start") => {
                    id = message["id"].as_str().unwrap().to_owned();
                    for garbage in [
                        "not json",
                        "[]",
                        r#"{"type":"data"}"#,
                        r#"{"type":"mystery"}"#,
                        r#"{"no":"type"}"#,
                    ] {
                        socket.send(Message::Text(garbage.into())).await.unwrap();
                    }
                    socket
                        .send(Message::Binary(vec![1, 2, 3].into()))
                        .await
                        .unwrap();
                    socket
                        .send(Message::Text(
                            json!({"type": "start_ack", "id": id}).to_string().into(),
                        ))
                        .await
                        .unwrap();
                    let data = json!({"type": "data", "id": id, "payload": {"data": {"onCreateTodo": {"id": "real"}}}});
                    socket
                        .send(Message::Text(data.to_string().into()))
                        .await
                        .unwrap();
                }
                _ => {}
            }
        }
        drop(id);
    });
    let config = appsync_core::ClientConfig::builder(format!("http://{addr}/graphql"))
        .build()
        .unwrap();
    let client = AppSyncClient::with_options(
        config,
        AuthProviders::new(),
        ClientOptions {
            realtime: fast(),
            ..ClientOptions::default()
        },
    );
    let mut sub = client
        .subscribe(GraphQLRequest::new("subscription { onCreateTodo { id } }"))
        .unwrap();
    let error = expect(&mut sub, "malformed error", |e| {
        matches!(e, SubscriptionEvent::Errors(_))
    })
    .await;
    assert!(format!("{error:?}").contains("MalformedMessage"));
    started(&mut sub).await;
    assert_eq!(
        data(&mut sub).await["onCreateTodo"]["id"],
        "real",
        "real events still arrive"
    );
}
