//! The normalized cache end to end against the mock: fetch policies, mutations updating cached
//! queries, watched queries, and a restarted client answering from disk with the network gone.

// Test code: a failed expectation should stop the test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use appsync_core::storage::{SqliteStore, Store, StoreHandle};
use appsync_core::{
    AppSyncClient, AppSyncError, AuthProviders, ClientOptions, ErrorPolicy, FetchPolicy,
    GraphQLRequest,
};
use appsync_mock::ConflictMode;
use appsync_scenarios::*;
use futures::StreamExt;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

const LIST: &str = "query List { listTodos { items { id name } } }";

fn list(policy: FetchPolicy) -> GraphQLRequest {
    GraphQLRequest::new(LIST).fetch_policy(policy)
}

async fn seed(client: &AppSyncClient, id: &str, name: &str) {
    let create = "mutation C($input: CreateTodoInput!) { createTodo(input: $input) { id name } }";
    client
        .mutate(GraphQLRequest::new(create).variables(json!({"input": {"id": id, "name": name}})))
        .await
        .unwrap();
}

#[tokio::test]
async fn fetch_policies_decide_what_reaches_the_network() {
    let server = start_mock(ConflictMode::Automerge).await;
    let client = AppSyncClient::new(gen2_config(&server), AuthProviders::new());
    seed(&client, "p1", "one").await;
    let requests = || server.recorded_requests().len();

    match client.query(list(FetchPolicy::CacheOnly)).await {
        Err(AppSyncError::GraphQl { errors, .. }) => {
            assert_eq!(errors[0].error_type.as_deref(), Some("CacheMiss"))
        }
        other => panic!("an empty cache is a miss: {other:?}"),
    }
    let partial = client
        .query(list(FetchPolicy::CacheOnly).error_policy(ErrorPolicy::All))
        .await
        .unwrap();
    assert_eq!(partial.errors[0].error_type.as_deref(), Some("CacheMiss"));

    let before = requests();
    let first = client.query(list(FetchPolicy::CacheFirst)).await.unwrap();
    assert_eq!(
        requests(),
        before + 1,
        "cache-first goes to the network on a miss"
    );
    let again = client.query(list(FetchPolicy::CacheFirst)).await.unwrap();
    assert_eq!(
        requests(),
        before + 1,
        "and is answered from the cache after"
    );
    assert_eq!(first.data, again.data);
    assert_eq!(
        client
            .query(list(FetchPolicy::CacheOnly))
            .await
            .unwrap()
            .data,
        first.data
    );

    client.query(list(FetchPolicy::NetworkOnly)).await.unwrap();
    client
        .query(list(FetchPolicy::CacheAndNetwork))
        .await
        .unwrap();
    assert_eq!(
        requests(),
        before + 3,
        "network-only and cache-and-network always ask the network"
    );

    let fresh = AppSyncClient::new(gen2_config(&server), AuthProviders::new());
    fresh.query(list(FetchPolicy::NoCache)).await.unwrap();
    assert!(
        fresh.query(list(FetchPolicy::CacheOnly)).await.is_err(),
        "no-cache leaves the cache untouched"
    );
}

#[tokio::test]
async fn a_mutation_result_updates_every_cached_query_showing_the_entity() {
    let server = start_mock(ConflictMode::Automerge).await;
    let client = AppSyncClient::new(gen2_config(&server), AuthProviders::new());
    seed(&client, "m1", "before").await;
    client.query(list(FetchPolicy::NetworkOnly)).await.unwrap();
    let update = "mutation U($input: UpdateTodoInput!) { updateTodo(input: $input) { id name } }";
    client
        .mutate(
            GraphQLRequest::new(update)
                .variables(json!({"input": {"id": "m1", "name": "after", "_version": 1}})),
        )
        .await
        .unwrap();
    let cached = client.query(list(FetchPolicy::CacheOnly)).await.unwrap();
    assert_eq!(
        cached.data.unwrap()["listTodos"]["items"][0]["name"],
        "after"
    );
}

type Watch =
    futures::channel::mpsc::UnboundedReceiver<Result<appsync_core::GraphQLResponse, AppSyncError>>;

async fn next(watch: &mut Watch) -> Result<appsync_core::GraphQLResponse, AppSyncError> {
    tokio::time::timeout(Duration::from_secs(5), watch.next())
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn a_watched_query_delivers_cache_then_network_then_changes() {
    let server = start_mock(ConflictMode::Automerge).await;
    let client = AppSyncClient::new(gen2_config(&server), AuthProviders::new());
    seed(&client, "w1", "first").await;
    client.query(list(FetchPolicy::NetworkOnly)).await.unwrap();
    seed(&client, "w2", "second").await;

    let mut watch = client.watch_query(GraphQLRequest::new(LIST)).await.unwrap();
    let cached = next(&mut watch).await;
    assert_eq!(
        cached.unwrap().data.unwrap()["listTodos"]["items"]
            .as_array()
            .unwrap()
            .len(),
        1,
        "the cache's answer first"
    );
    let network = next(&mut watch).await.unwrap();
    assert_eq!(
        network.data.unwrap()["listTodos"]["items"]
            .as_array()
            .unwrap()
            .len(),
        2,
        "then the network's"
    );

    let update = "mutation U($input: UpdateTodoInput!) { updateTodo(input: $input) { id name } }";
    client
        .mutate(
            GraphQLRequest::new(update)
                .variables(json!({"input": {"id": "w2", "name": "renamed", "_version": 1}})),
        )
        .await
        .unwrap();
    let changed = next(&mut watch).await.unwrap();
    assert_eq!(
        changed.data.unwrap()["listTodos"]["items"][1]["name"],
        "renamed",
        "then every change to its records"
    );
}

#[tokio::test]
async fn a_restarted_client_answers_cache_only_queries_from_disk_while_offline() {
    let server = start_mock(ConflictMode::Automerge).await;
    let path = std::env::temp_dir().join(format!("appsync-client-cache-{}.db", std::process::id()));
    SqliteStore::reset(&path).unwrap();
    let options = |store: Arc<dyn Store>| ClientOptions {
        cache_store: Some(StoreHandle::ready(store)),
        ..ClientOptions::default()
    };
    {
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path, "my-app").await.unwrap());
        let client =
            AppSyncClient::with_options(gen2_config(&server), AuthProviders::new(), options(store));
        seed(&client, "d1", "on disk").await;
        client.query(list(FetchPolicy::NetworkOnly)).await.unwrap();
    }
    drop(server);
    let mut offline_config = gen2_config(&start_mock(ConflictMode::Automerge).await);
    offline_config.endpoint = "http://127.0.0.1:9/graphql".into();
    // The restarted client is built at once; its store opens in the background.
    let reopening = path.clone();
    let client = AppSyncClient::with_options(
        offline_config,
        AuthProviders::new(),
        ClientOptions {
            cache_store: Some(StoreHandle::opening(async move {
                let store: Arc<dyn Store> =
                    Arc::new(SqliteStore::open(&reopening, "my-app").await?);
                Ok(store)
            })),
            ..ClientOptions::default()
        },
    );
    client.hydrated().await.unwrap();
    let cached = client.query(list(FetchPolicy::CacheOnly)).await.unwrap();
    assert_eq!(
        cached.data.unwrap()["listTodos"]["items"][0]["name"],
        "on disk"
    );
    assert!(
        matches!(
            client.query(list(FetchPolicy::NetworkOnly)).await,
            Err(AppSyncError::Network { .. })
        ),
        "the network really is gone"
    );
    let other_app: Arc<dyn Store> = Arc::new(SqliteStore::open(&path, "other-app").await.unwrap());
    let isolated = AppSyncClient::with_options(
        gen2_config(&start_mock(ConflictMode::Automerge).await),
        AuthProviders::new(),
        options(other_app),
    );
    assert!(
        isolated.query(list(FetchPolicy::CacheOnly)).await.is_err(),
        "another keyPrefix sees nothing"
    );
    SqliteStore::reset(&path).unwrap();
}

#[tokio::test]
async fn subscription_events_update_the_cache() {
    let server = start_mock(ConflictMode::Automerge).await;
    let client = AppSyncClient::new(gen2_config(&server), AuthProviders::new());
    let other = AppSyncClient::new(gen2_config(&server), AuthProviders::new());
    seed(&client, "s1", "original").await;
    client.query(list(FetchPolicy::NetworkOnly)).await.unwrap();

    let mut updates = client
        .subscribe(GraphQLRequest::new(
            "subscription { onUpdateTodo { id name } }",
        ))
        .unwrap();
    loop {
        let event = tokio::time::timeout(Duration::from_secs(5), updates.next_event())
            .await
            .unwrap()
            .unwrap();
        if event == appsync_core::SubscriptionEvent::Started {
            break;
        }
    }
    let update = "mutation U($input: UpdateTodoInput!) { updateTodo(input: $input) { id name } }";
    other
        .mutate(
            GraphQLRequest::new(update).variables(
                json!({"input": {"id": "s1", "name": "changed elsewhere", "_version": 1}}),
            ),
        )
        .await
        .unwrap();
    loop {
        let event = tokio::time::timeout(Duration::from_secs(5), updates.next_event())
            .await
            .unwrap()
            .unwrap();
        if matches!(event, appsync_core::SubscriptionEvent::Data(_)) {
            break;
        }
    }
    let mut seen = String::new();
    for _ in 0..50 {
        let cached = client.query(list(FetchPolicy::CacheOnly)).await.unwrap();
        seen = cached.data.unwrap()["listTodos"]["items"][0]["name"]
            .as_str()
            .unwrap()
            .to_owned();
        if seen == "changed elsewhere" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        seen, "changed elsewhere",
        "the event reached the cached list without a refetch"
    );
}

#[tokio::test]
async fn a_corrupt_store_is_a_typed_error_the_network_still_works_and_reset_recovers() {
    let server = start_mock(ConflictMode::Automerge).await;
    let path = std::env::temp_dir().join(format!("appsync-corrupt-{}.db", std::process::id()));
    SqliteStore::reset(&path).unwrap();
    std::fs::write(
        &path,
        b"this is not a SQLite database, just bytes on disk........",
    )
    .unwrap();
    let open = |path: std::path::PathBuf| {
        StoreHandle::opening(async move {
            let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path, "app").await?);
            Ok(store)
        })
    };
    let client = AppSyncClient::with_options(
        gen2_config(&server),
        AuthProviders::new(),
        ClientOptions {
            cache_store: Some(open(path.clone())),
            ..ClientOptions::default()
        },
    );
    let err = client.hydrated().await.unwrap_err();
    assert!(
        matches!(
            err,
            appsync_core::cache::CacheError::Store(appsync_core::storage::StoreError::Corrupt(_))
        ),
        "{err:?}"
    );
    seed(&client, "c1", "still online").await;
    let fresh = client.query(list(FetchPolicy::NetworkOnly)).await.unwrap();
    assert_eq!(
        fresh.data.unwrap()["listTodos"]["items"][0]["name"],
        "still online"
    );
    let cached = client
        .query(list(FetchPolicy::CacheOnly))
        .await
        .unwrap_err();
    assert!(cached.to_string().contains("corrupt"), "{cached}");
    drop(client);

    SqliteStore::reset(&path).unwrap();
    let client = AppSyncClient::with_options(
        gen2_config(&server),
        AuthProviders::new(),
        ClientOptions {
            cache_store: Some(open(path.clone())),
            ..ClientOptions::default()
        },
    );
    client.hydrated().await.unwrap();
    client.query(list(FetchPolicy::NetworkOnly)).await.unwrap();
    let cached = client.query(list(FetchPolicy::CacheOnly)).await.unwrap();
    assert_eq!(
        cached.data.unwrap()["listTodos"]["items"][0]["name"],
        "still online"
    );
    SqliteStore::reset(&path).unwrap();
}

/// A fetch that was already in flight when a newer value reached the cache (a subscription
/// event, a mutation's answer, the app's own write) does not put the older value back; a fetch
/// that starts afterwards does write what the server says.
#[tokio::test]
async fn a_slow_fetch_does_not_overwrite_what_the_cache_learned_while_it_was_in_flight() {
    let server = start_mock(ConflictMode::Automerge).await;
    let client = AppSyncClient::new(gen2_config(&server), AuthProviders::new());
    seed(&client, "s1", "on the server").await;
    let get = "query G($id: ID!) { getTodo(id: $id) { id name } }";
    let request = || {
        GraphQLRequest::new(get)
            .variables(json!({"id": "s1"}))
            .fetch_policy(FetchPolicy::NetworkOnly)
    };
    let cached = || async {
        let read = client
            .query(
                GraphQLRequest::new(get)
                    .variables(json!({"id": "s1"}))
                    .fetch_policy(FetchPolicy::CacheOnly),
            )
            .await
            .unwrap();
        read.data.unwrap()["getTodo"]["name"].clone()
    };

    server.faults().set_latency(Duration::from_millis(400));
    let slow = tokio::spawn({
        let client = client.clone();
        let request = request();
        async move { client.query(request).await }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    // What a subscription event writes, while the fetch is in flight.
    let operation = appsync_core::graphql::Operation::parse(get, None).unwrap();
    client
        .cache()
        .write_query(
            &operation,
            Some(&json!({"id": "s1"})),
            &json!({"getTodo": {"__typename": "Todo", "id": "s1", "name": "from an event"}}),
        )
        .await
        .unwrap();
    let answered = slow.await.unwrap().unwrap();
    server.faults().clear();
    assert_eq!(
        answered.data.unwrap()["getTodo"]["name"],
        "on the server",
        "the query itself returns what the server said"
    );
    assert_eq!(
        cached().await,
        "from an event",
        "the newer value stays in the cache"
    );

    client.query(request()).await.unwrap();
    assert_eq!(
        cached().await,
        "on the server",
        "a fetch started afterwards writes the server's value"
    );
}
