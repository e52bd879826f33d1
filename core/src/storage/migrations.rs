//! The store schema's versions. Numbered and append-only, and the same numbers on every backend
//! (SQLite below; IndexedDB's upgrade steps, `STEPS` in the web package's `ts/store.ts`, follow the
//! same versions: the Rust side opens its databases at [`SCHEMA_VERSION`]).
//! A migration never drops the outbox or user data. `upgraded == fresh` is tested on both.

/// The schema version this SDK writes.
pub const SCHEMA_VERSION: u32 = 2;

/// SQLite migrations: entry `n` takes a database from version `n` to `n + 1`.
pub const SQLITE_MIGRATIONS: [&str; SCHEMA_VERSION as usize] = [
    // 1: records, the outbox and metadata, each namespaced.
    "CREATE TABLE records (ns TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, PRIMARY KEY (ns, key)) WITHOUT ROWID;
     CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, ns TEXT NOT NULL, id TEXT NOT NULL, payload BLOB NOT NULL);
     CREATE UNIQUE INDEX outbox_ns_id ON outbox (ns, id);
     CREATE TABLE meta (ns TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, PRIMARY KEY (ns, key)) WITHOUT ROWID;",
    // 2: reading one namespace's outbox in order is the outbox's hot path.
    "CREATE INDEX outbox_ns_seq ON outbox (ns, seq);",
];
