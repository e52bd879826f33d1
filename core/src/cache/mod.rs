//! The normalized cache (in progress): results are split into records by a key function
//! (`__typename:id` by default, per-type key fields or a custom function), referenced from their
//! parents as `{"__ref": key}`; root fields live in `ROOT_QUERY` (and `ROOT_MUTATION`,
//! `ROOT_SUBSCRIPTION`) under field keys that include their arguments. Reading walks a query's
//! selection set over the records and reports which records it depended on, so watched queries
//! re-run only when one of those changes.
//!
//! In memory, records are compact (`records`: interned keys, small value enums); their JSON form
//! ([`Record`]) is what the store persists and `extract` returns. [`normalize`] and [`read`] are
//! the pure parts; [`Cache`] keeps records (lazily loaded from a `storage::Store`, every base
//! write persisted), optimistic layers and watches.
//!
//! Where the data is JSON text anyway (the FFI, the browser), the text paths skip the
//! `serde_json::Value` tree: [`normalize_text`] / [`Cache::write_query_text`] normalize straight
//! from the text (same records and warnings as the tree walk), and [`read_text`] /
//! [`Cache::read_query_text`] write the result's JSON text straight from the records (byte for
//! byte `serde_json`'s text of the tree read). The live cache's text reads keep the text of each
//! record object they wrote (up to 8 MiB) and reuse it while none of the records it read has
//! changed, so re-reading a list after one item changed re-serializes only that item.

mod hash;
mod keys;
mod live;
mod normalize;
mod read;
mod records;
mod selection;
mod symset;

pub use keys::{field_key, KeyConfig, KeyFn};
pub use live::{Cache, CacheError, ChangeWatchHandle, FetchTicket, TextWriteError};
pub use normalize::{
    normalize, normalize_fragment, normalize_fragment_text, normalize_tape, normalize_text,
    Normalized, TapeChunk, TapeChunks, TapeError, WriteTape, TAPE_OBJECT_END,
};
pub use read::{
    read, read_fragment, read_fragment_text, read_text, FreshChunks, FreshTape, ReadResult,
    SegmentRead, TextRead, TAPE_END,
};
pub use records::RecordSet;

use serde_json::{Map, Value};

/// A record: field keys to values, where nested entities are `{"__ref": "<key>"}`.
pub type Record = Map<String, Value>;

/// A field's arguments in `operation` with `variables` substituted (absent variables left out).
pub(crate) fn field_arguments(
    operation: &crate::graphql::Operation,
    variables: Option<&Value>,
    field: &crate::graphql::ast::Field,
) -> Map<String, Value> {
    selection::Walk::new(operation, variables).arguments(field)
}

/// The record of a root type.
pub fn root_key(kind: crate::graphql::OperationKind) -> &'static str {
    match kind {
        crate::graphql::OperationKind::Query => "ROOT_QUERY",
        crate::graphql::OperationKind::Mutation => "ROOT_MUTATION",
        crate::graphql::OperationKind::Subscription => "ROOT_SUBSCRIPTION",
    }
}

/// A reference to another record.
pub fn reference(key: &str) -> Value {
    let mut map = Map::new();
    map.insert("__ref".into(), Value::String(key.to_owned()));
    Value::Object(map)
}

/// The key a `{"__ref": key}` value points to.
pub fn as_reference(value: &Value) -> Option<&str> {
    match value {
        Value::Object(map) if map.len() == 1 => map.get("__ref")?.as_str(),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod text_tests;
