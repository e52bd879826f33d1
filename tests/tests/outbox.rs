//! The offline mutation queue end to end against the mock: optimistic updates shown at once and
//! drained in order when the network is back, retries through server faults, conflicts with and
//! without a resolver, parked mutations retried, edited and discarded, exactly-once replay of a
//! create the server already has, temporary ids rewritten, and a restarted app draining what an
//! earlier run queued.

// Test code: a failed expectation should stop the test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use appsync_core::outbox::{
    Conflict, ConflictDecision, ConflictResolver, NewMutation, Outbox, OutboxEvent, OutboxOptions,
    Outcome, ParkReason,
};
use appsync_core::runtime::BoxFuture;
use appsync_core::storage::{SqliteStore, Store, StoreHandle};
use appsync_core::{AppSyncClient, AuthProviders, ClientOptions, FetchPolicy, GraphQLRequest};
use appsync_mock::{ConflictMode, MockServer};
use appsync_scenarios::*;
use futures::StreamExt;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const CREATE: &str =
    "mutation C($input: CreateTodoInput!) { createTodo(input: $input) { id name priority _version } }";
const UPDATE: &str =
    "mutation U($input: UpdateTodoInput!) { updateTodo(input: $input) { id name priority _version } }";
const GET: &str = "query G($id: ID!) { getTodo(id: $id) { id name priority _version } }";

fn fast() -> OutboxOptions {
    OutboxOptions {
        backoff_base: Duration::from_millis(20),
        backoff_cap: Duration::from_millis(200),
        ..OutboxOptions::default()
    }
}

fn create(id: &str, name: &str) -> NewMutation {
    NewMutation::new(
        GraphQLRequest::new(CREATE).variables(json!({"input": {"id": id, "name": name}})),
    )
    .optimistic(json!({"createTodo": {"__typename": "Todo", "id": id, "name": name, "priority": null, "_version": 0}}))
    .id(format!("create-{id}"))
}

fn update(id: &str, name: &str, version: i64) -> NewMutation {
    NewMutation::new(
        GraphQLRequest::new(UPDATE)
            .variables(json!({"input": {"id": id, "name": name, "_version": version}})),
    )
    .optimistic(json!({"updateTodo": {"__typename": "Todo", "id": id, "name": name, "priority": null, "_version": version}}))
}

async fn server_item(server: &MockServer, id: &str) -> Value {
    server_item_by(server, GET, id).await
}

async fn server_item_by(server: &MockServer, document: &str, id: &str) -> Value {
    let client = AppSyncClient::new(gen2_config(server), AuthProviders::new());
    let response = client
        .query(
            GraphQLRequest::new(document)
                .variables(json!({"id": id}))
                .fetch_policy(FetchPolicy::NetworkOnly),
        )
        .await
        .unwrap();
    response.data.unwrap()["getTodo"].clone()
}

async fn cached_name(client: &AppSyncClient, id: &str) -> Option<Value> {
    let fragment =
        appsync_core::graphql::Fragment::parse("fragment N on Todo { name }", None).unwrap();
    client
        .cache()
        .read_fragment(&fragment, &format!("Todo:{id}"), None)
        .await
        .unwrap()
        .data
        .map(|d| d["name"].clone())
}

async fn outcome_of(outbox: &Outbox, pending: appsync_core::outbox::PendingMutation) -> Outcome {
    let _ = outbox;
    tokio::time::timeout(Duration::from_secs(20), pending.outcome())
        .await
        .expect("an outcome in time")
}

/// The `createTodo`/`updateTodo` names of the mutations the server received, in order.
fn received(server: &MockServer) -> Vec<String> {
    server
        .recorded_requests()
        .iter()
        .filter_map(|r| {
            let body: Value = serde_json::from_str(&r.body).ok()?;
            let query = body["query"].as_str()?;
            if !query.starts_with("mutation") {
                return None;
            }
            let input = &body["variables"]["input"];
            Some(format!(
                "{}:{}",
                if query.contains("createTodo") {
                    "create"
                } else {
                    "update"
                },
                input["name"].as_str().unwrap_or_default()
            ))
        })
        .collect()
}

#[tokio::test]
async fn offline_changes_show_at_once_and_drain_in_order_when_back_online() {
    let server = start_mock(ConflictMode::Automerge).await;
    let client = AppSyncClient::new(gen2_config(&server), AuthProviders::new());
    let outbox = Outbox::new(client.clone(), fast());
    let mut events = outbox.events();
    outbox.set_online(false);

    let first = outbox.enqueue(create("o1", "first")).await.unwrap();
    let second = outbox.enqueue(update("o1", "second", 1)).await.unwrap();
    let third = outbox.enqueue(create("o2", "third")).await.unwrap();
    assert_eq!(
        cached_name(&client, "o1").await,
        Some(json!("second")),
        "optimistic, at once"
    );
    assert_eq!(cached_name(&client, "o2").await, Some(json!("third")));
    assert!(received(&server).is_empty(), "nothing sent while offline");
    assert_eq!(outbox.entries().await.unwrap().len(), 3);

    outbox.set_online(true);
    for pending in [first, second, third] {
        assert!(matches!(
            outcome_of(&outbox, pending).await,
            Outcome::Succeeded { .. }
        ));
    }
    assert_eq!(
        received(&server),
        ["create:first", "update:second", "create:third"]
    );
    assert_eq!(server_item(&server, "o1").await["name"], "second");
    assert_eq!(server_item(&server, "o1").await["_version"], 2);
    assert!(outbox.entries().await.unwrap().is_empty());
    assert_eq!(
        cached_name(&client, "o1").await,
        Some(json!("second")),
        "the server's result replaced the optimistic layer"
    );

    let mut seen = Vec::new();
    while let Ok(Some(event)) = tokio::time::timeout(Duration::from_millis(50), events.next()).await
    {
        seen.push(event);
    }
    assert!(seen.contains(&OutboxEvent::Network { online: false }));
    assert!(seen.contains(&OutboxEvent::Network { online: true }));
    let done = seen
        .iter()
        .filter(|e| matches!(e, OutboxEvent::Done { .. }))
        .count();
    assert_eq!(done, 3);
}

#[tokio::test]
async fn server_faults_are_retried_with_backoff_until_the_mutation_goes_through() {
    let server = start_mock(ConflictMode::Automerge).await;
    let client = AppSyncClient::new(gen2_config(&server), AuthProviders::new());
    let outbox = Outbox::new(client.clone(), fast());
    let mut events = outbox.events();

    server.faults().fail_next(2, 500, None);
    let pending = outbox.enqueue(create("f1", "after 500s")).await.unwrap();
    assert!(matches!(
        outcome_of(&outbox, pending).await,
        Outcome::Succeeded { .. }
    ));

    server.faults().fail_next(1, 429, Some(1));
    let started = std::time::Instant::now();
    let pending = outbox.enqueue(create("f2", "after 429")).await.unwrap();
    assert!(matches!(
        outcome_of(&outbox, pending).await,
        Outcome::Succeeded { .. }
    ));
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "Retry-After: 1 honoured"
    );

    server.faults().reset_next(2);
    let pending = outbox.enqueue(create("f3", "after resets")).await.unwrap();
    assert!(matches!(
        outcome_of(&outbox, pending).await,
        Outcome::Succeeded { .. }
    ));

    server.faults().set_latency(Duration::from_millis(300));
    let pending = outbox.enqueue(create("f4", "slow")).await.unwrap();
    assert!(matches!(
        outcome_of(&outbox, pending).await,
        Outcome::Succeeded { .. }
    ));
    server.faults().clear();

    let mut retries = Vec::new();
    while let Ok(Some(event)) = tokio::time::timeout(Duration::from_millis(50), events.next()).await
    {
        if let OutboxEvent::Retrying {
            attempt,
            delay_ms,
            error,
            ..
        } = event
        {
            retries.push((attempt, delay_ms, error.code()));
        }
    }
    assert_eq!(retries.len(), 5, "{retries:?}");
    assert!(retries.iter().any(|r| r.2 == "HTTP"));
    assert!(retries.iter().any(|r| r.2 == "NETWORK"));
    assert!(
        retries.iter().any(|r| r.1 >= 1000),
        "the 429 waited its Retry-After"
    );
    for name in ["f1", "f2", "f3", "f4"] {
        assert_eq!(
            server_item(&server, name).await["_version"],
            1,
            "{name} applied once"
        );
    }
}

#[tokio::test]
async fn a_token_rejected_once_is_refreshed_and_the_mutation_goes_through() {
    let server = start_mock(ConflictMode::Automerge).await;
    let counter = Counter::default();
    let token = mint(&server, appsync_mock::AuthMode::UserPools);
    let counted = counter.clone();
    let providers = AuthProviders::new().user_pools(appsync_core::auth::TokenFn(move |_| {
        counted.bump();
        let token = token.clone();
        async move { Ok(appsync_core::AuthToken::new(token)) }
    }));
    let client = AppSyncClient::new(gen2_config(&server), providers);
    let outbox = Outbox::new(client.clone(), fast());
    server.faults().fail_next(1, 401, None);
    let mut mutation = create("a1", "with a fresh token");
    mutation.request.auth_mode = Some(appsync_core::AuthMode::UserPools);
    let pending = outbox.enqueue(mutation).await.unwrap();
    assert!(matches!(
        outcome_of(&outbox, pending).await,
        Outcome::Succeeded { .. }
    ));
    assert!(
        counter.get() >= 2,
        "the token was fetched again after the 401"
    );
}

struct ServerWins;

impl ConflictResolver for ServerWins {
    fn resolve(&self, conflict: Conflict) -> BoxFuture<'static, ConflictDecision> {
        // Keep our name, take the server's version: retry.
        let mut variables = conflict.mutation.variables.clone();
        let version = conflict
            .server_data
            .as_ref()
            .and_then(|d| d["_version"].as_i64());
        variables["input"]["_version"] = json!(version);
        Box::pin(async move { ConflictDecision::Retry(variables) })
    }
}

struct Recorder(Mutex<Vec<u32>>, ConflictDecision);

impl ConflictResolver for Recorder {
    fn resolve(&self, conflict: Conflict) -> BoxFuture<'static, ConflictDecision> {
        self.0.lock().unwrap().push(conflict.retries);
        let decision = match &self.1 {
            // Retry with the same stale variables: never resolves.
            ConflictDecision::Retry(_) => {
                ConflictDecision::Retry(conflict.mutation.variables.clone())
            }
            other => other.clone(),
        };
        Box::pin(async move { decision })
    }
}

#[tokio::test]
async fn conflicts_park_by_default_and_a_resolver_retries_discards_or_gives_up() {
    let server = start_mock(ConflictMode::Optimistic).await;
    let other = AppSyncClient::new(gen2_config(&server), AuthProviders::new());
    for id in ["c1", "c2", "c3", "c4"] {
        other
            .mutate(
                GraphQLRequest::new(CREATE).variables(json!({"input": {"id": id, "name": "v1"}})),
            )
            .await
            .unwrap();
        other
            .mutate(
                GraphQLRequest::new(UPDATE)
                    .variables(json!({"input": {"id": id, "name": "v2 elsewhere", "_version": 1}})),
            )
            .await
            .unwrap();
    }

    // No resolver: parked with the server's item, optimistic layer rolled back.
    let client = AppSyncClient::new(gen2_config(&server), AuthProviders::new());
    let outbox = Outbox::new(client.clone(), fast());
    let pending = outbox.enqueue(update("c1", "mine", 1)).await.unwrap();
    match outcome_of(&outbox, pending).await {
        Outcome::Parked { reason, error } => {
            assert_eq!(reason, ParkReason::Conflict);
            assert_eq!(error.code(), "GRAPHQL");
        }
        other => panic!("{other:?}"),
    }
    let parked = outbox.entries().await.unwrap();
    assert_eq!(parked.len(), 1);
    let info = parked[0].parked.clone().unwrap();
    assert_eq!(info.error_type.as_deref(), Some("ConflictUnhandled"));
    assert_eq!(info.server_data.unwrap()["_version"], 2);
    assert_ne!(
        cached_name(&client, "c1").await,
        Some(json!("mine")),
        "layer rolled back"
    );

    // The app edits it (the server's version) and retries: it goes through.
    let id = parked[0].id.clone();
    outbox
        .edit(
            &id,
            json!({"input": {"id": "c1", "name": "mine", "_version": 2}}),
            None,
        )
        .await
        .unwrap();
    let waiting = outbox.clone();
    let outcome = tokio::spawn(async move { waiting.outcome(&id).await });
    outbox.retry(&parked[0].id).await.unwrap();
    assert!(matches!(
        outcome.await.unwrap().unwrap(),
        Outcome::Succeeded { .. }
    ));
    assert_eq!(server_item(&server, "c1").await["name"], "mine");

    // A resolver that retries with the server's version.
    let resolved = Outbox::new(
        client.clone(),
        OutboxOptions {
            resolver: Some(Arc::new(ServerWins)),
            ..fast()
        },
    );
    let pending = resolved.enqueue(update("c2", "mine too", 1)).await.unwrap();
    assert!(matches!(
        outcome_of(&resolved, pending).await,
        Outcome::Succeeded { .. }
    ));
    assert_eq!(server_item(&server, "c2").await["name"], "mine too");

    // A resolver that discards: the server's item ends up in the cache.
    let discarding = Outbox::new(
        client.clone(),
        OutboxOptions {
            resolver: Some(Arc::new(Recorder(
                Mutex::default(),
                ConflictDecision::Discard,
            ))),
            ..fast()
        },
    );
    let pending = discarding
        .enqueue(update("c3", "dropped", 1))
        .await
        .unwrap();
    assert_eq!(outcome_of(&discarding, pending).await, Outcome::Discarded);
    assert_eq!(
        cached_name(&client, "c3").await,
        Some(json!("v2 elsewhere"))
    );
    assert!(discarding.entries().await.unwrap().is_empty());

    // A resolver that never settles it: bounded retries, then parked.
    let stubborn = Arc::new(Recorder(
        Mutex::default(),
        ConflictDecision::Retry(Value::Null),
    ));
    let bounded = Outbox::new(
        client.clone(),
        OutboxOptions {
            resolver: Some(stubborn.clone()),
            max_conflict_retries: 3,
            ..fast()
        },
    );
    let pending = bounded
        .enqueue(update("c4", "stale forever", 1))
        .await
        .unwrap();
    assert!(matches!(
        outcome_of(&bounded, pending).await,
        Outcome::Parked {
            reason: ParkReason::Conflict,
            ..
        }
    ));
    assert_eq!(*stubborn.0.lock().unwrap(), [0, 1, 2]);
}

#[tokio::test]
async fn rejected_mutations_are_parked_listed_retried_and_discarded() {
    let server = start_mock(ConflictMode::Automerge).await;
    let client = AppSyncClient::new(gen2_config(&server), AuthProviders::new());
    let outbox = Outbox::new(client.clone(), fast());
    // `name` is required: the server rejects the input.
    let bad = NewMutation::new(
        GraphQLRequest::new(CREATE).variables(json!({"input": {"id": "r1", "priority": 1}})),
    )
    .optimistic(json!({"createTodo": {"__typename": "Todo", "id": "r1", "name": "?", "priority": 1, "_version": 0}}));
    let pending = outbox.enqueue(bad).await.unwrap();
    let id = pending.id.clone();
    assert!(matches!(
        outcome_of(&outbox, pending).await,
        Outcome::Parked {
            reason: ParkReason::Rejected,
            ..
        }
    ));
    assert_eq!(
        cached_name(&client, "r1").await,
        None,
        "the optimistic item is gone"
    );
    // A later mutation is not blocked by the parked one.
    let later = outbox.enqueue(create("r2", "later")).await.unwrap();
    assert!(matches!(
        outcome_of(&outbox, later).await,
        Outcome::Succeeded { .. }
    ));
    let entries = outbox.entries().await.unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].id, id);

    outbox.discard(&id).await.unwrap();
    assert!(outbox.entries().await.unwrap().is_empty());
    assert!(outbox.discard("no-such-id").await.is_err());

    let fixable = outbox
        .enqueue(NewMutation::new(
            GraphQLRequest::new(CREATE).variables(json!({"input": {"id": "r3"}})),
        ))
        .await
        .unwrap();
    let fixable_id = fixable.id.clone();
    assert!(matches!(
        outcome_of(&outbox, fixable).await,
        Outcome::Parked { .. }
    ));
    outbox
        .edit(
            &fixable_id,
            json!({"input": {"id": "r3", "name": "fixed"}}),
            None,
        )
        .await
        .unwrap();
    let waiting = outbox.clone();
    let wait_id = fixable_id.clone();
    let outcome = tokio::spawn(async move { waiting.outcome(&wait_id).await });
    outbox.retry(&fixable_id).await.unwrap();
    assert!(matches!(
        outcome.await.unwrap().unwrap(),
        Outcome::Succeeded { .. }
    ));
    assert_eq!(server_item(&server, "r3").await["name"], "fixed");

    // Documents are checked before anything is queued.
    assert!(outbox
        .enqueue(NewMutation::new(GraphQLRequest::new(
            "query { listTodos { items { id } } }"
        )))
        .await
        .is_err());
    assert!(outbox
        .enqueue(NewMutation::new(GraphQLRequest::new("mutation {")))
        .await
        .is_err());
    assert!(
        outbox
            .enqueue(NewMutation::new(GraphQLRequest::new(CREATE)))
            .await
            .is_err(),
        "missing $input"
    );
}

#[tokio::test]
async fn a_create_the_server_already_has_is_recognised_as_done_not_applied_twice() {
    let server = start_mock(ConflictMode::Optimistic).await;
    let client = AppSyncClient::new(gen2_config(&server), AuthProviders::new());
    // The app sent it, then crashed before recording the answer.
    client
        .mutate(
            GraphQLRequest::new(CREATE).variables(json!({"input": {"id": "x1", "name": "once"}})),
        )
        .await
        .unwrap();
    let outbox = Outbox::new(client.clone(), fast());
    let pending = outbox.enqueue(create("x1", "once")).await.unwrap();
    match outcome_of(&outbox, pending).await {
        Outcome::Succeeded { response } => {
            assert_eq!(response.data.unwrap()["createTodo"]["name"], "once")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        server_item(&server, "x1").await["_version"],
        1,
        "applied once"
    );

    // An update replayed after its success is recognised by its version.
    client
        .mutate(
            GraphQLRequest::new(UPDATE)
                .variables(json!({"input": {"id": "x1", "name": "twice?", "_version": 1}})),
        )
        .await
        .unwrap();
    let replay = outbox.enqueue(update("x1", "twice?", 1)).await.unwrap();
    assert!(matches!(
        outcome_of(&outbox, replay).await,
        Outcome::Succeeded { .. }
    ));
    assert_eq!(server_item(&server, "x1").await["_version"], 2);

    // A different item under the same id is a real conflict, not "done".
    let clash = outbox
        .enqueue(create("x1", "someone else's"))
        .await
        .unwrap();
    assert!(matches!(
        outcome_of(&outbox, clash).await,
        Outcome::Parked { .. }
    ));
}

#[tokio::test]
async fn a_temporary_id_is_replaced_in_later_queued_mutations() {
    let server = start_mock(ConflictMode::None).await;
    let client = AppSyncClient::new(gen2_config(&server), AuthProviders::new());
    let outbox = Outbox::new(client.clone(), fast());
    outbox.set_online(false);
    // The server assigns the id; the app shows a temporary one.
    let create = NewMutation::new(
        GraphQLRequest::new(
            "mutation C($input: CreateTodoInput!) { createTodo(input: $input) { id name } }",
        )
        .variables(json!({"input": {"name": "server id"}})),
    )
    .optimistic(json!({"createTodo": {"__typename": "Todo", "id": "tmp-1", "name": "server id"}}));
    let created = outbox.enqueue(create).await.unwrap();
    let rename = outbox
        .enqueue(
            NewMutation::new(
                GraphQLRequest::new("mutation U($input: UpdateTodoInput!) { updateTodo(input: $input) { id name } }")
                    .variables(json!({"input": {"id": "tmp-1", "name": "renamed"}})),
            )
            .optimistic(json!({"updateTodo": {"__typename": "Todo", "id": "tmp-1", "name": "renamed"}})),
        )
        .await
        .unwrap();
    assert_eq!(cached_name(&client, "tmp-1").await, Some(json!("renamed")));
    outbox.set_online(true);
    let real = match outcome_of(&outbox, created).await {
        Outcome::Succeeded { response } => response.data.unwrap()["createTodo"]["id"]
            .as_str()
            .unwrap()
            .to_owned(),
        other => panic!("{other:?}"),
    };
    assert_ne!(real, "tmp-1");
    assert!(matches!(
        outcome_of(&outbox, rename).await,
        Outcome::Succeeded { .. }
    ));
    let plain = "query G($id: ID!) { getTodo(id: $id) { id name } }";
    assert_eq!(
        server_item_by(&server, plain, &real).await["name"],
        "renamed"
    );
    assert_eq!(
        cached_name(&client, "tmp-1").await,
        None,
        "the temporary record is gone"
    );
    assert_eq!(cached_name(&client, &real).await, Some(json!("renamed")));
}

#[tokio::test]
async fn a_restarted_app_drains_what_an_earlier_run_queued() {
    let server = start_mock(ConflictMode::Automerge).await;
    let path = std::env::temp_dir().join(format!("appsync-outbox-{}.db", std::process::id()));
    SqliteStore::reset(&path).unwrap();
    let open = |path: std::path::PathBuf| ClientOptions {
        cache_store: Some(StoreHandle::opening(async move {
            let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path, "app").await?);
            Ok(store)
        })),
        ..ClientOptions::default()
    };
    let id = {
        let client = AppSyncClient::with_options(
            gen2_config(&server),
            AuthProviders::new(),
            open(path.clone()),
        );
        let outbox = Outbox::new(client.clone(), fast());
        outbox.set_online(false);
        let pending = outbox
            .enqueue(create("p1", "queued before the restart"))
            .await
            .unwrap();
        outbox
            .enqueue(update("p1", "and changed", 1))
            .await
            .unwrap();
        pending.id
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(received(&server).is_empty());

    let client = AppSyncClient::with_options(
        gen2_config(&server),
        AuthProviders::new(),
        open(path.clone()),
    );
    let outbox = Outbox::new(client.clone(), fast());
    let entries = outbox.entries().await.unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0].id, id);
    assert_eq!(
        cached_name(&client, "p1").await,
        Some(json!("and changed")),
        "optimistic layers come back with the entries"
    );
    let outcome = outbox.outcome(&id).await.unwrap();
    assert!(matches!(outcome, Outcome::Succeeded { .. }));
    for _ in 0..100 {
        if outbox.entries().await.unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(outbox.entries().await.unwrap().is_empty());
    assert_eq!(
        received(&server),
        ["create:queued before the restart", "update:and changed"]
    );
    assert_eq!(server_item(&server, "p1").await["name"], "and changed");
    drop(outbox);
    drop(client);
    SqliteStore::reset(&path).unwrap();
}

#[tokio::test]
async fn an_outcome_asked_after_the_fact_is_still_known() {
    let server = start_mock(ConflictMode::Automerge).await;
    let client = AppSyncClient::new(gen2_config(&server), AuthProviders::new());
    let outbox = Outbox::new(client.clone(), fast());
    let done = outbox
        .enqueue(create("late-1", "done early"))
        .await
        .unwrap();
    let id = done.id.clone();
    drop(done);
    let bad = outbox
        .enqueue(NewMutation::new(
            GraphQLRequest::new(CREATE).variables(json!({"input": {"id": "late-2"}})),
        ))
        .await
        .unwrap();
    let bad_id = bad.id.clone();
    drop(bad);
    for _ in 0..200 {
        if outbox
            .entries()
            .await
            .unwrap()
            .iter()
            .all(|e| e.parked.is_some())
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(matches!(
        outbox.outcome(&id).await.unwrap(),
        Outcome::Succeeded { .. }
    ));
    assert!(matches!(
        outbox.outcome(&bad_id).await.unwrap(),
        Outcome::Parked {
            reason: ParkReason::Rejected,
            ..
        }
    ));
    assert!(outbox.outcome("never-queued").await.is_err());
}

#[tokio::test]
async fn an_update_function_adds_the_new_item_to_a_cached_list_optimistically_then_for_real() {
    use appsync_core::graphql::Operation;
    use appsync_core::outbox::UpdateCache;
    let server = start_mock(ConflictMode::Automerge).await;
    let client = AppSyncClient::new(gen2_config(&server), AuthProviders::new());
    let list = "query L { listTodos { items { id name } } }";
    client
        .query(GraphQLRequest::new(list).fetch_policy(FetchPolicy::NetworkOnly))
        .await
        .unwrap();
    let outbox = Outbox::new(client.clone(), fast());
    outbox.set_online(false);
    let calls = Arc::new(Mutex::new(Vec::new()));
    let seen = calls.clone();
    let update: appsync_core::outbox::UpdateFn =
        Arc::new(move |cache: UpdateCache, data: Value| {
            let seen = seen.clone();
            Box::pin(async move {
                seen.lock().unwrap().push(cache.is_optimistic());
                let op =
                    Operation::parse("query L { listTodos { items { id name } } }", None).unwrap();
                let Some(mut current) = cache.read_query(&op, None).await.unwrap().data else {
                    return;
                };
                let item = data["createTodo"].clone();
                let items = current["listTodos"]["items"].as_array_mut().unwrap();
                // Idempotent: replace an entry with the same id, else append.
                items.retain(|i| i["id"] != item["id"]);
                items.push(json!({"__typename": "Todo", "id": item["id"], "name": item["name"]}));
                cache.write_query(&op, None, &current).await.unwrap();
            })
        });
    let pending = outbox
        .enqueue(create("u1", "listed at once").update(update))
        .await
        .unwrap();
    let names = |data: Option<Value>| -> Vec<String> {
        data.unwrap()["listTodos"]["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let cached = client
        .query(GraphQLRequest::new(list).fetch_policy(FetchPolicy::CacheOnly))
        .await
        .unwrap();
    assert_eq!(
        names(cached.data),
        ["listed at once"],
        "the optimistic layer holds it"
    );
    outbox.set_online(true);
    assert!(matches!(
        outcome_of(&outbox, pending).await,
        Outcome::Succeeded { .. }
    ));
    let cached = client
        .query(GraphQLRequest::new(list).fetch_policy(FetchPolicy::CacheOnly))
        .await
        .unwrap();
    assert_eq!(
        names(cached.data),
        ["listed at once"],
        "the base holds it once, after the layer is gone"
    );
    assert_eq!(
        *calls.lock().unwrap(),
        [true, false],
        "optimistic pass, then the server's"
    );
}

fn sqlite_client(server: &MockServer, path: &std::path::Path, ns: &'static str) -> AppSyncClient {
    let path = path.to_path_buf();
    AppSyncClient::with_options(
        gen2_config(server),
        AuthProviders::new(),
        ClientOptions {
            cache_store: Some(StoreHandle::opening(async move {
                let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path, ns).await?);
                Ok(store)
            })),
            ..ClientOptions::default()
        },
    )
}

fn with_lease(ttl_ms: u64) -> OutboxOptions {
    OutboxOptions {
        lease_ttl: Duration::from_millis(ttl_ms),
        ..fast()
    }
}

/// Two instances on one store namespace, as two processes or tabs of one app: the one holding
/// the lease drains both instances' mutations in the store's order, each sent once; the other
/// learns its outcomes from what the drainer left in the store.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_store_take_turns_through_the_lease() {
    let server = start_mock(ConflictMode::Automerge).await;
    let path = std::env::temp_dir().join(format!("appsync-lease-{}.db", std::process::id()));
    SqliteStore::reset(&path).unwrap();
    let (a, b) = (
        sqlite_client(&server, &path, "app"),
        sqlite_client(&server, &path, "app"),
    );
    let (one, two) = (
        Outbox::new(a.clone(), with_lease(600)),
        Outbox::new(b.clone(), with_lease(600)),
    );
    let (mut one_events, mut two_events) = (one.events(), two.events());
    one.set_online(false);
    two.set_online(false);
    let a1 = one.enqueue(create("l1", "a1")).await.unwrap();
    let b1 = two.enqueue(create("l2", "b1")).await.unwrap();
    let a2 = one.enqueue(update("l1", "a2", 1)).await.unwrap();
    let b2 = two.enqueue(update("l2", "b2", 1)).await.unwrap();
    server.faults().set_latency(Duration::from_millis(40));
    one.set_online(true);
    two.set_online(true);
    for (outbox, pending) in [(&one, a1), (&two, b1), (&one, a2), (&two, b2)] {
        let outcome = tokio::time::timeout(Duration::from_secs(10), pending.outcome())
            .await
            .expect("every outcome arrives");
        match outcome {
            Outcome::Succeeded { response } => assert!(response.data.is_some()),
            other => panic!("{other:?}"),
        }
        let _ = outbox;
    }
    server.faults().clear();
    assert_eq!(
        received(&server),
        ["create:a1", "create:b1", "update:a2", "update:b2"],
        "the store's order, each once, though two instances were online"
    );
    let mut sends = Vec::new();
    for events in [&mut one_events, &mut two_events] {
        while let Ok(Some(event)) =
            tokio::time::timeout(Duration::from_millis(50), events.next()).await
        {
            if let OutboxEvent::Sending { id, .. } = event {
                sends.push(id);
            }
        }
    }
    assert_eq!(sends.len(), 4, "no mutation was sent twice: {sends:?}");
    assert!(one.entries().await.unwrap().is_empty());
    assert!(two.entries().await.unwrap().is_empty());
    assert_eq!(
        cached_name(&b, "l2").await,
        Some(json!("b2")),
        "the instance that queued it has the server's answer"
    );
    drop((one, two, a, b));
    SqliteStore::reset(&path).unwrap();
}

/// A lease left by an instance that died (it no longer renews) lapses; then another instance
/// takes over and drains. A released lease (the holder dropped its outbox) is taken at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lapsed_lease_is_taken_over_and_a_released_one_at_once() {
    let server = start_mock(ConflictMode::Automerge).await;
    let path = std::env::temp_dir().join(format!("appsync-lapse-{}.db", std::process::id()));
    SqliteStore::reset(&path).unwrap();
    let store = SqliteStore::open(&path, "app").await.unwrap();
    let until = appsync_core::runtime::now_ms() + 500;
    store
        .apply(vec![appsync_core::storage::Change::PutMeta {
            key: "outbox/lease".into(),
            value: format!("a-crashed-instance:{until}").into_bytes(),
        }])
        .await
        .unwrap();
    let client = sqlite_client(&server, &path, "app");
    let outbox = Outbox::new(client.clone(), with_lease(2000));
    let started = std::time::Instant::now();
    let pending = outbox
        .enqueue(create("t1", "after the lapse"))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert!(
        received(&server).is_empty(),
        "nothing is sent while another instance's lease runs"
    );
    assert!(matches!(pending.outcome().await, Outcome::Succeeded { .. }));
    assert!(started.elapsed() >= Duration::from_millis(400));
    assert_eq!(received(&server), ["create:after the lapse"]);

    // This instance holds the lease for 2 s, renewing it while it sends; once idle it releases
    // it, and a dropped outbox releases it too: the next instance starts at once.
    server.faults().set_latency(Duration::from_millis(300));
    let pending = outbox.enqueue(update("t1", "renewed", 1)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let held = store.get_meta("outbox/lease".into()).await.unwrap();
    assert!(held.is_some(), "held while sending");
    assert!(matches!(pending.outcome().await, Outcome::Succeeded { .. }));
    server.faults().clear();
    outbox.set_online(false);
    let next = Outbox::new(client.clone(), with_lease(2000));
    next.set_online(false);
    let queued = next
        .enqueue(update("t1", "next instance", 2))
        .await
        .unwrap();
    drop(outbox);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(
        store.get_meta("outbox/lease".into()).await.unwrap(),
        None,
        "released by the dropped outbox"
    );
    let started = std::time::Instant::now();
    next.set_online(true);
    assert!(matches!(queued.outcome().await, Outcome::Succeeded { .. }));
    assert!(started.elapsed() < Duration::from_millis(1000));
    drop((next, client));
    SqliteStore::reset(&path).unwrap();
}

/// The server's pass of an update function reads the cache without optimistic layers, so a
/// pending mutation's optimistic data is not written into the cache for good (here the second
/// mutation is rejected and its item must disappear); and the cache an update function got
/// refuses writes once its pass is over (a late write could leave a layer nothing removes).
#[tokio::test]
async fn the_server_pass_of_an_update_reads_without_layers_and_a_late_write_is_refused() {
    use appsync_core::graphql::Operation;
    use appsync_core::outbox::UpdateCache;
    let server = start_mock(ConflictMode::Automerge).await;
    let client = AppSyncClient::new(gen2_config(&server), AuthProviders::new());
    let list = "query L { listTodos { items { id name } } }";
    let op = Arc::new(Operation::parse(list, None).unwrap());
    client
        .cache()
        .write_query(
            &op,
            None,
            &json!({"listTodos": {"__typename": "ModelTodoConnection", "items": []}}),
        )
        .await
        .unwrap();
    let kept: Arc<Mutex<Option<UpdateCache>>> = Arc::default();
    let listing = |key: &'static str| -> appsync_core::outbox::UpdateFn {
        let (op, kept) = (op.clone(), kept.clone());
        Arc::new(move |cache: UpdateCache, data: Value| {
            let (op, kept) = (op.clone(), kept.clone());
            Box::pin(async move {
                let Some(mut current) = cache.read_query(&op, None).await.unwrap().data else {
                    return;
                };
                let item = data[key].clone();
                let items = current["listTodos"]["items"].as_array_mut().unwrap();
                items.retain(|i| i["id"] != item["id"]);
                items.push(json!({"__typename": "Todo", "id": item["id"], "name": item["name"]}));
                cache.write_query(&op, None, &current).await.unwrap();
                *kept.lock().unwrap() = Some(cache);
            })
        })
    };
    let outbox = Outbox::new(client.clone(), fast());
    outbox.set_online(false);
    let good = outbox
        .enqueue(create("v1", "kept").update(listing("createTodo")))
        .await
        .unwrap();
    // No name: the server rejects it, so it is parked and its optimistic item rolled back.
    let mut rejected =
        NewMutation::new(GraphQLRequest::new(CREATE).variables(json!({"input": {"id": "v2"}})))
            .optimistic(
                json!({"createTodo": {"__typename": "Todo", "id": "v2", "name": "rolled back"}}),
            )
            .update(listing("createTodo"));
    rejected.id = Some("create-v2".into());
    let bad = outbox.enqueue(rejected).await.unwrap();
    let names = || async {
        let read = client.cache().read_query(&op, None).await.unwrap();
        assert!(read.data.is_some(), "missing: {:?}", read.missing);
        read.data.unwrap()["listTodos"]["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["name"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(names().await, ["kept", "rolled back"], "both shown at once");
    outbox.set_online(true);
    assert!(matches!(
        outcome_of(&outbox, good).await,
        Outcome::Succeeded { .. }
    ));
    assert!(matches!(
        outcome_of(&outbox, bad).await,
        Outcome::Parked { .. }
    ));
    assert_eq!(
        names().await,
        ["kept"],
        "the rejected item was not written into the cache by the other's server pass"
    );
    let late = kept.lock().unwrap().take().expect("an update ran");
    assert!(matches!(
        late.write_query(&op, None, &json!({"listTodos": {"items": []}}))
            .await,
        Err(appsync_core::cache::CacheError::Closed(_))
    ));
}
