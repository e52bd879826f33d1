//! A GraphQL request and its per-request options (auth mode override, headers, timeout,
//! error policy).

use crate::auth::AuthMode;
use serde_json::Value;
use std::time::Duration;

/// What to do with GraphQL `errors` in a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ErrorPolicy {
    /// Any error makes the call fail with [`crate::AppSyncError::GraphQl`] (which keeps `data`).
    #[default]
    None,
    /// Return `data` and `errors` together as a response.
    All,
}

/// Where a query's result comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FetchPolicy {
    /// The cache when it holds the whole result, else the network.
    CacheFirst,
    /// The cache at once (when complete), then the network. `query` returns the network's
    /// result; `watch_query` delivers both.
    #[default]
    CacheAndNetwork,
    /// Always the network; the result is written to the cache.
    NetworkOnly,
    /// Never the network: a result the cache does not fully hold is a `CacheMiss` error.
    CacheOnly,
    /// The network, without reading or writing the cache.
    NoCache,
}

/// One query or mutation to send.
#[derive(Debug, Clone)]
pub struct GraphQLRequest {
    pub document: String,
    pub variables: Option<Value>,
    pub operation_name: Option<String>,
    /// Overrides the config's default auth mode (multi-auth).
    pub auth_mode: Option<AuthMode>,
    /// Extra headers for this request only.
    pub headers: Vec<(String, String)>,
    pub timeout: Option<Duration>,
    pub error_policy: ErrorPolicy,
    pub fetch_policy: FetchPolicy,
}

impl GraphQLRequest {
    pub fn new(document: impl Into<String>) -> Self {
        GraphQLRequest {
            document: document.into(),
            variables: None,
            operation_name: None,
            auth_mode: None,
            headers: Vec::new(),
            timeout: None,
            error_policy: ErrorPolicy::None,
            fetch_policy: FetchPolicy::default(),
        }
    }
    pub fn variables(mut self, variables: Value) -> Self {
        self.variables = Some(variables);
        self
    }
    pub fn operation_name(mut self, name: impl Into<String>) -> Self {
        self.operation_name = Some(name.into());
        self
    }
    pub fn auth_mode(mut self, mode: AuthMode) -> Self {
        self.auth_mode = Some(mode);
        self
    }
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }
    pub fn error_policy(mut self, policy: ErrorPolicy) -> Self {
        self.error_policy = policy;
        self
    }
    pub fn fetch_policy(mut self, policy: FetchPolicy) -> Self {
        self.fetch_policy = policy;
        self
    }
}
