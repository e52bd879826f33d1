//! What the outbox stores and reports: queued mutations (their JSON is the stored payload),
//! why a mutation was parked, outcomes and events.

use crate::auth::AuthMode;
use crate::error::AppSyncError;
use crate::request::{FetchPolicy, GraphQLRequest};
use crate::response::GraphQLResponse;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A queued mutation, as stored (its JSON is the outbox entry's payload). Secrets are never part
/// of it: the auth mode is stored by name, credentials come from the providers when it is sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueuedMutation {
    /// The client mutation id.
    pub id: String,
    pub document: String,
    #[serde(default)]
    pub operation_name: Option<String>,
    /// The variables (`null` for none).
    #[serde(default)]
    pub variables: Value,
    /// AppSync's name of the auth mode (`API_KEY`, `AWS_IAM`, ...) when not the default.
    #[serde(default)]
    pub auth_mode: Option<String>,
    /// The optimistic response (`data`), shown as a cache layer while the mutation is pending.
    #[serde(default)]
    pub optimistic: Option<Value>,
    pub enqueued_at_ms: i64,
    /// Sends that ended in a retryable failure.
    #[serde(default)]
    pub attempts: u32,
    /// Retries after a conflict.
    #[serde(default)]
    pub conflict_retries: u32,
    /// Set while the mutation waits for the app (retry, edit or discard).
    #[serde(default)]
    pub parked: Option<Parked>,
    /// The outbox instance (one run of the app, one tab) that queued it: when another drains
    /// it, that one leaves the answer for this one to deliver.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
}

/// Why and when a mutation was parked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Parked {
    pub reason: ParkReason,
    pub message: String,
    /// The server's error type (`ConflictUnhandled`, `Unauthorized`, ...).
    pub error_type: Option<String>,
    /// For conflicts: the server's item.
    pub server_data: Option<Value>,
    pub at_ms: i64,
}

/// Why a mutation cannot go through without the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ParkReason {
    /// The server rejected it (validation or another GraphQL error), or it cannot be sent
    /// (a document or stored entry that does not parse).
    Rejected,
    /// Unauthorized even after the client refreshed its credential once.
    Unauthorized,
    /// A conflict that no resolver settled (none set, it gave up, or too many retries).
    Conflict,
}

/// How a mutation ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The server applied it; its result is in the cache.
    Succeeded { response: GraphQLResponse },
    /// Waiting for the app: see [`super::Outbox::entries`], then retry, edit or discard.
    Parked {
        reason: ParkReason,
        error: AppSyncError,
    },
    /// Discarded by the app or by a conflict resolver.
    Discarded,
}

/// What the outbox reports, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum OutboxEvent {
    Enqueued {
        id: String,
    },
    Sending {
        id: String,
        attempt: u32,
    },
    /// A retryable failure; the next attempt comes after `delay_ms` (sooner when the app says
    /// the network is back).
    Retrying {
        id: String,
        attempt: u32,
        delay_ms: u64,
        error: AppSyncError,
    },
    Done {
        id: String,
        outcome: Outcome,
    },
    /// The network status changed (told by the app, or learned from a request).
    Network {
        online: bool,
    },
}

impl QueuedMutation {
    /// The request to send: no cache write by the client (the outbox writes the result in the
    /// transaction that removes the entry), the client mutation id as a header.
    pub fn request(&self) -> GraphQLRequest {
        let mut request = GraphQLRequest::new(self.document.clone());
        request.variables = self.variables().cloned();
        request.operation_name = self.operation_name.clone();
        request.auth_mode = self.auth_mode.as_deref().and_then(AuthMode::parse_any);
        request.fetch_policy = FetchPolicy::NoCache;
        request
            .headers
            .push(("x-amz-client-mutation-id".into(), self.id.clone()));
        request
    }

    /// The variables, `None` when there are none.
    pub fn variables(&self) -> Option<&Value> {
        (!self.variables.is_null()).then_some(&self.variables)
    }

    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// A stored entry that cannot be read: kept, parked, for the app to see and discard.
    pub(crate) fn damaged(id: String, message: String) -> QueuedMutation {
        QueuedMutation {
            id,
            document: String::new(),
            operation_name: None,
            variables: Value::Null,
            auth_mode: None,
            optimistic: None,
            enqueued_at_ms: 0,
            attempts: 0,
            conflict_retries: 0,
            origin: None,
            parked: Some(Parked {
                reason: ParkReason::Rejected,
                message: format!("the stored entry cannot be read: {message}"),
                error_type: None,
                server_data: None,
                at_ms: crate::runtime::now_ms(),
            }),
        }
    }
}
