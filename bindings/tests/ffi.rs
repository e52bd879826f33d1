//! The exported API driven from Rust exactly as the generated bindings drive it: a client from the
//! config the mock wrote, queries, typed exceptions for bad input, and a subscription listener.

// Test code: a failed expectation should stop the test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use appsync_ffi::*;
use appsync_mock::{MockConfig, MockServer};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SCHEMA: &str = include_str!("../../tests/fixtures/schema.graphql");

fn request(document: &str, variables: Option<&str>) -> GraphQlRequest {
    GraphQlRequest {
        document: document.into(),
        variables_json: variables.map(str::to_owned),
        operation_name: None,
        auth_mode: None,
        headers: Default::default(),
        timeout_ms: None,
        partial_results: false,
        fetch_policy: None,
    }
}

/// A mock on the shared schema and a client (no auth providers) built from its config.
async fn mock_and_client() -> (MockServer, Arc<AppSyncClient>) {
    let server = MockServer::start(MockConfig::new(SCHEMA)).await.unwrap();
    let client = AppSyncClient::new(
        server.amplify_outputs().to_string(),
        "amplify_outputs.json".into(),
        AuthProviders::default(),
    )
    .unwrap();
    (server, client)
}

#[tokio::test]
async fn queries_and_typed_exceptions_through_the_exported_api() {
    let (_server, client) = mock_and_client().await;
    let pending = client
        .mutate(
            request(
                "mutation C($i: CreateTodoInput!) { createTodo(input: $i) { id name } }",
                Some(r#"{"i":{"id":"f1","name":"ffi"}}"#),
            ),
            None,
            Some("ffi-create".into()),
            None,
        )
        .await
        .unwrap();
    assert_eq!(pending.id(), "ffi-create");
    let created = pending.response().await.unwrap().expect("not discarded");
    assert_eq!(
        created.data_json.as_deref(),
        Some(r#"{"createTodo":{"__typename":"Todo","id":"f1","name":"ffi"}}"#)
    );

    let bad_variables = client
        .query(request("{ listTodos { items { id } } }", Some("{not json")))
        .await;
    assert!(matches!(
        bad_variables,
        Err(AppSyncException::InvalidDocument { .. })
    ));
    let partial = client
        .query(request("{ listSecrets { items { id } } }", None))
        .await;
    match partial {
        Err(AppSyncException::GraphQl { errors, .. }) => {
            assert_eq!(errors[0].error_type.as_deref(), Some("Unauthorized"));
            assert_eq!(errors[0].path_json.as_deref(), Some(r#"["listSecrets"]"#));
        }
        other => panic!("{other:?}"),
    }
    let config = AppSyncClient::new(
        r#"{"data":{"url":1}}"#.into(),
        "amplify_outputs.json".into(),
        AuthProviders::default(),
    );
    match config {
        Err(AppSyncException::Config {
            key, source_name, ..
        }) => assert_eq!(
            (key.as_str(), source_name.as_str()),
            ("data.url", "amplify_outputs.json")
        ),
        other => panic!("{other:?}"),
    }
}

struct Collect(Mutex<Vec<SubscriptionEvent>>);

impl SubscriptionListener for Collect {
    fn on_event(&self, event: SubscriptionEvent) {
        self.0.lock().unwrap().push(event);
    }
}

#[tokio::test]
async fn a_listener_receives_events_until_the_handle_is_cancelled() {
    let (_server, client) = mock_and_client().await;
    let listener = Arc::new(Collect(Mutex::new(Vec::new())));
    let handle = client
        .subscribe(
            request("subscription { onCreateTodo { id } }", None),
            listener.clone(),
        )
        .unwrap();
    for _ in 0..100 {
        if listener
            .0
            .lock()
            .unwrap()
            .contains(&SubscriptionEvent::Started)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    client
        .mutate(
            request(
                "mutation { createTodo(input: {id: \"e1\", name: \"x\"}) { id } }",
                None,
            ),
            None,
            None,
            None,
        )
        .await
        .unwrap()
        .response()
        .await
        .unwrap();
    for _ in 0..100 {
        if listener
            .0
            .lock()
            .unwrap()
            .iter()
            .any(|e| matches!(e, SubscriptionEvent::Data { .. }))
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    handle.cancel();
    let before = listener.0.lock().unwrap().len();
    client
        .mutate(
            request(
                "mutation { createTodo(input: {id: \"e2\", name: \"x\"}) { id } }",
                None,
            ),
            None,
            None,
            None,
        )
        .await
        .unwrap()
        .response()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let events = listener.0.lock().unwrap().clone();
    assert!(
        events.contains(&SubscriptionEvent::Data {
            data_json: r#"{"onCreateTodo":{"__typename":"Todo","id":"e1"}}"#.into()
        }),
        "{events:?}"
    );
    assert_eq!(events.len(), before, "nothing after cancel");
    assert!(
        client
            .subscribe(request("query { a }", None), listener)
            .is_err(),
        "a query is not a subscription"
    );
}

struct Watched(Mutex<Vec<Result<String, String>>>);

impl WatchListener for Watched {
    fn on_result(&self, response: GraphQlResponse) {
        let data = response.data_json.unwrap_or_default();
        self.0.lock().unwrap().push(Ok(data));
    }
    fn on_error(&self, error: AppSyncException) {
        self.0.lock().unwrap().push(Err(error.to_string()));
    }
}

impl Watched {
    /// Waits until some result's data equals `expected`.
    async fn until(&self, expected: &serde_json::Value) {
        for _ in 0..250 {
            let seen = self.0.lock().unwrap().iter().any(|r| {
                r.as_ref().is_ok_and(|d| {
                    serde_json::from_str::<serde_json::Value>(d).ok().as_ref() == Some(expected)
                })
            });
            if seen {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!(
            "the watch never showed {expected}: {:?}",
            self.0.lock().unwrap()
        );
    }
}

/// The shared `cache` scenario of tests/fixtures/scenarios.json, as the Kotlin, Swift and web
/// suites run it.
#[tokio::test]
async fn the_cache_scenario_through_the_exported_api() {
    let text = include_str!("../../tests/fixtures/scenarios.json").replace("{prefix}", "ffi-");
    let all: serde_json::Value = serde_json::from_str(&text).unwrap();
    let s = &all["cache"];
    let req = |step: &serde_json::Value, policy: Option<FetchPolicy>| GraphQlRequest {
        fetch_policy: policy,
        ..request(
            step["document"].as_str().unwrap(),
            Some(&step["variables"].to_string()),
        )
    };
    let server = MockServer::start(MockConfig::new(SCHEMA)).await.unwrap();
    let path = std::env::temp_dir().join(format!("appsync-ffi-cache-{}.db", std::process::id()));
    reset_database(path.display().to_string()).unwrap();
    let options = ClientOptions {
        database_path: Some(path.display().to_string()),
        key_prefix: Some(s["keyPrefix"].as_str().unwrap().into()),
        ..ClientOptions::default()
    };
    let outputs = server.amplify_outputs().to_string();
    let client = AppSyncClient::with_options(
        outputs.clone(),
        "amplify_outputs.json".into(),
        AuthProviders::default(),
        options.clone(),
    )
    .unwrap();
    client.hydrated().await.unwrap();
    client
        .mutate(req(&s["create"], None), None, None, None)
        .await
        .unwrap()
        .response()
        .await
        .unwrap();
    let query = req(&s["query"], Some(FetchPolicy::NetworkOnly));
    client.query(query.clone()).await.unwrap();

    let watched = Arc::new(Watched(Mutex::new(Vec::new())));
    let watch = client
        .watch_query(
            req(&s["query"], Some(FetchPolicy::CacheOnly)),
            watched.clone(),
        )
        .unwrap();
    watched.until(&s["expectCreated"]).await;
    client
        .mutate(req(&s["update"], None), None, None, None)
        .await
        .unwrap()
        .response()
        .await
        .unwrap();
    watched.until(&s["expectUpdated"]).await;
    let fragment = &s["fragment"];
    client
        .write_fragment(
            fragment["document"].as_str().unwrap().into(),
            fragment["key"].as_str().unwrap().into(),
            fragment["data"].to_string(),
            None,
            None,
        )
        .await
        .unwrap();
    watched.until(&s["expectWritten"]).await;
    watch.cancel();

    let json =
        |t: Option<String>| t.map(|t| serde_json::from_str::<serde_json::Value>(&t).unwrap());
    assert_eq!(
        json(client.read_query(query.clone()).await.unwrap()),
        Some(s["expectWritten"].clone())
    );
    let read = client
        .read_fragment(
            fragment["document"].as_str().unwrap().into(),
            fragment["key"].as_str().unwrap().into(),
            None,
            None,
        )
        .await
        .unwrap();
    assert_eq!(json(read), Some(s["expectFragment"].clone()));

    let local = GraphQlRequest {
        variables_json: Some(s["writeQuery"]["variables"].to_string()),
        ..query.clone()
    };
    client
        .write_query(local.clone(), s["writeQuery"]["data"].to_string())
        .await
        .unwrap();
    assert_eq!(
        json(client.read_query(local).await.unwrap()),
        Some(s["writeQuery"]["data"].clone())
    );

    client
        .evict(s["evictKey"].as_str().unwrap().into())
        .await
        .unwrap();
    assert_eq!(client.read_query(query.clone()).await.unwrap(), None);
    match client
        .query(GraphQlRequest {
            fetch_policy: Some(FetchPolicy::CacheOnly),
            ..query.clone()
        })
        .await
    {
        Err(AppSyncException::GraphQl { errors, .. }) => {
            assert_eq!(
                errors[0].error_type.as_deref(),
                s["expectMissType"].as_str()
            )
        }
        other => panic!("{other:?}"),
    }

    // Back from the network, then a second client on the same file with the network gone.
    client.query(query.clone()).await.unwrap();
    drop(client);
    let offline = outputs.replace(
        &server.graphql_url(),
        s["offlineEndpoint"].as_str().unwrap(),
    );
    assert_ne!(offline, outputs);
    let restarted = AppSyncClient::with_options(
        offline,
        "amplify_outputs.json".into(),
        AuthProviders::default(),
        options.clone(),
    )
    .unwrap();
    restarted.hydrated().await.unwrap();
    let cached = restarted
        .query(GraphQlRequest {
            fetch_policy: Some(FetchPolicy::CacheOnly),
            ..query.clone()
        })
        .await
        .unwrap();
    assert_eq!(json(cached.data_json), Some(s["expectUpdated"].clone()));
    assert!(matches!(
        restarted.query(query.clone()).await,
        Err(AppSyncException::Network { .. })
    ));
    drop(restarted);

    let other_prefix = AppSyncClient::with_options(
        outputs,
        "amplify_outputs.json".into(),
        AuthProviders::default(),
        ClientOptions {
            key_prefix: Some("someone-else".into()),
            ..options
        },
    )
    .unwrap();
    assert_eq!(
        other_prefix.read_query(query).await.unwrap(),
        None,
        "keyPrefixes are isolated"
    );
    drop(other_prefix);
    reset_database(path.display().to_string()).unwrap();
}

#[tokio::test]
async fn a_corrupt_database_is_a_cache_exception_and_reset_recovers() {
    let server = MockServer::start(MockConfig::new(SCHEMA)).await.unwrap();
    let path = std::env::temp_dir().join(format!("appsync-ffi-corrupt-{}.db", std::process::id()));
    std::fs::write(&path, vec![7u8; 4096]).unwrap();
    let options = ClientOptions {
        database_path: Some(path.display().to_string()),
        ..ClientOptions::default()
    };
    let open = || {
        AppSyncClient::with_options(
            server.amplify_outputs().to_string(),
            "amplify_outputs.json".into(),
            AuthProviders::default(),
            options.clone(),
        )
        .unwrap()
    };
    let client = open();
    match client.hydrated().await {
        Err(AppSyncException::Cache { corrupt, .. }) => assert!(corrupt),
        other => panic!("{other:?}"),
    }
    client
        .query(request("{ listTodos { items { id } } }", None))
        .await
        .expect("the network still answers");
    drop(client);
    reset_database(path.display().to_string()).unwrap();
    open().hydrated().await.unwrap();
    reset_database(path.display().to_string()).unwrap();
}

struct Events(Mutex<Vec<OutboxEvent>>);

impl OutboxListener for Events {
    fn on_event(&self, event: OutboxEvent) {
        self.0.lock().unwrap().push(event);
    }
}

struct Discarding(Mutex<Vec<ConflictInfo>>);

#[async_trait::async_trait]
impl ConflictHandler for Discarding {
    async fn resolve(&self, conflict: ConflictInfo) -> ConflictResolution {
        self.0.lock().unwrap().push(conflict);
        ConflictResolution::Discard
    }
}

/// The shared `outbox` scenario of tests/fixtures/scenarios.json through the exported API.
#[tokio::test]
async fn the_outbox_scenario_through_the_exported_api() {
    let text = include_str!("../../tests/fixtures/scenarios.json").replace("{prefix}", "ffi-");
    let all: serde_json::Value = serde_json::from_str(&text).unwrap();
    let s = &all["outbox"];
    let req = |step: &serde_json::Value| {
        request(
            step["document"].as_str().unwrap(),
            Some(&step["variables"].to_string()),
        )
    };
    let (_server, client) = mock_and_client().await;
    let events = Arc::new(Events(Mutex::new(Vec::new())));
    let _watching = client.watch_outbox(events.clone()).unwrap();

    client.set_network_online(false).unwrap();
    let created = client
        .enqueue_mutation(
            req(&s["create"]),
            Some(s["create"]["optimistic"].to_string()),
            None,
            None,
        )
        .await
        .unwrap();
    let updated = client
        .enqueue_mutation(
            req(&s["update"]),
            Some(s["update"]["optimistic"].to_string()),
            None,
            None,
        )
        .await
        .unwrap();
    let shown = client
        .read_fragment(
            s["fragment"]["document"].as_str().unwrap().into(),
            s["fragment"]["key"].as_str().unwrap().into(),
            None,
            None,
        )
        .await
        .unwrap()
        .map(|t| serde_json::from_str::<serde_json::Value>(&t).unwrap());
    assert_eq!(
        shown.as_ref(),
        Some(&s["expectShown"]),
        "optimistic, at once"
    );
    assert_eq!(client.outbox_entries().await.unwrap().len(), 2);

    client.set_network_online(true).unwrap();
    for id in [created, updated] {
        assert!(matches!(
            client.mutation_outcome(id).await.unwrap(),
            MutationOutcome::Succeeded { .. }
        ));
    }
    let on_server = client
        .query(GraphQlRequest {
            fetch_policy: Some(FetchPolicy::NetworkOnly),
            ..req(&s["get"])
        })
        .await
        .unwrap();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&on_server.data_json.unwrap()).unwrap(),
        s["expectServer"]
    );

    let rejected = client
        .enqueue_mutation(req(&s["rejected"]), None, None, None)
        .await
        .unwrap();
    match client.mutation_outcome(rejected.clone()).await.unwrap() {
        MutationOutcome::Parked { reason, code, .. } => {
            assert_eq!((reason, code.as_str()), (ParkReason::Rejected, "GRAPHQL"))
        }
        other => panic!("{other:?}"),
    }
    let entries = client.outbox_entries().await.unwrap();
    assert_eq!(entries.len(), 1);
    assert!(entries[0].parked.is_some());
    client.discard_mutation(rejected).await.unwrap();
    assert!(client.outbox_entries().await.unwrap().is_empty());

    let handler = Arc::new(Discarding(Mutex::new(Vec::new())));
    client.set_conflict_handler(Some(handler.clone()));
    let conflicted = client
        .enqueue_mutation(req(&s["conflict"]), None, None, None)
        .await
        .unwrap();
    assert_eq!(
        client.mutation_outcome(conflicted).await.unwrap(),
        MutationOutcome::Discarded
    );
    let seen = handler.0.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].error_type,
        s["expectConflictType"].as_str().unwrap()
    );
    let server_item: serde_json::Value =
        serde_json::from_str(seen[0].server_data_json.as_deref().unwrap()).unwrap();
    assert_eq!(server_item["name"], "edited offline");

    // The listener runs on its own task: an outcome can resolve before its `Done` event has
    // reached the listener, so wait (bounded) for the fifth, then check there is no sixth.
    let done = |events: &[OutboxEvent]| {
        events
            .iter()
            .filter(|e| matches!(e, OutboxEvent::Done { .. }))
            .count()
    };
    for _ in 0..100 {
        if done(&events.0.lock().unwrap()) >= 5 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let events = events.0.lock().unwrap().clone();
    assert!(events.contains(&OutboxEvent::Network { online: false }));
    assert_eq!(
        done(&events),
        5,
        "two successes, the parked one, its discard, the conflict's discard"
    );
}

/// `mutate` queues by default: a rejected mutation's handle comes back, and its `response()`
/// throws what parked it. With offline support off the same mutation is sent at once and
/// `mutate` itself throws.
#[tokio::test]
async fn mutate_queues_by_default_and_sends_directly_with_offline_support_off() {
    let server = MockServer::start(MockConfig::new(SCHEMA)).await.unwrap();
    let missing_name = || {
        request(
            "mutation C($i: CreateTodoInput!) { createTodo(input: $i) { id name } }",
            Some(r#"{"i":{"id":"no-name"}}"#),
        )
    };
    let queued = AppSyncClient::new(
        server.amplify_outputs().to_string(),
        "amplify_outputs.json".into(),
        AuthProviders::default(),
    )
    .unwrap();
    let pending = queued
        .mutate(missing_name(), None, None, None)
        .await
        .unwrap();
    assert!(matches!(
        pending.response().await,
        Err(AppSyncException::GraphQl { .. })
    ));
    let entries = queued.outbox_entries().await.unwrap();
    assert_eq!(entries.len(), 1, "parked, not dropped");
    assert_eq!(entries[0].id, pending.id());

    let direct = AppSyncClient::with_options(
        server.amplify_outputs().to_string(),
        "amplify_outputs.json".into(),
        AuthProviders::default(),
        ClientOptions {
            database_path: None,
            key_prefix: None,
            disable_offline: true,
            ..ClientOptions::default()
        },
    )
    .unwrap();
    assert!(matches!(
        direct.mutate(missing_name(), None, None, None).await,
        Err(AppSyncException::GraphQl { .. })
    ));
    assert!(direct.outbox_entries().await.unwrap().is_empty());
}

fn scenario(name: &str) -> serde_json::Value {
    let text = include_str!("../../tests/fixtures/scenarios.json").replace("{prefix}", "ffi-");
    let all: serde_json::Value = serde_json::from_str(&text).unwrap();
    all[name].clone()
}

fn step_request(step: &serde_json::Value) -> GraphQlRequest {
    request(
        step["document"].as_str().unwrap(),
        Some(&step["variables"].to_string()),
    )
}

/// The shared `outboxUpdate` scenario's update function, as a host writes it: read the list,
/// drop any item with the new id, append the new one, write it back; note each pass.
struct ListUpdate {
    list: GraphQlRequest,
    passes: Mutex<Vec<bool>>,
    /// The last cache it was given, kept past its pass.
    kept: Mutex<Option<Arc<MutationCache>>>,
}

#[async_trait::async_trait]
impl MutationUpdate for ListUpdate {
    async fn update(
        &self,
        cache: Arc<MutationCache>,
        data_json: String,
    ) -> Result<(), ProviderException> {
        self.passes.lock().unwrap().push(cache.is_optimistic());
        *self.kept.lock().unwrap() = Some(cache.clone());
        let data: serde_json::Value = serde_json::from_str(&data_json).unwrap();
        let item = &data["createTodo"];
        let Some(text) = cache.read_query(self.list.clone()).await.unwrap() else {
            return Ok(());
        };
        let mut current: serde_json::Value = serde_json::from_str(&text).unwrap();
        let items = current["listTodos"]["items"].as_array_mut().unwrap();
        items.retain(|i| i["id"] != item["id"]);
        items.push(
            serde_json::json!({"__typename": "Todo", "id": item["id"], "name": item["name"]}),
        );
        cache
            .write_query(self.list.clone(), current.to_string())
            .await
            .unwrap();
        Ok(())
    }
}

#[tokio::test]
async fn the_outbox_update_scenario_through_the_exported_api() {
    let s = scenario("outboxUpdate");
    let (server, client) = mock_and_client().await;
    let list = step_request(&s["list"]);
    client
        .write_query(list.clone(), s["seed"].to_string())
        .await
        .unwrap();
    let update = Arc::new(ListUpdate {
        list: list.clone(),
        passes: Mutex::new(Vec::new()),
        kept: Mutex::new(None),
    });
    let items = || async {
        let text = client.read_query(list.clone()).await.unwrap().unwrap();
        serde_json::from_str::<serde_json::Value>(&text).unwrap()["listTodos"]["items"].clone()
    };

    client.set_network_online(false).unwrap();
    let pending = client
        .mutate(
            step_request(&s["create"]),
            Some(s["create"]["optimistic"].to_string()),
            None,
            Some(update.clone()),
        )
        .await
        .unwrap();
    assert_eq!(items().await, s["expectItems"], "shown at once");
    assert_eq!(*update.passes.lock().unwrap(), [true]);

    client.set_network_online(true).unwrap();
    assert!(pending.response().await.unwrap().is_some());
    assert_eq!(
        items().await,
        s["expectItems"],
        "held once, by the cache itself"
    );
    let passes: Vec<serde_json::Value> = update
        .passes
        .lock()
        .unwrap()
        .iter()
        .map(|&p| p.into())
        .collect();
    assert_eq!(serde_json::Value::from(passes), s["expectPasses"]);
    let late = update.kept.lock().unwrap().take().unwrap();
    assert_eq!(s["expectLateWriteCode"], "CACHE");
    assert!(
        matches!(
            late.write_query(list.clone(), s["seed"].to_string()).await,
            Err(AppSyncException::Cache { corrupt: false, .. })
        ),
        "a cache kept past its pass refuses writes"
    );

    // Offline support off: sent at once, the update runs once, on the server's answer.
    let direct = AppSyncClient::with_options(
        server.amplify_outputs().to_string(),
        "amplify_outputs.json".into(),
        AuthProviders::default(),
        ClientOptions {
            disable_offline: true,
            ..ClientOptions::default()
        },
    )
    .unwrap();
    direct
        .write_query(list.clone(), s["seed"].to_string())
        .await
        .unwrap();
    let once = Arc::new(ListUpdate {
        list: list.clone(),
        passes: Mutex::new(Vec::new()),
        kept: Mutex::new(None),
    });
    let mut create = s["create"].clone();
    create["variables"]["input"]["id"] = "ffi-listed-direct".into();
    direct
        .mutate(step_request(&create), None, None, Some(once.clone()))
        .await
        .unwrap();
    assert_eq!(*once.passes.lock().unwrap(), [false]);
    let text = direct.read_query(list.clone()).await.unwrap().unwrap();
    assert!(text.contains("ffi-listed-direct"), "{text}");
}

struct Tokens {
    token: String,
    asked: Mutex<Vec<bool>>,
}

#[async_trait::async_trait]
impl TokenProvider for Tokens {
    async fn token(&self, force_refresh: bool) -> Result<AuthToken, ProviderException> {
        self.asked.lock().unwrap().push(force_refresh);
        Ok(AuthToken {
            token: self.token.clone(),
            expires_at_ms: None,
        })
    }
}

/// The shared `outboxFaults` scenario: faults from the mock, retried until each mutation goes
/// through, each applied once; a 401 refreshes the token.
#[tokio::test]
async fn the_outbox_faults_scenario_through_the_exported_api() {
    let s = scenario("outboxFaults");
    let server = MockServer::start(MockConfig::new(SCHEMA)).await.unwrap();
    let tokens = Arc::new(Tokens {
        token: server
            .mint_token(appsync_mock::AuthMode::UserPools, &serde_json::json!({}))
            .unwrap(),
        asked: Mutex::new(Vec::new()),
    });
    let client = AppSyncClient::with_options(
        server.amplify_outputs().to_string(),
        "amplify_outputs.json".into(),
        AuthProviders {
            user_pools: Some(tokens.clone()),
            ..AuthProviders::default()
        },
        ClientOptions {
            retry_base_ms: s["options"]["retryBaseMs"].as_u64(),
            retry_cap_ms: s["options"]["retryCapMs"].as_u64(),
            ..ClientOptions::default()
        },
    )
    .unwrap();
    let events = Arc::new(Events(Mutex::new(Vec::new())));
    let _watching = client.watch_outbox(events.clone()).unwrap();
    let fault = |faults: &serde_json::Value| {
        server
            .faults()
            .apply(&serde_json::from_value(faults.clone()).unwrap());
    };

    for step in s["steps"].as_array().unwrap() {
        fault(&step["faults"]);
        let pending = client
            .mutate(step_request(&step["create"]), None, None, None)
            .await
            .unwrap();
        let answer = pending.response().await;
        server.faults().clear();
        assert!(answer.unwrap().is_some(), "{}", step["name"]);
        // The listener runs on its own task: wait for this mutation's Done event.
        for _ in 0..200 {
            let done = events
                .0
                .lock()
                .unwrap()
                .iter()
                .any(|e| matches!(e, OutboxEvent::Done { id, .. } if *id == pending.id()));
            if done {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let retries: Vec<(u64, String)> = events
            .0
            .lock()
            .unwrap()
            .iter()
            .filter_map(|e| match e {
                OutboxEvent::Retrying {
                    id, delay_ms, code, ..
                } if *id == pending.id() => Some((*delay_ms, code.clone())),
                _ => None,
            })
            .collect();
        let (min, max) = (
            step["minRetries"].as_u64().unwrap(),
            step["maxRetries"].as_u64().unwrap(),
        );
        assert!(
            (min..=max).contains(&(retries.len() as u64)),
            "{}: {retries:?}",
            step["name"]
        );
        for (delay_ms, code) in &retries {
            assert_eq!(
                Some(code.as_str()),
                step["code"].as_str(),
                "{}",
                step["name"]
            );
            assert!(*delay_ms >= step["minDelayMs"].as_u64().unwrap_or(0));
        }
    }
    for step in s["steps"].as_array().unwrap() {
        let id = &step["create"]["variables"]["input"]["id"];
        let got = client
            .query(request(
                s["get"]["document"].as_str().unwrap(),
                Some(&serde_json::json!({ "id": id }).to_string()),
            ))
            .await
            .unwrap();
        let data: serde_json::Value = serde_json::from_str(&got.data_json.unwrap()).unwrap();
        assert_eq!(data["getTodo"]["_version"], 1, "{id} applied once");
    }

    let refresh = &s["refresh"];
    fault(&refresh["faults"]);
    let pending = client
        .mutate(
            GraphQlRequest {
                auth_mode: Some(AuthMode::UserPools),
                ..step_request(&refresh["create"])
            },
            None,
            None,
            None,
        )
        .await
        .unwrap();
    let answer = pending.response().await;
    server.faults().clear();
    assert!(answer.unwrap().is_some());
    let asked = tokens.asked.lock().unwrap().clone();
    assert!(
        asked.len() >= 2 && asked.contains(&true),
        "asked again with forceRefresh: {asked:?}"
    );
}

#[test]
fn outbox_options_that_cannot_work_are_config_errors() {
    let config = serde_json::json!({
        "version": "1",
        "data": {
            "url": "https://example.appsync-api.us-east-1.amazonaws.com/graphql",
            "aws_region": "us-east-1",
            "default_authorization_type": "API_KEY",
            "api_key": "da2-x",
            "authorization_types": []
        }
    });
    let built = AppSyncClient::with_options(
        config.to_string(),
        "amplify_outputs.json".into(),
        AuthProviders::default(),
        ClientOptions {
            retry_base_ms: Some(0),
            ..ClientOptions::default()
        },
    );
    match built {
        Err(AppSyncException::Config {
            key, source_name, ..
        }) => {
            assert_eq!(
                (key.as_str(), source_name.as_str()),
                ("retryBaseMs", "ClientOptions")
            )
        }
        other => panic!("{other:?}"),
    }
}

/// The shared `badData` scenario: the mock answers with JSON a tree parse rejects; the query
/// throws `InvalidResponse` and nothing of the body is cached.
#[tokio::test]
async fn data_a_tree_would_reject_is_an_invalid_response_and_not_cached() {
    let scenarios: serde_json::Value =
        serde_json::from_str(include_str!("../../tests/fixtures/scenarios.json")).unwrap();
    let s = &scenarios["badData"];
    let document = s["document"].as_str().unwrap();
    let (server, client) = mock_and_client().await;
    for body in s["bodies"].as_array().unwrap() {
        let body = body.as_str().unwrap();
        let fault = serde_json::json!({"answerNext": 1, "answer": body});
        server
            .faults()
            .apply(&serde_json::from_value(fault).unwrap());
        let error = client.query(request(document, None)).await.unwrap_err();
        // `expectCode` INVALID_RESPONSE is this exception (the code string is the hosts').
        assert_eq!(s["expectCode"], "INVALID_RESPONSE");
        assert!(
            matches!(error, AppSyncException::InvalidResponse { .. }),
            "{body}: {error:?}"
        );
        assert_eq!(
            client.read_query(request(document, None)).await.unwrap(),
            None
        );
    }
}
