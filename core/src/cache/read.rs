//! Reading a query back from records: the result in the shape the document asks for (aliases
//! included), what was missing, and every record the read touched (its dependencies).

use super::hash::{FastMap, FastSet};
use super::normalize::{path_text, Seg};
use super::records::{field, Interner, Rec, RecordSet, Sym, Val};
use super::root_key;
use super::selection::Walk;
use crate::graphql::ast::{Field, SelectionSet};
use crate::graphql::{Fragment, Operation, OperationKind};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::collections::BTreeSet;

/// Where records come from (owned when a source has to merge layers).
pub(crate) trait RecordSource {
    fn record(&self, key: Sym) -> Option<Cow<'_, Rec>>;
}

impl RecordSource for FastMap<Sym, Rec> {
    fn record(&self, key: Sym) -> Option<Cow<'_, Rec>> {
        self.get(&key).map(Cow::Borrowed)
    }
}

/// The outcome of a read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReadResult {
    /// The complete result, or `None` when anything was missing.
    pub data: Option<Value>,
    /// What could be read when something was missing (missing fields left out); `Null` when
    /// `data` holds the complete result (see [`ReadResult::value`]).
    pub partial: Value,
    /// Paths of the fields the cache does not have.
    pub missing: Vec<String>,
    /// Every record read (including ones that were absent), by symbol.
    pub(crate) dependencies: FastSet<Sym>,
}

impl ReadResult {
    /// The result as far as it could be read: `data` when complete, else `partial`.
    pub fn value(&self) -> &Value {
        self.data.as_ref().unwrap_or(&self.partial)
    }

    /// The keys of every record the read depended on (present or not), sorted.
    pub fn dependency_keys(&self, records: &RecordSet) -> BTreeSet<String> {
        self.dependencies
            .iter()
            .map(|s| records.interner.name(*s).to_owned())
            .collect()
    }
}

/// Reads `operation` from `records`.
pub fn read(
    operation: &Operation,
    variables: Option<&Value>,
    records: &RecordSet,
    _keys: &super::KeyConfig,
) -> ReadResult {
    read_query_from(operation, variables, &records.records, &records.interner)
}

/// Reads the entity record `key` through `fragment`; a record that is not cached is a miss.
pub fn read_fragment(
    fragment: &Fragment,
    key: &str,
    variables: Option<&Value>,
    records: &RecordSet,
) -> ReadResult {
    match records.interner.get(key) {
        Some(sym) => read_fragment_from(
            fragment,
            sym,
            variables,
            &records.records,
            &records.interner,
        ),
        None => ReadResult {
            partial: Value::Null,
            missing: vec![key.to_owned()],
            ..ReadResult::default()
        },
    }
}

fn root_typename(kind: OperationKind) -> &'static str {
    match kind {
        OperationKind::Query => "Query",
        OperationKind::Mutation => "Mutation",
        OperationKind::Subscription => "Subscription",
    }
}

/// Reads `operation` from `source`, whose symbols are `interner`'s.
pub(crate) fn read_query_from<S: RecordSource>(
    operation: &Operation,
    variables: Option<&Value>,
    source: &S,
    interner: &Interner,
) -> ReadResult {
    let walk = Walk::new(operation, variables);
    let root = root_key(operation.kind());
    match interner.get(root) {
        Some(sym) => read_at(
            &walk,
            sym,
            Some(root_typename(operation.kind())),
            source,
            interner,
        ),
        None => ReadResult {
            partial: Value::Object(Map::new()),
            missing: vec![root.to_owned()],
            ..ReadResult::default()
        },
    }
}

/// Reads record `key` through `fragment`.
pub(crate) fn read_fragment_from<S: RecordSource>(
    fragment: &Fragment,
    key: Sym,
    variables: Option<&Value>,
    source: &S,
    interner: &Interner,
) -> ReadResult {
    if source.record(key).is_none() {
        let mut result = ReadResult {
            partial: Value::Null,
            missing: vec![interner.name(key).to_owned()],
            ..ReadResult::default()
        };
        result.dependencies.insert(key);
        return result;
    }
    read_at(
        &Walk::fragment(fragment, variables),
        key,
        Some(fragment.type_condition()),
        source,
        interner,
    )
}

fn read_at<S: RecordSource>(
    walk: &Walk<'_>,
    root: Sym,
    typename: Option<&str>,
    source: &S,
    interner: &Interner,
) -> ReadResult {
    let mut reader = Reader {
        walk,
        source,
        interner,
        typename: interner.get("__typename"),
        missing: Vec::new(),
        dependencies: FastSet::default(),
        path: Vec::new(),
        syms: FastMap::default(),
    };
    reader.dependencies.insert(root);
    let record = source.record(root).unwrap_or_default();
    let value = reader.read_fields(walk.root, &record, typename);
    let (data, partial) = if reader.missing.is_empty() {
        (Some(value), Value::Null)
    } else {
        (None, value)
    };
    ReadResult {
        data,
        partial,
        missing: reader.missing,
        dependencies: reader.dependencies,
    }
}

struct Reader<'r, 'd, S: RecordSource> {
    walk: &'r Walk<'d>,
    source: &'r S,
    interner: &'r Interner,
    typename: Option<Sym>,
    missing: Vec<String>,
    dependencies: FastSet<Sym>,
    path: Vec<Seg<'d>>,
    /// Each field's storage key as a symbol (`None`: never written, so missing everywhere).
    syms: FastMap<*const Field, Option<Sym>>,
}

impl<'d, S: RecordSource> Reader<'_, 'd, S> {
    fn field_sym(&mut self, field: &'d Field) -> Option<Sym> {
        let id = field as *const Field;
        if let Some(sym) = self.syms.get(&id) {
            return *sym;
        }
        let sym = self.interner.get(&self.walk.storage_key(field));
        self.syms.insert(id, sym);
        sym
    }

    fn miss(&mut self, suffix: &str) {
        let path = path_text(&self.path);
        self.missing.push(format!("{path}{suffix}"));
    }

    fn read_fields(
        &mut self,
        set: &'d SelectionSet,
        record: &[(Sym, Val)],
        typename: Option<&str>,
    ) -> Value {
        let stored = self
            .typename
            .and_then(|t| field(record, t))
            .and_then(|v| match v {
                Val::Str(s) => Some(&**s),
                _ => None,
            });
        let typename = stored.or(typename);
        let fields = self.walk.fields(set, typename);
        let mut out = Map::new();
        for &f in fields.iter() {
            let key = f.response_key();
            self.path.push(Seg::Key(key));
            if f.name == "__typename" {
                match typename {
                    Some(t) => {
                        out.insert(key.to_owned(), Value::String(t.to_owned()));
                    }
                    None => self.miss(""),
                }
            } else {
                match self.field_sym(f).and_then(|s| field(record, s)) {
                    Some(value) => {
                        if let Some(v) = self.read_value(&f.selection_set, value) {
                            out.insert(key.to_owned(), v);
                        }
                    }
                    None => self.miss(""),
                }
            }
            self.path.pop();
        }
        Value::Object(out)
    }

    fn read_value(&mut self, set: &'d SelectionSet, value: &Val) -> Option<Value> {
        if set.items.is_empty() {
            return Some(value.to_json(self.interner));
        }
        match value {
            Val::Ref(key) => {
                self.dependencies.insert(*key);
                let source = self.source;
                match source.record(*key) {
                    Some(record) => Some(self.read_fields(set, &record, None)),
                    None => {
                        let suffix = format!(" (record {})", self.interner.name(*key));
                        self.miss(&suffix);
                        None
                    }
                }
            }
            Val::Null => Some(Value::Null),
            Val::List(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    self.path.push(Seg::Index(i));
                    out.push(self.read_value(set, item).unwrap_or(Value::Null));
                    self.path.pop();
                }
                Some(Value::Array(out))
            }
            Val::Obj(fields) => Some(self.read_fields(set, fields, None)),
            _ => {
                self.miss("");
                None
            }
        }
    }
}
