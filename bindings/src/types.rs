//! Records and enums that cross the FFI, with their conversions from and to the core's types.
//! JSON values are carried as JSON text (`*_json` fields).

use appsync_core as core;
use serde_json::Value;
use std::collections::HashMap;

/// How a request authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum AuthMode {
    ApiKey,
    Iam,
    UserPools,
    Oidc,
    Lambda,
    None,
}

impl From<AuthMode> for core::AuthMode {
    fn from(mode: AuthMode) -> Self {
        match mode {
            AuthMode::ApiKey => core::AuthMode::ApiKey,
            AuthMode::Iam => core::AuthMode::Iam,
            AuthMode::UserPools => core::AuthMode::UserPools,
            AuthMode::Oidc => core::AuthMode::Oidc,
            AuthMode::Lambda => core::AuthMode::Lambda,
            AuthMode::None => core::AuthMode::None,
        }
    }
}

impl From<core::AuthMode> for AuthMode {
    fn from(mode: core::AuthMode) -> Self {
        match mode {
            core::AuthMode::ApiKey => AuthMode::ApiKey,
            core::AuthMode::Iam => AuthMode::Iam,
            core::AuthMode::UserPools => AuthMode::UserPools,
            core::AuthMode::Oidc => AuthMode::Oidc,
            core::AuthMode::Lambda => AuthMode::Lambda,
            core::AuthMode::None => AuthMode::None,
        }
    }
}

/// A query, mutation or subscription to send.
#[derive(Debug, Clone, uniffi::Record)]
pub struct GraphQlRequest {
    pub document: String,
    /// The variables as a JSON object's text.
    #[uniffi(default = None)]
    pub variables_json: Option<String>,
    #[uniffi(default = None)]
    pub operation_name: Option<String>,
    /// Overrides the config's default mode for this request.
    #[uniffi(default = None)]
    pub auth_mode: Option<AuthMode>,
    #[uniffi(default)]
    pub headers: HashMap<String, String>,
    #[uniffi(default = None)]
    pub timeout_ms: Option<u64>,
    /// Return data and errors together instead of failing on GraphQL errors.
    #[uniffi(default = false)]
    pub partial_results: bool,
    /// Queries: where the result comes from (default cache-and-network). Mutations: `NoCache`
    /// keeps the result out of the cache.
    #[uniffi(default = None)]
    pub fetch_policy: Option<crate::cache::FetchPolicy>,
}

/// `{line, column}` in the document as sent.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ErrorLocation {
    pub line: u64,
    pub column: u64,
}

/// One GraphQL error with every AppSync field.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct GraphQlError {
    pub message: String,
    pub error_type: Option<String>,
    pub error_info_json: Option<String>,
    /// For conflicts: the server's current item.
    pub data_json: Option<String>,
    pub path_json: Option<String>,
    pub locations: Vec<ErrorLocation>,
}

/// A response: data and errors may both be present.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct GraphQlResponse {
    pub data_json: Option<String>,
    pub errors: Vec<GraphQlError>,
}

/// The state of a subscription's connection.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum ConnectionState {
    Connecting,
    Connected,
    Disrupted { reason: String },
    Reconnecting { attempt: u32 },
    Disconnected,
}

/// What a subscription delivers.
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum SubscriptionEvent {
    Started,
    Data {
        data_json: String,
    },
    Errors {
        errors: Vec<GraphQlError>,
    },
    /// Live again after a reconnect: catch up now.
    Resubscribed,
    ConnectionChanged {
        state: ConnectionState,
    },
    Completed,
    /// Ended with an error; `code` is the same as the exceptions' codes.
    Failed {
        code: String,
        message: String,
        errors: Vec<GraphQlError>,
    },
}

pub(crate) fn json_text(value: &Value) -> String {
    value.to_string()
}

impl From<core::GraphQLError> for GraphQlError {
    fn from(e: core::GraphQLError) -> Self {
        GraphQlError {
            message: e.message,
            error_type: e.error_type,
            error_info_json: e
                .error_info
                .as_ref()
                .filter(|v| !v.is_null())
                .map(json_text),
            data_json: e.data.as_ref().filter(|v| !v.is_null()).map(json_text),
            path_json: e.path.as_ref().map(|p| json_text(&Value::Array(p.clone()))),
            locations: e
                .locations
                .unwrap_or_default()
                .into_iter()
                .map(|l| ErrorLocation {
                    line: l.line,
                    column: l.column,
                })
                .collect(),
        }
    }
}

impl From<core::GraphQLResponse> for GraphQlResponse {
    fn from(r: core::GraphQLResponse) -> Self {
        GraphQlResponse {
            data_json: r.data.as_ref().map(json_text),
            errors: r.errors.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<core::TextResponse> for GraphQlResponse {
    fn from(r: core::TextResponse) -> Self {
        let (data_json, errors) = r.into_parts();
        GraphQlResponse {
            data_json,
            errors: errors.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<core::ConnectionState> for ConnectionState {
    fn from(state: core::ConnectionState) -> Self {
        match state {
            core::ConnectionState::Connecting => ConnectionState::Connecting,
            core::ConnectionState::Connected => ConnectionState::Connected,
            core::ConnectionState::Disrupted { reason } => ConnectionState::Disrupted { reason },
            core::ConnectionState::Reconnecting { attempt } => {
                ConnectionState::Reconnecting { attempt }
            }
            core::ConnectionState::Disconnected => ConnectionState::Disconnected,
        }
    }
}

impl From<core::SubscriptionEvent> for SubscriptionEvent {
    fn from(event: core::SubscriptionEvent) -> Self {
        match event {
            core::SubscriptionEvent::Started => SubscriptionEvent::Started,
            core::SubscriptionEvent::Data(data) => SubscriptionEvent::Data {
                data_json: json_text(&data),
            },
            core::SubscriptionEvent::Errors(errors) => SubscriptionEvent::Errors {
                errors: errors.into_iter().map(Into::into).collect(),
            },
            core::SubscriptionEvent::Resubscribed => SubscriptionEvent::Resubscribed,
            core::SubscriptionEvent::ConnectionState(state) => {
                SubscriptionEvent::ConnectionChanged {
                    state: state.into(),
                }
            }
            core::SubscriptionEvent::Completed => SubscriptionEvent::Completed,
            core::SubscriptionEvent::Failed(error) => {
                let errors = match &error {
                    core::AppSyncError::GraphQl { errors, .. } => {
                        errors.iter().cloned().map(Into::into).collect()
                    }
                    _ => Vec::new(),
                };
                SubscriptionEvent::Failed {
                    code: error.code().to_owned(),
                    message: error.to_string(),
                    errors,
                }
            }
        }
    }
}
