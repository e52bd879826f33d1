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

/// How many emptied records a walk keeps for reuse (objects are taken one at a time, so a few
/// are enough; a spare is taken only by an object whose fields fill it exactly).
const SPARE_RECS: usize = 8;

mod tape;
mod text;
pub(crate) use tape::normalize_tape_into;
pub use tape::{TapeChunk, TapeChunks, TapeError, WriteTape, TAPE_OBJECT_END};
pub(crate) use text::normalize_text_into;
#[cfg(test)]
pub(crate) use text::FALLBACKS;

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
#[cfg_attr(size_build, optimize(speed))]
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
    collected(set, written)
}

/// Normalizes `data` as the fields of the entity record `key`, shaped by `fragment`.
#[cfg_attr(size_build, optimize(speed))]
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
    collected(set, written)
}

/// [`normalize`] from the data's JSON text, without a `Value` tree of it: the same records
/// and warnings. Invalid JSON is an error.
#[cfg_attr(size_build, optimize(speed))]
pub fn normalize_text(
    operation: &Operation,
    variables: Option<&Value>,
    data: &str,
    keys: &KeyConfig,
) -> Result<Normalized, serde_json::Error> {
    let mut set = RecordSet::default();
    let walk = Walk::new(operation, variables);
    let written = normalize_text_into(
        &mut set.interner,
        &walk,
        root_key(operation.kind()),
        data,
        keys,
    )?;
    Ok(collected(set, written))
}

/// [`normalize`] from a write tape (see [`WriteTape`]): the same records and warnings as from
/// the JSON text the tape stands for. A tape that does not hold JSON data is an error.
#[cfg_attr(size_build, optimize(speed))]
pub fn normalize_tape(
    operation: &Operation,
    variables: Option<&Value>,
    tape: &mut WriteTape<'_>,
    keys: &KeyConfig,
) -> Result<Normalized, TapeError> {
    let mut set = RecordSet::default();
    let walk = Walk::new(operation, variables);
    let written = normalize_tape_into(
        &mut set.interner,
        &walk,
        root_key(operation.kind()),
        tape,
        keys,
    )?;
    Ok(collected(set, written))
}

/// [`normalize_fragment`] from the data's JSON text.
#[cfg_attr(size_build, optimize(speed))]
pub fn normalize_fragment_text(
    fragment: &Fragment,
    key: &str,
    variables: Option<&Value>,
    data: &str,
    keys: &KeyConfig,
) -> Result<Normalized, serde_json::Error> {
    let mut set = RecordSet::default();
    let walk = Walk::fragment(fragment, variables);
    let written = normalize_text_into(&mut set.interner, &walk, key, data, keys)?;
    Ok(collected(set, written))
}

/// What the free functions above return: `written`, made with `set`'s interner, in `set`.
#[cfg_attr(size_build, optimize(speed))]
fn collected(mut set: RecordSet, written: Written) -> Normalized {
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
#[cfg_attr(size_build, optimize(speed))]
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
#[cfg_attr(size_build, optimize(speed))]
pub(crate) fn normalize_into(
    interner: &mut Interner,
    walk: &Walk<'_>,
    root: &str,
    data: &Value,
    keys: &KeyConfig,
) -> Written {
    let mut writer = Writer::new(walk, keys, interner);
    match data {
        Value::Object(object) => {
            let mut record = Rec::new();
            writer.write_fields(walk.root, object, &mut record);
            writer.merge_root(root, record);
        }
        other => writer.warn_data(other),
    }
    writer.finish()
}

#[cfg_attr(size_build, optimize(speed))]
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

/// Writes records from a result, as a `Value` tree (here) or straight from its JSON text
/// ([`text`]); both share every decision below, so they write the same records.
struct Writer<'w, 'd> {
    walk: &'w Walk<'d>,
    keys: &'w KeyConfig,
    interner: &'w mut Interner,
    typename: Sym,
    records: FastMap<Sym, Rec>,
    /// Each warning with its place in the walk (field positions and list indices), so warnings
    /// found out of order (from text, fields come in the data's order) are reported in the
    /// document's order.
    warnings: Vec<(Vec<u32>, String)>,
    path: Vec<Seg<'d>>,
    order: Vec<u32>,
    /// Each field's storage key as a symbol, interned once per walk.
    syms: FastMap<*const Field, Sym>,
    /// From text: the data is not one the text walk writes exactly like the tree walk (fields
    /// out of the document's order, repeated keys); the write starts over from a tree.
    fallback: bool,
    /// From text: every field name some type's key is made of (kept until the type is known).
    key_names: Vec<&'w str>,
    /// From text: where record keys are put together before being interned.
    key_buf: Vec<u8>,
    /// From text: per field list, its keys for matching.
    shapes: FastMap<*const &'d Field, std::rc::Rc<text::Shape<'d>>>,
    /// From text: per selection set, what an object's walk starts from (see
    /// [`text::SetStart`]): one lookup per object instead of one per question.
    starts: FastMap<*const SelectionSet, text::SetStart<'d>>,
    /// Emptied records, reused: an object met again (a shared owner) is merged into its
    /// record, and the list its fields came in serves a later object that needs the same room
    /// (only that: a new record keeps its room in the cache).
    spare_recs: Vec<Rec>,
    /// From text: emptied lists of `__typename` fields, reused object after object (every
    /// object has one; a fresh list each would be an allocation per object).
    typename_lists: Vec<text::TypenameList>,
}

impl<'w, 'd> Writer<'w, 'd> {
    #[cfg_attr(size_build, optimize(speed))]
    fn new(walk: &'w Walk<'d>, keys: &'w KeyConfig, interner: &'w mut Interner) -> Self {
        let typename = interner.intern("__typename");
        Writer {
            walk,
            keys,
            interner,
            typename,
            records: FastMap::default(),
            warnings: Vec::new(),
            path: Vec::new(),
            order: Vec::new(),
            syms: FastMap::default(),
            fallback: false,
            key_names: Vec::new(),
            key_buf: Vec::new(),
            shapes: FastMap::default(),
            starts: FastMap::default(),
            spare_recs: Vec::new(),
            typename_lists: Vec::new(),
        }
    }

    #[cfg_attr(size_build, optimize(speed))]
    fn finish(mut self) -> Written {
        self.warnings.sort_by(|a, b| a.0.cmp(&b.0));
        Written {
            records: self.records,
            warnings: self.warnings.into_iter().map(|(_, w)| w).collect(),
        }
    }

    #[cfg_attr(size_build, optimize(speed))]
    fn merge_root(&mut self, root: &str, record: Rec) {
        let root = self.interner.intern(root);
        merge(self.records.entry(root).or_default(), record);
    }

    #[cfg_attr(size_build, optimize(speed))]
    fn warn_data(&mut self, data: &Value) {
        self.warn_data_kind(kind(data));
    }

    #[cfg_attr(size_build, optimize(speed))]
    fn warn_data_kind(&mut self, kind: &str) {
        self.warnings.push((
            Vec::new(),
            format!("data: expected an object, found {kind}"),
        ));
    }

    #[cfg_attr(size_build, optimize(speed))]
    fn field_sym(&mut self, field: &'d Field) -> Sym {
        let id = field as *const Field;
        if let Some(sym) = self.syms.get(&id) {
            return *sym;
        }
        let sym = self.interner.intern(&self.walk.storage_key(field));
        self.syms.insert(id, sym);
        sym
    }

    #[cfg_attr(size_build, optimize(speed))]
    fn warn(&mut self, message: &str) {
        let path = path_text(&self.path);
        self.warnings
            .push((self.order.clone(), format!("{path}: {message}")));
    }

    #[cfg_attr(size_build, optimize(speed))]
    fn enter(&mut self, seg: Seg<'d>, position: usize) {
        self.path.push(seg);
        self.order.push(position as u32);
    }

    #[cfg_attr(size_build, optimize(speed))]
    fn leave(&mut self) {
        self.path.pop();
        self.order.pop();
    }

    #[cfg_attr(size_build, optimize(speed))]
    fn write_fields(
        &mut self,
        set: &'d SelectionSet,
        object: &Map<String, Value>,
        record: &mut Rec,
    ) {
        let typename = object.get("__typename").and_then(Value::as_str);
        let fields = self.walk.fields(set, typename);
        // Room for every field at once: a record grown push by push keeps up to twice the
        // room it needs (a cache of 10,000 items held 0.6 MiB more than the text path's).
        record.reserve(fields.len());
        for (position, &field) in fields.iter().enumerate() {
            let key = field.response_key();
            self.enter(Seg::Key(key), position);
            match object.get(key) {
                None => self.warn_missing(),
                Some(value) => {
                    if let Some((sym, stored)) = self.write_field(field, value) {
                        set_field(record, sym, stored);
                    }
                }
            }
            self.leave();
        }
    }

    #[cfg_attr(size_build, optimize(speed))]
    fn warn_missing(&mut self) {
        self.warn("missing from the result");
    }

    /// The symbol and stored value of one field's value (`None`: nothing to store).
    #[cfg_attr(size_build, optimize(speed))]
    fn write_field(&mut self, field: &'d Field, value: &Value) -> Option<(Sym, Val)> {
        if field.name == "__typename" {
            return Some((self.typename, Val::leaf(value, self.interner)));
        }
        let sym = self.field_sym(field);
        self.write_value(&field.selection_set, value)
            .map(|stored| (sym, stored))
    }

    #[cfg_attr(size_build, optimize(speed))]
    fn write_value(&mut self, set: &'d SelectionSet, value: &Value) -> Option<Val> {
        if set.items.is_empty() {
            return Some(Val::leaf(value, self.interner));
        }
        match value {
            Value::Null => Some(Val::Null),
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    self.enter(Seg::Index(i), i);
                    out.push(self.write_value(set, item).unwrap_or(Val::Null));
                    self.leave();
                }
                Some(Val::List(out.into_boxed_slice()))
            }
            Value::Object(object) => {
                let mut fields = Rec::new();
                self.write_fields(set, object, &mut fields);
                let key = self.keys.key_of(object).map(|k| self.interner.intern(&k));
                Some(self.store_object(key, fields))
            }
            other => {
                self.warn_not_object(kind(other));
                None
            }
        }
    }

    #[cfg_attr(size_build, optimize(speed))]
    fn warn_not_object(&mut self, kind: &str) {
        let message = format!("expected an object for its selection set, found {kind}");
        self.warn(&message);
    }

    /// An object's fields: merged into record `key`, or embedded when it has no key.
    #[cfg_attr(size_build, optimize(speed))]
    fn store_object(&mut self, key: Option<Sym>, mut fields: Rec) -> Val {
        match key {
            Some(sym) => {
                let record = self.records.entry(sym).or_default();
                if record.is_empty() {
                    *record = fields;
                } else {
                    for (field, value) in fields.drain(..) {
                        set_field(record, field, value);
                    }
                    // The newest kept: the objects met lately are likeliest to come again.
                    if self.spare_recs.len() == SPARE_RECS {
                        self.spare_recs.remove(0);
                    }
                    self.spare_recs.push(fields);
                }
                Val::Ref(sym)
            }
            None => Val::Obj(fields.into_boxed_slice()),
        }
    }
}
