//! The GraphQL response as AppSync sends it: `data` and `errors` together, with every AppSync
//! error field kept (`errorType`, `errorInfo`, `data`, `path`, `locations`).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;

/// A `{line, column}` in the document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorLocation {
    pub line: u64,
    pub column: u64,
}

/// One entry of `errors`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GraphQLError {
    #[serde(default)]
    pub message: String,
    /// e.g. `Unauthorized`, `ConflictUnhandled`, `DynamoDB:ConditionalCheckFailedException`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_info: Option<Value>,
    /// For conflicts: the server's current item (may be null).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<Vec<Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locations: Option<Vec<ErrorLocation>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extensions: Option<Value>,
}

impl GraphQLError {
    pub fn new(message: impl Into<String>) -> Self {
        GraphQLError {
            message: message.into(),
            error_type: None,
            error_info: None,
            data: None,
            path: None,
            locations: None,
            extensions: None,
        }
    }
}

impl fmt::Display for GraphQLError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.error_type {
            Some(t) => write!(f, "{t}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// A GraphQL response. Both fields may be present (partial success).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct GraphQLResponse {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<GraphQLError>,
}

impl GraphQLResponse {
    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }
}
