//! The stored shapes, and failures as `StoreError`s. A record or meta row is `{ns, key, value}`
//! keyed by `[ns, key]`; an outbox row is `{seq, ns, id, payload}` keyed by its generated `seq`.
//! Bytes are `Uint8Array`s. One namespace's keys are everything from `[ns]` to `[ns, []]`: a
//! shorter array sorts first, and an array after any string or number.

use crate::storage::StoreError;
use idb::KeyRange;
use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::DomException;

/// The key `[ns, key]` (also `[ns, id]` in the outbox's id index).
pub(super) fn key(ns: &str, key: &str) -> JsValue {
    Array::of2(&ns.into(), &key.into()).into()
}

/// Every key of namespace `ns`, in the stores and in the outbox's indexes.
pub(super) fn namespace(ns: &str) -> Result<KeyRange, StoreError> {
    let lower = Array::of1(&ns.into());
    let upper = Array::of2(&ns.into(), &Array::new());
    KeyRange::bound(&lower, &upper, Some(false), Some(false)).map_err(failed("key range"))
}

/// A record or meta row.
pub(super) fn keyed(ns: &str, key: &str, value: &[u8]) -> Result<JsValue, StoreError> {
    let row = Object::new();
    set(&row, "ns", &ns.into())?;
    set(&row, "key", &key.into())?;
    set(&row, "value", &Uint8Array::from(value))?;
    Ok(row.into())
}

/// An outbox row; without `seq` the store generates the next one.
pub(super) fn entry(
    ns: &str,
    id: &str,
    payload: &[u8],
    seq: Option<&JsValue>,
) -> Result<JsValue, StoreError> {
    let row = Object::new();
    if let Some(seq) = seq {
        set(&row, "seq", seq)?;
    }
    set(&row, "ns", &ns.into())?;
    set(&row, "id", &id.into())?;
    set(&row, "payload", &Uint8Array::from(payload))?;
    Ok(row.into())
}

fn set(row: &Object, field: &str, value: &JsValue) -> Result<(), StoreError> {
    match Reflect::set(row, &field.into(), value) {
        Ok(true) => Ok(()),
        _ => Err(StoreError::Io(format!("cannot build a row's `{field}`"))),
    }
}

fn field(row: &JsValue, field: &str) -> JsValue {
    Reflect::get(row, &field.into()).unwrap_or(JsValue::UNDEFINED)
}

fn malformed(what: &str) -> StoreError {
    StoreError::Io(format!("a stored row has no valid {what}"))
}

pub(super) fn bytes(row: &JsValue, name: &str) -> Result<Vec<u8>, StoreError> {
    field(row, name)
        .dyn_into::<Uint8Array>()
        .map(|array| array.to_vec())
        .map_err(|_| malformed(name))
}

pub(super) fn string(row: &JsValue, name: &str) -> Result<String, StoreError> {
    field(row, name).as_string().ok_or_else(|| malformed(name))
}

/// A generated sequence number (a positive integer, as a JS number).
fn seq(value: &JsValue) -> Result<u64, StoreError> {
    match value.as_f64() {
        Some(seq) if seq >= 1.0 && seq.fract() == 0.0 && seq <= 9_007_199_254_740_992.0 => {
            Ok(seq as u64)
        }
        _ => Err(malformed("seq")),
    }
}

/// An outbox row's `seq`.
pub(super) fn entry_seq(row: &JsValue) -> Result<u64, StoreError> {
    seq(&field(row, "seq"))
}

/// The `key` of a `[ns, key]` key.
pub(super) fn key_of(compound: &JsValue) -> Result<String, StoreError> {
    compound
        .dyn_ref::<Array>()
        .and_then(|parts| parts.get(1).as_string())
        .ok_or_else(|| malformed("key"))
}

/// A DOMException's name and message (they describe the failure, never the stored values).
pub(super) fn describe(exception: &DomException) -> String {
    format!("{}: {}", exception.name(), exception.message())
}

fn describe_idb(error: &idb::Error) -> String {
    match error {
        idb::Error::DomException(exception) => describe(exception),
        // Its display would print the unexpected value.
        idb::Error::UnexpectedJsType(expected, _) => format!("expected a {expected}"),
        other => other.to_string(),
    }
}

/// Maps an `idb` failure while doing `what` to `StoreError::Io`.
pub(super) fn failed(what: &'static str) -> impl Fn(idb::Error) -> StoreError {
    move |error| StoreError::Io(format!("IndexedDB {what} failed: {}", describe_idb(&error)))
}

/// Whether `error` is IndexedDB's `VersionError` (the database is newer than requested).
pub(super) fn is_version_error(error: &idb::Error) -> bool {
    matches!(error, idb::Error::DomException(e) if e.name() == "VersionError")
}
