//! The typed error of configuration: which file, which key, what was expected, what was found.

use std::fmt;

/// A configuration that cannot be used. `Display` reads like
/// `amplify_outputs.json: data.url: expected an http(s) URL string, found 42`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    /// The file (or `<manual>` for the builder, `<json>` for text without a name).
    pub source_name: String,
    /// The dotted key path, e.g. `data.default_authorization_type`.
    pub key: String,
    /// What the key must hold.
    pub expected: String,
    /// What was there instead (`missing` when absent).
    pub found: String,
}

impl ConfigError {
    pub(crate) fn new(
        source_name: &str,
        key: impl Into<String>,
        expected: impl Into<String>,
        found: impl Into<String>,
    ) -> Self {
        ConfigError {
            source_name: source_name.to_owned(),
            key: key.into(),
            expected: expected.into(),
            found: found.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.key.is_empty() {
            write!(
                f,
                "{}: expected {}, found {}",
                self.source_name, self.expected, self.found
            )
        } else {
            write!(
                f,
                "{}: {}: expected {}, found {}",
                self.source_name, self.key, self.expected, self.found
            )
        }
    }
}

/// A short description of a JSON value for error messages; never echoes secrets in full.
pub(crate) fn describe(value: Option<&serde_json::Value>) -> String {
    use serde_json::Value;
    match value {
        None => "missing".into(),
        Some(Value::Null) => "null".into(),
        Some(Value::Bool(b)) => format!("boolean {b}"),
        Some(Value::Number(n)) => format!("number {n}"),
        Some(Value::String(s)) if s.is_empty() => "an empty string".into(),
        Some(Value::String(s)) => {
            let shown: String = s.chars().take(40).collect();
            format!("string \"{shown}\"")
        }
        Some(Value::Array(_)) => "an array".into(),
        Some(Value::Object(_)) => "an object".into(),
    }
}
