//! AppSync's `graphql-ws` dialect (PROTOCOL.md §3): the messages a client sends and the typed
//! messages it receives. Anything the server sends that does not fit is an error value, never a
//! panic.

use crate::response::GraphQLError;
use serde_json::{json, Map, Value};

/// A message from the server.
#[derive(Debug, Clone, PartialEq)]
pub enum ServerMessage {
    /// `connectionTimeoutMs` (real AppSync) or `connectionTimeout` (AWS's simulator).
    ConnectionAck {
        timeout_ms: Option<u64>,
    },
    ConnectionError {
        errors: Vec<GraphQLError>,
    },
    Ka,
    StartAck {
        id: String,
    },
    Data {
        id: String,
        data: Value,
        errors: Vec<GraphQLError>,
    },
    Error {
        id: Option<String>,
        errors: Vec<GraphQLError>,
    },
    Complete {
        id: String,
    },
}

fn errors_of(payload: Option<&Value>) -> Vec<GraphQLError> {
    let list = payload
        .and_then(|p| p.get("errors"))
        .unwrap_or(&Value::Null);
    match graphql_errors(list) {
        Some(errors) if !errors.is_empty() => errors,
        _ => match payload {
            // Some servers put a single error or a message straight in the payload.
            Some(Value::Object(p)) if p.get("message").is_some() => {
                graphql_errors(&Value::Array(vec![Value::Object(p.clone())])).unwrap_or_default()
            }
            _ => Vec::new(),
        },
    }
}

/// `list` as GraphQL errors, read from its JSON text: the same result as `from_value`, through the
/// one deserializer of `GraphQLError` the HTTP responses use (a second one costs the web build).
fn graphql_errors(list: &Value) -> Option<Vec<GraphQLError>> {
    serde_json::from_slice(crate::json_text(list).as_bytes()).ok()
}

/// Parses one text frame.
pub fn parse(text: &str) -> Result<ServerMessage, String> {
    // From bytes: one JSON parser in the web build (the same result and errors as from_str).
    let value: Value =
        serde_json::from_slice(text.as_bytes()).map_err(|e| format!("not JSON: {e}"))?;
    let kind = value
        .get("type")
        .and_then(Value::as_str)
        .ok_or("no `type`")?;
    let id = value.get("id").and_then(Value::as_str).map(str::to_owned);
    let payload = value.get("payload");
    let need_id = |id: Option<String>| id.ok_or_else(|| format!("`{kind}` without an `id`"));
    Ok(match kind {
        "connection_ack" => ServerMessage::ConnectionAck {
            timeout_ms: payload
                .and_then(|p| {
                    p.get("connectionTimeoutMs")
                        .or_else(|| p.get("connectionTimeout"))
                })
                .and_then(Value::as_u64),
        },
        "connection_error" => ServerMessage::ConnectionError {
            errors: errors_of(payload),
        },
        "ka" => ServerMessage::Ka,
        "start_ack" => ServerMessage::StartAck { id: need_id(id)? },
        "data" => {
            let data = payload
                .and_then(|p| p.get("data"))
                .cloned()
                .unwrap_or(Value::Null);
            ServerMessage::Data {
                id: need_id(id)?,
                data,
                errors: errors_of(payload),
            }
        }
        "error" => ServerMessage::Error {
            id,
            errors: errors_of(payload),
        },
        "complete" => ServerMessage::Complete { id: need_id(id)? },
        other => return Err(format!("unknown message type `{other}`")),
    })
}

pub fn connection_init() -> String {
    crate::json_text(&json!({"type": "connection_init"}))
}

pub fn start(id: &str, data: &str, authorization: &Map<String, Value>) -> String {
    crate::json_text(
        &json!({"id": id, "type": "start", "payload": {"data": data, "extensions": {"authorization": authorization}}}),
    )
}

pub fn stop(id: &str) -> String {
    crate::json_text(&json!({"id": id, "type": "stop"}))
}

/// The `?header=…&payload=e30=` handshake form (base64 of the auth header object).
pub fn query_string_url(url: &str, authorization: &Map<String, Value>) -> String {
    let header = crate::base64::encode_standard(
        crate::json_text(&Value::Object(authorization.clone())).as_bytes(),
    );
    let encoded = crate::url::encode_query_value(&header);
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}header={encoded}&payload=e30%3D")
}

/// The `header-<base64url>` subprotocol handshake form.
pub fn header_subprotocol(authorization: &Map<String, Value>) -> String {
    let encoded = crate::base64::encode_url_safe(
        crate::json_text(&Value::Object(authorization.clone())).as_bytes(),
    );
    format!("header-{encoded}")
}

/// True for errors that mean "your credential was not accepted".
pub fn is_auth_error(errors: &[GraphQLError]) -> bool {
    errors.iter().any(|e| {
        let t = e.error_type.as_deref().unwrap_or_default();
        t.contains("Unauthorized")
            || t == "ExpiredTokenException"
            || t == "UnrecognizedClientException"
            || t.contains("InvalidSignature")
            || e.message.contains("401")
    })
}

pub fn is_max_subscriptions(errors: &[GraphQLError]) -> bool {
    errors
        .iter()
        .any(|e| e.error_type.as_deref() == Some("MaxSubscriptionsReachedError"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_server_message_and_both_timeout_spellings() {
        assert_eq!(
            parse(r#"{"type":"connection_ack","payload":{"connectionTimeoutMs":300000}}"#).unwrap(),
            ServerMessage::ConnectionAck {
                timeout_ms: Some(300_000)
            }
        );
        assert_eq!(
            parse(r#"{"type":"connection_ack","payload":{"connectionTimeout":1000}}"#).unwrap(),
            ServerMessage::ConnectionAck {
                timeout_ms: Some(1000)
            }
        );
        assert_eq!(parse(r#"{"type":"ka"}"#).unwrap(), ServerMessage::Ka);
        let data =
            parse(r#"{"type":"data","id":"1","payload":{"data":{"onX":{"id":"a"}}}}"#).unwrap();
        assert!(matches!(data, ServerMessage::Data { ref id, .. } if id == "1"));
        let error = parse(r#"{"type":"error","id":"1","payload":{"errors":[{"errorType":"MaxSubscriptionsReachedError","message":"max"}]}}"#).unwrap();
        let ServerMessage::Error { errors, .. } = error else {
            panic!()
        };
        assert!(is_max_subscriptions(&errors));
    }

    #[test]
    fn garbage_is_an_error_value() {
        for frame in [
            "",
            "nope",
            "[]",
            r#"{"type":5}"#,
            r#"{"type":"data"}"#,
            r#"{"type":"wat"}"#,
            r#"{"type":"start_ack"}"#,
        ] {
            assert!(parse(frame).is_err(), "{frame}");
        }
    }

    #[test]
    fn encodes_both_handshake_forms() {
        let mut auth = Map::new();
        auth.insert("host".into(), json!("example.com"));
        let url = query_string_url("wss://example.com/graphql/realtime", &auth);
        assert!(url.ends_with("&payload=e30%3D"));
        assert!(url.contains("?header=eyJob3N0"));
        assert!(header_subprotocol(&auth).starts_with("header-eyJob3N0"));
    }
}
