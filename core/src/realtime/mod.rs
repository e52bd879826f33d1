//! Realtime subscriptions over AppSync's WebSocket protocol (PROTOCOL.md §3). The manager
//! places each subscription on a connection (one connection multiplexes up to 100; another
//! opens past that or on `MaxSubscriptionsReachedError`); each connection is a task that never
//! dies silently: every loss is reported as a [`ConnectionState`] and recovered by reconnecting
//! and resubscribing, after which each subscription emits [`SubscriptionEvent::Resubscribed`]
//! so the app can catch up.

mod connection;
pub mod protocol;
pub mod random;
pub mod socket;
mod url;

pub use connection::DataHook;
#[cfg(not(target_family = "wasm"))]
pub use socket::TungsteniteConnector;
pub use socket::{WsCommand, WsConnectError, WsConnection, WsConnector, WsEvent};
pub use url::realtime_url;

use crate::auth::{AppliedAuth, AuthMode, Authorizer};
use crate::error::AppSyncError;
use crate::response::GraphQLError;
use connection::{Command, ConnectionHandle, SubEntry};
use futures::channel::mpsc;
use serde_json::{Map, Value};
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

/// How the handshake carries its auth header object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Handshake {
    /// `?header=<base64>&payload=e30=`: accepted by every server (the default).
    #[default]
    QueryString,
    /// A `header-<base64url>` subprotocol next to `graphql-ws` (what Amplify JS v6 sends).
    Subprotocol,
}

/// Timings and limits of realtime connections.
#[derive(Debug, Clone)]
pub struct RealtimeOptions {
    pub handshake: Handshake,
    /// First backoff ceiling; doubles per failed attempt (full jitter below it).
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
    pub connect_timeout: Duration,
    pub ack_timeout: Duration,
    pub start_ack_timeout: Duration,
    /// How long a connection stays open after its last subscription ends.
    pub linger: Duration,
    /// Subscriptions placed on one connection before another opens (AppSync allows 100).
    pub max_subscriptions_per_connection: usize,
    /// Reconnect this long before the handshake credential expires.
    pub refresh_before_expiry: Duration,
    /// Reconnect before the service's 24-hour connection limit.
    pub max_connection_age: Duration,
}

impl Default for RealtimeOptions {
    fn default() -> Self {
        RealtimeOptions {
            handshake: Handshake::QueryString,
            backoff_base: Duration::from_millis(500),
            backoff_cap: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(15),
            ack_timeout: Duration::from_secs(15),
            start_ack_timeout: Duration::from_secs(15),
            linger: Duration::from_secs(3),
            max_subscriptions_per_connection: 100,
            refresh_before_expiry: Duration::from_secs(60),
            max_connection_age: Duration::from_secs(23 * 3600 + 30 * 60),
        }
    }
}

/// The state of the connection a subscription is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectionState {
    Connecting,
    Connected,
    /// The connection was lost (why is said); a reconnect follows.
    Disrupted {
        reason: String,
    },
    Reconnecting {
        attempt: u32,
    },
    /// The connection ended for good (the client is gone).
    Disconnected,
}

/// What a subscription delivers.
#[derive(Debug, Clone, PartialEq)]
pub enum SubscriptionEvent {
    /// The server acknowledged the subscription (`start_ack`).
    Started,
    /// An event: `payload.data`, e.g. `{"onCreateTodo": {...}}`.
    Data(Value),
    /// Errors that do not end the subscription.
    Errors(Vec<GraphQLError>),
    /// Live again after a reconnect: events in between may have been missed; catch up now.
    Resubscribed,
    ConnectionState(ConnectionState),
    /// The server completed the subscription; nothing more will come.
    Completed,
    /// The subscription ended with an error (denied, invalid, ...); nothing more will come.
    Failed(AppSyncError),
}

/// What connections share.
pub(crate) struct Context {
    pub url: String,
    pub endpoint: String,
    pub host: String,
    pub auth: Arc<Authorizer>,
    pub connector: Arc<dyn WsConnector>,
    pub options: RealtimeOptions,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

fn canonical_name(name: &str) -> String {
    match name {
        "authorization" => "Authorization".into(),
        "x-amz-security-token" => "X-Amz-Security-Token".into(),
        other => other.to_owned(),
    }
}

impl Context {
    /// The auth header object for the handshake (`data: None`: IAM signs `…/connect` with body
    /// `{}`) or for one `start` (IAM signs the endpoint with the start's data as body). It always
    /// carries the GraphQL endpoint's `host`.
    pub async fn auth_object(
        &self,
        mode: AuthMode,
        data: Option<&str>,
    ) -> Result<(Map<String, Value>, AppliedAuth), AppSyncError> {
        let mut object = Map::new();
        let mut base = Vec::new();
        if mode == AuthMode::Iam {
            base = vec![
                (
                    "accept".to_owned(),
                    "application/json, text/javascript".to_owned(),
                ),
                ("content-encoding".to_owned(), "amz-1.0".to_owned()),
                (
                    "content-type".to_owned(),
                    "application/json; charset=UTF-8".to_owned(),
                ),
            ];
        }
        let (url, body) = match data {
            None => (
                format!("{}/connect", self.endpoint.trim_end_matches('/')),
                "{}",
            ),
            Some(data) => (self.endpoint.clone(), data),
        };
        let applied = self
            .auth
            .authorize(mode, "POST", &url, &base, body.as_bytes())
            .await?;
        for (name, value) in base.iter().chain(applied.headers.iter()) {
            object.insert(canonical_name(name), Value::String(value.clone()));
        }
        object.insert("host".into(), Value::String(self.host.clone()));
        Ok((object, applied))
    }
}

/// Routes subscriptions to connections.
pub(crate) struct Realtime {
    ctx: Arc<Context>,
    connections: Mutex<Vec<ConnectionHandle>>,
    me: Weak<Realtime>,
}

impl std::fmt::Debug for Realtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Realtime")
            .field("ctx", &self.ctx)
            .finish_non_exhaustive()
    }
}

impl Realtime {
    pub fn new(ctx: Context) -> Arc<Realtime> {
        Arc::new_cyclic(|me| Realtime {
            ctx: Arc::new(ctx),
            connections: Mutex::new(Vec::new()),
            me: me.clone(),
        })
    }

    /// Starts a subscription (`data` is the JSON string of `{query, variables}`).
    pub fn subscribe(
        &self,
        data: String,
        mode: AuthMode,
        on_data: Option<connection::DataHook>,
    ) -> Subscription {
        let (tx, rx) = mpsc::unbounded();
        let id = random::uuid_v4();
        let mut entry = SubEntry::new(id.clone(), data, mode, tx);
        entry.on_data = on_data;
        self.place(entry);
        Subscription {
            handle: SubscriptionHandle {
                id,
                realtime: self.me.clone(),
            },
            events: rx,
            cancelled: false,
        }
    }

    /// Puts a subscription on a connection with room, or on a new one.
    pub(crate) fn place(&self, entry: SubEntry) {
        let Ok(mut connections) = self.connections.lock() else {
            entry
                .events
                .unbounded_send(SubscriptionEvent::Failed(AppSyncError::Network {
                    message: "realtime state poisoned".into(),
                }))
                .ok();
            return;
        };
        connections.retain(|c| c.alive.load(Ordering::SeqCst));
        let max = self.ctx.options.max_subscriptions_per_connection;
        let mut entry = Some(entry);
        for connection in connections.iter() {
            if connection.full.load(Ordering::SeqCst)
                || connection.load.load(Ordering::SeqCst) >= max
            {
                continue;
            }
            let Some(current) = entry.take() else { return };
            connection.load.fetch_add(1, Ordering::SeqCst);
            match connection.commands.unbounded_send(Command::Add(current)) {
                Ok(()) => return,
                Err(failed) => {
                    connection.load.fetch_sub(1, Ordering::SeqCst);
                    connection.alive.store(false, Ordering::SeqCst);
                    if let Command::Add(back) = failed.into_inner() {
                        entry = Some(back);
                    }
                }
            }
        }
        if let Some(entry) = entry {
            connections.push(connection::spawn(self.ctx.clone(), self.me.clone(), entry));
        }
    }

    fn cancel(&self, id: &str) {
        if let Ok(connections) = self.connections.lock() {
            for connection in connections.iter() {
                let _ = connection
                    .commands
                    .unbounded_send(Command::Remove(id.to_owned()));
            }
        }
    }

    /// Reconnects every connection now (the app reports a network change).
    pub fn reconnect(&self) {
        if let Ok(connections) = self.connections.lock() {
            for connection in connections.iter() {
                let _ = connection.commands.unbounded_send(Command::Reconnect);
            }
        }
    }

    /// Open connections (for tests and diagnostics).
    pub fn connection_count(&self) -> usize {
        self.connections
            .lock()
            .map(|c| c.iter().filter(|c| c.alive.load(Ordering::SeqCst)).count())
            .unwrap_or(0)
    }
}

/// Cancels a subscription; cheap to clone, usable from any thread.
#[derive(Debug, Clone)]
pub struct SubscriptionHandle {
    id: String,
    realtime: Weak<Realtime>,
}

impl SubscriptionHandle {
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Stops the subscription (`stop` is sent); no further events arrive.
    pub fn cancel(&self) {
        if let Some(realtime) = self.realtime.upgrade() {
            realtime.cancel(&self.id);
        }
    }
}

/// A live subscription: a stream of [`SubscriptionEvent`]s. Dropping it cancels it.
#[derive(Debug)]
pub struct Subscription {
    handle: SubscriptionHandle,
    events: mpsc::UnboundedReceiver<SubscriptionEvent>,
    cancelled: bool,
}

impl Subscription {
    pub fn id(&self) -> &str {
        self.handle.id()
    }

    /// A handle that cancels this subscription from elsewhere.
    pub fn handle(&self) -> SubscriptionHandle {
        self.handle.clone()
    }

    /// The next event; `None` after the subscription ended.
    pub async fn next_event(&mut self) -> Option<SubscriptionEvent> {
        futures::StreamExt::next(self).await
    }

    pub fn cancel(&mut self) {
        if !self.cancelled {
            self.cancelled = true;
            self.handle.cancel();
            self.events.close();
        }
    }
}

impl futures::Stream for Subscription {
    type Item = SubscriptionEvent;
    fn poll_next(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
    ) -> Poll<Option<SubscriptionEvent>> {
        Pin::new(&mut self.events).poll_next(cx)
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.cancel();
    }
}
