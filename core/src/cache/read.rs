//! Reading a query back from records: the result in the shape the document asks for (aliases
//! included), what was missing, and every record the read touched (its dependencies).

use super::keys::{field_key, KeyConfig};
use super::selection::{response_key, Walk};
use super::{as_reference, root_key, Record};
use crate::graphql::ast::SelectionSet;
use crate::graphql::{Fragment, Operation, OperationKind};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Where records come from (owned when a source has to merge layers).
pub trait RecordSource {
    fn record(&self, key: &str) -> Option<Cow<'_, Record>>;
}

impl RecordSource for HashMap<String, Record> {
    fn record(&self, key: &str) -> Option<Cow<'_, Record>> {
        self.get(key).map(Cow::Borrowed)
    }
}

impl RecordSource for BTreeMap<String, Record> {
    fn record(&self, key: &str) -> Option<Cow<'_, Record>> {
        self.get(key).map(Cow::Borrowed)
    }
}

/// The outcome of a read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReadResult {
    /// The complete result, or `None` when anything was missing.
    pub data: Option<Value>,
    /// What could be read (missing fields left out).
    pub partial: Value,
    /// Paths of the fields the cache does not have.
    pub missing: Vec<String>,
    /// Keys of every record read (including ones that were absent).
    pub dependencies: BTreeSet<String>,
}

struct Reader<'r, 'd, S: RecordSource> {
    walk: &'r Walk<'d>,
    source: &'r S,
    missing: Vec<String>,
    dependencies: BTreeSet<String>,
}

/// Reads `operation` from `source`.
pub fn read<S: RecordSource>(
    operation: &Operation,
    variables: Option<&Value>,
    source: &S,
    _keys: &KeyConfig,
) -> ReadResult {
    let typename = match operation.kind() {
        OperationKind::Query => "Query",
        OperationKind::Mutation => "Mutation",
        OperationKind::Subscription => "Subscription",
    };
    read_at(
        &Walk::new(operation, variables),
        root_key(operation.kind()),
        Some(typename),
        source,
    )
}

/// Reads the entity record `key` through `fragment`; a record that is not cached is a miss.
pub fn read_fragment<S: RecordSource>(
    fragment: &Fragment,
    key: &str,
    variables: Option<&Value>,
    source: &S,
) -> ReadResult {
    if source.record(key).is_none() {
        let mut result = ReadResult {
            partial: Value::Null,
            missing: vec![key.to_owned()],
            ..ReadResult::default()
        };
        result.dependencies.insert(key.to_owned());
        return result;
    }
    read_at(
        &Walk::fragment(fragment, variables),
        key,
        Some(fragment.type_condition()),
        source,
    )
}

fn read_at<S: RecordSource>(
    walk: &Walk<'_>,
    root: &str,
    typename: Option<&str>,
    source: &S,
) -> ReadResult {
    let mut reader = Reader {
        walk,
        source,
        missing: Vec::new(),
        dependencies: BTreeSet::new(),
    };
    reader.dependencies.insert(root.to_owned());
    let record = source.record(root).unwrap_or_default();
    let partial = reader.read_fields(walk.root, &record, typename, "");
    let data = reader.missing.is_empty().then(|| partial.clone());
    ReadResult {
        data,
        partial,
        missing: reader.missing,
        dependencies: reader.dependencies,
    }
}

impl<'r, 'd, S: RecordSource> Reader<'r, 'd, S> {
    fn read_fields(
        &mut self,
        set: &'d SelectionSet,
        record: &Record,
        typename: Option<&str>,
        path: &str,
    ) -> Value {
        let typename = record
            .get("__typename")
            .and_then(Value::as_str)
            .or(typename);
        let mut out = Map::new();
        for field in self.walk.fields(set, typename) {
            let key = response_key(field);
            let field_path = if path.is_empty() {
                key.to_owned()
            } else {
                format!("{path}.{key}")
            };
            if field.name == "__typename" {
                match typename {
                    Some(t) => {
                        out.insert(key.to_owned(), Value::String(t.to_owned()));
                    }
                    None => self.missing.push(field_path),
                }
                continue;
            }
            let storage = field_key(&field.name, &self.walk.arguments(field));
            match record.get(&storage) {
                Some(value) => {
                    if let Some(v) = self.read_value(&field.selection_set, value, &field_path) {
                        out.insert(key.to_owned(), v);
                    }
                }
                None => self.missing.push(field_path),
            }
        }
        Value::Object(out)
    }

    fn read_value(&mut self, set: &'d SelectionSet, value: &Value, path: &str) -> Option<Value> {
        if set.items.is_empty() {
            return Some(value.clone());
        }
        if let Some(key) = as_reference(value) {
            self.dependencies.insert(key.to_owned());
            return match self.source.record(key) {
                Some(record) => Some(self.read_fields(set, &record, None, path)),
                None => {
                    self.missing.push(format!("{path} (record {key})"));
                    None
                }
            };
        }
        match value {
            Value::Null => Some(Value::Null),
            Value::Array(items) => Some(Value::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| {
                        self.read_value(set, item, &format!("{path}[{i}]"))
                            .unwrap_or(Value::Null)
                    })
                    .collect(),
            )),
            Value::Object(embedded) => Some(self.read_fields(set, embedded, None, path)),
            _ => {
                self.missing.push(path.to_owned());
                None
            }
        }
    }
}
