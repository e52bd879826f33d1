//! How records are held in memory: compact, with every record key and field key interned once.
//!
//! A record is a short list of `(field, value)` pairs whose field is a [`Sym`] (a `u32` into the
//! [`Interner`]), and whose values are [`Val`]s: scalars, references to other records by
//! symbol, lists, and embedded objects. Nothing repeats a field name or a record key per record,
//! so a cache of 10,000 entities costs a few MiB, and reads compare integers instead of strings.
//!
//! The JSON form ([`Record`]: `{"field(args)": value, "owner": {"__ref": "User:1"}}`) is what
//! the store persists and `extract` returns; [`to_json`] and [`from_json`] convert.

use super::hash::FastMap;
use super::Record;
use serde_json::{Map, Number, Value};

/// An interned string: a record key (`Todo:1`) or a field key (`listTodos({"limit":10})`).
pub type Sym = u32;

/// Interns record and field keys. Append-only: a symbol stays valid for the interner's life.
///
/// Names are stored once, one after another in one string; symbols are found by their name's
/// hash (names whose hashes collide are told apart by comparing them).
#[derive(Debug, Default, Clone)]
pub struct Interner {
    /// Every name, in symbol order.
    text: String,
    /// Where each symbol's name ends in `text` (it starts where the previous one ends).
    ends: Vec<u32>,
    /// The first symbol with each name hash.
    ids: FastMap<u64, Sym>,
    /// Further symbols whose names share a hash with another's (rare).
    collisions: FastMap<u64, Vec<Sym>>,
}

#[cfg_attr(size_build, optimize(speed))]
fn name_hash(name: &[u8]) -> u64 {
    use std::hash::Hasher;
    let mut hasher = super::hash::FastHasher::default();
    hasher.write(name);
    hasher.finish()
}

impl Interner {
    /// How many symbols there are (every symbol is below this).
    #[cfg_attr(size_build, optimize(speed))]
    pub fn symbols(&self) -> usize {
        self.ends.len()
    }

    /// The symbol of `name`, interning it if new.
    #[cfg_attr(size_build, optimize(speed))]
    pub fn intern(&mut self, name: &str) -> Sym {
        let hash = name_hash(name.as_bytes());
        match self.find(hash, name.as_bytes()) {
            Some(id) => id,
            None => self.insert(hash, name),
        }
    }

    /// [`Interner::intern`] for a name given as bytes (checked to be UTF-8 only when new: a
    /// key put together from stored strings needs no second check); `None` if they are not
    /// UTF-8.
    #[cfg_attr(size_build, optimize(speed))]
    pub fn intern_utf8(&mut self, name: &[u8]) -> Option<Sym> {
        let hash = name_hash(name);
        match self.find(hash, name) {
            Some(id) => Some(id),
            None => Some(self.insert(hash, std::str::from_utf8(name).ok()?)),
        }
    }

    #[cfg_attr(size_build, optimize(speed))]
    fn insert(&mut self, hash: u64, name: &str) -> Sym {
        let id = self.ends.len() as Sym;
        self.text.push_str(name);
        self.ends.push(self.text.len() as u32);
        match self.ids.entry(hash) {
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(id);
            }
            std::collections::hash_map::Entry::Occupied(_) => {
                self.collisions.entry(hash).or_default().push(id);
            }
        }
        id
    }

    #[cfg_attr(size_build, optimize(speed))]
    fn find(&self, hash: u64, name: &[u8]) -> Option<Sym> {
        let first = *self.ids.get(&hash)?;
        if self.name(first).as_bytes() == name {
            return Some(first);
        }
        self.collisions
            .get(&hash)?
            .iter()
            .copied()
            .find(|id| self.name(*id).as_bytes() == name)
    }

    /// The symbol of `name` if it was ever interned.
    #[cfg_attr(size_build, optimize(speed))]
    pub fn get(&self, name: &str) -> Option<Sym> {
        self.find(name_hash(name.as_bytes()), name.as_bytes())
    }

    /// The string of a symbol this interner made.
    #[cfg_attr(size_build, optimize(speed))]
    pub fn name(&self, sym: Sym) -> &str {
        let index = sym as usize;
        let Some(&end) = self.ends.get(index) else {
            return "";
        };
        let start = match index.checked_sub(1) {
            Some(previous) => self.ends.get(previous).copied().unwrap_or(0),
            None => 0,
        };
        self.text
            .get(start as usize..end as usize)
            .unwrap_or_default()
    }
}

/// A stored value.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Null,
    Bool(bool),
    Num(Number),
    /// A string longer than [`Short`] holds. (Strings are made with [`Val::text`], so each
    /// string has one form.)
    Str(Box<str>),
    /// A short string (a type name, an id, a name), kept inside the value: no allocation.
    Short(Short),
    /// A reference to the record with this key.
    Ref(Sym),
    List(Box<[Val]>),
    /// An object without a key of its own (a connection, a JSON scalar), stored in its parent.
    Obj(Box<[(Sym, Val)]>),
}

/// How many bytes of a string a value holds in place (a value is 24 bytes either way).
const SHORT: usize = 22;

/// A string of at most [`SHORT`] bytes, held in place.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Short {
    len: u8,
    bytes: [u8; SHORT],
}

impl Short {
    #[cfg_attr(size_build, optimize(speed))]
    fn new(text: &str) -> Option<Short> {
        let len = text.len();
        if len > SHORT {
            return None;
        }
        let mut bytes = [0; SHORT];
        bytes.get_mut(..len)?.copy_from_slice(text.as_bytes());
        Some(Short {
            len: len as u8,
            bytes,
        })
    }

    #[cfg_attr(size_build, optimize(speed))]
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len as usize).unwrap_or_default()
    }

    #[cfg_attr(size_build, optimize(speed))]
    #[inline]
    pub fn as_str(&self) -> &str {
        // Always UTF-8: the bytes are a whole `str`'s.
        self.bytes
            .get(..self.len as usize)
            .and_then(|b| std::str::from_utf8(b).ok())
            .unwrap_or_default()
    }
}

impl std::fmt::Debug for Short {
    #[cfg_attr(size_build, optimize(speed))]
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.as_str().fmt(f)
    }
}

/// A record: its fields in the order they were first written.
pub type Rec = Vec<(Sym, Val)>;

/// The value of field `sym` in `record`.
#[cfg_attr(size_build, optimize(speed))]
pub fn field(record: &[(Sym, Val)], sym: Sym) -> Option<&Val> {
    record.iter().find(|(s, _)| *s == sym).map(|(_, v)| v)
}

/// Sets field `sym` (replacing an earlier value).
#[cfg_attr(size_build, optimize(speed))]
pub fn set_field(record: &mut Rec, sym: Sym, value: Val) {
    match record.iter_mut().find(|(s, _)| *s == sym) {
        Some(slot) => slot.1 = value,
        None => record.push((sym, value)),
    }
}

/// Merges `fields` into `record`: written fields replace, the others stay.
#[cfg_attr(size_build, optimize(speed))]
pub fn merge(record: &mut Rec, fields: Rec) {
    if record.is_empty() {
        *record = fields;
        return;
    }
    for (sym, value) in fields {
        set_field(record, sym, value);
    }
}

/// [`merge`], telling whether the record changed (a field added or given another value).
#[cfg_attr(size_build, optimize(speed))]
pub fn merge_changed(record: &mut Rec, fields: Rec) -> bool {
    if record.is_empty() {
        let changed = !fields.is_empty();
        *record = fields;
        return changed;
    }
    let mut changed = false;
    for (sym, value) in fields {
        match record.iter_mut().find(|(s, _)| *s == sym) {
            Some(slot) => {
                if slot.1 != value {
                    slot.1 = value;
                    changed = true;
                }
            }
            None => {
                record.push((sym, value));
                changed = true;
            }
        }
    }
    changed
}

impl Val {
    /// A string value, short ones held in place.
    #[cfg_attr(size_build, optimize(speed))]
    pub fn text(text: &str) -> Val {
        match Short::new(text) {
            Some(short) => Val::Short(short),
            None => Val::Str(text.into()),
        }
    }

    /// The UTF-8 bytes of a string value (no check needed: they are a whole `str`'s).
    #[cfg_attr(size_build, optimize(speed))]
    #[inline]
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Val::Str(s) => Some(s.as_bytes()),
            Val::Short(s) => Some(s.as_bytes()),
            _ => None,
        }
    }

    /// The string of a string value.
    #[cfg_attr(size_build, optimize(speed))]
    #[inline]
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Val::Str(s) => Some(s),
            Val::Short(s) => Some(s.as_str()),
            _ => None,
        }
    }

    /// A JSON value stored as it is (a leaf field's value): objects keep their keys (interned),
    /// and nothing is read as a reference.
    #[cfg_attr(size_build, optimize(speed))]
    pub fn leaf(value: &Value, interner: &mut Interner) -> Val {
        match value {
            Value::Null => Val::Null,
            Value::Bool(b) => Val::Bool(*b),
            Value::Number(n) => Val::Num(n.clone()),
            Value::String(s) => Val::text(s),
            Value::Array(items) => {
                Val::List(items.iter().map(|v| Val::leaf(v, interner)).collect())
            }
            Value::Object(map) => Val::Obj(
                map.iter()
                    .map(|(k, v)| (interner.intern(k), Val::leaf(v, interner)))
                    .collect(),
            ),
        }
    }

    /// The JSON of a stored value, references as `{"__ref": key}` (the persisted form).
    #[cfg_attr(size_build, optimize(speed))]
    pub fn to_json(&self, interner: &Interner) -> Value {
        match self {
            Val::Null => Value::Null,
            Val::Bool(b) => Value::Bool(*b),
            Val::Num(n) => Value::Number(n.clone()),
            Val::Str(s) => Value::String(s.to_string()),
            Val::Short(s) => Value::String(s.as_str().to_owned()),
            Val::Ref(key) => super::reference(interner.name(*key)),
            Val::List(items) => Value::Array(items.iter().map(|v| v.to_json(interner)).collect()),
            Val::Obj(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(k, v)| (interner.name(*k).to_owned(), v.to_json(interner)))
                    .collect(),
            ),
        }
    }

    /// Reads the persisted form back (`{"__ref": key}` becomes a reference).
    #[cfg_attr(size_build, optimize(speed))]
    pub fn from_json(value: &Value, interner: &mut Interner) -> Val {
        if let Some(key) = super::as_reference(value) {
            return Val::Ref(interner.intern(key));
        }
        match value {
            Value::Array(items) => {
                Val::List(items.iter().map(|v| Val::from_json(v, interner)).collect())
            }
            Value::Object(map) => Val::Obj(
                map.iter()
                    .map(|(k, v)| (interner.intern(k), Val::from_json(v, interner)))
                    .collect(),
            ),
            other => Val::leaf(other, interner),
        }
    }

    /// Every record this value references, directly or inside lists and objects.
    #[cfg_attr(size_build, optimize(speed))]
    pub fn references(&self, out: &mut Vec<Sym>) {
        match self {
            Val::Ref(key) => out.push(*key),
            Val::List(items) => items.iter().for_each(|v| v.references(out)),
            Val::Obj(fields) => fields.iter().for_each(|(_, v)| v.references(out)),
            _ => {}
        }
    }
}

/// The persisted (JSON) form of a record.
#[cfg_attr(size_build, optimize(speed))]
pub fn to_json(record: &[(Sym, Val)], interner: &Interner) -> Record {
    let mut out = Map::new();
    for (sym, value) in record {
        out.insert(interner.name(*sym).to_owned(), value.to_json(interner));
    }
    out
}

/// The persisted (JSON) form of a record as text, written straight into `out`: the bytes
/// `serde_json` writes of [`to_json`]'s tree (keys sorted), without building the tree (a map,
/// and a `String` per key and per string value, for every record of every persisted write).
#[cfg_attr(size_build, optimize(speed))]
pub fn encode_into(record: &[(Sym, Val)], interner: &Interner, out: &mut Vec<u8>) {
    encode_object(record, interner, out);
}

#[cfg_attr(size_build, optimize(speed))]
fn encode_object(fields: &[(Sym, Val)], interner: &Interner, out: &mut Vec<u8>) {
    // Keys sorted like a map's (byte order), as the tree's `Map` iterates them.
    let mut order: Vec<(&str, &Val)> = fields.iter().map(|(k, v)| (interner.name(*k), v)).collect();
    order.sort_unstable_by(|a, b| a.0.cmp(b.0));
    out.push(b'{');
    for (n, (name, value)) in order.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        json_into(out, *name);
        out.push(b':');
        value.encode_into(interner, out);
    }
    out.push(b'}');
}

/// `value`'s JSON text appended to `out` (writing to a `Vec` cannot fail).
#[cfg_attr(size_build, optimize(speed))]
fn json_into<T: serde::Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    let _ = serde_json::to_writer(&mut *out, value);
}

impl Val {
    /// [`Val::to_json`]'s JSON text appended to `out`, without the tree.
    #[cfg_attr(size_build, optimize(speed))]
    fn encode_into(&self, interner: &Interner, out: &mut Vec<u8>) {
        match self {
            Val::Null => out.extend_from_slice(b"null"),
            Val::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
            Val::Num(n) => json_into(out, n),
            Val::Str(s) => json_into(out, &**s),
            Val::Short(s) => json_into(out, s.as_str()),
            Val::Ref(key) => {
                out.extend_from_slice(br#"{"__ref":"#);
                json_into(out, interner.name(*key));
                out.push(b'}');
            }
            Val::List(items) => {
                out.push(b'[');
                for (n, item) in items.iter().enumerate() {
                    if n > 0 {
                        out.push(b',');
                    }
                    item.encode_into(interner, out);
                }
                out.push(b']');
            }
            Val::Obj(fields) => encode_object(fields, interner, out),
        }
    }
}

/// A record from its persisted (JSON) form.
#[cfg_attr(size_build, optimize(speed))]
pub fn from_json(record: &Record, interner: &mut Interner) -> Rec {
    record
        .iter()
        .map(|(k, v)| (interner.intern(k), Val::from_json(v, interner)))
        .collect()
}

/// Records with the interner their symbols belong to: what [`super::normalize`] produces and
/// [`super::read`] reads (the live cache keeps one of these per client).
#[derive(Debug, Default, Clone)]
pub struct RecordSet {
    pub(crate) interner: Interner,
    pub(crate) records: FastMap<Sym, Rec>,
}

impl RecordSet {
    /// The record `key` in its JSON form.
    #[cfg_attr(size_build, optimize(speed))]
    pub fn get(&self, key: &str) -> Option<Record> {
        let sym = self.interner.get(key)?;
        self.records.get(&sym).map(|r| to_json(r, &self.interner))
    }

    /// Every record key, sorted.
    #[cfg_attr(size_build, optimize(speed))]
    pub fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self
            .records
            .keys()
            .map(|k| self.interner.name(*k).to_owned())
            .collect();
        keys.sort_unstable();
        keys
    }

    #[cfg_attr(size_build, optimize(speed))]
    pub fn len(&self) -> usize {
        self.records.len()
    }

    #[cfg_attr(size_build, optimize(speed))]
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Removes record `key`.
    #[cfg_attr(size_build, optimize(speed))]
    pub fn remove(&mut self, key: &str) -> Option<Record> {
        let sym = self.interner.get(key)?;
        let record = self.records.remove(&sym)?;
        Some(to_json(&record, &self.interner))
    }

    /// Writes `fields` into record `key` (fields not given stay).
    #[cfg_attr(size_build, optimize(speed))]
    pub fn merge_json(&mut self, key: &str, fields: &Record) {
        let sym = self.interner.intern(key);
        let fields = from_json(fields, &mut self.interner);
        merge(self.records.entry(sym).or_default(), fields);
    }

    /// Merges another set's records into this one.
    #[cfg_attr(size_build, optimize(speed))]
    pub fn merge_set(&mut self, other: &RecordSet) {
        for (sym, record) in &other.records {
            let json = to_json(record, &other.interner);
            self.merge_json(other.interner.name(*sym), &json);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn records_round_trip_through_their_json_form() {
        let mut interner = Interner::default();
        let json = json!({
            "__typename": "Todo", "id": "1", "n": 1.5, "big": 18446744073709551615u64,
            "owner": {"__ref": "User:1"}, "tags": ["a", {"__ref": "Tag:2"}],
            "meta": {"nested": {"deep": [null, true]}}
        });
        let record = from_json(json.as_object().unwrap(), &mut interner);
        assert_eq!(
            field(&record, interner.get("owner").unwrap()),
            Some(&Val::Ref(interner.get("User:1").unwrap()))
        );
        assert_eq!(Value::Object(to_json(&record, &interner)), json);
        // Written straight to text: the same bytes as the tree's, also with fields out of key
        // order, strings to escape and objects in lists.
        let mut unsorted = record.clone();
        unsorted.reverse();
        let (z, a) = (interner.intern("z"), interner.intern("a\"b"));
        unsorted.insert(0, (z, Val::text("quote \" newline \n control \u{1} é")));
        unsorted.push((
            a,
            Val::List(
                vec![
                    Val::Obj(vec![(z, Val::Null), (a, Val::Num((-3).into()))].into()),
                    Val::Bool(false),
                ]
                .into(),
            ),
        ));
        for record in [&record, &unsorted] {
            let mut text = Vec::new();
            encode_into(record, &interner, &mut text);
            assert_eq!(
                String::from_utf8(text).unwrap(),
                serde_json::to_string(&to_json(record, &interner)).unwrap()
            );
        }
        let mut refs = Vec::new();
        record.iter().for_each(|(_, v)| v.references(&mut refs));
        let names: Vec<&str> = refs.iter().map(|s| interner.name(*s)).collect();
        assert_eq!(names, ["User:1", "Tag:2"]);
    }

    #[test]
    fn decoding_bytes_equals_decoding_the_json_tree() {
        let json = json!({
            "__typename": "Todo", "n": -1.5, "big": 18446744073709551615u64, "s": "a\"b",
            "list": [{"__ref": "Todo:1"}, {"__ref": "Todo:2", "x": 1}, {"__ref": 5}, [], {}],
            "owner": {"__ref": "User:1"}, "nothing": null, "flag": false
        });
        let bytes = serde_json::to_vec(&json).unwrap();
        let mut a = Interner::default();
        let mut b = Interner::default();
        let decoded = decode(&bytes, &mut a).unwrap();
        let from_tree = from_json(json.as_object().unwrap(), &mut b);
        assert_eq!(
            Value::Object(to_json(&decoded, &a)),
            Value::Object(to_json(&from_tree, &b))
        );
        assert_eq!(Value::Object(to_json(&decoded, &a)), json);
        assert!(decode(b"[1]", &mut a).is_err());
        assert!(decode(b"{\"a\": 1} trailing", &mut a).is_err());
        assert!(decode(b"{\"a\": ", &mut a).is_err());
    }

    #[test]
    fn values_stay_small_and_short_strings_are_held_in_place() {
        assert_eq!(std::mem::size_of::<Val>(), 24);
        let short = Val::text("todo-12345");
        assert!(matches!(short, Val::Short(_)));
        assert_eq!(short.as_str(), Some("todo-12345"));
        let long = Val::text("a string longer than twenty-two bytes");
        assert!(matches!(long, Val::Str(_)));
        let mut interner = Interner::default();
        let exact = Val::text("é".repeat(11).as_str());
        assert_eq!(exact.as_str(), Some("ééééééééééé"));
        assert_eq!(exact.to_json(&interner), json!("ééééééééééé"));
        assert_eq!(Val::leaf(&json!("x"), &mut interner), Val::text("x"));
    }

    #[test]
    fn leaf_objects_are_never_references() {
        let mut interner = Interner::default();
        let leaf = Val::leaf(&json!({"__ref": "X:1"}), &mut interner);
        assert!(matches!(leaf, Val::Obj(_)));
    }

    #[test]
    fn interned_names_are_found_again_even_when_hashes_collide() {
        let mut interner = Interner::default();
        let names: Vec<String> = (0..5000).map(|i| format!("Todo:todo-{i}")).collect();
        let syms: Vec<Sym> = names.iter().map(|n| interner.intern(n)).collect();
        for (name, sym) in names.iter().zip(&syms) {
            assert_eq!(interner.get(name), Some(*sym));
            assert_eq!(interner.name(*sym), name);
        }
        assert_eq!(interner.intern(""), 5000);
        assert_eq!(interner.name(5000), "");
        assert_eq!(interner.get("absent"), None);
        // Force a collision: two names under one hash bucket.
        let mut forced = Interner::default();
        let a = forced.intern("a");
        let hash = name_hash(b"b");
        forced.ids.insert(hash, a);
        forced.text.push('b');
        forced.ends.push(forced.text.len() as u32);
        forced.collisions.entry(hash).or_default().push(1);
        assert_eq!(forced.get("b"), Some(1));
        assert_eq!(forced.intern("b"), 1);
        assert_eq!(forced.get("a"), Some(a));
    }

    #[test]
    fn symbols_are_stable_and_merging_keeps_unwritten_fields() {
        let mut interner = Interner::default();
        let a = interner.intern("a");
        let b = interner.intern("b");
        assert_eq!(interner.intern("a"), a);
        let mut record = vec![(a, Val::Bool(true)), (b, Val::Null)];
        merge(&mut record, vec![(b, Val::Str("x".into()))]);
        assert_eq!(field(&record, a), Some(&Val::Bool(true)));
        assert_eq!(field(&record, b), Some(&Val::Str("x".into())));
        assert_eq!(interner.name(99), "");
    }
}

/// Decodes a persisted record straight from its JSON bytes: keys interned as they are read,
/// `{"__ref": key}` objects become references, no intermediate JSON tree. (A stored root record
/// can hold a list of 100,000 references; this is what keeps opening it cheap.)
pub fn decode(bytes: &[u8], interner: &mut Interner) -> Result<Rec, serde_json::Error> {
    use serde::de::DeserializeSeed;
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let record = seed::RecordSeed(interner).deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(record)
}

mod seed {
    use super::{Interner, Rec, Sym, Val};
    use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
    use serde_json::Number;
    use std::fmt;

    pub struct RecordSeed<'i>(pub &'i mut Interner);

    impl<'de> DeserializeSeed<'de> for RecordSeed<'_> {
        type Value = Rec;
        fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Rec, D::Error> {
            d.deserialize_map(FieldsVisitor(self.0))
        }
    }

    struct FieldsVisitor<'i>(&'i mut Interner);

    impl<'de> Visitor<'de> for FieldsVisitor<'_> {
        type Value = Rec;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a record (a JSON object)")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Rec, A::Error> {
            let mut out = Rec::new();
            while let Some(key) = map.next_key_seed(KeySeed(self.0))? {
                let value = map.next_value_seed(ValSeed(self.0))?;
                out.push((key, value));
            }
            Ok(out)
        }
    }

    /// A key, interned without allocating when it is already known.
    struct KeySeed<'i>(&'i mut Interner);

    impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
        type Value = Sym;
        fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Sym, D::Error> {
            d.deserialize_str(self)
        }
    }

    impl<'de> Visitor<'de> for KeySeed<'_> {
        type Value = Sym;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Sym, E> {
            Ok(self.0.intern(v))
        }
    }

    struct ValSeed<'i>(&'i mut Interner);

    impl<'de> DeserializeSeed<'de> for ValSeed<'_> {
        type Value = Val;
        fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Val, D::Error> {
            d.deserialize_any(self)
        }
    }

    impl<'de> Visitor<'de> for ValSeed<'_> {
        type Value = Val;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON value")
        }
        fn visit_unit<E>(self) -> Result<Val, E> {
            Ok(Val::Null)
        }
        fn visit_none<E>(self) -> Result<Val, E> {
            Ok(Val::Null)
        }
        fn visit_bool<E>(self, v: bool) -> Result<Val, E> {
            Ok(Val::Bool(v))
        }
        fn visit_i64<E>(self, v: i64) -> Result<Val, E> {
            Ok(Val::Num(v.into()))
        }
        fn visit_u64<E>(self, v: u64) -> Result<Val, E> {
            Ok(Val::Num(v.into()))
        }
        fn visit_f64<E>(self, v: f64) -> Result<Val, E> {
            Ok(Number::from_f64(v).map_or(Val::Null, Val::Num))
        }
        fn visit_str<E>(self, v: &str) -> Result<Val, E> {
            Ok(Val::text(v))
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Val, A::Error> {
            let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
            while let Some(item) = seq.next_element_seed(ValSeed(self.0))? {
                items.push(item);
            }
            Ok(Val::List(items.into_boxed_slice()))
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Val, A::Error> {
            let reference = self.0.intern("__ref");
            let mut fields: Vec<(Sym, Val)> = Vec::new();
            while let Some(key) = map.next_key_seed(KeySeed(self.0))? {
                let value = map.next_value_seed(ValSeed(self.0))?;
                fields.push((key, value));
            }
            // `{"__ref": key}` alone is a reference; next to other fields it is a plain string.
            if let [(key, value)] = fields.as_slice() {
                if *key == reference {
                    if let Some(target) = value.as_str() {
                        return Ok(Val::Ref(self.0.intern(target)));
                    }
                }
            }
            Ok(Val::Obj(fields.into_boxed_slice()))
        }
    }
}
