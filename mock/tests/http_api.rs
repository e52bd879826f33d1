//! The @model API over HTTP: every operation, filters, conditions, conflict modes, sync paging,
//! delta versus full sync, tombstones, persistence and bad requests.

// Test code: a failed expectation should stop the test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use appsync_mock::{ConflictMode, MockConfig, MockServer};
use serde_json::{json, Value};
use support::*;

#[tokio::test]
async fn every_operation_round_trips() {
    let server = server(ConflictMode::Automerge).await;
    let created = create_todo(
        &server,
        json!({"id": "t1", "name": "write tests", "priority": 2}),
    )
    .await;
    assert_eq!(created["_version"], 1);
    assert_eq!(created["_deleted"], Value::Null);
    assert!(created["createdAt"].as_str().unwrap().ends_with('Z'));
    assert!(created["_lastChangedAt"].as_i64().unwrap() > 0);

    let got = gql(
        &server,
        "query { getTodo(id: \"t1\") { id name __typename } }",
        json!({}),
    )
    .await;
    assert_eq!(
        got.data()["getTodo"],
        json!({"id": "t1", "name": "write tests", "__typename": "Todo"})
    );

    let updated = gql(
        &server,
        UPDATE_TODO,
        json!({"input": {"id": "t1", "done": true, "_version": 1}}),
    )
    .await;
    assert_eq!(updated.data()["updateTodo"]["done"], true);
    assert_eq!(
        updated.data()["updateTodo"]["name"],
        "write tests",
        "omitted fields are kept"
    );
    assert_eq!(updated.data()["updateTodo"]["_version"], 2);

    let listed = gql(&server, LIST_TODOS, json!({})).await;
    assert_eq!(
        listed.data()["listTodos"]["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    let deleted = gql(
        &server,
        DELETE_TODO,
        json!({"input": {"id": "t1", "_version": 2}}),
    )
    .await;
    assert_eq!(deleted.data()["deleteTodo"]["_deleted"], true);
    assert_eq!(deleted.data()["deleteTodo"]["_version"], 3);

    let synced = gql(&server, SYNC_TODOS, json!({})).await;
    let items = &synced.data()["syncTodos"]["items"];
    assert_eq!(items[0]["_deleted"], true, "tombstones are synced");
}

#[tokio::test]
async fn ids_are_generated_and_a_duplicate_create_fails_with_the_stored_item() {
    let server = server(ConflictMode::Automerge).await;
    let created = create_todo(&server, json!({"name": "no id"})).await;
    let id = created["id"].as_str().unwrap();
    assert_eq!(id.len(), 36, "a UUID");
    let again = gql(
        &server,
        CREATE_TODO,
        json!({"input": {"id": id, "name": "dup"}}),
    )
    .await;
    assert_eq!(
        again.error_type(),
        Some("DynamoDB:ConditionalCheckFailedException")
    );
    assert_eq!(again.body["errors"][0]["data"]["name"], "no id");
    assert_eq!(again.body["errors"][0]["path"], json!(["createTodo"]));
    assert_eq!(again.data()["createTodo"], Value::Null);
}

#[tokio::test]
async fn list_filters_apply_every_operator() {
    let server = server(ConflictMode::Automerge).await;
    for (id, name, priority) in [
        ("a", "alpha", 1),
        ("b", "beta", 2),
        ("c", "gamma", 3),
        ("d", "alphabet", 4),
    ] {
        create_todo(
            &server,
            json!({"id": id, "name": name, "priority": priority, "tags": [name]}),
        )
        .await;
    }
    let cases: Vec<(Value, Vec<&str>)> = vec![
        (json!({"name": {"eq": "beta"}}), vec!["b"]),
        (json!({"name": {"ne": "beta"}}), vec!["a", "c", "d"]),
        (json!({"priority": {"le": 2}}), vec!["a", "b"]),
        (json!({"priority": {"lt": 2}}), vec!["a"]),
        (json!({"priority": {"ge": 3}}), vec!["c", "d"]),
        (json!({"priority": {"gt": 3}}), vec!["d"]),
        (json!({"priority": {"between": [2, 3]}}), vec!["b", "c"]),
        (json!({"name": {"contains": "pha"}}), vec!["a", "d"]),
        (json!({"name": {"notContains": "pha"}}), vec!["b", "c"]),
        (json!({"name": {"beginsWith": "al"}}), vec!["a", "d"]),
        (
            json!({"description": {"attributeExists": false}}),
            vec!["a", "b", "c", "d"],
        ),
        (
            json!({"name": {"attributeExists": true}}),
            vec!["a", "b", "c", "d"],
        ),
        (json!({"name": {"size": {"gt": 5}}}), vec!["d"]),
        (
            json!({"or": [{"name": {"eq": "beta"}}, {"priority": {"eq": 3}}]}),
            vec!["b", "c"],
        ),
        (
            json!({"and": [{"name": {"beginsWith": "al"}}, {"priority": {"gt": 1}}]}),
            vec!["d"],
        ),
        (
            json!({"not": {"name": {"beginsWith": "al"}}}),
            vec!["b", "c"],
        ),
        (json!({"id": {"eq": "c"}}), vec!["c"]),
        (json!({"_deleted": {"ne": true}}), vec!["a", "b", "c", "d"]),
    ];
    for (filter, expected) in cases {
        let reply = gql(&server, LIST_TODOS, json!({"filter": filter})).await;
        let ids: Vec<&str> = reply.data()["listTodos"]["items"]
            .as_array()
            .unwrap_or_else(|| panic!("{filter}: {}", reply.body))
            .iter()
            .map(|i| i["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, expected, "filter {filter}");
    }
    let bad = gql(
        &server,
        LIST_TODOS,
        json!({"filter": {"priority": {"between": [1]}}}),
    )
    .await;
    assert!(bad.body["errors"].is_array(), "{}", bad.body);
}

#[tokio::test]
async fn list_pages_with_stable_opaque_tokens() {
    let server = server(ConflictMode::Optimistic).await;
    for i in 0..7 {
        create_todo(&server, json!({"id": format!("id{i}"), "name": "n"})).await;
    }
    let first = gql(&server, LIST_TODOS, json!({"limit": 3})).await;
    let again = gql(&server, LIST_TODOS, json!({"limit": 3})).await;
    let token = first.data()["listTodos"]["nextToken"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        Some(token.as_str()),
        again.data()["listTodos"]["nextToken"].as_str()
    );
    let mut seen = 3;
    let mut next = Some(token);
    while let Some(token) = next {
        let page = gql(&server, LIST_TODOS, json!({"limit": 3, "nextToken": token})).await;
        seen += page.data()["listTodos"]["items"].as_array().unwrap().len();
        next = page.data()["listTodos"]["nextToken"]
            .as_str()
            .map(str::to_owned);
    }
    assert_eq!(seen, 7);
    let bad = gql(&server, LIST_TODOS, json!({"nextToken": "garbage"})).await;
    assert_eq!(bad.error_type(), Some("InvalidNextTokenException"));
}

#[tokio::test]
async fn conditions_are_evaluated_on_writes() {
    let server = server(ConflictMode::Automerge).await;
    create_todo(&server, json!({"id": "c1", "name": "x", "priority": 1})).await;
    let refused = gql(
        &server,
        UPDATE_TODO,
        json!({"input": {"id": "c1", "name": "y", "_version": 1},
        "condition": {"priority": {"gt": 5}}}),
    )
    .await;
    assert_eq!(
        refused.error_type(),
        Some("DynamoDB:ConditionalCheckFailedException")
    );
    let accepted = gql(
        &server,
        UPDATE_TODO,
        json!({"input": {"id": "c1", "name": "y", "_version": 1},
        "condition": {"priority": {"eq": 1}}}),
    )
    .await;
    assert_eq!(accepted.data()["updateTodo"]["name"], "y");
    let missing = gql(
        &server,
        UPDATE_TODO,
        json!({"input": {"id": "nope", "name": "y", "_version": 1}}),
    )
    .await;
    assert_eq!(
        missing.error_type(),
        Some("DynamoDB:ConditionalCheckFailedException")
    );
}

#[tokio::test]
async fn optimistic_concurrency_rejects_a_stale_version_with_the_current_item() {
    let server = server(ConflictMode::Optimistic).await;
    create_todo(&server, json!({"id": "o1", "name": "v1"})).await;
    gql(
        &server,
        UPDATE_TODO,
        json!({"input": {"id": "o1", "name": "v2", "_version": 1}}),
    )
    .await;
    let stale = gql(
        &server,
        UPDATE_TODO,
        json!({"input": {"id": "o1", "name": "mine", "_version": 1}}),
    )
    .await;
    assert_eq!(stale.error_type(), Some("ConflictUnhandled"));
    assert_eq!(stale.message(), "Conflict resolver rejects mutation.");
    assert_eq!(stale.body["errors"][0]["data"]["name"], "v2");
    assert_eq!(stale.body["errors"][0]["data"]["_version"], 2);
    let stale_delete = gql(
        &server,
        DELETE_TODO,
        json!({"input": {"id": "o1", "_version": 1}}),
    )
    .await;
    assert_eq!(stale_delete.error_type(), Some("ConflictUnhandled"));
}

#[tokio::test]
async fn automerge_merges_a_stale_update() {
    let server = server(ConflictMode::Automerge).await;
    create_todo(
        &server,
        json!({"id": "m1", "name": "server", "tags": ["a"]}),
    )
    .await;
    gql(
        &server,
        UPDATE_TODO,
        json!({"input": {"id": "m1", "name": "server2", "_version": 1}}),
    )
    .await;
    let merged = gql(
        &server,
        UPDATE_TODO,
        json!({"input": {"id": "m1", "name": "client",
        "description": "new", "tags": ["a", "b"], "_version": 1}}),
    )
    .await;
    let item = &merged.data()["updateTodo"];
    assert_eq!(item["name"], "server2", "scalars keep the server value");
    assert_eq!(item["description"], "new", "new fields are taken");
    assert_eq!(item["tags"], json!(["a", "b"]), "lists are merged");
    assert_eq!(item["_version"], 3);
}

#[tokio::test]
async fn sync_pages_share_started_at_and_cover_every_item() {
    let server = server(ConflictMode::Automerge).await;
    for i in 0..250 {
        create_todo(&server, json!({"id": format!("s{i:03}"), "name": "n"})).await;
    }
    let mut started = None;
    let mut total = 0;
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let reply = gql(
            &server,
            SYNC_TODOS,
            json!({"limit": 100, "nextToken": token}),
        )
        .await;
        let page = &reply.data()["syncTodos"];
        let at = page["startedAt"].as_i64().unwrap();
        assert_eq!(
            *started.get_or_insert(at),
            at,
            "startedAt is identical on every page"
        );
        total += page["items"].as_array().unwrap().len();
        pages += 1;
        token = page["nextToken"].as_str().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    assert_eq!((total, pages), (250, 3));
    let default_limit = gql(&server, SYNC_TODOS, json!({})).await;
    assert_eq!(
        default_limit.data()["syncTodos"]["items"]
            .as_array()
            .unwrap()
            .len(),
        100
    );
    let capped = gql(&server, SYNC_TODOS, json!({"limit": 5000})).await;
    assert_eq!(
        capped.data()["syncTodos"]["items"]
            .as_array()
            .unwrap()
            .len(),
        250,
        "max 1000"
    );
}

#[tokio::test]
async fn sync_reads_the_delta_log_within_its_ttl_and_scans_after_it() {
    let server = server(ConflictMode::Automerge).await;
    for i in 0..5 {
        create_todo(&server, json!({"id": format!("d{i}"), "name": "n"})).await;
    }
    let base = gql(&server, SYNC_TODOS, json!({})).await;
    let last_sync = base.data()["syncTodos"]["startedAt"].as_i64().unwrap();
    server.clock().advance_ms(1_000);
    gql(
        &server,
        UPDATE_TODO,
        json!({"input": {"id": "d2", "name": "changed", "_version": 1}}),
    )
    .await;
    gql(
        &server,
        DELETE_TODO,
        json!({"input": {"id": "d3", "_version": 1}}),
    )
    .await;

    let delta = gql(&server, SYNC_TODOS, json!({"lastSync": last_sync})).await;
    let items = delta.data()["syncTodos"]["items"]
        .as_array()
        .unwrap()
        .clone();
    let ids: Vec<_> = items.iter().map(|i| i["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["d2", "d3"], "only the changes since lastSync");
    assert_eq!(items[1]["_deleted"], true);

    server.clock().advance_ms(31 * 60 * 1000);
    let stale = gql(&server, SYNC_TODOS, json!({"lastSync": last_sync})).await;
    assert_eq!(
        stale.data()["syncTodos"]["items"].as_array().unwrap().len(),
        5,
        "older than the delta TTL: full scan"
    );
}

#[tokio::test]
async fn tombstones_expire_after_their_ttl() {
    let mut config = MockConfig::new(SCHEMA);
    config.tombstone_ttl_ms = 60_000;
    let server = MockServer::start(config).await.unwrap();
    create_todo(&server, json!({"id": "x", "name": "n"})).await;
    gql(
        &server,
        DELETE_TODO,
        json!({"input": {"id": "x", "_version": 1}}),
    )
    .await;
    assert_eq!(server.api().count("Todo"), 1, "kept as a tombstone");
    server.clock().advance_ms(61_000);
    let synced = gql(&server, SYNC_TODOS, json!({})).await;
    assert_eq!(synced.data()["syncTodos"]["items"], json!([]));
    assert_eq!(server.api().count("Todo"), 0);
}

#[tokio::test]
async fn without_conflict_detection_there_is_no_sync_and_deletes_are_hard() {
    let server = server(ConflictMode::None).await;
    create_todo_plain(&server).await;
    let sync = gql(&server, SYNC_TODOS, json!({})).await;
    assert!(
        sync.message().contains("syncTodos") || sync.message().contains("Unknown type"),
        "{}",
        sync.body
    );
    let deleted = gql(
        &server,
        "mutation { deleteTodo(input: {id: \"p\"}) { id } }",
        json!({}),
    )
    .await;
    assert_eq!(deleted.data()["deleteTodo"]["id"], "p");
    assert_eq!(server.api().count("Todo"), 0);
    let versioned = gql(
        &server,
        "query { getTodo(id: \"p\") { _version } }",
        json!({}),
    )
    .await;
    assert!(
        versioned.message().contains("FieldUndefined"),
        "{}",
        versioned.body
    );
}

async fn create_todo_plain(server: &MockServer) {
    let reply = gql(
        server,
        "mutation { createTodo(input: {id: \"p\", name: \"plain\"}) { id name } }",
        json!({}),
    )
    .await;
    assert_eq!(
        reply.data()["createTodo"]["name"],
        "plain",
        "{}",
        reply.body
    );
}

#[tokio::test]
async fn clients_cannot_write_metadata_fields() {
    let server = server(ConflictMode::Automerge).await;
    let reply = gql(
        &server,
        CREATE_TODO,
        json!({"input": {"name": "x", "_lastChangedAt": 5}}),
    )
    .await;
    assert_eq!(reply.error_type(), Some("BadRequest"), "{}", reply.body);
    let literal = gql(
        &server,
        "mutation { createTodo(input: {name: \"x\", _deleted: true}) { id } }",
        json!({}),
    )
    .await;
    assert_eq!(literal.error_type(), Some("BadRequest"), "{}", literal.body);
    assert_eq!(server.api().count("Todo"), 0);
}

#[tokio::test]
async fn invalid_documents_get_validation_errors_not_crashes() {
    let server = server(ConflictMode::Automerge).await;
    let cases = [
        ("query { getTodo(id: \"1\") { nope } }", "FieldUndefined"),
        ("query { getTodo { id } }", "MissingFieldArgument"),
        (
            "query { getTodo(id: \"1\", x: 1) { id } }",
            "UnknownArgument",
        ),
        ("query { getTodo(id: \"1\") }", "SubSelectionRequired"),
        (
            "query { getTodo(id: \"1\") { id { x } } }",
            "SubSelectionNotAllowed",
        ),
        ("query { getTodo(id: \"1\") { ...F } }", "UndefinedFragment"),
        ("query($i: Nope) { getTodo(id: $i) { id } }", "UnknownType"),
        ("query($i: ID!) { getTodo(id: $i) { id } }", "NonNull"),
    ];
    for (query, expected) in cases {
        let reply = gql(&server, query, json!({})).await;
        assert_eq!(reply.status, 200, "{query}");
        assert!(
            reply.message().contains(expected),
            "{query}: {}",
            reply.body
        );
        assert_eq!(reply.body["data"], Value::Null);
    }
    let deep = format!(
        "query {{ {} id {} }}",
        "getTodo(id: \"1\") {".repeat(200),
        "}".repeat(200)
    );
    let reply = gql(&server, &deep, json!({})).await;
    assert_eq!(reply.status, 400);
    let syntax = gql(&server, "query { getTodo(id: ", json!({})).await;
    assert_eq!(
        (syntax.status, syntax.error_type()),
        (400, Some("MalformedHttpRequestException"))
    );
    let wrong_var = gql(&server, CREATE_TODO, json!({"input": {"name": 5}})).await;
    assert!(
        wrong_var.message().contains("Variable 'input'"),
        "{}",
        wrong_var.body
    );
}

#[tokio::test]
async fn bad_requests_get_errors_and_leave_data_intact() {
    let server = server(ConflictMode::Automerge).await;
    create_todo(&server, json!({"id": "keep", "name": "safe"})).await;
    let key = [("x-api-key", appsync_mock::config::DEFAULT_API_KEY)];
    let malformed = post_raw(&server.graphql_url(), &key, b"{not json".to_vec()).await;
    assert_eq!(
        (malformed.status, malformed.error_type()),
        (400, Some("MalformedHttpRequestException"))
    );
    let unknown_op = post_raw(
        &server.graphql_url(),
        &key,
        json!({"query": "query A { getTodo(id: \"keep\") { id } }", "operationName": "B"})
            .to_string()
            .into_bytes(),
    )
    .await;
    assert!(
        unknown_op.message().contains("Unknown operation"),
        "{}",
        unknown_op.body
    );
    let huge = vec![b' '; 2 * 1024 * 1024];
    let oversized = post_raw(&server.graphql_url(), &key, huge).await;
    assert_eq!(oversized.status, 413);
    let vars_not_object = post_raw(
        &server.graphql_url(),
        &key,
        json!({"query": "{ getTodo(id: \"keep\") { id } }", "variables": [1]})
            .to_string()
            .into_bytes(),
    )
    .await;
    assert_eq!(vars_not_object.status, 400);
    let still = gql(&server, "{ getTodo(id: \"keep\") { name } }", json!({})).await;
    assert_eq!(still.data()["getTodo"]["name"], "safe");
}

#[tokio::test]
async fn data_survives_a_restart_with_a_sqlite_file() {
    let path = std::env::temp_dir().join(format!("appsync-mock-restart-{}.db", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let token;
    {
        let server = MockServer::start(MockConfig::new(SCHEMA).data_file(&path))
            .await
            .unwrap();
        create_todo(&server, json!({"id": "p1", "name": "persisted"})).await;
        gql(
            &server,
            DELETE_TODO,
            json!({"input": {"id": "p1", "_version": 1}}),
        )
        .await;
        create_todo(&server, json!({"id": "p2", "name": "alive"})).await;
        token = server
            .mint_token(appsync_mock::AuthMode::UserPools, &json!({}))
            .unwrap();
    }
    let server = MockServer::start(MockConfig::new(SCHEMA).data_file(&path))
        .await
        .unwrap();
    let got = gql(
        &server,
        "{ getTodo(id: \"p2\") { name _version } }",
        json!({}),
    )
    .await;
    assert_eq!(
        got.data()["getTodo"],
        json!({"name": "alive", "_version": 1})
    );
    let synced = gql(&server, SYNC_TODOS, json!({"lastSync": 0})).await;
    assert_eq!(
        synced.data()["syncTodos"]["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let with_old_token = gql_with(
        &server,
        &[("authorization", &token)],
        "{ getTodo(id: \"p2\") { id } }",
        json!({}),
    )
    .await;
    assert_eq!(
        with_old_token.status, 200,
        "the JWT key is persisted too: {}",
        with_old_token.body
    );
    drop(server);
    let _ = std::fs::remove_file(&path);
}

#[tokio::test]
async fn the_generated_schema_is_served() {
    let server = server(ConflictMode::Automerge).await;
    let sdl = reqwest::get(format!("http://{}/__mock/schema", server.addr()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(sdl.contains("syncTodos(filter: ModelTodoFilterInput, limit: Int, nextToken: String, lastSync: AWSTimestamp): ModelTodoConnection"), "{sdl}");
}
