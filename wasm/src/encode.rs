//! The core's results as the JSON shapes the TypeScript layer declares: responses
//! (`{data, errors}`), errors (`{name, code, message, ...fields}`, one `name` per JS error class)
//! and subscription events (`{type: ...}`).

use appsync_core::{
    AppSyncError, ConnectionState, GraphQLError, GraphQLResponse, SubscriptionEvent, TextResponse,
};
use serde_json::{json, Map, Value};

/// `{data, errors}`; `data` is `null` when absent and `errors` always an array.
pub fn response_to_json(response: &GraphQLResponse) -> Value {
    json!({
        "data": response.data.clone().unwrap_or(Value::Null),
        "errors": errors_to_json(&response.errors),
    })
}

/// `{data, errors}` as JSON text around the data's own text (no tree of the data is built).
pub fn text_response_to_json(response: &TextResponse) -> String {
    let errors = errors_to_json(response.errors()).to_string();
    let data = response.data_text().unwrap_or("null");
    let mut text = String::with_capacity(data.len() + errors.len() + 20);
    text.push_str("{\"data\":");
    text.push_str(data);
    text.push_str(",\"errors\":");
    text.push_str(&errors);
    text.push('}');
    text
}

fn errors_to_json(errors: &[GraphQLError]) -> Value {
    Value::Array(
        errors
            .iter()
            // Through its JSON text (the core's serializer of `GraphQLError`, not a second one).
            .map(|e| {
                serde_json::to_vec(e)
                    .ok()
                    .and_then(|text| serde_json::from_slice(&text).ok())
                    .unwrap_or_else(|| json!({"message": e.message}))
            })
            .collect(),
    )
}

/// The name of the JS error class for `error`.
pub fn error_class(error: &AppSyncError) -> &'static str {
    match error {
        AppSyncError::Config(_) => "ConfigError",
        AppSyncError::InvalidDocument(_) => "InvalidDocumentError",
        AppSyncError::Auth { .. } => "AuthError",
        AppSyncError::Network { .. } => "NetworkError",
        AppSyncError::Timeout { .. } => "TimeoutError",
        AppSyncError::Http { .. } => "HttpError",
        AppSyncError::GraphQl { .. } => "GraphQLResponseError",
        AppSyncError::InvalidResponse { .. } => "InvalidResponseError",
        #[cfg(feature = "offline")]
        AppSyncError::Cache(_) => "CacheError",
    }
}

/// `{name, code, message}` plus the fields of the variant, camelCase.
pub fn error_to_json(error: &AppSyncError) -> Map<String, Value> {
    let mut fields = Map::new();
    fields.insert("name".into(), json!(error_class(error)));
    fields.insert("code".into(), json!(error.code()));
    fields.insert("message".into(), json!(error.to_string()));
    match error {
        AppSyncError::Config(config) => {
            fields.insert("sourceName".into(), json!(config.source_name));
            fields.insert("key".into(), json!(config.key));
            fields.insert("expected".into(), json!(config.expected));
            fields.insert("found".into(), json!(config.found));
        }
        AppSyncError::InvalidDocument(_) | AppSyncError::Network { .. } => {}
        AppSyncError::Auth { mode, .. } => {
            let mode = mode.map(|m| m.appsync_name());
            fields.insert("authMode".into(), json!(mode));
        }
        AppSyncError::Timeout { after_ms } => {
            fields.insert("afterMs".into(), json!(after_ms));
        }
        AppSyncError::Http {
            status,
            error_type,
            body,
            ..
        } => {
            fields.insert("status".into(), json!(status));
            fields.insert("errorType".into(), json!(error_type));
            fields.insert("body".into(), json!(body));
        }
        AppSyncError::GraphQl { errors, data } => {
            fields.insert("errors".into(), errors_to_json(errors));
            fields.insert("data".into(), data.clone().unwrap_or(Value::Null));
        }
        AppSyncError::InvalidResponse { status, .. } => {
            fields.insert("status".into(), json!(status));
        }
        #[cfg(feature = "offline")]
        AppSyncError::Cache(e) => {
            let corrupt = matches!(
                e,
                appsync_core::cache::CacheError::Store(appsync_core::storage::StoreError::Corrupt(
                    _
                )) | appsync_core::cache::CacheError::Damaged { .. }
            );
            fields.insert("corrupt".into(), json!(corrupt));
        }
    }
    fields
}

/// `{type, ...}`. A `failed` event carries its error under `error` (as [`error_to_json`]).
pub fn event_to_json(event: &SubscriptionEvent) -> Value {
    match event {
        SubscriptionEvent::Started => json!({"type": "started"}),
        SubscriptionEvent::Data(data) => json!({"type": "data", "data": data}),
        SubscriptionEvent::Errors(errors) => {
            json!({"type": "errors", "errors": errors_to_json(errors)})
        }
        SubscriptionEvent::Resubscribed => json!({"type": "resubscribed"}),
        SubscriptionEvent::ConnectionState(state) => {
            json!({"type": "connectionState", "state": state_to_json(state)})
        }
        SubscriptionEvent::Completed => json!({"type": "completed"}),
        SubscriptionEvent::Failed(error) => {
            json!({"type": "failed", "error": Value::Object(error_to_json(error))})
        }
    }
}

fn state_to_json(state: &ConnectionState) -> Value {
    match state {
        ConnectionState::Connecting => json!({"status": "connecting"}),
        ConnectionState::Connected => json!({"status": "connected"}),
        ConnectionState::Disrupted { reason } => {
            json!({"status": "disrupted", "reason": reason})
        }
        ConnectionState::Reconnecting { attempt } => {
            json!({"status": "reconnecting", "attempt": attempt})
        }
        ConnectionState::Disconnected => json!({"status": "disconnected"}),
    }
}

/// A mutation's outcome: `{type: 'succeeded', data, errors}`, `{type: 'parked', reason, code,
/// message, error}` or `{type: 'discarded'}` (`error` is replaced by a JS `Error` at the boundary).
#[cfg(feature = "offline")]
pub fn outcome_to_json(outcome: &appsync_core::outbox::Outcome) -> Value {
    use appsync_core::outbox::Outcome;
    match outcome {
        Outcome::Succeeded { response } => json!({
            "type": "succeeded",
            "data": response.data.clone().unwrap_or(Value::Null),
            "errors": errors_to_json(&response.errors),
        }),
        Outcome::Parked { reason, error } => json!({
            "type": "parked",
            "reason": park_reason(*reason),
            "code": error.code(),
            "message": error.to_string(),
        }),
        Outcome::Discarded => json!({"type": "discarded"}),
    }
}

#[cfg(feature = "offline")]
fn park_reason(reason: appsync_core::outbox::ParkReason) -> &'static str {
    use appsync_core::outbox::ParkReason;
    match reason {
        ParkReason::Rejected => "REJECTED",
        ParkReason::Unauthorized => "UNAUTHORIZED",
        ParkReason::Conflict => "CONFLICT",
    }
}

/// An outbox event: `{type: 'enqueued' | 'sending' | 'retrying' | 'done' | 'network', ...}`.
#[cfg(feature = "offline")]
pub fn outbox_event_to_json(event: &appsync_core::outbox::OutboxEvent) -> Value {
    use appsync_core::outbox::OutboxEvent;
    match event {
        OutboxEvent::Enqueued { id } => json!({"type": "enqueued", "id": id}),
        OutboxEvent::Sending { id, attempt } => {
            json!({"type": "sending", "id": id, "attempt": attempt})
        }
        OutboxEvent::Retrying {
            id,
            attempt,
            delay_ms,
            error,
        } => json!({
            "type": "retrying", "id": id, "attempt": attempt, "delayMs": delay_ms,
            "code": error.code(), "message": error.to_string(),
        }),
        OutboxEvent::Done { id, outcome } => {
            json!({"type": "done", "id": id, "outcome": outcome_to_json(outcome)})
        }
        OutboxEvent::Network { online } => json!({"type": "network", "online": online}),
    }
}

/// A queued mutation: `{id, document, variables, optimisticResponse, enqueuedAtMs, attempts,
/// parked: null | {reason, message, errorType, serverData}}`.
#[cfg(feature = "offline")]
pub fn queued_to_json(entry: &appsync_core::outbox::QueuedMutation) -> Value {
    json!({
        "id": entry.id,
        "document": entry.document,
        "variables": entry.variables().cloned().unwrap_or(Value::Null),
        "optimisticResponse": entry.optimistic.clone().unwrap_or(Value::Null),
        "enqueuedAtMs": entry.enqueued_at_ms,
        "attempts": entry.attempts,
        "parked": entry.parked.as_ref().map_or(Value::Null, |p| json!({
            "reason": park_reason(p.reason),
            "message": p.message,
            "errorType": p.error_type,
            "serverData": p.server_data.clone().unwrap_or(Value::Null),
        })),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use appsync_core::AuthMode;

    #[test]
    fn responses_always_have_data_and_errors() {
        let response = GraphQLResponse::default();
        assert_eq!(
            response_to_json(&response),
            json!({"data": null, "errors": []})
        );
    }

    #[test]
    fn graphql_errors_keep_every_appsync_field() {
        let error = AppSyncError::GraphQl {
            errors: vec![GraphQLError {
                error_type: Some("Unauthorized".into()),
                path: Some(vec![json!("listSecrets")]),
                ..GraphQLError::new("Not Authorized")
            }],
            data: Some(json!({"listTodos": null})),
        };
        let fields = error_to_json(&error);
        assert_eq!(fields["name"], "GraphQLResponseError");
        assert_eq!(fields["code"], "GRAPHQL");
        assert_eq!(fields["errors"][0]["errorType"], "Unauthorized");
        assert_eq!(fields["errors"][0]["path"], json!(["listSecrets"]));
        assert_eq!(fields["data"], json!({"listTodos": null}));
    }

    #[cfg(feature = "offline")]
    #[test]
    fn outbox_outcomes_and_events_have_their_js_shapes() {
        use appsync_core::outbox::{OutboxEvent, Outcome, ParkReason};
        let parked = Outcome::Parked {
            reason: ParkReason::Conflict,
            error: AppSyncError::Network {
                message: "x".into(),
            },
        };
        let value = outcome_to_json(&parked);
        assert_eq!(value["type"], "parked");
        assert_eq!(value["reason"], "CONFLICT");
        assert_eq!(value["code"], "NETWORK");
        let event = outbox_event_to_json(&OutboxEvent::Done {
            id: "m".into(),
            outcome: Outcome::Discarded,
        });
        assert_eq!(
            event,
            json!({"type": "done", "id": "m", "outcome": {"type": "discarded"}})
        );
    }

    #[test]
    fn each_error_has_its_class_name_and_the_core_code() {
        let http = AppSyncError::Http {
            status: 401,
            error_type: Some("UnauthorizedException".into()),
            message: "no".into(),
            body: "{}".into(),
            retry_after_ms: None,
        };
        let fields = error_to_json(&http);
        assert_eq!(fields["name"], "HttpError");
        assert_eq!(fields["code"], "UNAUTHORIZED");
        assert_eq!(fields["status"], 401);
        assert_eq!(fields["errorType"], "UnauthorizedException");
        assert_eq!(fields["body"], "{}");

        let auth = AppSyncError::Auth {
            mode: Some(AuthMode::Lambda),
            message: "provider failed".into(),
        };
        let fields = error_to_json(&auth);
        assert_eq!(fields["name"], "AuthError");
        assert_eq!(fields["code"], "AUTH");
        assert_eq!(fields["authMode"], "AWS_LAMBDA");

        let timeout = error_to_json(&AppSyncError::Timeout { after_ms: 50 });
        assert_eq!(timeout["name"], "TimeoutError");
        assert_eq!(timeout["afterMs"], 50);
    }

    #[test]
    fn events_are_tagged_by_type() {
        assert_eq!(
            event_to_json(&SubscriptionEvent::Data(json!({"a": 1}))),
            json!({"type": "data", "data": {"a": 1}})
        );
        assert_eq!(
            event_to_json(&SubscriptionEvent::ConnectionState(
                ConnectionState::Reconnecting { attempt: 2 }
            )),
            json!({"type": "connectionState", "state": {"status": "reconnecting", "attempt": 2}})
        );
        let failed = event_to_json(&SubscriptionEvent::Failed(AppSyncError::Network {
            message: "gone".into(),
        }));
        assert_eq!(failed["type"], "failed");
        assert_eq!(failed["error"]["code"], "NETWORK");
    }
}
