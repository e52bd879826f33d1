//! The one suite every [`Store`] backend must pass: natively for memory and SQLite
//! (`cargo test`), in the browser for IndexedDB. Each check returns `Err(description)` instead of
//! panicking, so any test harness (tokio, wasm-bindgen-test) can run it.

use super::{Change, Store, StoreError};

type Check = Result<(), String>;

fn ensure(condition: bool, what: &str) -> Check {
    if condition {
        Ok(())
    } else {
        Err(what.to_owned())
    }
}

fn io<T>(result: Result<T, StoreError>, what: &str) -> Result<T, String> {
    result.map_err(|e| format!("{what}: {e}"))
}

fn put(key: &str, value: &str) -> Change {
    Change::PutRecord {
        key: key.into(),
        value: value.as_bytes().to_vec(),
    }
}

fn push(id: &str) -> Change {
    Change::OutboxPush {
        id: id.into(),
        payload: id.as_bytes().to_vec(),
    }
}

async fn ids(store: &dyn Store) -> Result<Vec<String>, String> {
    Ok(io(store.outbox().await, "outbox")?
        .into_iter()
        .map(|e| e.id)
        .collect())
}

/// Records: put, get many, overwrite, delete, list keys.
pub async fn records_round_trip(store: &dyn Store) -> Check {
    io(
        store
            .apply(vec![
                put("Todo:1", "a"),
                put("Todo:2", "b"),
                put("ROOT_QUERY", "r"),
            ])
            .await,
        "apply",
    )?;
    let values = io(
        store
            .get_records(vec!["Todo:2".into(), "missing".into(), "Todo:1".into()])
            .await,
        "get",
    )?;
    ensure(
        values == vec![Some(b"b".to_vec()), None, Some(b"a".to_vec())],
        "get_records returns values in key order",
    )?;
    io(
        store
            .apply(vec![
                put("Todo:1", "a2"),
                Change::DeleteRecord {
                    key: "Todo:2".into(),
                },
            ])
            .await,
        "apply",
    )?;
    let values = io(
        store
            .get_records(vec!["Todo:1".into(), "Todo:2".into()])
            .await,
        "get",
    )?;
    ensure(
        values == vec![Some(b"a2".to_vec()), None],
        "overwrite and delete apply",
    )?;
    let keys = io(store.record_keys().await, "keys")?;
    ensure(
        keys == vec!["ROOT_QUERY".to_owned(), "Todo:1".to_owned()],
        "record_keys lists the live keys",
    )
}

/// The outbox keeps push order, updates in place and removes from anywhere.
pub async fn outbox_keeps_order(store: &dyn Store) -> Check {
    io(store.apply(vec![push("m1"), push("m2")]).await, "push")?;
    io(store.apply(vec![push("m3")]).await, "push")?;
    io(
        store
            .apply(vec![Change::OutboxUpdate {
                id: "m1".into(),
                payload: b"edited".to_vec(),
            }])
            .await,
        "update",
    )?;
    let entries = io(store.outbox().await, "outbox")?;
    ensure(
        entries.iter().map(|e| e.id.as_str()).collect::<Vec<_>>() == ["m1", "m2", "m3"],
        "enqueue order is kept",
    )?;
    ensure(
        entries[0].payload == b"edited",
        "update replaces the payload in place",
    )?;
    ensure(
        entries.windows(2).all(|w| w[0].seq < w[1].seq),
        "sequence numbers increase",
    )?;
    io(
        store
            .apply(vec![Change::OutboxRemove { id: "m2".into() }])
            .await,
        "remove",
    )?;
    ensure(
        ids(store).await? == ["m1", "m3"],
        "remove takes one entry out",
    )?;
    io(store.apply(vec![push("m2")]).await, "re-push")?;
    ensure(
        ids(store).await? == ["m1", "m3", "m2"],
        "a re-pushed id goes to the end",
    )
}

/// A batch that cannot apply changes nothing at all.
pub async fn failed_apply_changes_nothing(store: &dyn Store) -> Check {
    io(
        store.apply(vec![put("k", "before"), push("q1")]).await,
        "setup",
    )?;
    let duplicate = store
        .apply(vec![
            put("k", "after"),
            Change::PutMeta {
                key: "m".into(),
                value: b"x".to_vec(),
            },
            push("q2"),
            push("q1"),
        ])
        .await;
    ensure(
        matches!(duplicate, Err(StoreError::Conflict(_))),
        "a duplicate outbox id is a Conflict",
    )?;
    let missing = store
        .apply(vec![
            put("k", "after"),
            Change::OutboxRemove { id: "nope".into() },
        ])
        .await;
    ensure(
        matches!(missing, Err(StoreError::Conflict(_))),
        "removing a missing id is a Conflict",
    )?;
    let missing = store
        .apply(vec![Change::OutboxUpdate {
            id: "nope".into(),
            payload: vec![],
        }])
        .await;
    ensure(
        matches!(missing, Err(StoreError::Conflict(_))),
        "updating a missing id is a Conflict",
    )?;
    let value = io(store.get_records(vec!["k".into()]).await, "get")?;
    ensure(
        value == vec![Some(b"before".to_vec())],
        "the record write of the failed batch was rolled back",
    )?;
    ensure(
        io(store.get_meta("m".into()).await, "meta")?.is_none(),
        "the meta write was rolled back",
    )?;
    ensure(
        ids(store).await? == ["q1"],
        "the outbox push was rolled back",
    )?;
    // Within one batch a removed id may be pushed again, and a pushed one removed.
    io(
        store
            .apply(vec![
                Change::OutboxRemove { id: "q1".into() },
                push("q1"),
                push("t"),
                Change::OutboxRemove { id: "t".into() },
            ])
            .await,
        "batch",
    )?;
    ensure(
        ids(store).await? == ["q1"],
        "remove-then-push and push-then-remove within a batch",
    )
}

/// Two namespaces never see each other's data; clearing one leaves the other.
pub async fn namespaces_are_isolated(a: &dyn Store, b: &dyn Store) -> Check {
    io(
        a.apply(vec![
            put("Todo:1", "from a"),
            push("shared-id"),
            Change::PutMeta {
                key: "lastSync".into(),
                value: b"1".to_vec(),
            },
        ])
        .await,
        "a",
    )?;
    io(
        b.apply(vec![put("Todo:1", "from b"), push("shared-id")])
            .await,
        "b (same outbox id is fine in another namespace)",
    )?;
    let in_b = io(b.get_records(vec!["Todo:1".into()]).await, "get")?;
    ensure(
        in_b == vec![Some(b"from b".to_vec())],
        "b sees its own record",
    )?;
    ensure(
        io(b.get_meta("lastSync".into()).await, "meta")?.is_none(),
        "b does not see a's meta",
    )?;
    io(a.clear().await, "clear a")?;
    ensure(
        io(a.record_keys().await, "keys")?.is_empty() && ids(a).await?.is_empty(),
        "clear empties a",
    )?;
    ensure(
        io(a.get_meta("lastSync".into()).await, "meta")?.is_none(),
        "clear removes a's meta",
    )?;
    ensure(
        io(b.get_records(vec!["Todo:1".into()]).await, "get")? == vec![Some(b"from b".to_vec())],
        "clear leaves b",
    )?;
    ensure(ids(b).await? == ["shared-id"], "clear leaves b's outbox")
}

/// What one handle wrote, another handle on the same storage reads (after a restart).
pub async fn reopening_keeps_everything(first: &dyn Store, reopened: &dyn Store) -> Check {
    io(
        first
            .apply(vec![
                put("Todo:9", "kept"),
                push("p1"),
                push("p2"),
                Change::PutMeta {
                    key: "k".into(),
                    value: b"v".to_vec(),
                },
            ])
            .await,
        "write",
    )?;
    ensure(
        io(reopened.get_records(vec!["Todo:9".into()]).await, "get")?
            == vec![Some(b"kept".to_vec())],
        "records survive",
    )?;
    ensure(
        ids(reopened).await? == ["p1", "p2"],
        "the outbox survives in order",
    )?;
    ensure(
        io(reopened.get_meta("k".into()).await, "meta")? == Some(b"v".to_vec()),
        "meta survives",
    )
}

/// Reads during a large write see the state before or after the whole batch, never half of it.
pub async fn readers_see_whole_batches(store: &dyn Store) -> Check {
    let n = 2_000;
    let batch: Vec<Change> = (0..n).map(|i| put(&format!("r:{i}"), "v")).collect();
    let write = store.apply(batch);
    let read = async {
        let mut seen = Vec::new();
        for _ in 0..20 {
            let keys = io(store.record_keys().await, "keys")?;
            seen.push(keys.iter().filter(|k| k.starts_with("r:")).count());
        }
        Ok::<_, String>(seen)
    };
    let (written, seen) = futures::join!(write, read);
    io(written, "large apply")?;
    let seen = seen?;
    ensure(
        seen.iter().all(|c| *c == 0 || *c == n),
        &format!("a reader saw part of a batch: {seen:?}"),
    )?;
    ensure(
        io(store.record_keys().await, "keys")?.len() >= n,
        "the batch landed",
    )
}

/// `ExpectMeta` is a compare-and-set: a batch whose expectation holds applies; one whose
/// expectation fails (a different value, a value where none was expected, none where one was)
/// is a `Conflict` and writes nothing, records and outbox included. Two handles on the same
/// namespace (two tabs or processes) racing for one key: exactly one wins.
pub async fn expect_meta_is_compare_and_set(store: &dyn Store, other: &dyn Store) -> Check {
    let expect = |value: Option<&str>| Change::ExpectMeta {
        key: "lease".into(),
        value: value.map(|v| v.as_bytes().to_vec()),
    };
    let set = |value: &str| Change::PutMeta {
        key: "lease".into(),
        value: value.as_bytes().to_vec(),
    };
    io(store.apply(vec![expect(None), set("a")]).await, "first set")?;
    let stale = store
        .apply(vec![expect(None), set("b"), put("k", "b"), push("b")])
        .await;
    ensure(
        matches!(stale, Err(StoreError::Conflict(_))),
        "expecting absent where a value is: Conflict",
    )?;
    let wrong = store.apply(vec![expect(Some("x")), set("b")]).await;
    ensure(
        matches!(wrong, Err(StoreError::Conflict(_))),
        "expecting another value: Conflict",
    )?;
    ensure(
        io(store.get_meta("lease".into()).await, "meta")? == Some(b"a".to_vec()),
        "failed compare-and-sets changed nothing",
    )?;
    ensure(
        io(store.get_records(vec!["k".into()]).await, "get")? == vec![None],
        "the record of a failed batch was not written",
    )?;
    ensure(ids(store).await?.is_empty(), "nor its outbox push")?;
    io(
        store.apply(vec![expect(Some("a")), set("b")]).await,
        "matching set",
    )?;
    // Both handles saw "b"; both try to move it on at once.
    let (one, two) = futures::join!(
        store.apply(vec![expect(Some("b")), set("one")]),
        other.apply(vec![expect(Some("b")), set("two")]),
    );
    ensure(
        one.is_ok() != two.is_ok(),
        "of two racing compare-and-sets exactly one wins",
    )?;
    let loser = if one.is_ok() { &two } else { &one };
    ensure(
        matches!(loser, Err(StoreError::Conflict(_))),
        "the loser gets a Conflict",
    )?;
    let winner = if one.is_ok() { "one" } else { "two" };
    ensure(
        io(other.get_meta("lease".into()).await, "meta")? == Some(winner.as_bytes().to_vec()),
        "the winner's value is stored",
    )?;
    io(
        store
            .apply(vec![
                expect(Some(winner)),
                Change::DeleteMeta {
                    key: "lease".into(),
                },
            ])
            .await,
        "release",
    )?;
    ensure(
        io(store.get_meta("lease".into()).await, "meta")?.is_none(),
        "a released key is absent",
    )
}
