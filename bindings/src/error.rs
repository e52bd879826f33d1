//! The exceptions hosts see: one per core error kind, with the same `code` strings on every
//! platform, and the provider error hosts throw back.

use crate::types::{json_text, GraphQlError};
use appsync_core as core;

/// Everything a request can fail with (Kotlin: a sealed exception hierarchy; Swift: an enum).
#[derive(Debug, Clone, thiserror::Error, uniffi::Error)]
pub enum AppSyncException {
    #[error("{detail}")]
    Config {
        detail: String,
        source_name: String,
        key: String,
        expected: String,
        found: String,
    },
    #[error("{detail}")]
    InvalidDocument { detail: String },
    #[error("{detail}")]
    Auth { detail: String },
    #[error("{detail}")]
    Network { detail: String },
    #[error("the request timed out after {after_ms} ms")]
    Timeout { after_ms: u64 },
    #[error("{detail}")]
    Http {
        status: u16,
        error_type: Option<String>,
        detail: String,
        body: String,
    },
    #[error("{detail}")]
    GraphQl {
        detail: String,
        errors: Vec<GraphQlError>,
        data_json: Option<String>,
    },
    #[error("{detail}")]
    InvalidResponse { status: u16, detail: String },
    /// The local cache or its database failed; `corrupt` when the file is damaged (reset it).
    #[error("{detail}")]
    Cache { detail: String, corrupt: bool },
}

impl From<core::AppSyncError> for AppSyncException {
    fn from(error: core::AppSyncError) -> Self {
        let detail = error.to_string();
        match error {
            core::AppSyncError::Config(e) => AppSyncException::Config {
                detail,
                source_name: e.source_name,
                key: e.key,
                expected: e.expected,
                found: e.found,
            },
            core::AppSyncError::InvalidDocument(_) => AppSyncException::InvalidDocument { detail },
            core::AppSyncError::Auth { .. } => AppSyncException::Auth { detail },
            core::AppSyncError::Network { .. } => AppSyncException::Network { detail },
            core::AppSyncError::Timeout { after_ms } => AppSyncException::Timeout { after_ms },
            core::AppSyncError::Http {
                status,
                error_type,
                body,
                ..
            } => AppSyncException::Http {
                status,
                error_type,
                detail,
                body,
            },
            core::AppSyncError::GraphQl { errors, data } => AppSyncException::GraphQl {
                detail,
                errors: errors.into_iter().map(Into::into).collect(),
                data_json: data.as_ref().map(json_text),
            },
            core::AppSyncError::InvalidResponse { status, .. } => {
                AppSyncException::InvalidResponse { status, detail }
            }
            core::AppSyncError::Cache(e) => AppSyncException::Cache {
                detail,
                corrupt: matches!(
                    e,
                    core::cache::CacheError::Store(core::storage::StoreError::Corrupt(_))
                        | core::cache::CacheError::Damaged { .. }
                ),
            },
        }
    }
}

impl From<core::ConfigError> for AppSyncException {
    fn from(e: core::ConfigError) -> Self {
        core::AppSyncError::Config(e).into()
    }
}

/// What a host provider throws when it cannot produce a credential.
#[derive(Debug, Clone, thiserror::Error, uniffi::Error)]
pub enum ProviderException {
    #[error("{detail}")]
    Failed { detail: String },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for ProviderException {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        ProviderException::Failed {
            detail: format!("the provider threw: {}", e.reason),
        }
    }
}
