//! The GraphQL client over HTTP: documents checked before sending, auth for any mode, one
//! refresh-and-retry on an expired credential, one re-sign on SigV4 clock skew, typed errors.

use crate::auth::{AppliedAuth, AuthMode, AuthProviders, Authorizer, Clock};
#[cfg(feature = "offline")]
use crate::cache::Cache;
use crate::config::ClientConfig;
use crate::error::AppSyncError;
use crate::graphql::{OperationCache, OperationKind};
use crate::realtime::{
    realtime_url, Context, Realtime, RealtimeOptions, Subscription, WsConnector,
};
use crate::request::{ErrorPolicy, FetchPolicy, GraphQLRequest};
use crate::response::{GraphQLError, GraphQLResponse, TextResponse};
use crate::runtime;
use crate::transport::{HttpRequest, HttpResponse, HttpTransport};
use serde::Serialize;
use std::sync::Arc;
use std::sync::OnceLock;

/// Options that are not part of the config file.
#[derive(Clone, Default)]
pub struct ClientOptions {
    /// The HTTP transport (default: reqwest).
    pub transport: Option<Arc<dyn HttpTransport>>,
    /// The device clock (default: the system clock); tests use it to simulate a skewed device.
    pub clock: Option<Clock>,
    /// Opens realtime WebSockets (default natively: tokio-tungstenite; in browsers the wasm
    /// binding passes the browser's WebSocket).
    pub websocket: Option<Arc<dyn WsConnector>>,
    /// Realtime timings and limits.
    pub realtime: RealtimeOptions,
    #[cfg(feature = "offline")]
    /// Where the normalized cache persists, open or still opening (`None`: memory only, i.e.
    /// offline persistence off). `hydrated()` resolves once it is open.
    pub cache_store: Option<crate::storage::StoreHandle>,
    #[cfg(feature = "offline")]
    /// How the cache keys entities (default `__typename:id`).
    pub cache_keys: crate::cache::KeyConfig,
}

impl std::fmt::Debug for ClientOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientOptions").finish_non_exhaustive()
    }
}

/// An AppSync GraphQL client. Cheap to clone; clones share everything.
#[derive(Clone)]
pub struct AppSyncClient {
    inner: Arc<Inner>,
}

struct Inner {
    config: ClientConfig,
    auth: Arc<Authorizer>,
    transport: Arc<dyn HttpTransport>,
    operations: OperationCache,
    websocket: Option<Arc<dyn WsConnector>>,
    realtime_options: RealtimeOptions,
    realtime: OnceLock<Result<Arc<Realtime>, String>>,
    #[cfg(feature = "offline")]
    cache: Arc<Cache>,
}

impl std::fmt::Debug for AppSyncClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppSyncClient")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

#[derive(Serialize)]
struct Body<'a> {
    query: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    variables: Option<&'a serde_json::Value>,
    #[serde(rename = "operationName", skip_serializing_if = "Option::is_none")]
    operation_name: Option<&'a str>,
}

/// Signature expiry and skew messages (AppSync and STS phrasing).
fn is_clock_skew(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("signature expired") || m.contains("signature not yet current") || m.contains("skew")
}

impl AppSyncClient {
    pub fn new(config: ClientConfig, providers: AuthProviders) -> Self {
        Self::with_options(config, providers, ClientOptions::default())
    }

    pub fn with_options(
        config: ClientConfig,
        providers: AuthProviders,
        options: ClientOptions,
    ) -> Self {
        let auth = Arc::new(Authorizer::new(&config, providers, options.clock));
        let transport = options
            .transport
            .unwrap_or_else(crate::transport::default_transport);
        AppSyncClient {
            inner: Arc::new(Inner {
                config,
                auth,
                transport,
                operations: OperationCache::default(),
                websocket: options.websocket,
                realtime_options: options.realtime,
                realtime: OnceLock::new(),
                #[cfg(feature = "offline")]
                cache: Arc::new(Cache::new(options.cache_keys, options.cache_store)),
            }),
        }
    }

    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    /// The authorizer, shared with realtime connections.
    pub fn authorizer(&self) -> &Authorizer {
        &self.inner.auth
    }

    /// Starts a subscription over the realtime endpoint. The document is checked before anything
    /// is sent; the connection opens lazily and is shared with other subscriptions. Events,
    /// errors and connection states arrive on the returned stream; dropping it cancels.
    pub fn subscribe(&self, request: GraphQLRequest) -> Result<Subscription, AppSyncError> {
        let inner = &self.inner;
        let (operation, body) = self.prepare(&request, OperationKind::Subscription)?;
        // `payload.data` is the JSON text itself; serde_json only ever writes UTF-8.
        let data = String::from_utf8_lossy(&body).into_owned();
        let mode = request.auth_mode.unwrap_or(inner.config.default_auth_mode);
        // Each event is normalized into the cache too, so cached queries showing the same
        // entities follow the subscription (in the background: the app is never held up).
        #[cfg(not(feature = "offline"))]
        let hook = {
            let _ = operation;
            None
        };
        #[cfg(feature = "offline")]
        let hook: Option<crate::realtime::DataHook> = match request.fetch_policy {
            FetchPolicy::NoCache => None,
            _ => {
                let (cache, operation, variables) =
                    (inner.cache.clone(), operation, request.variables.clone());
                Some(Arc::new(move |data: &serde_json::Value| {
                    // The event is as new as its arrival, not as its write (which runs later, in
                    // the background): a query fetched in between is newer, and keeps its fields.
                    let ticket = cache.begin_fetch();
                    let (cache, operation, variables, data) = (
                        cache.clone(),
                        operation.clone(),
                        variables.clone(),
                        data.clone(),
                    );
                    runtime::spawn(async move {
                        if let Err(e) = cache
                            .write_fetched(&ticket, &operation, variables.as_ref(), &data)
                            .await
                        {
                            crate::log::warn!(error = %e, "writing a subscription event to the cache failed");
                        }
                    });
                }))
            }
        };
        Ok(self.realtime()?.subscribe(data, mode, hook))
    }

    /// Reconnects every realtime connection now: call it when the device's network changes.
    pub fn reconnect_realtime(&self) {
        if let Some(Ok(realtime)) = self.inner.realtime.get() {
            realtime.reconnect();
        }
    }

    /// Open realtime connections.
    pub fn realtime_connection_count(&self) -> usize {
        match self.inner.realtime.get() {
            Some(Ok(realtime)) => realtime.connection_count(),
            _ => 0,
        }
    }

    fn realtime(&self) -> Result<Arc<Realtime>, AppSyncError> {
        let inner = &self.inner;
        let built = inner.realtime.get_or_init(|| {
            let url = realtime_url(&inner.config)?;
            let connector: Arc<dyn WsConnector> = match &inner.websocket {
                Some(connector) => connector.clone(),
                None => default_connector()?,
            };
            Ok(Realtime::new(Context {
                url,
                endpoint: inner.config.endpoint.clone(),
                host: inner.config.endpoint_host(),
                auth: inner.auth.clone(),
                connector,
                options: inner.realtime_options.clone(),
            }))
        });
        built.clone().map_err(|message| AppSyncError::Network {
            message: format!("realtime unavailable: {message}"),
        })
    }

    /// The normalized cache.
    #[cfg(feature = "offline")]
    pub fn cache(&self) -> &Arc<Cache> {
        &self.inner.cache
    }

    /// Resolves when the cache's store is open (at once for a memory-only cache). A store that
    /// cannot open (corrupt, written by a newer SDK) is an error here; queries then still run
    /// against the network, and cache reads report the same error.
    #[cfg(feature = "offline")]
    pub async fn hydrated(&self) -> Result<(), crate::cache::CacheError> {
        self.inner.cache.hydrated().await
    }

    /// Runs a query under its fetch policy (default cache-and-network: the network's result,
    /// written to the cache; `watch_query` also delivers the cached one first). A cache-only miss
    /// is a GraphQL error of type `CacheMiss` listing what was missing.
    pub async fn query(&self, request: GraphQLRequest) -> Result<GraphQLResponse, AppSyncError> {
        self.query_text(request).await?.into_response()
    }

    /// [`AppSyncClient::query`] with the data left as JSON text: the cache is written straight
    /// from the response's text and read back as text, and no `Value` tree of the result is built
    /// (what the bindings use: they pass the text on).
    #[cfg(feature = "offline")]
    pub async fn query_text(&self, request: GraphQLRequest) -> Result<TextResponse, AppSyncError> {
        let policy = request.fetch_policy;
        let (operation, _) = self.prepare(&request, OperationKind::Query)?;
        if matches!(policy, FetchPolicy::CacheFirst | FetchPolicy::CacheOnly) {
            match self
                .inner
                .cache
                .read_query_text(&operation, request.variables.as_ref())
                .await
            {
                Ok(read) => {
                    if let Some(data) = read.data {
                        let span = 0..data.len();
                        return Ok(TextResponse::new(data, Some(span), Vec::new(), 200));
                    }
                    if policy == FetchPolicy::CacheOnly {
                        let error = GraphQLError {
                            error_type: Some("CacheMiss".into()),
                            ..GraphQLError::new(format!(
                                "the cache does not hold: {}",
                                read.info.missing.join(", ")
                            ))
                        };
                        return cache_result(error, Some(read.info.partial), request.error_policy);
                    }
                }
                Err(e) if policy == FetchPolicy::CacheOnly => return Err(e.into()),
                Err(e) => crate::log::warn!(error = %e, "cache read failed; asking the network"),
            }
        }
        let variables = request.variables.clone();
        // Writes that land while this fetch is in flight are newer than its result.
        let ticket = (policy != FetchPolicy::NoCache).then(|| self.inner.cache.begin_fetch());
        // With a cache to write, the data is checked by that write (see `interpret`).
        let check = if ticket.is_some() {
            Check::ByCacheWrite
        } else {
            Check::Now
        };
        let response = self.execute(request, OperationKind::Query, check).await?;
        if let Some(ticket) = &ticket {
            self.write_cache(&operation, variables.as_ref(), &response, Some(ticket))
                .await?;
        }
        Ok(response)
    }

    /// [`AppSyncClient::query`] with the data left as JSON text. Built without the cache
    /// (`offline` off), every query asks the network and nothing is kept, as if the cache were
    /// always empty: cache-only misses (a `CacheMiss` GraphQL error), the other policies fetch.
    #[cfg(not(feature = "offline"))]
    pub async fn query_text(&self, request: GraphQLRequest) -> Result<TextResponse, AppSyncError> {
        if request.fetch_policy == FetchPolicy::CacheOnly {
            let (operation, _) = self.prepare(&request, OperationKind::Query)?;
            let error = GraphQLError {
                error_type: Some("CacheMiss".into()),
                ..GraphQLError::new(format!(
                    "the cache does not hold `{}`: this build of the client keeps no cache",
                    operation.name().unwrap_or("the query")
                ))
            };
            return cache_result(error, None, request.error_policy);
        }
        self.execute(request, OperationKind::Query, Check::Now)
            .await
    }

    /// Runs a mutation (online; the offline queue builds on this). Its result is normalized into
    /// the cache, so every cached query showing the same entities sees the change.
    pub async fn mutate(&self, request: GraphQLRequest) -> Result<GraphQLResponse, AppSyncError> {
        self.mutate_text(request).await?.into_response()
    }

    /// [`AppSyncClient::mutate`] with the data left as JSON text (see
    /// [`AppSyncClient::query_text`]).
    #[cfg(not(feature = "offline"))]
    pub async fn mutate_text(&self, request: GraphQLRequest) -> Result<TextResponse, AppSyncError> {
        self.execute(request, OperationKind::Mutation, Check::Now)
            .await
    }

    /// [`AppSyncClient::mutate`] with the data left as JSON text (see
    /// [`AppSyncClient::query_text`]).
    #[cfg(feature = "offline")]
    pub async fn mutate_text(&self, request: GraphQLRequest) -> Result<TextResponse, AppSyncError> {
        let (operation, _) = self.prepare(&request, OperationKind::Mutation)?;
        let (variables, policy) = (request.variables.clone(), request.fetch_policy);
        let check = if policy == FetchPolicy::NoCache {
            Check::Now
        } else {
            Check::ByCacheWrite
        };
        let response = self
            .execute(request, OperationKind::Mutation, check)
            .await?;
        if policy != FetchPolicy::NoCache {
            self.write_cache(&operation, variables.as_ref(), &response, None)
                .await?;
        }
        Ok(response)
    }

    /// Watches a query: the cached result first (when complete), then the network's (per the
    /// fetch policy), then again whenever a record it reads changes. Errors from the network
    /// arrive in the stream; dropping it stops the watch.
    #[cfg(feature = "offline")]
    pub async fn watch_query(
        &self,
        request: GraphQLRequest,
    ) -> Result<
        futures::channel::mpsc::UnboundedReceiver<Result<GraphQLResponse, AppSyncError>>,
        AppSyncError,
    > {
        self.watch_with(request, TextResponse::into_response).await
    }

    /// [`AppSyncClient::watch_query`] with each result's data as JSON text (what the bindings
    /// pass on): no `Value` tree of the result is built at any point.
    #[cfg(feature = "offline")]
    pub async fn watch_query_text(
        &self,
        request: GraphQLRequest,
    ) -> Result<
        futures::channel::mpsc::UnboundedReceiver<Result<TextResponse, AppSyncError>>,
        AppSyncError,
    > {
        self.watch_with(request, Ok).await
    }

    #[cfg(feature = "offline")]
    async fn watch_with<T: runtime::SendOutsideWasm + 'static>(
        &self,
        request: GraphQLRequest,
        convert: fn(TextResponse) -> Result<T, AppSyncError>,
    ) -> Result<futures::channel::mpsc::UnboundedReceiver<Result<T, AppSyncError>>, AppSyncError>
    {
        use futures::StreamExt;
        let (operation, _) = self.prepare(&request, OperationKind::Query)?;
        let mut reads = self
            .inner
            .cache
            .watch_query(operation, request.variables.clone())
            .await?;
        // The first read is queued already: whether the cache held all of it decides a
        // cache-first watch's fetch.
        let first = reads.next().await;
        let complete = first.as_ref().is_some_and(|read| read.data.is_some());
        let (sender, receiver) = futures::channel::mpsc::unbounded();
        let forward = sender.clone();
        runtime::spawn(async move {
            let mut first = first;
            loop {
                let read = match first.take() {
                    Some(read) => read,
                    None => match reads.next().await {
                        Some(read) => read,
                        None => break,
                    },
                };
                // Incomplete results are not delivered: the network's answer completes them.
                if let Some(data) = read.data {
                    let span = 0..data.len();
                    let result = convert(TextResponse::new(data, Some(span), Vec::new(), 200));
                    if forward.unbounded_send(result).is_err() {
                        break;
                    }
                }
            }
        });
        self.fetch_for_watch(request, complete, move |e| {
            let _ = sender.unbounded_send(Err(e));
        });
        Ok(receiver)
    }

    /// A watch for a binding that reads the cache itself (the web package reads its results as
    /// the page's objects): after checking the request, returns the parsed operation (for the
    /// binding's reads), the handle, two receivers and the watch's network fetch. A `()` comes
    /// on the first receiver whenever a record the binding's last read depended on changes (it
    /// tells them to the handle, see [`crate::cache::Cache::watch_changes`]), and a failed fetch
    /// on the second. The binding starts the fetch ([`WatchFetch::start`]) once its first read
    /// is done, as [`AppSyncClient::watch_query`] does: started earlier, a fast network could
    /// write its answer before that read, and the cached result would never be delivered.
    /// Dropping the handle stops the watch.
    #[cfg(feature = "offline")]
    #[allow(clippy::type_complexity)]
    pub fn watch_changes(
        &self,
        request: GraphQLRequest,
    ) -> Result<
        (
            Arc<crate::graphql::Operation>,
            crate::cache::ChangeWatchHandle,
            futures::channel::mpsc::UnboundedReceiver<()>,
            futures::channel::mpsc::UnboundedReceiver<AppSyncError>,
            WatchFetch,
        ),
        AppSyncError,
    > {
        let (operation, _) = self.prepare(&request, OperationKind::Query)?;
        let (handle, changes) = self.inner.cache.watch_changes();
        let (failed, errors) = futures::channel::mpsc::unbounded();
        let fetch = WatchFetch {
            client: self.clone(),
            request,
            failed,
        };
        Ok((operation, handle, changes, errors, fetch))
    }

    /// A watch's network fetch, per its fetch policy and whether its first read found the whole
    /// result in the cache (`cached`): a success reaches the watch through the cache write; a
    /// failure goes to `failed`. Cache-first asks the network only when the cache lacked part
    /// of the result; cache-only and no-cache never do.
    #[cfg(feature = "offline")]
    fn fetch_for_watch(
        &self,
        mut request: GraphQLRequest,
        cached: bool,
        failed: impl FnOnce(AppSyncError) + runtime::SendOutsideWasm + 'static,
    ) {
        let fetch = match request.fetch_policy {
            FetchPolicy::CacheAndNetwork | FetchPolicy::NetworkOnly => true,
            FetchPolicy::CacheFirst => !cached,
            FetchPolicy::CacheOnly | FetchPolicy::NoCache => false,
        };
        if fetch {
            let client = self.clone();
            request.fetch_policy = FetchPolicy::NetworkOnly;
            runtime::spawn(async move {
                if let Err(e) = client.query_text(request).await {
                    failed(e);
                }
            });
        }
    }

    /// Writes a response's data to the cache. Data that is not valid JSON (the write is where
    /// it is checked, see `interpret`) fails the response; a cache that cannot persist does not.
    #[cfg(feature = "offline")]
    async fn write_cache(
        &self,
        operation: &crate::graphql::Operation,
        variables: Option<&serde_json::Value>,
        response: &TextResponse,
        fetch: Option<&crate::cache::FetchTicket>,
    ) -> Result<(), AppSyncError> {
        let Some(data) = response.data_text() else {
            return Ok(());
        };
        let cache = &self.inner.cache;
        let written = match fetch {
            Some(ticket) => {
                cache
                    .write_fetched_text(ticket, operation, variables, data)
                    .await
            }
            None => cache.write_query_text(operation, variables, data).await,
        };
        match written {
            Ok(warnings) if !warnings.is_empty() => {
                crate::log::warn!(count = warnings.len(), first = %warnings[0], "the result does not match its document; stored what fits");
            }
            Ok(_) => {}
            Err(crate::cache::TextWriteError::InvalidJson(message)) => {
                return Err(AppSyncError::InvalidResponse {
                    status: response.status(),
                    message: format!("not a GraphQL JSON response: {message}"),
                });
            }
            // The request itself succeeded: a cache that cannot persist must not fail it.
            Err(e) => crate::log::warn!(error = %e, "writing the result to the cache failed"),
        }
        Ok(())
    }

    /// Parses (once, cached), checks the operation kind and the variables, and serialises the
    /// request body: everything that must hold before anything is sent.
    fn prepare(
        &self,
        request: &GraphQLRequest,
        expected: OperationKind,
    ) -> Result<(Arc<crate::graphql::Operation>, Vec<u8>), AppSyncError> {
        let operation = self
            .inner
            .operations
            .get_or_parse(&request.document, request.operation_name.as_deref())?;
        if operation.kind() != expected {
            return Err(crate::graphql::DocumentError {
                message: format!(
                    "expected a {expected}, the document holds a {}",
                    operation.kind()
                ),
            }
            .into());
        }
        operation.check_variables(request.variables.as_ref())?;
        let body = serde_json::to_vec(&Body {
            query: operation.text(),
            variables: request.variables.as_ref(),
            operation_name: operation.name(),
        })
        .map_err(|e| {
            AppSyncError::InvalidDocument(crate::graphql::DocumentError {
                message: e.to_string(),
            })
        })?;
        Ok((operation, body))
    }

    async fn execute(
        &self,
        request: GraphQLRequest,
        expected: OperationKind,
        check: Check,
    ) -> Result<TextResponse, AppSyncError> {
        let inner = &self.inner;
        let (operation, body) = self.prepare(&request, expected)?;
        let mode = request.auth_mode.unwrap_or(inner.config.default_auth_mode);
        let timeout = request.timeout.unwrap_or(inner.config.request_timeout);
        let mut headers = vec![
            ("content-type".to_owned(), "application/json".to_owned()),
            ("accept".to_owned(), "application/json".to_owned()),
        ];
        headers.extend(inner.auth.custom_headers().await?);
        headers.extend(request.headers.iter().cloned());

        crate::log::debug_span!("graphql", kind = %expected, name = operation.name().unwrap_or(""), %mode);
        let mut refreshed = false;
        let mut reclocked = false;
        loop {
            let applied = inner
                .auth
                .authorize(mode, "POST", &inner.config.endpoint, &headers, &body)
                .await?;
            let response = self.send(&headers, &applied, &body, timeout).await?;
            match self.retry_reason(&response, &applied) {
                Some(Retry::Refresh) if !refreshed => {
                    crate::log::info!("credential rejected: refreshing once and retrying");
                    refreshed = true;
                    inner.auth.invalidate(&applied).await;
                }
                Some(Retry::ClockSkew(server_ms)) if !reclocked => {
                    reclocked = true;
                    inner.auth.learn_server_time(server_ms);
                }
                _ => return interpret(response, request.error_policy, check),
            }
        }
    }

    async fn send(
        &self,
        headers: &[(String, String)],
        applied: &AppliedAuth,
        body: &[u8],
        timeout: std::time::Duration,
    ) -> Result<HttpResponse, AppSyncError> {
        let mut all = headers.to_vec();
        all.extend(applied.headers.iter().cloned());
        let request = HttpRequest {
            method: "POST".into(),
            url: self.inner.config.endpoint.clone(),
            headers: all,
            body: body.to_vec(),
        };
        match runtime::timeout(timeout, self.inner.transport.send(request)).await {
            None => Err(AppSyncError::Timeout {
                after_ms: timeout.as_millis() as u64,
            }),
            Some(Err(e)) => {
                crate::log::warn!(error = %e, "request failed before a response");
                Err(AppSyncError::Network { message: e.0 })
            }
            Some(Ok(response)) => Ok(response),
        }
    }

    fn retry_reason(&self, response: &HttpResponse, applied: &AppliedAuth) -> Option<Retry> {
        if !matches!(response.status, 401 | 403) {
            return None;
        }
        let text = String::from_utf8_lossy(&response.body);
        if applied.mode == AuthMode::Iam && is_clock_skew(&text) {
            let date = response.header("date")?;
            return Some(Retry::ClockSkew(crate::http_date::parse_ms(date)?));
        }
        self.inner
            .auth
            .can_refresh(applied)
            .then_some(Retry::Refresh)
    }
}

/// A watch's network fetch (see [`AppSyncClient::watch_changes`]), not started yet.
#[cfg(feature = "offline")]
pub struct WatchFetch {
    client: AppSyncClient,
    request: GraphQLRequest,
    failed: futures::channel::mpsc::UnboundedSender<AppSyncError>,
}

#[cfg(feature = "offline")]
impl WatchFetch {
    /// Fetches the watch's query per its fetch policy, `cached` saying whether the first read
    /// found the whole result (a cache-first watch then asks no network): a success reaches the
    /// watch through the cache write, a failure the watch's error receiver.
    pub fn start(self, cached: bool) {
        let WatchFetch {
            client,
            request,
            failed,
        } = self;
        client.fetch_for_watch(request, cached, move |e| {
            let _ = failed.unbounded_send(e);
        });
    }
}

#[cfg(feature = "offline")]
impl std::fmt::Debug for WatchFetch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WatchFetch")
            .field("fetch_policy", &self.request.fetch_policy)
            .finish_non_exhaustive()
    }
}

#[cfg(not(target_family = "wasm"))]
fn default_connector() -> Result<Arc<dyn WsConnector>, String> {
    Ok(Arc::new(crate::realtime::TungsteniteConnector::new()?))
}

#[cfg(target_family = "wasm")]
fn default_connector() -> Result<Arc<dyn WsConnector>, String> {
    Err("no WebSocket connector: the web package passes the browser's".into())
}

fn cache_result(
    error: GraphQLError,
    data: Option<serde_json::Value>,
    policy: ErrorPolicy,
) -> Result<TextResponse, AppSyncError> {
    match policy {
        ErrorPolicy::None => Err(AppSyncError::GraphQl {
            errors: vec![error],
            data,
        }),
        ErrorPolicy::All => {
            let text = data.map(|partial| partial.to_string()).unwrap_or_default();
            let span = (!text.is_empty()).then_some(0..text.len());
            Ok(TextResponse::new(text, span, vec![error], 200))
        }
    }
}

/// Who checks a response's data (see `interpret`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Check {
    /// `interpret`, before the response is returned.
    Now,
    /// The cache write that follows: it parses the whole data, as strictly as `Value` does,
    /// before it writes anything, and its failure fails the response. One pass over a large
    /// result instead of two.
    #[cfg(feature = "offline")]
    ByCacheWrite,
}

enum Retry {
    Refresh,
    ClockSkew(i64),
}

/// AppSync's error body: `errors[]`, or the simulator's `{"errorMessage": ...}`.
#[derive(serde::Deserialize)]
struct ErrorBody {
    #[serde(default)]
    errors: Vec<GraphQLError>,
    #[serde(default, rename = "errorMessage")]
    error_message: Option<String>,
}

#[derive(serde::Deserialize)]
struct RawResponse {
    /// Checked here as strictly as a `Value` parse would, not built: its text is taken from the
    /// body (see `interpret`).
    #[serde(default)]
    data: Option<crate::response::Checked>,
    #[serde(default)]
    errors: Option<Vec<GraphQLError>>,
    #[serde(default, rename = "errorMessage")]
    error_message: Option<String>,
}

/// `Retry-After` as milliseconds: delta-seconds, or an HTTP date (relative to the device clock).
fn retry_after_ms(value: &str) -> Option<u64> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(seconds.saturating_mul(1000));
    }
    let at_ms = crate::http_date::parse_ms(value)?;
    Some(at_ms.saturating_sub(runtime::now_ms()).max(0) as u64)
}

fn interpret(
    response: HttpResponse,
    policy: ErrorPolicy,
    check: Check,
) -> Result<TextResponse, AppSyncError> {
    let status = response.status;
    if !(200..300).contains(&status) {
        let text = String::from_utf8_lossy(&response.body).into_owned();
        let parsed: Option<ErrorBody> = serde_json::from_slice(&response.body).ok();
        let first = parsed.as_ref().and_then(|b| b.errors.first());
        let error_type = response
            .header("x-amzn-errortype")
            .map(|t| t.split(':').next().unwrap_or(t).to_owned())
            .or_else(|| first.and_then(|e| e.error_type.clone()));
        let message = first
            .map(|e| e.message.clone())
            .or_else(|| parsed.as_ref().and_then(|b| b.error_message.clone()))
            .unwrap_or_else(|| text.chars().take(200).collect());
        let retry_after_ms = response.header("retry-after").and_then(retry_after_ms);
        return Err(AppSyncError::Http {
            status,
            error_type,
            message,
            body: text,
            retry_after_ms,
        });
    }
    let invalid = |message: String| AppSyncError::InvalidResponse { status, message };
    let not_graphql =
        |e: &dyn std::fmt::Display| invalid(format!("not a GraphQL JSON response: {e}"));
    let text = String::from_utf8(response.body).map_err(|e| not_graphql(&e))?;
    // `from_slice`, like the rest of the crate: one reader type's instantiations in the web build.
    let hollow: Option<(String, std::ops::Range<usize>)> = match check {
        Check::Now => None,
        // The envelope with `null` in the data's place: everything but the data is checked
        // here (the data by the cache write). No `data` member found: the whole body is read.
        #[cfg(feature = "offline")]
        Check::ByCacheWrite => crate::response::member_span(&text, "data").and_then(|span| {
            let (before, after) = (text.get(..span.start)?, text.get(span.end..)?);
            Some(([before, "null", after].concat(), span))
        }),
    };
    let (raw, data) = match hollow {
        Some((envelope, span)) => {
            let raw: RawResponse =
                serde_json::from_slice(envelope.as_bytes()).map_err(|e| not_graphql(&e))?;
            let data = (text.get(span.clone()) != Some("null")).then_some(span);
            (raw, data)
        }
        None => {
            let raw: RawResponse =
                serde_json::from_slice(text.as_bytes()).map_err(|e| not_graphql(&e))?;
            // Valid JSON now, so its `data` member is found by a scan (none: an array body).
            let data = match raw.data {
                Some(_) => Some(
                    crate::response::member_span(&text, "data")
                        .ok_or_else(|| not_graphql(&"the body is not a JSON object"))?,
                ),
                None => None,
            };
            (raw, data)
        }
    };
    let mut errors = raw.errors.unwrap_or_default();
    if let Some(message) = raw.error_message {
        errors.push(GraphQLError::new(message));
    }
    if data.is_none() && errors.is_empty() {
        return Err(AppSyncError::InvalidResponse {
            status,
            message: "the response has neither data nor errors".into(),
        });
    }
    let response = TextResponse::new(text, data, errors, status);
    if !response.errors().is_empty() && policy == ErrorPolicy::None {
        let GraphQLResponse { data, errors } = response.into_response()?;
        return Err(AppSyncError::GraphQl { errors, data });
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, body: &str) -> HttpResponse {
        HttpResponse {
            status,
            headers: vec![],
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn partial_results_keep_data_and_errors() {
        let body = r#"{"data":{"a":1,"b":null},"errors":[{"message":"no b","errorType":"Unauthorized","path":["b"],"locations":[{"line":1,"column":5}],"errorInfo":{"x":1},"data":null}]}"#;
        let text = interpret(response(200, body), ErrorPolicy::All, Check::Now).unwrap();
        // The data is the server's text, byte for byte.
        assert_eq!(text.data_text(), Some(r#"{"a":1,"b":null}"#));
        let ok = text.into_response().unwrap();
        assert_eq!(ok.data.unwrap()["a"], 1);
        assert_eq!(ok.errors[0].error_type.as_deref(), Some("Unauthorized"));
        assert_eq!(ok.errors[0].path.as_ref().unwrap()[0], "b");
        assert_eq!(ok.errors[0].locations.as_ref().unwrap()[0].column, 5);
        match interpret(response(200, body), ErrorPolicy::None, Check::Now).unwrap_err() {
            AppSyncError::GraphQl { errors, data } => {
                assert_eq!(errors.len(), 1);
                assert_eq!(data.unwrap()["a"], 1);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn data_is_checked_as_strictly_as_a_tree_would_be() {
        // Each is rejected by a `Value` parse (a lone surrogate, a number out of range, nesting
        // past 128), so the text must not pass as data either: not even in a field the
        // document did not select, which the cache skips.
        let deep = format!(
            r#"{{"data":{{"x":{}1{}}}}}"#,
            "[".repeat(200),
            "]".repeat(200)
        );
        for body in [
            r#"{"data":{"getTodo":{"id":"1","name":"\ud800"}}}"#,
            r#"{"data":{"m":{"id":"1","extra":1e400}}}"#,
            r#"{"data":{"\udfff":1}}"#,
            deep.as_str(),
        ] {
            assert!(
                serde_json::from_str::<serde_json::Value>(body).is_err(),
                "{body}"
            );
            let e = interpret(response(200, body), ErrorPolicy::All, Check::Now).unwrap_err();
            assert_eq!(e.code(), "INVALID_RESPONSE", "{body}");
        }
        // What a tree accepts passes: escapes, paired surrogates, big integers, the deepest
        // nesting a tree takes (127 levels, the body's object included).
        let ok = format!(r#"{{"data":{}1{}}}"#, "[".repeat(126), "]".repeat(126));
        for body in [
            r#"{"data":{"s":"a\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00","n":18446744073709551615,"f":-1.5e-300}}"#,
            ok.as_str(),
        ] {
            assert!(
                serde_json::from_str::<serde_json::Value>(body).is_ok(),
                "{body}"
            );
            let text = interpret(response(200, body), ErrorPolicy::All, Check::Now).unwrap();
            assert!(text.into_response().is_ok(), "{body}");
        }
    }

    /// Answers every request with the same 200 body.
    struct Canned(String);

    impl HttpTransport for Canned {
        fn send(
            &self,
            _: HttpRequest,
        ) -> crate::runtime::BoxFuture<'_, Result<HttpResponse, crate::transport::TransportError>>
        {
            ok_answer(&self.0)
        }
    }

    /// A 200 answer with `body`.
    fn ok_answer(
        body: &str,
    ) -> crate::runtime::BoxFuture<'static, Result<HttpResponse, crate::transport::TransportError>>
    {
        let body = body.as_bytes().to_vec();
        Box::pin(async move {
            Ok(HttpResponse {
                status: 200,
                headers: vec![],
                body,
            })
        })
    }

    fn client_answering(body: &str) -> AppSyncClient {
        let config = ClientConfig::builder("https://example.com/graphql")
            .api_key("da2-test")
            .build()
            .unwrap();
        let options = ClientOptions {
            transport: Some(Arc::new(Canned(body.to_owned()))),
            ..ClientOptions::default()
        };
        AppSyncClient::with_options(config, AuthProviders::default(), options)
    }

    /// Answers every request with the same 200 body, counting them.
    #[cfg(feature = "offline")]
    struct Counted(String, Arc<std::sync::atomic::AtomicUsize>);

    #[cfg(feature = "offline")]
    impl HttpTransport for Counted {
        fn send(
            &self,
            _: HttpRequest,
        ) -> crate::runtime::BoxFuture<'_, Result<HttpResponse, crate::transport::TransportError>>
        {
            self.1.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            ok_answer(&self.0)
        }
    }

    /// A cache-first watch asks the network only when the cache lacks part of its result;
    /// cache-and-network asks every time.
    #[cfg(feature = "offline")]
    #[tokio::test]
    async fn a_cache_first_watch_asks_the_network_only_for_what_the_cache_lacks() {
        use futures::StreamExt;
        use std::sync::atomic::Ordering;
        const GET: &str = r#"query { getTodo(id: "1") { id name } }"#;
        let sent = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let body = r#"{"data":{"getTodo":{"__typename":"Todo","id":"1","name":"net"}}}"#;
        let config = ClientConfig::builder("https://example.com/graphql")
            .api_key("da2-test")
            .build()
            .unwrap();
        let options = ClientOptions {
            transport: Some(Arc::new(Counted(body.to_owned(), sent.clone()))),
            ..ClientOptions::default()
        };
        let client = AppSyncClient::with_options(config, AuthProviders::default(), options);
        let watch = |policy| {
            client.watch_query_text(GraphQLRequest {
                fetch_policy: policy,
                ..GraphQLRequest::new(GET)
            })
        };
        let next = |mut stream: futures::channel::mpsc::UnboundedReceiver<_>| async move {
            let item = tokio::time::timeout(std::time::Duration::from_secs(5), stream.next())
                .await
                .expect("a result within 5 s");
            (item, stream)
        };
        let expected = Some(r#"{"getTodo":{"__typename":"Todo","id":"1","name":"net"}}"#);
        // An empty cache: the network's answer is the first result.
        let (first, _open) = next(watch(FetchPolicy::CacheFirst).await.unwrap()).await;
        assert_eq!(first.unwrap().unwrap().data_text(), expected);
        assert_eq!(sent.load(Ordering::SeqCst), 1);
        // The cache holds it now: delivered from the cache, and nothing is sent.
        let (first, _open) = next(watch(FetchPolicy::CacheFirst).await.unwrap()).await;
        assert_eq!(first.unwrap().unwrap().data_text(), expected);
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        assert_eq!(sent.load(Ordering::SeqCst), 1);
        // Cache-and-network delivers the cached result and asks the network too.
        let (first, _open) = next(watch(FetchPolicy::CacheAndNetwork).await.unwrap()).await;
        assert_eq!(first.unwrap().unwrap().data_text(), expected);
        for _ in 0..50 {
            if sent.load(Ordering::SeqCst) == 2 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert_eq!(sent.load(Ordering::SeqCst), 2);
        // Cache-only never does.
        let (first, _open) = next(watch(FetchPolicy::CacheOnly).await.unwrap()).await;
        assert_eq!(first.unwrap().unwrap().data_text(), expected);
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        assert_eq!(sent.load(Ordering::SeqCst), 2);
    }

    /// `GET` answered with `body` under `policy`: the result, and what the cache then holds.
    #[cfg(feature = "offline")]
    async fn query_answered(
        body: &str,
        policy: FetchPolicy,
    ) -> (Result<TextResponse, AppSyncError>, Option<String>) {
        const GET: &str = r#"query { getTodo(id: "1") { id name } }"#;
        let client = client_answering(body);
        let request = GraphQLRequest {
            fetch_policy: policy,
            ..GraphQLRequest::new(GET)
        };
        let result = client.query_text(request).await;
        let operation = crate::graphql::Operation::parse(GET, None).unwrap();
        let cached = client
            .cache()
            .read_query_text(&operation, None)
            .await
            .unwrap();
        (result, cached.data)
    }

    /// With a cache to write, the data is checked by the cache write instead of a pass of its
    /// own: the same bodies fail the same way, and nothing of them is cached.
    #[cfg(feature = "offline")]
    #[tokio::test]
    async fn data_checked_by_the_cache_write_fails_the_request_and_is_not_cached() {
        let deep = format!(
            r#"{{"data":{{"getTodo":{{"__typename":"Todo","id":"1","name":"n","extra":{}1{}}}}}}}"#,
            "[".repeat(200),
            "]".repeat(200)
        );
        let bad = [
            // In a selected field, then in fields the document did not select (skipped).
            r#"{"data":{"getTodo":{"__typename":"Todo","id":"1","name":"\ud800"}}}"#,
            r#"{"data":{"getTodo":{"__typename":"Todo","id":"1","name":"n","extra":1e400}}}"#,
            r#"{"data":{"getTodo":{"__typename":"Todo","id":"1","name":"n","\udfff":1}}}"#,
            deep.as_str(),
            // Not JSON inside the data, or around it.
            r#"{"data":{"getTodo":{"__typename":"Todo","id":"1","name":"n",}}}"#,
            r#"{"data":{"getTodo":{"__typename":"Todo","id":"1","name":"n"}}"#,
            r#"{"data":{"getTodo":{"__typename":"Todo","id":"1","name":"n"}},}"#,
            r#"{"data":{"getTodo":null},"data":{"getTodo":null}}"#,
        ];
        let policies = [
            FetchPolicy::CacheAndNetwork,
            FetchPolicy::NetworkOnly,
            FetchPolicy::NoCache,
        ];
        for body in bad {
            for policy in policies {
                let (result, cached) = query_answered(body, policy).await;
                assert_eq!(
                    result.unwrap_err().code(),
                    "INVALID_RESPONSE",
                    "{policy:?} {body}"
                );
                assert_eq!(cached, None, "{policy:?} {body}");
            }
            let client = client_answering(&body.replace("getTodo", "updateTodo"));
            let e = client
                .mutate_text(GraphQLRequest::new(
                    r#"mutation { updateTodo(input: {id: "1"}) { id name } }"#,
                ))
                .await
                .unwrap_err();
            assert_eq!(e.code(), "INVALID_RESPONSE", "mutation {body}");
        }
        // The same document and a valid body: answered and cached, the text as sent.
        let body = r#"{"data":{"getTodo":{"__typename":"Todo","id":"1","name":"\u00e9","extra":[1e300]}}}"#;
        for policy in policies {
            let (result, cached) = query_answered(body, policy).await;
            assert_eq!(
                result.unwrap().data_text(),
                Some(
                    r#"{"getTodo":{"__typename":"Todo","id":"1","name":"\u00e9","extra":[1e300]}}"#
                )
            );
            assert_eq!(cached.is_some(), policy != FetchPolicy::NoCache);
        }
    }

    /// Built without the cache, a query under any policy but cache-only is the network's answer
    /// (its data checked before it is returned), a mutation too, and cache-only misses.
    #[cfg(not(feature = "offline"))]
    #[tokio::test]
    async fn without_the_cache_queries_ask_the_network_and_cache_only_misses() {
        const GET: &str = r#"query Get { getTodo(id: "1") { id name } }"#;
        let client = client_answering(r#"{"data":{"getTodo":{"id":"1","name":"\u00e9"}}}"#);
        for policy in [
            FetchPolicy::CacheFirst,
            FetchPolicy::CacheAndNetwork,
            FetchPolicy::NetworkOnly,
            FetchPolicy::NoCache,
        ] {
            let request = GraphQLRequest {
                fetch_policy: policy,
                ..GraphQLRequest::new(GET)
            };
            let response = client.query_text(request).await.unwrap();
            assert_eq!(
                response.data_text(),
                Some(r#"{"getTodo":{"id":"1","name":"\u00e9"}}"#),
                "{policy:?}"
            );
        }
        let cache_only = |error_policy| GraphQLRequest {
            fetch_policy: FetchPolicy::CacheOnly,
            error_policy,
            ..GraphQLRequest::new(GET)
        };
        match client.query(cache_only(ErrorPolicy::None)).await {
            Err(AppSyncError::GraphQl { errors, data: None }) => {
                assert_eq!(errors[0].error_type.as_deref(), Some("CacheMiss"));
                assert!(errors[0].message.contains("`Get`"), "{}", errors[0].message);
            }
            other => panic!("{other:?}"),
        }
        let missed = client.query(cache_only(ErrorPolicy::All)).await.unwrap();
        assert_eq!((missed.data, missed.errors.len()), (None, 1));
        let bad = client_answering(r#"{"data":{"getTodo":{"id":"1","name":"\ud800"}}}"#);
        let e = bad.query_text(GraphQLRequest::new(GET)).await.unwrap_err();
        assert_eq!(e.code(), "INVALID_RESPONSE");
        let e = bad
            .mutate_text(GraphQLRequest::new(r#"mutation { m { id } }"#))
            .await
            .unwrap_err();
        assert_eq!(e.code(), "INVALID_RESPONSE");
    }

    #[test]
    fn garbage_bodies_are_invalid_responses() {
        for body in ["<html>", "", "[]", "{}", r#"{"data":null}"#, r#"[{"a":1}]"#] {
            let e = interpret(response(200, body), ErrorPolicy::None, Check::Now).unwrap_err();
            assert_eq!(e.code(), "INVALID_RESPONSE", "{body}");
        }
        let mut not_utf8 = response(200, r#"{"data":{"a":"?"}}"#);
        not_utf8.body[13] = 0xff;
        let e = interpret(not_utf8, ErrorPolicy::None, Check::Now).unwrap_err();
        assert_eq!(e.code(), "INVALID_RESPONSE");
    }

    #[test]
    fn simulator_error_message_is_a_graphql_error() {
        let e = interpret(
            response(200, r#"{"errorMessage":"Syntax Error"}"#),
            ErrorPolicy::None,
            Check::Now,
        )
        .unwrap_err();
        assert_eq!(e.code(), "GRAPHQL");
    }

    #[test]
    fn http_errors_keep_status_type_and_body() {
        let mut r = response(
            401,
            r#"{"errors":[{"errorType":"UnauthorizedException","message":"You are not authorized"}]}"#,
        );
        r.headers.push((
            "x-amzn-errortype".into(),
            "UnauthorizedException:http://internal".into(),
        ));
        match interpret(r, ErrorPolicy::None, Check::Now).unwrap_err() {
            AppSyncError::Http {
                status,
                error_type,
                message,
                body,
                ..
            } => {
                assert_eq!(status, 401);
                assert_eq!(error_type.as_deref(), Some("UnauthorizedException"));
                assert_eq!(message, "You are not authorized");
                assert!(body.contains("errors"));
            }
            other => panic!("{other:?}"),
        }
        let e = interpret(
            response(503, "upstream down"),
            ErrorPolicy::None,
            Check::Now,
        )
        .unwrap_err();
        assert!(e.is_transient());
        assert_eq!(e.code(), "HTTP");
    }
}
