//! One realtime connection: a task that owns the socket and the subscriptions placed on it.
//! It connects lazily, acknowledges, starts each subscription with its own auth, watches `ka`,
//! and on any loss (closed socket, missing `ka`, missing `start_ack`, network change, expiring
//! credential) reports the state, reconnects with exponential backoff and full jitter, and
//! resubscribes everything. It closes a few seconds after its last subscription ends.

use super::protocol::{self, ServerMessage};
use super::socket::{WsCommand, WsConnectError, WsConnection, WsEvent};
use super::{random, ConnectionState, Context, Realtime, SubscriptionEvent};
use crate::auth::{AppliedAuth, AuthMode};
use crate::error::AppSyncError;
use crate::response::GraphQLError;
use crate::runtime;
use futures::channel::mpsc;
use futures::{FutureExt, StreamExt};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

/// A subscription as its connection holds it.
pub(crate) struct SubEntry {
    pub id: String,
    /// The JSON string of `{query, variables}` sent as `payload.data`.
    pub data: String,
    pub mode: AuthMode,
    pub events: mpsc::UnboundedSender<SubscriptionEvent>,
    /// Sees every event's data first (the client writes it to the cache).
    pub on_data: Option<DataHook>,
    acked_once: bool,
    pending_since: Option<i64>,
    auth_retried: bool,
    last_auth: Option<AppliedAuth>,
}

impl std::fmt::Debug for SubEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SubEntry")
            .field("id", &self.id)
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

/// Called with each `data` payload before the app gets it.
pub type DataHook = crate::runtime::Callback<serde_json::Value>;

impl SubEntry {
    pub fn new(
        id: String,
        data: String,
        mode: AuthMode,
        events: mpsc::UnboundedSender<SubscriptionEvent>,
    ) -> Self {
        SubEntry {
            id,
            data,
            mode,
            events,
            on_data: None,
            acked_once: false,
            pending_since: None,
            auth_retried: false,
            last_auth: None,
        }
    }

    /// Sends an event; false when the app dropped its end.
    fn emit(&self, event: SubscriptionEvent) -> bool {
        self.events.unbounded_send(event).is_ok()
    }
}

#[derive(Debug)]
pub(crate) enum Command {
    Add(SubEntry),
    Remove(String),
    Reconnect,
}

/// The manager's view of a connection.
#[derive(Debug, Clone)]
pub(crate) struct ConnectionHandle {
    pub commands: mpsc::UnboundedSender<Command>,
    pub load: Arc<AtomicUsize>,
    pub full: Arc<AtomicBool>,
    pub alive: Arc<AtomicBool>,
}

/// Why the connected phase ended.
enum Outcome {
    /// Lost: back off, then reconnect.
    Lost,
    /// Reconnect at once (network change, proactive refresh).
    Now,
    /// Nothing left to serve, or the client is gone.
    Done,
}

struct Connection {
    ctx: Arc<Context>,
    realtime: Weak<Realtime>,
    handle: ConnectionHandle,
    commands: mpsc::UnboundedReceiver<Command>,
    subs: Vec<SubEntry>,
    ever_connected: bool,
}

/// Spawns a connection serving `first`.
pub(crate) fn spawn(
    ctx: Arc<Context>,
    realtime: Weak<Realtime>,
    first: SubEntry,
) -> ConnectionHandle {
    let (tx, rx) = mpsc::unbounded();
    let handle = ConnectionHandle {
        commands: tx,
        load: Arc::new(AtomicUsize::new(1)),
        full: Arc::new(AtomicBool::new(false)),
        alive: Arc::new(AtomicBool::new(true)),
    };
    let connection = Connection {
        ctx,
        realtime,
        handle: handle.clone(),
        commands: rx,
        subs: vec![first],
        ever_connected: false,
    };
    runtime::spawn(connection.run());
    handle
}

fn now() -> i64 {
    runtime::now_ms()
}

impl Connection {
    async fn run(mut self) {
        let mut attempt: u32 = 0;
        let mut handshake_retried = false;
        loop {
            self.prune(None);
            if self.subs.is_empty() && !self.linger().await {
                break;
            }
            self.broadcast(if self.ever_connected {
                ConnectionState::Reconnecting { attempt }
            } else {
                ConnectionState::Connecting
            });
            match self.connect(&mut handshake_retried).await {
                Ok((socket, timeout_ms, handshake)) => {
                    attempt = 0;
                    handshake_retried = false;
                    match self.serve(socket, timeout_ms, handshake).await {
                        Outcome::Lost => {}
                        Outcome::Now => continue,
                        Outcome::Done => break,
                    }
                }
                Err(Retry::Now) => continue,
                Err(Retry::Later) => {}
                Err(Retry::Never) => break,
            }
            if !self.backoff(attempt).await {
                break;
            }
            attempt = attempt.saturating_add(1);
        }
        self.shutdown();
    }

    /// Drops subscriptions whose app side is gone, telling the server when connected.
    fn prune(&mut self, out: Option<&mpsc::UnboundedSender<WsCommand>>) {
        let (gone, kept): (Vec<SubEntry>, Vec<SubEntry>) =
            self.subs.drain(..).partition(|s| s.events.is_closed());
        self.subs = kept;
        self.handle.load.fetch_sub(gone.len(), Ordering::SeqCst);
        if let Some(out) = out {
            for sub in gone {
                let _ = out.unbounded_send(WsCommand::Text(protocol::stop(&sub.id)));
            }
        }
    }

    fn broadcast(&mut self, state: ConnectionState) {
        crate::log::debug!(?state, "realtime connection state");
        for sub in &self.subs {
            sub.emit(SubscriptionEvent::ConnectionState(state.clone()));
        }
    }

    fn remove(&mut self, id: &str) -> Option<SubEntry> {
        let index = self.subs.iter().position(|s| s.id == id)?;
        self.handle.load.fetch_sub(1, Ordering::SeqCst);
        Some(self.subs.remove(index))
    }

    fn fail_all(&mut self, error: AppSyncError) {
        for sub in self.subs.drain(..) {
            sub.emit(SubscriptionEvent::Failed(error.clone()));
            self.handle.load.fetch_sub(1, Ordering::SeqCst);
        }
    }

    /// Waits up to the linger time for new work without a socket; false when none came.
    async fn linger(&mut self) -> bool {
        let linger = self.ctx.options.linger;
        loop {
            match runtime::timeout(linger, self.commands.next()).await {
                Some(Some(Command::Add(entry))) => {
                    self.subs.push(entry);
                    return true;
                }
                Some(Some(_)) => continue,
                Some(None) | None => return false,
            }
        }
    }

    /// Sleeps the backoff delay, still taking commands; false when there is nothing left to do.
    async fn backoff(&mut self, attempt: u32) -> bool {
        let options = &self.ctx.options;
        let delay = random::backoff_ms(
            attempt,
            options.backoff_base.as_millis() as u64,
            options.backoff_cap.as_millis() as u64,
        );
        let until = now() + delay as i64;
        crate::log::info!(
            attempt,
            delay_ms = delay,
            "realtime reconnecting after a delay"
        );
        loop {
            self.prune(None);
            if self.subs.is_empty() {
                return self.linger().await;
            }
            let left = until - now();
            if left <= 0 {
                return true;
            }
            let wait = runtime::sleep(Duration::from_millis(left as u64)).fuse();
            futures::pin_mut!(wait);
            futures::select_biased! {
                command = self.commands.next() => match command {
                    Some(Command::Add(entry)) => self.subs.push(entry),
                    Some(Command::Remove(id)) => { self.remove(&id); }
                    Some(Command::Reconnect) => return true,
                    None => return false,
                },
                () = wait => return true,
            }
        }
    }

    /// Opens the socket and waits for `connection_ack`.
    async fn connect(
        &mut self,
        handshake_retried: &mut bool,
    ) -> Result<(WsConnection, u64, AppliedAuth), Retry> {
        let Some(mode) = self.subs.first().map(|s| s.mode) else {
            return Err(Retry::Never);
        };
        let (authorization, applied) = match self.ctx.auth_object(mode, None).await {
            Ok(pair) => pair,
            Err(error) => {
                self.fail_all(error);
                return Err(Retry::Now);
            }
        };
        let mut protocols = vec!["graphql-ws".to_owned()];
        let url = match self.ctx.options.handshake {
            super::Handshake::QueryString => {
                protocol::query_string_url(&self.ctx.url, &authorization)
            }
            super::Handshake::Subprotocol => {
                protocols.push(protocol::header_subprotocol(&authorization));
                self.ctx.url.clone()
            }
        };
        let connect = self.ctx.connector.connect(url, protocols);
        let mut socket = match runtime::timeout(self.ctx.options.connect_timeout, connect).await {
            Some(Ok(socket)) => socket,
            Some(Err(WsConnectError::Http {
                status: status @ (401 | 403),
                body,
            })) => {
                let errors = vec![GraphQLError {
                    error_type: Some("UnauthorizedException".into()),
                    ..GraphQLError::new(body)
                }];
                return Err(self
                    .denied(status, errors, &applied, handshake_retried)
                    .await);
            }
            Some(Err(e)) => {
                crate::log::warn!(error = ?e, "realtime connect failed");
                self.broadcast(ConnectionState::Disrupted {
                    reason: e.debug_text(),
                });
                return Err(Retry::Later);
            }
            None => {
                self.broadcast(ConnectionState::Disrupted {
                    reason: "connect timed out".into(),
                });
                return Err(Retry::Later);
            }
        };
        let _ = socket
            .outgoing
            .unbounded_send(WsCommand::Text(protocol::connection_init()));
        let deadline = now() + self.ctx.options.ack_timeout.as_millis() as i64;
        loop {
            let left = (deadline - now()).max(0) as u64;
            match runtime::timeout(Duration::from_millis(left), socket.incoming.next()).await {
                Some(Some(WsEvent::Text(text))) => match protocol::parse(&text) {
                    Ok(ServerMessage::ConnectionAck { timeout_ms }) => {
                        return Ok((socket, timeout_ms.unwrap_or(300_000), applied));
                    }
                    Ok(ServerMessage::ConnectionError { errors }) => {
                        let _ = socket.outgoing.unbounded_send(WsCommand::Close);
                        if protocol::is_auth_error(&errors) {
                            return Err(self
                                .denied(401, errors, &applied, handshake_retried)
                                .await);
                        }
                        self.broadcast(ConnectionState::Disrupted {
                            reason: describe(&errors),
                        });
                        return Err(Retry::Later);
                    }
                    Ok(_) => {}
                    Err(e) => {
                        crate::log::warn!(error = %e, "ignoring a malformed frame during the handshake")
                    }
                },
                Some(Some(WsEvent::Closed(reason))) => {
                    self.broadcast(ConnectionState::Disrupted { reason });
                    return Err(Retry::Later);
                }
                Some(None) => {
                    self.broadcast(ConnectionState::Disrupted {
                        reason: "socket ended".into(),
                    });
                    return Err(Retry::Later);
                }
                None => {
                    let _ = socket.outgoing.unbounded_send(WsCommand::Close);
                    self.broadcast(ConnectionState::Disrupted {
                        reason: "no connection_ack in time".into(),
                    });
                    return Err(Retry::Later);
                }
            }
        }
    }

    /// The handshake credential was refused: refresh it once, then give up on these
    /// subscriptions with a typed error rather than loop.
    async fn denied(
        &mut self,
        status: u16,
        errors: Vec<GraphQLError>,
        applied: &AppliedAuth,
        retried: &mut bool,
    ) -> Retry {
        if !*retried && self.ctx.auth.can_refresh(applied) {
            *retried = true;
            self.ctx.auth.invalidate(applied).await;
            return Retry::Now;
        }
        let error = AppSyncError::Http {
            status,
            error_type: errors.first().and_then(|e| e.error_type.clone()),
            message: describe(&errors),
            body: serde_json::to_string(&errors).unwrap_or_default(),
            retry_after_ms: None,
        };
        self.fail_all(error);
        *retried = false;
        Retry::Now
    }

    /// Sends `start` for one subscription with its own, fresh auth.
    async fn start(&mut self, index: usize, out: &mpsc::UnboundedSender<WsCommand>) -> bool {
        let (mode, data) = (self.subs[index].mode, self.subs[index].data.clone());
        match self.ctx.auth_object(mode, Some(&data)).await {
            Ok((authorization, applied)) => {
                let sub = &mut self.subs[index];
                sub.last_auth = Some(applied);
                sub.pending_since = Some(now());
                out.unbounded_send(WsCommand::Text(protocol::start(
                    &sub.id,
                    &data,
                    &authorization,
                )))
                .is_ok()
            }
            Err(error) => {
                let sub = self.subs.remove(index);
                self.handle.load.fetch_sub(1, Ordering::SeqCst);
                sub.emit(SubscriptionEvent::Failed(error));
                true
            }
        }
    }

    async fn start_all(&mut self, out: &mpsc::UnboundedSender<WsCommand>) {
        let mut index = self.subs.len();
        while index > 0 {
            index -= 1;
            self.start(index, out).await;
        }
    }

    /// The connected phase.
    async fn serve(
        &mut self,
        socket: WsConnection,
        timeout_ms: u64,
        handshake: AppliedAuth,
    ) -> Outcome {
        let WsConnection {
            outgoing: out,
            mut incoming,
        } = socket;
        self.ever_connected = true;
        self.broadcast(ConnectionState::Connected);
        for sub in &mut self.subs {
            sub.auth_retried = false;
        }
        self.start_all(&out).await;
        let options = self.ctx.options.clone();
        let connected_at = now();
        let refresh_at = {
            let age_limit = connected_at + options.max_connection_age.as_millis() as i64;
            match handshake.expires_at_ms {
                Some(at) => {
                    // Renew ahead of expiry; a credential already inside that window (the
                    // provider had nothing fresher) is used until it actually expires, so a
                    // short-lived token never causes a reconnect loop.
                    let ahead = at - options.refresh_before_expiry.as_millis() as i64;
                    let when = if ahead > connected_at {
                        ahead
                    } else {
                        at.max(connected_at + 1_000)
                    };
                    age_limit.min(when)
                }
                None => age_limit,
            }
        };
        let mut last_seen = now();
        let mut linger_until: Option<i64> = None;
        let close = |reason: &str| {
            crate::log::info!(%reason, "realtime connection closing");
            let _ = out.unbounded_send(WsCommand::Close);
        };
        loop {
            self.prune(Some(&out));
            if self.subs.is_empty() {
                linger_until.get_or_insert(now() + options.linger.as_millis() as i64);
            } else {
                linger_until = None;
            }
            let ack_deadline = self
                .subs
                .iter()
                .filter_map(|s| s.pending_since)
                .min()
                .map(|t| t + options.start_ack_timeout.as_millis() as i64);
            let ka_deadline = last_seen + timeout_ms as i64;
            let deadline = [
                Some(ka_deadline),
                ack_deadline,
                Some(refresh_at),
                linger_until,
            ]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(ka_deadline);
            let wait =
                runtime::sleep(Duration::from_millis((deadline - now()).max(0) as u64)).fuse();
            futures::pin_mut!(wait);
            futures::select_biased! {
                event = incoming.next() => match event {
                    Some(WsEvent::Text(text)) => {
                        last_seen = now();
                        self.on_message(&text, &out).await;
                    }
                    Some(WsEvent::Closed(reason)) => {
                        self.broadcast(ConnectionState::Disrupted { reason });
                        return Outcome::Lost;
                    }
                    None => {
                        self.broadcast(ConnectionState::Disrupted { reason: "socket ended".into() });
                        return Outcome::Lost;
                    }
                },
                command = self.commands.next() => match command {
                    Some(Command::Add(entry)) => {
                        self.subs.push(entry);
                        let index = self.subs.len() - 1;
                        self.subs[index].emit(SubscriptionEvent::ConnectionState(ConnectionState::Connected));
                        self.start(index, &out).await;
                    }
                    Some(Command::Remove(id)) => {
                        if self.remove(&id).is_some() {
                            let _ = out.unbounded_send(WsCommand::Text(protocol::stop(&id)));
                        }
                    }
                    Some(Command::Reconnect) => {
                        close("network change");
                        self.broadcast(ConnectionState::Disrupted { reason: "network change".into() });
                        return Outcome::Now;
                    }
                    None => {
                        close("client dropped");
                        self.broadcast(ConnectionState::Disconnected);
                        return Outcome::Done;
                    }
                },
                () = wait => {
                    let t = now();
                    if linger_until.is_some_and(|l| t >= l) {
                        close("no subscriptions left");
                        return Outcome::Done;
                    }
                    if t >= ka_deadline {
                        close("keep-alive missed");
                        self.broadcast(ConnectionState::Disrupted { reason: format!("no keep-alive within {timeout_ms} ms") });
                        return Outcome::Lost;
                    }
                    if ack_deadline.is_some_and(|a| t >= a) {
                        close("start_ack missed");
                        self.broadcast(ConnectionState::Disrupted { reason: "no start_ack in time".into() });
                        return Outcome::Lost;
                    }
                    if t >= refresh_at {
                        close("refreshing before the credential or connection expires");
                        // The next handshake must not reuse the credential that is expiring.
                        self.ctx.auth.invalidate(&handshake).await;
                        return Outcome::Now;
                    }
                }
            }
        }
    }

    async fn on_message(&mut self, text: &str, out: &mpsc::UnboundedSender<WsCommand>) {
        let message = match protocol::parse(text) {
            Ok(message) => message,
            Err(problem) => {
                // A server sending garbage is reported, never trusted and never fatal.
                crate::log::warn!(%problem, "malformed realtime frame");
                let error = GraphQLError {
                    error_type: Some("MalformedMessage".into()),
                    ..GraphQLError::new(format!("malformed realtime message: {problem}"))
                };
                for sub in &self.subs {
                    sub.emit(SubscriptionEvent::Errors(vec![error.clone()]));
                }
                return;
            }
        };
        match message {
            ServerMessage::Ka | ServerMessage::ConnectionAck { .. } => {}
            ServerMessage::StartAck { id } => {
                if let Some(sub) = self.subs.iter_mut().find(|s| s.id == id) {
                    sub.pending_since = None;
                    let event = if sub.acked_once {
                        SubscriptionEvent::Resubscribed
                    } else {
                        SubscriptionEvent::Started
                    };
                    sub.acked_once = true;
                    sub.emit(event);
                }
            }
            ServerMessage::Data { id, data, errors } => {
                if let Some(sub) = self.subs.iter().find(|s| s.id == id) {
                    if let Some(hook) = &sub.on_data {
                        hook(&data);
                    }
                    sub.emit(SubscriptionEvent::Data(data));
                    if !errors.is_empty() {
                        sub.emit(SubscriptionEvent::Errors(errors));
                    }
                }
            }
            ServerMessage::Error {
                id: Some(id),
                errors,
            } => self.on_error(&id, errors, out).await,
            ServerMessage::Error { id: None, errors }
            | ServerMessage::ConnectionError { errors } => {
                for sub in &self.subs {
                    sub.emit(SubscriptionEvent::Errors(errors.clone()));
                }
            }
            ServerMessage::Complete { id } => {
                if let Some(sub) = self.remove(&id) {
                    sub.emit(SubscriptionEvent::Completed);
                }
            }
        }
    }

    async fn on_error(
        &mut self,
        id: &str,
        errors: Vec<GraphQLError>,
        out: &mpsc::UnboundedSender<WsCommand>,
    ) {
        let Some(index) = self.subs.iter().position(|s| s.id == id) else {
            return;
        };
        if protocol::is_max_subscriptions(&errors) {
            // This connection is full: the subscription moves to another one.
            self.handle.full.store(true, Ordering::SeqCst);
            if let Some(mut sub) = self.remove(id) {
                sub.pending_since = None;
                if let Some(realtime) = self.realtime.upgrade() {
                    realtime.place(sub);
                } else {
                    sub.emit(SubscriptionEvent::Failed(AppSyncError::GraphQl {
                        errors,
                        data: None,
                    }));
                }
            }
            return;
        }
        let retry = {
            let sub = &self.subs[index];
            protocol::is_auth_error(&errors)
                && !sub.auth_retried
                && sub
                    .last_auth
                    .as_ref()
                    .is_some_and(|a| self.ctx.auth.can_refresh(a))
        };
        if retry {
            if let Some(applied) = self.subs[index].last_auth.clone() {
                self.ctx.auth.invalidate(&applied).await;
            }
            self.subs[index].auth_retried = true;
            self.start(index, out).await;
            return;
        }
        if let Some(sub) = self.remove(id) {
            sub.emit(SubscriptionEvent::Failed(AppSyncError::GraphQl {
                errors,
                data: None,
            }));
        }
    }

    /// Marks the connection dead and hands queued work back to the manager.
    fn shutdown(mut self) {
        self.handle.alive.store(false, Ordering::SeqCst);
        self.commands.close();
        let realtime = self.realtime.upgrade();
        while let Ok(command) = self.commands.try_recv() {
            if let (Command::Add(entry), Some(realtime)) = (command, realtime.as_ref()) {
                realtime.place(entry);
            }
        }
        for sub in self.subs.drain(..) {
            sub.emit(SubscriptionEvent::ConnectionState(
                ConnectionState::Disconnected,
            ));
        }
    }
}

enum Retry {
    Now,
    Later,
    Never,
}

fn describe(errors: &[GraphQLError]) -> String {
    errors
        .iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join("; ")
}
