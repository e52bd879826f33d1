//! Splitting a result into records by its selection set. Data that does not match the document
//! (a missing field, a scalar where an object was selected) is written as far as it is valid and
//! reported in `warnings`; nothing panics.

use super::keys::{field_key, KeyConfig};
use super::selection::{response_key, Walk};
use super::{reference, root_key, Record};
use crate::graphql::ast::SelectionSet;
use crate::graphql::{Fragment, Operation};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The records a result normalizes to (to merge into the cache), and what did not fit.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Normalized {
    pub records: BTreeMap<String, Record>,
    pub warnings: Vec<String>,
}

struct Writer<'w, 'd> {
    walk: &'w Walk<'d>,
    keys: &'w KeyConfig,
    out: Normalized,
}

/// Normalizes `data` (the response's `data`) of `operation`.
pub fn normalize(
    operation: &Operation,
    variables: Option<&Value>,
    data: &Value,
    keys: &KeyConfig,
) -> Normalized {
    normalize_at(
        &Walk::new(operation, variables),
        root_key(operation.kind()),
        data,
        keys,
    )
}

/// Normalizes `data` as the fields of the entity record `key`, shaped by `fragment`.
pub fn normalize_fragment(
    fragment: &Fragment,
    key: &str,
    variables: Option<&Value>,
    data: &Value,
    keys: &KeyConfig,
) -> Normalized {
    normalize_at(&Walk::fragment(fragment, variables), key, data, keys)
}

fn normalize_at(walk: &Walk<'_>, root: &str, data: &Value, keys: &KeyConfig) -> Normalized {
    let mut writer = Writer {
        walk,
        keys,
        out: Normalized::default(),
    };
    match data {
        Value::Object(object) => {
            let mut record = Record::new();
            writer.write_fields(writer.walk.root, object, &mut record, "");
            merge(
                writer.out.records.entry(root.to_owned()).or_default(),
                record,
            );
        }
        other => writer
            .out
            .warnings
            .push(format!("data: expected an object, found {}", kind(other))),
    }
    writer.out
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn merge(target: &mut Record, fields: Record) {
    for (k, v) in fields {
        target.insert(k, v);
    }
}

impl<'w, 'd> Writer<'w, 'd> {
    fn write_fields(
        &mut self,
        set: &'d SelectionSet,
        object: &Map<String, Value>,
        record: &mut Record,
        path: &str,
    ) {
        let typename = object.get("__typename").and_then(Value::as_str);
        for field in self.walk.fields(set, typename) {
            let key = response_key(field);
            let field_path = if path.is_empty() {
                key.to_owned()
            } else {
                format!("{path}.{key}")
            };
            let Some(value) = object.get(key) else {
                self.out
                    .warnings
                    .push(format!("{field_path}: missing from the result"));
                continue;
            };
            if field.name == "__typename" {
                record.insert("__typename".into(), value.clone());
                continue;
            }
            let storage = field_key(&field.name, &self.walk.arguments(field));
            if let Some(stored) = self.write_value(&field.selection_set, value, &field_path) {
                record.insert(storage, stored);
            }
        }
    }

    fn write_value(&mut self, set: &'d SelectionSet, value: &Value, path: &str) -> Option<Value> {
        if set.items.is_empty() {
            return Some(value.clone());
        }
        match value {
            Value::Null => Some(Value::Null),
            Value::Array(items) => Some(Value::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| {
                        self.write_value(set, item, &format!("{path}[{i}]"))
                            .unwrap_or(Value::Null)
                    })
                    .collect(),
            )),
            Value::Object(object) => {
                let mut fields = Record::new();
                self.write_fields(set, object, &mut fields, path);
                match self.keys.key_of(object) {
                    Some(key) => {
                        merge(self.out.records.entry(key.clone()).or_default(), fields);
                        Some(reference(&key))
                    }
                    None => Some(Value::Object(fields)),
                }
            }
            other => {
                self.out.warnings.push(format!(
                    "{path}: expected an object for its selection set, found {}",
                    kind(other)
                ));
                None
            }
        }
    }
}
