//! A readwrite transaction over every store, and its end. Writes are issued without awaiting each
//! one (a failing request aborts the whole transaction); the batch is settled by the transaction's
//! own `complete` or `abort` event. Dropped before it settled (the caller gave up on `apply`), it
//! aborts, so a half-issued batch is never committed.

use super::rows::{describe, failed};
use super::schema::STORES;
use crate::storage::StoreError;
use futures::channel::oneshot;
use idb::{Database, ObjectStore, Transaction, TransactionMode};
use std::cell::Cell;
use std::rc::Rc;
use web_sys::IdbTransaction;

/// How a transaction ended: committed, or aborted (with the failure that aborted it, if any).
type Outcome = Result<(), Option<String>>;

#[derive(Debug)]
pub(super) struct WriteTransaction {
    /// Holds the `complete` and `abort` handlers.
    events: Transaction,
    raw: IdbTransaction,
    ended: oneshot::Receiver<Outcome>,
    settled: bool,
}

impl WriteTransaction {
    pub(super) fn begin(db: &Database) -> Result<WriteTransaction, StoreError> {
        let raw: IdbTransaction = db
            .transaction(&STORES, TransactionMode::ReadWrite)
            .map_err(failed("transaction"))?
            .into();
        let mut events = Transaction::from(raw.clone());
        let (sender, ended) = oneshot::channel::<Outcome>();
        let sender = Rc::new(Cell::new(Some(sender)));
        let on_complete = sender.clone();
        events.on_complete(move |_| {
            if let Some(sender) = on_complete.take() {
                let _ = sender.send(Ok(()));
            }
        });
        let aborted = raw.clone();
        events.on_abort(move |_| {
            if let Some(sender) = sender.take() {
                let _ = sender.send(Err(aborted.error().as_ref().map(describe)));
            }
        });
        Ok(WriteTransaction {
            events,
            raw,
            ended,
            settled: false,
        })
    }

    pub(super) fn store(&self, name: &str) -> Result<ObjectStore, StoreError> {
        self.events
            .object_store(name)
            .map_err(failed("object store"))
    }

    /// Commits once the issued requests are done (`written` is `Ok`), or aborts (`Err`), and
    /// waits for the end. A failure that aborted the transaction is reported as `Io`, except a
    /// `Conflict` found before writing.
    pub(super) async fn finish(
        mut self,
        written: Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        if written.is_err() {
            // Already aborting when a request failed; then this throws, harmlessly.
            let _ = self.raw.abort();
        }
        let outcome = (&mut self.ended).await;
        self.settled = true;
        match (written, outcome) {
            (Err(conflict @ StoreError::Conflict(_)), _) => Err(conflict),
            (Ok(()), Ok(Ok(()))) => Ok(()),
            (_, Ok(Err(Some(reason)))) => Err(StoreError::Io(format!(
                "the IndexedDB transaction was aborted: {reason}"
            ))),
            (Err(error), _) => Err(error),
            (Ok(()), Ok(Err(None))) => Err(StoreError::Io(
                "the IndexedDB transaction was aborted".into(),
            )),
            (Ok(()), Err(_)) => Err(StoreError::Io(
                "the IndexedDB transaction ended without an event".into(),
            )),
        }
    }
}

impl Drop for WriteTransaction {
    fn drop(&mut self) {
        if !self.settled {
            let _ = self.raw.abort();
            // The handlers outlive this value: the abort event is still to come.
            self.events.forget_callbacks();
        }
    }
}
