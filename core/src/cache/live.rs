//! The live cache: records in memory (loaded lazily from the store, so opening a large cache
//! parses nothing up front), optimistic layers on top, every base write persisted through the
//! [`Store`], and watches that re-run only when a record they read changes.

use super::hash::{FastMap, FastSet};
use super::keys::KeyConfig;
use super::normalize::{
    normalize_into, normalize_tape_into, normalize_text_into, WriteTape, Written,
};
use super::read::{
    read_fragment_from, read_query_from, read_segments_memo, read_text_from, read_text_memo,
    FreshChunks, Memo, MemoUse, ReadResult, RecordSource, SegmentRead, Start, TextRead,
};
use super::records::{self, merge, Interner, Rec, Sym};
use super::root_key;
use super::selection::Walk;
use super::symset::{SymBits, SymSet};
use crate::graphql::{Fragment, Operation};
use crate::runtime::BoxFuture;
use crate::storage::{Change, Store, StoreError, StoreHandle};
use futures::channel::mpsc;
use serde_json::Value;
use std::borrow::Cow;
use std::sync::{Arc, Mutex, MutexGuard};

/// Record keys in the store are prefixed so the cache never collides with other record users.
const PREFIX: &str = "cache:";

const ROOTS: [&str; 3] = ["ROOT_QUERY", "ROOT_MUTATION", "ROOT_SUBSCRIPTION"];

/// An optimistic layer: fields written on top of the base, removed as a whole.
#[derive(Debug, Default)]
struct Layer {
    id: String,
    records: FastMap<Sym, Rec>,
}

/// The base records by symbol: a slot per symbol of the interner (symbols are small and dense,
/// so a record is found by index, without hashing, and costs 24 bytes of table instead of a
/// hash table's 32 and more; a symbol that names no record, like a field key, costs an empty
/// slot).
#[derive(Debug, Default)]
struct Base {
    slots: Vec<Option<Rec>>,
}

impl Base {
    fn get(&self, key: &Sym) -> Option<&Rec> {
        self.slots.get(*key as usize)?.as_ref()
    }

    fn contains_key(&self, key: &Sym) -> bool {
        self.get(key).is_some()
    }

    fn slot(&mut self, key: Sym) -> &mut Option<Rec> {
        let index = key as usize;
        if index >= self.slots.len() {
            self.slots.resize_with(index + 1, || None);
        }
        &mut self.slots[index]
    }

    /// Record `key`, made empty if absent.
    fn get_or_default(&mut self, key: Sym) -> &mut Rec {
        self.slot(key).get_or_insert_with(Rec::new)
    }

    /// Puts `record` in unless `key` has one.
    fn insert_if_absent(&mut self, key: Sym, record: Rec) {
        self.slot(key).get_or_insert(record);
    }

    fn insert(&mut self, key: Sym, record: Rec) {
        *self.slot(key) = Some(record);
    }

    /// Makes room for slots up to `key` at once: a large write grows the table to the size it
    /// needs, not to the next power of two.
    fn reserve_to(&mut self, key: Sym) {
        let wanted = key as usize + 1;
        if let Some(more) = wanted.checked_sub(self.slots.len()) {
            self.slots.reserve_exact(more);
        }
    }

    fn remove(&mut self, key: &Sym) -> Option<Rec> {
        self.slots.get_mut(*key as usize)?.take()
    }

    /// The keys of the records, by symbol.
    fn keys(&self) -> impl Iterator<Item = Sym> + '_ {
        self.iter().map(|(key, _)| key)
    }

    fn iter(&self) -> impl Iterator<Item = (Sym, &Rec)> + '_ {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, r)| Some((i as Sym, r.as_ref()?)))
    }
}

#[derive(Debug, Default)]
struct State {
    interner: Interner,
    base: Base,
    /// Keys the store was asked for and does not have.
    absent: FastSet<Sym>,
    layers: Vec<Layer>,
    /// Every record is in memory (after extract / gc / restore).
    fully_loaded: bool,
    /// Bumped by every change; `stamps` holds, per record (indexed by its symbol; 0: never
    /// changed since stamping began), the generation it last changed in (base or layers), so
    /// memoized text reads know what is stale.
    generation: u64,
    stamps: Vec<u64>,
    /// The memo has made entries (set by text reads, under this state's lock): until then,
    /// stamps are not needed (any later entry is newer than every change before it).
    memo_used: std::sync::atomic::AtomicBool,
    /// The start generations of the network fetches in flight (see [`FetchTicket`]).
    fetches: Vec<u64>,
    /// While fetches are in flight: per (record, field) that a base write set, the generation
    /// of its source (a fetch's start; else the write itself). A fetch's result skips the fields
    /// whose source is newer than its own start, so a slow fetch that started before a mutation,
    /// a subscription event or a local write does not put the older value back. Emptied when no
    /// fetch is in flight.
    recent: FastMap<(Sym, Sym), u64>,
}

impl State {
    /// Stamps `changed` records with a new generation.
    fn touch<'k>(&mut self, changed: impl IntoIterator<Item = &'k Sym>) {
        self.generation += 1;
        self.stamp(changed);
    }

    /// Stamps `changed` with the current generation (a [`State::touch`]'s).
    fn stamp<'k>(&mut self, changed: impl IntoIterator<Item = &'k Sym>) {
        if !self.memo_used.load(std::sync::atomic::Ordering::Relaxed) {
            return;
        }
        let generation = self.generation;
        for &key in changed {
            let index = key as usize;
            if index >= self.stamps.len() {
                self.stamps.resize(index + 1, 0);
            }
            self.stamps[index] = generation;
        }
    }
}

/// Base records with the optimistic layers' fields on top (unless `layers` is false: the base
/// only). One type for both, so the readers exist once in the web build.
struct View<'s>(&'s State, bool);

impl RecordSource for View<'_> {
    fn record(&self, key: Sym) -> Option<Cow<'_, Rec>> {
        let base = self.0.base.get(&key);
        let layers: &[Layer] = if self.1 { &self.0.layers } else { &[] };
        let mut layered = layers.iter().filter_map(|l| l.records.get(&key)).peekable();
        if layered.peek().is_none() {
            return base.map(Cow::Borrowed);
        }
        let mut merged = base.cloned().unwrap_or_default();
        for fields in layered {
            merge(&mut merged, fields.clone());
        }
        Some(Cow::Owned(merged))
    }
}

struct Watch {
    id: u64,
    operation: Arc<Operation>,
    variables: Option<Value>,
    dependencies: SymSet,
    /// What it last delivered: the data's text, and the partial result when that was `None`.
    last: (Option<String>, Value),
    /// The generation of the state its last delivered read saw.
    seen: u64,
    sender: mpsc::UnboundedSender<TextRead>,
}

impl Watch {
    /// Sends a re-read result (read from the state of `generation`) if it differs from the last
    /// one. Notifications run concurrently (one per write) and read outside the watch list's
    /// lock, so a read of an older state can arrive after a newer one: it is dropped, or the
    /// watch would end on stale data.
    fn deliver(&mut self, (result, generation): (TextRead, u64)) {
        if generation < self.seen {
            return;
        }
        self.seen = generation;
        self.dependencies.clone_from(&result.info.dependencies);
        let (data, partial) = &self.last;
        if (data.as_deref(), partial) != (result.data.as_deref(), &result.info.partial) {
            self.last = (result.data.clone(), result.info.partial.clone());
            let _ = self.sender.unbounded_send(result);
        }
    }
}

/// A network fetch in flight, from [`Cache::begin_fetch`]; write its result with
/// [`Cache::write_fetched`]. Dropping it ends the fetch.
#[derive(Debug)]
pub struct FetchTicket {
    cache: Arc<Cache>,
    start: u64,
}

impl Drop for FetchTicket {
    fn drop(&mut self) {
        let mut state = self.cache.state();
        if let Some(i) = state.fetches.iter().position(|&s| s == self.start) {
            state.fetches.swap_remove(i);
        }
        match state.fetches.iter().min().copied() {
            None => state.recent = FastMap::default(),
            // Only fetches still in flight consult the log: entries no newer than the oldest of
            // them can no longer hold anything back.
            Some(oldest) => state.recent.retain(|_, source| *source > oldest),
        }
    }
}

/// A normalized cache.
pub struct Cache {
    keys: KeyConfig,
    store: Option<StoreHandle>,
    state: Mutex<State>,
    /// Text reads' serialized objects (locked inside the state's lock, never the other way).
    memo: Mutex<Memo>,
    watches: Mutex<Vec<Watch>>,
    /// Watches whose consumer reads for itself (see [`Cache::watch_changes`]).
    change_watches: Mutex<Vec<ChangeWatch>>,
    next_watch: std::sync::atomic::AtomicU64,
}

/// A watch that only tells its consumer when a record it depends on changed.
struct ChangeWatch {
    id: u64,
    dependencies: SymSet,
    sender: mpsc::UnboundedSender<()>,
}

/// The consumer's end of [`Cache::watch_changes`]: tells the cache what the consumer's last
/// read depended on. Dropping it ends the watch.
pub struct ChangeWatchHandle {
    cache: Arc<Cache>,
    id: u64,
}

impl std::fmt::Debug for ChangeWatchHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChangeWatchHandle")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl ChangeWatchHandle {
    /// From now on, a change of any record `read` depended on (complete or not) is told.
    pub fn follow(&self, read: &ReadResult) {
        let mut watches = self.cache.lock_change_watches();
        if let Some(watch) = watches.iter_mut().find(|w| w.id == self.id) {
            watch.dependencies.clone_from(&read.dependencies);
        }
    }
}

impl Drop for ChangeWatchHandle {
    fn drop(&mut self) {
        self.cache.lock_change_watches().retain(|w| w.id != self.id);
    }
}

/// Whether any of `changed` is in `dependencies` (looking up the smaller set's members).
fn touches(changed: &SymSet, dependencies: &SymSet) -> bool {
    if changed.len() < dependencies.len() {
        changed.iter().any(|d| dependencies.contains(d))
    } else {
        dependencies.iter().any(|d| changed.contains(d))
    }
}

impl std::fmt::Debug for Cache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cache")
            .field("keys", &self.keys)
            .field("persistent", &self.store.is_some())
            .finish_non_exhaustive()
    }
}

/// A cache failure: the store failed, or a stored record is not JSON.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CacheError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cached record `{key}` is damaged: {message}")]
    Damaged { key: String, message: String },
    /// A handle that is valid for a while only (an update function's cache) was used after.
    #[error("{0}")]
    Closed(String),
}

/// A write from JSON text failed: the text is not JSON (nothing was written), or the cache
/// failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextWriteError {
    #[error("the data is not valid JSON: {0}")]
    InvalidJson(String),
    #[error(transparent)]
    Cache(#[from] CacheError),
}

/// What a read reached (so the records it lacked can be loaded and the read done again).
trait Reached {
    fn reached(&self) -> &SymSet;
}

impl Reached for ReadResult {
    fn reached(&self) -> &SymSet {
        &self.dependencies
    }
}

impl Reached for SegmentRead {
    fn reached(&self) -> &SymSet {
        &self.info.dependencies
    }
}

impl Reached for TextRead {
    fn reached(&self) -> &SymSet {
        &self.info.dependencies
    }
}

/// A read and the generation of the state it read.
impl<R: Reached> Reached for (R, u64) {
    fn reached(&self) -> &SymSet {
        self.0.reached()
    }
}

/// The store's key of a record.
fn stored_key(key: &str) -> String {
    format!("{PREFIX}{key}")
}

impl Cache {
    /// A cache persisted in `store` (open or still opening), or in memory only when `store` is
    /// `None` (`disableOffline`).
    pub fn new(keys: KeyConfig, store: Option<StoreHandle>) -> Cache {
        let mut state = State::default();
        for root in ROOTS {
            state.interner.intern(root);
        }
        state.interner.intern("__typename");
        Cache {
            keys,
            store,
            state: Mutex::new(state),
            memo: Mutex::default(),
            watches: Mutex::default(),
            change_watches: Mutex::default(),
            next_watch: Default::default(),
        }
    }

    /// Resolves when the store is open (at once without one); a store that cannot open is a
    /// typed error here and on every later read or write, never a crash.
    pub async fn hydrated(&self) -> Result<(), CacheError> {
        self.store().await.map(|_| ())
    }

    /// The open store, if the cache persists.
    async fn store(&self) -> Result<Option<Arc<dyn Store>>, CacheError> {
        match &self.store {
            None => Ok(None),
            Some(handle) => Ok(Some(handle.get().await?)),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A poisoned lock means a panic elsewhere mid-update; the data is still the best we have.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Loads `keys` the memory does not know yet from the store. (The private steps several
    /// operations await are boxed: one copy of each state machine in the web build instead of
    /// one per caller.)
    fn load(&self, keys: Vec<Sym>) -> BoxFuture<'_, Result<(), CacheError>> {
        Box::pin(self.load_now(keys))
    }

    async fn load_now(&self, keys: Vec<Sym>) -> Result<(), CacheError> {
        if keys.is_empty() {
            return Ok(());
        }
        let Some(store) = self.store().await? else {
            return Ok(());
        };
        let names: Vec<String> = {
            let state = self.state();
            keys.iter()
                .map(|k| stored_key(state.interner.name(*k)))
                .collect()
        };
        let values = store.get_records(names).await?;
        let mut state = self.state();
        for (key, value) in keys.into_iter().zip(values) {
            match value {
                Some(bytes) => {
                    let record = records::decode(&bytes, &mut state.interner).map_err(|e| {
                        CacheError::Damaged {
                            key: state.interner.name(key).to_owned(),
                            message: e.to_string(),
                        }
                    })?;
                    state.base.insert_if_absent(key, record);
                }
                None => {
                    state.absent.insert(key);
                }
            }
        }
        Ok(())
    }

    fn unknown<'k>(state: &State, keys: impl IntoIterator<Item = &'k Sym>) -> Vec<Sym> {
        if state.fully_loaded {
            return Vec::new();
        }
        keys.into_iter()
            .filter(|k| !state.base.contains_key(k) && !state.absent.contains(*k))
            .copied()
            .collect()
    }

    /// Reads `operation` from the cache (optimistic layers included), loading what it needs.
    pub async fn read_query(
        &self,
        operation: &Operation,
        variables: Option<&Value>,
    ) -> Result<ReadResult, CacheError> {
        self.read_query_in(true, operation, variables).await
    }

    /// Reads `operation` from the base records only, without optimistic layers.
    pub async fn read_query_base(
        &self,
        operation: &Operation,
        variables: Option<&Value>,
    ) -> Result<ReadResult, CacheError> {
        self.read_query_in(false, operation, variables).await
    }

    async fn read_query_in(
        &self,
        layers: bool,
        operation: &Operation,
        variables: Option<&Value>,
    ) -> Result<ReadResult, CacheError> {
        self.read_loaded(layers, |source, interner| {
            read_query_from(operation, variables, source, interner)
        })
        .await
    }

    /// Reads entity `key` (e.g. `Todo:1`) through `fragment`.
    pub async fn read_fragment(
        &self,
        fragment: &Fragment,
        key: &str,
        variables: Option<&Value>,
    ) -> Result<ReadResult, CacheError> {
        self.read_fragment_in(true, fragment, key, variables).await
    }

    /// Reads entity `key` through `fragment` from the base records only.
    pub async fn read_fragment_base(
        &self,
        fragment: &Fragment,
        key: &str,
        variables: Option<&Value>,
    ) -> Result<ReadResult, CacheError> {
        self.read_fragment_in(false, fragment, key, variables).await
    }

    async fn read_fragment_in(
        &self,
        layers: bool,
        fragment: &Fragment,
        key: &str,
        variables: Option<&Value>,
    ) -> Result<ReadResult, CacheError> {
        let sym = self.state().interner.intern(key);
        self.read_loaded(layers, |source, interner| {
            read_fragment_from(fragment, sym, variables, source, interner)
        })
        .await
    }

    /// Reads `operation` as JSON text, written straight from the records: the text
    /// `serde_json` writes of [`Cache::read_query`]'s data (no `Value` tree on the way), or
    /// `None` with the same missing paths and partial result when something is missing.
    pub async fn read_query_text(
        &self,
        operation: &Operation,
        variables: Option<&Value>,
    ) -> Result<TextRead, CacheError> {
        Ok(self.read_query_text_at(operation, variables).await?.0)
    }

    /// [`Cache::read_query_text`] and the generation of the state it read: of two reads, the
    /// one with the higher generation saw the newer state.
    async fn read_query_text_at(
        &self,
        operation: &Operation,
        variables: Option<&Value>,
    ) -> Result<(TextRead, u64), CacheError> {
        self.read_state_loaded(|state| {
            let read = self.with_memo(state, |memo| {
                read_text_memo(
                    Start::Query(operation),
                    variables,
                    &View(state, true),
                    &state.interner,
                    Some(memo),
                )
            });
            (read, state.generation)
        })
        .await
    }

    /// Runs a read of `state` through the memo.
    fn with_memo<R>(&self, state: &State, read: impl FnOnce(MemoUse<'_>) -> R) -> R {
        let mut memo = self.memo.lock().unwrap_or_else(|p| p.into_inner());
        let result = read(MemoUse {
            memo: &mut memo,
            stamps: &state.stamps,
            generation: state.generation,
        });
        // From the first entry on, changes are stamped (still under the state's lock, so no
        // change slips in between).
        state
            .memo_used
            .store(true, std::sync::atomic::Ordering::Relaxed);
        result
    }

    /// [`Cache::read_query_text`] cut into the texts of its outermost memoized objects and a
    /// skeleton naming them (see [`SegmentRead`]), for one consumer that keeps what each text
    /// parses to and applies the reads in the order they were made (the web package).
    pub async fn read_query_segments(
        &self,
        operation: &Operation,
        variables: Option<&Value>,
    ) -> Result<SegmentRead, CacheError> {
        self.segments_read(operation, variables, None).await
    }

    /// [`Cache::read_query_segments`] handing the fresh texts to `chunks` as it goes, a JSON
    /// array each time they reach `chunk_bytes` (see [`FreshChunks`]), so a first read of a long
    /// list never holds all of their text at once: the rest is the read's `fresh`. `chunks` is
    /// called synchronously, inside the read.
    pub async fn read_query_segments_with(
        &self,
        operation: &Operation,
        variables: Option<&Value>,
        chunk_bytes: usize,
        chunks: FreshChunks<'_>,
    ) -> Result<SegmentRead, CacheError> {
        self.segments_read(operation, variables, Some((chunk_bytes, chunks)))
            .await
    }

    async fn segments_read(
        &self,
        operation: &Operation,
        variables: Option<&Value>,
        mut chunks: Option<(usize, FreshChunks<'_>)>,
    ) -> Result<SegmentRead, CacheError> {
        self.read_state_loaded(|state| {
            let chunks = chunks
                .as_mut()
                .map(|(bytes, f)| (*bytes, &mut **f as FreshChunks<'_>));
            self.with_memo(state, |memo| {
                read_segments_memo(
                    operation,
                    variables,
                    &View(state, true),
                    &state.interner,
                    memo,
                    chunks,
                )
            })
        })
        .await
    }

    /// The bytes of object text the read memo holds (for tests and diagnostics). Text reads
    /// keep each object's text; a segment read keeps none of the objects it sent.
    pub fn memo_text_bytes(&self) -> usize {
        self.memo
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .text_bytes()
    }

    /// Forgets what segment reads sent (the consumer lost it): the next one sends everything.
    pub fn reset_segments(&self) {
        self.clear_memo();
    }

    /// Reads entity `key` through `fragment` as JSON text (see [`Cache::read_query_text`]).
    pub async fn read_fragment_text(
        &self,
        fragment: &Fragment,
        key: &str,
        variables: Option<&Value>,
    ) -> Result<TextRead, CacheError> {
        let sym = self.state().interner.intern(key);
        self.read_loaded(true, |source, interner| {
            read_text_from(Start::Fragment(fragment, sym), variables, source, interner)
        })
        .await
    }

    /// The keys of the records a read of this cache depended on, sorted.
    pub fn dependency_keys(&self, read: &ReadResult) -> std::collections::BTreeSet<String> {
        let state = self.state();
        read.dependencies
            .iter()
            .map(|s| state.interner.name(*s).to_owned())
            .collect()
    }

    /// Runs `reading` (over the base with the optimistic layers on top, or the base only) until
    /// every record it reached is in memory: each round loads what the last one reached but
    /// memory lacked (the document's depth bounds the rounds).
    async fn read_loaded<R: Reached>(
        &self,
        layers: bool,
        reading: impl Fn(&View<'_>, &Interner) -> R,
    ) -> Result<R, CacheError> {
        self.read_state_loaded(|state| reading(&View(state, layers), &state.interner))
            .await
    }

    /// [`Cache::read_loaded`] with the whole state at hand.
    async fn read_state_loaded<R: Reached>(
        &self,
        mut reading: impl FnMut(&State) -> R,
    ) -> Result<R, CacheError> {
        for _ in 0..128 {
            let (result, unknown) = {
                let state = self.state();
                let result = reading(&state);
                let unknown = Self::unknown(&state, result.reached());
                (result, unknown)
            };
            if unknown.is_empty() || self.store.is_none() {
                return Ok(result);
            }
            self.load(unknown).await?;
        }
        let state = self.state();
        Ok(reading(&state))
    }

    /// Writes `data` as the fields of entity `key` through `fragment` (persisted; watches re-run).
    pub async fn write_fragment(
        &self,
        fragment: &Fragment,
        key: &str,
        variables: Option<&Value>,
        data: &Value,
    ) -> Result<Vec<String>, CacheError> {
        let written = {
            let walk = Walk::fragment(fragment, variables);
            let mut state = self.state();
            normalize_into(&mut state.interner, &walk, key, data, &self.keys)
        };
        self.write_normalized(written).await
    }

    /// Normalizes a result of `operation` with this cache's interner. Synchronous, so the walk
    /// (not `Send`) never lives across an await.
    fn normalize_query(
        &self,
        operation: &Operation,
        variables: Option<&Value>,
        data: &Value,
    ) -> Written {
        let walk = Walk::new(operation, variables);
        let mut state = self.state();
        normalize_into(
            &mut state.interner,
            &walk,
            root_key(operation.kind()),
            data,
            &self.keys,
        )
    }

    /// Writes `data` as the result of `operation` (persisted; watches re-run). Returns what did
    /// not match the document (stored as far as it was valid).
    pub async fn write_query(
        &self,
        operation: &Operation,
        variables: Option<&Value>,
        data: &Value,
    ) -> Result<Vec<String>, CacheError> {
        let written = self.normalize_query(operation, variables, data);
        self.write_normalized(written).await
    }

    /// Writes `data` as the result of `operation` and applies `extra` changes in the SAME store
    /// transaction (the outbox removes its entry this way). Without a store nothing is
    /// persisted, and `extra` comes back for the caller to apply to its own store.
    pub async fn write_query_and(
        &self,
        operation: &Operation,
        variables: Option<&Value>,
        data: &Value,
        extra: Vec<Change>,
    ) -> Result<(Vec<String>, Vec<Change>), CacheError> {
        let written = self.normalize_query(operation, variables, data);
        if self.store.is_none() {
            let warnings = self.write_normalized_with(written, Vec::new()).await?;
            return Ok((warnings, extra));
        }
        let warnings = self.write_normalized_with(written, extra).await?;
        Ok((warnings, Vec::new()))
    }

    /// The keys of the records in memory whose id part is `id` (`Todo:<id>`, ...).
    pub fn keys_with_id(&self, id: &str) -> Vec<String> {
        let suffix = format!(":{id}");
        let state = self.state();
        state
            .base
            .keys()
            .map(|k| state.interner.name(k))
            .filter(|name| name.ends_with(&suffix))
            .map(str::to_owned)
            .collect()
    }

    /// The store this cache persists in, if any (the outbox shares it for its transactions).
    pub fn store_handle(&self) -> Option<&StoreHandle> {
        self.store.as_ref()
    }

    /// [`Cache::write_query`] from the data's JSON text, normalized straight from the text (no
    /// `Value` tree of the result): the same records and warnings.
    pub async fn write_query_text(
        &self,
        operation: &Operation,
        variables: Option<&Value>,
        data: &str,
    ) -> Result<Vec<String>, TextWriteError> {
        let written = self.normalize_query_text(operation, variables, data)?;
        Ok(self.write_normalized(written).await?)
    }

    /// [`Cache::write_query_text`] from a write tape instead of JSON text (see [`WriteTape`]:
    /// the web package walks the app's JS objects into one): the same records and warnings. A
    /// tape that does not hold JSON data is `InvalidJson`, and nothing is written.
    pub async fn write_query_tape(
        &self,
        operation: &Operation,
        variables: Option<&Value>,
        tape: &mut WriteTape<'_>,
    ) -> Result<Vec<String>, TextWriteError> {
        let written = {
            let walk = Walk::new(operation, variables);
            let mut state = self.state();
            normalize_tape_into(
                &mut state.interner,
                &walk,
                root_key(operation.kind()),
                tape,
                &self.keys,
            )
        }
        .map_err(|e| TextWriteError::InvalidJson(e.to_string()))?;
        Ok(self.write_normalized(written).await?)
    }

    /// [`Cache::write_fetched`] from the data's JSON text (see [`Cache::write_query_text`]).
    pub async fn write_fetched_text(
        &self,
        ticket: &FetchTicket,
        operation: &Operation,
        variables: Option<&Value>,
        data: &str,
    ) -> Result<Vec<String>, TextWriteError> {
        let written = self.normalize_query_text(operation, variables, data)?;
        Ok(self
            .write_sourced(written, Vec::new(), Some(ticket.start))
            .await?)
    }

    fn normalize_query_text(
        &self,
        operation: &Operation,
        variables: Option<&Value>,
        data: &str,
    ) -> Result<Written, TextWriteError> {
        let walk = Walk::new(operation, variables);
        let mut state = self.state();
        normalize_text_into(
            &mut state.interner,
            &walk,
            root_key(operation.kind()),
            data,
            &self.keys,
        )
        .map_err(|e| TextWriteError::InvalidJson(e.to_string()))
    }

    /// [`Cache::write_fragment`] from the data's JSON text (see [`Cache::write_query_text`]).
    pub async fn write_fragment_text(
        &self,
        fragment: &Fragment,
        key: &str,
        variables: Option<&Value>,
        data: &str,
    ) -> Result<Vec<String>, TextWriteError> {
        let written = {
            let walk = Walk::fragment(fragment, variables);
            let mut state = self.state();
            normalize_text_into(&mut state.interner, &walk, key, data, &self.keys)
        }
        .map_err(|e| TextWriteError::InvalidJson(e.to_string()))?;
        Ok(self.write_normalized(written).await?)
    }

    /// Marks a network fetch as started: writes that land while it is in flight are newer than
    /// its result (see [`Cache::write_fetched`]).
    pub fn begin_fetch(self: &Arc<Self>) -> FetchTicket {
        let mut state = self.state();
        // Its own generation: of two fetches, the one started later is the newer.
        state.generation += 1;
        let start = state.generation;
        state.fetches.push(start);
        FetchTicket {
            cache: self.clone(),
            start,
        }
    }

    /// Writes the result of the fetch `ticket` stands for, like [`Cache::write_query`], except
    /// for the fields another write set while it was in flight from a newer source (a mutation's
    /// answer, a subscription event, a local write, a fetch that started later): those keep
    /// their newer value.
    pub async fn write_fetched(
        &self,
        ticket: &FetchTicket,
        operation: &Operation,
        variables: Option<&Value>,
        data: &Value,
    ) -> Result<Vec<String>, CacheError> {
        let written = self.normalize_query(operation, variables, data);
        self.write_sourced(written, Vec::new(), Some(ticket.start))
            .await
    }

    async fn write_normalized(&self, written: Written) -> Result<Vec<String>, CacheError> {
        self.write_normalized_with(written, Vec::new()).await
    }

    async fn write_normalized_with(
        &self,
        written: Written,
        extra: Vec<Change>,
    ) -> Result<Vec<String>, CacheError> {
        self.write_sourced(written, extra, None).await
    }

    /// Writes normalized records into the base: `fetched` is the start generation of the fetch
    /// they come from (`None`: they are as new as this write).
    fn write_sourced(
        &self,
        written: Written,
        extra: Vec<Change>,
        fetched: Option<u64>,
    ) -> BoxFuture<'_, Result<Vec<String>, CacheError>> {
        Box::pin(self.write_sourced_now(written, extra, fetched))
    }

    async fn write_sourced_now(
        &self,
        written: Written,
        extra: Vec<Change>,
        fetched: Option<u64>,
    ) -> Result<Vec<String>, CacheError> {
        let Written { records, warnings } = written;
        let persist = self.store.is_some();
        if persist {
            // Merging needs the stored records (fields not in this result are kept).
            let missing = { Self::unknown(&self.state(), records.keys()) };
            self.load(missing).await?;
        }
        // The records this write changed: a refetch of the same data changes nothing, so
        // watches are not re-read, memoized reads hold and the web package's objects stay
        // the same objects. As bits while the written records are all held (a large write's
        // high-water mark), listed once they are merged.
        let mut changed = SymBits::default();
        let (changes, changed) = {
            let mut state = self.state();
            state.touch(&[]);
            let mut changes = Vec::with_capacity(if persist { records.len() } else { 0 });
            changes.extend(extra);
            let source = fetched.unwrap_or(state.generation);
            let State {
                base,
                absent,
                interner,
                fetches,
                recent,
                ..
            } = &mut *state;
            // Logged only when a fetch in flight started before this write's source: only
            // such a fetch's result could overwrite it (a lone fetch writes without a log).
            let tracking = fetches.iter().any(|&start| start < source);
            if let Some(&top) = records.keys().max() {
                base.reserve_to(top);
            }
            let mut scratch = Vec::new();
            for (key, mut fields) in records {
                if let (Some(since), false) = (fetched, recent.is_empty()) {
                    fields.retain(|(field, _)| {
                        recent
                            .get(&(key, *field))
                            .is_none_or(|&newer| newer <= since)
                    });
                }
                if tracking {
                    for (field, _) in &fields {
                        let entry = recent.entry((key, *field)).or_insert(source);
                        *entry = (*entry).max(source);
                    }
                }
                if !absent.is_empty() {
                    absent.remove(&key);
                }
                let existed = base.get(&key).is_some();
                let record = base.get_or_default(key);
                if records::merge_changed(record, fields) || !existed {
                    changed.insert(key);
                }
                if persist {
                    scratch.clear();
                    records::encode_into(record, interner, &mut scratch);
                    changes.push(Change::PutRecord {
                        key: stored_key(interner.name(key)),
                        // Allocated once, at its size.
                        value: scratch.as_slice().to_vec(),
                    });
                }
            }
            let changed = changed.finish();
            state.stamp(&changed);
            (changes, changed)
        };
        if let Some(store) = self.store().await? {
            store.apply(changes).await?;
        }
        self.notify(&changed).await;
        Ok(warnings)
    }

    /// Writes a result as optimistic layer `layer_id` (not persisted): reads see it on top of
    /// the base until [`Cache::remove_layer`].
    pub async fn write_optimistic(
        &self,
        layer_id: &str,
        operation: &Operation,
        variables: Option<&Value>,
        data: &Value,
    ) -> Vec<String> {
        let Written { records, warnings } = self.normalize_query(operation, variables, data);
        let changed = {
            let mut state = self.state();
            let changed: SymSet = records.keys().copied().collect();
            state.touch(&changed);
            let index = match state.layers.iter().position(|l| l.id == layer_id) {
                Some(i) => i,
                None => {
                    state.layers.push(Layer {
                        id: layer_id.to_owned(),
                        records: FastMap::default(),
                    });
                    state.layers.len() - 1
                }
            };
            for (key, fields) in records {
                merge(state.layers[index].records.entry(key).or_default(), fields);
            }
            changed
        };
        self.notify(&changed).await;
        warnings
    }

    /// Rolls back an optimistic layer.
    pub async fn remove_layer(&self, layer_id: &str) {
        let changed: SymSet = {
            let mut state = self.state();
            let Some(index) = state.layers.iter().position(|l| l.id == layer_id) else {
                return;
            };
            let changed: SymSet = state.layers.remove(index).records.into_keys().collect();
            state.touch(&changed);
            changed
        };
        self.notify(&changed).await;
    }

    /// Removes one record (references to it then read as missing).
    pub async fn evict(&self, key: &str) -> Result<(), CacheError> {
        let sym = {
            let mut state = self.state();
            let sym = state.interner.intern(key);
            state.base.remove(&sym);
            state.absent.insert(sym);
            state.touch([&sym]);
            sym
        };
        if let Some(store) = self.store().await? {
            store
                .apply(vec![Change::DeleteRecord {
                    key: stored_key(key),
                }])
                .await?;
        }
        self.notify(&SymSet::from_iter([sym])).await;
        Ok(())
    }

    /// Loads every stored record into memory.
    fn load_all(&self) -> BoxFuture<'_, Result<(), CacheError>> {
        Box::pin(self.load_all_now())
    }

    async fn load_all_now(&self) -> Result<(), CacheError> {
        if let Some(store) = self.store().await? {
            if !self.state().fully_loaded {
                let keys: Vec<Sym> = {
                    let names = store.record_keys().await?;
                    let mut state = self.state();
                    names
                        .iter()
                        .filter_map(|k| k.strip_prefix(PREFIX))
                        .map(|k| state.interner.intern(k))
                        .collect()
                };
                let unknown = Self::unknown(&self.state(), &keys);
                self.load(unknown).await?;
            }
        }
        self.state().fully_loaded = true;
        Ok(())
    }

    /// Drops every record no root reaches; returns the removed keys.
    pub async fn gc(&self) -> Result<Vec<String>, CacheError> {
        self.load_all().await?;
        let removed: Vec<String> = {
            let mut state = self.state();
            let mut reachable = FastSet::default();
            let mut pending: Vec<Sym> =
                ROOTS.iter().filter_map(|r| state.interner.get(r)).collect();
            for layer in &state.layers {
                pending.extend(layer.records.keys().copied());
            }
            while let Some(key) = pending.pop() {
                if !reachable.insert(key) {
                    continue;
                }
                if let Some(record) = state.base.get(&key) {
                    record.iter().for_each(|(_, v)| v.references(&mut pending));
                }
            }
            let removed: Vec<Sym> = state
                .base
                .keys()
                .filter(|k| !reachable.contains(k))
                .collect();
            for key in &removed {
                state.base.remove(key);
            }
            state.touch(&removed);
            let mut names: Vec<String> = removed
                .iter()
                .map(|k| state.interner.name(*k).to_owned())
                .collect();
            names.sort_unstable();
            names
        };
        if let Some(store) = self.store().await? {
            store
                .apply(
                    removed
                        .iter()
                        .map(|k| Change::DeleteRecord { key: stored_key(k) })
                        .collect(),
                )
                .await?;
        }
        self.clear_memo();
        Ok(removed)
    }

    /// Frees the text reads' memo (after gc and restore, whose changes leave most of it stale).
    fn clear_memo(&self) {
        if let Ok(mut memo) = self.memo.lock() {
            memo.clear();
        }
    }

    /// Every base record, as one JSON object (for debugging, SSR hand-off or backups).
    pub async fn extract(&self) -> Result<Value, CacheError> {
        self.load_all().await?;
        let state = self.state();
        let mut sorted: Vec<(&str, &Rec)> = state
            .base
            .iter()
            .map(|(k, v)| (state.interner.name(k), v))
            .collect();
        sorted.sort_unstable_by_key(|(k, _)| *k);
        Ok(Value::Object(
            sorted
                .into_iter()
                .map(|(k, v)| {
                    (
                        k.to_owned(),
                        Value::Object(records::to_json(v, &state.interner)),
                    )
                })
                .collect(),
        ))
    }

    /// Replaces the whole base with `snapshot` (an [`Cache::extract`] result).
    pub async fn restore(&self, snapshot: &Value) -> Result<(), CacheError> {
        let Value::Object(records) = snapshot else {
            return Err(CacheError::Damaged {
                key: "<snapshot>".into(),
                message: "not a JSON object".into(),
            });
        };
        for (key, value) in records {
            if !value.is_object() {
                return Err(CacheError::Damaged {
                    key: key.clone(),
                    message: "not a JSON object".into(),
                });
            }
        }
        self.load_all().await?;
        let old: Vec<String> = {
            let state = self.state();
            state
                .base
                .keys()
                .map(|k| state.interner.name(k).to_owned())
                .collect()
        };
        let mut changes: Vec<Change> = old
            .iter()
            .map(|k| Change::DeleteRecord { key: stored_key(k) })
            .collect();
        changes.extend(records.iter().map(|(k, r)| Change::PutRecord {
            key: stored_key(k),
            value: serde_json::to_vec(r).unwrap_or_default(),
        }));
        if let Some(store) = self.store().await? {
            store.apply(changes).await?;
        }
        let changed: SymSet = {
            let mut state = self.state();
            let mut changed: Vec<Sym> = state.base.keys().collect();
            let mut base = Base::default();
            for (key, value) in records {
                if let Value::Object(record) = value {
                    let sym = state.interner.intern(key);
                    let record = records::from_json(record, &mut state.interner);
                    base.insert(sym, record);
                    changed.push(sym);
                }
            }
            state.base = base;
            state.absent.clear();
            state.fully_loaded = true;
            let changed: SymSet = changed.into_iter().collect();
            state.touch(&changed);
            changed
        };
        self.clear_memo();
        self.notify(&changed).await;
        Ok(())
    }

    /// Watches a query: the current result now, and again whenever a record it read changes
    /// (an unrelated write costs a set lookup, not a read). Results come as JSON text, read
    /// through the same memo as [`Cache::read_query_text`]: after a one-item change only that
    /// item is written again, and the comparison with the last result is one of two strings.
    pub async fn watch_query(
        &self,
        operation: Arc<Operation>,
        variables: Option<Value>,
    ) -> Result<mpsc::UnboundedReceiver<TextRead>, CacheError> {
        let (first, seen) = self
            .read_query_text_at(&operation, variables.as_ref())
            .await?;
        let (sender, receiver) = mpsc::unbounded();
        let id = self
            .next_watch
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let watch = Watch {
            id,
            operation,
            variables,
            dependencies: first.info.dependencies.clone(),
            last: (first.data.clone(), first.info.partial.clone()),
            seen,
            sender,
        };
        let _ = watch.sender.unbounded_send(first);
        self.lock_watches().push(watch);
        Ok(receiver)
    }

    fn lock_watches(&self) -> MutexGuard<'_, Vec<Watch>> {
        self.watches.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn lock_change_watches(&self) -> MutexGuard<'_, Vec<ChangeWatch>> {
        self.change_watches
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// A watch for a consumer that reads the cache itself (the web package reads its results
    /// as the page's objects, see [`Cache::read_query_segments`]): a `()` arrives whenever a
    /// record the consumer's last read depended on changes (given by
    /// [`ChangeWatchHandle::follow`], nothing before), and the consumer reads again and decides
    /// whether its result changed. Nothing is read here, and no text is kept.
    pub fn watch_changes(self: &Arc<Self>) -> (ChangeWatchHandle, mpsc::UnboundedReceiver<()>) {
        let (sender, receiver) = mpsc::unbounded();
        let id = self
            .next_watch
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.lock_change_watches().push(ChangeWatch {
            id,
            dependencies: SymSet::default(),
            sender,
        });
        let handle = ChangeWatchHandle {
            cache: self.clone(),
            id,
        };
        (handle, receiver)
    }

    /// Re-reads the watches that depend on `changed` and emits the ones whose result changed.
    fn notify<'a>(&'a self, changed: &'a SymSet) -> BoxFuture<'a, ()> {
        Box::pin(self.notify_now(changed))
    }

    async fn notify_now(&self, changed: &SymSet) {
        for watch in self.lock_change_watches().iter() {
            if touches(changed, &watch.dependencies) {
                let _ = watch.sender.unbounded_send(());
            }
        }
        let affected: Vec<(u64, Arc<Operation>, Option<Value>)> = {
            let mut watches = self.lock_watches();
            watches.retain(|w| !w.sender.is_closed());
            watches
                .iter()
                .filter(|w| touches(changed, &w.dependencies))
                .map(|w| (w.id, w.operation.clone(), w.variables.clone()))
                .collect()
        };
        for (id, operation, variables) in affected {
            let Ok(read) = self
                .read_query_text_at(&operation, variables.as_ref())
                .await
            else {
                continue;
            };
            let mut watches = self.lock_watches();
            if let Some(watch) = watches.iter_mut().find(|w| w.id == id) {
                watch.deliver(read);
            }
        }
    }
}

#[cfg(test)]
mod watch_tests {
    use super::*;
    use futures::StreamExt;

    fn read(text: &str) -> TextRead {
        TextRead {
            data: Some(text.to_owned()),
            info: ReadResult::default(),
        }
    }

    #[tokio::test]
    async fn a_read_of_an_older_state_arriving_late_is_not_delivered() {
        let (sender, mut receiver) = mpsc::unbounded();
        let mut watch = Watch {
            id: 0,
            operation: Arc::new(Operation::parse("query { a }", None).unwrap()),
            variables: None,
            dependencies: SymSet::default(),
            last: (Some("v1".into()), Value::Null),
            seen: 1,
            sender,
        };
        // Two notifications read generations 3 and 2; the one of 3 delivers first.
        watch.deliver((read("v3"), 3));
        watch.deliver((read("v2"), 2));
        // Same generation, same text: nothing new.
        watch.deliver((read("v3"), 3));
        watch.deliver((read("v4"), 4));
        drop(watch);
        let delivered: Vec<String> = receiver
            .by_ref()
            .map(|r| r.data.unwrap_or_default())
            .collect()
            .await;
        assert_eq!(delivered, ["v3", "v4"]);
    }
}
