//! The JS request object (`{query, variables?, operationName?, authMode?, headers?, timeoutMs?,
//! errorPolicy?}`, as JSON) read into the core's [`GraphQLRequest`]. Anything malformed is an
//! `InvalidDocument` error naming the field, never a panic.

use crate::describe::describe;
use appsync_core::graphql::DocumentError;
use appsync_core::{AppSyncError, AuthMode, ErrorPolicy, FetchPolicy, GraphQLRequest};
use serde_json::Value;
use std::time::Duration;

fn invalid(message: String) -> AppSyncError {
    AppSyncError::InvalidDocument(DocumentError { message })
}

/// Reads the JSON form of a JS request.
pub fn request_from_json(value: Value) -> Result<GraphQLRequest, AppSyncError> {
    let Value::Object(mut fields) = value else {
        return Err(invalid(format!(
            "the request must be an object {{query, variables?, ...}}, found {}",
            describe(&value)
        )));
    };
    let document = match take(&mut fields, "query") {
        Some(Value::String(text)) => text,
        other => {
            return Err(invalid(format!(
                "request.query must be a string holding the GraphQL document, found {}",
                describe_field(other.as_ref())
            )))
        }
    };
    let mut request = GraphQLRequest::new(document);
    match take(&mut fields, "variables") {
        None | Some(Value::Null) => {}
        Some(variables @ Value::Object(_)) => request.variables = Some(variables),
        Some(other) => {
            return Err(invalid(format!(
                "request.variables must be an object, found {}",
                describe(&other)
            )))
        }
    }
    match take(&mut fields, "operationName") {
        None | Some(Value::Null) => {}
        Some(Value::String(name)) => request.operation_name = Some(name),
        Some(other) => {
            return Err(invalid(format!(
                "request.operationName must be a string, found {}",
                describe(&other)
            )))
        }
    }
    match take(&mut fields, "authMode") {
        None | Some(Value::Null) => {}
        Some(Value::String(name)) => match AuthMode::parse_any(&name) {
            Some(mode) => request.auth_mode = Some(mode),
            None => {
                return Err(invalid(format!(
                    "request.authMode `{name}` is not one of API_KEY, AWS_IAM, \
                     AMAZON_COGNITO_USER_POOLS, OPENID_CONNECT, AWS_LAMBDA, NONE"
                )))
            }
        },
        Some(other) => {
            return Err(invalid(format!(
                "request.authMode must be a string, found {}",
                describe(&other)
            )))
        }
    }
    match take(&mut fields, "headers") {
        None | Some(Value::Null) => {}
        Some(Value::Object(headers)) => {
            for (name, value) in headers {
                match value {
                    Value::String(value) => request.headers.push((name, value)),
                    other => {
                        return Err(invalid(format!(
                            "request.headers.{name} must be a string, found {}",
                            describe(&other)
                        )))
                    }
                }
            }
        }
        Some(other) => {
            return Err(invalid(format!(
                "request.headers must be an object of strings, found {}",
                describe(&other)
            )))
        }
    }
    match take(&mut fields, "timeoutMs") {
        None | Some(Value::Null) => {}
        Some(Value::Number(ms)) => match ms.as_f64() {
            Some(ms) if ms.is_finite() && ms >= 0.0 => {
                request.timeout = Some(Duration::from_millis(ms as u64));
            }
            _ => {
                return Err(invalid(format!(
                    "request.timeoutMs must be a non-negative number of milliseconds, found {ms}"
                )))
            }
        },
        Some(other) => {
            return Err(invalid(format!(
                "request.timeoutMs must be a number, found {}",
                describe(&other)
            )))
        }
    }
    match take(&mut fields, "errorPolicy") {
        None | Some(Value::Null) => {}
        Some(Value::String(policy)) if policy == "none" => request.error_policy = ErrorPolicy::None,
        Some(Value::String(policy)) if policy == "all" => request.error_policy = ErrorPolicy::All,
        Some(other) => {
            return Err(invalid(format!(
                "request.errorPolicy must be 'none' or 'all', found {}",
                describe(&other)
            )))
        }
    }
    match take(&mut fields, "fetchPolicy") {
        None | Some(Value::Null) => {}
        Some(value) => match value.as_str().and_then(fetch_policy) {
            Some(policy) => request.fetch_policy = policy,
            None => {
                return Err(invalid(format!(
                    "request.fetchPolicy must be one of 'cache-first', 'cache-and-network', \
                     'network-only', 'cache-only', 'no-cache', found {}",
                    describe(&value)
                )))
            }
        },
    }
    Ok(request)
}

/// Apollo's names for the fetch policies.
fn fetch_policy(name: &str) -> Option<FetchPolicy> {
    Some(match name {
        "cache-first" => FetchPolicy::CacheFirst,
        "cache-and-network" => FetchPolicy::CacheAndNetwork,
        "network-only" => FetchPolicy::NetworkOnly,
        "cache-only" => FetchPolicy::CacheOnly,
        "no-cache" => FetchPolicy::NoCache,
        _ => return None,
    })
}

/// Moves field `name` out of `fields` (its slot keeps a `null` nobody reads). Unlike
/// `Map::remove` it needs none of the B-tree's rebalancing code, which nothing else in the
/// bundle uses.
pub(crate) fn take(fields: &mut serde_json::Map<String, Value>, name: &str) -> Option<Value> {
    fields.get_mut(name).map(Value::take)
}

fn describe_field(value: Option<&Value>) -> String {
    value.map(describe).unwrap_or_else(|| "nothing".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_every_field_of_a_js_request() {
        let request = request_from_json(json!({
            "query": "query Q($id: ID!) { getTodo(id: $id) { id } }",
            "variables": {"id": "1"},
            "operationName": "Q",
            "authMode": "AWS_IAM",
            "headers": {"x-trace": "abc"},
            "timeoutMs": 2500,
            "errorPolicy": "all",
            "fetchPolicy": "cache-only",
        }))
        .unwrap();
        assert_eq!(request.fetch_policy, FetchPolicy::CacheOnly);
        assert_eq!(request.variables, Some(json!({"id": "1"})));
        assert_eq!(request.operation_name.as_deref(), Some("Q"));
        assert_eq!(request.auth_mode, Some(AuthMode::Iam));
        assert_eq!(
            request.headers,
            vec![("x-trace".to_owned(), "abc".to_owned())]
        );
        assert_eq!(request.timeout, Some(Duration::from_millis(2500)));
        assert_eq!(request.error_policy, ErrorPolicy::All);
    }

    #[test]
    fn absent_and_null_options_take_the_defaults() {
        let request = request_from_json(json!({
            "query": "{ a }", "variables": null, "authMode": null, "timeoutMs": null
        }))
        .unwrap();
        assert_eq!(request.variables, None);
        assert_eq!(request.auth_mode, None);
        assert_eq!(request.timeout, None);
        assert_eq!(request.error_policy, ErrorPolicy::None);
    }

    #[test]
    fn malformed_requests_are_invalid_document_errors_naming_the_field() {
        let cases = [
            (json!("query { a }"), "the request must be an object"),
            (json!({}), "request.query"),
            (json!({"query": 5}), "request.query"),
            (
                json!({"query": "{ a }", "variables": [1]}),
                "request.variables",
            ),
            (
                json!({"query": "{ a }", "variables": "x"}),
                "request.variables",
            ),
            (json!({"query": "{ a }", "authMode": "COGNITO"}), "COGNITO"),
            (
                json!({"query": "{ a }", "headers": {"a": 1}}),
                "request.headers.a",
            ),
            (json!({"query": "{ a }", "timeoutMs": -1}), "timeoutMs"),
            (
                json!({"query": "{ a }", "errorPolicy": "some"}),
                "errorPolicy",
            ),
            (
                json!({"query": "{ a }", "fetchPolicy": "cache-maybe"}),
                "fetchPolicy",
            ),
        ];
        for (value, needle) in cases {
            let error = request_from_json(value.clone()).unwrap_err();
            assert_eq!(error.code(), "INVALID_DOCUMENT", "{value}");
            assert!(error.to_string().contains(needle), "{value}: {error}");
        }
    }
}
