use super::*;
use crate::graphql::Operation;
use serde_json::json;

const LIST: &str = "query List($limit: Int) { listTodos(limit: $limit) { items { id name priority owner { id name } } nextToken } }";

fn op(text: &str) -> Operation {
    Operation::parse(text, None).unwrap()
}

fn list_data() -> Value {
    json!({"listTodos": {"__typename": "ModelTodoConnection", "nextToken": null, "items": [
        {"__typename": "Todo", "id": "1", "name": "a", "priority": 1, "owner": {"__typename": "User", "id": "u1", "name": "Ann"}},
        {"__typename": "Todo", "id": "2", "name": "b", "priority": 2, "owner": {"__typename": "User", "id": "u1", "name": "Ann"}}
    ]}})
}

fn store(normalized: Normalized) -> RecordSet {
    assert!(normalized.warnings.is_empty(), "{:?}", normalized.warnings);
    normalized.records
}

/// Record `key` in its JSON form.
fn rec(records: &RecordSet, key: &str) -> Value {
    Value::Object(records.get(key).unwrap_or_default())
}

#[test]
fn splits_entities_into_records_and_shares_them() {
    let keys = KeyConfig::default();
    let records = store(normalize(
        &op(LIST),
        Some(&json!({"limit": 2})),
        &list_data(),
        &keys,
    ));
    assert_eq!(
        records.keys(),
        ["ROOT_QUERY", "Todo:1", "Todo:2", "User:u1"]
    );
    let root = rec(&records, "ROOT_QUERY");
    let connection = &root[r#"listTodos({"limit":2})"#];
    assert_eq!(
        connection["items"],
        json!([{"__ref": "Todo:1"}, {"__ref": "Todo:2"}]),
        "the connection (no id) is embedded"
    );
    assert_eq!(
        rec(&records, "Todo:2")["owner"],
        json!({"__ref": "User:u1"})
    );
    assert_eq!(
        rec(&records, "User:u1"),
        json!({"__typename": "User", "id": "u1", "name": "Ann"})
    );
}

#[test]
fn reading_back_gives_the_result_and_its_dependencies() {
    let keys = KeyConfig::default();
    let variables = json!({"limit": 2});
    let records = store(normalize(&op(LIST), Some(&variables), &list_data(), &keys));
    let result = read(&op(LIST), Some(&variables), &records, &keys);
    assert_eq!(result.data, Some(list_data()));
    assert!(result.missing.is_empty());
    assert_eq!(
        result
            .dependency_keys(&records)
            .into_iter()
            .collect::<Vec<_>>(),
        ["ROOT_QUERY", "Todo:1", "Todo:2", "User:u1"]
    );
}

#[test]
fn arguments_key_fields_apart() {
    let keys = KeyConfig::default();
    let records = store(normalize(
        &op(LIST),
        Some(&json!({"limit": 2})),
        &list_data(),
        &keys,
    ));
    let other = read(&op(LIST), Some(&json!({"limit": 5})), &records, &keys);
    assert_eq!(other.data, None);
    assert_eq!(other.missing, ["listTodos"]);
}

#[test]
fn a_later_write_updates_every_query_that_reads_the_entity() {
    let keys = KeyConfig::default();
    let variables = json!({"limit": 2});
    let mut records = store(normalize(&op(LIST), Some(&variables), &list_data(), &keys));
    let update = op("mutation { updateTodo(input: {id: \"1\", name: \"renamed\"}) { id name } }");
    let data = json!({"updateTodo": {"__typename": "Todo", "id": "1", "name": "renamed"}});
    records.merge_set(&store(normalize(&update, None, &data, &keys)));
    let list = read(&op(LIST), Some(&variables), &records, &keys)
        .data
        .unwrap();
    assert_eq!(list["listTodos"]["items"][0]["name"], "renamed");
    assert_eq!(
        list["listTodos"]["items"][0]["priority"], 1,
        "fields the update did not select are kept"
    );
    assert!(records.get("ROOT_MUTATION").is_some());
}

#[test]
fn aliases_fragments_and_inline_fragments_round_trip() {
    let keys = KeyConfig::default();
    let text = "query Q($id: ID!) { first: getTodo(id: $id) { ...T ... on Todo { done } } second: getTodo(id: \"9\") { id label: name } }
                fragment T on Todo { id name }";
    let data = json!({
        "first": {"__typename": "Todo", "id": "1", "name": "a", "done": true},
        "second": {"__typename": "Todo", "id": "9", "label": "nine"}
    });
    let variables = json!({"id": "1"});
    let records = store(normalize(&op(text), Some(&variables), &data, &keys));
    assert_eq!(
        rec(&records, "ROOT_QUERY")[r#"getTodo({"id":"1"})"#],
        json!({"__ref": "Todo:1"})
    );
    assert_eq!(
        rec(&records, "Todo:9")["name"],
        "nine",
        "stored under the field name, not the alias"
    );
    assert_eq!(
        read(&op(text), Some(&variables), &records, &keys).data,
        Some(data)
    );
}

#[test]
fn objects_without_ids_live_inside_their_parent() {
    let keys = KeyConfig::default();
    let text = "{ getTodo(id: \"1\") { id address { street geo { lat } } tags } }";
    let data = json!({"getTodo": {"__typename": "Todo", "id": "1", "tags": ["x"],
        "address": {"__typename": "Address", "street": "Main", "geo": {"__typename": "Geo", "lat": 1.5}}}});
    let records = store(normalize(&op(text), None, &data, &keys));
    assert_eq!(records.len(), 2, "ROOT_QUERY and Todo:1 only");
    assert_eq!(rec(&records, "Todo:1")["address"]["geo"]["lat"], 1.5);
    assert_eq!(read(&op(text), None, &records, &keys).data, Some(data));
}

#[test]
fn data_that_does_not_match_is_stored_as_far_as_valid_and_reported() {
    let keys = KeyConfig::default();
    let data = json!({"listTodos": {"__typename": "ModelTodoConnection", "items": [
        {"__typename": "Todo", "id": "1", "name": "a", "owner": "not an object"},
        {"__typename": "Todo", "id": "2", "priority": 2, "owner": null}
    ]}});
    let normalized = normalize(&op(LIST), None, &data, &keys);
    assert!(
        normalized
            .warnings
            .iter()
            .any(|w| w.contains("listTodos.items[0].owner: expected an object")),
        "{:?}",
        normalized.warnings
    );
    assert!(normalized
        .warnings
        .iter()
        .any(|w| w.contains("listTodos.items[1].name: missing")));
    assert!(normalized
        .warnings
        .iter()
        .any(|w| w.contains("listTodos.nextToken: missing")));
    assert_eq!(
        rec(&normalized.records, "Todo:1")["name"],
        "a",
        "valid fields were stored"
    );
    assert_eq!(rec(&normalized.records, "Todo:2")["owner"], Value::Null);
    let read_back = read(&op(LIST), None, &normalized.records, &keys);
    assert_eq!(read_back.data, None, "an incomplete cache entry is a miss");
    assert!(read_back
        .missing
        .contains(&"listTodos.nextToken".to_owned()));
    for garbage in [json!(null), json!([1, 2]), json!("x")] {
        let n = normalize(&op(LIST), None, &garbage, &keys);
        assert!(n.records.is_empty() && !n.warnings.is_empty());
    }
}

#[test]
fn a_missing_record_behind_a_reference_is_a_miss() {
    let keys = KeyConfig::default();
    let mut records = store(normalize(&op(LIST), None, &list_data(), &keys));
    records.remove("User:u1");
    let result = read(&op(LIST), None, &records, &keys);
    assert_eq!(result.data, None);
    assert!(
        result.missing.iter().any(|m| m.contains("User:u1")),
        "{:?}",
        result.missing
    );
    assert!(
        result.dependency_keys(&records).contains("User:u1"),
        "a watch must re-run when the record appears"
    );
}

#[test]
fn skip_and_include_follow_the_variables() {
    let keys = KeyConfig::default();
    let text = "query Q($full: Boolean!) { getTodo(id: \"1\") { id name @include(if: $full) priority @skip(if: $full) } }";
    let data = json!({"getTodo": {"__typename": "Todo", "id": "1", "name": "a"}});
    let records = store(normalize(
        &op(text),
        Some(&json!({"full": true})),
        &data,
        &keys,
    ));
    assert_eq!(
        read(&op(text), Some(&json!({"full": true})), &records, &keys).data,
        Some(data)
    );
    assert_eq!(
        read(&op(text), Some(&json!({"full": false})), &records, &keys).missing,
        ["getTodo.priority"]
    );
}

/// Fetches in flight are ordered by when they started: a result never overwrites a field that a
/// newer source (a later fetch, a plain write) set while it was in flight; everything else it
/// holds is written.
#[tokio::test]
async fn fetch_results_yield_to_newer_sources_by_start_order() {
    use std::sync::Arc;
    let cache = Arc::new(Cache::new(KeyConfig::default(), None));
    let get = op("query G($id: ID!) { getTodo(id: $id) { id name priority } }");
    let vars = json!({"id": "1"});
    let todo = |name: &str, priority: i64| json!({"getTodo": {"__typename": "Todo", "id": "1", "name": name, "priority": priority}});
    let get = std::sync::Arc::new(get);
    let name = |cache: &Arc<Cache>| {
        let (cache, get, vars) = (cache.clone(), get.clone(), vars.clone());
        async move {
            let read = cache.read_query(&get, Some(&vars)).await.unwrap();
            let data = read.data.unwrap();
            (
                data["getTodo"]["name"].clone(),
                data["getTodo"]["priority"].clone(),
            )
        }
    };

    let older = cache.begin_fetch();
    let newer = cache.begin_fetch();
    cache
        .write_fetched(&newer, &get, Some(&vars), &todo("newer", 2))
        .await
        .unwrap();
    // The older fetch answers last: its fields were all set by the newer one.
    cache
        .write_fetched(&older, &get, Some(&vars), &todo("older", 1))
        .await
        .unwrap();
    assert_eq!(name(&cache).await, (json!("newer"), json!(2)));
    drop((older, newer));

    // A plain write while a fetch is in flight wins over it, field by field.
    let fetch = cache.begin_fetch();
    let fragment = crate::graphql::Fragment::parse("fragment N on Todo { name }", None).unwrap();
    cache
        .write_fragment(
            &fragment,
            "Todo:1",
            None,
            &json!({"__typename": "Todo", "name": "local"}),
        )
        .await
        .unwrap();
    cache
        .write_fetched(&fetch, &get, Some(&vars), &todo("fetched", 5))
        .await
        .unwrap();
    assert_eq!(
        name(&cache).await,
        (json!("local"), json!(5)),
        "priority is the fetch's"
    );
    drop(fetch);

    // With nothing in flight, a fetch started now writes everything.
    let fetch = cache.begin_fetch();
    cache
        .write_fetched(&fetch, &get, Some(&vars), &todo("fresh", 7))
        .await
        .unwrap();
    assert_eq!(name(&cache).await, (json!("fresh"), json!(7)));
}
