//! Normalizing straight from a result's JSON text: a `DeserializeSeed` walks the text and the
//! selection set together, so no `serde_json::Value` tree of the whole result is built (a list
//! of 10,000 items would be 10,000 maps allocated and freed again).
//!
//! Every decision is the tree walk's ([`Writer::write_field`], [`Writer::store_object`], the
//! key config's [`KeyConfig::key_with`]); only the order differs: text comes in the data's
//! order, the tree walk goes in the document's. So that both write the same records:
//! - an object's fields are written as they come, as long as they come in the document's order
//!   (a GraphQL server sends them so); a field out of that order, or a key given twice, makes the
//!   whole write start over from a tree (`fallback`);
//! - where the fields of an object depend on its type (fragments with type conditions) and
//!   `__typename` has not come yet, the selected fields are kept as small trees until it does;
//! - `id` and the fields of per-type keys are kept (as trees: they are scalars) for the key;
//! - a field whose response key several fields share is read into a tree once, then written
//!   per field;
//! - a custom key function needs the whole object: with one, the write goes through a tree;
//! - warnings carry their place in the document and are sorted at the end.

use super::{normalize_into, Seg, Writer, Written};
use crate::cache::keys::KeyConfig;
use crate::cache::records::{field, set_field, Interner, Rec, Sym, Val};
use crate::cache::selection::{FieldList, Walk};
use crate::graphql::ast::{Field, SelectionSet};
use crate::response::Checked;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::{Number, Value};
use std::fmt;
use std::rc::Rc;

/// Normalizes the JSON text `data` like [`normalize_into`] does its tree. Invalid JSON is an
/// error (and nothing is written).
#[cfg_attr(size_build, optimize(speed))]
pub(crate) fn normalize_text_into(
    interner: &mut Interner,
    walk: &Walk<'_>,
    root: &str,
    data: &str,
    keys: &KeyConfig,
) -> Result<Written, serde_json::Error> {
    if keys.key_fn.is_none() {
        let mut deserializer = serde_json::Deserializer::from_str(data);
        let walked = walk_data(interner, walk, root, keys, data.len(), |seed| {
            seed.deserialize(&mut deserializer)
                .and_then(|()| deserializer.end())
        })?;
        if let Some(written) = walked {
            return Ok(written);
        }
    }
    let data: Value = serde_json::from_str(data)?;
    Ok(normalize_into(interner, walk, root, &data, keys))
}

/// The walk of [`normalize_text_into`] over data that `read` deserializes (handing the seed to
/// its deserializer and checking that nothing follows), `size` the data's length in bytes (or
/// about that). `None` when the walk cannot write this data exactly and the caller must write
/// it from a tree (see the module's notes). For a config without a key function.
#[cfg_attr(size_build, optimize(speed))]
pub(super) fn walk_data<E>(
    interner: &mut Interner,
    walk: &Walk<'_>,
    root: &str,
    keys: &KeyConfig,
    size: usize,
    read: impl FnOnce(RootSeed<'_, '_, '_>) -> Result<(), E>,
) -> Result<Option<Written>, E> {
    let mut writer = Writer::new(walk, keys, interner);
    // About one record per 256 bytes of text at most (a list item with a few short fields
    // is about that): room made once instead of growing the map a dozen times.
    writer.records.reserve(size / 256);
    writer.key_names = keys
        .key_fields
        .values()
        .flatten()
        .map(String::as_str)
        .collect();
    let outcome = read(RootSeed {
        writer: &mut writer,
        root,
    });
    match outcome {
        Ok(()) => Ok(Some(writer.finish())),
        Err(e) if !writer.fallback => Err(e),
        Err(_) => {
            #[cfg(test)]
            FALLBACKS.with(|n| n.set(n.get() + 1));
            Ok(None)
        }
    }
}

#[cfg(test)]
thread_local! {
    /// Text writes that started over from a tree, on this thread.
    pub(crate) static FALLBACKS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Asks for the tree walk (see the module's notes).
#[cfg_attr(size_build, optimize(speed))]
fn fall_back<E: de::Error>(writer: &mut Writer<'_, '_>) -> E {
    writer.fallback = true;
    E::custom("the text walk cannot write this data exactly; writing it from a tree")
}

/// A JSON object key, borrowed from the text when it has no escapes.
enum Key<'de> {
    Borrowed(&'de str),
    Owned(String),
}

impl Key<'_> {
    #[cfg_attr(size_build, optimize(speed))]
    fn as_str(&self) -> &str {
        match self {
            Key::Borrowed(s) => s,
            Key::Owned(s) => s,
        }
    }
}

struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Key<'de>;
    #[cfg_attr(size_build, optimize(speed))]
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Key<'de>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Key<'de>;
    #[cfg_attr(size_build, optimize(speed))]
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }
    #[cfg_attr(size_build, optimize(speed))]
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
        Ok(Key::Borrowed(v))
    }
    #[cfg_attr(size_build, optimize(speed))]
    fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
        Ok(Key::Owned(v.to_owned()))
    }
    #[cfg_attr(size_build, optimize(speed))]
    fn visit_string<E>(self, v: String) -> Result<Key<'de>, E> {
        Ok(Key::Owned(v))
    }
}

/// The whole `data`: an object whose fields go into the root record.
pub(super) struct RootSeed<'a, 'w, 'd> {
    writer: &'a mut Writer<'w, 'd>,
    root: &'a str,
}

impl<'de> DeserializeSeed<'de> for RootSeed<'_, '_, '_> {
    type Value = ();
    #[cfg_attr(size_build, optimize(speed))]
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl RootSeed<'_, '_, '_> {
    #[cfg_attr(size_build, optimize(speed))]
    fn not_object<E>(self, kind: &str) -> Result<(), E> {
        self.writer.warn_data_kind(kind);
        Ok(())
    }
}

impl<'de> Visitor<'de> for RootSeed<'_, '_, '_> {
    type Value = ();
    #[cfg_attr(size_build, optimize(speed))]
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a result's data")
    }
    #[cfg_attr(size_build, optimize(speed))]
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        let root_set = self.writer.walk.root;
        let (record, _) = self.writer.text_object(root_set, map)?;
        self.writer.merge_root(self.root, record);
        Ok(())
    }
    #[cfg_attr(size_build, optimize(speed))]
    fn visit_unit<E>(self) -> Result<(), E> {
        self.not_object("null")
    }
    #[cfg_attr(size_build, optimize(speed))]
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        self.not_object("a boolean")
    }
    #[cfg_attr(size_build, optimize(speed))]
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        self.not_object("a number")
    }
    #[cfg_attr(size_build, optimize(speed))]
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        self.not_object("a number")
    }
    #[cfg_attr(size_build, optimize(speed))]
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        self.not_object("a number")
    }
    #[cfg_attr(size_build, optimize(speed))]
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        self.not_object("a string")
    }
    #[cfg_attr(size_build, optimize(speed))]
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element::<Checked>()?.is_some() {}
        self.not_object("a list")
    }
}

/// A field list's response keys, and per position whether another field shares its key: what
/// matching an incoming key needs, computed once per list and walk.
pub(super) struct Shape<'d> {
    fields: FieldList<'d>,
    keys: Box<[&'d str]>,
    shared: Box<[bool]>,
    /// Each field's storage symbol (`__typename` fields: the typename's).
    syms: Box<[Sym]>,
    /// The positions of `__typename` fields.
    typenames: Box<[usize]>,
    /// No two fields (but `__typename`s) are stored under one symbol: a field written in order
    /// is new to its record.
    distinct: bool,
    /// Per position: a field other than `__typename` that no other field shares a response key
    /// or a symbol with: written in its turn, its value goes straight into the record (see
    /// [`Writer::text_direct`]).
    direct: Box<[bool]>,
    /// The position of the one field that the object's own `__typename` answers (a
    /// `__typename` field under its own name that shares its response key with no other).
    own_typename: Option<usize>,
}

impl<'d> Shape<'d> {
    #[cfg_attr(size_build, optimize(speed))]
    fn new(fields: FieldList<'d>, writer: &mut Writer<'_, 'd>) -> Shape<'d> {
        let keys: Box<[&'d str]> = fields.iter().map(|f| f.response_key()).collect();
        let shared: Box<[bool]> = keys
            .iter()
            .map(|k| keys.iter().filter(|other| *other == k).count() > 1)
            .collect();
        let syms: Box<[Sym]> = fields
            .iter()
            .map(|&f| {
                if f.name == "__typename" {
                    writer.typename
                } else {
                    writer.field_sym(f)
                }
            })
            .collect();
        let typenames: Box<[usize]> = (0..fields.len())
            .filter(|&i| fields.get(i).is_some_and(|f| f.name == "__typename"))
            .collect();
        let distinct = syms.iter().enumerate().all(|(i, sym)| {
            typenames.contains(&i) || syms.iter().filter(|other| *other == sym).count() == 1
        });
        let direct = fields
            .iter()
            .zip(shared.iter())
            .map(|(f, &shared)| distinct && !shared && f.name != "__typename")
            .collect();
        let own_typename = keys.iter().position(|k| *k == "__typename").filter(|&i| {
            !shared.get(i).copied().unwrap_or(true)
                && fields.get(i).is_some_and(|f| f.name == "__typename")
        });
        Shape {
            fields,
            keys,
            shared,
            syms,
            typenames,
            distinct,
            direct,
            own_typename,
        }
    }

    /// The field answering to `name` (the first, looking from `from` on, where fields come in
    /// order: one comparison in the usual case), and whether other fields answer to it too.
    #[cfg_attr(size_build, optimize(speed))]
    fn find(&self, name: &str, from: usize) -> Option<(usize, &'d Field, bool)> {
        let len = self.keys.len();
        (from..len)
            .chain(0..from.min(len))
            .find(|&i| self.keys.get(i).is_some_and(|k| *k == name))
            .and_then(|i| {
                let field = *self.fields.get(i)?;
                Some((i, field, self.shared.get(i).copied().unwrap_or(true)))
            })
    }
}

/// Where the walk of an object of one selection set starts.
#[derive(Clone)]
pub(super) struct SetStart<'d> {
    /// The fields that apply to any type.
    any: FieldList<'d>,
    /// The fields' shape, where they do not depend on the object's type.
    known: Option<Rc<Shape<'d>>>,
}

/// What an object's fields are known to be so far.
struct Progress<'d> {
    /// The fields that apply, once the type is known (or when they cannot depend on it).
    fields: Option<FieldList<'d>>,
    shape: Option<Rc<Shape<'d>>>,
    /// The position of the next field to write (fields must come in the document's order).
    next: usize,
    /// Fields later in the list that answer to a key already read (several fields with one
    /// response key): (position, index into `values`), by position, written when their turn
    /// comes.
    deferred: Vec<(usize, usize)>,
    values: Vec<Value>,
    /// `__typename` fields (the document adds one to every selection set, last, while servers
    /// tend to send it first): order-free, as they are leaves stored under one symbol; written
    /// at the end in the document's order.
    typenames: TypenameList,
    record: Rec,
}

/// The `__typename` fields of an object met so far: (position, value; `None`: the object's own).
pub(super) type TypenameList = Vec<(usize, Option<Val>)>;

impl<'d> Writer<'_, 'd> {
    /// Writes one object's fields from text; returns them and the object's record key.
    #[cfg_attr(size_build, optimize(speed))]
    fn text_object<'de, A: MapAccess<'de>>(
        &mut self,
        set: &'d SelectionSet,
        mut map: A,
    ) -> Result<(Rec, Option<Sym>), A::Error> {
        let SetStart { any, known } = self.text_start(set);
        // Only a spare of exactly the room a fresh record gets: a new record keeps its room in
        // the cache, so a larger one (a big shared object's) would waste it there.
        let record = match self
            .spare_recs
            .iter()
            .position(|spare| spare.capacity() == any.len())
        {
            Some(at) => self.spare_recs.swap_remove(at),
            None => Rec::with_capacity(any.len()),
        };
        let mut progress = Progress {
            fields: known.as_ref().map(|shape| shape.fields.clone()),
            shape: known,
            next: 0,
            deferred: Vec::new(),
            values: Vec::new(),
            typenames: self.typename_lists.pop().unwrap_or_default(),
            record,
        };
        let mut typename: Option<Val> = None;
        let mut id: Option<Val> = None;
        // Where `id` went in the record instead (written once, as it is: no copy kept).
        let mut id_at: Option<Sym> = None;
        // The other fields keys are made of: (name, value).
        let mut kept: Vec<(Key<'de>, Val)> = Vec::new();
        // Selected fields that came before the type: (key, value).
        let mut pending: Vec<(Key<'de>, Value)> = Vec::new();
        while let Some(key) = map.next_key_seed(KeySeed)? {
            let name = key.as_str();
            if name == "__typename" {
                if typename.is_some() {
                    return Err(fall_back(self));
                }
                let value = map.next_value_seed(LeafSeed(&mut *self.interner))?;
                if progress.fields.is_none() {
                    let t = value.as_str();
                    let fields = self.walk.fields(set, t);
                    self.text_set_fields(&mut progress, fields);
                    for (key, value) in std::mem::take(&mut pending) {
                        self.text_tree_field(&mut progress, key.as_str(), value)?;
                    }
                }
                if !self.text_own_typename(&mut progress)? {
                    self.text_leaf_field(&mut progress, name, &value)?;
                }
                typename = Some(value);
            } else if name == "id" || self.key_names.contains(&name) {
                if name == "id" && (id.is_some() || id_at.is_some()) {
                    return Err(fall_back(self));
                }
                if name == "id" {
                    // The usual case: the id goes straight to its field (and is read there for
                    // the key).
                    let slot = progress.shape.as_ref().and_then(|shape| {
                        let (position, field, _) = shape.find(name, progress.next)?;
                        let sym = *shape.syms.get(position)?;
                        field
                            .selection_set
                            .items
                            .is_empty()
                            .then_some((position, sym))
                    });
                    if let Some((_, sym)) =
                        slot.filter(|&(position, _)| self.text_direct(&mut progress, position))
                    {
                        map.next_value_seed(LeafInto {
                            interner: &mut *self.interner,
                            record: &mut progress.record,
                            sym,
                        })?;
                        id_at = Some(sym);
                        continue;
                    }
                }
                let mut value = map.next_value_seed(LeafSeed(&mut *self.interner))?;
                if progress.fields.is_some() {
                    if name == "id" {
                        match self.text_move_leaf(&mut progress, name, value)? {
                            Ok(sym) => {
                                id_at = Some(sym);
                                continue;
                            }
                            Err(kept) => value = kept,
                        }
                    } else {
                        self.text_leaf_field(&mut progress, name, &value)?;
                    }
                } else if any.iter().any(|f| f.response_key() == name) {
                    let tree = value.to_json(self.interner);
                    pending.push((Key::Owned(name.to_owned()), tree));
                }
                if name == "id" {
                    id = Some(value);
                } else {
                    if kept.iter().any(|(k, _)| k.as_str() == name) {
                        return Err(fall_back(self));
                    }
                    kept.push((key, value));
                }
            } else if let Some(shape) = &progress.shape {
                match shape.find(name, progress.next) {
                    None => {
                        map.next_value::<Checked>()?;
                    }
                    Some((position, field, false)) => {
                        let sym = shape.syms.get(position).copied().unwrap_or(self.typename);
                        if self.text_direct(&mut progress, position) {
                            let set = &field.selection_set;
                            if set.items.is_empty() {
                                map.next_value_seed(LeafInto {
                                    interner: &mut *self.interner,
                                    record: &mut progress.record,
                                    sym,
                                })?;
                            } else {
                                self.enter(Seg::Key(field.response_key()), position);
                                let value = map.next_value_seed(ValueSeed { writer: self, set });
                                self.leave();
                                if let Some(value) = value? {
                                    progress.record.push((sym, value));
                                }
                            }
                            continue;
                        }
                        self.text_field(&mut progress, position, field, |writer| {
                            map.next_value_seed(FieldSeed { writer, field, sym })
                        })?;
                    }
                    Some((_, _, true)) => {
                        let value: Value = map.next_value()?;
                        self.text_tree_field(&mut progress, name, value)?;
                    }
                }
            } else if any.iter().any(|f| f.response_key() == name) {
                let value: Value = map.next_value()?;
                pending.push((key, value));
            } else {
                map.next_value::<Checked>()?;
            }
        }
        if progress.fields.is_none() {
            self.text_set_fields(&mut progress, any);
            for (key, value) in std::mem::take(&mut pending) {
                self.text_tree_field(&mut progress, key.as_str(), value)?;
            }
        }
        let len = progress.fields.as_ref().map_or(0, |f| f.len());
        self.text_advance_to(&mut progress, len);
        let id = id
            .as_ref()
            .or_else(|| id_at.and_then(|sym| field(&progress.record, sym)));
        let key = self.text_key(typename.as_ref(), id, &kept);
        self.text_typenames(&mut progress, typename);
        // Emptied by `text_typenames`.
        self.typename_lists.push(progress.typenames);
        Ok((progress.record, key))
    }

    /// What the walk of an object of `set` starts from, worked out once per set.
    #[cfg_attr(size_build, optimize(speed))]
    fn text_start(&mut self, set: &'d SelectionSet) -> SetStart<'d> {
        let id = set as *const SelectionSet;
        if let Some(start) = self.starts.get(&id) {
            return start.clone();
        }
        let any = self.walk.fields(set, None);
        let known = match self.walk.type_dependent(set) {
            true => None,
            false => Some(self.shape(any.clone())),
        };
        let start = SetStart { any, known };
        self.starts.insert(id, start.clone());
        start
    }

    /// The fields of the object are known: `fields`.
    #[cfg_attr(size_build, optimize(speed))]
    fn text_set_fields(&mut self, progress: &mut Progress<'d>, fields: FieldList<'d>) {
        progress.shape = Some(self.shape(fields.clone()));
        progress.fields = Some(fields);
    }

    /// The shape of a field list, worked out once per list.
    #[cfg_attr(size_build, optimize(speed))]
    fn shape(&mut self, fields: FieldList<'d>) -> Rc<Shape<'d>> {
        let id = fields.as_ptr();
        if let Some(shape) = self.shapes.get(&id) {
            return shape.clone();
        }
        let shape = Rc::new(Shape::new(fields, self));
        self.shapes.insert(id, shape.clone());
        shape
    }

    /// The record key of an object from its `__typename`, `id` and key fields: what
    /// [`KeyConfig::key_with`] makes of them, the default `Type:id` put together in a reused
    /// buffer.
    #[cfg_attr(size_build, optimize(speed))]
    fn text_key(
        &mut self,
        typename: Option<&Val>,
        id: Option<&Val>,
        kept: &[(Key<'_>, Val)],
    ) -> Option<Sym> {
        let typename_text = match self.keys.key_fields.is_empty() {
            true => None,
            false => typename.and_then(Val::as_str),
        };
        if typename_text.is_some_and(|t| self.keys.key_fields.contains_key(t)) {
            let json = |v: Option<&Val>| v.map(|v| v.to_json(self.interner));
            let (typename_json, id_json) = (json(typename), json(id));
            let kept_json: Vec<(&str, Value)> = kept
                .iter()
                .map(|(k, v)| (k.as_str(), v.to_json(self.interner)))
                .collect();
            let key = self.keys.key_with(typename_text, |name| match name {
                "__typename" => typename_json.as_ref(),
                "id" => id_json.as_ref(),
                _ => kept_json.iter().find(|(k, _)| *k == name).map(|(_, v)| v),
            })?;
            return Some(self.interner.intern(&key));
        }
        // As bytes: the strings were checked when they were read.
        let t = typename.and_then(Val::as_bytes)?;
        self.key_buf.clear();
        self.key_buf.extend_from_slice(t);
        self.key_buf.push(b':');
        match id? {
            Val::Num(n) => {
                use std::io::Write;
                let _ = write!(self.key_buf, "{n}");
            }
            id => self.key_buf.extend_from_slice(id.as_bytes()?),
        }
        self.interner.intern_utf8(&self.key_buf)
    }

    /// The object's `__typename` answers one `__typename` field: noted, to be moved in at the
    /// end (`false`: another case, for [`Writer::text_leaf_field`]).
    #[cfg_attr(size_build, optimize(speed))]
    fn text_own_typename<E: de::Error>(&mut self, progress: &mut Progress<'d>) -> Result<bool, E> {
        let Some(position) = progress.shape.as_ref().and_then(|s| s.own_typename) else {
            return Ok(false);
        };
        if progress.typenames.iter().any(|(p, _)| *p == position) {
            return Err(fall_back(self));
        }
        progress.typenames.push((position, None));
        Ok(true)
    }

    /// Writes a leaf value to the one leaf field it answers, moving it into the record (the
    /// symbol it went under), where no other field shares that symbol; else hands it back.
    #[cfg_attr(size_build, optimize(speed))]
    fn text_move_leaf<E: de::Error>(
        &mut self,
        progress: &mut Progress<'d>,
        name: &str,
        value: Val,
    ) -> Result<Result<Sym, Val>, E> {
        let Some(shape) = progress.shape.clone() else {
            return Ok(Err(value));
        };
        match shape.find(name, progress.next) {
            Some((position, field, false))
                if shape.distinct
                    && field.name != "__typename"
                    && field.selection_set.items.is_empty() =>
            {
                let sym = shape.syms.get(position).copied().unwrap_or(self.typename);
                self.text_field(progress, position, field, |_| Ok(Some((sym, value))))?;
                Ok(Ok(sym))
            }
            _ => {
                self.text_leaf_field(progress, name, &value)?;
                Ok(Err(value))
            }
        }
    }

    /// Writes the value of `__typename`, `id` or a key field (read as a leaf) to the fields (of
    /// the known fields) it answers: as it is to one leaf field, else as a tree.
    #[cfg_attr(size_build, optimize(speed))]
    fn text_leaf_field<E: de::Error>(
        &mut self,
        progress: &mut Progress<'d>,
        name: &str,
        value: &Val,
    ) -> Result<(), E> {
        let Some(shape) = progress.shape.clone() else {
            return Ok(());
        };
        match shape.find(name, progress.next) {
            None => Ok(()),
            Some((position, field, false)) if field.selection_set.items.is_empty() => {
                // What the tree walk stores of a leaf: the value as it is.
                self.text_field(progress, position, field, |writer| {
                    let sym = if field.name == "__typename" {
                        writer.typename
                    } else {
                        writer.field_sym(field)
                    };
                    Ok(Some((sym, value.clone())))
                })
            }
            _ => {
                let tree = value.to_json(self.interner);
                self.text_tree_field(progress, name, tree)
            }
        }
    }

    /// The usual case of a field's turn, checked and taken: the field at `position` is
    /// [`Shape::direct`], comes after the last one written, and no deferred field waits before
    /// it. Then the fields skipped on the way are warned of as missing, and the caller writes
    /// the value straight into the record (a leaf cannot warn, so it needs no place in the
    /// path). `false`: nothing done, [`Writer::text_field`] takes it.
    #[cfg_attr(size_build, optimize(speed))]
    fn text_direct(&mut self, progress: &mut Progress<'d>, position: usize) -> bool {
        let direct = position >= progress.next
            && progress.deferred.is_empty()
            && progress
                .shape
                .as_ref()
                .is_some_and(|s| s.direct.get(position).copied().unwrap_or(false));
        if direct {
            if position > progress.next {
                if let Some(fields) = progress.fields.as_deref() {
                    self.text_missing(fields, progress.next, position);
                }
            }
            progress.next = position + 1;
        }
        direct
    }

    /// Moves on to the field at `position`: deferred fields before it are written, the others
    /// skipped on the way are missing; a field before the last one written (out of order, or
    /// given twice) means starting over.
    #[cfg_attr(size_build, optimize(speed))]
    fn text_advance<E: de::Error>(
        &mut self,
        progress: &mut Progress<'d>,
        position: usize,
    ) -> Result<(), E> {
        if position < progress.next {
            return Err(fall_back(self));
        }
        self.text_advance_to(progress, position);
        progress.next = position + 1;
        Ok(())
    }

    /// Writes the deferred fields before `until` and warns of the missing ones.
    #[cfg_attr(size_build, optimize(speed))]
    fn text_advance_to(&mut self, progress: &mut Progress<'d>, until: usize) {
        let Some(fields) = progress.fields.clone() else {
            return;
        };
        while let Some(&(position, value)) = progress.deferred.first() {
            if position >= until {
                break;
            }
            progress.deferred.remove(0);
            self.text_missing(&fields, progress.next, position);
            progress.next = position + 1;
            if let (Some(&field), Some(value)) = (fields.get(position), progress.values.get(value))
            {
                self.enter(Seg::Key(field.response_key()), position);
                let written = self.write_field(field, value);
                self.leave();
                if let Some((sym, value)) = written {
                    set_field(&mut progress.record, sym, value);
                }
            }
        }
        self.text_missing(&fields, progress.next, until);
        progress.next = progress.next.max(until);
    }

    /// Writes the field at `position` with what `write` gives for it, in its turn.
    #[cfg_attr(size_build, optimize(speed))]
    fn text_field<E: de::Error>(
        &mut self,
        progress: &mut Progress<'d>,
        position: usize,
        field: &'d Field,
        write: impl FnOnce(&mut Self) -> Result<Option<(Sym, Val)>, E>,
    ) -> Result<(), E> {
        let typename = field.name == "__typename";
        if typename {
            if progress.typenames.iter().any(|(p, _)| *p == position) {
                return Err(fall_back(self));
            }
        } else {
            self.text_advance(progress, position)?;
        }
        self.enter(Seg::Key(field.response_key()), position);
        let written = write(self);
        self.leave();
        if let Some((sym, value)) = written? {
            if typename {
                progress.typenames.push((position, Some(value)));
            } else if progress.shape.as_ref().is_some_and(|s| s.distinct) {
                progress.record.push((sym, value));
            } else {
                set_field(&mut progress.record, sym, value);
            }
        }
        Ok(())
    }

    /// The `__typename` fields at the end of an object: the missing ones warned of, the others
    /// written in the document's order.
    #[cfg_attr(size_build, optimize(speed))]
    fn text_typenames(&mut self, progress: &mut Progress<'d>, mut own: Option<Val>) {
        let Some(shape) = progress.shape.clone() else {
            return;
        };
        // The usual case: the one `__typename` field, answered by the object's own.
        if let ([position], [(given, None)]) = (&*shape.typenames, progress.typenames.as_slice()) {
            if position == given {
                progress.typenames.clear();
                if let Some(value) = own {
                    progress.record.push((self.typename, value));
                }
                return;
            }
        }
        for &position in shape.typenames.iter() {
            if !progress.typenames.iter().any(|(p, _)| *p == position) {
                if let Some(key) = shape.keys.get(position) {
                    self.enter(Seg::Key(key), position);
                    self.warn_missing();
                    self.leave();
                }
            }
        }
        if progress.typenames.len() > 1 {
            progress.typenames.sort_by_key(|(p, _)| *p);
        }
        // Nothing else writes the typename's symbol: the first needs no search.
        let mut first = true;
        for (_, value) in progress.typenames.drain(..) {
            // `None`: the object's own `__typename`, moved in (it is given once).
            if let Some(value) = value.or_else(|| own.take()) {
                if first {
                    progress.record.push((self.typename, value));
                    first = false;
                } else {
                    set_field(&mut progress.record, self.typename, value);
                }
            }
        }
    }

    /// Warns of the fields from `from` up to (not including) `until` (but `__typename`s).
    #[cfg_attr(size_build, optimize(speed))]
    fn text_missing(&mut self, fields: &[&'d Field], from: usize, until: usize) {
        for position in from..until {
            if let Some(&field) = fields.get(position).filter(|f| f.name != "__typename") {
                self.enter(Seg::Key(field.response_key()), position);
                self.warn_missing();
                self.leave();
            }
        }
    }

    /// Writes a value kept as a tree to the first field (of the known fields) it answers, and
    /// defers the others to their turn.
    #[cfg_attr(size_build, optimize(speed))]
    fn text_tree_field<E: de::Error>(
        &mut self,
        progress: &mut Progress<'d>,
        name: &str,
        value: Value,
    ) -> Result<(), E> {
        let Some(fields) = progress.fields.clone() else {
            return Ok(());
        };
        let mut later = Vec::new();
        let mut first = true;
        for (position, &field) in fields.iter().enumerate() {
            if field.response_key() != name {
                continue;
            }
            if first || field.name == "__typename" {
                first &= field.name == "__typename";
                self.text_field(progress, position, field, |writer| {
                    Ok(writer.write_field(field, &value))
                })?;
            } else {
                later.push(position);
            }
        }
        if !later.is_empty() {
            let index = progress.values.len();
            progress.values.push(value);
            for position in later {
                let at = progress.deferred.partition_point(|(p, _)| *p < position);
                progress.deferred.insert(at, (position, index));
            }
        }
        Ok(())
    }
}

/// One field's value: its symbol and what to store (`None`: nothing).
struct FieldSeed<'a, 'w, 'd> {
    writer: &'a mut Writer<'w, 'd>,
    field: &'d Field,
    sym: Sym,
}

impl<'de> DeserializeSeed<'de> for FieldSeed<'_, '_, '_> {
    type Value = Option<(Sym, Val)>;
    #[cfg_attr(size_build, optimize(speed))]
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        let FieldSeed { writer, field, sym } = self;
        if field.name == "__typename" {
            let value = LeafSeed(&mut *writer.interner).deserialize(d)?;
            return Ok(Some((writer.typename, value)));
        }
        let set = &field.selection_set;
        let value = if set.items.is_empty() {
            Some(LeafSeed(&mut *writer.interner).deserialize(d)?)
        } else {
            ValueSeed { writer, set }.deserialize(d)?
        };
        Ok(value.map(|v| (sym, v)))
    }
}

/// A value with a selection set: null, a list, or an object (a record or embedded).
struct ValueSeed<'a, 'w, 'd> {
    writer: &'a mut Writer<'w, 'd>,
    set: &'d SelectionSet,
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_, '_, '_> {
    type Value = Option<Val>;
    #[cfg_attr(size_build, optimize(speed))]
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Option<Val>, D::Error> {
        d.deserialize_any(self)
    }
}

impl ValueSeed<'_, '_, '_> {
    #[cfg_attr(size_build, optimize(speed))]
    fn not_object<E>(self, kind: &str) -> Result<Option<Val>, E> {
        self.writer.warn_not_object(kind);
        Ok(None)
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_, '_, '_> {
    type Value = Option<Val>;
    #[cfg_attr(size_build, optimize(speed))]
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value for a selection set")
    }
    #[cfg_attr(size_build, optimize(speed))]
    fn visit_unit<E>(self) -> Result<Option<Val>, E> {
        Ok(Some(Val::Null))
    }
    #[cfg_attr(size_build, optimize(speed))]
    fn visit_bool<E>(self, _: bool) -> Result<Option<Val>, E> {
        self.not_object("a boolean")
    }
    #[cfg_attr(size_build, optimize(speed))]
    fn visit_i64<E>(self, _: i64) -> Result<Option<Val>, E> {
        self.not_object("a number")
    }
    #[cfg_attr(size_build, optimize(speed))]
    fn visit_u64<E>(self, _: u64) -> Result<Option<Val>, E> {
        self.not_object("a number")
    }
    #[cfg_attr(size_build, optimize(speed))]
    fn visit_f64<E>(self, _: f64) -> Result<Option<Val>, E> {
        self.not_object("a number")
    }
    #[cfg_attr(size_build, optimize(speed))]
    fn visit_str<E>(self, _: &str) -> Result<Option<Val>, E> {
        self.not_object("a string")
    }
    #[cfg_attr(size_build, optimize(speed))]
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Option<Val>, A::Error> {
        let ValueSeed { writer, set } = self;
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        loop {
            let i = out.len();
            writer.enter(Seg::Index(i), i);
            let item = seq.next_element_seed(ValueSeed {
                writer: &mut *writer,
                set,
            });
            writer.leave();
            match item? {
                Some(item) => out.push(item.unwrap_or(Val::Null)),
                None => break,
            }
        }
        Ok(Some(Val::List(out.into_boxed_slice())))
    }
    #[cfg_attr(size_build, optimize(speed))]
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Option<Val>, A::Error> {
        let (fields, key) = self.writer.text_object(self.set, map)?;
        Ok(Some(self.writer.store_object(key, fields)))
    }
}

/// A leaf field's value, stored as it is ([`LeafSeed`]) and pushed onto `record` under `sym`:
/// the value is made where it is kept instead of being handed up through the parser's frames.
struct LeafInto<'a> {
    interner: &'a mut Interner,
    record: &'a mut Rec,
    sym: Sym,
}

impl LeafInto<'_> {
    #[cfg_attr(size_build, optimize(speed))]
    fn put<E>(self, value: Val) -> Result<(), E> {
        self.record.push((self.sym, value));
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for LeafInto<'_> {
    type Value = ();
    #[cfg_attr(size_build, optimize(speed))]
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for LeafInto<'_> {
    type Value = ();
    #[cfg_attr(size_build, optimize(speed))]
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    #[cfg_attr(size_build, optimize(speed))]
    fn visit_unit<E>(self) -> Result<(), E> {
        self.put(Val::Null)
    }
    #[cfg_attr(size_build, optimize(speed))]
    fn visit_bool<E>(self, v: bool) -> Result<(), E> {
        self.put(Val::Bool(v))
    }
    #[cfg_attr(size_build, optimize(speed))]
    fn visit_i64<E>(self, v: i64) -> Result<(), E> {
        self.put(Val::Num(v.into()))
    }
    #[cfg_attr(size_build, optimize(speed))]
    fn visit_u64<E>(self, v: u64) -> Result<(), E> {
        self.put(Val::Num(v.into()))
    }
    #[cfg_attr(size_build, optimize(speed))]
    fn visit_f64<E>(self, v: f64) -> Result<(), E> {
        self.put(Number::from_f64(v).map_or(Val::Null, Val::Num))
    }
    #[cfg_attr(size_build, optimize(speed))]
    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        self.record.push((self.sym, Val::text(v)));
        Ok(())
    }
    #[cfg_attr(size_build, optimize(speed))]
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        let value = LeafSeed(&mut *self.interner).visit_seq(seq)?;
        self.put(value)
    }
    #[cfg_attr(size_build, optimize(speed))]
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        let value = LeafSeed(&mut *self.interner).visit_map(map)?;
        self.put(value)
    }
}

/// A leaf field's value, stored as it is ([`Val::leaf`]).
struct LeafSeed<'i>(&'i mut Interner);

impl<'de> DeserializeSeed<'de> for LeafSeed<'_> {
    type Value = Val;
    #[cfg_attr(size_build, optimize(speed))]
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Val, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for LeafSeed<'_> {
    type Value = Val;
    #[cfg_attr(size_build, optimize(speed))]
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    #[cfg_attr(size_build, optimize(speed))]
    fn visit_unit<E>(self) -> Result<Val, E> {
        Ok(Val::Null)
    }
    #[cfg_attr(size_build, optimize(speed))]
    fn visit_bool<E>(self, v: bool) -> Result<Val, E> {
        Ok(Val::Bool(v))
    }
    #[cfg_attr(size_build, optimize(speed))]
    fn visit_i64<E>(self, v: i64) -> Result<Val, E> {
        Ok(Val::Num(v.into()))
    }
    #[cfg_attr(size_build, optimize(speed))]
    fn visit_u64<E>(self, v: u64) -> Result<Val, E> {
        Ok(Val::Num(v.into()))
    }
    #[cfg_attr(size_build, optimize(speed))]
    fn visit_f64<E>(self, v: f64) -> Result<Val, E> {
        Ok(Number::from_f64(v).map_or(Val::Null, Val::Num))
    }
    #[cfg_attr(size_build, optimize(speed))]
    fn visit_str<E>(self, v: &str) -> Result<Val, E> {
        Ok(Val::text(v))
    }
    #[cfg_attr(size_build, optimize(speed))]
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Val, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element_seed(LeafSeed(&mut *self.0))? {
            items.push(item);
        }
        Ok(Val::List(items.into_boxed_slice()))
    }
    #[cfg_attr(size_build, optimize(speed))]
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Val, A::Error> {
        // A JSON scalar object: as a tree, so its keys are stored as the tree walk stores them
        // (sorted, the last of a repeated key kept).
        let value = Value::deserialize(de::value::MapAccessDeserializer::new(map))?;
        Ok(Val::leaf(&value, self.0))
    }
}
