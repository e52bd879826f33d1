//! The durable offline mutation queue.
//!
//! [`Outbox::enqueue`] appends a mutation (document, variables, auth mode, client mutation id,
//! optimistic response) to the store's outbox in one transaction and shows its optimistic
//! response at once as a cache layer named after the mutation's id. The layer is not stored
//! separately: it is rebuilt from the entry when the app starts again, so the entry and its
//! optimistic data can never disagree.
//!
//! One task drains the queue: one mutation in flight at a time, in enqueue order, whenever the
//! network is up. On the server's answer, ONE store transaction removes the entry and writes the
//! result to the cache; then the layer is dropped. Every mutation ends in an [`Outcome`] the app
//! receives ([`Outbox::events`], [`PendingMutation::outcome`]), also for mutations queued in an
//! earlier run.
//!
//! - Network errors, timeouts, 5xx, 429 (honouring `Retry-After`) and garbage answers are
//!   retried with exponential backoff and full jitter, capped, for as long as it takes.
//! - A mutation the server rejects for good (a GraphQL error, unauthorized after the client's
//!   one refresh, a conflict nobody resolves) is *parked*: kept with a typed [`ParkReason`], its
//!   optimistic layer rolled back, listed by [`Outbox::entries`], and retried, edited or
//!   discarded by the app. Nothing is dropped silently.
//! - Conflicts arrive as `ConflictUnhandled` (with the server's item, fetched when `data` is
//!   null) or as the legacy `DynamoDB:ConditionalCheckFailedException`. A [`ConflictResolver`]
//!   returns new variables to retry with, or discard; after `max_conflict_retries` (10) retries
//!   the mutation is parked. Without a resolver the default is to park (reason `Conflict`, with the
//!   server's item), on every platform.
//!
//! ## Exactly once
//! The entry is removed only after the answer is recorded, so a crash in between sends the
//! mutation again on restart. Its effect is not applied twice:
//! - creates carry client-generated ids; a duplicate create (the item exists) whose stored item
//!   matches the input is recognised as this mutation's own earlier success;
//! - updates and deletes carry `_version`; a conflict whose server item is at the expected
//!   version + 1 and matches the input is likewise recognised as done;
//! - the remaining case, a mutation with neither (no id in a create, no `_version`), is a custom
//!   mutation the server cannot deduplicate; the client mutation id is sent in the
//!   `x-amz-client-mutation-id` header so a resolver can (documented for apps that need it).

mod model;

pub use model::{OutboxEvent, Outcome, ParkReason, Parked, QueuedMutation};

use crate::cache::{Cache, CacheError};
use crate::client::AppSyncClient;
use crate::error::AppSyncError;
use crate::graphql::ast::{
    Definition, Document, Field, OperationDefinition, Selection, SelectionSet, Type,
    Value as QValue, VariableDefinition,
};
use crate::graphql::{Operation, OperationKind};
use crate::request::{FetchPolicy, GraphQLRequest};
use crate::response::{GraphQLError, GraphQLResponse};
use crate::runtime::{self, BoxFuture, SendSyncOutsideWasm};
use crate::storage::{Change, MemoryStore, OutboxEntry, Store, StoreError, StoreHandle};
use futures::channel::{mpsc, oneshot};
use futures::future::{select, Either};
use futures::StreamExt;
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// What the app decides about a conflict.
#[derive(Debug, Clone, PartialEq)]
pub enum ConflictDecision {
    /// Send the mutation again with these variables (e.g. the server's `_version` merged in).
    Retry(Value),
    /// Give the mutation up: it is removed, its optimistic layer rolled back, the server's item
    /// written to the cache.
    Discard,
    /// Leave it to the app: parked with reason `Conflict` and the server's item.
    Park,
}

/// A conflict, as the resolver sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Conflict {
    pub mutation: QueuedMutation,
    /// The server's current item (fetched when the error did not carry it); `None` when it
    /// could not be had.
    pub server_data: Option<Value>,
    /// How many times this mutation was already retried after a conflict.
    pub retries: u32,
    /// `ConflictUnhandled` or `DynamoDB:ConditionalCheckFailedException`.
    pub error_type: String,
}

/// Resolves conflicts (implemented by the app, in any language the bindings serve).
pub trait ConflictResolver: SendSyncOutsideWasm {
    fn resolve(&self, conflict: Conflict) -> BoxFuture<'static, ConflictDecision>;
}

/// The cache as an update function sees it, during its pass only. On the optimistic pass,
/// reads see everything (optimistic layers too) and writes go to the mutation's optimistic
/// layer; on the server's pass, reads see the cache without optimistic layers (so other pending
/// mutations' optimistic data is not written into it) and writes go to the cache itself. A
/// write after the pass ended (or, on the optimistic pass, after the mutation finished) is a
/// [`CacheError::Closed`]: it could otherwise leave a layer nothing removes.
#[derive(Debug, Clone)]
pub struct UpdateCache {
    cache: Arc<Cache>,
    layer: Option<String>,
    live: Arc<std::sync::atomic::AtomicBool>,
}

impl UpdateCache {
    /// The cache itself, for an update function that runs on a server answer outside the
    /// outbox (a mutation sent directly, with offline support off). Stays usable.
    pub fn server_pass(cache: Arc<Cache>) -> Self {
        UpdateCache {
            cache,
            layer: None,
            live: Arc::new(std::sync::atomic::AtomicBool::new(true)),
        }
    }

    pub async fn read_query(
        &self,
        operation: &Operation,
        variables: Option<&Value>,
    ) -> Result<crate::cache::ReadResult, CacheError> {
        match self.layer {
            Some(_) => self.cache.read_query(operation, variables).await,
            None => self.cache.read_query_base(operation, variables).await,
        }
    }

    /// Reads entity `key` (e.g. `Todo:1`) through `fragment` (layers as in `read_query`).
    pub async fn read_fragment(
        &self,
        fragment: &crate::graphql::Fragment,
        key: &str,
        variables: Option<&Value>,
    ) -> Result<crate::cache::ReadResult, CacheError> {
        match self.layer {
            Some(_) => self.cache.read_fragment(fragment, key, variables).await,
            None => {
                self.cache
                    .read_fragment_base(fragment, key, variables)
                    .await
            }
        }
    }

    /// Writes `data` as the query's result: into the mutation's optimistic layer on the
    /// optimistic pass (rolled back with it), into the cache on the server's pass.
    pub async fn write_query(
        &self,
        operation: &Operation,
        variables: Option<&Value>,
        data: &Value,
    ) -> Result<Vec<String>, CacheError> {
        if !self.live.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(CacheError::Closed(
                "this update function's cache was used after its pass ended".into(),
            ));
        }
        match &self.layer {
            Some(layer) => Ok(self
                .cache
                .write_optimistic(layer, operation, variables, data)
                .await),
            None => self.cache.write_query(operation, variables, data).await,
        }
    }

    /// True on the optimistic pass.
    pub fn is_optimistic(&self) -> bool {
        self.layer.is_some()
    }
}

/// Like Apollo's `update(cache, result)`: runs on the optimistic response and again on the
/// server's answer, so it must be idempotent (write what the list should hold, don't append
/// blindly). It lives in memory only: a mutation queued in an earlier run of the app is
/// replayed without it (its server result is still normalized into the cache).
#[cfg(not(target_family = "wasm"))]
pub type UpdateFn = Arc<dyn Fn(UpdateCache, Value) -> BoxFuture<'static, ()> + Send + Sync>;
#[cfg(target_family = "wasm")]
pub type UpdateFn = Arc<dyn Fn(UpdateCache, Value) -> BoxFuture<'static, ()>>;

/// A mutation to enqueue.
#[derive(Clone)]
pub struct NewMutation {
    pub request: GraphQLRequest,
    /// What the server is expected to answer (the mutation's `data`), shown at once.
    pub optimistic_response: Option<Value>,
    /// The client mutation id; generated when absent. Unique within the outbox.
    pub id: Option<String>,
    /// Runs on the optimistic response and on the server's (see [`UpdateFn`]).
    pub update: Option<UpdateFn>,
}

impl std::fmt::Debug for NewMutation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewMutation")
            .field("request", &self.request)
            .field("optimistic_response", &self.optimistic_response)
            .field("id", &self.id)
            .field("update", &self.update.is_some())
            .finish()
    }
}

impl NewMutation {
    pub fn new(request: GraphQLRequest) -> Self {
        NewMutation {
            request,
            optimistic_response: None,
            id: None,
            update: None,
        }
    }

    pub fn update(mut self, update: UpdateFn) -> Self {
        self.update = Some(update);
        self
    }

    pub fn optimistic(mut self, response: Value) -> Self {
        self.optimistic_response = Some(response);
        self
    }

    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }
}

/// Timings and limits of the outbox.
#[derive(Clone)]
pub struct OutboxOptions {
    /// The first retry's upper bound; doubles per attempt (full jitter).
    pub backoff_base: Duration,
    /// The longest wait between attempts.
    pub backoff_cap: Duration,
    /// Conflict retries before a mutation is parked.
    pub max_conflict_retries: u32,
    pub resolver: Option<Arc<dyn ConflictResolver>>,
    /// How long the drain lease lasts without renewal. One outbox instance (process, tab) of a
    /// store namespace drains at a time; it renews the lease while it sends, releases it when
    /// the queue is empty or the outbox is dropped, and a crashed holder's lease lapses after
    /// this long.
    pub lease_ttl: Duration,
}

impl Default for OutboxOptions {
    fn default() -> Self {
        OutboxOptions {
            backoff_base: Duration::from_millis(500),
            backoff_cap: Duration::from_secs(60),
            max_conflict_retries: 10,
            resolver: None,
            lease_ttl: Duration::from_secs(5),
        }
    }
}

/// The outbox settings an app can give in milliseconds (the bindings' client options); `None`
/// keeps the default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboxTuning {
    pub retry_base_ms: Option<u64>,
    pub retry_cap_ms: Option<u64>,
    pub max_conflict_retries: Option<u32>,
    pub lease_ttl_ms: Option<u64>,
}

impl OutboxOptions {
    /// The defaults with `tuning` applied, checked: a retry base of at least 1 ms, a cap no
    /// smaller than the base, a lease of at least 100 ms (a shorter one would lapse between
    /// renewals), and no duration above 2,147,483,647 ms (the longest timer every platform
    /// takes). `source_name` names the options in the error.
    pub fn tuned(
        tuning: OutboxTuning,
        source_name: &str,
    ) -> Result<OutboxOptions, crate::config::ConfigError> {
        let mut options = OutboxOptions::default();
        let bad = |key: &str, expected: &str, found: u64| {
            crate::config::ConfigError::new(source_name, key, expected, found.to_string())
        };
        // Timers on every platform take at most this many milliseconds (about 24.8 days).
        const LONGEST_MS: u64 = i32::MAX as u64;
        let in_range = |key: &str, ms: Option<u64>, least: u64| match ms {
            Some(ms) if ms < least || ms > LONGEST_MS => Err(bad(
                key,
                &format!("{least} to {LONGEST_MS} (milliseconds)"),
                ms,
            )),
            other => Ok(other.map(Duration::from_millis)),
        };
        if let Some(base) = in_range("retryBaseMs", tuning.retry_base_ms, 1)? {
            options.backoff_base = base;
        }
        if let Some(cap) = in_range("retryCapMs", tuning.retry_cap_ms, 1)? {
            options.backoff_cap = cap;
        }
        if options.backoff_cap < options.backoff_base {
            let (base, cap) = (
                options.backoff_base.as_millis() as u64,
                options.backoff_cap.as_millis() as u64,
            );
            // Named after the setting the app gave (the other one being the default).
            return Err(match tuning.retry_cap_ms {
                Some(_) => bad(
                    "retryCapMs",
                    &format!("at least the retry base, {base} ms"),
                    cap,
                ),
                None => bad(
                    "retryBaseMs",
                    &format!("at most the retry cap, {cap} ms"),
                    base,
                ),
            });
        }
        if let Some(n) = tuning.max_conflict_retries {
            options.max_conflict_retries = n;
        }
        if let Some(lease) = in_range("leaseTtlMs", tuning.lease_ttl_ms, 100)? {
            options.lease_ttl = lease;
        }
        Ok(options)
    }
}

impl std::fmt::Debug for OutboxOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboxOptions")
            .field("backoff_base", &self.backoff_base)
            .field("backoff_cap", &self.backoff_cap)
            .field("max_conflict_retries", &self.max_conflict_retries)
            .field("resolver", &self.resolver.is_some())
            .field("lease_ttl", &self.lease_ttl)
            .finish()
    }
}

/// A mutation in the outbox: its id, and its outcome when it has one.
#[derive(Debug)]
pub struct PendingMutation {
    pub id: String,
    outcome: oneshot::Receiver<Outcome>,
}

impl PendingMutation {
    /// Waits for the mutation's outcome (it may take as long as the device is offline).
    pub async fn outcome(self) -> Outcome {
        self.outcome.await.unwrap_or(Outcome::Discarded)
    }
}

struct State {
    /// The queue in order (parked entries included), once loaded from the store.
    entries: Vec<QueuedMutation>,
    loaded: bool,
    waiters: HashMap<String, Vec<oneshot::Sender<Outcome>>>,
    /// Update functions of mutations queued in this run, by id.
    updates: HashMap<String, UpdateFn>,
    /// Optimistic passes of update functions still running, by mutation id (ended by `finish`).
    passes: HashMap<String, Arc<std::sync::atomic::AtomicBool>>,
    /// Recent outcomes, for `outcome()` asked after the fact (bounded).
    finished: std::collections::VecDeque<(String, Outcome)>,
    listeners: Vec<mpsc::UnboundedSender<OutboxEvent>>,
    /// What the app says (Android, iOS and browsers report connectivity changes).
    app_online: bool,
    /// What the last request said.
    learned_online: bool,
    /// The store's outbox revision this instance's entries reflect (see `apply_bumped`).
    seen_rev: u64,
    /// The revision the store held when this instance last read or wrote it.
    known_rev: u64,
}

/// The drain lease as this instance last wrote it (shared with the drain task, which releases
/// it when the outbox is dropped).
#[derive(Default)]
struct Lease {
    /// The stored value (`instance:until_ms`) while held.
    value: Option<Vec<u8>>,
    until_ms: i64,
}

const LEASE_KEY: &str = "outbox/lease";
const REV_KEY: &str = "outbox/rev";
const HANDOFF_KEY: &str = "outbox/handoff";
/// Answers left for the instances that queued them (bounded: the oldest go first).
const HANDOFF_KEEP: usize = 32;

/// What `hold_lease` found.
enum LeaseState {
    /// Held by this instance; `fresh` when it was just taken (the queue may have changed).
    Held { fresh: bool },
    /// Held by another instance: look again after this long.
    Busy(Duration),
}

struct Inner {
    client: AppSyncClient,
    cache: Arc<Cache>,
    /// The cache's store when it persists (so an entry's removal and the cache write are one
    /// transaction); a memory store otherwise.
    store: StoreHandle,
    options: OutboxOptions,
    state: Mutex<State>,
    wake: mpsc::UnboundedSender<()>,
    /// This instance's id (leases, and the origin of what it queues).
    instance: String,
    lease: Arc<Mutex<Lease>>,
}

/// The durable offline mutation queue of one client (see the module docs).
#[derive(Clone)]
pub struct Outbox {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Outbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbox")
            .field("options", &self.inner.options)
            .finish_non_exhaustive()
    }
}

fn store_error(e: StoreError) -> AppSyncError {
    AppSyncError::Cache(CacheError::Store(e))
}

const CONFLICT_TYPES: [&str; 2] = [
    "ConflictUnhandled",
    "DynamoDB:ConditionalCheckFailedException",
];

impl Outbox {
    /// The outbox of `client`, persisted in the client cache's store (memory when the cache has
    /// none). Starts draining at once: entries of an earlier run are loaded, their optimistic
    /// layers shown again, and sent when the network allows.
    pub fn new(client: AppSyncClient, options: OutboxOptions) -> Outbox {
        let cache = client.cache().clone();
        let store = cache.store_handle().cloned().unwrap_or_else(|| {
            let memory: Arc<dyn Store> = Arc::new(MemoryStore::new("outbox"));
            StoreHandle::ready(memory)
        });
        let (wake, woken) = mpsc::unbounded();
        let outbox = Outbox {
            inner: Arc::new(Inner {
                client,
                cache,
                store,
                options,
                state: Mutex::new(State {
                    entries: Vec::new(),
                    loaded: false,
                    waiters: HashMap::new(),
                    updates: HashMap::new(),
                    passes: HashMap::new(),
                    finished: std::collections::VecDeque::new(),
                    listeners: Vec::new(),
                    app_online: true,
                    learned_online: true,
                    seen_rev: 0,
                    known_rev: 0,
                }),
                wake,
                instance: crate::realtime::random::uuid_v4(),
                lease: Arc::default(),
            }),
        };
        // The drain task holds the outbox weakly: dropping the last `Outbox` ends it (and
        // releases the lease).
        let release = (outbox.inner.store.clone(), outbox.inner.lease.clone());
        runtime::spawn(drain(Arc::downgrade(&outbox.inner), woken, release));
        outbox
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.inner.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn wake(&self) {
        let _ = self.inner.wake.unbounded_send(());
    }

    fn emit(&self, event: OutboxEvent) {
        let mut state = self.state();
        state
            .listeners
            .retain(|l| l.unbounded_send(event.clone()).is_ok());
    }

    /// Every event from now on: enqueued, sending, retry scheduled, network changes, and each
    /// mutation's outcome (also for mutations queued in an earlier run).
    pub fn events(&self) -> mpsc::UnboundedReceiver<OutboxEvent> {
        let (sender, receiver) = mpsc::unbounded();
        self.state().listeners.push(sender);
        receiver
    }

    /// Tells the outbox whether the device is online (connectivity callbacks of the platform).
    /// Offline, nothing is sent; back online, the queue drains at once.
    pub fn set_online(&self, online: bool) {
        let changed = {
            let mut state = self.state();
            let changed = state.app_online != online;
            state.app_online = online;
            if online {
                state.learned_online = true;
            }
            changed
        };
        if changed {
            self.emit(OutboxEvent::Network { online });
        }
        self.wake();
    }

    /// Whether the outbox currently believes the device is online.
    pub fn is_online(&self) -> bool {
        let state = self.state();
        state.app_online && state.learned_online
    }

    async fn ensure_loaded(&self) -> Result<(), AppSyncError> {
        if self.state().loaded {
            return Ok(());
        }
        let store = self.inner.store.get().await.map_err(store_error)?;
        let (rev, entries) = read_queue(&*store).await.map_err(store_error)?;
        let layers: Vec<QueuedMutation> = {
            let mut state = self.state();
            if state.loaded {
                return Ok(());
            }
            state.entries = entries;
            state.seen_rev = rev;
            state.known_rev = rev;
            state.loaded = true;
            state
                .entries
                .iter()
                .filter(|e| e.parked.is_none())
                .cloned()
                .collect()
        };
        for entry in layers {
            self.show_optimistic(&entry).await;
        }
        Ok(())
    }

    async fn show_optimistic(&self, entry: &QueuedMutation) {
        let Some(optimistic) = &entry.optimistic else {
            return;
        };
        let Ok(operation) = Operation::parse(&entry.document, entry.operation_name.as_deref())
        else {
            return;
        };
        self.inner
            .cache
            .write_optimistic(&entry.id, &operation, entry.variables(), optimistic)
            .await;
        self.run_update(&entry.id, optimistic.clone(), true).await;
    }

    async fn run_update(&self, id: &str, data: Value, optimistic: bool) {
        let live = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let update = {
            let mut state = self.state();
            let update = state.updates.get(id).cloned();
            if update.is_some() && optimistic {
                // `finish` ends the optimistic pass early if the mutation ends first.
                state.passes.insert(id.to_owned(), live.clone());
            }
            update
        };
        if let Some(update) = update {
            let cache = UpdateCache {
                cache: self.inner.cache.clone(),
                layer: optimistic.then(|| id.to_owned()),
                live: live.clone(),
            };
            update(cache, data).await;
            live.store(false, std::sync::atomic::Ordering::SeqCst);
            if optimistic {
                self.state().passes.remove(id);
            }
        }
    }

    /// Appends a mutation durably (committed before this returns) and shows its optimistic
    /// response. The document is checked first: a bad one is an error here, not a parked entry.
    pub async fn enqueue(&self, mutation: NewMutation) -> Result<PendingMutation, AppSyncError> {
        let NewMutation {
            request,
            optimistic_response,
            id,
            update,
        } = mutation;
        let operation = Operation::parse(&request.document, request.operation_name.as_deref())?;
        if operation.kind() != OperationKind::Mutation {
            return Err(AppSyncError::InvalidDocument(
                crate::graphql::DocumentError::new(format!(
                    "the outbox takes mutations; this document is a {}",
                    operation.kind()
                )),
            ));
        }
        operation.check_variables(request.variables.as_ref())?;
        self.ensure_loaded().await?;
        let id = id.unwrap_or_else(|| self.new_id());
        let entry = QueuedMutation {
            id: id.clone(),
            document: request.document.clone(),
            operation_name: request.operation_name.clone(),
            variables: request.variables.clone().unwrap_or(Value::Null),
            auth_mode: request.auth_mode.map(|m| m.appsync_name().to_owned()),
            optimistic: optimistic_response,
            enqueued_at_ms: runtime::now_ms(),
            attempts: 0,
            conflict_retries: 0,
            parked: None,
            origin: Some(self.inner.instance.clone()),
        };
        self.apply_bumped(vec![Change::OutboxPush {
            id: id.clone(),
            payload: entry.to_bytes(),
        }])
        .await?;
        let (sender, receiver) = oneshot::channel();
        {
            let mut state = self.state();
            // A sync may have read it from the store already.
            if !state.entries.iter().any(|e| e.id == id) {
                state.entries.push(entry.clone());
            }
            state.waiters.entry(id.clone()).or_default().push(sender);
            if let Some(update) = update {
                state.updates.insert(id.clone(), update);
            }
        }
        self.show_optimistic(&entry).await;
        if self.state().finished.iter().any(|(done, _)| *done == id) {
            // Sent and answered (by another instance) before its layer was shown: the layer
            // written just now has nothing left to remove it.
            self.inner.cache.remove_layer(&id).await;
        }
        self.emit(OutboxEvent::Enqueued { id: id.clone() });
        self.wake();
        Ok(PendingMutation {
            id,
            outcome: receiver,
        })
    }

    fn new_id(&self) -> String {
        crate::realtime::random::uuid_v4()
    }

    /// Every queued mutation in order, pending and parked.
    pub async fn entries(&self) -> Result<Vec<QueuedMutation>, AppSyncError> {
        self.ensure_loaded().await?;
        if !self.holds_lease() {
            // Another instance may be draining: its progress shows in the store, not in the
            // revision, until it releases the lease.
            let store = self.inner.store.get().await.map_err(store_error)?;
            let lease = store
                .get_meta(LEASE_KEY.into())
                .await
                .map_err(store_error)?;
            let draining = lease.is_some_and(|value| {
                lease_holder(&value, &self.inner.instance, runtime::now_ms()).is_some()
            });
            self.sync(&*store, draining).await.map_err(store_error)?;
        }
        Ok(self.state().entries.clone())
    }

    /// Waits for the outcome of a queued mutation (one of an earlier run included). A parked
    /// mutation's outcome is its parking; one that ended recently is remembered.
    pub async fn outcome(&self, id: &str) -> Result<Outcome, AppSyncError> {
        self.ensure_loaded().await?;
        let receiver = {
            let mut state = self.state();
            match state.entries.iter().find(|e| e.id == id) {
                Some(entry) => {
                    if let Some(parked) = &entry.parked {
                        let known = state.finished.iter().rev().find(|(done, _)| done == id);
                        return Ok(known
                            .map(|(_, outcome)| outcome.clone())
                            .unwrap_or_else(|| parked_outcome(parked)));
                    }
                }
                None => {
                    return state
                        .finished
                        .iter()
                        .rev()
                        .find(|(done, _)| done == id)
                        .map(|(_, outcome)| outcome.clone())
                        .ok_or_else(|| unknown_id(id));
                }
            }
            let (sender, receiver) = oneshot::channel();
            state.waiters.entry(id.to_owned()).or_default().push(sender);
            receiver
        };
        Ok(receiver.await.unwrap_or(Outcome::Discarded))
    }

    /// Sends a parked mutation again (its optimistic response shown again).
    pub async fn retry(&self, id: &str) -> Result<(), AppSyncError> {
        let entry = self
            .update_entry(id, |entry| {
                entry.parked = None;
                entry.attempts = 0;
                entry.conflict_retries = 0;
            })
            .await?;
        self.show_optimistic(&entry).await;
        self.wake();
        Ok(())
    }

    /// Replaces a queued mutation's variables (and optimistic response, when given).
    pub async fn edit(
        &self,
        id: &str,
        variables: Value,
        optimistic_response: Option<Value>,
    ) -> Result<(), AppSyncError> {
        let entry = self
            .update_entry(id, |entry| {
                entry.variables = variables;
                if optimistic_response.is_some() {
                    entry.optimistic = optimistic_response;
                }
            })
            .await?;
        if entry.parked.is_none() {
            self.inner.cache.remove_layer(id).await;
            self.show_optimistic(&entry).await;
        }
        self.wake();
        Ok(())
    }

    /// Removes a queued mutation (pending or parked) for good; its optimistic layer is rolled
    /// back and its outcome is `Discarded`.
    pub async fn discard(&self, id: &str) -> Result<(), AppSyncError> {
        self.ensure_loaded().await?;
        if !self.state().entries.iter().any(|e| e.id == id) {
            return Err(unknown_id(id));
        }
        self.apply_bumped(vec![Change::OutboxRemove { id: id.to_owned() }])
            .await?;
        self.finish(id, Outcome::Discarded).await;
        Ok(())
    }

    async fn update_entry(
        &self,
        id: &str,
        change: impl FnOnce(&mut QueuedMutation),
    ) -> Result<QueuedMutation, AppSyncError> {
        self.ensure_loaded().await?;
        let mut entry = self
            .state()
            .entries
            .iter()
            .find(|e| e.id == id)
            .cloned()
            .ok_or_else(|| unknown_id(id))?;
        change(&mut entry);
        self.persist(&entry, true).await?;
        Ok(entry)
    }

    /// Writes `entry` to the store and to memory; `bump` for the app's changes (retry, edit),
    /// which the draining instance must see.
    async fn persist(&self, entry: &QueuedMutation, bump: bool) -> Result<(), AppSyncError> {
        let change = Change::OutboxUpdate {
            id: entry.id.clone(),
            payload: entry.to_bytes(),
        };
        if bump {
            self.apply_bumped(vec![change]).await?;
        } else {
            let store = self.inner.store.get().await.map_err(store_error)?;
            store.apply(vec![change]).await.map_err(store_error)?;
        }
        let mut state = self.state();
        if let Some(slot) = state.entries.iter_mut().find(|e| e.id == entry.id) {
            *slot = entry.clone();
        }
        Ok(())
    }

    /// Ends a mutation: memory, layer, waiters, listeners. (The store was updated by the caller.)
    async fn finish(&self, id: &str, outcome: Outcome) {
        let waiters = {
            let mut state = self.state();
            let queued = state.entries.iter().any(|e| e.id == id);
            if !queued && state.finished.iter().any(|(done, _)| done == id) {
                // Already finished (a sync saw it leave the store first).
                return;
            }
            state.entries.retain(|e| e.id != id);
            state.updates.remove(id);
            if let Some(pass) = state.passes.remove(id) {
                pass.store(false, std::sync::atomic::Ordering::SeqCst);
            }
            remember(&mut state, id, &outcome);
            state.waiters.remove(id).unwrap_or_default()
        };
        self.inner.cache.remove_layer(id).await;
        for waiter in waiters {
            let _ = waiter.send(outcome.clone());
        }
        self.emit(OutboxEvent::Done {
            id: id.to_owned(),
            outcome,
        });
    }

    async fn park(&self, mut entry: QueuedMutation, reason: ParkReason, error: AppSyncError) {
        let (error_type, server_data) = match &error {
            AppSyncError::GraphQl { errors, .. } => (
                errors.first().and_then(|e| e.error_type.clone()),
                errors.first().and_then(|e| e.data.clone()),
            ),
            AppSyncError::Http { error_type, .. } => (error_type.clone(), None),
            _ => (None, None),
        };
        entry.parked = Some(Parked {
            reason,
            message: error.to_string(),
            error_type,
            server_data,
            at_ms: runtime::now_ms(),
        });
        if let Err(e) = self.persist(&entry, false).await {
            crate::log::warn!(error = %e, "recording a parked mutation failed; it stays pending");
            return;
        }
        let outcome = Outcome::Parked { reason, error };
        let waiters = {
            let mut state = self.state();
            remember(&mut state, &entry.id, &outcome);
            state.waiters.remove(&entry.id).unwrap_or_default()
        };
        self.inner.cache.remove_layer(&entry.id).await;
        for waiter in waiters {
            let _ = waiter.send(outcome.clone());
        }
        self.emit(OutboxEvent::Done {
            id: entry.id,
            outcome,
        });
    }

    /// The next mutation to send: the first that is not parked.
    fn head(&self) -> Option<QueuedMutation> {
        self.state()
            .entries
            .iter()
            .find(|e| e.parked.is_none())
            .cloned()
    }

    /// One step of the drain: what to wait for before the next (`None`: go on at once;
    /// `Some(None)`: a wake-up; `Some(Some(delay))`: a wake-up or the delay).
    async fn step(&self, load_failures: &mut u32) -> Option<Option<Duration>> {
        if let Err(e) = self.ensure_loaded().await {
            // A store that cannot open now may open later.
            *load_failures += 1;
            crate::log::warn!(error = %e, "the outbox cannot be loaded yet");
            return Some(Some(self.backoff(*load_failures, None)));
        }
        let online = self.state().app_online;
        let store = match self.inner.store.get().await {
            Ok(store) => store,
            Err(_) => return Some(Some(self.backoff(1, None))),
        };
        if !online || self.head().is_none() {
            self.release_lease(&*store).await;
            return Some(None);
        }
        let fresh = match self.hold_lease(&*store, false).await {
            Ok(LeaseState::Held { fresh }) => fresh,
            Ok(LeaseState::Busy(wait)) => {
                // Another instance drains: learn what it finished, look again later.
                if let Err(e) = self.sync(&*store, true).await {
                    crate::log::warn!(error = %e, "reading the outbox failed");
                }
                return Some(Some(wait));
            }
            Err(e) => {
                crate::log::warn!(error = %e, "the outbox lease cannot be taken");
                return Some(Some(self.backoff(1, None)));
            }
        };
        if let Err(e) = self.sync(&*store, fresh).await {
            crate::log::warn!(error = %e, "reading the outbox failed");
            return Some(Some(self.backoff(1, None)));
        }
        let entry = self.head()?;
        // The lease is renewed while the mutation is in flight (a send may outlast it).
        let sending = Box::pin(self.send(entry));
        let renewing = Box::pin(self.keep_lease(store.clone()));
        match select(sending, renewing).await {
            Either::Left((wait, _)) => wait.map(Some),
            Either::Right(((), sending)) => sending.await.map(Some),
        }
    }

    /// Whether this instance holds the drain lease (by its own clock).
    fn holds_lease(&self) -> bool {
        let lease = lock(&self.inner.lease);
        lease.value.is_some() && lease.until_ms > runtime::now_ms()
    }

    /// Takes or renews the drain lease (a compare-and-set on the store's meta), unless another
    /// live instance holds it. Without `renew`, a lease with more than half its time left is
    /// kept as it is.
    async fn hold_lease(&self, store: &dyn Store, renew: bool) -> Result<LeaseState, StoreError> {
        let ttl = self.inner.options.lease_ttl.as_millis() as i64;
        let now = runtime::now_ms();
        let ours = {
            let lease = lock(&self.inner.lease);
            if !renew && lease.value.is_some() && lease.until_ms - now > ttl / 2 {
                return Ok(LeaseState::Held { fresh: false });
            }
            lease.value.clone()
        };
        let poll = Duration::from_millis((ttl / 4).clamp(20, 1000) as u64);
        let current = store.get_meta(LEASE_KEY.into()).await?;
        if let Some(value) = &current {
            if Some(value) != ours.as_ref() {
                if let Some(until) = lease_holder(value, &self.inner.instance, now) {
                    lock(&self.inner.lease).value = None;
                    let left = Duration::from_millis((until - now) as u64 + 5);
                    return Ok(LeaseState::Busy(left.min(poll)));
                }
            }
        }
        let fresh = ours.is_none() || current != ours;
        let until = now + ttl;
        let value = format!("{}:{until}", self.inner.instance).into_bytes();
        let taken = store
            .apply(vec![
                Change::ExpectMeta {
                    key: LEASE_KEY.into(),
                    value: current,
                },
                Change::PutMeta {
                    key: LEASE_KEY.into(),
                    value: value.clone(),
                },
            ])
            .await;
        let mut lease = lock(&self.inner.lease);
        match taken {
            Ok(()) => {
                lease.value = Some(value);
                lease.until_ms = until;
                Ok(LeaseState::Held { fresh })
            }
            // Another instance got there first.
            Err(StoreError::Conflict(_)) => {
                lease.value = None;
                Ok(LeaseState::Busy(poll))
            }
            Err(e) => Err(e),
        }
    }

    /// Renews the lease every third of its time, for as long as it is polled.
    async fn keep_lease(&self, store: Arc<dyn Store>) {
        let every = self.inner.options.lease_ttl / 3;
        loop {
            runtime::sleep(every).await;
            match self.hold_lease(&*store, true).await {
                Ok(LeaseState::Held { .. }) => {}
                Ok(LeaseState::Busy(_)) => {
                    crate::log::warn!("the outbox lease was lost while a mutation was in flight");
                }
                Err(e) => crate::log::warn!(error = %e, "renewing the outbox lease failed"),
            }
        }
    }

    async fn release_lease(&self, store: &dyn Store) {
        let value = lock(&self.inner.lease).value.take();
        if let Some(value) = value {
            if let Some((before, after)) = release(store, value).await {
                let mut state = self.state();
                if state.seen_rev == before {
                    state.seen_rev = after;
                }
                state.known_rev = after;
            }
        }
    }

    /// Writes `changes` with the outbox revision moved on, so other instances (processes,
    /// tabs) on the same namespace see that the queue changed. The revision is a counter set by
    /// compare-and-set, so when nobody else wrote since this instance last read the queue, it
    /// stays current without reading the queue again.
    async fn apply_bumped(&self, changes: Vec<Change>) -> Result<(), AppSyncError> {
        let store = self.inner.store.get().await.map_err(store_error)?;
        // The revision this instance last saw: right unless another instance wrote since (then
        // the compare-and-set fails, the revision is read and the batch tried again).
        let mut rev = self.state().known_rev;
        loop {
            let mut batch = Vec::with_capacity(changes.len() + 2);
            batch.push(Change::ExpectMeta {
                key: REV_KEY.into(),
                value: (rev > 0).then(|| rev.to_string().into_bytes()),
            });
            batch.push(Change::PutMeta {
                key: REV_KEY.into(),
                value: (rev + 1).to_string().into_bytes(),
            });
            batch.extend(changes.iter().cloned());
            match store.apply(batch).await {
                Ok(()) => {
                    let mut state = self.state();
                    if state.seen_rev == rev {
                        state.seen_rev = rev + 1;
                    }
                    state.known_rev = state.known_rev.max(rev + 1);
                    return Ok(());
                }
                Err(StoreError::Conflict(message)) => {
                    // Another instance moved the revision on: try again; else the conflict is
                    // the changes' own (a duplicate or missing id).
                    let now = read_rev(&*store).await.map_err(store_error)?;
                    if now == rev {
                        return Err(store_error(StoreError::Conflict(message)));
                    }
                    rev = now;
                    self.state().known_rev = now;
                }
                Err(e) => return Err(store_error(e)),
            }
        }
    }

    /// Brings memory in line with the store when another instance changed the queue (always
    /// with `force`: the draining instance's own progress does not move the revision). Entries
    /// that left the store were finished elsewhere: their answers (left by the drainer) are
    /// delivered here; parked and re-queued ones are shown as such.
    async fn sync(&self, store: &dyn Store, force: bool) -> Result<(), StoreError> {
        if !force && read_rev(store).await? == self.state().seen_rev {
            return Ok(());
        }
        let mut attempt = 0;
        let (gone, parked, shown) = loop {
            let (rev, entries) = read_queue(store).await?;
            let mut state = self.state();
            attempt += 1;
            if state.known_rev > rev && attempt < 10 {
                // This instance wrote after the read (an enqueue, say, whose entry is already
                // in memory): the read is stale and would lose it. Read again.
                continue;
            }
            let old = std::mem::replace(&mut state.entries, entries);
            state.seen_rev = rev;
            state.known_rev = rev;
            let gone: Vec<QueuedMutation> = old
                .iter()
                .filter(|e| !state.entries.iter().any(|n| n.id == e.id))
                .cloned()
                .collect();
            let mut parked = Vec::new();
            // Layers to show: (entry, whether an older version of its layer must go first).
            let mut shown = Vec::new();
            for entry in &state.entries {
                let before = old.iter().find(|o| o.id == entry.id);
                let was_pending = before.is_some_and(|o| o.parked.is_none());
                match &entry.parked {
                    Some(p) if was_pending => parked.push((entry.id.clone(), p.clone())),
                    // New to this instance, or re-queued elsewhere. (An entry this instance is
                    // enqueuing right now may be among them: showing it again writes the same
                    // layer, never removes it.)
                    None if !was_pending => shown.push((entry.clone(), false)),
                    // Edited elsewhere.
                    None if before.map(|o| &o.optimistic) != Some(&entry.optimistic) => {
                        shown.push((entry.clone(), true))
                    }
                    _ => {}
                }
            }
            break (gone, parked, shown);
        };
        for (id, p) in parked {
            let outcome = parked_outcome(&p);
            let waiters = {
                let mut state = self.state();
                remember(&mut state, &id, &outcome);
                state.waiters.remove(&id).unwrap_or_default()
            };
            self.inner.cache.remove_layer(&id).await;
            for waiter in waiters {
                let _ = waiter.send(outcome.clone());
            }
            self.emit(OutboxEvent::Done { id, outcome });
        }
        for (entry, replace) in shown {
            if replace {
                self.inner.cache.remove_layer(&entry.id).await;
            }
            self.show_optimistic(&entry).await;
        }
        if !gone.is_empty() {
            let handoff = read_handoff(store).await;
            for entry in gone {
                let answer = handoff.iter().find(|(id, _)| *id == entry.id);
                let outcome = match answer {
                    Some((_, response)) => {
                        if let (Some(data), Ok(operation)) = (
                            &response.data,
                            Operation::parse(&entry.document, entry.operation_name.as_deref()),
                        ) {
                            let _ = self
                                .inner
                                .cache
                                .write_query(&operation, entry.variables(), data)
                                .await;
                        }
                        // Another instance sent it: the server's pass of its update function
                        // runs here, where the function lives.
                        if let Some(data) = &response.data {
                            self.run_update(&entry.id, data.clone(), false).await;
                        }
                        Outcome::Succeeded {
                            response: response.clone(),
                        }
                    }
                    // Removed without an answer: discarded (by the app or a resolver).
                    None => Outcome::Discarded,
                };
                self.finish(&entry.id, outcome).await;
            }
        }
        Ok(())
    }

    fn backoff(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        backoff(&self.inner.options, attempt, retry_after)
    }

    fn set_learned(&self, online: bool) {
        let changed = {
            let mut state = self.state();
            let changed = state.learned_online != online;
            state.learned_online = online;
            changed
        };
        if changed {
            self.emit(OutboxEvent::Network { online });
        }
    }

    /// Sends `entry` once and records what happened. Returns how long to wait before the next
    /// attempt (`None`: go on at once).
    async fn send(&self, entry: QueuedMutation) -> Option<Duration> {
        let attempt = entry.attempts + 1;
        self.emit(OutboxEvent::Sending {
            id: entry.id.clone(),
            attempt,
        });
        let result = self.inner.client.mutate(entry.request()).await;
        match result {
            Ok(response) => {
                self.set_learned(true);
                self.succeed(entry, response).await;
                None
            }
            Err(error) if is_retryable(&error) => {
                if matches!(
                    error,
                    AppSyncError::Network { .. } | AppSyncError::Timeout { .. }
                ) {
                    self.set_learned(false);
                }
                let retry_after = match &error {
                    AppSyncError::Http { retry_after_ms, .. } => {
                        retry_after_ms.map(Duration::from_millis)
                    }
                    _ => None,
                };
                let delay = self.backoff(attempt, retry_after);
                let mut updated = entry;
                updated.attempts = attempt;
                if let Err(e) = self.persist(&updated, false).await {
                    crate::log::warn!(error = %e, "recording an attempt failed");
                }
                self.emit(OutboxEvent::Retrying {
                    id: updated.id,
                    attempt,
                    delay_ms: delay.as_millis() as u64,
                    error,
                });
                Some(delay)
            }
            Err(AppSyncError::GraphQl { errors, data }) => {
                self.set_learned(true);
                self.rejected(entry, errors, data).await
            }
            Err(error @ AppSyncError::Http { .. }) | Err(error @ AppSyncError::Auth { .. }) => {
                self.park(entry, ParkReason::Unauthorized, error).await;
                None
            }
            Err(error) => {
                self.park(entry, ParkReason::Rejected, error).await;
                None
            }
        }
    }

    async fn rejected(
        &self,
        entry: QueuedMutation,
        errors: Vec<GraphQLError>,
        data: Option<Value>,
    ) -> Option<Duration> {
        let conflict = errors.iter().find(|e| {
            e.error_type
                .as_deref()
                .is_some_and(|t| CONFLICT_TYPES.contains(&t))
        });
        let Some(conflict) = conflict.cloned() else {
            let error = AppSyncError::GraphQl { errors, data };
            // "The write did succeed" (AppSync's own words for DeltaSyncWriteError).
            if let AppSyncError::GraphQl { errors, data } = &error {
                if errors
                    .iter()
                    .all(|e| e.error_type.as_deref() == Some("DeltaSyncWriteError"))
                {
                    let response = GraphQLResponse {
                        data: data.clone(),
                        errors: errors.clone(),
                    };
                    self.succeed(entry, response).await;
                    return None;
                }
            }
            self.park(entry, ParkReason::Rejected, error).await;
            return None;
        };
        let error_type = conflict.error_type.clone().unwrap_or_default();
        let server_data = match conflict.data.clone().filter(|d| !d.is_null()) {
            Some(item) => Some(item),
            None => self.fetch_server_item(&entry).await,
        };
        if let Some(item) = &server_data {
            if is_own_write(&entry, item) {
                let response = GraphQLResponse {
                    data: root_field_data(&entry, item.clone()),
                    errors: Vec::new(),
                };
                self.succeed(entry, response).await;
                return None;
            }
        }
        let error = AppSyncError::GraphQl {
            errors: errors.clone(),
            data,
        };
        let Some(resolver) = self.inner.options.resolver.clone() else {
            self.park(entry, ParkReason::Conflict, error).await;
            return None;
        };
        if entry.conflict_retries >= self.inner.options.max_conflict_retries {
            self.park(entry, ParkReason::Conflict, error).await;
            return None;
        }
        let decision = resolver
            .resolve(Conflict {
                mutation: entry.clone(),
                server_data: server_data.clone(),
                retries: entry.conflict_retries,
                error_type,
            })
            .await;
        match decision {
            ConflictDecision::Retry(variables) => {
                let mut updated = entry;
                updated.variables = variables;
                updated.conflict_retries += 1;
                if let Err(e) = self.persist(&updated, false).await {
                    crate::log::warn!(error = %e, "recording a conflict retry failed");
                }
                None
            }
            ConflictDecision::Park => {
                self.park(entry, ParkReason::Conflict, error).await;
                None
            }
            ConflictDecision::Discard => {
                let mut changes = vec![Change::OutboxRemove {
                    id: entry.id.clone(),
                }];
                if let Some(item) = server_data {
                    if let Ok(operation) =
                        Operation::parse(&entry.document, entry.operation_name.as_deref())
                    {
                        if let Some(data) = root_field_data(&entry, item) {
                            changes = self
                                .write_with(&operation, entry.variables(), &data, changes)
                                .await;
                        }
                    }
                }
                self.apply_rest(changes).await;
                self.finish(&entry.id, Outcome::Discarded).await;
                None
            }
        }
    }

    /// Writes `data` to the cache with `changes` in the same transaction; returns the changes
    /// that still need applying (when the cache does not persist, or its write failed).
    async fn write_with(
        &self,
        operation: &Operation,
        variables: Option<&Value>,
        data: &Value,
        changes: Vec<Change>,
    ) -> Vec<Change> {
        let backup = changes.clone();
        match self
            .inner
            .cache
            .write_query_and(operation, variables, data, changes)
            .await
        {
            Ok((_, rest)) => rest,
            Err(e) => {
                crate::log::warn!(error = %e, "writing the server's result to the cache failed");
                backup
            }
        }
    }

    async fn apply_rest(&self, changes: Vec<Change>) {
        if changes.is_empty() {
            return;
        }
        match self.inner.store.get().await {
            Ok(store) => {
                if let Err(e) = store.apply(changes).await {
                    crate::log::warn!(error = %e, "removing a finished mutation failed");
                }
            }
            Err(e) => crate::log::warn!(error = %e, "the outbox store is not open"),
        }
    }

    /// Records the server's answer: entry removed and result cached in one transaction, later
    /// entries' temporary ids rewritten, layer dropped, outcome delivered.
    async fn succeed(&self, entry: QueuedMutation, response: GraphQLResponse) {
        let mut changes = vec![Change::OutboxRemove {
            id: entry.id.clone(),
        }];
        let renamed = match (&entry.optimistic, &response.data) {
            (Some(optimistic), Some(data)) => temporary_id(optimistic, data),
            _ => None,
        };
        let mut rewritten = Vec::new();
        if let Some((temporary, real)) = &renamed {
            let state = self.state();
            for later in state.entries.iter().filter(|e| e.id != entry.id) {
                let mut updated = later.clone();
                if replace_string(&mut updated.variables, temporary, real) {
                    changes.push(Change::OutboxUpdate {
                        id: updated.id.clone(),
                        payload: updated.to_bytes(),
                    });
                    rewritten.push(updated);
                }
            }
        }
        if entry
            .origin
            .as_ref()
            .is_some_and(|origin| *origin != self.inner.instance)
        {
            // Queued by another instance (tab, process, earlier run): leave it the answer.
            if let Ok(store) = self.inner.store.get().await {
                let mut handoff = read_handoff(&*store).await;
                handoff.retain(|(id, _)| *id != entry.id);
                if handoff.len() >= HANDOFF_KEEP {
                    handoff.drain(..=handoff.len() - HANDOFF_KEEP);
                }
                handoff.push((entry.id.clone(), response.clone()));
                changes.push(Change::PutMeta {
                    key: HANDOFF_KEY.into(),
                    value: serde_json::to_vec(&handoff).unwrap_or_default(),
                });
            }
        }
        if let (Some(data), Ok(operation)) = (
            &response.data,
            Operation::parse(&entry.document, entry.operation_name.as_deref()),
        ) {
            changes = self
                .write_with(&operation, entry.variables(), data, changes)
                .await;
        }
        self.apply_rest(changes).await;
        if let Some(data) = &response.data {
            self.run_update(&entry.id, data.clone(), false).await;
        }
        if let Some((temporary, _)) = &renamed {
            let keys = self.inner.cache.keys_with_id(temporary);
            for key in keys {
                if let Err(e) = self.inner.cache.evict(&key).await {
                    crate::log::warn!(error = %e, "evicting a temporary record failed");
                }
            }
        }
        {
            let mut state = self.state();
            for updated in rewritten {
                if let Some(slot) = state.entries.iter_mut().find(|e| e.id == updated.id) {
                    *slot = updated;
                }
            }
        }
        self.finish(&entry.id, Outcome::Succeeded { response })
            .await;
    }

    /// The server's item for a conflicted mutation whose error carried none: `get<Model>(id:)`
    /// with the mutation's own selection set.
    async fn fetch_server_item(&self, entry: &QueuedMutation) -> Option<Value> {
        let (document, id) = get_query_for(entry)?;
        let request = GraphQLRequest {
            document,
            variables: Some(json!({ "id": id })),
            operation_name: None,
            auth_mode: entry.request().auth_mode,
            headers: Vec::new(),
            timeout: None,
            error_policy: crate::request::ErrorPolicy::None,
            fetch_policy: FetchPolicy::NoCache,
        };
        let response = self.inner.client.query(request).await.ok()?;
        let data = response.data?;
        let object = data.as_object()?;
        object.values().next().cloned().filter(|v| !v.is_null())
    }
}

/// The drain task: one mutation in flight at a time, for as long as an `Outbox` exists. When the
/// last one is dropped, the lease it held is released so another instance can start at once.
async fn drain(
    outbox: std::sync::Weak<Inner>,
    mut woken: mpsc::UnboundedReceiver<()>,
    (store, lease): (StoreHandle, Arc<Mutex<Lease>>),
) {
    let mut load_failures = 0;
    loop {
        let Some(inner) = outbox.upgrade() else {
            break;
        };
        let wait = Outbox { inner }.step(&mut load_failures).await;
        if let Some(timeout) = wait {
            if !wait_for(&mut woken, timeout).await {
                break;
            }
        }
    }
    let held = lock(&lease).value.take();
    if let (Some(value), Ok(store)) = (held, store.get().await) {
        let _ = release(&*store, value).await;
    }
}

/// Gives the lease up if it is still this value.
/// Gives the lease up if it is still this value, moving the queue's revision on in the same
/// transaction: the drainer's own progress (entries sent, parked) does not move it while it
/// drains, so the release tells the other instances to read the queue again. Returns the
/// revision before and after.
async fn release(store: &dyn Store, value: Vec<u8>) -> Option<(u64, u64)> {
    for _ in 0..10 {
        let rev = read_rev(store).await.ok()?;
        let released = store
            .apply(vec![
                Change::ExpectMeta {
                    key: LEASE_KEY.into(),
                    value: Some(value.clone()),
                },
                Change::DeleteMeta {
                    key: LEASE_KEY.into(),
                },
                Change::ExpectMeta {
                    key: REV_KEY.into(),
                    value: (rev > 0).then(|| rev.to_string().into_bytes()),
                },
                Change::PutMeta {
                    key: REV_KEY.into(),
                    value: (rev + 1).to_string().into_bytes(),
                },
            ])
            .await;
        match released {
            Ok(()) => return Some((rev, rev + 1)),
            // The revision moved (another instance enqueued): try again, unless the lease is
            // no longer this one.
            Err(StoreError::Conflict(_))
                if store.get_meta(LEASE_KEY.into()).await.ok()? == Some(value.clone()) => {}
            Err(e) => {
                crate::log::debug!(error = %e, "the outbox lease was not released (no longer held)");
                return None;
            }
        }
    }
    None
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

/// When `value` is a lease another instance holds until after `now`: its end.
fn lease_holder(value: &[u8], instance: &str, now: i64) -> Option<i64> {
    let text = std::str::from_utf8(value).ok()?;
    let (holder, until) = text.rsplit_once(':')?;
    let until: i64 = until.parse().ok()?;
    (holder != instance && until > now).then_some(until)
}

async fn read_rev(store: &dyn Store) -> Result<u64, StoreError> {
    Ok(store
        .get_meta(REV_KEY.into())
        .await?
        .and_then(|v| std::str::from_utf8(&v).ok()?.parse().ok())
        .unwrap_or(0))
}

/// The revision, then the queue (read in that order: a change after the revision was read
/// moves it on, so it is seen next time).
async fn read_queue(store: &dyn Store) -> Result<(u64, Vec<QueuedMutation>), StoreError> {
    let rev = read_rev(store).await?;
    let stored = store.outbox().await?;
    let mut entries = Vec::with_capacity(stored.len());
    for OutboxEntry { id, payload, .. } in stored {
        match serde_json::from_slice::<QueuedMutation>(&payload) {
            Ok(entry) => entries.push(entry),
            // A damaged entry is kept visible (parked), never dropped.
            Err(e) => entries.push(QueuedMutation::damaged(id, e.to_string())),
        }
    }
    Ok((rev, entries))
}

/// The answers drainers left for the instances that queued the mutations.
async fn read_handoff(store: &dyn Store) -> Vec<(String, GraphQLResponse)> {
    match store.get_meta(HANDOFF_KEY.into()).await {
        Ok(Some(bytes)) => serde_json::from_slice(&bytes).unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// Waits for a wake-up or `timeout`; false when every `Outbox` is gone.
async fn wait_for(woken: &mut mpsc::UnboundedReceiver<()>, timeout: Option<Duration>) -> bool {
    match timeout {
        None => woken.next().await.is_some(),
        Some(delay) => {
            let sleep = Box::pin(runtime::sleep(delay));
            match select(woken.next(), sleep).await {
                Either::Left((Some(()), _)) | Either::Right(_) => true,
                Either::Left((None, _)) => false,
            }
        }
    }
}

/// Keeps the last outcomes for `outcome()` calls that come after the fact.
fn remember(state: &mut State, id: &str, outcome: &Outcome) {
    const KEEP: usize = 1024;
    state.finished.retain(|(done, _)| done != id);
    if state.finished.len() >= KEEP {
        state.finished.pop_front();
    }
    state.finished.push_back((id.to_owned(), outcome.clone()));
}

/// The outcome of a parked entry (one parked in an earlier run included), from what it keeps.
fn parked_outcome(parked: &Parked) -> Outcome {
    let error = GraphQLError {
        error_type: parked.error_type.clone(),
        data: parked.server_data.clone(),
        ..GraphQLError::new(parked.message.clone())
    };
    Outcome::Parked {
        reason: parked.reason,
        error: AppSyncError::GraphQl {
            errors: vec![error],
            data: None,
        },
    }
}

fn unknown_id(id: &str) -> AppSyncError {
    AppSyncError::InvalidDocument(crate::graphql::DocumentError::new(format!(
        "no queued mutation has the id `{id}`"
    )))
}

/// Network trouble, timeouts, 429, 5xx and answers that are not GraphQL: try again later.
fn is_retryable(error: &AppSyncError) -> bool {
    error.is_transient() || matches!(error, AppSyncError::InvalidResponse { .. })
}

/// The wait before attempt `attempt` (1-based): full jitter up to `base * 2^(attempt - 1)`,
/// capped, and never shorter than the server's `Retry-After`.
fn backoff(options: &OutboxOptions, attempt: u32, retry_after: Option<Duration>) -> Duration {
    let delay = Duration::from_millis(crate::realtime::random::backoff_ms(
        attempt.saturating_sub(1),
        options.backoff_base.as_millis() as u64,
        options.backoff_cap.as_millis() as u64,
    ));
    match retry_after {
        Some(after) => delay.max(after),
        None => delay,
    }
}

/// The mutation's root field and its `input` argument (Amplify's `createX(input: {...})`).
fn root_field_and_input(entry: &QueuedMutation) -> Option<(Operation, String, Map<String, Value>)> {
    let operation = Operation::parse(&entry.document, entry.operation_name.as_deref()).ok()?;
    let field = root_field(&operation)?.clone();
    let arguments = crate::cache::field_arguments(&operation, entry.variables(), &field);
    let input = arguments.get("input")?.as_object()?.clone();
    Some((operation, field.name, input))
}

fn root_field(operation: &Operation) -> Option<&Field> {
    operation
        .document()
        .definitions
        .iter()
        .find_map(|d| match d {
            Definition::Operation(op) if op.name.as_deref() == operation.name() => {
                op.selection_set.items.iter().find_map(|s| match s {
                    Selection::Field(f) if f.name != "__typename" => Some(f),
                    _ => None,
                })
            }
            _ => None,
        })
}

/// `{rootResponseKey: item}`: the data the mutation would have answered. A server item from a
/// conflict error carries no `__typename`; it is taken from the optimistic response, else from
/// the mutation's name (`updateTodo` → `Todo`), so the cache can key the item.
fn root_field_data(entry: &QueuedMutation, mut item: Value) -> Option<Value> {
    let operation = Operation::parse(&entry.document, entry.operation_name.as_deref()).ok()?;
    let field = root_field(&operation)?;
    let key = field.response_key().to_owned();
    if let Some(object) = item.as_object_mut() {
        if !object.contains_key("__typename") {
            let typename = entry
                .optimistic
                .as_ref()
                .and_then(|o| o.get(&key))
                .and_then(|o| o.get("__typename"))
                .and_then(Value::as_str)
                .map(str::to_owned)
                .or_else(|| {
                    ["create", "update", "delete"]
                        .iter()
                        .find_map(|p| field.name.strip_prefix(p))
                        .map(str::to_owned)
                });
            if let Some(typename) = typename {
                object.insert("__typename".into(), Value::String(typename));
            }
        }
    }
    let mut data = Map::new();
    data.insert(key, item);
    Some(Value::Object(data))
}

/// Whether the server's item already shows this mutation's effect (a replay after a crash):
/// every input field (but `_version`) equal, and for versioned writes the version one past the
/// expected one; for creates the item exists with the input's fields.
fn is_own_write(entry: &QueuedMutation, item: &Value) -> bool {
    let Some((_, field, input)) = root_field_and_input(entry) else {
        return false;
    };
    let Some(item) = item.as_object() else {
        return false;
    };
    let fields_match = input
        .iter()
        .filter(|(k, _)| k.as_str() != "_version")
        .all(|(k, v)| item.get(k).is_some_and(|have| have == v));
    if !fields_match {
        return false;
    }
    if field.starts_with("create") {
        return input.contains_key("id");
    }
    let expected = input.get("_version").and_then(Value::as_i64);
    let actual = item.get("_version").and_then(Value::as_i64);
    match (expected, actual) {
        (Some(expected), Some(actual)) => actual == expected + 1,
        _ => false,
    }
}

/// `query($id: ID!) { getX(id: $id) { <the mutation's selection> } }` and the id, for
/// `createX` / `updateX` / `deleteX` mutations.
fn get_query_for(entry: &QueuedMutation) -> Option<(String, Value)> {
    let (operation, field_name, input) = root_field_and_input(entry)?;
    let id = input.get("id")?.clone();
    let model = ["create", "update", "delete"]
        .iter()
        .find_map(|p| field_name.strip_prefix(p))?;
    let field = root_field(&operation)?;
    let mut definitions = vec![Definition::Operation(OperationDefinition {
        kind: OperationKind::Query,
        name: None,
        variable_definitions: vec![VariableDefinition {
            name: "id".into(),
            var_type: Type::NonNull(Box::new(Type::Named("ID".into()))),
            default_value: None,
            directives: Vec::new(),
        }],
        directives: Vec::new(),
        selection_set: SelectionSet {
            items: vec![Selection::Field(Field {
                alias: None,
                name: format!("get{model}"),
                arguments: vec![("id".into(), QValue::Variable("id".into()))],
                directives: Vec::new(),
                selection_set: field.selection_set.clone(),
            })],
        },
    })];
    definitions.extend(
        operation
            .document()
            .definitions
            .iter()
            .filter(|d| matches!(d, Definition::Fragment(_)))
            .cloned(),
    );
    Some((Document { definitions }.to_string(), id))
}

/// The optimistic root item's id and the server's, when they differ (a temporary id).
fn temporary_id(optimistic: &Value, data: &Value) -> Option<(String, String)> {
    let optimistic = optimistic
        .as_object()?
        .values()
        .next()?
        .get("id")?
        .as_str()?;
    let real = data.as_object()?.values().next()?.get("id")?.as_str()?;
    (optimistic != real).then(|| (optimistic.to_owned(), real.to_owned()))
}

/// Replaces every string equal to `from` inside `value`; true when anything changed.
fn replace_string(value: &mut Value, from: &str, to: &str) -> bool {
    match value {
        Value::String(s) if s == from => {
            *s = to.to_owned();
            true
        }
        Value::Array(items) => {
            let mut changed = false;
            for item in items {
                changed |= replace_string(item, from, to);
            }
            changed
        }
        Value::Object(map) => {
            let mut changed = false;
            for item in map.values_mut() {
                changed |= replace_string(item, from, to);
            }
            changed
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests;
