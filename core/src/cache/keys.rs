//! How records are keyed: the entity key of an object and the storage key of a field.

use serde_json::{Map, Value};
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

/// A custom key function (like Apollo's `dataIdFromObject`): `None` keeps the object embedded.
pub type KeyFn = Arc<dyn Fn(&Map<String, Value>) -> Option<String> + Send + Sync>;

/// Which objects become records, and under which key.
#[derive(Clone, Default)]
pub struct KeyConfig {
    /// Per-type key fields: `Type:{"a":1,"b":"x"}` instead of `Type:id`.
    pub key_fields: HashMap<String, Vec<String>>,
    /// Replaces the default for every type without key fields.
    pub key_fn: Option<KeyFn>,
}

impl fmt::Debug for KeyConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyConfig")
            .field("key_fields", &self.key_fields)
            .field("key_fn", &self.key_fn.is_some())
            .finish()
    }
}

fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

impl KeyConfig {
    /// The record key of an object, or `None` to embed it in its parent.
    pub fn key_of(&self, object: &Map<String, Value>) -> Option<String> {
        let typename = object.get("__typename").and_then(Value::as_str);
        if typename.is_none_or(|t| !self.key_fields.contains_key(t)) {
            if let Some(key_fn) = &self.key_fn {
                return key_fn(object);
            }
        }
        self.key_with(typename, |name| object.get(name))
    }

    /// The record key of an object of type `typename` whose fields `get` gives, for a config
    /// without a custom key function (or a type with key fields).
    pub(crate) fn key_with<'v>(
        &self,
        typename: Option<&str>,
        get: impl Fn(&str) -> Option<&'v Value>,
    ) -> Option<String> {
        if let Some(fields) = typename.and_then(|t| self.key_fields.get(t)) {
            let mut parts = Map::new();
            for field in fields {
                let value = get(field).filter(|v| !v.is_null())?;
                parts.insert(field.clone(), value.clone());
            }
            return Some(format!(
                "{}:{}",
                typename.unwrap_or_default(),
                crate::json_text(&Value::Object(parts))
            ));
        }
        let id = get("id").and_then(scalar_text)?;
        Some(format!("{}:{id}", typename?))
    }
}

/// The storage key of a field: its name, with its arguments as sorted JSON when it has any
/// (`listTodos({"filter":{…},"limit":10})`), so each argument set is cached on its own.
pub fn field_key(name: &str, arguments: &Map<String, Value>) -> String {
    if arguments.is_empty() {
        return name.to_owned();
    }
    // serde_json's map is ordered by key (BTreeMap) unless preserve_order is on; sort to be sure.
    format!("{name}({})", canonical_object(arguments))
}

/// JSON with object keys sorted at every depth, so equal arguments give equal keys.
fn canonical(value: &Value) -> String {
    match value {
        Value::Object(map) => canonical_object(map),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(canonical).collect::<Vec<_>>().join(",")
        ),
        other => crate::json_text(other),
    }
}

/// `{"key":value,...}` with the keys sorted (they are unique).
fn canonical_object(map: &Map<String, Value>) -> String {
    let mut entries: Vec<(&String, &Value)> = map.iter().collect();
    entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
    let body: Vec<String> = entries
        .iter()
        .map(|(k, v)| format!("{}:{}", string_text(k), canonical(v)))
        .collect();
    format!("{{{}}}", body.join(","))
}

/// A string as JSON text.
fn string_text(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn default_keys_are_typename_and_id() {
        let keys = KeyConfig::default();
        assert_eq!(
            keys.key_of(&obj(json!({"__typename": "Todo", "id": "1"})))
                .as_deref(),
            Some("Todo:1")
        );
        assert_eq!(
            keys.key_of(&obj(json!({"__typename": "Todo", "id": 7})))
                .as_deref(),
            Some("Todo:7")
        );
        assert_eq!(
            keys.key_of(&obj(json!({"__typename": "Todo"}))),
            None,
            "no id: embedded"
        );
        assert_eq!(
            keys.key_of(&obj(json!({"id": "1"}))),
            None,
            "no typename: embedded"
        );
        assert_eq!(
            keys.key_of(&obj(json!({"__typename": "Todo", "id": null}))),
            None
        );
    }

    #[test]
    fn key_fields_and_custom_functions() {
        let mut keys = KeyConfig::default();
        keys.key_fields
            .insert("Book".into(), vec!["isbn".into(), "edition".into()]);
        let book = obj(json!({"__typename": "Book", "isbn": "x", "edition": 2, "id": "ignored"}));
        assert_eq!(
            keys.key_of(&book).as_deref(),
            Some(r#"Book:{"edition":2,"isbn":"x"}"#)
        );
        keys.key_fn = Some(Arc::new(|o| {
            o.get("uuid")
                .and_then(Value::as_str)
                .map(|u| format!("U:{u}"))
        }));
        assert_eq!(
            keys.key_of(&obj(json!({"__typename": "Todo", "uuid": "u1"})))
                .as_deref(),
            Some("U:u1")
        );
    }

    #[test]
    fn field_keys_are_stable_for_equal_arguments() {
        let a = field_key(
            "listTodos",
            &obj(json!({"limit": 10, "filter": {"b": 1, "a": 2}})),
        );
        let b = field_key(
            "listTodos",
            &obj(json!({"filter": {"a": 2, "b": 1}, "limit": 10})),
        );
        assert_eq!(a, b);
        assert_eq!(a, r#"listTodos({"filter":{"a":2,"b":1},"limit":10})"#);
        assert_eq!(field_key("me", &Map::new()), "me");
    }
}
