//! The outbox rules of a batch, for backends that check them before writing anything (memory; the
//! web package's IndexedDB side, in TypeScript, has the same rules; SQLite lets its constraints and
//! row counts say it): a pushed id must not be queued, an updated or removed id must be. Changes
//! count in order, so one batch may remove an id and push it again, or push one and remove it.

use super::{Change, StoreError};
use std::collections::HashSet;

/// Checks `changes` in order; `queued` says whether an id was queued before the batch.
pub(crate) fn check_outbox(
    changes: &[Change],
    queued: impl Fn(&str) -> bool,
) -> Result<(), StoreError> {
    let mut pushed: HashSet<&str> = HashSet::new();
    let mut removed: HashSet<&str> = HashSet::new();
    let present = |id: &str, pushed: &HashSet<&str>, removed: &HashSet<&str>| {
        pushed.contains(id) || (queued(id) && !removed.contains(id))
    };
    for change in changes {
        match change {
            Change::OutboxPush { id, .. } => {
                if present(id, &pushed, &removed) {
                    return Err(already_queued(id));
                }
                pushed.insert(id);
                removed.remove(id.as_str());
            }
            Change::OutboxUpdate { id, .. } if !present(id, &pushed, &removed) => {
                return Err(not_queued(id));
            }
            Change::OutboxRemove { id } => {
                if !present(id, &pushed, &removed) {
                    return Err(not_queued(id));
                }
                pushed.remove(id.as_str());
                removed.insert(id);
            }
            _ => {}
        }
    }
    Ok(())
}

/// Checks the batch's [`Change::ExpectMeta`]s; `current` gives a meta value before the batch.
pub(crate) fn check_expected(
    changes: &[Change],
    mut current: impl FnMut(&str) -> Result<Option<Vec<u8>>, StoreError>,
) -> Result<(), StoreError> {
    for change in changes {
        if let Change::ExpectMeta { key, value } = change {
            if current(key)? != *value {
                return Err(StoreError::Conflict(format!(
                    "meta `{key}` does not hold the expected value"
                )));
            }
        }
    }
    Ok(())
}

pub(crate) fn already_queued(id: &str) -> StoreError {
    StoreError::Conflict(format!("outbox id `{id}` is already queued"))
}

pub(crate) fn not_queued(id: &str) -> StoreError {
    StoreError::Conflict(format!("outbox id `{id}` is not queued"))
}
