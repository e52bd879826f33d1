//! `appsync demo`: the SDK end to end against an embedded mock server on 127.0.0.1, narrated
//! step by step. Every step checks its outcome, so the demo fails loudly if a behaviour breaks.

use appsync_core::auth::{StaticCredentials, TokenFn};
use appsync_core::{
    AppSyncClient, AppSyncError, AuthMode, AuthProviders, AuthToken, AwsCredentials, ClientConfig,
    ClientOptions, ConnectionState, ErrorPolicy, GraphQLRequest, SubscriptionEvent,
};
use appsync_mock::config::{DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY};
use appsync_mock::{AuthMode as ServerMode, ConflictMode, MockConfig, MockServer};
use serde_json::{json, Value};
use std::sync::Arc;

const SCHEMA: &str = include_str!("../../tests/fixtures/schema.graphql");

const CREATE: &str = "mutation Create($input: CreateTodoInput!) {
  createTodo(input: $input) { id name priority _version }
}";
const UPDATE: &str = "mutation Update($input: UpdateTodoInput!) {
  updateTodo(input: $input) { id name priority _version }
}";
const LIST: &str = "query List { listTodos { items { id name priority } } }";
const SYNC: &str = "query Sync($lastSync: AWSTimestamp) {
  syncTodos(lastSync: $lastSync) { items { id name _version _deleted } startedAt }
}";

fn step(text: &str) {
    static STEP: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = STEP.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
    println!("\n[{n}] {text}");
}

fn show(label: &str, value: &Value) {
    println!("    {label}: {value}");
}

fn check(ok: bool, what: &str) -> Result<(), String> {
    if ok {
        println!("    ✓ {what}");
        Ok(())
    } else {
        Err(format!("demo check failed: {what}"))
    }
}

fn err(e: AppSyncError) -> String {
    format!("{e} ({})", e.code())
}

pub async fn run() -> Result<(), String> {
    println!(
        "appsync demo: the client against an embedded AppSync mock (automerge conflict detection)"
    );
    let server = MockServer::start(MockConfig::new(SCHEMA).conflict(ConflictMode::Automerge))
        .await
        .map_err(|e| e.to_string())?;

    step(&format!("Mock AppSync running at {}", server.graphql_url()));
    let dir = std::env::temp_dir().join(format!("appsync-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let outputs = dir.join("amplify_outputs.json");
    std::fs::write(&outputs, server.amplify_outputs().to_string()).map_err(|e| e.to_string())?;
    let config = ClientConfig::from_file(&outputs).map_err(|e| e.to_string())?;
    println!(
        "    loaded {} (default {}, also {:?})",
        outputs.display(),
        config.default_auth_mode,
        config
            .additional_auth_modes
            .iter()
            .map(|m| m.to_string())
            .collect::<Vec<_>>()
    );
    let token = server
        .mint_token(ServerMode::UserPools, &json!({"sub": "alice"}))
        .map_err(|e| e.to_string())?;
    let providers = AuthProviders::new()
        .user_pools(TokenFn(move |_| {
            let token = token.clone();
            async move { Ok(AuthToken::new(token)) }
        }))
        .iam(StaticCredentials(credentials()));
    let client = AppSyncClient::new(config.clone(), providers);

    step("A second client subscribes to new todos over the realtime WebSocket");
    let watcher = AppSyncClient::new(config.clone(), AuthProviders::new());
    let mut feed = watcher
        .subscribe(GraphQLRequest::new(
            "subscription OnCreate { onCreateTodo { id name } }",
        ))
        .map_err(err)?;
    wait_for(&mut feed, "started", |e| {
        matches!(e, SubscriptionEvent::Started)
    })
    .await?;
    check(true, "start_ack received: the subscription is live")?;

    step("Create two todos with the API key (the default mode)");
    let mut first_version = 0;
    for (id, name, priority) in [
        ("demo-1", "Write the core", 1),
        ("demo-2", "Ship the bindings", 2),
    ] {
        let r = client
            .mutate(
                GraphQLRequest::new(CREATE)
                    .variables(json!({"input": {"id": id, "name": name, "priority": priority}})),
            )
            .await
            .map_err(err)?;
        let item = r.data.unwrap_or_default()["createTodo"].clone();
        show("created", &item);
        first_version = item["_version"].as_i64().unwrap_or(0);
    }
    check(first_version == 1, "new items start at _version 1")?;
    for _ in 0..2 {
        if let SubscriptionEvent::Data(data) = wait_for(&mut feed, "data", |e| {
            matches!(e, SubscriptionEvent::Data(_))
        })
        .await?
        {
            show("the subscriber got", &data);
        }
    }
    check(
        true,
        "both creates reached the other client through its subscription",
    )?;

    step("The server drops every socket: the subscription reports it, reconnects and resubscribes");
    server.faults().close_sockets();
    let disrupted = wait_for(&mut feed, "disrupted", |e| {
        matches!(
            e,
            SubscriptionEvent::ConnectionState(ConnectionState::Disrupted { .. })
        )
    })
    .await?;
    show("state", &json!(format!("{disrupted:?}")));
    wait_for(&mut feed, "resubscribed", |e| {
        matches!(e, SubscriptionEvent::Resubscribed)
    })
    .await?;
    check(
        true,
        "resubscribed (the app can run its catch-up query now)",
    )?;
    client
        .mutate(GraphQLRequest::new(CREATE).variables(
            json!({"input": {"id": "demo-3", "name": "After the outage", "priority": 3}}),
        ))
        .await
        .map_err(err)?;
    if let SubscriptionEvent::Data(data) = wait_for(&mut feed, "data", |e| {
        matches!(e, SubscriptionEvent::Data(_))
    })
    .await?
    {
        show("the subscriber got", &data);
    }
    check(true, "events flow again after the reconnect")?;
    drop(feed);

    step("List them; the client added __typename to every selection set");
    let listed = client.query(GraphQLRequest::new(LIST)).await.map_err(err)?;
    let data = listed.data.unwrap_or_default();
    show("listTodos", &data["listTodos"]);
    check(
        data["listTodos"]["items"]
            .as_array()
            .is_some_and(|i| i.len() == 3),
        "three items listed",
    )?;

    step("Multi-auth: Secret is readable only with a Cognito user pool token");
    let secret =
        GraphQLRequest::new("query { listTodos { items { id } } listSecrets { items { id } } }")
            .error_policy(ErrorPolicy::All);
    let partial = client.query(secret.clone()).await.map_err(err)?;
    show(
        "with the API key, errors",
        &json!(partial
            .errors
            .iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>()),
    );
    check(
        partial
            .data
            .as_ref()
            .is_some_and(|d| d["listTodos"].is_object()),
        "a partial result keeps the data it could read",
    )?;
    let full = client
        .query(secret.auth_mode(AuthMode::UserPools))
        .await
        .map_err(err)?;
    check(
        full.errors.is_empty(),
        "the same query with auth mode AMAZON_COGNITO_USER_POOLS succeeds",
    )?;

    step("IAM from a device whose clock is 20 minutes behind");
    let skewed = AppSyncClient::with_options(
        config.clone(),
        AuthProviders::new().iam(StaticCredentials(credentials())),
        ClientOptions {
            clock: Some(Arc::new(|| {
                appsync_core::runtime::now_ms() - 20 * 60 * 1000
            })),
            ..ClientOptions::default()
        },
    );
    skewed
        .query(GraphQLRequest::new(LIST).auth_mode(AuthMode::Iam))
        .await
        .map_err(err)?;
    let offset = skewed.authorizer().server_time_ms() - appsync_core::runtime::now_ms();
    check(
        offset.abs() < 5_000,
        "SigV4 rejected for its time, re-signed with the server's Date, retried once",
    )?;

    step("Conflict detection: a stale update is merged by the server (automerge)");
    let sync = client.query(GraphQLRequest::new(SYNC)).await.map_err(err)?;
    let last_sync = sync.data.unwrap_or_default()["syncTodos"]["startedAt"]
        .as_i64()
        .unwrap_or(0);
    client
        .mutate(
            GraphQLRequest::new(UPDATE)
                .variables(json!({"input": {"id": "demo-1", "priority": 5, "_version": 1}})),
        )
        .await
        .map_err(err)?;
    let stale = client
        .mutate(
            GraphQLRequest::new(UPDATE)
                .variables(json!({"input": {"id": "demo-1", "priority": 9, "_version": 1}})),
        )
        .await
        .map_err(err)?;
    let merged = stale.data.unwrap_or_default()["updateTodo"].clone();
    show("after a stale update with _version 1", &merged);
    check(
        merged["priority"] == 5 && merged["_version"] == 3,
        "the server's scalar won and the version advanced",
    )?;

    step("Delta sync: only what changed since the last sync");
    let delta = client
        .query(GraphQLRequest::new(SYNC).variables(json!({"lastSync": last_sync})))
        .await
        .map_err(err)?;
    let items = delta.data.unwrap_or_default()["syncTodos"]["items"].clone();
    show("syncTodos(lastSync)", &items);
    check(
        items
            .as_array()
            .is_some_and(|i| i.iter().all(|t| t["id"] == "demo-1")),
        "only demo-1's changes came back",
    )?;

    step("Fault injection: the next request fails with 503");
    server.faults().fail_next(1, 503, None);
    match client.query(GraphQLRequest::new(LIST)).await {
        Err(e) => {
            println!(
                "    got {}: transient = {}",
                err(e.clone()),
                e.is_transient()
            );
            check(e.is_transient(), "a 503 is a typed, retriable error")?;
        }
        Ok(_) => return Err("the injected 503 did not arrive".into()),
    }
    client.query(GraphQLRequest::new(LIST)).await.map_err(err)?;
    check(true, "the next request succeeds")?;

    offline(&server, &client, &watcher).await?;

    step("Invalid documents never reach the network");
    let before = server.recorded_requests().len();
    let invalid = client
        .query(GraphQLRequest::new(
            "query { getTodo(id: $missing) { id } }",
        ))
        .await;
    check(
        matches!(invalid, Err(AppSyncError::InvalidDocument(_)))
            && server.recorded_requests().len() == before,
        "an undeclared variable is caught before sending",
    )?;

    let _ = std::fs::remove_dir_all(&dir);
    println!("\nDemo complete: every step behaved as expected.");
    Ok(())
}

/// The offline mutation queue: changes made while the network is down show at once, are kept
/// in the outbox, and reach the server in order when it is back; another client sees them.
async fn offline(
    server: &MockServer,
    client: &AppSyncClient,
    watcher: &AppSyncClient,
) -> Result<(), String> {
    use appsync_core::outbox::{NewMutation, Outbox, OutboxEvent, OutboxOptions, Outcome};
    use futures::StreamExt;

    step("Offline: the network drops (every connection reset by the mock), the app keeps working");
    let mut updates = watcher
        .subscribe(GraphQLRequest::new(
            "subscription OnUpdate { onUpdateTodo { id name _version } }",
        ))
        .map_err(err)?;
    wait_for(&mut updates, "started", |e| {
        matches!(e, SubscriptionEvent::Started)
    })
    .await?;
    let mut creates = watcher
        .subscribe(GraphQLRequest::new(
            "subscription OnCreate { onCreateTodo { id name } }",
        ))
        .map_err(err)?;
    wait_for(&mut creates, "started", |e| {
        matches!(e, SubscriptionEvent::Started)
    })
    .await?;
    let outbox = Outbox::new(
        client.clone(),
        OutboxOptions {
            backoff_base: std::time::Duration::from_millis(100),
            backoff_cap: std::time::Duration::from_secs(1),
            ..OutboxOptions::default()
        },
    );
    let mut events = outbox.events();
    server.faults().reset_next(10_000);
    let created = outbox
        .enqueue(
            NewMutation::new(GraphQLRequest::new(CREATE).variables(
                json!({"input": {"id": "demo-4", "name": "Written offline", "priority": 3}}),
            ))
            .optimistic(json!({"createTodo": {"__typename": "Todo", "id": "demo-4", "name": "Written offline", "priority": 3, "_version": 1}})),
        )
        .await
        .map_err(err)?;
    let edited = outbox
        .enqueue(
            NewMutation::new(GraphQLRequest::new(UPDATE).variables(
                json!({"input": {"id": "demo-4", "name": "Edited offline", "_version": 1}}),
            ))
            .optimistic(json!({"updateTodo": {"__typename": "Todo", "id": "demo-4", "name": "Edited offline", "priority": 3, "_version": 2}})),
        )
        .await
        .map_err(err)?;
    let fragment = appsync_core::graphql::Fragment::parse("fragment N on Todo { id name }", None)
        .map_err(|e| e.to_string())?;
    let shown = client
        .cache()
        .read_fragment(&fragment, "Todo:demo-4", None)
        .await
        .map_err(|e| e.to_string())?;
    show("the app shows at once", shown.value());
    check(
        shown.value()["name"] == "Edited offline",
        "both offline changes are visible before the server has either",
    )?;
    loop {
        match tokio::time::timeout(std::time::Duration::from_secs(10), events.next()).await {
            Ok(Some(OutboxEvent::Retrying {
                attempt,
                delay_ms,
                error,
                ..
            })) => {
                println!(
                    "    send failed ({}), attempt {attempt}, next try in {delay_ms} ms",
                    error.code()
                );
                break;
            }
            Ok(Some(_)) => {}
            _ => return Err("no retry was reported while offline".into()),
        }
    }
    let queued = outbox.entries().await.map_err(err)?;
    check(
        queued.len() == 2,
        "two mutations wait in the outbox (durable, in order)",
    )?;

    step("Back online: the outbox drains in order, and the other client sees the changes");
    server.faults().clear();
    outbox.set_online(true);
    for pending in [created, edited] {
        let id = pending.id.clone();
        match tokio::time::timeout(std::time::Duration::from_secs(20), pending.outcome()).await {
            Ok(Outcome::Succeeded { response }) => {
                show(&format!("{id} sent"), &response.data.unwrap_or_default())
            }
            other => return Err(format!("{id} did not go through: {other:?}")),
        }
    }
    check(
        outbox.entries().await.map_err(err)?.is_empty(),
        "the outbox is empty",
    )?;
    if let SubscriptionEvent::Data(data) = wait_for(
        &mut creates,
        "the create",
        |e| matches!(e, SubscriptionEvent::Data(d) if d["onCreateTodo"]["id"] == "demo-4"),
    )
    .await?
    {
        show("the other client got", &data);
    }
    if let SubscriptionEvent::Data(data) = wait_for(
        &mut updates,
        "the edit",
        |e| matches!(e, SubscriptionEvent::Data(d) if d["onUpdateTodo"]["id"] == "demo-4"),
    )
    .await?
    {
        show("the other client got", &data);
        check(
            data["onUpdateTodo"]["name"] == "Edited offline"
                && data["onUpdateTodo"]["_version"] == 2,
            "the create, then the edit, each applied once",
        )?;
    }
    Ok(())
}

/// The next event `wanted` accepts (others are skipped), within ten seconds.
async fn wait_for(
    feed: &mut appsync_core::Subscription,
    what: &str,
    wanted: impl Fn(&SubscriptionEvent) -> bool,
) -> Result<SubscriptionEvent, String> {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match tokio::time::timeout_at(deadline, feed.next_event()).await {
            Ok(Some(event)) if wanted(&event) => return Ok(event),
            Ok(Some(_)) => {}
            Ok(None) => return Err(format!("the subscription ended while waiting for {what}")),
            Err(_) => return Err(format!("no {what} within 10 s")),
        }
    }
}

fn credentials() -> AwsCredentials {
    AwsCredentials {
        access_key_id: DEFAULT_ACCESS_KEY_ID.into(),
        secret_access_key: DEFAULT_SECRET_ACCESS_KEY.into(),
        session_token: None,
        expires_at_ms: None,
    }
}
