//! The realtime endpoint (`/graphql/realtime`), speaking AppSync's `graphql-ws` dialect
//! (PROTOCOL.md §3): handshake auth in all three forms, checked for real; `connection_init` /
//! `connection_ack` with `connectionTimeoutMs` and periodic `ka`; per-`start` authorization;
//! events from `@model` mutations shaped by each subscriber's selection set; AppSync's limits and
//! error shapes; and the socket faults (close all, withhold `ka`, refuse handshakes, delay).

use crate::api::subscription::PreparedSubscription;
use crate::api::{GraphQLBody, MutationEvent};
use crate::auth::{AuthFailure, Presented};
use crate::schema::AuthMode;
use crate::server::Shared;
use axum::body::Body;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::{HeaderMap, Response, StatusCode, Uri};
use axum::response::IntoResponse;
use base64::Engine;
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, mpsc};

/// What the realtime endpoint has seen, for tests.
#[derive(Debug, Default)]
pub struct RealtimeStats {
    /// WebSocket handshakes attempted (refused ones included).
    pub handshakes: std::sync::atomic::AtomicUsize,
    /// Subscriptions currently started, over all connections.
    pub active: std::sync::atomic::AtomicUsize,
    /// `stop` messages received.
    pub stops: std::sync::atomic::AtomicUsize,
}

/// Realtime settings of a server.
#[derive(Debug, Clone, Copy)]
pub struct RealtimeSettings {
    pub connection_timeout_ms: u64,
    pub ka_interval_ms: u64,
    pub max_subscriptions: usize,
}

fn decode_b64(text: &str) -> Option<Vec<u8>> {
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    let trimmed = text.trim_end_matches('=');
    URL_SAFE_NO_PAD
        .decode(trimmed)
        .ok()
        .or_else(|| STANDARD.decode(text).ok())
}

/// A JSON object of header names to values, as the three handshake forms carry it.
fn header_object(value: &Value) -> Option<Vec<(String, String)>> {
    let Value::Object(map) = value else {
        return None;
    };
    Some(
        map.iter()
            .filter_map(|(k, v)| match v {
                Value::String(s) => Some((k.to_ascii_lowercase(), s.clone())),
                Value::Number(n) => Some((k.to_ascii_lowercase(), n.to_string())),
                _ => None,
            })
            .collect(),
    )
}

/// The handshake's auth headers: `?header=` (form 1), a `header-…` subprotocol (form 2), or the
/// upgrade request's own headers (form 3).
fn handshake_headers(uri: &Uri, headers: &HeaderMap) -> Vec<(String, String)> {
    let from_query = uri.query().and_then(|q| {
        q.split('&').find_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            (k == "header").then(|| {
                percent_encoding::percent_decode_str(v)
                    .decode_utf8_lossy()
                    .into_owned()
            })
        })
    });
    let decoded = |encoded: &str| {
        decode_b64(encoded)
            .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
            .and_then(|v| header_object(&v))
    };
    if let Some(found) = from_query.as_deref().and_then(decoded) {
        return found;
    }
    let protocols = headers
        .get_all("sec-websocket-protocol")
        .iter()
        .filter_map(|v| v.to_str().ok());
    for list in protocols {
        for protocol in list.split(',').map(str::trim) {
            if let Some(found) = protocol.strip_prefix("header-").and_then(decoded) {
                return found;
            }
        }
    }
    headers
        .iter()
        .filter(|(k, _)| {
            !k.as_str().starts_with("sec-websocket")
                && k.as_str() != "upgrade"
                && k.as_str() != "connection"
        })
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

pub(crate) async fn realtime(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response<Body> {
    shared
        .realtime_stats
        .handshakes
        .fetch_add(1, Ordering::SeqCst);
    if shared.faults.take_handshake_rejection() {
        let mut response = Response::new(Body::from("handshake refused (injected)"));
        *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
        return response;
    }
    let auth = handshake_headers(&uri, &headers);
    let presented = Presented {
        method: "POST",
        path: "/graphql/connect",
        query: "",
        headers: &auth,
        body: b"{}",
    };
    let handshake = shared
        .auth
        .authenticate(&presented, shared.api.clock.now_ms());
    upgrade
        .protocols(["graphql-ws"])
        .on_upgrade(move |socket| connection(socket, shared, handshake))
        .into_response()
}

fn text(value: Value) -> Message {
    Message::Text(value.to_string().into())
}

fn error_message(id: Option<&str>, error_type: &str, message: &str) -> Value {
    let mut m = json!({"type": "error", "payload": {"errors": [{"errorType": error_type, "message": message}]}});
    if let Some(id) = id {
        m["id"] = json!(id);
    }
    m
}

/// One subscription on a connection.
struct Active {
    subscription: PreparedSubscription,
}

async fn connection(
    socket: WebSocket,
    shared: Arc<Shared>,
    handshake: Result<AuthMode, AuthFailure>,
) {
    let (mut sink, mut stream) = socket.split();
    let (out, mut outgoing) = mpsc::unbounded_channel::<Message>();
    let writer_shared = shared.clone();
    let writer = tokio::spawn(async move {
        while let Some(message) = outgoing.recv().await {
            let delay = writer_shared.faults.ws_delay();
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            let closing = matches!(message, Message::Close(_));
            if sink.send(message).await.is_err() || closing {
                break;
            }
        }
        let _ = sink.close().await;
    });

    let settings = shared.realtime;
    let mut events = shared.api.events.subscribe();
    let mut close_signal = shared.faults.close_signal();
    let mut ka = tokio::time::interval(Duration::from_millis(settings.ka_interval_ms.max(10)));
    ka.tick().await;
    let mut acked = false;
    let mut subscriptions: HashMap<String, Active> = HashMap::new();

    loop {
        tokio::select! {
            incoming = stream.next() => {
                let Some(Ok(message)) = incoming else { break };
                let frame = match message {
                    Message::Text(t) => t.to_string(),
                    Message::Close(_) => break,
                    Message::Binary(_) => {
                        let _ = out.send(text_error(None, "UnsupportedOperation", "Binary frames are not supported"));
                        continue;
                    }
                    _ => continue,
                };
                let Ok(parsed) = serde_json::from_str::<Value>(&frame) else {
                    let _ = out.send(text_error(None, "UnsupportedOperation", "Message is not JSON"));
                    continue;
                };
                let id = parsed.get("id").and_then(Value::as_str).map(str::to_owned);
                match parsed.get("type").and_then(Value::as_str) {
                    Some("connection_init") => match &handshake {
                        Ok(_) => {
                            acked = true;
                            let _ = out.send(text(json!({"type": "connection_ack", "payload": {"connectionTimeoutMs": settings.connection_timeout_ms}})));
                        }
                        Err(failure) => {
                            let _ = out.send(text(json!({"type": "connection_error", "payload": {"errors": [
                                {"errorType": failure.error_type, "message": failure.message, "errorCode": failure.status}
                            ]}})));
                            let _ = out.send(Message::Close(None));
                            break;
                        }
                    },
                    Some("start") => {
                        let Some(id) = id else {
                            let _ = out.send(text_error(None, "BadRequest", "start needs an id"));
                            continue;
                        };
                        if !acked {
                            let _ = out.send(text_error(Some(&id), "BadRequest", "start before connection_ack"));
                            continue;
                        }
                        let reply = start(&shared, &parsed, &id, &mut subscriptions, settings.max_subscriptions);
                        let _ = out.send(text(reply));
                    }
                    Some("stop") => {
                        shared.realtime_stats.stops.fetch_add(1, Ordering::SeqCst);
                        if let Some(id) = id {
                            if subscriptions.remove(&id).is_some() {
                                shared.realtime_stats.active.fetch_sub(1, Ordering::SeqCst);
                            }
                            let _ = out.send(text(json!({"type": "complete", "id": id})));
                        }
                    }
                    other => {
                        let message = format!("Unknown message type {}", other.unwrap_or("(none)"));
                        let _ = out.send(text_error(id.as_deref(), "UnsupportedOperation", &message));
                    }
                }
            }
            event = events.recv() => match event {
                Ok(event) => deliver(&shared, &event, &subscriptions, &out),
                Err(broadcast::error::RecvError::Lagged(n)) => tracing::warn!(missed = n, "subscriber lagged"),
                Err(broadcast::error::RecvError::Closed) => break,
            },
            _ = ka.tick() => {
                if acked && !shared.faults.ka_withheld() {
                    let _ = out.send(text(json!({"type": "ka"})));
                }
            }
            _ = close_signal.changed() => {
                let _ = out.send(Message::Close(None));
                break;
            }
        }
    }
    shared
        .realtime_stats
        .active
        .fetch_sub(subscriptions.len(), Ordering::SeqCst);
    drop(out);
    let _ = writer.await;
}

fn text_error(id: Option<&str>, error_type: &str, message: &str) -> Message {
    text(error_message(id, error_type, message))
}

fn start(
    shared: &Shared,
    message: &Value,
    id: &str,
    subscriptions: &mut HashMap<String, Active>,
    max: usize,
) -> Value {
    if subscriptions.contains_key(id) {
        return error_message(
            Some(id),
            "DuplicatedOperationError",
            &format!("Duplicate operation with id {id}"),
        );
    }
    if subscriptions.len() >= max {
        return error_message(
            Some(id),
            "MaxSubscriptionsReachedError",
            &format!("Max number of {max} subscriptions reached"),
        );
    }
    let payload = message.get("payload").cloned().unwrap_or(Value::Null);
    let Some(data) = payload.get("data").and_then(Value::as_str) else {
        return error_message(
            Some(id),
            "BadRequest",
            "payload.data must be the JSON string of {query, variables}",
        );
    };
    let body: GraphQLBody = match serde_json::from_str(data) {
        Ok(b) => b,
        Err(e) => {
            return error_message(
                Some(id),
                "BadRequest",
                &format!("payload.data is not a GraphQL request: {e}"),
            )
        }
    };
    let authorization = payload
        .pointer("/extensions/authorization")
        .and_then(header_object)
        .unwrap_or_default();
    let presented = Presented {
        method: "POST",
        path: "/graphql",
        query: "",
        headers: &authorization,
        body: data.as_bytes(),
    };
    let mode = match shared
        .auth
        .authenticate(&presented, shared.api.clock.now_ms())
    {
        Ok(mode) => mode,
        Err(failure) => {
            return json!({"type": "error", "id": id, "payload": {"errors": [
                {"errorType": failure.error_type, "message": failure.message, "errorCode": failure.status}
            ]}})
        }
    };
    match shared.api.prepare_subscription(&body, mode) {
        Ok(subscription) => {
            subscriptions.insert(id.to_owned(), Active { subscription });
            shared.realtime_stats.active.fetch_add(1, Ordering::SeqCst);
            json!({"type": "start_ack", "id": id})
        }
        Err(errors) => json!({"type": "error", "id": id, "payload": {"errors": errors}}),
    }
}

fn deliver(
    shared: &Shared,
    event: &MutationEvent,
    subscriptions: &HashMap<String, Active>,
    out: &mpsc::UnboundedSender<Message>,
) {
    for (id, active) in subscriptions {
        if let Some(data) = shared.api.subscription_payload(&active.subscription, event) {
            let _ = out.send(text(
                json!({"type": "data", "id": id, "payload": {"data": data}}),
            ));
        }
    }
}
