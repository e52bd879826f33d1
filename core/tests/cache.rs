//! The cache over real stores: persistence across a restart (read lazily from disk), optimistic
//! layers and their rollback, watches that re-emit only for their own records, evict, gc,
//! extract/restore, and a damaged stored record.

// Test code: a failed expectation should stop the test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use appsync_core::cache::{Cache, CacheError, FreshTape, KeyConfig, SegmentRead, TAPE_END};
use appsync_core::graphql::Operation;
use appsync_core::storage::{Change, MemoryStore, SqliteStore, Store, StoreHandle};
use futures::StreamExt;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

const LIST: &str = "query List { listTodos { items { id name owner { id name } } } }";
const GET: &str = "query Get($id: ID!) { getTodo(id: $id) { id name } }";

fn op(text: &str) -> Arc<Operation> {
    Arc::new(Operation::parse(text, None).unwrap())
}

fn list_data() -> Value {
    json!({"listTodos": {"__typename": "ModelTodoConnection", "items": [
        {"__typename": "Todo", "id": "1", "name": "a", "owner": {"__typename": "User", "id": "u1", "name": "Ann"}},
        {"__typename": "Todo", "id": "2", "name": "b", "owner": {"__typename": "User", "id": "u1", "name": "Ann"}}
    ]}})
}

fn rename(id: &str, name: &str) -> (Arc<Operation>, Value) {
    (
        op("mutation { updateTodo(input: {}) { id name } }"),
        json!({"updateTodo": {"__typename": "Todo", "id": id, "name": name}}),
    )
}

#[tokio::test]
async fn a_restarted_client_reads_its_cache_from_disk() {
    let path = std::env::temp_dir().join(format!("appsync-cache-{}.db", std::process::id()));
    SqliteStore::reset(&path).unwrap();
    {
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path, "app").await.unwrap());
        let cache = Cache::new(KeyConfig::default(), Some(StoreHandle::ready(store)));
        assert!(cache
            .write_query(&op(LIST), None, &list_data())
            .await
            .unwrap()
            .is_empty());
    }
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path, "app").await.unwrap());
    let cache = Cache::new(KeyConfig::default(), Some(StoreHandle::ready(store)));
    let read = cache.read_query(&op(LIST), None).await.unwrap();
    assert_eq!(
        read.data,
        Some(list_data()),
        "answered offline from disk, loaded on demand"
    );
    let get = cache
        .read_query(&op(GET), Some(&json!({"id": "1"})))
        .await
        .unwrap();
    assert_eq!(
        get.data, None,
        "getTodo(id: 1) was never fetched: a miss, not a guess"
    );
    drop(cache);
    SqliteStore::reset(&path).unwrap();
}

#[tokio::test]
async fn optimistic_layers_sit_on_top_and_roll_back() {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new("app"));
    let cache = Cache::new(
        KeyConfig::default(),
        Some(StoreHandle::ready(store.clone())),
    );
    cache
        .write_query(&op(LIST), None, &list_data())
        .await
        .unwrap();
    let (mutation, data) = rename("1", "optimistic");
    cache.write_optimistic("m1", &mutation, None, &data).await;
    let seen = cache
        .read_query(&op(LIST), None)
        .await
        .unwrap()
        .data
        .unwrap();
    assert_eq!(seen["listTodos"]["items"][0]["name"], "optimistic");
    let fresh = Cache::new(KeyConfig::default(), Some(StoreHandle::ready(store)));
    let persisted = fresh
        .read_query(&op(LIST), None)
        .await
        .unwrap()
        .data
        .unwrap();
    assert_eq!(
        persisted["listTodos"]["items"][0]["name"], "a",
        "optimistic layers are never persisted"
    );
    cache.remove_layer("m1").await;
    let rolled_back = cache
        .read_query(&op(LIST), None)
        .await
        .unwrap()
        .data
        .unwrap();
    assert_eq!(rolled_back["listTodos"]["items"][0]["name"], "a");
}

/// Nothing more arrives on `watch` for 100 ms.
async fn assert_quiet<T: std::fmt::Debug>(
    watch: &mut futures::channel::mpsc::UnboundedReceiver<T>,
    why: &str,
) {
    assert!(
        tokio::time::timeout(Duration::from_millis(100), watch.next())
            .await
            .is_err(),
        "{why}"
    );
}

/// A watch's complete result as a tree.
fn tree(read: appsync_core::cache::TextRead) -> Value {
    serde_json::from_str(&read.data.expect("complete")).unwrap()
}

#[tokio::test]
async fn watches_re_emit_only_when_their_records_change() {
    let cache = Cache::new(KeyConfig::default(), None);
    cache
        .write_query(&op(LIST), None, &list_data())
        .await
        .unwrap();
    let mut watch = cache.watch_query(op(LIST), None).await.unwrap();
    let first = watch.next().await.unwrap();
    assert_eq!(tree(first), list_data());

    let (mutation, data) = rename("2", "renamed");
    cache.write_query(&mutation, None, &data).await.unwrap();
    let second = watch.next().await.unwrap();
    assert_eq!(tree(second)["listTodos"]["items"][1]["name"], "renamed");

    let unrelated = op("query { getPost(id: \"9\") { id title } }");
    cache
        .write_query(
            &unrelated,
            None,
            &json!({"getPost": {"__typename": "Post", "id": "9", "title": "t"}}),
        )
        .await
        .unwrap();
    let (same, same_data) = rename("2", "renamed");
    cache.write_query(&same, None, &same_data).await.unwrap();
    assert_quiet(&mut watch, "no emission for unrelated or unchanged data").await;

    cache
        .write_optimistic("layer", &rename("1", "opt").0, None, &rename("1", "opt").1)
        .await;
    assert_eq!(
        tree(watch.next().await.unwrap())["listTodos"]["items"][0]["name"],
        "opt"
    );
    cache.remove_layer("layer").await;
    assert_eq!(
        tree(watch.next().await.unwrap())["listTodos"]["items"][0]["name"],
        "a"
    );
}

/// A notice arrives on `changes` within 2 s.
async fn told(changes: &mut futures::channel::mpsc::UnboundedReceiver<()>) {
    let notice = tokio::time::timeout(Duration::from_secs(2), changes.next()).await;
    assert_eq!(notice, Ok(Some(())), "a change to tell of");
}

/// A change watch tells its consumer when a record its last read depended on changed, and
/// nothing else: not before the consumer said what it read, not for unrelated or unchanged
/// data, and nothing once its handle is dropped.
#[tokio::test]
async fn a_change_watch_tells_of_changes_to_what_its_last_read_depended_on() {
    let cache = Arc::new(Cache::new(KeyConfig::default(), None));
    let (list, get) = (op(LIST), op(GET));
    let nine = Some(json!({"id": "9"}));
    let (handle, mut changes) = cache.watch_changes();
    // Nothing followed yet: a write of the list is not told.
    cache.write_query(&list, None, &list_data()).await.unwrap();
    assert_quiet(&mut changes, "nothing followed yet").await;
    // An incomplete read is followed too: the write that completes it is told.
    let read = cache
        .read_query_segments(&get, nine.as_ref())
        .await
        .unwrap();
    assert!(read.skeleton.is_none());
    handle.follow(&read.info);
    let todo = json!({"getTodo": {"__typename": "Todo", "id": "9", "name": "n"}});
    cache.write_query(&get, nine.as_ref(), &todo).await.unwrap();
    told(&mut changes).await;
    // Following the list: a rename of one of its items is told, once.
    let read = cache.read_query_segments(&list, None).await.unwrap();
    handle.follow(&read.info);
    let (rename_two, renamed) = rename("2", "b2");
    cache
        .write_query(&rename_two, None, &renamed)
        .await
        .unwrap();
    told(&mut changes).await;
    assert_quiet(&mut changes, "one change, one notice").await;
    // Unrelated data (Todo:9 is not in the list any more), and the same data again.
    let todo = json!({"getTodo": {"__typename": "Todo", "id": "9", "name": "n2"}});
    cache.write_query(&get, nine.as_ref(), &todo).await.unwrap();
    cache
        .write_query(&rename_two, None, &renamed)
        .await
        .unwrap();
    assert_quiet(&mut changes, "unrelated or unchanged data").await;
    // The owner, read inside every item, is followed too.
    let name = appsync_core::graphql::Fragment::parse("fragment U on User { name }", None).unwrap();
    let ann = json!({"__typename": "User", "name": "Ann2"});
    cache
        .write_fragment(&name, "User:u1", None, &ann)
        .await
        .unwrap();
    told(&mut changes).await;
    // Dropped: the watch is gone, and its receiver ends.
    drop(handle);
    let (rename_one, renamed) = rename("1", "a2");
    cache
        .write_query(&rename_one, None, &renamed)
        .await
        .unwrap();
    let ended = tokio::time::timeout(Duration::from_secs(2), changes.next()).await;
    assert_eq!(ended, Ok(None), "the receiver ends with its watch");
}

#[tokio::test]
async fn a_watch_on_an_incomplete_result_follows_its_partial_result_until_complete() {
    let cache = Cache::new(KeyConfig::default(), None);
    let get = op(r#"query { getTodo(id: "1") { id name } }"#);
    let mut watch = cache.watch_query(get.clone(), None).await.unwrap();
    let first = watch.next().await.unwrap();
    assert_eq!((first.data, first.info.missing.len()), (None, 1));

    // Part of it (the name is missing): still incomplete, but the partial result changed.
    let warnings = cache
        .write_query(
            &get,
            None,
            &json!({"getTodo": {"__typename": "Todo", "id": "1"}}),
        )
        .await
        .unwrap();
    assert_eq!(warnings.len(), 1);
    let partial = watch.next().await.unwrap();
    assert_eq!(partial.data, None);
    assert_eq!(partial.info.partial["getTodo"]["id"], "1");

    let whole = json!({"getTodo": {"__typename": "Todo", "id": "1", "name": "n"}});
    cache.write_query(&get, None, &whole).await.unwrap();
    assert_eq!(tree(watch.next().await.unwrap()), whole);
    cache.write_query(&get, None, &whole).await.unwrap();
    assert_quiet(&mut watch, "no emission for the same data").await;
}

#[tokio::test]
async fn evict_gc_extract_and_restore() {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new("app"));
    let cache = Cache::new(
        KeyConfig::default(),
        Some(StoreHandle::ready(store.clone())),
    );
    cache
        .write_query(&op(LIST), None, &list_data())
        .await
        .unwrap();
    let orphan = op("query { getPost(id: \"9\") { id } }");
    cache
        .write_query(
            &orphan,
            None,
            &json!({"getPost": {"__typename": "Post", "id": "9"}}),
        )
        .await
        .unwrap();
    cache.evict("User:u1").await.unwrap();
    let read = cache.read_query(&op(LIST), None).await.unwrap();
    assert_eq!(read.data, None);
    assert!(read.missing.iter().any(|m| m.contains("User:u1")));

    cache
        .write_query(&op(LIST), None, &list_data())
        .await
        .unwrap();
    // Make Post:9 unreachable: overwrite the root field that pointed at it.
    cache
        .write_query(&orphan, None, &json!({"getPost": null}))
        .await
        .unwrap();
    let removed = cache.gc().await.unwrap();
    assert_eq!(removed, ["Post:9"]);
    assert!(
        !store
            .record_keys()
            .await
            .unwrap()
            .contains(&"cache:Post:9".to_owned()),
        "gc deletes from the store too"
    );

    let snapshot = cache.extract().await.unwrap();
    assert!(snapshot.get("Todo:1").is_some() && snapshot.get("ROOT_QUERY").is_some());
    let other = Cache::new(KeyConfig::default(), None);
    other.restore(&snapshot).await.unwrap();
    assert_eq!(
        other.read_query(&op(LIST), None).await.unwrap().data,
        Some(list_data())
    );
    assert!(matches!(
        other.restore(&json!([1])).await,
        Err(CacheError::Damaged { .. })
    ));
}

#[tokio::test]
async fn a_damaged_stored_record_is_a_typed_error() {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new("app"));
    store
        .apply(vec![Change::PutRecord {
            key: "cache:ROOT_QUERY".into(),
            value: b"{not json".to_vec(),
        }])
        .await
        .unwrap();
    let cache = Cache::new(KeyConfig::default(), Some(StoreHandle::ready(store)));
    match cache.read_query(&op(LIST), None).await {
        Err(CacheError::Damaged { key, .. }) => assert_eq!(key, "ROOT_QUERY"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn fragments_read_and_write_one_entity() {
    use appsync_core::graphql::Fragment;
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new("app"));
    let cache = Cache::new(
        KeyConfig::default(),
        Some(StoreHandle::ready(store.clone())),
    );
    cache
        .write_query(&op(LIST), None, &list_data())
        .await
        .unwrap();
    let parts = Fragment::parse("fragment Parts on Todo { id name owner { name } }", None).unwrap();

    let read = cache.read_fragment(&parts, "Todo:2", None).await.unwrap();
    assert_eq!(
        read.data,
        Some(
            json!({"__typename": "Todo", "id": "2", "name": "b", "owner": {"__typename": "User", "name": "Ann"}})
        )
    );
    assert!(cache.dependency_keys(&read).contains("User:u1"));
    let absent = cache.read_fragment(&parts, "Todo:404", None).await.unwrap();
    assert_eq!(
        (absent.data, absent.missing),
        (None, vec!["Todo:404".to_owned()])
    );

    let mut watch = cache.watch_query(op(LIST), None).await.unwrap();
    watch.next().await.unwrap();
    let rename = Fragment::parse("fragment Rename on Todo { name }", None).unwrap();
    let warnings = cache
        .write_fragment(
            &rename,
            "Todo:1",
            None,
            &json!({"__typename": "Todo", "name": "via fragment"}),
        )
        .await
        .unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(
        tree(watch.next().await.unwrap())["listTodos"]["items"][0]["name"],
        "via fragment"
    );
    let reopened = Cache::new(KeyConfig::default(), Some(StoreHandle::ready(store)));
    let persisted = reopened
        .read_fragment(&parts, "Todo:1", None)
        .await
        .unwrap();
    assert_eq!(persisted.data.unwrap()["name"], "via fragment");
}

#[tokio::test]
async fn the_json_text_paths_persist_layer_and_notify_like_the_tree_paths() {
    use appsync_core::cache::TextWriteError;
    use appsync_core::graphql::Fragment;
    let path = std::env::temp_dir().join(format!("appsync-cache-text-{}.db", std::process::id()));
    SqliteStore::reset(&path).unwrap();
    let text = serde_json::to_string(&list_data()).unwrap();
    {
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path, "app").await.unwrap());
        let cache = Cache::new(KeyConfig::default(), Some(StoreHandle::ready(store)));
        let warnings = cache
            .write_query_text(&op(LIST), None, &text)
            .await
            .unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        assert!(matches!(
            cache
                .write_query_text(&op(LIST), None, "{\"listTodos\":")
                .await,
            Err(TextWriteError::InvalidJson(_))
        ));
    }
    // Read lazily from disk after a restart, as text and as a tree alike.
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path, "app").await.unwrap());
    let cache = Cache::new(KeyConfig::default(), Some(StoreHandle::ready(store)));
    let read = cache.read_query_text(&op(LIST), None).await.unwrap();
    assert_eq!(read.data.as_deref(), Some(text.as_str()));
    assert_eq!(
        cache
            .dependency_keys(&read.info)
            .into_iter()
            .collect::<Vec<_>>(),
        ["ROOT_QUERY", "Todo:1", "Todo:2", "User:u1"]
    );

    // A watch sees text writes; text reads see optimistic layers.
    let mut watch = cache.watch_query(op(LIST), None).await.unwrap();
    watch.next().await.unwrap();
    let fragment = Fragment::parse("fragment N on Todo { name }", None).unwrap();
    cache
        .write_fragment_text(&fragment, "Todo:2", None, r#"{"name":"b2"}"#)
        .await
        .unwrap();
    let seen = watch.next().await.unwrap();
    assert_eq!(tree(seen)["listTodos"]["items"][1]["name"], "b2");
    let (update, data) = rename("1", "optimistic");
    cache.write_optimistic("layer", &update, None, &data).await;
    let read = cache
        .read_fragment_text(&fragment, "Todo:1", None)
        .await
        .unwrap();
    assert_eq!(
        read.data.as_deref(),
        Some(r#"{"__typename":"Todo","name":"optimistic"}"#)
    );
    cache.remove_layer("layer").await;
    let read = cache.read_query_text(&op(LIST), None).await.unwrap();
    let value: Value = serde_json::from_str(read.data.as_deref().unwrap()).unwrap();
    assert_eq!(value["listTodos"]["items"][0]["name"], "a");
    assert_eq!(value["listTodos"]["items"][1]["name"], "b2");

    // A miss: no text, the same missing paths as the tree read.
    cache.evict("User:u1").await.unwrap();
    let text_read = cache.read_query_text(&op(LIST), None).await.unwrap();
    let tree_read = cache.read_query(&op(LIST), None).await.unwrap();
    assert_eq!(text_read.data, None);
    assert_eq!(text_read.info.missing, tree_read.missing);
    assert_eq!(text_read.info.partial, tree_read.partial);
    drop(cache);
    SqliteStore::reset(&path).unwrap();
}

/// What the web package does with segment reads (its `segments.js`), on `Value`s: keeps each
/// sent entry's parsed text by its slot (with its id) and builds results from skeletons.
#[derive(Default)]
struct Segments {
    epoch: Option<u32>,
    slots: std::collections::HashMap<u32, (u32, Value)>,
    /// Kept lists by place: (list id, items).
    lists: std::collections::HashMap<u64, (u64, Vec<Value>)>,
    /// Fresh entries a chunked read handed over before its result (see `read_chunked`).
    pending: Vec<FreshTape>,
}

/// The values of a tape (see `FreshTape`), as the web package's `js/segments.js` builds them;
/// `made` holds the objects of the read's earlier chunks (an object named again is a copy
/// here).
fn decode_tape(tape: &FreshTape, keys: &[String], made: &mut Vec<Value>) -> Vec<Value> {
    struct At<'t> {
        ops: &'t [u32],
        op: usize,
        units: Vec<u16>,
        unit: usize,
        keys: &'t [String],
        made: &'t mut Vec<Value>,
    }
    impl At<'_> {
        fn next(&mut self) -> u32 {
            self.op += 1;
            self.ops[self.op - 1]
        }
        fn text(&mut self) -> String {
            let len = self.next() as usize;
            self.unit += len;
            String::from_utf16(&self.units[self.unit - len..self.unit]).unwrap()
        }
        fn value(&mut self) -> Value {
            match self.next() {
                0 => Value::Null,
                1 => Value::Bool(false),
                2 => Value::Bool(true),
                3 => json!(self.next() as i32),
                4 => Value::String(self.text()),
                5 | 6 => serde_json::from_str(&self.text()).unwrap(),
                7 => {
                    let number = self.made.len();
                    self.made.push(Value::Null);
                    let mut map = serde_json::Map::new();
                    loop {
                        let key = self.next();
                        if key == TAPE_END {
                            self.made[number] = Value::Object(map.clone());
                            break Value::Object(map);
                        }
                        let value = self.value();
                        map.insert(self.keys[key as usize].clone(), value);
                    }
                }
                9 => {
                    let number = self.next() as usize;
                    assert!(
                        self.made[number].is_object(),
                        "object {number} named before it ended"
                    );
                    self.made[number].clone()
                }
                10 => json!(self.keys[self.next() as usize]),
                8 => {
                    let len = self.next();
                    Value::Array((0..len).map(|_| self.value()).collect())
                }
                op => panic!("tape op {op}"),
            }
        }
    }
    let mut at = At {
        ops: &tape.ops,
        op: 0,
        units: tape.strings.encode_utf16().collect(),
        unit: 0,
        keys,
        made,
    };
    let mut values = Vec::new();
    while at.op < at.ops.len() {
        values.push(at.value());
    }
    assert_eq!(at.unit, at.units.len(), "strings left over");
    values
}

impl Segments {
    /// A segment read whose fresh texts come in chunks of `chunk_bytes` as it goes, as the web
    /// package reads.
    async fn read_chunked(
        &mut self,
        cache: &Cache,
        operation: &Operation,
        variables: Option<&Value>,
        chunk_bytes: usize,
    ) -> Option<Value> {
        let mut chunks = Vec::new();
        let mut collect = |chunk: Option<&FreshTape>| match chunk {
            None => chunks.clear(),
            Some(tape) => chunks.push(tape.clone()),
        };
        let read = cache
            .read_query_segments_with(operation, variables, chunk_bytes, &mut collect)
            .await
            .unwrap();
        self.pending = chunks;
        self.apply(read)
    }

    fn apply(&mut self, read: SegmentRead) -> Option<Value> {
        let pending = std::mem::take(&mut self.pending);
        if self.epoch != Some(read.epoch) {
            self.slots.clear();
            self.lists.clear();
            self.epoch = Some(read.epoch);
        }
        let skeleton: Value = serde_json::from_str(read.skeleton.as_deref()?).unwrap();
        if read.plain {
            assert!(read.refs.is_empty() && read.fresh_ids.is_empty());
            return Some(skeleton);
        }
        let mut fresh: Vec<Value> = Vec::new();
        let mut made = Vec::new();
        for chunk in pending.iter().chain([&read.fresh]) {
            fresh.extend(decode_tape(chunk, &read.keys, &mut made));
        }
        assert_eq!(fresh.len(), read.fresh_ids.len());
        assert_eq!(fresh.len(), read.fresh_slots.len());
        for ((slot, id), object) in read.fresh_slots.iter().zip(&read.fresh_ids).zip(fresh) {
            let old = self.slots.insert(*slot, (*id, object));
            assert!(
                old.is_none_or(|(old, _)| old < *id),
                "entry {id} sent twice"
            );
        }
        assert_eq!(read.refs.len(), read.ref_ids.len());
        Some(self.resolve(skeleton, &read))
    }

    fn resolve(&mut self, value: Value, read: &SegmentRead) -> Value {
        let entry = |i: usize| {
            let (slot, id) = (read.refs[i], read.ref_ids[i]);
            match self.slots.get(&slot) {
                Some((held, object)) if *held == id => object.clone(),
                _ => panic!("entry {id} in slot {slot} named but never sent"),
            }
        };
        match value {
            Value::Array(items) => {
                Value::Array(items.into_iter().map(|v| self.resolve(v, read)).collect())
            }
            Value::Object(map) => match (map.get("\u{0}"), map.get("\u{1}")) {
                (Some(at), Some(len)) => {
                    let at = at.as_u64().unwrap() as usize;
                    let len = len.as_u64().unwrap() as usize;
                    let kept = map
                        .get("\u{2}")
                        .map(|place| (place.as_u64().unwrap(), map["\u{3}"].as_u64().unwrap()));
                    let list = match (kept, map.get("\u{4}")) {
                        (Some((place, id)), Some(from)) => {
                            let from = from.as_u64().unwrap() as usize;
                            let patched: Vec<(usize, Value)> = (0..len)
                                .map(|j| (read.patches[from + j] as usize, entry(at + j)))
                                .collect();
                            let (held, items) = self
                                .lists
                                .get_mut(&place)
                                .unwrap_or_else(|| panic!("patch of list {id}, never kept"));
                            assert_eq!(*held, id, "patch of list {id}, kept {held}");
                            for (position, object) in patched {
                                items[position] = object;
                            }
                            items.clone()
                        }
                        (kept, None) => {
                            let items: Vec<Value> = (at..at + len).map(entry).collect();
                            if let Some((place, id)) = kept {
                                self.lists.insert(place, (id, items.clone()));
                            }
                            items
                        }
                        (None, Some(_)) => panic!("a patch without its list"),
                    };
                    Value::Array(list)
                }
                (Some(at), None) => entry(at.as_u64().unwrap() as usize),
                _ => Value::Object(
                    map.into_iter()
                        .map(|(k, v)| (k, self.resolve(v, read)))
                        .collect(),
                ),
            },
            other => other,
        }
    }
}

/// A text read, a segment read (applied by `segments`) and a tree read of the same moment
/// agree, for every query of `reads`.
async fn text_segments_tree(
    cache: &Cache,
    reads: &[(Arc<Operation>, Option<Value>)],
    segments: &mut Segments,
) {
    for (i, (operation, variables)) in reads.iter().enumerate() {
        // Every other read hands its fresh texts over in chunks (of one text each, or more).
        let assembled = match i % 3 {
            0 => {
                let read = cache
                    .read_query_segments(operation, variables.as_ref())
                    .await
                    .unwrap();
                segments.apply(read)
            }
            n => {
                segments
                    .read_chunked(cache, operation, variables.as_ref(), 40 * (n - 1) + 1)
                    .await
            }
        };
        let text = cache
            .read_query_text(operation, variables.as_ref())
            .await
            .unwrap();
        let tree = cache
            .read_query(operation, variables.as_ref())
            .await
            .unwrap();
        assert_eq!(
            text.data,
            tree.data
                .as_ref()
                .map(|d| serde_json::to_string(d).unwrap())
        );
        assert_eq!(text.info.missing, tree.missing);
        assert_eq!(assembled, tree.data, "segment read of {}", operation.text());
    }
}

/// Text reads reuse serialized objects across reads: after every kind of change, a text read
/// and a segment read must equal the tree read of the same moment.
#[tokio::test]
async fn memoized_text_reads_follow_every_change() {
    use appsync_core::graphql::Fragment;
    let cache = Cache::new(KeyConfig::default(), None);
    // One consumer of segment reads throughout, as a web client has.
    let mut segments = Segments::default();
    let list = op("query List { listTodos { items { id name owner { id name } } } }");
    let get = op("query Get($id: ID!) { getTodo(id: $id) { id name owner { id name } } }");
    let reads = [
        (list.clone(), None),
        (
            op("query Names { listTodos { items { name owner { name } } } }"),
            None,
        ),
        (get.clone(), Some(json!({"id": "1"}))),
        (get.clone(), Some(json!({"id": "2"}))),
    ];
    let fragment = Fragment::parse("fragment N on Todo { name }", None).unwrap();
    let user = Fragment::parse("fragment U on User { name }", None).unwrap();
    text_segments_tree(&cache, &reads, &mut segments).await;
    let text = serde_json::to_string(&list_data()).unwrap();
    cache.write_query_text(&list, None, &text).await.unwrap();
    text_segments_tree(&cache, &reads, &mut segments).await;
    text_segments_tree(&cache, &reads, &mut segments).await;
    let item = list_data()["listTodos"]["items"][0].clone();
    cache
        .write_query(&get, Some(&json!({"id": "1"})), &json!({ "getTodo": item }))
        .await
        .unwrap();
    text_segments_tree(&cache, &reads, &mut segments).await;
    cache
        .write_fragment_text(
            &fragment,
            "Todo:2",
            None,
            r#"{"__typename":"Todo","name":"b2"}"#,
        )
        .await
        .unwrap();
    text_segments_tree(&cache, &reads, &mut segments).await;
    let ann = json!({"__typename": "User", "name": "Ann2"});
    cache
        .write_fragment(&user, "User:u1", None, &ann)
        .await
        .unwrap();
    text_segments_tree(&cache, &reads, &mut segments).await;
    let (update, data) = rename("1", "optimistic");
    cache.write_optimistic("layer", &update, None, &data).await;
    text_segments_tree(&cache, &reads, &mut segments).await;
    cache.remove_layer("layer").await;
    text_segments_tree(&cache, &reads, &mut segments).await;
    let snapshot = cache.extract().await.unwrap();
    cache.evict("User:u1").await.unwrap();
    text_segments_tree(&cache, &reads, &mut segments).await;
    cache.restore(&snapshot).await.unwrap();
    text_segments_tree(&cache, &reads, &mut segments).await;
    cache.evict("Todo:1").await.unwrap();
    cache.gc().await.unwrap();
    text_segments_tree(&cache, &reads, &mut segments).await;
}

/// A memoized object's text depends on every record it reaches: with three, four and 21 of
/// them (each dependency list kept its own way), a change to any one of them is read back.
#[tokio::test]
async fn memoized_objects_follow_each_record_they_reach() {
    use appsync_core::graphql::Fragment;
    let cache = Cache::new(KeyConfig::default(), None);
    let mut segments = Segments::default();
    let user = |id: &str| json!({"__typename": "User", "id": id, "name": format!("name of {id}")});
    let watchers: Vec<Value> = (0..20).map(|i| user(&format!("w{i}"))).collect();
    let todo = json!({"getTodo": {
        "__typename": "Todo", "id": "1", "name": "a",
        "owner": user("u1"), "reviewer": user("u2"), "assignee": user("u3"),
        "watchers": watchers,
    }});
    let all = op("query All { getTodo(id: \"1\") { id name owner { id name } reviewer { id name } assignee { id name } watchers { id name } } }");
    cache
        .write_query_text(&all, None, &todo.to_string())
        .await
        .unwrap();
    let reads = [
        // The Todo and two users: three records.
        (
            op("query Two { getTodo(id: \"1\") { id owner { name } reviewer { name } } }"),
            None,
        ),
        // The Todo and three users: four.
        (
            op("query Three { getTodo(id: \"1\") { id owner { name } reviewer { name } assignee { name } } }"),
            None,
        ),
        // The Todo and 20 watchers: 21.
        (
            op("query Watchers { getTodo(id: \"1\") { id watchers { name } } }"),
            None,
        ),
        (all.clone(), None),
    ];
    text_segments_tree(&cache, &reads, &mut segments).await;
    text_segments_tree(&cache, &reads, &mut segments).await;
    // Three users, the last and first of the watchers, another user, and the object's own
    // record.
    for key in [
        "User:u2", "User:u3", "User:w19", "User:w0", "User:u1", "Todo:1",
    ] {
        let typename = key.split(':').next().unwrap();
        let name = Fragment::parse(&format!("fragment N on {typename} {{ name }}"), None).unwrap();
        let renamed = json!({"__typename": typename, "name": format!("renamed {key}")});
        cache
            .write_fragment(&name, key, None, &renamed)
            .await
            .unwrap();
        text_segments_tree(&cache, &reads, &mut segments).await;
        let text = cache.read_query_text(&all, None).await.unwrap();
        assert!(
            text.data.unwrap().contains(&format!("renamed {key}")),
            "{key} renamed"
        );
    }
}

/// A segment read sends each entry's text once: the first read sends every item (as one list
/// marker), a read after a one-item change sends that item only and drops its old entry, a
/// clear starts over; incomplete reads send nothing, and an object scalar that looks like a
/// marker makes the read plain.
#[tokio::test]
async fn segment_reads_send_each_object_once() {
    let cache = Cache::new(KeyConfig::default(), None);
    let list = op(LIST);
    let mut consumer = Segments::default();
    // Nothing cached yet: incomplete, nothing sent.
    let empty = cache.read_query_segments(&list, None).await.unwrap();
    assert_eq!(empty.skeleton, None);
    assert!(empty.fresh_ids.is_empty() && empty.refs.is_empty());
    cache.write_query(&list, None, &list_data()).await.unwrap();
    let first = cache.read_query_segments(&list, None).await.unwrap();
    // The list is one marker, kept by the consumer under place 0.
    let skeleton = first.skeleton.clone().unwrap();
    assert!(
        skeleton.starts_with(
            r#"{"listTodos":{"__typename":"ModelTodoConnection","items":{"\u0000":0,"\u0001":2,"\u0002":0,"\u0003":"#
        ),
        "{skeleton}"
    );
    assert_eq!(first.ref_ids, first.fresh_ids);
    assert_eq!(first.refs, first.fresh_slots);
    assert_eq!(first.fresh_ids.len(), 2);
    let epoch = first.epoch;
    let (slots, ids) = (first.refs.clone(), first.ref_ids.clone());
    assert_eq!(consumer.apply(first), Some(list_data()));
    // The same again: nothing to send, and the kept list with nothing patched.
    let again = cache.read_query_segments(&list, None).await.unwrap();
    assert!(again.fresh_ids.is_empty() && again.refs.is_empty() && again.patches.is_empty());
    assert!(again.skeleton.as_deref().unwrap().contains(r#""\u0004":0"#));
    assert_eq!(consumer.apply(again), Some(list_data()));
    // The same data written again (a refetch) changes no record: still nothing to send.
    cache.write_query(&list, None, &list_data()).await.unwrap();
    let refetched = cache.read_query_segments(&list, None).await.unwrap();
    assert!(refetched.fresh_ids.is_empty() && refetched.refs.is_empty());
    assert_eq!(consumer.apply(refetched), Some(list_data()));
    // One item renamed: that item only, a new entry in its old slot.
    let (update, data) = rename("2", "b2");
    cache.write_query(&update, None, &data).await.unwrap();
    let renamed = cache.read_query_segments(&list, None).await.unwrap();
    assert_eq!(renamed.fresh_ids.len(), 1);
    assert_eq!(renamed.fresh_slots, [slots[1]]);
    assert!(renamed.fresh_ids[0] > ids[1]);
    assert_eq!((renamed.refs.clone(), renamed.ref_ids[0]), (slots, ids[0]));
    assert!(renamed.fresh.strings.contains("b2"));
    let mut expected = list_data();
    expected["listTodos"]["items"][1]["name"] = json!("b2");
    assert_eq!(consumer.apply(renamed), Some(expected.clone()));
    // A clear (gc) forgets everything: a new epoch, everything sent again.
    cache.gc().await.unwrap();
    let after = cache.read_query_segments(&list, None).await.unwrap();
    assert_ne!(after.epoch, epoch);
    assert_eq!(after.fresh_ids.len(), 2);
    assert_eq!(consumer.apply(after), Some(expected));
    // An object scalar (no selection set) with a marker's key, outside the memoized objects.
    let scalar = op("query { settings }");
    let odd = json!({"settings": {"\u{0}": 0, "nested": [{"\u{1}": 1}]}});
    cache.write_query(&scalar, None, &odd).await.unwrap();
    let plain = cache.read_query_segments(&scalar, None).await.unwrap();
    assert!(plain.plain);
    assert_eq!(consumer.apply(plain), Some(odd));
    // A read with a part missing names nothing and sends nothing; the entries it made are
    // sent by the next complete read.
    let both =
        op("query { listTodos { items { id name owner { id name } } } getTodo(id: \"9\") { id } }");
    let partial = cache.read_query_segments(&both, None).await.unwrap();
    assert_eq!(partial.skeleton, None);
    assert!(partial.fresh_ids.is_empty());
    let nine = json!({"getTodo": {"__typename": "Todo", "id": "9"}});
    cache
        .write_query(&op("query { getTodo(id: \"9\") { id } }"), None, &nine)
        .await
        .unwrap();
    let complete = cache.read_query_segments(&both, None).await.unwrap();
    assert_eq!(complete.fresh_ids.len(), 3, "two items and Todo:9");
    let read = consumer.apply(complete).unwrap();
    assert_eq!(read["getTodo"], nine["getTodo"]);
    assert_eq!(read["listTodos"]["items"][1]["name"], "b2");
}

/// A segment read keeps no text of the objects it sent (the consumer has them) nor of the
/// objects inside them; a text read fills the texts in without new ids, so the next segment
/// read still sends nothing.
#[tokio::test]
async fn segment_reads_keep_no_text_of_what_they_send() {
    let list = op(LIST);
    let texts = Cache::new(KeyConfig::default(), None);
    texts.write_query(&list, None, &list_data()).await.unwrap();
    let read = texts.read_query_text(&list, None).await.unwrap();
    let with_texts = texts.memo_text_bytes();
    let items: usize = list_data()["listTodos"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| serde_json::to_string(item).unwrap().len())
        .sum();
    assert!(with_texts > items, "{with_texts} {items}");

    let cache = Cache::new(KeyConfig::default(), None);
    cache.write_query(&list, None, &list_data()).await.unwrap();
    let mut consumer = Segments::default();
    let first = cache.read_query_segments(&list, None).await.unwrap();
    assert_eq!(consumer.apply(first), Some(list_data()));
    // No text at all: the items went as a tape, and the owner inside them was read from its
    // record (no entry of its own).
    assert_eq!(cache.memo_text_bytes(), 0);
    // A text read fills them in, and reads the same as on a cache of text reads only.
    assert_eq!(
        cache.read_query_text(&list, None).await.unwrap().data,
        read.data
    );
    assert_eq!(cache.memo_text_bytes(), with_texts);
    // Same objects, same ids: nothing to send again.
    let again = cache.read_query_segments(&list, None).await.unwrap();
    assert!(again.fresh_ids.is_empty() && again.refs.is_empty() && again.patches.is_empty());
    assert_eq!(consumer.apply(again), Some(list_data()));
    // The same for an object outside a list: named again by the id it was sent under.
    let (get, one) = (op(GET), Some(json!({"id": "1"})));
    let expected = json!({"getTodo": {"__typename": "Todo", "id": "1", "name": "a"}});
    cache
        .write_query(&get, one.as_ref(), &expected)
        .await
        .unwrap();
    let sent = cache.read_query_segments(&get, one.as_ref()).await.unwrap();
    let ids = sent.fresh_ids.clone();
    assert_eq!(ids.len(), 1);
    assert_eq!(consumer.apply(sent), Some(expected.clone()));
    let text = cache.read_query_text(&get, one.as_ref()).await.unwrap();
    assert_eq!(text.data, Some(serde_json::to_string(&expected).unwrap()));
    let named = cache.read_query_segments(&get, one.as_ref()).await.unwrap();
    assert!(named.fresh_ids.is_empty());
    assert_eq!(named.ref_ids, ids);
    assert_eq!(consumer.apply(named), Some(expected));
}

/// Todo `id` (named `n<id>`) with owner User `owner`.
fn owned_todo(id: &str, owner: &str) -> Value {
    json!({"__typename": "Todo", "id": id, "name": format!("n{id}"),
           "owner": {"__typename": "User", "id": owner, "name": owner}})
}

/// The list a segment read remembers is checked item by item: reordered, longer, shorter,
/// holding a null or a record it did not have, the list read is still the tree read's.
#[tokio::test]
async fn segment_reads_follow_lists_that_change_shape() {
    let cache = Cache::new(KeyConfig::default(), None);
    let list = op(LIST);
    let reads = [(list.clone(), None)];
    let mut segments = Segments::default();
    let shapes = [
        vec![
            owned_todo("1", "u"),
            owned_todo("2", "u"),
            owned_todo("3", "v"),
        ],
        vec![
            owned_todo("3", "v"),
            owned_todo("1", "u"),
            owned_todo("2", "u"),
        ],
        vec![
            owned_todo("3", "v"),
            owned_todo("1", "u"),
            owned_todo("2", "u"),
            owned_todo("4", "w"),
        ],
        vec![owned_todo("3", "v"), owned_todo("1", "u")],
        vec![owned_todo("3", "v"), Value::Null, owned_todo("1", "u")],
        vec![
            owned_todo("3", "v"),
            owned_todo("5", "u"),
            owned_todo("1", "u"),
        ],
        vec![
            owned_todo("3", "v"),
            owned_todo("5", "x"),
            owned_todo("1", "u"),
        ],
        vec![],
        vec![owned_todo("1", "u")],
    ];
    for items in shapes {
        let data = json!({"listTodos": {"__typename": "ModelTodoConnection", "items": items}});
        cache.write_query(&list, None, &data).await.unwrap();
        // Twice: the second read goes through the list the first remembered.
        text_segments_tree(&cache, &reads, &mut segments).await;
        text_segments_tree(&cache, &reads, &mut segments).await;
    }
}

/// A long list's segment reads check only the items a change reaches (found through the
/// records each item read): an item renamed, an item given a new owner and then that owner
/// renamed, an owner of ten items renamed, the list reordered; each read is the tree read's.
#[tokio::test]
async fn segment_reads_of_a_long_list_check_what_changed() {
    let cache = Cache::new(KeyConfig::default(), None);
    let list = op(LIST);
    let reads = [(list.clone(), None)];
    let mut segments = Segments::default();
    let todo = |i: usize, owner: &str| owned_todo(&i.to_string(), owner);
    let items: Vec<Value> = (0..80).map(|i| todo(i, &format!("u{}", i % 8))).collect();
    let data = json!({"listTodos": {"__typename": "ModelTodoConnection", "items": items}});
    cache.write_query(&list, None, &data).await.unwrap();
    text_segments_tree(&cache, &reads, &mut segments).await;
    text_segments_tree(&cache, &reads, &mut segments).await;
    let get = op("query Get($id: ID!) { getTodo(id: $id) { id name owner { id name } } }");
    let user = op("query { getUser(id: \"x\") { id name } }");
    let steps: Vec<(Arc<Operation>, Option<Value>, Value)> = vec![
        (rename("5", "renamed").0, None, rename("5", "renamed").1),
        (
            get.clone(),
            Some(json!({"id": "7"})),
            json!({"getTodo": todo(7, "z")}),
        ),
        (
            user.clone(),
            None,
            json!({"getUser": {"__typename": "User", "id": "z", "name": "Zed"}}),
        ),
        (
            user,
            None,
            json!({"getUser": {"__typename": "User", "id": "u3", "name": "Three"}}),
        ),
    ];
    for (operation, variables, data) in steps {
        cache
            .write_query(&operation, variables.as_ref(), &data)
            .await
            .unwrap();
        text_segments_tree(&cache, &reads, &mut segments).await;
    }
    let mut reordered = data.clone();
    reordered["listTodos"]["items"]
        .as_array_mut()
        .unwrap()
        .swap(0, 79);
    let root_only = op("query { listTodos { items { id } } }");
    cache
        .write_query(&root_only, None, &reordered)
        .await
        .unwrap();
    text_segments_tree(&cache, &reads, &mut segments).await;
    let read = cache.read_query(&list, None).await.unwrap().data.unwrap();
    assert_eq!(read["listTodos"]["items"][0]["id"], "79");
    assert_eq!(read["listTodos"]["items"][7]["owner"]["name"], "Zed");
}

/// A segment read's tape carries every kind of value an entry can hold as it is: strings
/// beyond ASCII (a surrogate pair too), integers in and beyond 32 bits, fractions, booleans,
/// nulls, lists of scalars, object scalars, aliases and nested objects; whole, and handed
/// over an entry at a time.
#[tokio::test]
async fn a_segment_read_carries_every_kind_of_value() {
    let cache = Cache::new(KeyConfig::default(), None);
    let list = op(
        "query Kinds { listTodos { items { id name label: name priority big ratio \
                   done note tags meta owner { id name } } } }",
    );
    let item = |id: &str, name: &str, priority: i64| {
        json!({"__typename": "Todo", "id": id, "name": name, "label": name, "priority": priority,
               "big": 3_000_000_000_i64, "ratio": 1.5, "done": true, "note": null,
               "tags": ["a", "ü", null, 7], "meta": {"k": [1, "x\"y"], "nested": {"\u{0}": 0}},
               "owner": {"__typename": "User", "id": "u-ø", "name": "Zoë 😀"}})
    };
    let data = json!({"listTodos": {"__typename": "ModelTodoConnection", "items": [
        item("1", "naïve ☕ 😀 \\ \" \n", -5),
        item("2", "", i64::from(i32::MIN)),
        item("3", "plain", i64::from(i32::MAX) + 1),
    ]}});
    cache.write_query(&list, None, &data).await.unwrap();
    let read = cache.read_query_segments(&list, None).await.unwrap();
    assert!(!read.plain);
    assert_eq!(read.fresh_ids.len(), 3);
    assert!(read.fresh.ops.contains(&TAPE_END));
    // The owner of the three items is written once, and named again twice; "Todo" is a name.
    assert_eq!(read.fresh.strings.matches("Zoë").count(), 1);
    assert!(!read.fresh.strings.contains("Todo"));
    assert_eq!(Segments::default().apply(read), Some(data.clone()));
    // The same, an entry per chunk, on a fresh cache.
    let cache = Cache::new(KeyConfig::default(), None);
    cache.write_query(&list, None, &data).await.unwrap();
    let mut consumer = Segments::default();
    assert_eq!(
        consumer.read_chunked(&cache, &list, None, 1).await,
        Some(data)
    );
}

/// `Cache::write_query_tape` (the web package's `writeQuery`) writes what the same data's
/// text writes, from a tape in chunks; a tape that holds no JSON is `InvalidJson` and writes
/// nothing.
#[tokio::test]
async fn a_write_tape_writes_what_its_text_would_and_a_bad_one_writes_nothing() {
    use appsync_core::cache::{TapeChunk, TextWriteError, WriteTape, TAPE_OBJECT_END as END};
    let get = Operation::parse("query { todo { id name owner { id name } } }", None).unwrap();
    let text = r#"{"todo":{"__typename":"Todo","id":"1","name":"naïve","owner":{"__typename":"User","id":"u","name":"U"}}}"#;
    let by_text = Cache::new(KeyConfig::default(), None);
    by_text.write_query_text(&get, None, text).await.unwrap();

    let keys: Vec<String> = ["todo", "__typename", "id", "name", "owner"]
        .map(String::from)
        .to_vec();
    // The tape's op groups (an op, its argument, its string), packed into chunks of at most
    // four ops, as the walker cuts them: a group never spans two chunks.
    #[rustfmt::skip]
    let groups: [(&[u32], &str); 20] = [
        (&[7], ""), (&[0], ""), (&[7], ""), (&[1], ""), (&[4, 4], "Todo"), (&[2], ""),
        (&[4, 1], "1"), (&[3], ""), (&[4, 5], "naïve"), (&[4], ""), (&[7], ""), (&[1], ""),
        (&[4, 4], "User"), (&[2], ""), (&[4, 1], "u"), (&[3], ""), (&[4, 1], "U"),
        (&[END], ""), (&[END], ""), (&[END], ""),
    ];
    let mut chunks: Vec<TapeChunk> = Vec::new();
    for (ops, text) in groups {
        if chunks.last().is_none_or(|c| c.ops.len() + ops.len() > 4) {
            chunks.push(TapeChunk::default());
        }
        let chunk = chunks.last_mut().unwrap();
        chunk.ops.extend_from_slice(ops);
        chunk.strings.push_str(text);
    }
    for chunk in &mut chunks {
        chunk.ascii = chunk.strings.is_ascii();
    }
    assert!(chunks.len() > 5 && chunks.iter().any(|c| !c.ascii));
    let by_tape = Cache::new(KeyConfig::default(), None);
    let mut source = |i: usize| chunks.get(i).cloned();
    let mut tape = WriteTape {
        keys: &keys,
        size: text.len(),
        chunks: &mut source,
    };
    let warnings = by_tape
        .write_query_tape(&get, None, &mut tape)
        .await
        .unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(
        by_tape.extract().await.unwrap(),
        by_text.extract().await.unwrap()
    );

    // Cut short: an error, and the cache holds what it held.
    let cut = [TapeChunk {
        ops: vec![7, 0, 7, 2, 4, 1],
        strings: "2".into(),
        ascii: true,
    }];
    let mut source = |i: usize| cut.get(i).cloned();
    let mut tape = WriteTape {
        keys: &keys,
        size: 0,
        chunks: &mut source,
    };
    let outcome = by_tape.write_query_tape(&get, None, &mut tape).await;
    assert!(
        matches!(outcome, Err(TextWriteError::InvalidJson(_))),
        "{outcome:?}"
    );
    assert_eq!(
        by_tape.extract().await.unwrap(),
        by_text.extract().await.unwrap()
    );
}
