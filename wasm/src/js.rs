//! Crossing the JS boundary: JS values to and from `serde_json` through the browser's own
//! `JSON` (no serializer of ours in the bundle), typed errors as JS `Error`s with `name`, `code`
//! and their fields, and a readable message for whatever a JS function threw.

use crate::encode::{error_to_json, event_to_json};
use appsync_core::{AppSyncError, SubscriptionEvent};
use serde_json::Value;
use wasm_bindgen::{JsCast, JsValue};

/// A promise of `future`'s result, like `future_to_promise`; the future is boxed first, so that
/// function and the executor's spawning exist once in the bundle instead of once per method.
pub fn promise(
    future: impl std::future::Future<Output = Result<JsValue, JsValue>> + 'static,
) -> js_sys::Promise {
    let future: std::pin::Pin<Box<dyn std::future::Future<Output = Result<JsValue, JsValue>>>> =
        Box::pin(future);
    wasm_bindgen_futures::future_to_promise(future)
}

/// The JSON form of a JS value (`undefined`, functions and symbols become `null`).
pub fn to_json(value: &JsValue) -> Result<Value, String> {
    let text = to_json_text(value)?;
    // From bytes, as the core parses: one JSON parser in the bundle.
    serde_json::from_slice(text.as_bytes()).map_err(|e| e.to_string())
}

/// The JSON text of a JS value, by the browser's own `JSON.stringify` (`undefined`, functions
/// and symbols become `null`).
pub fn to_json_text(value: &JsValue) -> Result<String, String> {
    if value.is_undefined() {
        return Ok("null".into());
    }
    let text = js_sys::JSON::stringify(value).map_err(|e| describe_thrown(&e))?;
    // `undefined` for a function, a symbol, or a `toJSON` that returns nothing: "null" below.
    if !text.is_string() {
        return Ok("null".into());
    }
    Ok(string_of(&text))
}

/// A JS string's text (a long one through the engine's `TextEncoder`).
pub fn string_of(text: &js_sys::JsString) -> String {
    if text.length() >= LONG_TEXT {
        if let Some(text) = utf8_of_long(text) {
            return text;
        }
    }
    String::from(text)
}

/// From this many UTF-16 units on, text crosses into wasm through the engine's `TextEncoder`.
const LONG_TEXT: u32 = 4096;

/// A long JS string as UTF-8, encoded by the engine's `TextEncoder` and copied in at once:
/// `as_string` copies ASCII a character at a time in JS (about 12 ms for a 2.4 MB result
/// under Node). `None` where there is no `TextEncoder`.
fn utf8_of_long(text: &js_sys::JsString) -> Option<String> {
    thread_local! {
        static ENCODE: Option<(JsValue, js_sys::Function)> = text_encoder();
    }
    let bytes = ENCODE.with(|encode| {
        let (encoder, encode) = encode.as_ref()?;
        encode.call1(encoder, text).ok()
    })?;
    let bytes = bytes.dyn_into::<js_sys::Uint8Array>().ok()?.to_vec();
    // `TextEncoder` writes UTF-8 (a lone surrogate becomes U+FFFD, as `as_string` makes it).
    String::from_utf8(bytes).ok()
}

fn text_encoder() -> Option<(JsValue, js_sys::Function)> {
    let class = js_sys::Reflect::get(&js_sys::global(), &"TextEncoder".into()).ok()?;
    let class = class.dyn_into::<js_sys::Function>().ok()?;
    let encoder = js_sys::Reflect::construct(&class, &js_sys::Array::new()).ok()?;
    let encode = js_sys::Reflect::get(&encoder, &"encode".into()).ok()?;
    Some((encoder, encode.dyn_into().ok()?))
}

/// The JS value of JSON text (by the browser's own `JSON.parse`).
pub fn from_json_text(text: &str) -> JsValue {
    js_sys::JSON::parse(text).unwrap_or(JsValue::NULL)
}

/// The JS value of a JSON value.
pub fn from_json(value: &Value) -> JsValue {
    match serde_json::to_string(value) {
        Ok(text) => js_sys::JSON::parse(&text).unwrap_or(JsValue::NULL),
        Err(_) => JsValue::NULL,
    }
}

/// A JS `Error` whose `name` is the error's class (`HttpError`, ...), with `code` and the
/// variant's fields; the TypeScript layer turns it into an instance of that class.
pub fn error_value(error: &AppSyncError) -> JsValue {
    let fields = Value::Object(error_to_json(error));
    let js_error = js_sys::Error::new(&error.to_string());
    if let Ok(fields) = from_json(&fields).dyn_into::<js_sys::Object>() {
        js_sys::Object::assign(&js_error, &fields);
    }
    js_error.into()
}

/// A subscription event for the JS callback; a `failed` event's `error` is a JS `Error`.
pub fn event_value(event: &SubscriptionEvent) -> JsValue {
    let value = from_json(&event_to_json(event));
    if let SubscriptionEvent::Failed(error) = event {
        let _ = js_sys::Reflect::set(&value, &JsValue::from_str("error"), &error_value(error));
    }
    value
}

/// What a JS function threw or rejected with, as text: an `Error`'s message, a string as is,
/// anything else by its JSON.
pub fn describe_thrown(value: &JsValue) -> String {
    if let Some(error) = value.dyn_ref::<js_sys::Error>() {
        let message = String::from(error.message());
        let name = String::from(error.name());
        return if name.is_empty() || name == "Error" {
            message
        } else {
            format!("{name}: {message}")
        };
    }
    if let Some(text) = value.as_string() {
        return text;
    }
    match js_sys::JSON::stringify(value)
        .ok()
        .and_then(|t| t.as_string())
    {
        Some(text) => text,
        None => "a value that is not an Error".into(),
    }
}
