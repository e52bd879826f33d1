//! The offline mutation queue for hosts: enqueue with an optimistic response, outcomes, events,
//! the queue's entries (retry, edit, discard), the network status the platform reports, and a
//! conflict handler written in Kotlin or Swift.

use crate::cache::{cache_error, document_error, parse_json, parse_operation, parse_variables};
use crate::client::{internal, to_core, AppSyncClient};
use crate::error::AppSyncException;
use crate::runtime;
use crate::types::{json_text, GraphQlError, GraphQlRequest, GraphQlResponse};
use appsync_core::outbox::{self as queue, NewMutation, Outbox, OutboxOptions};
use appsync_core::runtime::BoxFuture;
use std::sync::{Arc, Mutex, OnceLock};

/// Why a mutation waits for the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ParkReason {
    /// The server rejected it (validation or another GraphQL error).
    Rejected,
    /// Unauthorized even after one credential refresh.
    Unauthorized,
    /// A conflict nobody resolved.
    Conflict,
}

impl From<queue::ParkReason> for ParkReason {
    fn from(reason: queue::ParkReason) -> Self {
        match reason {
            queue::ParkReason::Rejected => ParkReason::Rejected,
            queue::ParkReason::Unauthorized => ParkReason::Unauthorized,
            queue::ParkReason::Conflict => ParkReason::Conflict,
        }
    }
}

/// How a queued mutation ended.
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum MutationOutcome {
    /// The server applied it; `data_json` is its answer (also written to the cache).
    Succeeded {
        data_json: Option<String>,
        errors: Vec<GraphQlError>,
    },
    /// Waiting for the app: retry, edit or discard it. `code` is the error's code.
    Parked {
        reason: ParkReason,
        code: String,
        message: String,
    },
    Discarded,
}

impl From<queue::Outcome> for MutationOutcome {
    fn from(outcome: queue::Outcome) -> Self {
        match outcome {
            queue::Outcome::Succeeded { response } => MutationOutcome::Succeeded {
                data_json: response.data.as_ref().map(json_text),
                errors: response.errors.into_iter().map(Into::into).collect(),
            },
            queue::Outcome::Parked { reason, error } => MutationOutcome::Parked {
                reason: reason.into(),
                code: error.code().to_owned(),
                message: error.to_string(),
            },
            queue::Outcome::Discarded => MutationOutcome::Discarded,
        }
    }
}

/// What the outbox reports.
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum OutboxEvent {
    Enqueued {
        id: String,
    },
    Sending {
        id: String,
        attempt: u32,
    },
    /// A retryable failure; the next attempt after `delay_ms` (sooner when back online).
    Retrying {
        id: String,
        attempt: u32,
        delay_ms: u64,
        code: String,
        message: String,
    },
    Done {
        id: String,
        outcome: MutationOutcome,
    },
    /// The network status changed (reported by the app or learned from a request).
    Network {
        online: bool,
    },
}

impl From<queue::OutboxEvent> for OutboxEvent {
    fn from(event: queue::OutboxEvent) -> Self {
        match event {
            queue::OutboxEvent::Enqueued { id } => OutboxEvent::Enqueued { id },
            queue::OutboxEvent::Sending { id, attempt } => OutboxEvent::Sending { id, attempt },
            queue::OutboxEvent::Retrying {
                id,
                attempt,
                delay_ms,
                error,
            } => OutboxEvent::Retrying {
                id,
                attempt,
                delay_ms,
                code: error.code().to_owned(),
                message: error.to_string(),
            },
            queue::OutboxEvent::Done { id, outcome } => OutboxEvent::Done {
                id,
                outcome: outcome.into(),
            },
            queue::OutboxEvent::Network { online } => OutboxEvent::Network { online },
        }
    }
}

/// Why a queued mutation is parked.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ParkedInfo {
    pub reason: ParkReason,
    pub message: String,
    pub error_type: Option<String>,
    /// For conflicts: the server's item.
    pub server_data_json: Option<String>,
}

/// A queued mutation (pending or parked).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct QueuedMutation {
    pub id: String,
    pub document: String,
    pub variables_json: Option<String>,
    pub optimistic_json: Option<String>,
    pub enqueued_at_ms: i64,
    pub attempts: u32,
    pub parked: Option<ParkedInfo>,
}

impl From<queue::QueuedMutation> for QueuedMutation {
    fn from(entry: queue::QueuedMutation) -> Self {
        QueuedMutation {
            variables_json: entry.variables().map(json_text),
            optimistic_json: entry.optimistic.as_ref().map(json_text),
            id: entry.id,
            document: entry.document,
            enqueued_at_ms: entry.enqueued_at_ms,
            attempts: entry.attempts,
            parked: entry.parked.map(|p| ParkedInfo {
                reason: p.reason.into(),
                message: p.message,
                error_type: p.error_type,
                server_data_json: p.server_data.as_ref().map(json_text),
            }),
        }
    }
}

/// A conflict for the app's handler.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ConflictInfo {
    pub mutation_id: String,
    pub document: String,
    pub variables_json: Option<String>,
    /// The server's current item, when it could be had.
    pub server_data_json: Option<String>,
    /// How often this mutation was already retried after a conflict.
    pub retries: u32,
    /// `ConflictUnhandled` or `DynamoDB:ConditionalCheckFailedException`.
    pub error_type: String,
}

/// What the handler decides.
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum ConflictResolution {
    /// Send again with these variables (e.g. with the server's `_version`).
    Retry { variables_json: String },
    /// Give the mutation up (the server's item goes to the cache).
    Discard,
    /// Leave it to the app: parked, listed by `outbox_entries`.
    Park,
}

/// Settles conflicts; implemented by the app.
#[uniffi::export(with_foreign)]
#[async_trait::async_trait]
pub trait ConflictHandler: Send + Sync {
    async fn resolve(&self, conflict: ConflictInfo) -> ConflictResolution;
}

/// The cache as an update function sees it. Reads see everything, optimistic layers too;
/// `write_query` writes into the mutation's optimistic layer on the optimistic pass (rolled back
/// with it) and into the cache on the server's pass.
#[derive(Debug, uniffi::Object)]
pub struct MutationCache(queue::UpdateCache);

#[uniffi::export]
impl MutationCache {
    /// True on the optimistic pass, false on the server's answer.
    pub fn is_optimistic(&self) -> bool {
        self.0.is_optimistic()
    }

    /// The query's data as JSON text, `None` when the cache lacks part of it.
    pub async fn read_query(
        &self,
        request: GraphQlRequest,
    ) -> Result<Option<String>, AppSyncException> {
        let operation = parse_operation(&request)?;
        let variables = parse_variables(request.variables_json)?;
        let cache = self.0.clone();
        let read =
            runtime::run(async move { cache.read_query(&operation, variables.as_ref()).await })
                .await
                .map_err(internal)?
                .map_err(cache_error)?;
        Ok(read.data.as_ref().map(json_text))
    }

    /// Entity `key` (e.g. `Todo:1`) through a fragment, as JSON text; `None` when incomplete.
    pub async fn read_fragment(
        &self,
        document: String,
        key: String,
        fragment_name: Option<String>,
        variables_json: Option<String>,
    ) -> Result<Option<String>, AppSyncException> {
        let fragment = appsync_core::graphql::Fragment::parse(&document, fragment_name.as_deref())
            .map_err(document_error)?;
        let variables = parse_variables(variables_json)?;
        let cache = self.0.clone();
        let read = runtime::run(async move {
            cache
                .read_fragment(&fragment, &key, variables.as_ref())
                .await
        })
        .await
        .map_err(internal)?
        .map_err(cache_error)?;
        Ok(read.data.as_ref().map(json_text))
    }

    /// Writes `data_json` as the query's result; returns what did not match the document.
    pub async fn write_query(
        &self,
        request: GraphQlRequest,
        data_json: String,
    ) -> Result<Vec<String>, AppSyncException> {
        let operation = parse_operation(&request)?;
        let variables = parse_variables(request.variables_json)?;
        let data = parse_json(&data_json, "data")?;
        let cache = self.0.clone();
        runtime::run(async move {
            cache
                .write_query(&operation, variables.as_ref(), &data)
                .await
        })
        .await
        .map_err(internal)?
        .map_err(cache_error)
    }
}

/// Like Apollo's `update(cache, result)`: runs on the optimistic response (when there is one)
/// and again on the server's answer (`data_json`, the mutation's `data`), so it must be
/// idempotent: write what a list should hold, don't append blindly. It lives in memory only: a
/// mutation queued in an earlier run of the app replays without it (its result is still
/// normalized into the cache). What it throws (anything) is logged and ignored: the mutation
/// goes on.
#[uniffi::export(with_foreign)]
#[async_trait::async_trait]
pub trait MutationUpdate: Send + Sync {
    async fn update(
        &self,
        cache: Arc<MutationCache>,
        data_json: String,
    ) -> Result<(), crate::error::ProviderException>;
}

fn core_update(update: Arc<dyn MutationUpdate>) -> queue::UpdateFn {
    Arc::new(move |cache: queue::UpdateCache, data: serde_json::Value| {
        let update = update.clone();
        Box::pin(async move {
            let done = update
                .update(Arc::new(MutationCache(cache)), json_text(&data))
                .await;
            if let Err(e) = done {
                tracing::warn!(error = %e, "a mutation's update function failed");
            }
        })
    })
}

/// Receives the outbox's events, in order, on a background thread.
#[uniffi::export(with_foreign)]
pub trait OutboxListener: Send + Sync {
    fn on_event(&self, event: OutboxEvent);
}

/// Stops an outbox listener. Released handles stop too.
#[derive(Debug, uniffi::Object)]
pub struct OutboxListenerHandle {
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

#[uniffi::export]
impl OutboxListenerHandle {
    pub fn cancel(&self) {
        if let Ok(mut task) = self.task.lock() {
            if let Some(task) = task.take() {
                task.abort();
            }
        }
    }
}

impl Drop for OutboxListenerHandle {
    fn drop(&mut self) {
        self.cancel();
    }
}

/// The client's outbox and its swappable conflict handler.
#[derive(Default)]
pub(crate) struct OutboxSlot {
    outbox: OnceLock<Outbox>,
    handler: Arc<Mutex<Option<Arc<dyn ConflictHandler>>>>,
}

impl std::fmt::Debug for OutboxSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboxSlot")
            .field("started", &self.outbox.get().is_some())
            .finish()
    }
}

/// The core's resolver over the host's handler (whichever is set when a conflict comes).
struct HostResolver(Arc<Mutex<Option<Arc<dyn ConflictHandler>>>>);

impl queue::ConflictResolver for HostResolver {
    fn resolve(&self, conflict: queue::Conflict) -> BoxFuture<'static, queue::ConflictDecision> {
        let handler = self.0.lock().ok().and_then(|h| h.clone());
        Box::pin(async move {
            let Some(handler) = handler else {
                // No handler set: the default, parked for the app, nothing overwritten.
                return queue::ConflictDecision::Park;
            };
            let info = ConflictInfo {
                mutation_id: conflict.mutation.id.clone(),
                document: conflict.mutation.document.clone(),
                variables_json: conflict.mutation.variables().map(json_text),
                server_data_json: conflict.server_data.as_ref().map(json_text),
                retries: conflict.retries,
                error_type: conflict.error_type.clone(),
            };
            match handler.resolve(info).await {
                ConflictResolution::Discard => queue::ConflictDecision::Discard,
                ConflictResolution::Park => queue::ConflictDecision::Park,
                ConflictResolution::Retry { variables_json } => {
                    match serde_json::from_str(&variables_json) {
                        Ok(variables) => queue::ConflictDecision::Retry(variables),
                        // Unreadable variables from the handler: retry as is (bounded).
                        Err(_) => queue::ConflictDecision::Retry(conflict.mutation.variables),
                    }
                }
            }
        })
    }
}

impl AppSyncClient {
    /// The outbox, started on first use (loading what an earlier run queued).
    fn outbox(&self) -> Result<Outbox, AppSyncException> {
        if let Some(outbox) = self.outbox.outbox.get() {
            return Ok(outbox.clone());
        }
        let client = self.inner.clone();
        let handler = self.outbox.handler.clone();
        let options = OutboxOptions {
            resolver: Some(Arc::new(HostResolver(handler)) as Arc<dyn queue::ConflictResolver>),
            ..self.outbox_options.clone()
        };
        let created = runtime::within(move || Outbox::new(client, options)).map_err(internal)?;
        Ok(self.outbox.outbox.get_or_init(|| created).clone())
    }
}

/// A mutation `mutate` took: queued in the outbox (offline support on, the default) or already
/// answered by the server (offline support off).
#[derive(Debug, uniffi::Object)]
pub struct PendingMutation {
    id: String,
    state: Pending,
}

#[derive(Debug)]
enum Pending {
    Queued(Outbox),
    Answered(appsync_core::GraphQLResponse),
}

#[uniffi::export]
impl PendingMutation {
    /// The client mutation id (the one passed in, or a generated UUID).
    pub fn id(&self) -> String {
        self.id.clone()
    }

    /// Waits for the outcome (as long as the device is offline).
    pub async fn outcome(&self) -> Result<MutationOutcome, AppSyncException> {
        Ok(self.core_outcome().await?.into())
    }

    /// Waits for the server's answer (as long as the device is offline); `None` when the
    /// mutation was discarded (by the app or a conflict resolver). A parked mutation throws the
    /// error that parked it (it stays in the outbox: retry, edit or discard it).
    pub async fn response(&self) -> Result<Option<GraphQlResponse>, AppSyncException> {
        match self.core_outcome().await? {
            queue::Outcome::Succeeded { response } => Ok(Some(response.into())),
            queue::Outcome::Parked { error, .. } => Err(error.into()),
            queue::Outcome::Discarded => Ok(None),
        }
    }
}

impl PendingMutation {
    async fn core_outcome(&self) -> Result<queue::Outcome, AppSyncException> {
        match &self.state {
            Pending::Answered(response) => Ok(queue::Outcome::Succeeded {
                response: response.clone(),
            }),
            Pending::Queued(outbox) => {
                let (outbox, id) = (outbox.clone(), self.id.clone());
                runtime::run(async move { outbox.outcome(&id).await })
                    .await
                    .map_err(internal)?
                    .map_err(Into::into)
            }
        }
    }
}

#[uniffi::export]
impl AppSyncClient {
    /// Runs a mutation the offline-first way: with offline support on (the default) it is
    /// queued durably, its optimistic response shown at once, and sent in order when the network
    /// allows (see `enqueue_mutation`); the handle returns before the server answers. With
    /// offline support off it is sent at once and the handle holds the answer (a failure is
    /// thrown here). `update` runs on the optimistic response and on the server's answer (see
    /// [`MutationUpdate`]).
    pub async fn mutate(
        &self,
        request: GraphQlRequest,
        optimistic_response_json: Option<String>,
        mutation_id: Option<String>,
        update: Option<Arc<dyn MutationUpdate>>,
    ) -> Result<Arc<PendingMutation>, AppSyncException> {
        if self.offline {
            let id = self
                .enqueue_mutation(request, optimistic_response_json, mutation_id, update)
                .await?;
            return Ok(Arc::new(PendingMutation {
                id,
                state: Pending::Queued(self.outbox()?),
            }));
        }
        let request = to_core(request)?;
        let client = self.inner.clone();
        let response = runtime::run(async move {
            let response = client.mutate(request).await?;
            // Sent directly: the update function runs once, on the server's answer.
            if let (Some(update), Some(data)) = (update, &response.data) {
                let cache = queue::UpdateCache::server_pass(client.cache().clone());
                core_update(update)(cache, data.clone()).await;
            }
            Ok::<_, appsync_core::AppSyncError>(response)
        })
        .await
        .map_err(internal)??;
        Ok(Arc::new(PendingMutation {
            id: mutation_id.unwrap_or_else(appsync_core::realtime::random::uuid_v4),
            state: Pending::Answered(response),
        }))
    }

    /// Queues a mutation durably (committed before this returns) and shows its optimistic
    /// response at once; returns its id. The outcome comes through `mutation_outcome` and the
    /// outbox events, also after a restart.
    pub async fn enqueue_mutation(
        &self,
        request: GraphQlRequest,
        optimistic_response_json: Option<String>,
        mutation_id: Option<String>,
        update: Option<Arc<dyn MutationUpdate>>,
    ) -> Result<String, AppSyncException> {
        let request = to_core(request)?;
        let optimistic = optimistic_response_json
            .map(|t| parse_json(&t, "the optimistic response"))
            .transpose()?;
        let outbox = self.outbox()?;
        let mutation = NewMutation {
            request,
            optimistic_response: optimistic,
            id: mutation_id,
            update: update.map(core_update),
        };
        let pending = runtime::run(async move { outbox.enqueue(mutation).await })
            .await
            .map_err(internal)??;
        Ok(pending.id)
    }

    /// Waits for a queued mutation's outcome (as long as the device is offline).
    pub async fn mutation_outcome(&self, id: String) -> Result<MutationOutcome, AppSyncException> {
        let outbox = self.outbox()?;
        let outcome = runtime::run(async move { outbox.outcome(&id).await })
            .await
            .map_err(internal)??;
        Ok(outcome.into())
    }

    /// Every queued mutation in order, pending and parked.
    pub async fn outbox_entries(&self) -> Result<Vec<QueuedMutation>, AppSyncException> {
        let outbox = self.outbox()?;
        let entries = runtime::run(async move { outbox.entries().await })
            .await
            .map_err(internal)??;
        Ok(entries.into_iter().map(Into::into).collect())
    }

    /// Sends a parked mutation again.
    pub async fn retry_mutation(&self, id: String) -> Result<(), AppSyncException> {
        let outbox = self.outbox()?;
        runtime::run(async move { outbox.retry(&id).await })
            .await
            .map_err(internal)??;
        Ok(())
    }

    /// Replaces a queued mutation's variables (and optimistic response, when given).
    pub async fn edit_mutation(
        &self,
        id: String,
        variables_json: String,
        optimistic_response_json: Option<String>,
    ) -> Result<(), AppSyncException> {
        let variables = parse_json(&variables_json, "variables")?;
        let optimistic = optimistic_response_json
            .map(|t| parse_json(&t, "the optimistic response"))
            .transpose()?;
        let outbox = self.outbox()?;
        runtime::run(async move { outbox.edit(&id, variables, optimistic).await })
            .await
            .map_err(internal)??;
        Ok(())
    }

    /// Removes a queued mutation for good (its optimistic response rolled back).
    pub async fn discard_mutation(&self, id: String) -> Result<(), AppSyncException> {
        let outbox = self.outbox()?;
        runtime::run(async move { outbox.discard(&id).await })
            .await
            .map_err(internal)??;
        Ok(())
    }

    /// Reports the device's connectivity (Android's ConnectivityManager, iOS's NWPathMonitor):
    /// offline, nothing is sent; back online, the queue drains at once.
    pub fn set_network_online(&self, online: bool) -> Result<(), AppSyncException> {
        self.outbox()?.set_online(online);
        Ok(())
    }

    /// Sets (or clears) the conflict handler. Without one, conflicts park the mutation.
    pub fn set_conflict_handler(&self, handler: Option<Arc<dyn ConflictHandler>>) {
        if let Ok(mut slot) = self.outbox.handler.lock() {
            *slot = handler;
        }
    }

    /// Delivers the outbox's events to `listener` until the handle is cancelled.
    pub fn watch_outbox(
        &self,
        listener: Arc<dyn OutboxListener>,
    ) -> Result<Arc<OutboxListenerHandle>, AppSyncException> {
        let mut events = self.outbox()?.events();
        let task = runtime::spawn(async move {
            use futures::StreamExt;
            while let Some(event) = events.next().await {
                listener.on_event(event.into());
            }
        })
        .map_err(internal)?;
        Ok(Arc::new(OutboxListenerHandle {
            task: Mutex::new(Some(task)),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use appsync_core as core;

    #[test]
    fn outcomes_keep_their_reason_and_code() {
        let parked: MutationOutcome = queue::Outcome::Parked {
            reason: queue::ParkReason::Conflict,
            error: core::AppSyncError::Network {
                message: "x".into(),
            },
        }
        .into();
        assert_eq!(
            parked,
            MutationOutcome::Parked {
                reason: ParkReason::Conflict,
                code: "NETWORK".into(),
                message: "network error: x".into()
            }
        );
    }
}
