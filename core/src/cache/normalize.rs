//! Splitting a result into records by its selection set. Data that does not match the document
//! (a missing field, a scalar where an object was selected) is written as far as it is valid and
//! reported in `warnings`; nothing panics.

use super::hash::FastMap;
use super::keys::KeyConfig;
use super::records::{merge, set_field, Interner, Rec, RecordSet, Sym, Val};
use super::root_key;
use super::selection::Walk;
use crate::graphql::ast::{Field, SelectionSet};
use crate::graphql::{Fragment, Operation};
use serde_json::{Map, Value};

/// The records a result normalizes to (to merge into the cache), and what did not fit.
#[derive(Debug, Clone, Default)]
pub struct Normalized {
    pub records: RecordSet,
    pub warnings: Vec<String>,
}

/// Records written with the caller's interner (the live cache's), and the warnings.
pub(crate) struct Written {
    pub records: FastMap<Sym, Rec>,
    pub warnings: Vec<String>,
}

/// Normalizes `data` (the response's `data`) of `operation`.
pub fn normalize(
    operation: &Operation,
    variables: Option<&Value>,
    data: &Value,
    keys: &KeyConfig,
) -> Normalized {
    let mut set = RecordSet::default();
    let walk = Walk::new(operation, variables);
    let written = normalize_into(
        &mut set.interner,
        &walk,
        root_key(operation.kind()),
        data,
        keys,
    );
    set.records = written.records;
    Normalized {
        records: set,
        warnings: written.warnings,
    }
}

/// Normalizes `data` as the fields of the entity record `key`, shaped by `fragment`.
pub fn normalize_fragment(
    fragment: &Fragment,
    key: &str,
    variables: Option<&Value>,
    data: &Value,
    keys: &KeyConfig,
) -> Normalized {
    let mut set = RecordSet::default();
    let walk = Walk::fragment(fragment, variables);
    let written = normalize_into(&mut set.interner, &walk, key, data, keys);
    set.records = written.records;
    Normalized {
        records: set,
        warnings: written.warnings,
    }
}

/// A step of the path to a value, for warnings (formatted only when one is reported).
#[derive(Clone, Copy)]
pub(crate) enum Seg<'d> {
    Key(&'d str),
    Index(usize),
}

/// `listTodos.items[3].owner`.
pub(crate) fn path_text(path: &[Seg<'_>]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Key(key) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Seg::Index(i) => {
                out.push('[');
                out.push_str(&i.to_string());
                out.push(']');
            }
        }
    }
    out
}

/// Normalizes `data` into records keyed by symbols of `interner`, rooted at record `root`.
pub(crate) fn normalize_into(
    interner: &mut Interner,
    walk: &Walk<'_>,
    root: &str,
    data: &Value,
    keys: &KeyConfig,
) -> Written {
    let typename = interner.intern("__typename");
    let mut writer = Writer {
        walk,
        keys,
        interner,
        typename,
        records: FastMap::default(),
        warnings: Vec::new(),
        path: Vec::new(),
        syms: FastMap::default(),
    };
    match data {
        Value::Object(object) => {
            let mut record = Rec::new();
            writer.write_fields(walk.root, object, &mut record);
            let root = writer.interner.intern(root);
            merge(writer.records.entry(root).or_default(), record);
        }
        other => writer
            .warnings
            .push(format!("data: expected an object, found {}", kind(other))),
    }
    Written {
        records: writer.records,
        warnings: writer.warnings,
    }
}

pub(crate) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

struct Writer<'w, 'd> {
    walk: &'w Walk<'d>,
    keys: &'w KeyConfig,
    interner: &'w mut Interner,
    typename: Sym,
    records: FastMap<Sym, Rec>,
    warnings: Vec<String>,
    path: Vec<Seg<'d>>,
    /// Each field's storage key as a symbol, interned once per walk.
    syms: FastMap<*const Field, Sym>,
}

impl<'d> Writer<'_, 'd> {
    fn field_sym(&mut self, field: &'d Field) -> Sym {
        let id = field as *const Field;
        if let Some(sym) = self.syms.get(&id) {
            return *sym;
        }
        let sym = self.interner.intern(&self.walk.storage_key(field));
        self.syms.insert(id, sym);
        sym
    }

    fn warn(&mut self, message: &str) {
        let path = path_text(&self.path);
        self.warnings.push(format!("{path}: {message}"));
    }

    fn write_fields(
        &mut self,
        set: &'d SelectionSet,
        object: &Map<String, Value>,
        record: &mut Rec,
    ) {
        let typename = object.get("__typename").and_then(Value::as_str);
        let fields = self.walk.fields(set, typename);
        for &field in fields.iter() {
            let key = field.response_key();
            self.path.push(Seg::Key(key));
            match object.get(key) {
                None => self.warn("missing from the result"),
                Some(value) if field.name == "__typename" => {
                    let value = Val::leaf(value, self.interner);
                    set_field(record, self.typename, value);
                }
                Some(value) => {
                    let sym = self.field_sym(field);
                    if let Some(stored) = self.write_value(&field.selection_set, value) {
                        set_field(record, sym, stored);
                    }
                }
            }
            self.path.pop();
        }
    }

    fn write_value(&mut self, set: &'d SelectionSet, value: &Value) -> Option<Val> {
        if set.items.is_empty() {
            return Some(Val::leaf(value, self.interner));
        }
        match value {
            Value::Null => Some(Val::Null),
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    self.path.push(Seg::Index(i));
                    out.push(self.write_value(set, item).unwrap_or(Val::Null));
                    self.path.pop();
                }
                Some(Val::List(out.into_boxed_slice()))
            }
            Value::Object(object) => {
                let mut fields = Rec::new();
                self.write_fields(set, object, &mut fields);
                match self.keys.key_of(object) {
                    Some(key) => {
                        let sym = self.interner.intern(&key);
                        merge(self.records.entry(sym).or_default(), fields);
                        Some(Val::Ref(sym))
                    }
                    None => Some(Val::Obj(fields.into_boxed_slice())),
                }
            }
            other => {
                let message = format!(
                    "expected an object for its selection set, found {}",
                    kind(other)
                );
                self.warn(&message);
                None
            }
        }
    }
}
