//! The client's public error: one enum, each variant actionable, each with a stable `code()` the
//! bindings turn into Kotlin exceptions, Swift errors and JS `Error`s.

use crate::auth::AuthMode;
use crate::config::ConfigError;
use crate::graphql::DocumentError;
use crate::response::GraphQLError;
use serde_json::Value;

/// Everything that can go wrong with a request.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AppSyncError {
    /// The configuration cannot be used.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The document or its variables were rejected before sending.
    #[error(transparent)]
    InvalidDocument(#[from] DocumentError),
    /// No credential could be produced for the auth mode (missing provider, provider failed).
    #[error("auth{}: {message}", mode.map(|m| format!(" ({m})")).unwrap_or_default())]
    Auth {
        mode: Option<AuthMode>,
        message: String,
    },
    /// The server could not be reached, or the connection broke.
    #[error("network error: {message}")]
    Network { message: String },
    /// No answer within the request timeout.
    #[error("the request timed out after {after_ms} ms")]
    Timeout { after_ms: u64 },
    /// A non-2xx HTTP status (401 unauthorized, 403, 429, 5xx, ...), with the body kept.
    #[error("HTTP {status}{}: {message}", error_type.as_ref().map(|t| format!(" {t}")).unwrap_or_default())]
    Http {
        status: u16,
        error_type: Option<String>,
        message: String,
        body: String,
        /// The server's `Retry-After` (429, 503), in milliseconds from when it answered.
        retry_after_ms: Option<u64>,
    },
    /// The server answered with GraphQL errors; `data` keeps any partial result.
    #[error("GraphQL error: {}", first_message(errors))]
    GraphQl {
        errors: Vec<GraphQLError>,
        data: Option<Value>,
    },
    /// The server's answer was not a GraphQL response.
    #[error("invalid response (HTTP {status}): {message}")]
    InvalidResponse { status: u16, message: String },
    /// The local cache or its store failed (a corrupt or too-new store file, disk I/O).
    #[cfg(feature = "offline")]
    #[error("cache: {0}")]
    Cache(#[from] crate::cache::CacheError),
}

fn first_message(errors: &[GraphQLError]) -> String {
    match errors {
        [] => "no details".into(),
        [one] => one.to_string(),
        [first, rest @ ..] => format!("{first} (and {} more)", rest.len()),
    }
}

impl AppSyncError {
    /// A stable machine-readable code, the same on every platform.
    pub fn code(&self) -> &'static str {
        match self {
            AppSyncError::Config(_) => "CONFIG",
            AppSyncError::InvalidDocument(_) => "INVALID_DOCUMENT",
            AppSyncError::Auth { .. } => "AUTH",
            AppSyncError::Network { .. } => "NETWORK",
            AppSyncError::Timeout { .. } => "TIMEOUT",
            AppSyncError::Http {
                status: 401 | 403, ..
            } => "UNAUTHORIZED",
            AppSyncError::Http { .. } => "HTTP",
            AppSyncError::GraphQl { .. } => "GRAPHQL",
            AppSyncError::InvalidResponse { .. } => "INVALID_RESPONSE",
            #[cfg(feature = "offline")]
            AppSyncError::Cache(_) => "CACHE",
        }
    }

    /// True when trying again later may succeed (network, timeout, 429, 5xx).
    pub fn is_transient(&self) -> bool {
        match self {
            AppSyncError::Network { .. } | AppSyncError::Timeout { .. } => true,
            AppSyncError::Http { status, .. } => *status == 429 || *status >= 500,
            _ => false,
        }
    }
}
