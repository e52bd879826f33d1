//! Reading typed values out of a config file's JSON, with errors that name the key.

use super::error::{describe, ConfigError};
use serde_json::{Map, Value};

/// A JSON object from a named file, read with key paths for error messages.
pub(crate) struct Obj<'a> {
    pub source: &'a str,
    pub path: String,
    pub map: &'a Map<String, Value>,
}

impl<'a> Obj<'a> {
    pub fn root(source: &'a str, value: &'a Value) -> Result<Self, ConfigError> {
        match value {
            Value::Object(map) => Ok(Obj {
                source,
                path: String::new(),
                map,
            }),
            other => Err(ConfigError::new(
                source,
                "",
                "a JSON object",
                describe(Some(other)),
            )),
        }
    }

    pub fn key_path(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{}", self.path, key)
        }
    }

    pub fn error(&self, key: &str, expected: &str) -> ConfigError {
        ConfigError::new(
            self.source,
            self.key_path(key),
            expected,
            describe(self.map.get(key)),
        )
    }

    pub fn has(&self, key: &str) -> bool {
        self.map.get(key).is_some_and(|v| !v.is_null())
    }

    pub fn object(&self, key: &str) -> Result<Obj<'a>, ConfigError> {
        match self.map.get(key) {
            Some(Value::Object(map)) => Ok(Obj {
                source: self.source,
                path: self.key_path(key),
                map,
            }),
            _ => Err(self.error(key, "an object")),
        }
    }

    pub fn opt_object(&self, key: &str) -> Result<Option<Obj<'a>>, ConfigError> {
        if self.has(key) {
            self.object(key).map(Some)
        } else {
            Ok(None)
        }
    }

    pub fn string(&self, key: &str, expected: &str) -> Result<&'a str, ConfigError> {
        match self.map.get(key) {
            Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.as_str()),
            _ => Err(self.error(key, expected)),
        }
    }

    /// An optional string: absent, null and "" are `None`; another type is an error.
    pub fn opt_string(&self, key: &str, expected: &str) -> Result<Option<&'a str>, ConfigError> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            _ => Err(self.error(key, expected)),
        }
    }

    pub fn opt_array(&self, key: &str) -> Result<Option<&'a Vec<Value>>, ConfigError> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Array(items)) => Ok(Some(items)),
            _ => Err(self.error(key, "an array")),
        }
    }

    pub fn entries(&self) -> impl Iterator<Item = (&'a String, &'a Value)> {
        self.map.iter()
    }
}
