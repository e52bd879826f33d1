//! The SQLite backend (native): bundled SQLite in WAL mode, one writer connection and one reader
//! connection, each on its own thread, so no async thread ever blocks on the database and reads
//! proceed while a write transaction runs (they see the last committed state). Commits are
//! durable against the app being killed (`synchronous = NORMAL` under WAL).

use super::migrations::{SCHEMA_VERSION, SQLITE_MIGRATIONS};
use super::{Change, OutboxEntry, Store, StoreError};
use crate::runtime::BoxFuture;
use futures::channel::oneshot;
use rusqlite::{params, Connection, ErrorCode, OpenFlags, OptionalExtension};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::Arc;

type Job = Box<dyn FnOnce(&mut Connection) + Send>;

/// A connection owned by a thread that runs jobs in order.
#[derive(Debug)]
struct Worker {
    jobs: mpsc::Sender<Job>,
}

impl Worker {
    fn start(name: &str, connection: Connection) -> Result<Worker, StoreError> {
        let (jobs, inbox) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                let mut connection = connection;
                while let Ok(job) = inbox.recv() {
                    job(&mut connection);
                }
            })
            .map_err(|e| StoreError::Io(format!("cannot start the {name} thread: {e}")))?;
        Ok(Worker { jobs })
    }

    async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Box::new(move |connection| {
                let _ = reply.send(job(connection));
            }))
            .map_err(|_| StoreError::Io("the database thread has stopped".into()))?;
        answer
            .await
            .map_err(|_| StoreError::Io("the database thread dropped the request".into()))?
    }
}

fn classify(e: rusqlite::Error) -> StoreError {
    match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) | Some(ErrorCode::DatabaseCorrupt) => {
            StoreError::Corrupt(e.to_string())
        }
        Some(ErrorCode::ConstraintViolation) => StoreError::Conflict(e.to_string()),
        _ => StoreError::Io(e.to_string()),
    }
}

/// Brings a database to [`SCHEMA_VERSION`], one numbered migration per transaction. Each step
/// takes the write lock first (IMMEDIATE) and reads the version under it, so two processes
/// opening the same new file at once do not both run a migration.
pub(crate) fn migrate(connection: &mut Connection) -> Result<(), StoreError> {
    loop {
        let tx = connection
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(classify)?;
        let version: u32 = tx
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(classify)?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::TooNew {
                found: version,
                supported: SCHEMA_VERSION,
            });
        }
        let Some(sql) = SQLITE_MIGRATIONS.get(version as usize) else {
            return Ok(());
        };
        tx.execute_batch(sql).map_err(classify)?;
        tx.pragma_update(None, "user_version", version + 1)
            .map_err(classify)?;
        tx.commit().map_err(classify)?;
    }
}

/// A SQLite-backed store at one namespace of a database file.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    ns: Arc<str>,
    writer: Arc<Worker>,
    reader: Arc<Worker>,
    path: PathBuf,
}

impl SqliteStore {
    /// Opens (creating and migrating if needed) `path` at `namespace`. A damaged file is
    /// [`StoreError::Corrupt`]; [`SqliteStore::reset`] deletes it so the next open starts fresh.
    pub async fn open(
        path: impl AsRef<Path>,
        namespace: impl Into<String>,
    ) -> Result<SqliteStore, StoreError> {
        let path = path.as_ref().to_path_buf();
        let ns: Arc<str> = Arc::from(namespace.into());
        let writer_path = path.clone();
        let (writer, reader) = open_retrying(writer_path).await?;
        let writer = Worker::start("appsync-store-writer", writer)?;
        let reader = Worker::start("appsync-store-reader", reader)?;
        let store = SqliteStore {
            ns,
            writer: Arc::new(writer),
            reader: Arc::new(reader),
            path,
        };
        // Touch the schema through the reader too, so a bad file fails here, not on first use.
        store
            .reader
            .run(|c| {
                c.query_row("SELECT count(*) FROM meta", [], |r| r.get::<_, i64>(0))
                    .map_err(classify)
            })
            .await?;
        Ok(store)
    }

    /// Deletes the database file (and its WAL) so the next open starts over: the way out of a
    /// corrupt store. Every store on the file must be dropped first.
    pub fn reset(path: impl AsRef<Path>) -> Result<(), StoreError> {
        let path = path.as_ref();
        for suffix in ["", "-wal", "-shm"] {
            let file = PathBuf::from(format!("{}{suffix}", path.display()));
            match std::fs::remove_file(&file) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(StoreError::Io(format!(
                        "cannot remove {}: {e}",
                        file.display()
                    )))
                }
            }
        }
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Opens the connections, waiting out another process that holds the file's lock while it
/// creates or migrates it (switching to WAL can report "locked" without calling the busy
/// handler).
async fn open_retrying(path: PathBuf) -> Result<(Connection, Connection), StoreError> {
    let mut attempt = 0;
    loop {
        match open_connections(path.clone()) {
            Err(StoreError::Io(message))
                if attempt < 100 && (message.contains("locked") || message.contains("busy")) =>
            {
                attempt += 1;
                crate::runtime::sleep(std::time::Duration::from_millis(20)).await;
            }
            other => return other,
        }
    }
}

fn open_connections(path: PathBuf) -> Result<(Connection, Connection), StoreError> {
    let mut writer = Connection::open(&path).map_err(classify)?;
    // First, so that another process opening the file at the same time is waited for.
    writer
        .busy_timeout(std::time::Duration::from_secs(5))
        .map_err(classify)?;
    writer
        .execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
        )
        .map_err(classify)?;
    migrate(&mut writer)?;
    let reader = Connection::open_with_flags(
        &path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(classify)?;
    reader
        .busy_timeout(std::time::Duration::from_secs(5))
        .map_err(classify)?;
    Ok((writer, reader))
}

impl Store for SqliteStore {
    fn get_records(
        &self,
        keys: Vec<String>,
    ) -> BoxFuture<'_, Result<Vec<Option<Vec<u8>>>, StoreError>> {
        let ns = self.ns.clone();
        Box::pin(self.reader.run(move |c| {
            // One read transaction for all the keys: one snapshot, and the WAL's read lock taken
            // once instead of once per key (a write of 10,000 new records looks each up).
            let tx = c.transaction().map_err(classify)?;
            let values = {
                let mut statement = tx
                    .prepare_cached("SELECT value FROM records WHERE ns = ?1 AND key = ?2")
                    .map_err(classify)?;
                keys.iter()
                    .map(|k| {
                        statement
                            .query_row(params![&*ns, k], |r| r.get(0))
                            .optional()
                            .map_err(classify)
                    })
                    .collect::<Result<Vec<_>, _>>()?
            };
            tx.finish().map_err(classify)?;
            Ok(values)
        }))
    }

    fn record_keys(&self) -> BoxFuture<'_, Result<Vec<String>, StoreError>> {
        let ns = self.ns.clone();
        Box::pin(self.reader.run(move |c| {
            let mut statement = c
                .prepare_cached("SELECT key FROM records WHERE ns = ?1 ORDER BY key")
                .map_err(classify)?;
            let rows = statement
                .query_map(params![&*ns], |r| r.get(0))
                .map_err(classify)?;
            rows.map(|r| r.map_err(classify)).collect()
        }))
    }

    fn outbox(&self) -> BoxFuture<'_, Result<Vec<OutboxEntry>, StoreError>> {
        let ns = self.ns.clone();
        Box::pin(self.reader.run(move |c| {
            let mut statement = c
                .prepare_cached("SELECT seq, id, payload FROM outbox WHERE ns = ?1 ORDER BY seq")
                .map_err(classify)?;
            let rows = statement
                .query_map(params![&*ns], |r| {
                    Ok(OutboxEntry {
                        seq: r.get::<_, i64>(0)? as u64,
                        id: r.get(1)?,
                        payload: r.get(2)?,
                    })
                })
                .map_err(classify)?;
            rows.map(|r| r.map_err(classify)).collect()
        }))
    }

    fn get_meta(&self, key: String) -> BoxFuture<'_, Result<Option<Vec<u8>>, StoreError>> {
        let ns = self.ns.clone();
        Box::pin(self.reader.run(move |c| {
            c.query_row(
                "SELECT value FROM meta WHERE ns = ?1 AND key = ?2",
                params![&*ns, key],
                |r| r.get(0),
            )
            .optional()
            .map_err(classify)
        }))
    }

    fn apply(&self, changes: Vec<Change>) -> BoxFuture<'_, Result<(), StoreError>> {
        let ns = self.ns.clone();
        Box::pin(self.writer.run(move |c| {
            // IMMEDIATE: the write lock is taken before the expectations are read, so another
            // process cannot slip a write in between (the lease's compare-and-set).
            let tx = c
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .map_err(classify)?;
            super::batch::check_expected(&changes, |key| {
                tx.prepare_cached("SELECT value FROM meta WHERE ns = ?1 AND key = ?2")
                    .and_then(|mut s| s.query_row(params![&*ns, key], |r| r.get(0)).optional())
                    .map_err(classify)
            })?;
            for change in &changes {
                let affected = match change {
                    Change::PutRecord { key, value } => tx
                        .prepare_cached(
                            "INSERT OR REPLACE INTO records (ns, key, value) VALUES (?1, ?2, ?3)",
                        )
                        .and_then(|mut s| s.execute(params![&*ns, key, value])),
                    Change::DeleteRecord { key } => tx
                        .prepare_cached("DELETE FROM records WHERE ns = ?1 AND key = ?2")
                        .and_then(|mut s| s.execute(params![&*ns, key])),
                    Change::OutboxPush { id, payload } => tx
                        .prepare_cached("INSERT INTO outbox (ns, id, payload) VALUES (?1, ?2, ?3)")
                        .and_then(|mut s| s.execute(params![&*ns, id, payload])),
                    Change::OutboxUpdate { id, payload } => tx
                        .prepare_cached("UPDATE outbox SET payload = ?3 WHERE ns = ?1 AND id = ?2")
                        .and_then(|mut s| s.execute(params![&*ns, id, payload])),
                    Change::OutboxRemove { id } => tx
                        .prepare_cached("DELETE FROM outbox WHERE ns = ?1 AND id = ?2")
                        .and_then(|mut s| s.execute(params![&*ns, id])),
                    Change::PutMeta { key, value } => tx
                        .prepare_cached(
                            "INSERT OR REPLACE INTO meta (ns, key, value) VALUES (?1, ?2, ?3)",
                        )
                        .and_then(|mut s| s.execute(params![&*ns, key, value])),
                    Change::DeleteMeta { key } => tx
                        .prepare_cached("DELETE FROM meta WHERE ns = ?1 AND key = ?2")
                        .and_then(|mut s| s.execute(params![&*ns, key])),
                    Change::ExpectMeta { .. } => Ok(0),
                }
                .map_err(|e| match (classify(e), change) {
                    (StoreError::Conflict(_), Change::OutboxPush { id, .. }) => {
                        StoreError::Conflict(format!("outbox id `{id}` is already queued"))
                    }
                    (other, _) => other,
                })?;
                let must_touch = matches!(
                    change,
                    Change::OutboxUpdate { .. } | Change::OutboxRemove { .. }
                );
                if must_touch && affected == 0 {
                    // Dropping `tx` rolls the whole batch back.
                    let id = match change {
                        Change::OutboxUpdate { id, .. } | Change::OutboxRemove { id } => {
                            id.as_str()
                        }
                        _ => "",
                    };
                    return Err(StoreError::Conflict(format!(
                        "outbox id `{id}` is not queued"
                    )));
                }
            }
            tx.commit().map_err(classify)
        }))
    }

    fn clear(&self) -> BoxFuture<'_, Result<(), StoreError>> {
        let ns = self.ns.clone();
        Box::pin(self.writer.run(move |c| {
            let tx = c.transaction().map_err(classify)?;
            for table in ["records", "outbox", "meta"] {
                tx.execute(&format!("DELETE FROM {table} WHERE ns = ?1"), params![&*ns])
                    .map_err(classify)?;
            }
            tx.commit().map_err(classify)
        }))
    }
}
