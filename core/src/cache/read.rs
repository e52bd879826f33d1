//! Reading a query back from records: the result in the shape the document asks for (aliases
//! included), what was missing, and every record the read touched (its dependencies).

use super::hash::{FastMap, FastSet};
use super::normalize::{path_text, Seg};
use super::records::{field, Interner, Rec, RecordSet, Sym, Val};
use super::root_key;
use super::selection::Walk;
use super::symset::{SymCollector, SymSet};
use crate::graphql::ast::{Field, SelectionSet};
use crate::graphql::{Fragment, Operation, OperationKind};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::collections::BTreeSet;
use std::rc::Rc;

/// Where records come from (owned when a source has to merge layers).
pub(crate) trait RecordSource {
    fn record(&self, key: Sym) -> Option<Cow<'_, Rec>>;
}

impl RecordSource for FastMap<Sym, Rec> {
    #[cfg_attr(size_build, optimize(speed))]
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
    pub(crate) dependencies: SymSet,
}

impl ReadResult {
    /// The result as far as it could be read: `data` when complete, else `partial`.
    #[cfg_attr(size_build, optimize(speed))]
    pub fn value(&self) -> &Value {
        self.data.as_ref().unwrap_or(&self.partial)
    }

    /// The keys of every record the read depended on (present or not), sorted.
    #[cfg_attr(size_build, optimize(speed))]
    pub fn dependency_keys(&self, records: &RecordSet) -> BTreeSet<String> {
        self.dependencies
            .iter()
            .map(|s| records.interner.name(*s).to_owned())
            .collect()
    }
}

/// Reads `operation` from `records`.
#[cfg_attr(size_build, optimize(speed))]
pub fn read(
    operation: &Operation,
    variables: Option<&Value>,
    records: &RecordSet,
    _keys: &super::KeyConfig,
) -> ReadResult {
    read_query_from(operation, variables, &records.records, &records.interner)
}

/// Reads the entity record `key` through `fragment`; a record that is not cached is a miss.
#[cfg_attr(size_build, optimize(speed))]
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

/// [`read`] as JSON text (see [`TextRead`]).
#[cfg_attr(size_build, optimize(speed))]
pub fn read_text(
    operation: &Operation,
    variables: Option<&Value>,
    records: &RecordSet,
) -> TextRead {
    read_text_from(
        Start::Query(operation),
        variables,
        &records.records,
        &records.interner,
    )
}

/// [`read_fragment`] as JSON text (see [`TextRead`]).
#[cfg_attr(size_build, optimize(speed))]
pub fn read_fragment_text(
    fragment: &Fragment,
    key: &str,
    variables: Option<&Value>,
    records: &RecordSet,
) -> TextRead {
    match records.interner.get(key) {
        Some(sym) => read_text_from(
            Start::Fragment(fragment, sym),
            variables,
            &records.records,
            &records.interner,
        ),
        None => TextRead {
            data: None,
            info: read_fragment(fragment, key, variables, records),
        },
    }
}

#[cfg_attr(size_build, optimize(speed))]
fn root_typename(kind: OperationKind) -> &'static str {
    match kind {
        OperationKind::Query => "Query",
        OperationKind::Mutation => "Mutation",
        OperationKind::Subscription => "Subscription",
    }
}

/// Where a read starts.
#[derive(Clone, Copy)]
pub(crate) enum Start<'a> {
    /// An operation's root record.
    Query(&'a Operation),
    /// An entity record through a fragment.
    Fragment(&'a Fragment, Sym),
}

/// Reads `operation` from `source`, whose symbols are `interner`'s.
#[cfg_attr(size_build, optimize(speed))]
pub(crate) fn read_query_from<S: RecordSource>(
    operation: &Operation,
    variables: Option<&Value>,
    source: &S,
    interner: &Interner,
) -> ReadResult {
    read_value(Start::Query(operation), variables, source, interner)
}

/// Reads record `key` through `fragment`.
#[cfg_attr(size_build, optimize(speed))]
pub(crate) fn read_fragment_from<S: RecordSource>(
    fragment: &Fragment,
    key: Sym,
    variables: Option<&Value>,
    source: &S,
    interner: &Interner,
) -> ReadResult {
    read_value(Start::Fragment(fragment, key), variables, source, interner)
}

/// A read as a `serde_json::Value`.
#[cfg_attr(size_build, optimize(speed))]
pub(crate) fn read_value<S: RecordSource>(
    start: Start<'_>,
    variables: Option<&Value>,
    source: &S,
    interner: &Interner,
) -> ReadResult {
    let (missing, dependencies, value) = read_with(
        start,
        variables,
        source,
        interner,
        &mut ValueSink,
        None,
        None,
    );
    let (data, partial) = if missing.is_empty() {
        (Some(value), Value::Null)
    } else {
        (None, value)
    };
    ReadResult {
        data,
        partial,
        missing,
        dependencies,
    }
}

/// A read as JSON text: the complete result's text (`None` when anything is missing), and
/// what a tree read reports besides its value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TextRead {
    /// The complete result as JSON text (the text `serde_json` writes of
    /// [`ReadResult::data`]), or `None` when anything was missing.
    pub data: Option<String>,
    /// The rest: `data` is always `None` here; when something was missing, `partial` and
    /// `missing` are [`ReadResult`]'s. Its dependencies are the read's in both cases.
    pub info: ReadResult,
}

/// A read as JSON text, written straight from the records (no `Value` tree). When something
/// is missing, the read is done again as a tree for the exact partial result and missing paths.
#[cfg_attr(size_build, optimize(speed))]
pub(crate) fn read_text_from<S: RecordSource>(
    start: Start<'_>,
    variables: Option<&Value>,
    source: &S,
    interner: &Interner,
) -> TextRead {
    read_text_memo(start, variables, source, interner, None)
}

/// [`read_text_from`], reusing and filling `memo` (the live cache's).
#[cfg_attr(size_build, optimize(speed))]
pub(crate) fn read_text_memo<S: RecordSource>(
    start: Start<'_>,
    variables: Option<&Value>,
    source: &S,
    interner: &Interner,
    memo: Option<MemoUse<'_>>,
) -> TextRead {
    read_text_into(start, variables, source, interner, memo, None)
}

#[cfg_attr(size_build, optimize(speed))]
fn read_text_into<S: RecordSource>(
    start: Start<'_>,
    variables: Option<&Value>,
    source: &S,
    interner: &Interner,
    mut memo: Option<MemoUse<'_>>,
    segments: Option<&mut Segments>,
) -> TextRead {
    let mut out = TextSink::default();
    if let Some(memo) = &memo {
        if segments.is_none() {
            out.out.reserve(memo.memo.last_len);
        }
    }
    let (missing, dependencies, ()) = read_with(
        start,
        variables,
        source,
        interner,
        &mut out,
        memo.as_mut().map(|m| MemoUse {
            memo: &mut *m.memo,
            stamps: m.stamps,
            generation: m.generation,
        }),
        segments,
    );
    if let Some(memo) = memo {
        memo.memo.last_len = out.out.len();
    }
    if !missing.is_empty() {
        let mut info = read_value(start, variables, source, interner);
        info.data = None;
        return TextRead { data: None, info };
    }
    TextRead {
        data: Some(out.finish()),
        info: ReadResult {
            dependencies,
            ..ReadResult::default()
        },
    }
}

/// A text read of the live cache cut at its outermost memoized objects, for a consumer that
/// keeps each memo entry's object (the web package keeps JS objects): the rest is JSON text
/// (the skeleton), and the entries this consumer has not had yet come as a [`FreshTape`].
/// After a one-item change of a long list, only that item crosses over and is built again,
/// and the other items are the objects of the last read.
///
/// A list marker may carry `"\u0002":place,"\u0003":id`: the consumer keeps a copy of the
/// list under `place`, as list `id`. A patch marker `{"\u0000":i,"\u0001":k,"\u0002":place,
/// "\u0003":id,"\u0004":q}` is that kept list (which must be list `id`) with item
/// `patches[q + j]` now marker `i + j`'s object, for `j < k`; the kept copy takes the change.
///
/// Entries are named by their slot in the memo (dense, bounded by the memo's size, so the
/// consumer can keep them in an array) and their id (never reused: a slot's entry is replaced
/// when its records change, and the new one comes with its object). The skeleton is the
/// result's JSON text in which each outermost memoized object is a marker object:
/// `{"\u0000":i}` stands for the object of entry `ref_ids[i]` in slot `refs[i]`, and
/// `{"\u0000":i,"\u0001":n}` for a list of the `n` objects of `refs[i..i + n]` (a list all
/// of whose items are markers). Keys that no GraphQL result has: response keys are names. A
/// stored object scalar with such a key is detected, and the read is then plain (`plain`).
///
/// The consumer must apply reads in the order they were made: a read sends an entry once
/// (`fresh`), and later reads only name it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SegmentRead {
    /// The skeleton (or, when `plain`, the whole result's text); `None` when anything was
    /// missing (then `info` is [`TextRead::info`]).
    pub skeleton: Option<String>,
    /// `skeleton` has no markers: it is the result's text.
    pub plain: bool,
    /// The slots of the entries the markers stand for, by marker index.
    pub refs: Vec<u32>,
    /// Their ids.
    pub ref_ids: Vec<u32>,
    /// The slots of the entries this read sends (each once), in the order of `fresh`.
    pub fresh_slots: Vec<u32>,
    /// Their ids.
    pub fresh_ids: Vec<u32>,
    /// Their objects, one value each (after those handed over in chunks, see
    /// [`FreshChunks`]).
    pub fresh: FreshTape,
    /// The object keys the tapes name, by number.
    pub keys: Vec<String>,
    /// The positions of patch markers' items (see above).
    pub patches: Vec<u32>,
    /// Changes when the memo was cleared: everything sent before is forgotten.
    pub epoch: u32,
    /// See [`TextRead::info`].
    pub info: ReadResult,
}

/// Where a segment read hands its fresh entries over as it goes (see
/// [`crate::cache::Cache::read_query_segments_with`]): `None` when a read (an attempt) starts, so
/// the consumer forgets what an earlier attempt handed over, then each chunk: a tape of
/// entries, in `fresh_slots` order, before the read's own `fresh`.
pub type FreshChunks<'a> = &'a mut dyn FnMut(Option<&FreshTape>);

/// Values as a tape of numbers plus the text of their strings, for a consumer that builds its
/// own objects from it faster than it parses JSON (the web package, `js/segments.js`): no
/// escapes, no digits, and each key is a number naming one of the read's `keys`.
///
/// A value is one of: `0` null, `1` false, `2` true; `3, n`: the integer `n` (an `i32`, two's
/// complement); `4, len`: a string, the next `len` UTF-16 units of `strings` (strings come
/// in the tape's order, so a consumer keeps one position in `strings`); `5, len`: a number
/// whose JSON text is the next `len` units; `6, len`: a value whose JSON text is the next
/// `len` units (an object scalar, or an entry's kept text); `7` an object: pairs of a key's
/// number and a value, up to [`TAPE_END`]; `8, n`: a list of the `n` values that follow;
/// `9, n`: object `n` again (objects are numbered in the order they begin, from 0, across a
/// read's chunks: the same record through the same selection set is one object); `10, n`:
/// the string `keys[n]` (a type name).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FreshTape {
    pub ops: Vec<u32>,
    pub strings: String,
}

/// Ends an object in a [`FreshTape`].
pub const TAPE_END: u32 = u32::MAX;
const TAPE_NULL: u32 = 0;
const TAPE_FALSE: u32 = 1;
const TAPE_TRUE: u32 = 2;
const TAPE_INT: u32 = 3;
const TAPE_STRING: u32 = 4;
const TAPE_NUMBER: u32 = 5;
const TAPE_JSON: u32 = 6;
const TAPE_OBJECT: u32 = 7;
const TAPE_LIST: u32 = 8;
const TAPE_AGAIN: u32 = 9;
const TAPE_NAME: u32 = 10;

impl FreshTape {
    #[cfg_attr(size_build, optimize(speed))]
    fn clear(&mut self) {
        self.ops.clear();
        self.strings.clear();
    }

    /// Roughly what it holds, in bytes.
    #[cfg_attr(size_build, optimize(speed))]
    fn bytes(&self) -> usize {
        self.ops.len() * 4 + self.strings.len()
    }

    #[cfg_attr(size_build, optimize(speed))]
    fn text(&mut self, op: u32, text: &str) {
        let units = if text.is_ascii() {
            text.len()
        } else {
            text.encode_utf16().count()
        };
        self.ops.push(op);
        self.ops.push(u32::try_from(units).unwrap_or(u32::MAX));
        self.strings.push_str(text);
    }
}

/// Writes a [`FreshTape`] (an entry's value; nothing in it is a segment or uses the memo).
#[derive(Default)]
struct TapeSink {
    tape: FreshTape,
    muted: u32,
    /// How many objects it began.
    objects: u32,
    /// Where serde_json writes a number before it joins the tape.
    scratch: Vec<u8>,
}

impl Sink for TapeSink {
    const SORTED: bool = true;
    const MEMO: bool = false;
    type Out = ();
    type Obj = ();
    type List = ();
    #[cfg_attr(size_build, optimize(speed))]
    fn begin_object(&mut self) {
        if self.muted == 0 {
            self.tape.ops.push(TAPE_OBJECT);
            self.objects += 1;
        }
    }
    #[cfg_attr(size_build, optimize(speed))]
    fn key(&mut self, _: &mut (), key: Key<'_>) {
        if self.muted == 0 {
            self.tape.ops.push(key.id);
        }
    }
    #[cfg_attr(size_build, optimize(speed))]
    fn next_object(&self) -> Option<u32> {
        (self.muted == 0).then_some(self.objects)
    }
    #[cfg_attr(size_build, optimize(speed))]
    fn object_again(&mut self, number: u32) {
        if self.muted == 0 {
            self.tape.ops.push(TAPE_AGAIN);
            self.tape.ops.push(number);
        }
    }
    #[cfg_attr(size_build, optimize(speed))]
    fn name(&mut self, _: &str, id: u32) {
        if self.muted == 0 {
            self.tape.ops.push(TAPE_NAME);
            self.tape.ops.push(id);
        }
    }
    #[cfg_attr(size_build, optimize(speed))]
    fn field(&mut self, _: &mut (), _: ()) {}
    #[cfg_attr(size_build, optimize(speed))]
    fn end_object(&mut self, _: ()) {
        if self.muted == 0 {
            self.tape.ops.push(TAPE_END);
        }
    }
    #[cfg_attr(size_build, optimize(speed))]
    fn begin_list(&mut self, len: usize) {
        if self.muted == 0 {
            self.tape.ops.push(TAPE_LIST);
            self.tape.ops.push(u32::try_from(len).unwrap_or(u32::MAX));
        }
    }
    #[cfg_attr(size_build, optimize(speed))]
    fn item(&mut self, _: &mut (), _: ()) {}
    #[cfg_attr(size_build, optimize(speed))]
    fn end_list(&mut self, _: ()) {}
    #[cfg_attr(size_build, optimize(speed))]
    fn null(&mut self) {
        if self.muted == 0 {
            self.tape.ops.push(TAPE_NULL);
        }
    }
    #[cfg_attr(size_build, optimize(speed))]
    fn string(&mut self, value: &str) {
        if self.muted == 0 {
            self.tape.text(TAPE_STRING, value);
        }
    }
    #[cfg_attr(size_build, optimize(speed))]
    fn leaf(&mut self, value: &Val, interner: &Interner) {
        if self.muted != 0 {
            return;
        }
        match value {
            Val::Null => self.tape.ops.push(TAPE_NULL),
            Val::Bool(b) => self.tape.ops.push(if *b { TAPE_TRUE } else { TAPE_FALSE }),
            Val::Num(n) => match n.as_i64().and_then(|n| i32::try_from(n).ok()) {
                Some(n) => {
                    self.tape.ops.push(TAPE_INT);
                    self.tape.ops.push(n as u32);
                }
                None => {
                    self.scratch.clear();
                    // Writing to a Vec cannot fail.
                    let _ = serde_json::to_writer(&mut self.scratch, n);
                    let text = std::str::from_utf8(&self.scratch).unwrap_or("null");
                    self.tape.text(TAPE_NUMBER, text);
                }
            },
            Val::Str(s) => self.tape.text(TAPE_STRING, s),
            Val::Short(s) => self.tape.text(TAPE_STRING, s.as_str()),
            Val::List(items) => {
                self.begin_list(items.len());
                for item in items.iter() {
                    self.leaf(item, interner);
                }
            }
            // References and objects as their JSON form (objects' keys sorted, like a tree's).
            Val::Ref(_) | Val::Obj(_) => {
                let text = serde_json::to_string(&value.to_json(interner)).unwrap_or_default();
                self.tape.text(TAPE_JSON, &text);
            }
        }
    }
    #[cfg_attr(size_build, optimize(speed))]
    fn mute(&mut self) {
        self.muted += 1;
    }
    #[cfg_attr(size_build, optimize(speed))]
    fn unmute(&mut self) {
        self.muted = self.muted.saturating_sub(1);
    }
    #[cfg_attr(size_build, optimize(speed))]
    fn raw(&mut self, text: &str) {
        if self.muted == 0 {
            self.tape.text(TAPE_JSON, text);
        }
    }
}

/// What a segment read collects besides its skeleton.
#[derive(Default)]
struct Segments<'f> {
    refs: Vec<u32>,
    /// Where each of `refs` is in the memo.
    ref_ats: Vec<u32>,
    /// The positions a patch marker's entries go to in its kept list.
    patches: Vec<u32>,
    /// Entries sent by this read: (index in the memo, id), marked as sent as they are found.
    fresh_at: Vec<(u32, u32)>,
    /// Their values, being written.
    fresh: TapeSink,
    /// The last value read was written as a marker.
    direct: bool,
    /// A stored object scalar outside the memoized objects has a marker's key.
    collision: bool,
    /// A marker's text, being made.
    scratch: String,
    /// Where `fresh` goes, a chunk at a time, once it holds `chunk_bytes` (none: it all stays).
    chunks: Option<FreshChunks<'f>>,
    chunk_bytes: usize,
    /// The response keys and type names a tape names by number, in number order.
    keys: Vec<String>,
    /// Their numbers.
    key_ids: FastMap<Box<str>, u32>,
}

impl Segments<'_> {
    /// The number of a response key or type name in [`Segments::keys`].
    #[cfg_attr(size_build, optimize(speed))]
    fn key_id(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.key_ids.get(name) {
            return id;
        }
        let id = u32::try_from(self.keys.len()).unwrap_or(u32::MAX);
        self.key_ids.insert(name.into(), id);
        self.keys.push(name.to_owned());
        id
    }

    /// Sends entry `id` (at `at` in the memo) with this read, by its kept text.
    #[cfg_attr(size_build, optimize(speed))]
    fn send(&mut self, at: u32, id: u32, text: &str) {
        self.fresh.tape.text(TAPE_JSON, text);
        self.sent(at, id);
    }

    /// Entry `id` (at `at` in the memo) is the last value written to `fresh`.
    #[cfg_attr(size_build, optimize(speed))]
    fn sent(&mut self, at: u32, id: u32) {
        self.fresh_at.push((at, id));
        if self.fresh.tape.bytes() >= self.chunk_bytes {
            if let Some(chunks) = self.chunks.as_mut() {
                chunks(Some(&self.fresh.tape));
                self.fresh.tape.clear();
            }
        }
    }

    /// Writes the marker of entry `id` (at `at` in the memo).
    #[cfg_attr(size_build, optimize(speed))]
    fn marker<O: Sink>(&mut self, out: &mut O, at: u32, id: u32) -> O::Out {
        self.scratch.clear();
        self.scratch.push_str(r#"{"\u0000":"#);
        push_decimal(&mut self.scratch, self.refs.len());
        self.scratch.push('}');
        self.refs.push(id);
        self.ref_ats.push(at);
        self.direct = true;
        out.raw(&self.scratch)
    }

    /// Writes the marker of a list of the entries `refs[first..first + len]`; with `kept`
    /// (a list memo's place and id), the consumer keeps a copy of it for later patches.
    #[cfg_attr(size_build, optimize(speed))]
    fn list_marker<O: Sink>(
        &mut self,
        out: &mut O,
        first: usize,
        len: usize,
        kept: Option<(u32, u32)>,
    ) -> O::Out {
        self.scratch.clear();
        self.scratch.push_str(r#"{"\u0000":"#);
        push_decimal(&mut self.scratch, first);
        self.scratch.push_str(r#","\u0001":"#);
        push_decimal(&mut self.scratch, len);
        if let Some((place, id)) = kept {
            self.push_kept(place, id);
        }
        self.scratch.push('}');
        self.direct = false;
        out.raw(&self.scratch)
    }

    /// Writes the marker of kept list `id` at `place` with the items at `patches[from..]`
    /// now the entries `refs[first..]`.
    #[cfg_attr(size_build, optimize(speed))]
    fn patch_marker<O: Sink>(
        &mut self,
        out: &mut O,
        (place, id): (u32, u32),
        first: usize,
        from: usize,
    ) -> O::Out {
        self.scratch.clear();
        self.scratch.push_str(r#"{"\u0000":"#);
        push_decimal(&mut self.scratch, first);
        self.scratch.push_str(r#","\u0001":"#);
        push_decimal(&mut self.scratch, self.refs.len() - first);
        self.push_kept(place, id);
        self.scratch.push_str(r#","\u0004":"#);
        push_decimal(&mut self.scratch, from);
        self.scratch.push('}');
        self.direct = false;
        out.raw(&self.scratch)
    }

    #[cfg_attr(size_build, optimize(speed))]
    fn push_kept(&mut self, place: u32, id: u32) {
        self.scratch.push_str(r#","\u0002":"#);
        push_decimal(&mut self.scratch, place as usize);
        self.scratch.push_str(r#","\u0003":"#);
        push_decimal(&mut self.scratch, id as usize);
    }
}

/// Appends `n` in decimal (without `fmt`, which a size-optimized build makes slow: a list of
/// 10,000 markers wrote them in a fifth of its read).
#[cfg_attr(size_build, optimize(speed))]
fn push_decimal(out: &mut String, mut n: usize) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        if let Some(d) = digits.get_mut(at) {
            *d = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 || at == 0 {
            break;
        }
    }
    for &d in digits.get(at..).unwrap_or_default() {
        out.push(char::from(d));
    }
}

/// [`read_text_memo`] cut into segments (see [`SegmentRead`]).
#[cfg_attr(size_build, optimize(speed))]
pub(crate) fn read_segments_memo<S: RecordSource>(
    operation: &Operation,
    variables: Option<&Value>,
    source: &S,
    interner: &Interner,
    memo: MemoUse<'_>,
    mut chunks: Option<(usize, FreshChunks<'_>)>,
) -> SegmentRead {
    let MemoUse {
        memo,
        stamps,
        generation,
    } = memo;
    let mut segments = Segments::default();
    if let Some((bytes, chunks)) = chunks.take() {
        chunks(None);
        segments.chunk_bytes = bytes;
        segments.chunks = Some(chunks);
    }
    let read = read_text_into(
        Start::Query(operation),
        variables,
        source,
        interner,
        Some(MemoUse {
            memo: &mut *memo,
            stamps,
            generation,
        }),
        Some(&mut segments),
    );
    if read.data.is_none() || segments.collision {
        // Nothing of this read is used: its entries were not sent after all, and the lists
        // it remembered or patched (which the consumer did not see) go.
        for &(at, id) in &segments.fresh_at {
            memo.unsend(at, id);
        }
        memo.forget_lists();
        let read = if segments.collision {
            let memo = MemoUse {
                memo: &mut *memo,
                stamps,
                generation,
            };
            read_text_memo(
                Start::Query(operation),
                variables,
                source,
                interner,
                Some(memo),
            )
        } else {
            read
        };
        let epoch = memo.epoch;
        return SegmentRead {
            plain: read.data.is_some(),
            skeleton: read.data,
            info: read.info,
            epoch,
            ..SegmentRead::default()
        };
    }
    SegmentRead {
        skeleton: read.data,
        plain: false,
        refs: segments.ref_ats,
        ref_ids: segments.refs,
        fresh_slots: segments.fresh_at.iter().map(|&(at, _)| at).collect(),
        fresh_ids: segments.fresh_at.iter().map(|&(_, id)| id).collect(),
        fresh: segments.fresh.tape,
        keys: segments.keys,
        patches: segments.patches,
        epoch: memo.epoch,
        info: read.info,
    }
}

/// Reads from `start` into `out`; returns the missing paths, the dependencies and the value.
#[cfg_attr(size_build, optimize(speed))]
fn read_with<S: RecordSource, O: Sink>(
    start: Start<'_>,
    variables: Option<&Value>,
    source: &S,
    interner: &Interner,
    out: &mut O,
    memo: Option<MemoUse<'_>>,
    segments: Option<&mut Segments>,
) -> (Vec<String>, SymSet, O::Out) {
    match start {
        Start::Query(operation) => {
            let root = root_key(operation.kind());
            match interner.get(root) {
                Some(sym) => read_at(
                    &Walk::new(operation, variables),
                    sym,
                    Some(root_typename(operation.kind())),
                    source,
                    interner,
                    out,
                    memo.map(|m| (m.bind(operation, variables), segments)),
                ),
                None => {
                    let empty = out.begin_object();
                    let value = out.end_object(empty);
                    (vec![root.to_owned()], SymSet::default(), value)
                }
            }
        }
        Start::Fragment(fragment, key) => {
            if source.record(key).is_none() {
                let value = out.null();
                return (
                    vec![interner.name(key).to_owned()],
                    SymSet::from_iter([key]),
                    value,
                );
            }
            read_at(
                &Walk::fragment(fragment, variables),
                key,
                Some(fragment.type_condition()),
                source,
                interner,
                out,
                None,
            )
        }
    }
}

#[cfg_attr(size_build, optimize(speed))]
fn read_at<'d, S: RecordSource, O: Sink>(
    walk: &Walk<'d>,
    root: Sym,
    typename: Option<&str>,
    source: &S,
    interner: &Interner,
    out: &mut O,
    memo: Option<(Bound<'_, 'd>, Option<&mut Segments>)>,
) -> (Vec<String>, SymSet, O::Out) {
    // Segments are cut at memo entries: without a memo there are none.
    let (memo, segments) = match memo {
        Some((memo, segments)) => (Some(memo), segments),
        None => (None, None),
    };
    // A read like the last one reaches as many records.
    let expected = memo.as_ref().map_or(0, |m| m.memo.last_deps);
    let dependencies = SymCollector::with_capacity(interner.symbols(), expected);
    let mut reader = Reader {
        memo,
        dep_log: Vec::new(),
        walk,
        source,
        interner,
        typename: interner.get("__typename"),
        missing: Vec::new(),
        dependencies,
        path: Vec::new(),
        plans: FastMap::default(),
        segments,
        depth: 0,
        shared: FastMap::default(),
    };
    reader.dependencies.insert(root);
    let record = source.record(root).unwrap_or_default();
    let value = reader.read_fields(out, walk.root, &record, typename);
    if let Some(memo) = &mut reader.memo {
        memo.memo.last_deps = reader.dependencies.len();
    }
    (reader.missing, reader.dependencies.finish(), value)
}

/// Where a read's result goes: a `Value` tree (built on the way back up, like a recursive
/// reader would) or JSON text (written on the way down; its values are `()`). In an object,
/// `key` comes right before the value it names, then `field` takes that value.
pub(crate) trait Sink {
    /// Whether an object's keys must come sorted and once each (the order and the last-wins
    /// rule of `serde_json`'s map, which a tree gets by itself).
    const SORTED: bool;
    /// Whether a segment read can write to it (a text sink): the segment code compiles out of
    /// the others.
    const SEGMENTS: bool = false;
    /// Whether reads into it reuse and make memo entries. A tape is an entry's value: it
    /// reads the records of the objects inside, and names an object it wrote before again
    /// ([`Sink::object_again`]) and type names by number ([`Sink::name`]).
    const MEMO: bool = true;
    type Out;
    type Obj;
    type List;
    fn begin_object(&mut self) -> Self::Obj;
    fn key(&mut self, obj: &mut Self::Obj, key: Key<'_>);
    fn field(&mut self, obj: &mut Self::Obj, value: Self::Out);
    fn end_object(&mut self, obj: Self::Obj) -> Self::Out;
    fn begin_list(&mut self, len: usize) -> Self::List;
    fn item(&mut self, list: &mut Self::List, value: Self::Out);
    fn end_list(&mut self, list: Self::List) -> Self::Out;
    fn null(&mut self) -> Self::Out;
    fn string(&mut self, value: &str) -> Self::Out;
    /// A leaf field's stored value, as it is.
    fn leaf(&mut self, value: &Val, interner: &Interner) -> Self::Out;
    /// Until `unmute`, nothing is written (a field whose key a later field replaces).
    #[cfg_attr(size_build, optimize(speed))]
    fn mute(&mut self) {}
    #[cfg_attr(size_build, optimize(speed))]
    fn unmute(&mut self) {}
    /// A value is about to be written: where its text starts (`None`: not text, or muted).
    #[cfg_attr(size_build, optimize(speed))]
    fn value_start(&mut self) -> Option<usize> {
        None
    }
    /// The text written since `start`.
    #[cfg_attr(size_build, optimize(speed))]
    fn text_since(&self, _start: usize) -> &str {
        ""
    }
    /// A value given as its JSON text (only text sinks are given any).
    fn raw(&mut self, text: &str) -> Self::Out;
    /// Takes back the value written since `start` (a [`Sink::value_start`]'s): the next
    /// value goes in its place.
    #[cfg_attr(size_build, optimize(speed))]
    fn truncate(&mut self, _start: usize) {}
    /// The number the next object written gets, when the sink can name it again later.
    #[cfg_attr(size_build, optimize(speed))]
    fn next_object(&self) -> Option<u32> {
        None
    }
    /// Object `number` again (only called with a number [`Sink::next_object`] gave; a sink
    /// that gives none writes null).
    #[cfg_attr(size_build, optimize(speed))]
    fn object_again(&mut self, _number: u32) -> Self::Out {
        self.null()
    }
    /// A type name, numbered `id` in the read's keys.
    #[cfg_attr(size_build, optimize(speed))]
    fn name(&mut self, value: &str, _id: u32) -> Self::Out {
        self.string(value)
    }
}

/// An object key: as it is, and as JSON text.
#[derive(Clone, Copy)]
pub(crate) struct Key<'k> {
    text: &'k str,
    escaped: &'k str,
    /// Its number in the read's keys (a tape's name for it).
    id: u32,
}

/// Builds a `Value`.
struct ValueSink;

impl Sink for ValueSink {
    const SORTED: bool = false;
    type Out = Value;
    /// The object so far, and the key of the value to come.
    type Obj = (Map<String, Value>, Option<String>);
    type List = Vec<Value>;
    #[cfg_attr(size_build, optimize(speed))]
    fn begin_object(&mut self) -> Self::Obj {
        (Map::new(), None)
    }
    #[cfg_attr(size_build, optimize(speed))]
    fn key(&mut self, obj: &mut Self::Obj, key: Key<'_>) {
        obj.1 = Some(key.text.to_owned());
    }
    #[cfg_attr(size_build, optimize(speed))]
    fn field(&mut self, obj: &mut Self::Obj, value: Value) {
        if let Some(key) = obj.1.take() {
            obj.0.insert(key, value);
        }
    }
    #[cfg_attr(size_build, optimize(speed))]
    fn end_object(&mut self, obj: Self::Obj) -> Value {
        Value::Object(obj.0)
    }
    #[cfg_attr(size_build, optimize(speed))]
    fn begin_list(&mut self, len: usize) -> Vec<Value> {
        Vec::with_capacity(len)
    }
    #[cfg_attr(size_build, optimize(speed))]
    fn item(&mut self, list: &mut Vec<Value>, value: Value) {
        list.push(value);
    }
    #[cfg_attr(size_build, optimize(speed))]
    fn end_list(&mut self, list: Vec<Value>) -> Value {
        Value::Array(list)
    }
    #[cfg_attr(size_build, optimize(speed))]
    fn null(&mut self) -> Value {
        Value::Null
    }
    #[cfg_attr(size_build, optimize(speed))]
    fn string(&mut self, value: &str) -> Value {
        Value::String(value.to_owned())
    }
    #[cfg_attr(size_build, optimize(speed))]
    fn leaf(&mut self, value: &Val, interner: &Interner) -> Value {
        value.to_json(interner)
    }
    #[cfg_attr(size_build, optimize(speed))]
    fn raw(&mut self, text: &str) -> Value {
        serde_json::from_str(text).unwrap_or_default()
    }
}

/// Writes JSON text, byte for byte what `serde_json::to_string` writes of the same tree.
#[derive(Default)]
struct TextSink {
    out: String,
    /// Where serde_json writes a number or a reference before it joins `out`.
    scratch: Vec<u8>,
    /// Nothing written yet in the current object or list (no comma needed).
    fresh: bool,
    /// A key was just written: its value needs no comma.
    after_key: bool,
    muted: u32,
}

impl TextSink {
    #[cfg_attr(size_build, optimize(speed))]
    fn finish(mut self) -> String {
        if self.out.capacity() > 2 * self.out.len() + 4096 {
            self.out.shrink_to_fit();
        }
        self.out
    }

    #[cfg_attr(size_build, optimize(speed))]
    fn separate(&mut self) {
        if self.after_key {
            self.after_key = false;
        } else if !self.fresh && !self.out.is_empty() {
            self.out.push(',');
        }
        self.fresh = false;
    }

    #[cfg_attr(size_build, optimize(speed))]
    fn json<T: serde::Serialize + ?Sized>(&mut self, value: &T) {
        self.scratch.clear();
        // Writing to a Vec cannot fail; a value that cannot be JSON is not one of ours.
        let _ = serde_json::to_writer(&mut self.scratch, value);
        // serde_json writes UTF-8.
        if let Ok(text) = std::str::from_utf8(&self.scratch) {
            self.out.push_str(text);
        }
    }

    /// `value` as a JSON string, escaped as serde_json escapes it.
    #[cfg_attr(size_build, optimize(speed))]
    fn json_str(&mut self, value: &str) {
        let out = &mut self.out;
        out.push('"');
        // Most strings need no escape: one pass without early exit (it vectorizes), then a copy.
        let plain = value.bytes().fold(true, |plain, b| {
            plain & (b >= 0x20) & (b != b'"') & (b != b'\\')
        });
        if plain {
            out.push_str(value);
            out.push('"');
            return;
        }
        let mut from = 0;
        for (i, byte) in value.bytes().enumerate() {
            let escape = match byte {
                b'"' => "\\\"",
                b'\\' => "\\\\",
                b'\n' => "\\n",
                b'\r' => "\\r",
                b'\t' => "\\t",
                0x08 => "\\b",
                0x0c => "\\f",
                0..=0x1f => "",
                _ => continue,
            };
            // `i` is an ASCII byte's index: a char boundary.
            out.push_str(value.get(from..i).unwrap_or_default());
            if escape.is_empty() {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\u00");
                out.push(char::from(HEX[usize::from(byte >> 4)]));
                out.push(char::from(HEX[usize::from(byte & 0xf)]));
            } else {
                out.push_str(escape);
            }
            from = i + 1;
        }
        out.push_str(value.get(from..).unwrap_or_default());
        out.push('"');
    }
}

impl Sink for TextSink {
    const SORTED: bool = true;
    const SEGMENTS: bool = true;
    type Out = ();
    type Obj = ();
    type List = ();
    #[cfg_attr(size_build, optimize(speed))]
    fn begin_object(&mut self) {
        if self.muted == 0 {
            self.separate();
            self.out.push('{');
            self.fresh = true;
        }
    }
    #[cfg_attr(size_build, optimize(speed))]
    fn key(&mut self, _: &mut (), key: Key<'_>) {
        if self.muted == 0 {
            if !self.fresh {
                self.out.push(',');
            }
            self.fresh = false;
            self.out.push_str(key.escaped);
            self.out.push(':');
            self.after_key = true;
        }
    }
    #[cfg_attr(size_build, optimize(speed))]
    fn field(&mut self, _: &mut (), _: ()) {}
    #[cfg_attr(size_build, optimize(speed))]
    fn end_object(&mut self, _: ()) {
        if self.muted == 0 {
            self.out.push('}');
            self.fresh = false;
        }
    }
    #[cfg_attr(size_build, optimize(speed))]
    fn begin_list(&mut self, _: usize) {
        if self.muted == 0 {
            self.separate();
            self.out.push('[');
            self.fresh = true;
        }
    }
    #[cfg_attr(size_build, optimize(speed))]
    fn item(&mut self, _: &mut (), _: ()) {}
    #[cfg_attr(size_build, optimize(speed))]
    fn end_list(&mut self, _: ()) {
        if self.muted == 0 {
            self.out.push(']');
            self.fresh = false;
        }
    }
    #[cfg_attr(size_build, optimize(speed))]
    fn null(&mut self) {
        if self.muted == 0 {
            self.separate();
            self.out.push_str("null");
        }
    }
    #[cfg_attr(size_build, optimize(speed))]
    fn string(&mut self, value: &str) {
        if self.muted == 0 {
            self.separate();
            self.json_str(value);
        }
    }
    #[cfg_attr(size_build, optimize(speed))]
    fn leaf(&mut self, value: &Val, interner: &Interner) {
        if self.muted != 0 {
            return;
        }
        match value {
            Val::Null => self.null(),
            Val::Bool(b) => {
                self.separate();
                self.out.push_str(if *b { "true" } else { "false" });
            }
            Val::Num(n) => {
                self.separate();
                self.json(n);
            }
            Val::Str(s) => self.string(s),
            Val::Short(s) => self.string(s.as_str()),
            Val::List(items) => {
                self.begin_list(items.len());
                for item in items.iter() {
                    self.leaf(item, interner);
                }
                self.end_list(());
            }
            // References and objects as their JSON form (objects' keys sorted, like a tree's).
            Val::Ref(_) | Val::Obj(_) => {
                self.separate();
                self.json(&value.to_json(interner));
            }
        }
    }
    #[cfg_attr(size_build, optimize(speed))]
    fn mute(&mut self) {
        self.muted += 1;
    }
    #[cfg_attr(size_build, optimize(speed))]
    fn unmute(&mut self) {
        self.muted = self.muted.saturating_sub(1);
    }
    #[cfg_attr(size_build, optimize(speed))]
    fn value_start(&mut self) -> Option<usize> {
        if self.muted != 0 {
            return None;
        }
        self.separate();
        // The value that follows needs no separator of its own.
        self.after_key = true;
        Some(self.out.len())
    }
    #[cfg_attr(size_build, optimize(speed))]
    fn text_since(&self, start: usize) -> &str {
        self.out.get(start..).unwrap_or_default()
    }
    #[cfg_attr(size_build, optimize(speed))]
    fn raw(&mut self, text: &str) {
        if self.muted == 0 {
            self.separate();
            self.out.push_str(text);
        }
    }
    #[cfg_attr(size_build, optimize(speed))]
    fn truncate(&mut self, start: usize) {
        if self.muted == 0 {
            self.out.truncate(start);
            // As `value_start` left it.
            self.fresh = false;
            self.after_key = true;
        }
    }
}

/// How an object's fields are read, per field list, computed once per read.
struct Step<'d> {
    field: &'d Field,
    /// The field's storage symbol (`None`: never written, or `__typename`).
    sym: Option<Sym>,
    /// Written to the sink (`false`: a later field with the same key replaces it).
    written: bool,
    /// The key as JSON text (`"name"`), for text sinks.
    escaped: Box<str>,
    /// The key's number in a segment read's keys (see `Segments::keys`), for tapes.
    key_id: u32,
}

/// The steps of a field list, in the order a sink takes them.
type Plan<'d> = Rc<[Step<'d>]>;

struct Reader<'r, 'd, 'f, S: RecordSource> {
    walk: &'r Walk<'d>,
    source: &'r S,
    interner: &'r Interner,
    typename: Option<Sym>,
    missing: Vec<String>,
    dependencies: SymCollector,
    path: Vec<Seg<'d>>,
    /// Per field list (and sorted or not), its plan.
    plans: FastMap<(*const &'d Field, bool), Plan<'d>>,
    /// Text reads of the live cache: serialized objects reused across reads.
    memo: Option<Bound<'r, 'd>>,
    /// Every record reached, in order, repeats included (an object's dependencies are the
    /// stretch logged while it was read).
    dep_log: Vec<Sym>,
    /// A segment read's markers and sent texts (text sinks with a memo only).
    segments: Option<&'r mut Segments<'f>>,
    /// How many memo entries being made enclose the value being read (segments are cut at
    /// depth 0 only: an entry's text has its inner entries' texts in it).
    depth: u32,
    /// The objects inside entries written to a tape, by selection set and record: their
    /// number, and the records they reached (their stretch of `dep_log`).
    shared: FastMap<(*const SelectionSet, Sym), Shared>,
}

/// An object inside a tape's entries: its number, and the records it reached.
type Shared = (u32, Box<[Sym]>);

impl<'d, 'f, S: RecordSource> Reader<'_, 'd, 'f, S> {
    /// The plan of a field list: in the document's order, or for sorted sinks sorted by
    /// response key (stably), each written only where it is the last field with its key.
    #[cfg_attr(size_build, optimize(speed))]
    fn plan(&mut self, fields: &[&'d Field], sorted: bool) -> Plan<'d> {
        let id = (fields.as_ptr(), sorted);
        if let Some(plan) = self.plans.get(&id) {
            return plan.clone();
        }
        let mut order: Vec<usize> = (0..fields.len()).collect();
        let key = |i: usize| fields.get(i).map_or("", |f| f.response_key());
        if sorted {
            order.sort_by(|a, b| key(*a).cmp(key(*b)));
        }
        let plan: Plan<'d> = order
            .iter()
            .enumerate()
            .filter_map(|(n, &i)| {
                let field = *fields.get(i)?;
                let written = !sorted || order.get(n + 1).is_none_or(|&next| key(next) != key(i));
                let sym = if field.name == "__typename" {
                    None
                } else {
                    self.interner.get(&self.walk.storage_key(field))
                };
                let escaped = serde_json::to_string(field.response_key()).unwrap_or_default();
                // Only a segment read writes tapes.
                let key_id = self
                    .segments
                    .as_deref_mut()
                    .map_or(0, |s| s.key_id(field.response_key()));
                Some(Step {
                    field,
                    sym,
                    written,
                    escaped: escaped.into(),
                    key_id,
                })
            })
            .collect();
        self.plans.insert(id, plan.clone());
        plan
    }

    /// The segment read's collections, for sinks a segment read writes to (elsewhere the code
    /// that uses them compiles out).
    #[cfg_attr(size_build, optimize(speed))]
    fn segments_mut<O: Sink>(&mut self) -> Option<&mut Segments<'f>> {
        if O::SEGMENTS {
            self.segments.as_deref_mut()
        } else {
            None
        }
    }

    #[cfg_attr(size_build, optimize(speed))]
    fn segments_of<O: Sink>(&self) -> Option<&Segments<'f>> {
        if O::SEGMENTS {
            self.segments.as_deref()
        } else {
            None
        }
    }

    #[cfg_attr(size_build, optimize(speed))]
    fn miss(&mut self, suffix: &str) {
        let path = path_text(&self.path);
        self.missing.push(format!("{path}{suffix}"));
    }

    #[cfg_attr(size_build, optimize(speed))]
    fn read_fields<O: Sink>(
        &mut self,
        out: &mut O,
        set: &'d SelectionSet,
        record: &[(Sym, Val)],
        typename: Option<&str>,
    ) -> O::Out {
        let stored = self
            .typename
            .and_then(|t| field(record, t))
            .and_then(Val::as_str);
        let typename = stored.or(typename);
        let fields = self.walk.fields(set, typename);
        let plan = self.plan(&fields, O::SORTED);
        let mut obj = out.begin_object();
        for step in plan.iter() {
            if !step.written {
                out.mute();
            }
            self.read_field(out, &mut obj, step, record, typename);
            if !step.written {
                out.unmute();
            }
        }
        out.end_object(obj)
    }

    #[cfg_attr(size_build, optimize(speed))]
    fn read_field<O: Sink>(
        &mut self,
        out: &mut O,
        obj: &mut O::Obj,
        step: &Step<'d>,
        record: &[(Sym, Val)],
        typename: Option<&str>,
    ) {
        let f = step.field;
        let key = Key {
            text: f.response_key(),
            escaped: &step.escaped,
            id: step.key_id,
        };
        self.path.push(Seg::Key(f.response_key()));
        if f.name == "__typename" {
            match typename {
                Some(t) => {
                    out.key(obj, key);
                    let value = if O::MEMO {
                        out.string(t)
                    } else {
                        let id = self.segments.as_deref_mut().map_or(0, |s| s.key_id(t));
                        out.name(t, id)
                    };
                    out.field(obj, value);
                }
                None => self.miss(""),
            }
        } else {
            match step.sym.and_then(|s| field(record, s)) {
                Some(value) => {
                    let place = Some((&mut *obj, key));
                    if let Some(value) = self.read_value(out, place, &f.selection_set, value) {
                        out.field(obj, value);
                    }
                }
                None => self.miss(""),
            }
        }
        self.path.pop();
    }

    /// Reads a stored value through `set`: a field's (`place` is its object and key, the key
    /// given to the sink right before the value) or a list item's (`place` `None`). `None`:
    /// missing (nothing was given to the sink).
    #[cfg_attr(size_build, optimize(speed))]
    fn read_value<O: Sink>(
        &mut self,
        out: &mut O,
        place: Option<(&mut O::Obj, Key<'_>)>,
        set: &'d SelectionSet,
        value: &Val,
    ) -> Option<O::Out> {
        let announce = |out: &mut O, place: Option<(&mut O::Obj, Key<'_>)>| {
            if let Some((obj, key)) = place {
                out.key(obj, key);
            }
        };
        // Where a segment read cuts: outside every entry being made.
        let top = O::SEGMENTS && self.depth == 0 && self.segments.is_some();
        if let Some(segments) = self.segments_mut::<O>() {
            segments.direct = false;
        }
        if set.items.is_empty() {
            announce(out, place);
            if top && matches!(value, Val::Obj(_) | Val::List(_) | Val::Ref(_)) {
                // A stored object scalar: the skeleton must not seem to have a marker.
                let start = out.value_start();
                let value = out.leaf(value, self.interner);
                let text = start.map_or("", |start| out.text_since(start));
                if text.contains("\\u0000") || text.contains("\\u0001") {
                    if let Some(segments) = self.segments_mut::<O>() {
                        segments.collision = true;
                    }
                }
                return Some(value);
            }
            return Some(out.leaf(value, self.interner));
        }
        match value {
            Val::Ref(target) => {
                self.dependencies.insert(*target);
                // The object's dependencies: the record itself, then what it reaches.
                let logged = self.dep_log.len();
                if self.memo.is_some() {
                    self.dep_log.push(*target);
                }
                if let Some(memo) = self.memo.as_mut().filter(|_| O::MEMO) {
                    let segment = top && self.segments.is_some();
                    if let Some(at) = memo
                        .get(set, *target)
                        .filter(|&at| memo.usable(at, segment))
                    {
                        announce(out, place);
                        let value = match self.segments.as_deref_mut().filter(|_| top) {
                            Some(segments) => {
                                if let Some(id) = memo.mark_sent(at) {
                                    segments.send(at, id, memo.entry_text(at).0);
                                }
                                segments.marker(out, at, memo.entry_id(at))
                            }
                            None => out.raw(memo.entry_text(at).0),
                        };
                        let deps = memo.entry_text(at).1;
                        self.dep_log.extend_from_slice(deps);
                        self.dependencies.extend(deps);
                        return Some(value);
                    }
                }
                if !O::MEMO {
                    let shared = self.shared.get(&(std::ptr::from_ref(set), *target));
                    if let Some((number, deps)) = shared {
                        announce(out, place);
                        let value = out.object_again(*number);
                        self.dep_log.extend_from_slice(deps);
                        self.dependencies.extend(deps);
                        return Some(value);
                    }
                }
                let source = self.source;
                match source.record(*target) {
                    Some(record) => {
                        announce(out, place);
                        let missing = self.missing.len();
                        if top {
                            if let Some(marker) =
                                self.read_entry(out, set, *target, &record, logged)
                            {
                                return Some(marker);
                            }
                        }
                        if !O::MEMO {
                            let number = out.next_object();
                            let value = self.read_fields(out, set, &record, None);
                            if let Some(number) = number.filter(|_| self.missing.len() == missing) {
                                let deps = self.dep_log.get(logged..).unwrap_or_default();
                                let key = (std::ptr::from_ref(set), *target);
                                self.shared.insert(key, (number, deps.into()));
                            }
                            return Some(value);
                        }
                        let start = self
                            .memo
                            .as_ref()
                            .filter(|_| O::MEMO)
                            .and_then(|_| out.value_start());
                        self.depth += u32::from(top);
                        let value = self.read_fields(out, set, &record, None);
                        self.depth -= u32::from(top);
                        if let (Some(start), Some(memo)) = (start, &mut self.memo) {
                            if self.missing.len() == missing {
                                let deps = self.dep_log.get(logged..).unwrap_or_default();
                                // What a segment read sends at once keeps no text.
                                let keep_text = !(top && self.segments.is_some());
                                let text = out.text_since(start);
                                let made = memo.put(set, *target, text, deps, keep_text);
                                if let (Some(at), Some(segments)) =
                                    (made, self.segments.as_deref_mut().filter(|_| top))
                                {
                                    if let Some(id) = memo.mark_sent(at) {
                                        segments.send(at, id, out.text_since(start));
                                        out.truncate(start);
                                        return Some(segments.marker(out, at, id));
                                    }
                                }
                            }
                        }
                        Some(value)
                    }
                    None => {
                        let suffix = format!(" (record {})", self.interner.name(*target));
                        self.miss(&suffix);
                        None
                    }
                }
            }
            Val::Null => {
                announce(out, place);
                Some(out.null())
            }
            Val::List(items) => {
                announce(out, place);
                // A segment read writes a list of markers as one marker.
                let start = if top { out.value_start() } else { None };
                if let Some(start) = start {
                    if let Some(value) = self.reuse_list(out, start, set, items) {
                        return Some(value);
                    }
                }
                let first = self.segments_of::<O>().map_or(0, |s| s.refs.len());
                let mut markers = 0;
                let mut list = out.begin_list(items.len());
                for (i, item) in items.iter().enumerate() {
                    self.path.push(Seg::Index(i));
                    let value = match self.read_value(out, None, set, item) {
                        Some(value) => value,
                        None => out.null(),
                    };
                    markers += usize::from(self.segments_of::<O>().is_some_and(|s| s.direct));
                    out.item(&mut list, value);
                    self.path.pop();
                }
                let value = out.end_list(list);
                if let (Some(start), Some(segments)) = (start, self.segments.as_deref_mut()) {
                    if markers > 0
                        && markers == items.len()
                        && segments.refs.len() == first + markers
                    {
                        out.truncate(start);
                        let kept = self.memo.as_mut().and_then(|memo| {
                            let ats = segments.ref_ats.get(first..).unwrap_or_default();
                            let ids = segments.refs.get(first..).unwrap_or_default();
                            memo.remember_list(set, &self.path, items, ats, ids)
                        });
                        return Some(segments.list_marker(out, first, markers, kept));
                    }
                    segments.direct = false;
                }
                Some(value)
            }
            Val::Obj(fields) => {
                announce(out, place);
                let value = self.read_fields(out, set, fields, None);
                if let Some(segments) = self.segments_mut::<O>() {
                    // An object with markers in it, not one.
                    segments.direct = false;
                }
                Some(value)
            }
            _ => {
                self.miss("");
                None
            }
        }
    }
}

impl<'d, 'f, S: RecordSource> Reader<'_, 'd, 'f, S> {
    /// A segment read's outermost memoized object, read into the fresh tape as a new memo
    /// entry: its marker, written to `out`. `None` (nothing written to `out`, nothing left on
    /// the tape): no segment read, or the memo is full; the caller reads it as text. (A part
    /// missing fails the whole read, which then uses nothing of it: its marker stands.)
    #[cfg_attr(size_build, optimize(speed))]
    fn read_entry<O: Sink>(
        &mut self,
        out: &mut O,
        set: &'d SelectionSet,
        target: Sym,
        record: &[(Sym, Val)],
        logged: usize,
    ) -> Option<O::Out> {
        if !O::SEGMENTS || self.memo.is_none() {
            return None;
        }
        let segments = self.segments.as_deref_mut()?;
        let mut tape = std::mem::take(&mut segments.fresh);
        let (ops, strings, objects) = (tape.tape.ops.len(), tape.tape.strings.len(), tape.objects);
        let missing = self.missing.len();
        self.depth += 1;
        self.read_fields(&mut tape, set, record, None);
        self.depth -= 1;
        let deps = self.dep_log.get(logged..).unwrap_or_default();
        let made = match self.memo.as_mut() {
            Some(memo) if self.missing.len() == missing => memo
                .put(set, target, "", deps, false)
                .and_then(|at| Some((at, memo.mark_sent(at)?))),
            _ => None,
        };
        let segments = self.segments.as_deref_mut()?;
        segments.fresh = tape;
        match made {
            Some((at, id)) => {
                segments.sent(at, id);
                Some(segments.marker(out, at, id))
            }
            None => {
                // Taken back, with the objects in it: nothing may name them again.
                segments.fresh.tape.ops.truncate(ops);
                segments.fresh.tape.strings.truncate(strings);
                segments.fresh.objects = objects;
                self.shared.retain(|_, (number, _)| *number < objects);
                (self.missing.len() != missing).then(|| out.null())
            }
        }
    }

    /// A segment read's list of markers again, from the list the last such read of this place
    /// made (see [`ListMemo`]), when few of its items can have changed: only the items the
    /// records changed since reach and the items whose record is not the one of last time are
    /// checked, and the marker is a patch of the consumer's copy of the list (the items read
    /// again and their positions). `None` (and nothing written): no such list, many changes,
    /// or an item that is not a marker now; the caller reads the list as usual (and keeps it
    /// anew).
    #[cfg_attr(size_build, optimize(speed))]
    fn reuse_list<O: Sink>(
        &mut self,
        out: &mut O,
        start: usize,
        set: &'d SelectionSet,
        items: &[Val],
    ) -> Option<O::Out> {
        let memo = self.memo.as_mut()?;
        let key = memo.list_key(set, &self.path)?;
        let mut list = memo.memo.lists.get_mut(&key)?.1.take()?;
        memo.memo.bytes = memo.memo.bytes.saturating_sub(list.bytes());
        if list.targets.len() != items.len() || items.is_empty() {
            return None;
        }
        // The items to check, sorted: those a change since the last check reaches, and
        // those whose record is another now. Many: the list is read as usual.
        let many = items.len() / 8;
        let changed = memo.changed_since(list.verified, many)?;
        let mut check = list.positions_of(&changed);
        for (p, (item, target)) in items.iter().zip(list.targets.iter()).enumerate() {
            if !matches!(item, Val::Ref(t) if t == target) {
                check.push(p as u32);
            }
        }
        check.sort_unstable();
        check.dedup();
        if check.len() > many {
            return None;
        }
        let generation = memo.generation;
        let segments = self.segments.as_deref_mut()?;
        let first = segments.refs.len();
        let from = segments.patches.len();
        let mut all = true;
        // The items whose entry is a new one, with the records their old entry read.
        let mut remade: Vec<(u32, Option<Box<[Sym]>>)> = Vec::new();
        let mut built = out.begin_list(items.len());
        for &p in &check {
            let at_p = p as usize;
            let (Some(item), Some(target), Some(&at), Some(&id)) = (
                items.get(at_p),
                list.targets.get(at_p),
                list.ats.get(at_p),
                list.ids.get(at_p),
            ) else {
                all = false;
                break;
            };
            let (Some(memo), Some(segments)) = (self.memo.as_mut(), self.segments.as_deref_mut())
            else {
                return None;
            };
            if matches!(item, Val::Ref(t) if t == target) {
                if let Some((text, deps, unsent)) = memo.reuse(at, id) {
                    // Still the same entry: nothing to patch, unless it was never sent.
                    if unsent {
                        segments.send(at, id, text);
                        segments.refs.push(id);
                        segments.ref_ats.push(at);
                        segments.patches.push(p);
                    }
                    self.dependencies.extend(deps);
                    continue;
                }
            }
            // The records the old entry read, while it is still there.
            let old = memo.entry_deps(at, id).map(Box::from);
            self.path.push(Seg::Index(at_p));
            let value = match self.read_value(out, None, set, item) {
                Some(value) => value,
                None => out.null(),
            };
            out.item(&mut built, value);
            self.path.pop();
            let segments = self.segments.as_deref_mut()?;
            match (
                item,
                segments.direct,
                segments.ref_ats.last(),
                segments.refs.last(),
            ) {
                (Val::Ref(t), true, Some(&at), Some(&id)) => {
                    if let (Some(target), Some(a), Some(i)) = (
                        list.targets.get_mut(at_p),
                        list.ats.get_mut(at_p),
                        list.ids.get_mut(at_p),
                    ) {
                        (*target, *a, *i) = (*t, at, id);
                    }
                    segments.patches.push(p);
                    remade.push((p, old));
                }
                _ => {
                    all = false;
                    break;
                }
            }
        }
        let _ = out.end_list(built);
        out.truncate(start);
        let segments = self.segments.as_deref_mut()?;
        if !all || segments.refs.len() - first != segments.patches.len() - from {
            // Read as usual (the markers of this pass are left unnamed).
            return None;
        }
        let memo = self.memo.as_mut()?;
        list.renew(&remade, |at| memo.entry_text(at).1);
        // The read depends on every item's records (those checked added theirs).
        let mut last = None;
        for &(dep, _) in &list.pairs {
            if last != Some(dep) {
                self.dependencies.insert(dep);
                last = Some(dep);
            }
        }
        list.verified = generation;
        let kept = (list.place, list.id);
        memo.memo.bytes += list.bytes();
        if let Some((_, kept)) = memo.memo.lists.get_mut(&key) {
            *kept = Some(list);
        }
        Some(segments.patch_marker(out, kept, first, from))
    }
}

/// The last segment read's list of markers at one place of a read (a context, a path and the
/// items' selection set): per item its record and its entry, and which items each record
/// reaches. The next read of that place finds the records stamped since (a pass over the
/// stamps), checks only the items they reach, and writes no marker per item: a list of 10,000
/// items where one changed costs that item's read and a copy of the rest.
#[derive(Debug)]
struct ListMemo {
    /// Its place (one per key, for the consumer's copy) and id (a new one per list made).
    place: u32,
    id: u32,
    targets: Box<[Sym]>,
    ats: Box<[u32]>,
    ids: Box<[u32]>,
    /// (record, item) for every record each item's entry read, sorted.
    pairs: Vec<(Sym, u32)>,
    /// The generation of the read that last checked (or made) every entry: records stamped
    /// later are the changes since.
    verified: u64,
}

impl ListMemo {
    #[cfg_attr(size_build, optimize(speed))]
    fn bytes(&self) -> usize {
        self.targets.len() * 12 + self.pairs.len() * 8
    }

    /// The items that read any of `records`, sorted.
    #[cfg_attr(size_build, optimize(speed))]
    fn positions_of(&self, records: &[Sym]) -> Vec<u32> {
        let mut positions = Vec::new();
        for &record in records {
            let from = self.pairs.partition_point(|&(d, _)| d < record);
            let pairs = self.pairs.get(from..).unwrap_or_default();
            positions.extend(
                pairs
                    .iter()
                    .take_while(|(d, _)| *d == record)
                    .map(|&(_, p)| p),
            );
        }
        positions.sort_unstable();
        positions.dedup();
        positions
    }

    /// The pairs of the items in `remade` from their new entries' dependencies (their old
    /// entries' are given; unknown ones, or many, make all pairs again).
    #[cfg_attr(size_build, optimize(speed))]
    fn renew<'e>(
        &mut self,
        remade: &[(u32, Option<Box<[Sym]>>)],
        deps_of: impl Fn(u32) -> &'e [Sym],
    ) {
        if remade.is_empty() {
            return;
        }
        if remade.len() > 64 || remade.iter().any(|(_, old)| old.is_none()) {
            self.pairs = pairs_of(&self.ats, deps_of);
            return;
        }
        for (p, old) in remade {
            for &dep in old.as_deref().unwrap_or_default() {
                if let Ok(i) = self.pairs.binary_search(&(dep, *p)) {
                    self.pairs.remove(i);
                }
            }
        }
        for &(p, _) in remade {
            let Some(&at) = self.ats.get(p as usize) else {
                continue;
            };
            for &dep in deps_of(at) {
                if let Err(i) = self.pairs.binary_search(&(dep, p)) {
                    self.pairs.insert(i, (dep, p));
                }
            }
        }
    }
}

/// (record, item) for the records each item's entry (at `ats`) read, sorted.
#[cfg_attr(size_build, optimize(speed))]
fn pairs_of<'e>(ats: &[u32], deps_of: impl Fn(u32) -> &'e [Sym]) -> Vec<(Sym, u32)> {
    let mut pairs = Vec::with_capacity(ats.len() * 2);
    for (p, &at) in ats.iter().enumerate() {
        pairs.extend(deps_of(at).iter().map(|&d| (d, p as u32)));
    }
    sort_by_record(&mut pairs);
    pairs
}

/// Sorts pairs made in item order by record, keeping the item order within a record (so the
/// pairs end up sorted): a radix sort, 16 bits a pass. A comparison sort of a 10,000-item
/// list's pairs took 4 ms of its first read in the size-optimized web build.
#[cfg_attr(size_build, optimize(speed))]
fn sort_by_record(pairs: &mut Vec<(Sym, u32)>) {
    if pairs.len() < 512 {
        // Insertion sort: short lists, and no comparison sort of pairs in the web build.
        for i in 1..pairs.len() {
            let mut j = i;
            while j > 0 && pairs.get(j - 1) > pairs.get(j) {
                pairs.swap(j - 1, j);
                j -= 1;
            }
        }
        return;
    }
    let highest = pairs.iter().map(|&(d, _)| d).max().unwrap_or(0);
    let mut from = std::mem::take(pairs);
    let mut to = vec![(0, 0); from.len()];
    let mut counts = vec![0usize; 1 << 16];
    for shift in [0u32, 16] {
        if shift > 0 && highest >> shift == 0 {
            break;
        }
        counts.fill(0);
        let digit = |d: Sym| ((d >> shift) & 0xffff) as usize;
        for &(d, _) in &from {
            if let Some(count) = counts.get_mut(digit(d)) {
                *count += 1;
            }
        }
        let mut sum = 0;
        for count in counts.iter_mut() {
            let n = *count;
            *count = sum;
            sum += n;
        }
        for &pair in &from {
            if let Some(next) = counts.get_mut(digit(pair.0)) {
                if let Some(slot) = to.get_mut(*next) {
                    *slot = pair;
                }
                *next += 1;
            }
        }
        std::mem::swap(&mut from, &mut to);
    }
    *pairs = from;
}

/// Serialized objects of earlier text reads, by (read context, selection set, record): a read
/// of a list whose items did not change copies their text instead of walking them again. An
/// entry holds while none of the records it read changed since it was made (the live cache
/// stamps every record it changes with a new generation).
#[derive(Debug, Default)]
pub(crate) struct Memo {
    /// Per document text, operation and variables, a small id.
    contexts: FastMap<String, u32>,
    /// Where each entry is in `entries`. Kept apart from the entries (16 bytes a slot) so the
    /// table of a long list's items stays in the processor's cache, and the entries sit in
    /// the order they were made (a list's, in its order) for the reads that go through them.
    index: FastMap<(u32, u32, Sym), u32>,
    entries: Vec<MemoEntry>,
    bytes: usize,
    /// The length of the last text read (the next one is likely the same query again).
    last_len: usize,
    /// How many records the last text read reached.
    last_deps: usize,
    /// The id the next entry gets (ids are never reused, across clears too).
    next_id: u32,
    /// Counts the clears (see [`SegmentRead::epoch`]).
    epoch: u32,
    /// Segment reads' lists of markers, by (context, selection set, path hash), each key with
    /// its place (see [`ListMemo::place`]) for as long as the memo lasts.
    lists: FastMap<(u32, u32, u64), (u32, Option<ListMemo>)>,
}

#[derive(Debug)]
struct MemoEntry {
    /// The object's text; `None` for an entry a segment read made and sent at once: the consumer
    /// holds its object, and the text (most of a memo's bytes) would only be kept for text reads
    /// of the same query, which fill it in when they need it.
    text: Option<Box<str>>,
    /// The record itself first, then every record read under it.
    deps: Deps,
    made: u64,
    id: u32,
    /// A segment read sent the text.
    sent: bool,
}

impl Memo {
    /// The bytes of object text the entries hold.
    #[cfg_attr(size_build, optimize(speed))]
    pub(crate) fn text_bytes(&self) -> usize {
        self.entries
            .iter()
            .map(|e| e.text.as_deref().map_or(0, str::len))
            .sum()
    }

    /// Forgets every entry (and tells segment readers so, by the epoch).
    #[cfg_attr(size_build, optimize(speed))]
    pub(crate) fn clear(&mut self) {
        *self = Memo {
            next_id: self.next_id,
            epoch: self.epoch.wrapping_add(1),
            ..Memo::default()
        };
    }

    #[cfg_attr(size_build, optimize(speed))]
    fn forget_lists(&mut self) {
        for (_, list) in self.lists.values_mut() {
            if let Some(list) = list.take() {
                self.bytes = self.bytes.saturating_sub(list.bytes());
            }
        }
    }

    /// Marks entry `at` as not sent, if it is still entry `id`.
    #[cfg_attr(size_build, optimize(speed))]
    fn unsend(&mut self, at: u32, id: u32) {
        if let Some(entry) = self.entries.get_mut(at as usize) {
            if entry.id == id {
                entry.sent = false;
            }
        }
    }
}

/// A memo entry's dependencies: most entries read a record or two (an item and its owner),
/// held in place, so checking a long list's entries reads no other allocation.
#[derive(Debug)]
enum Deps {
    Few([Sym; 3], u8),
    Many(Box<[Sym]>),
}

impl Deps {
    /// `deps` without repeats, in the order they first come. Up to three are held in place with
    /// no allocation: a long list's first read makes one entry per item, so a list built and
    /// dropped per entry would be as many allocations (on the web the allocator's most costly
    /// calls in that read).
    #[cfg_attr(size_build, optimize(speed))]
    fn unique(deps: &[Sym]) -> Deps {
        let mut few = [0; 3];
        let mut len = 0;
        for &dep in deps {
            if few.get(..len).unwrap_or_default().contains(&dep) {
                continue;
            }
            match few.get_mut(len) {
                Some(slot) => *slot = dep,
                None => return Deps::many(deps),
            }
            len += 1;
        }
        Deps::Few(few, len as u8)
    }

    /// More than three distinct dependencies.
    #[cfg_attr(size_build, optimize(speed))]
    fn many(deps: &[Sym]) -> Deps {
        let unique: Box<[Sym]> = if deps.len() <= 16 {
            let mut unique = Vec::with_capacity(deps.len());
            for &dep in deps {
                if !unique.contains(&dep) {
                    unique.push(dep);
                }
            }
            unique.into()
        } else {
            let mut seen = FastSet::default();
            deps.iter().copied().filter(|d| seen.insert(*d)).collect()
        };
        Deps::Many(unique)
    }

    #[cfg_attr(size_build, optimize(speed))]
    fn as_slice(&self) -> &[Sym] {
        match self {
            Deps::Few(deps, len) => deps.get(..usize::from(*len)).unwrap_or_default(),
            Deps::Many(deps) => deps,
        }
    }
}

/// Past this much text the memo takes no more (it is only ever a shortcut).
const MEMO_BYTES: usize = 8 << 20;
const MEMO_CONTEXTS: usize = 256;

/// The memo with the records' change stamps, for one read.
pub(crate) struct MemoUse<'m> {
    pub memo: &'m mut Memo,
    /// Per record symbol, the generation it last changed in (see the live cache).
    pub stamps: &'m [u64],
    pub generation: u64,
}

/// A memo bound to one read's document and variables.
pub(crate) struct Bound<'m, 'd> {
    memo: &'m mut Memo,
    stamps: &'m [u64],
    generation: u64,
    context: u32,
    /// Selection sets by their place in the document (stable across parses of one text).
    ordinals: FastMap<*const SelectionSet, u32>,
    /// The last selection set looked up and its ordinal (a list asks for one set many times).
    last: std::cell::Cell<(*const SelectionSet, u32)>,
    _document: std::marker::PhantomData<&'d SelectionSet>,
}

impl<'m> MemoUse<'m> {
    #[cfg_attr(size_build, optimize(speed))]
    fn bind<'d>(self, operation: &'d Operation, variables: Option<&Value>) -> Bound<'m, 'd> {
        let MemoUse {
            memo,
            stamps,
            generation,
        } = self;
        let variables = variables.map(Value::to_string).unwrap_or_default();
        let key = format!(
            "{}\u{0}{}\u{0}{variables}",
            operation.text(),
            operation.name().unwrap_or_default()
        );
        if memo.contexts.len() >= MEMO_CONTEXTS && !memo.contexts.contains_key(&key) {
            memo.clear();
        }
        let next = memo.contexts.len() as u32;
        let context = *memo.contexts.entry(key).or_insert(next);
        let mut ordinals = FastMap::default();
        for definition in &operation.document().definitions {
            match definition {
                crate::graphql::ast::Definition::Operation(op) => {
                    number(&op.selection_set, &mut ordinals)
                }
                crate::graphql::ast::Definition::Fragment(f) => {
                    number(&f.selection_set, &mut ordinals)
                }
            }
        }
        Bound {
            memo,
            stamps,
            generation,
            context,
            ordinals,
            last: std::cell::Cell::new((std::ptr::null(), 0)),
            _document: std::marker::PhantomData,
        }
    }
}

/// Numbers every selection set under `set`, depth first.
#[cfg_attr(size_build, optimize(speed))]
fn number(set: &SelectionSet, out: &mut FastMap<*const SelectionSet, u32>) {
    let next = out.len() as u32;
    out.insert(set as *const SelectionSet, next);
    for item in &set.items {
        match item {
            crate::graphql::ast::Selection::Field(f) => number(&f.selection_set, out),
            crate::graphql::ast::Selection::InlineFragment(i) => number(&i.selection_set, out),
            crate::graphql::ast::Selection::FragmentSpread(_) => {}
        }
    }
}

impl Bound<'_, '_> {
    #[cfg_attr(size_build, optimize(speed))]
    fn key(&self, set: &SelectionSet, record: Sym) -> Option<(u32, u32, Sym)> {
        let id = set as *const SelectionSet;
        let (last, ordinal) = self.last.get();
        if last == id {
            return Some((self.context, ordinal, record));
        }
        let ordinal = *self.ordinals.get(&id)?;
        self.last.set((id, ordinal));
        Some((self.context, ordinal, record))
    }

    /// Where the entry of record `record` read through `set` is, if none of the records it
    /// read changed since.
    #[cfg_attr(size_build, optimize(speed))]
    fn get(&self, set: &SelectionSet, record: Sym) -> Option<u32> {
        let at = *self.memo.index.get(&self.key(set, record)?)?;
        let entry = self.memo.entries.get(at as usize)?;
        let fresh = entry.deps.as_slice().iter().all(|&d| {
            self.stamps
                .get(d as usize)
                .is_none_or(|stamp| *stamp <= entry.made)
        });
        fresh.then_some(at)
    }

    /// The entry at `at`, if it is still entry `id` and none of the records it read changed:
    /// its text, its dependencies, and whether it was not sent yet (it is marked sent now).
    #[cfg_attr(size_build, optimize(speed))]
    fn reuse(&mut self, at: u32, id: u32) -> Option<(&str, &[Sym], bool)> {
        let stamps = self.stamps;
        let entry = self.memo.entries.get_mut(at as usize)?;
        let holds = entry.id == id
            && entry.deps.as_slice().iter().all(|&d| {
                stamps
                    .get(d as usize)
                    .is_none_or(|stamp| *stamp <= entry.made)
            });
        if !holds {
            return None;
        }
        // An entry never sent must be sent now, which needs its text.
        if !entry.sent && entry.text.is_none() {
            return None;
        }
        let unsent = !std::mem::replace(&mut entry.sent, true);
        Some((
            entry.text.as_deref().unwrap_or(""),
            entry.deps.as_slice(),
            unsent,
        ))
    }

    /// The key of the list at `path` whose items are read through `set`.
    #[cfg_attr(size_build, optimize(speed))]
    fn list_key(&self, set: &SelectionSet, path: &[Seg<'_>]) -> Option<(u32, u32, u64)> {
        use std::hash::{Hash, Hasher};
        let (context, ordinal, _) = self.key(set, 0)?;
        let mut hasher = super::hash::FastHasher::default();
        for seg in path {
            match seg {
                Seg::Key(key) => key.hash(&mut hasher),
                Seg::Index(i) => i.hash(&mut hasher),
            }
        }
        Some((context, ordinal, hasher.finish()))
    }

    /// The records entry `id` at `at` read, if it is still there.
    #[cfg_attr(size_build, optimize(speed))]
    fn entry_deps(&self, at: u32, id: u32) -> Option<&[Sym]> {
        let entry = self.memo.entries.get(at as usize)?;
        (entry.id == id).then(|| entry.deps.as_slice())
    }

    /// Keeps a segment read's list of markers (see [`ListMemo`]): its place and id, for the
    /// consumer to keep a copy under.
    #[cfg_attr(size_build, optimize(speed))]
    fn remember_list(
        &mut self,
        set: &SelectionSet,
        path: &[Seg<'_>],
        items: &[Val],
        ats: &[u32],
        ids: &[u32],
    ) -> Option<(u32, u32)> {
        let key = self.list_key(set, path)?;
        let targets: Option<Box<[Sym]>> = items
            .iter()
            .map(|item| match item {
                Val::Ref(target) => Some(*target),
                _ => None,
            })
            .collect();
        let targets = targets?;
        if targets.len() != ats.len() || self.memo.bytes + targets.len() * 20 > MEMO_BYTES {
            return None;
        }
        let next = self.memo.lists.len() as u32;
        let place = self.memo.lists.entry(key).or_insert((next, None)).0;
        let id = self.memo.next_id;
        self.memo.next_id = id.wrapping_add(1);
        let list = ListMemo {
            place,
            id,
            pairs: pairs_of(ats, |at| self.entry_text(at).1),
            targets,
            ats: ats.into(),
            ids: ids.into(),
            verified: self.generation,
        };
        self.memo.bytes += list.bytes();
        if let Some((_, kept)) = self.memo.lists.get_mut(&key) {
            if let Some(old) = kept.replace(list) {
                self.memo.bytes = self.memo.bytes.saturating_sub(old.bytes());
            }
        }
        Some((place, id))
    }

    /// The records stamped after generation `since`, unless more than `limit`.
    #[cfg_attr(size_build, optimize(speed))]
    fn changed_since(&self, since: u64, limit: usize) -> Option<Vec<Sym>> {
        let mut changed = Vec::new();
        for (sym, &stamp) in self.stamps.iter().enumerate() {
            if stamp > since {
                if changed.len() >= limit {
                    return None;
                }
                changed.push(sym as Sym);
            }
        }
        Some(changed)
    }

    /// The text and dependencies of the entry at `at` (a [`Bound::get`]'s).
    #[cfg_attr(size_build, optimize(speed))]
    fn entry_text(&self, at: u32) -> (&str, &[Sym]) {
        self.memo.entries.get(at as usize).map_or(("", &[]), |e| {
            (e.text.as_deref().unwrap_or(""), e.deps.as_slice())
        })
    }

    /// Whether the (fresh) entry at `at` can stand in for its object: with its text, or in a
    /// segment read's outermost objects (`segment`) as a marker, once it was sent.
    #[cfg_attr(size_build, optimize(speed))]
    fn usable(&self, at: u32, segment: bool) -> bool {
        self.memo
            .entries
            .get(at as usize)
            .is_some_and(|e| e.text.is_some() || (segment && e.sent))
    }

    #[cfg_attr(size_build, optimize(speed))]
    fn entry_id(&self, at: u32) -> u32 {
        self.memo.entries.get(at as usize).map_or(0, |e| e.id)
    }

    /// Marks the entry at `at` as sent: its id if it was not yet.
    #[cfg_attr(size_build, optimize(speed))]
    fn mark_sent(&mut self, at: u32) -> Option<u32> {
        let entry = self.memo.entries.get_mut(at as usize)?;
        (!std::mem::replace(&mut entry.sent, true)).then_some(entry.id)
    }

    /// Stores an entry, with its text when `keep_text`; where it is (`None`: the memo is full).
    /// A fresh entry there without text (a segment read's) only gets the text: it is the same
    /// object, and keeps its id (so the consumer keeps its object).
    #[cfg_attr(size_build, optimize(speed))]
    fn put(
        &mut self,
        set: &SelectionSet,
        record: Sym,
        text: &str,
        deps: &[Sym],
        keep_text: bool,
    ) -> Option<u32> {
        let key = self.key(set, record)?;
        let kept = if keep_text { text.len() } else { 0 };
        if self.memo.bytes + kept > MEMO_BYTES {
            // Full: entries made stale are replaced as their objects are read again.
            return None;
        }
        if let Some(&at) = self.memo.index.get(&key) {
            if self.get(set, record) == Some(at) {
                if let Some(old) = self.memo.entries.get_mut(at as usize) {
                    if old.text.is_none() {
                        self.memo.bytes += kept;
                        old.text = keep_text.then(|| text.into());
                        return Some(at);
                    }
                }
            }
        }
        self.memo.bytes += kept;
        let entry = MemoEntry {
            text: keep_text.then(|| text.into()),
            deps: Deps::unique(deps),
            made: self.generation,
            id: self.memo.next_id,
            sent: false,
        };
        self.memo.next_id = self.memo.next_id.wrapping_add(1);
        let next = self.memo.entries.len() as u32;
        let at = *self.memo.index.entry(key).or_insert(next);
        match self.memo.entries.get_mut(at as usize) {
            Some(old) => {
                let old_bytes = old.text.as_deref().map_or(0, str::len);
                self.memo.bytes = self.memo.bytes.saturating_sub(old_bytes);
                *old = entry;
            }
            None => self.memo.entries.push(entry),
        }
        Some(at)
    }
}

#[cfg(test)]
mod radix_tests {
    #[test]
    fn sort_by_record_sorts_like_a_comparison_sort() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for (len, range) in [(10, 50), (600, 40), (5_000, 70_000), (20_000, 3_000_000)] {
            // Made in item order, as pairs_of makes them.
            let mut pairs = Vec::new();
            for p in 0..len {
                for _ in 0..2 {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    pairs.push(((x % range) as u32, p));
                }
            }
            let mut expected = pairs.clone();
            expected.sort_unstable();
            super::sort_by_record(&mut pairs);
            assert_eq!(pairs, expected, "{len} pairs below {range}");
        }
    }
}

#[cfg(test)]
mod decimal_tests {
    #[test]
    fn push_decimal_writes_what_display_writes() {
        for n in [0, 7, 10, 99, 100, 12_345, 4_294_967_296, usize::MAX] {
            let mut out = String::from("x");
            super::push_decimal(&mut out, n);
            assert_eq!(out, format!("x{n}"));
        }
    }
}

#[cfg(test)]
mod deps_tests {
    use super::Deps;

    /// An entry's dependencies: each once, in the order they first come, held in place up to
    /// three (with no allocation) and in a list beyond.
    #[test]
    fn deps_keep_each_dependency_once_in_order() {
        let three_long: Vec<u32> = (0..40).map(|i| i % 3).collect();
        let seven_long: Vec<u32> = (0..40).map(|i| i % 7).collect();
        let twenty: Vec<u32> = (0..20).rev().collect();
        let cases: [&[u32]; 9] = [
            &[],
            &[7, 7],
            &[1, 2, 1],
            &[3, 1, 2, 1, 3],
            &[1, 2, 3, 4],
            &[1, 2, 3, 1, 4, 2],
            &three_long,
            &seven_long,
            &twenty,
        ];
        for deps in cases {
            let mut expected = Vec::new();
            for &dep in deps {
                if !expected.contains(&dep) {
                    expected.push(dep);
                }
            }
            let made = Deps::unique(deps);
            assert_eq!(made.as_slice(), expected, "{deps:?}");
            assert_eq!(
                matches!(made, Deps::Few(..)),
                expected.len() <= 3,
                "{deps:?}"
            );
        }
    }
}
