//! The child process of the outbox crash test (tests/tests/outbox_crash.rs), killed with SIGKILL
//! at random points by its parent.
//!
//! `outbox-crash-child <amplify_outputs.json> <database> enqueue <item id> <first step> <steps>`
//! enqueues, on a draining outbox, the creation of the item (at step 0) and then one update per
//! step, each carrying the `_version` the previous one leaves (a strict chain: a step applied
//! twice or out of order cannot pass the server's optimistic concurrency check). It prints
//! `enqueued <step>` once each enqueue is durable.
//!
//! `outbox-crash-child <amplify_outputs.json> <database> drain` drains what is queued and prints
//! `drained` when the outbox is empty.

use appsync_core::outbox::{NewMutation, Outbox, OutboxOptions, Outcome};
use appsync_core::storage::{SqliteStore, Store, StoreHandle};
use appsync_core::{AppSyncClient, AuthProviders, ClientConfig, ClientOptions, GraphQLRequest};
use serde_json::json;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

const CREATE: &str =
    "mutation C($input: CreateTodoInput!) { createTodo(input: $input) { id name _version } }";
const UPDATE: &str =
    "mutation U($input: UpdateTodoInput!) { updateTodo(input: $input) { id name _version } }";

fn fail(message: String) -> ! {
    eprintln!("outbox-crash-child: {message}");
    std::process::exit(2)
}

fn mutation(item: &str, step: u64) -> NewMutation {
    let name = format!("step {step}");
    let request = if step == 0 {
        GraphQLRequest::new(CREATE).variables(json!({"input": {"id": item, "name": name}}))
    } else {
        GraphQLRequest::new(UPDATE)
            .variables(json!({"input": {"id": item, "name": name, "_version": step}}))
    };
    NewMutation::new(request).id(format!("{item}-{step}"))
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        fail("usage: <amplify_outputs.json> <database> enqueue|drain ...".into());
    }
    let text = std::fs::read_to_string(&args[1]).unwrap_or_else(|e| fail(e.to_string()));
    let config = ClientConfig::from_json_str(&text, "amplify_outputs.json")
        .unwrap_or_else(|e| fail(e.to_string()));
    let path = args[2].clone();
    let options = ClientOptions {
        cache_store: Some(StoreHandle::opening(async move {
            let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path, "crash").await?);
            Ok(store)
        })),
        ..ClientOptions::default()
    };
    let client = AppSyncClient::with_options(config, AuthProviders::new(), options);
    let outbox = Outbox::new(
        client,
        OutboxOptions {
            backoff_base: Duration::from_millis(5),
            backoff_cap: Duration::from_millis(50),
            // A killed run's lease lapses quickly, so the next run does not wait long for it.
            lease_ttl: Duration::from_millis(200),
            ..OutboxOptions::default()
        },
    );
    let mut out = std::io::stdout();
    match args[3].as_str() {
        "enqueue" if args.len() == 7 => {
            let item = &args[4];
            let first: u64 = args[5]
                .parse()
                .unwrap_or_else(|_| fail("first step".into()));
            let steps: u64 = args[6].parse().unwrap_or_else(|_| fail("steps".into()));
            for step in first..first + steps {
                if let Err(e) = outbox.enqueue(mutation(item, step)).await {
                    fail(format!("enqueue {step}: {e}"));
                }
                let _ = writeln!(out, "enqueued {step}");
                let _ = out.flush();
            }
            // Keep draining until killed (or done).
            drain(&outbox).await;
        }
        "drain" => {
            drain(&outbox).await;
            let _ = writeln!(out, "drained");
            let _ = out.flush();
        }
        other => fail(format!("unknown mode {other}")),
    }
}

async fn drain(outbox: &Outbox) {
    loop {
        let entries = outbox
            .entries()
            .await
            .unwrap_or_else(|e| fail(e.to_string()));
        if let Some(parked) = entries.iter().find(|e| e.parked.is_some()) {
            fail(format!("a mutation was parked: {parked:?}"));
        }
        match entries.first() {
            None => return,
            Some(head) => match outbox.outcome(&head.id).await {
                Ok(Outcome::Succeeded { .. }) | Err(_) => {}
                Ok(other) => fail(format!("{}: {other:?}", head.id)),
            },
        }
    }
}
