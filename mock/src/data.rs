//! The mock's data: one table per model (items by id, tombstones included), the delta log that
//! `syncX` reads, and optional SQLite persistence so data survives a restart. Everything is in
//! memory for speed; with a file, every change is also written through before it is answered.

use rusqlite::{params, Connection, OptionalExtension};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::path::Path;

/// A failure of the persistence file.
#[derive(Debug, thiserror::Error)]
#[error("mock data file: {0}")]
pub struct DataError(String);

impl From<rusqlite::Error> for DataError {
    fn from(e: rusqlite::Error) -> Self {
        DataError(e.to_string())
    }
}

/// One change in the delta log.
#[derive(Debug, Clone)]
pub struct DeltaEntry {
    pub seq: u64,
    pub model: String,
    /// `_lastChangedAt` of the change, epoch ms.
    pub at_ms: i64,
    pub item: Value,
}

/// All data of one server.
#[derive(Debug, Default)]
pub struct Data {
    tables: HashMap<String, BTreeMap<String, Value>>,
    delta: VecDeque<DeltaEntry>,
    next_seq: u64,
    /// Tombstones by deletion time, so expiry looks only at the oldest ones (not every item).
    tombstones: BTreeSet<(i64, String, String)>,
    /// Delta entries before this time were already deleted from the file.
    pruned_before: i64,
    file: Option<Connection>,
}

fn tombstone_time(item: &Value) -> Option<i64> {
    let deleted = item.get("_deleted").and_then(Value::as_bool) == Some(true);
    deleted.then(|| {
        item.get("_lastChangedAt")
            .and_then(Value::as_i64)
            .unwrap_or(i64::MAX)
    })
}

const SCHEMA: &str = "
    PRAGMA journal_mode = WAL;
    PRAGMA synchronous = NORMAL;
    CREATE TABLE IF NOT EXISTS items (model TEXT NOT NULL, id TEXT NOT NULL, json TEXT NOT NULL,
        PRIMARY KEY (model, id));
    CREATE TABLE IF NOT EXISTS delta (seq INTEGER PRIMARY KEY, model TEXT NOT NULL,
        at_ms INTEGER NOT NULL, json TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
";

impl Data {
    /// In memory only.
    pub fn in_memory() -> Self {
        Data::default()
    }

    /// Backed by a SQLite file, loading what it holds.
    pub fn open(path: &Path) -> Result<Self, DataError> {
        let conn = Connection::open(path)?;
        conn.execute_batch(SCHEMA)?;
        let mut data = Data::default();
        {
            let mut stmt = conn.prepare("SELECT model, id, json FROM items")?;
            let rows = stmt.query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })?;
            for row in rows {
                let (model, id, json) = row?;
                let item: Value = serde_json::from_str(&json)
                    .map_err(|e| DataError(format!("item {model}:{id} is not JSON: {e}")))?;
                if let Some(at) = tombstone_time(&item) {
                    data.tombstones.insert((at, model.clone(), id.clone()));
                }
                data.tables.entry(model).or_default().insert(id, item);
            }
            let mut stmt =
                conn.prepare("SELECT seq, model, at_ms, json FROM delta ORDER BY seq")?;
            let rows = stmt.query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, String>(3)?,
                ))
            })?;
            for row in rows {
                let (seq, model, at_ms, json) = row?;
                let item = serde_json::from_str(&json)
                    .map_err(|e| DataError(format!("delta entry {seq} is not JSON: {e}")))?;
                data.delta.push_back(DeltaEntry {
                    seq: seq as u64,
                    model,
                    at_ms,
                    item,
                });
                data.next_seq = seq as u64 + 1;
            }
        }
        data.file = Some(conn);
        Ok(data)
    }

    /// A value kept across restarts (e.g. the JWT key).
    pub fn meta(&self, key: &str) -> Result<Option<String>, DataError> {
        let Some(conn) = &self.file else {
            return Ok(None);
        };
        Ok(conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    pub fn set_meta(&self, key: &str, value: &str) -> Result<(), DataError> {
        if let Some(conn) = &self.file {
            conn.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
                params![key, value],
            )?;
        }
        Ok(())
    }

    pub fn get(&self, model: &str, id: &str) -> Option<&Value> {
        self.tables.get(model)?.get(id)
    }

    /// Items of a model in id order, starting after `after` (exclusive).
    pub fn scan<'a>(
        &'a self,
        model: &str,
        after: Option<&'a str>,
    ) -> Box<dyn Iterator<Item = (&'a String, &'a Value)> + 'a> {
        let Some(table) = self.tables.get(model) else {
            return Box::new(std::iter::empty());
        };
        match after {
            None => Box::new(table.iter()),
            Some(after) => {
                Box::new(table.range::<str, _>((
                    std::ops::Bound::Excluded(after),
                    std::ops::Bound::Unbounded,
                )))
            }
        }
    }

    /// Delta entries of a model with `seq > after_seq` and `at_ms > since_ms`, in order.
    pub fn delta_since<'a>(
        &'a self,
        model: &'a str,
        since_ms: i64,
        after_seq: Option<u64>,
    ) -> impl Iterator<Item = &'a DeltaEntry> + 'a {
        // Entries are appended in time order, so we can skip the old ones by binary search.
        let start = self.delta.partition_point(|e| e.at_ms <= since_ms);
        self.delta
            .range(start..)
            .filter(move |e| e.model == model && after_seq.is_none_or(|s| e.seq > s))
    }

    /// Writes an item (create, update or soft delete) and logs the change when `log` is set.
    pub fn put(
        &mut self,
        model: &str,
        id: &str,
        item: Value,
        at_ms: i64,
        log: bool,
    ) -> Result<(), DataError> {
        let seq = self.next_seq;
        if let Some(conn) = &self.file {
            let tx = conn.unchecked_transaction()?;
            tx.execute(
                "INSERT OR REPLACE INTO items (model, id, json) VALUES (?1, ?2, ?3)",
                params![model, id, item.to_string()],
            )?;
            if log {
                tx.execute(
                    "INSERT INTO delta (seq, model, at_ms, json) VALUES (?1, ?2, ?3, ?4)",
                    params![seq as i64, model, at_ms, item.to_string()],
                )?;
            }
            tx.commit()?;
        }
        if log {
            self.delta.push_back(DeltaEntry {
                seq,
                model: model.to_owned(),
                at_ms,
                item: item.clone(),
            });
            self.next_seq += 1;
        }
        if let Some(at) = tombstone_time(&item) {
            self.tombstones
                .insert((at, model.to_owned(), id.to_owned()));
        }
        self.tables
            .entry(model.to_owned())
            .or_default()
            .insert(id.to_owned(), item);
        Ok(())
    }

    /// Removes an item for good (deletes without conflict detection, expired tombstones).
    pub fn remove(&mut self, model: &str, id: &str) -> Result<Option<Value>, DataError> {
        if let Some(conn) = &self.file {
            conn.execute(
                "DELETE FROM items WHERE model = ?1 AND id = ?2",
                params![model, id],
            )?;
        }
        Ok(self.tables.get_mut(model).and_then(|t| t.remove(id)))
    }

    /// Drops delta entries older than `before_ms` and tombstones deleted before
    /// `tombstones_before_ms`.
    pub fn expire(&mut self, before_ms: i64, tombstones_before_ms: i64) -> Result<(), DataError> {
        while self.delta.front().is_some_and(|e| e.at_ms < before_ms) {
            self.delta.pop_front();
        }
        while let Some(first) = self.tombstones.first().cloned() {
            if first.0 >= tombstones_before_ms {
                break;
            }
            self.tombstones.pop_first();
            let (at, model, id) = first;
            // Only if the item is still that tombstone (not removed or re-written since).
            let current = self.get(&model, &id).and_then(tombstone_time);
            if current == Some(at) {
                self.remove(&model, &id)?;
            }
        }
        if self.file.is_some() && self.delta_on_disk_before(before_ms) {
            if let Some(conn) = &self.file {
                conn.execute("DELETE FROM delta WHERE at_ms < ?1", [before_ms])?;
            }
        }
        Ok(())
    }

    /// Whether the file may still hold delta entries older than `before_ms` (the in-memory log
    /// mirrors the file, so its first entry tells).
    fn delta_on_disk_before(&mut self, before_ms: i64) -> bool {
        let oldest_kept = self.delta.front().map_or(i64::MAX, |e| e.at_ms);
        let due = self.pruned_before < before_ms.min(oldest_kept);
        if due {
            self.pruned_before = before_ms.min(oldest_kept);
        }
        due
    }

    /// Number of items of a model, tombstones included.
    pub fn count(&self, model: &str) -> usize {
        self.tables.get(model).map_or(0, BTreeMap::len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn survives_a_reopen_with_items_delta_and_meta() {
        let dir = std::env::temp_dir().join(format!("mock-data-{}", std::process::id()));
        let _ = std::fs::remove_file(&dir);
        {
            let mut data = Data::open(&dir).unwrap();
            data.put("Todo", "1", json!({"id": "1", "name": "a"}), 10, true)
                .unwrap();
            data.put("Todo", "2", json!({"id": "2", "name": "b"}), 20, true)
                .unwrap();
            data.set_meta("k", "v").unwrap();
        }
        let data = Data::open(&dir).unwrap();
        assert_eq!(data.get("Todo", "2").unwrap()["name"], "b");
        assert_eq!(data.delta_since("Todo", 10, None).count(), 1);
        assert_eq!(data.meta("k").unwrap().as_deref(), Some("v"));
        let _ = std::fs::remove_file(&dir);
    }

    #[test]
    fn scan_pages_after_a_key_and_expire_drops_old_tombstones() {
        let mut data = Data::in_memory();
        for i in 0..5 {
            data.put(
                "Todo",
                &format!("{i}"),
                json!({"id": i.to_string()}),
                i,
                true,
            )
            .unwrap();
        }
        let ids: Vec<_> = data
            .scan("Todo", Some("2"))
            .map(|(k, _)| k.clone())
            .collect();
        assert_eq!(ids, ["3", "4"]);
        data.put(
            "Todo",
            "9",
            json!({"id": "9", "_deleted": true, "_lastChangedAt": 5}),
            5,
            true,
        )
        .unwrap();
        data.expire(3, 6).unwrap();
        assert!(data.get("Todo", "9").is_none());
        assert_eq!(data.delta_since("Todo", 0, None).count(), 3);
    }
}
