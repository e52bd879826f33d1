//! GraphQL operation documents: parsed once by our own parser (executable documents only),
//! checked before anything is sent, and printed back with `__typename` in every selection set (the
//! cache keys records by it).

pub mod ast;
mod document;
mod fragment;
mod parser;
mod print;
mod validate;

pub use parser::MAX_DEPTH;

pub use document::{Operation, OperationCache, OperationKind, VariableDefinition};
pub use fragment::Fragment;

/// A document that cannot be sent. Caught before any network I/O.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid GraphQL document: {message}")]
pub struct DocumentError {
    pub message: String,
}

impl DocumentError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        DocumentError {
            message: message.into(),
        }
    }
}
