//! The GraphQL response as AppSync sends it: `data` and `errors` together, with every AppSync
//! error field kept (`errorType`, `errorInfo`, `data`, `path`, `locations`).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;
use std::ops::Range;

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

/// A GraphQL response whose `data` is still the JSON text the server sent. The client writes
/// the cache straight from that text and the bindings hand it on as is, so a large result is
/// never built as a `Value` tree on its way to the app.
#[derive(Debug, Clone)]
pub struct TextResponse {
    /// Valid JSON text (the response body, or the cache's read) of which `data` is a span.
    text: String,
    data: Option<Range<usize>>,
    errors: Vec<GraphQLError>,
    /// The HTTP status it came with (200 for an answer from the cache).
    status: u16,
}

impl TextResponse {
    /// `text` must be valid JSON and `data` the span of a value in it.
    pub(crate) fn new(
        text: String,
        data: Option<Range<usize>>,
        errors: Vec<GraphQLError>,
        status: u16,
    ) -> TextResponse {
        TextResponse {
            text,
            data,
            errors,
            status,
        }
    }

    /// `data` as JSON text; `None` when absent or `null`.
    pub fn data_text(&self) -> Option<&str> {
        self.text.get(self.data.clone()?)
    }

    pub fn errors(&self) -> &[GraphQLError] {
        &self.errors
    }

    /// The HTTP status it came with (200 for an answer from the cache).
    #[cfg(feature = "offline")]
    pub(crate) fn status(&self) -> u16 {
        self.status
    }

    /// The data's text and the errors.
    pub fn into_parts(mut self) -> (Option<String>, Vec<GraphQLError>) {
        let data = match self.data {
            Some(span) if span == (0..self.text.len()) => Some(self.text),
            Some(span) => {
                self.text.truncate(span.end);
                Some(self.text.split_off(span.start))
            }
            None => None,
        };
        (data, self.errors)
    }

    /// The response with `data` parsed. The text is valid JSON (it was checked on arrival); a
    /// result nested deeper than `serde_json`'s limit of 128 is the one thing that fails here.
    pub fn into_response(self) -> Result<GraphQLResponse, crate::AppSyncError> {
        let data = self
            .data_text()
            .map(|text| serde_json::from_slice::<Value>(text.as_bytes()))
            .transpose()
            .map_err(|e| crate::AppSyncError::InvalidResponse {
                status: self.status,
                message: format!("the response's data cannot be read: {e}"),
            })?;
        Ok(GraphQLResponse {
            data,
            errors: self.errors,
        })
    }
}

/// A JSON value checked as strictly as parsing it into a `Value` checks it (string escapes,
/// lone surrogates included, numbers in range, nesting at most 128 deep), without building
/// anything: what makes a response's data text as trustworthy as a parsed tree.
/// (`serde::de::IgnoredAny` skips strings and numbers without those checks.)
#[derive(Debug)]
pub(crate) struct Checked;

impl<'de> Deserialize<'de> for Checked {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Checked, D::Error> {
        d.deserialize_any(CheckedVisitor)
    }
}

struct CheckedVisitor;

impl<'de> serde::de::Visitor<'de> for CheckedVisitor {
    type Value = Checked;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_bool<E>(self, _: bool) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_str<E>(self, _: &str) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Checked, A::Error> {
        while seq.next_element::<Checked>()?.is_some() {}
        Ok(Checked)
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Checked, A::Error> {
        while map.next_key::<Checked>()?.is_some() {
            map.next_value::<Checked>()?;
        }
        Ok(Checked)
    }
}

/// The span of member `name`'s value in `text`, a JSON object already known to be valid JSON
/// (scanned, not parsed: no value is built). `None` when `text` is not an object or has no such
/// member; if `text` were not valid JSON after all, `None` or a span that does not parse, never
/// a panic.
pub(crate) fn member_span(text: &str, name: &str) -> Option<Range<usize>> {
    let bytes = text.as_bytes();
    let mut at = skip_space(bytes, 0);
    if bytes.get(at) != Some(&b'{') {
        return None;
    }
    at += 1;
    loop {
        at = skip_space(bytes, at);
        if bytes.get(at) != Some(&b'"') {
            return None;
        }
        let key_end = skip_value(bytes, at)?;
        let key = text.get(at..key_end)?;
        let matches = if key.contains('\\') {
            serde_json::from_slice::<String>(key.as_bytes()).ok()? == name
        } else {
            key.get(1..key.len() - 1) == Some(name)
        };
        at = skip_space(bytes, key_end);
        if bytes.get(at) != Some(&b':') {
            return None;
        }
        let start = skip_space(bytes, at + 1);
        let end = skip_value(bytes, start)?;
        if matches {
            return Some(start..end);
        }
        at = skip_space(bytes, end);
        match bytes.get(at) {
            Some(b',') => at += 1,
            _ => return None,
        }
    }
}

fn skip_space(bytes: &[u8], mut at: usize) -> usize {
    while matches!(bytes.get(at), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        at += 1;
    }
    at
}

/// The end of the value starting at `at`.
fn skip_value(bytes: &[u8], mut at: usize) -> Option<usize> {
    let mut depth = 0usize;
    loop {
        match *bytes.get(at)? {
            b'"' => {
                at += 1;
                loop {
                    at += memchr::memchr2(b'"', b'\\', bytes.get(at..)?)?;
                    match bytes[at] {
                        b'"' => break,
                        _ => at += 2,
                    }
                }
                at += 1;
            }
            b'{' | b'[' => {
                depth += 1;
                at += 1;
            }
            b'}' | b']' => {
                depth = depth.checked_sub(1)?;
                at += 1;
            }
            // Between the values of an array or object.
            b',' | b':' | b' ' | b'\t' | b'\n' | b'\r' if depth > 0 => at += 1,
            // A number, `true`, `false` or `null`.
            _ => {
                while !matches!(
                    bytes.get(at),
                    None | Some(b',' | b'}' | b']' | b':' | b' ' | b'\t' | b'\n' | b'\r')
                ) {
                    at += 1;
                }
            }
        }
        if depth == 0 {
            return Some(at);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(text: &str, name: &str) -> Option<String> {
        member_span(text, name).map(|span| text[span].to_owned())
    }

    #[test]
    fn finds_a_member_s_value_without_parsing_it() {
        let text = r#" { "errors" : [ {"message":"a \" ] } {"} ] , "data" : {"a":[1, 2.5e3, true, null, "x\\"], "b":{}} } "#;
        assert_eq!(
            member(text, "data").as_deref(),
            Some(r#"{"a":[1, 2.5e3, true, null, "x\\"], "b":{}}"#)
        );
        assert_eq!(
            member(text, "errors").as_deref(),
            Some(r#"[ {"message":"a \" ] } {"} ]"#)
        );
        assert_eq!(member(text, "missing"), None);
        for (text, value) in [
            (r#"{"data":null}"#, "null"),
            (r#"{"data":12}"#, "12"),
            (r#"{"data":"s"}"#, r#""s""#),
            (r#"{"d\u0061ta":[]}"#, "[]"),
            (r#"{"x":{"data":1},"data":2}"#, "2"),
        ] {
            assert_eq!(member(text, "data").as_deref(), Some(value), "{text}");
        }
        assert_eq!(member(r#"[{"data":1}]"#, "data"), None);
        assert_eq!(member("", "data"), None);
    }

    #[test]
    fn broken_text_gives_none_or_a_span_never_a_panic() {
        for text in [
            "{",
            r#"{"data""#,
            r#"{"data":"#,
            r#"{"data":"ab"#,
            r#"{"data":[1,2"#,
            r#"{"data":}"#,
            r#"{"data":]]]}"#,
            r#"{"a\"#,
            r#"{"é":1,"data":"é"}"#,
            "{\"data\":\"\\",
        ] {
            if let Some(span) = member_span(text, "data") {
                assert!(text.get(span).is_some(), "{text}");
            }
        }
    }
}
