use super::*;

fn entry(document: &str, variables: Value) -> QueuedMutation {
    QueuedMutation {
        id: "m1".into(),
        document: document.into(),
        operation_name: None,
        variables,
        auth_mode: None,
        optimistic: None,
        enqueued_at_ms: 0,
        attempts: 0,
        conflict_retries: 0,
        origin: None,
        parked: None,
    }
}

const UPDATE: &str =
    "mutation U($input: UpdateTodoInput!) { updateTodo(input: $input) { id name _version } }";
const CREATE: &str =
    "mutation C($input: CreateTodoInput!) { createTodo(input: $input) { id name } }";

#[test]
fn own_writes_are_recognised_by_fields_and_version() {
    let update = entry(
        UPDATE,
        json!({"input": {"id": "1", "name": "b", "_version": 3}}),
    );
    assert!(is_own_write(
        &update,
        &json!({"id": "1", "name": "b", "_version": 4})
    ));
    assert!(
        !is_own_write(&update, &json!({"id": "1", "name": "b", "_version": 5})),
        "someone else wrote after us"
    );
    assert!(!is_own_write(
        &update,
        &json!({"id": "1", "name": "c", "_version": 4})
    ));
    let create = entry(CREATE, json!({"input": {"id": "n1", "name": "new"}}));
    assert!(is_own_write(
        &create,
        &json!({"id": "n1", "name": "new", "_version": 1})
    ));
    assert!(!is_own_write(
        &create,
        &json!({"id": "n1", "name": "other"})
    ));
    let no_id = entry(CREATE, json!({"input": {"name": "new"}}));
    assert!(
        !is_own_write(&no_id, &json!({"id": "x", "name": "new"})),
        "no client id: cannot tell"
    );
}

#[test]
fn a_get_query_is_derived_from_the_mutation() {
    let update = entry(
        UPDATE,
        json!({"input": {"id": "1", "name": "b", "_version": 3}}),
    );
    let (document, id) = get_query_for(&update).unwrap();
    assert_eq!(id, json!("1"));
    let operation = Operation::parse(&document, None).unwrap();
    assert_eq!(operation.root_fields(), ["getTodo"]);
    assert!(document.contains("_version"), "{document}");
    assert!(get_query_for(&entry("mutation { doSomething { id } }", Value::Null)).is_none());
}

#[test]
fn temporary_ids_are_found_and_replaced() {
    assert_eq!(
        temporary_id(
            &json!({"createTodo": {"id": "tmp-1"}}),
            &json!({"createTodo": {"id": "real"}})
        ),
        Some(("tmp-1".to_owned(), "real".to_owned()))
    );
    assert_eq!(
        temporary_id(
            &json!({"createTodo": {"id": "same"}}),
            &json!({"createTodo": {"id": "same"}})
        ),
        None
    );
    let mut variables = json!({"input": {"todoId": "tmp-1", "tags": ["tmp-1", "x"], "n": 1}});
    assert!(replace_string(&mut variables, "tmp-1", "real"));
    assert_eq!(
        variables,
        json!({"input": {"todoId": "real", "tags": ["real", "x"], "n": 1}})
    );
    assert!(!replace_string(&mut variables, "absent", "x"));
}

#[test]
fn stored_entries_round_trip_and_carry_no_secrets() {
    let mut queued = entry(UPDATE, json!({"input": {"id": "1"}}));
    queued.auth_mode = Some("AWS_IAM".into());
    let bytes = queued.to_bytes();
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert!(text.contains("\"authMode\":\"AWS_IAM\""), "{text}");
    assert_eq!(
        serde_json::from_slice::<QueuedMutation>(&bytes).unwrap(),
        queued
    );
    let request = queued.request();
    assert_eq!(request.auth_mode, Some(crate::auth::AuthMode::Iam));
    assert_eq!(request.fetch_policy, FetchPolicy::NoCache);
    assert!(request
        .headers
        .iter()
        .any(|(k, v)| k == "x-amz-client-mutation-id" && v == "m1"));
}

#[test]
fn backoff_grows_stays_capped_and_honours_retry_after() {
    let options = OutboxOptions {
        backoff_base: Duration::from_millis(100),
        backoff_cap: Duration::from_millis(1_000),
        ..OutboxOptions::default()
    };
    for _ in 0..200 {
        assert!(backoff(&options, 1, None) <= Duration::from_millis(100));
        assert!(backoff(&options, 3, None) <= Duration::from_millis(400));
        assert!(backoff(&options, 40, None) <= Duration::from_millis(1_000));
        assert!(backoff(&options, 1, Some(Duration::from_secs(2))) >= Duration::from_secs(2));
    }
}

#[test]
fn tuning_applies_what_is_given_and_rejects_settings_that_cannot_work() {
    let tuned = OutboxOptions::tuned(
        OutboxTuning {
            retry_base_ms: Some(20),
            retry_cap_ms: Some(400),
            max_conflict_retries: Some(3),
            lease_ttl_ms: Some(1500),
        },
        "options",
    )
    .unwrap();
    assert_eq!(tuned.backoff_base, Duration::from_millis(20));
    assert_eq!(tuned.backoff_cap, Duration::from_millis(400));
    assert_eq!(tuned.max_conflict_retries, 3);
    assert_eq!(tuned.lease_ttl, Duration::from_millis(1500));
    let defaults = OutboxOptions::tuned(OutboxTuning::default(), "options").unwrap();
    assert_eq!(defaults.backoff_base, OutboxOptions::default().backoff_base);

    let zero = OutboxOptions::tuned(
        OutboxTuning {
            retry_base_ms: Some(0),
            ..OutboxTuning::default()
        },
        "options",
    )
    .unwrap_err();
    assert_eq!(
        (zero.key.as_str(), zero.found.as_str()),
        ("retryBaseMs", "0")
    );
    let cap = OutboxOptions::tuned(
        OutboxTuning {
            retry_cap_ms: Some(100),
            ..OutboxTuning::default()
        },
        "options",
    )
    .unwrap_err();
    assert_eq!(cap.key, "retryCapMs", "below the default base of 500 ms");
    let lease = OutboxOptions::tuned(
        OutboxTuning {
            lease_ttl_ms: Some(10),
            ..OutboxTuning::default()
        },
        "options",
    )
    .unwrap_err();
    assert_eq!(lease.key, "leaseTtlMs");
    assert_eq!(lease.source_name, "options");
    let base_over_default_cap = OutboxOptions::tuned(
        OutboxTuning {
            retry_base_ms: Some(120_000),
            ..OutboxTuning::default()
        },
        "options",
    )
    .unwrap_err();
    assert_eq!(
        base_over_default_cap.key, "retryBaseMs",
        "named after the setting that was given"
    );
    let forever = OutboxOptions::tuned(
        OutboxTuning {
            lease_ttl_ms: Some(u64::MAX),
            ..OutboxTuning::default()
        },
        "options",
    )
    .unwrap_err();
    assert_eq!(forever.key, "leaseTtlMs", "longer than any timer takes");
}
