//! The HTTP server: one port for GraphQL (`/graphql`), the JWKS (`/.well-known/jwks.json`) and
//! the control endpoints under the reserved `/__mock/` prefix (faults, clock, tokens, config).
//! Its own accept loop (hyper) lets fault injection drop a connection without an answer.

use crate::api::execute::{malformed, GraphQLBody};
use crate::api::{Api, ApiOptions};
use crate::auth::jwt::JwtKeys;
use crate::auth::{appsync_name, AuthFailure, Authenticator, Presented};
use crate::clock::MockClock;
use crate::config::MockConfig;
use crate::data::Data;
use crate::faults::{FaultAction, FaultRequest, Faults};
use crate::schema::AuthMode;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode};
use axum::routing::{get, post};
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::ServiceExt;

/// The server could not start.
#[derive(Debug, thiserror::Error)]
pub enum MockError {
    #[error("schema: {0}")]
    Schema(#[from] crate::schema::SchemaError),
    #[error("data: {0}")]
    Data(#[from] crate::data::DataError),
    #[error("JWT key: {0}")]
    Key(String),
    #[error("cannot listen on {addr}: {message}")]
    Bind { addr: SocketAddr, message: String },
    #[error("{0}")]
    Other(String),
}

/// Everything a request handler needs.
#[derive(Debug)]
pub struct Shared {
    pub api: Api,
    pub auth: Authenticator,
    pub faults: Faults,
    pub max_body_bytes: usize,
    pub realtime: crate::realtime::RealtimeSettings,
    pub realtime_stats: crate::realtime::RealtimeStats,
    requests: Mutex<VecDeque<RecordedRequest>>,
}

/// How many GraphQL requests the server remembers for tests.
const RECORDED_REQUESTS: usize = 256;

/// A GraphQL request as it reached the server (for tests of what a client sends).
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// Lower-case names, as received.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl RecordedRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A running server. Dropping it stops it.
#[derive(Debug)]
pub struct MockServer {
    addr: SocketAddr,
    tls: bool,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
}

impl Drop for MockServer {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// A key pair shared by servers without a configured or persisted key, so tests that start
/// many servers generate RSA keys once per process.
fn process_key() -> Result<JwtKeys, MockError> {
    static KEY: OnceLock<Result<String, String>> = OnceLock::new();
    let pem = KEY.get_or_init(|| {
        JwtKeys::generate()
            .and_then(|k| k.to_pkcs8_pem())
            .map_err(|e| e.to_string())
    });
    match pem {
        Ok(pem) => JwtKeys::from_pkcs8_pem(pem).map_err(|e| MockError::Key(e.to_string())),
        Err(e) => Err(MockError::Key(e.clone())),
    }
}

impl MockServer {
    /// Starts a server in the current tokio runtime.
    pub async fn start(config: MockConfig) -> Result<MockServer, MockError> {
        let schema = crate::schema::parse_model_schema(&config.schema_sdl)?;
        let data = match &config.data_file {
            Some(path) => Data::open(path)?,
            None => Data::in_memory(),
        };
        let keys = match (
            config.jwt_key_pem.clone(),
            data.meta("jwt_private_key_pem")?,
        ) {
            (Some(pem), _) | (None, Some(pem)) => {
                JwtKeys::from_pkcs8_pem(&pem).map_err(|e| MockError::Key(e.to_string()))?
            }
            (None, None) if config.data_file.is_some() => {
                let keys = JwtKeys::generate().map_err(|e| MockError::Key(e.to_string()))?;
                let pem = keys
                    .to_pkcs8_pem()
                    .map_err(|e| MockError::Key(e.to_string()))?;
                data.set_meta("jwt_private_key_pem", &pem)?;
                keys
            }
            (None, None) => process_key()?,
        };
        let options = ApiOptions {
            conflict: config.conflict,
            default_mode: config.auth.default_mode,
            delta_ttl_ms: config.delta_ttl_ms,
            tombstone_ttl_ms: config.tombstone_ttl_ms,
        };
        let api =
            Api::new(schema, options, data, MockClock::default()).map_err(MockError::Other)?;
        let shared = Arc::new(Shared {
            api,
            auth: Authenticator {
                settings: config.auth.clone(),
                keys,
            },
            faults: Faults::default(),
            max_body_bytes: config.max_body_bytes,
            realtime: crate::realtime::RealtimeSettings {
                connection_timeout_ms: config.connection_timeout_ms,
                ka_interval_ms: config.ka_interval_ms,
                max_subscriptions: config.max_subscriptions_per_connection,
            },
            realtime_stats: crate::realtime::RealtimeStats::default(),
            requests: Mutex::new(VecDeque::new()),
        });
        let listener = TcpListener::bind(config.bind)
            .await
            .map_err(|e| MockError::Bind {
                addr: config.bind,
                message: e.to_string(),
            })?;
        let addr = listener.local_addr().map_err(|e| MockError::Bind {
            addr: config.bind,
            message: e.to_string(),
        })?;
        let acceptor = match &config.tls {
            Some(identity) => Some(
                identity
                    .acceptor()
                    .map_err(|e| MockError::Other(e.to_string()))?,
            ),
            None => None,
        };
        let tls = acceptor.is_some();
        let (stop, stopped) = watch::channel(false);
        tokio::spawn(accept_loop(
            listener,
            acceptor,
            router(shared.clone()),
            shared.clone(),
            stopped,
        ));
        tracing::info!(%addr, tls, "mock AppSync listening");
        Ok(MockServer {
            addr,
            tls,
            shared,
            stop,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>/graphql` (`https` with TLS).
    pub fn graphql_url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}/graphql", self.addr)
    }

    /// `ws://127.0.0.1:<port>/graphql/realtime` (`wss` with TLS).
    pub fn realtime_url(&self) -> String {
        let scheme = if self.tls { "wss" } else { "ws" };
        format!("{scheme}://{}/graphql/realtime", self.addr)
    }

    pub fn api(&self) -> &Api {
        &self.shared.api
    }

    pub fn faults(&self) -> &Faults {
        &self.shared.faults
    }

    pub fn clock(&self) -> &MockClock {
        &self.shared.api.clock
    }

    pub fn auth(&self) -> &Authenticator {
        &self.shared.auth
    }

    /// The first configured API key.
    pub fn api_key(&self) -> Option<&str> {
        self.shared
            .auth
            .settings
            .api_keys
            .first()
            .map(|k| k.key.as_str())
    }

    /// Mints a token for `mode` (user pools or OIDC) with the given claims on top of sensible
    /// defaults (`sub`, `iss`, audience, `iat`, `exp` one hour from the server's now).
    pub fn mint_token(&self, mode: AuthMode, extra_claims: &Value) -> Result<String, MockError> {
        mint(&self.shared, mode, extra_claims)
    }

    /// What the realtime endpoint has seen (handshakes, active subscriptions, stops).
    pub fn realtime_stats(&self) -> &crate::realtime::RealtimeStats {
        &self.shared.realtime_stats
    }

    /// The GraphQL requests received so far (the most recent 256), oldest first.
    pub fn recorded_requests(&self) -> Vec<RecordedRequest> {
        self.shared
            .requests
            .lock()
            .map(|r| r.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Stops accepting connections.
    pub fn shutdown(&self) {
        let _ = self.stop.send(true);
    }

    /// `amplify_outputs.json` (Gen 2) for this server.
    pub fn amplify_outputs(&self) -> Value {
        amplify_outputs(&self.shared, &self.graphql_url())
    }

    /// `amplifyconfiguration.json` (Gen 1: flat keys and the native plugin form) for this server.
    pub fn amplify_configuration(&self) -> Value {
        let s = &self.shared.auth.settings;
        let url = self.graphql_url();
        json!({
            "aws_project_region": s.region,
            "aws_appsync_graphqlEndpoint": url,
            "aws_appsync_region": s.region,
            "aws_appsync_authenticationType": appsync_name(s.default_mode),
            "aws_appsync_apiKey": self.api_key(),
            "api": {"plugins": {"awsAPIPlugin": {"appsyncMock": {
                "endpointType": "GraphQL",
                "endpoint": url,
                "region": s.region,
                "authorizationType": appsync_name(s.default_mode),
                "apiKey": self.api_key(),
            }}}}
        })
    }
}

fn amplify_outputs(shared: &Shared, url: &str) -> Value {
    let s = &shared.auth.settings;
    json!({
        "version": "1.3",
        "data": {
            "url": url,
            "aws_region": s.region,
            "api_key": s.api_keys.first().map(|k| k.key.clone()),
            "default_authorization_type": appsync_name(s.default_mode),
            "authorization_types": s.additional_modes.iter().map(|m| appsync_name(*m)).collect::<Vec<_>>(),
        }
    })
}

fn mint(shared: &Shared, mode: AuthMode, extra: &Value) -> Result<String, MockError> {
    let s = &shared.auth.settings;
    let issuer = match mode {
        AuthMode::UserPools => &s.user_pool,
        AuthMode::Oidc => &s.oidc,
        other => {
            return Err(MockError::Other(format!(
                "{} does not use JWTs",
                appsync_name(other)
            )))
        }
    };
    let now = shared.api.clock.now_secs();
    let mut claims = json!({
        "sub": "mock-user",
        "iss": issuer.issuer,
        "iat": now,
        "exp": now + 3600,
        "token_use": "id",
        "cognito:username": "mock-user",
    });
    if let Some(aud) = &issuer.client_id {
        claims["aud"] = json!(aud);
    }
    if let (Value::Object(base), Value::Object(extra)) = (&mut claims, extra) {
        for (k, v) in extra {
            base.insert(k.clone(), v.clone());
        }
    }
    shared
        .auth
        .keys
        .mint(&claims)
        .map_err(|e| MockError::Key(e.to_string()))
}

async fn accept_loop(
    listener: TcpListener,
    acceptor: Option<tokio_rustls::TlsAcceptor>,
    router: Router,
    shared: Arc<Shared>,
    mut stopped: watch::Receiver<bool>,
) {
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stopped.changed() => return,
        };
        let Ok((stream, _peer)) = accepted else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let (router, shared, stopped) = (router.clone(), shared.clone(), stopped.clone());
        match &acceptor {
            None => {
                tokio::spawn(serve_connection(stream, router, shared, stopped));
            }
            Some(acceptor) => {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    // A failed handshake (a plain-http client, an untrusting one) only ends
                    // that connection.
                    match acceptor.accept(stream).await {
                        Ok(tls) => serve_connection(tls, router, shared, stopped).await,
                        Err(e) => tracing::debug!(error = %e, "TLS handshake failed"),
                    }
                });
            }
        }
    }
}

async fn serve_connection<I>(
    io: I,
    router: Router,
    shared: Arc<Shared>,
    mut stopped: watch::Receiver<bool>,
) where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
        let router = router.clone();
        let shared = shared.clone();
        async move { serve(request, router, shared).await }
    });
    let connection = hyper::server::conn::http1::Builder::new()
        .serve_connection(TokioIo::new(io), service)
        .with_upgrades();
    tokio::select! {
        _ = connection => {}
        _ = stopped.changed() => {}
    }
}

/// Dropping the connection is how a reset fault answers.
#[derive(Debug)]
struct ResetConnection;
impl std::fmt::Display for ResetConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection reset by fault injection")
    }
}
impl std::error::Error for ResetConnection {}

async fn serve(
    request: Request<Incoming>,
    router: Router,
    shared: Arc<Shared>,
) -> Result<Response<Body>, ResetConnection> {
    let is_graphql = request.uri().path() == "/graphql" && request.method() == Method::POST;
    let mut request = request.map(Body::new);
    if is_graphql {
        let action = shared.faults.next_action();
        if action == FaultAction::Reset {
            return Err(ResetConnection);
        }
        request.extensions_mut().insert(action);
    }
    let preflight = request.method() == Method::OPTIONS;
    let requested_headers = request
        .headers()
        .get("access-control-request-headers")
        .cloned();
    let mut response = if preflight {
        let mut r = Response::new(Body::empty());
        *r.status_mut() = StatusCode::NO_CONTENT;
        r
    } else {
        match router.oneshot(request).await {
            Ok(r) => r,
            Err(never) => match never {},
        }
    };
    let headers = response.headers_mut();
    headers.insert("access-control-allow-origin", HeaderValue::from_static("*"));
    headers.insert(
        "access-control-expose-headers",
        HeaderValue::from_static("x-amzn-ErrorType, Date, Retry-After"),
    );
    if preflight {
        headers.insert(
            "access-control-allow-methods",
            HeaderValue::from_static("GET, POST, DELETE, OPTIONS"),
        );
        headers.insert(
            "access-control-allow-headers",
            requested_headers.unwrap_or_else(|| HeaderValue::from_static("*")),
        );
        headers.insert("access-control-max-age", HeaderValue::from_static("600"));
    }
    // The server's clock (movable in tests) is the one clients learn skew from.
    let date = httpdate::fmt_http_date(
        std::time::UNIX_EPOCH
            + std::time::Duration::from_millis(shared.api.clock.now_ms().max(0) as u64),
    );
    if let Ok(value) = HeaderValue::from_str(&date) {
        headers.insert("date", value);
    }
    Ok(response)
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/graphql", post(graphql))
        .route("/graphql/realtime", get(crate::realtime::realtime))
        .route("/.well-known/jwks.json", get(jwks))
        .route(
            "/__mock/faults",
            get(faults_get).post(faults_post).delete(faults_delete),
        )
        .route("/__mock/clock", get(clock_get).post(clock_post))
        .route("/__mock/token", post(token_post))
        .route("/__mock/config", get(config_get))
        .route("/__mock/schema", get(schema_get))
        .with_state(shared)
}

fn json_response(status: u16, body: &Value) -> Response<Body> {
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(
        "content-type",
        HeaderValue::from_static("application/json; charset=UTF-8"),
    );
    response
}

fn error_response(status: u16, error_type: &str, message: &str) -> Response<Body> {
    let mut response = json_response(
        status,
        &json!({"errors": [{"errorType": error_type, "message": message}]}),
    );
    if let Ok(v) = HeaderValue::from_str(error_type) {
        response.headers_mut().insert("x-amzn-ErrorType", v);
    }
    response
}

fn fault_response(status: u16, retry_after: Option<u32>) -> Response<Body> {
    let (error_type, message) = match status {
        401 => (
            "UnauthorizedException",
            "You are not authorized to make this call. (injected)",
        ),
        429 => ("TooManyRequestsException", "Rate exceeded (injected)"),
        s if s >= 500 => ("InternalFailure", "An internal failure occurred (injected)"),
        _ => ("BadRequestException", "Injected failure"),
    };
    let mut response = error_response(status, error_type, message);
    if let Some(secs) = retry_after {
        response
            .headers_mut()
            .insert("retry-after", HeaderValue::from(secs));
    }
    response
}

async fn graphql(State(shared): State<Arc<Shared>>, request: Request<Body>) -> Response<Body> {
    let action = request
        .extensions()
        .get::<FaultAction>()
        .cloned()
        .unwrap_or(FaultAction::Proceed);
    let latency = shared.faults.latency();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    match action {
        FaultAction::Fail(spec) => return fault_response(spec.status, spec.retry_after),
        FaultAction::Answer(body) => {
            let mut response = Response::new(Body::from(body));
            response
                .headers_mut()
                .insert("content-type", HeaderValue::from_static("application/json"));
            return response;
        }
        FaultAction::Proceed | FaultAction::Reset => {}
    }
    let (parts, body) = request.into_parts();
    let bytes: Bytes = match axum::body::to_bytes(body, shared.max_body_bytes).await {
        Ok(b) => b,
        Err(_) => {
            return error_response(
                413,
                "PayloadTooLargeException",
                &format!(
                    "The request body is larger than {} bytes",
                    shared.max_body_bytes
                ),
            )
        }
    };
    let headers = header_pairs(&parts.headers);
    if let Ok(mut log) = shared.requests.lock() {
        if log.len() == RECORDED_REQUESTS {
            log.pop_front();
        }
        log.push_back(RecordedRequest {
            headers: headers.clone(),
            body: String::from_utf8_lossy(&bytes).into_owned(),
        });
    }
    let presented = Presented {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query().unwrap_or(""),
        headers: &headers,
        body: &bytes,
    };
    let mode = match shared
        .auth
        .authenticate(&presented, shared.api.clock.now_ms())
    {
        Ok(mode) => mode,
        Err(AuthFailure {
            status,
            error_type,
            message,
        }) => {
            tracing::debug!(%error_type, "request rejected");
            return error_response(status, &error_type, &message);
        }
    };
    let body: GraphQLBody = match serde_json::from_slice(&bytes) {
        Ok(b) => b,
        Err(e) => {
            let outcome = malformed(&format!(
                "The request body is not a GraphQL JSON request: {e}"
            ));
            return json_response(outcome.status, &outcome.body);
        }
    };
    let outcome = shared.api.execute(&body, mode);
    json_response(outcome.status, &outcome.body)
}

fn header_pairs(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

async fn jwks(State(shared): State<Arc<Shared>>) -> Response<Body> {
    json_response(200, &shared.auth.keys.jwks())
}

async fn faults_get(State(shared): State<Arc<Shared>>) -> Response<Body> {
    json_response(200, &shared.faults.snapshot())
}

async fn faults_post(State(shared): State<Arc<Shared>>, body: Bytes) -> Response<Body> {
    match serde_json::from_slice::<FaultRequest>(&body) {
        Ok(request) => {
            shared.faults.apply(&request);
            json_response(200, &shared.faults.snapshot())
        }
        Err(e) => error_response(
            400,
            "BadRequestException",
            &format!("invalid fault document: {e}"),
        ),
    }
}

async fn faults_delete(State(shared): State<Arc<Shared>>) -> Response<Body> {
    shared.faults.clear();
    json_response(200, &shared.faults.snapshot())
}

async fn clock_get(State(shared): State<Arc<Shared>>) -> Response<Body> {
    json_response(200, &json!({"nowMs": shared.api.clock.now_ms()}))
}

async fn clock_post(State(shared): State<Arc<Shared>>, body: Bytes) -> Response<Body> {
    let advance = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.get("advanceMs").and_then(Value::as_i64));
    match advance {
        Some(ms) => {
            shared.api.clock.advance_ms(ms);
            json_response(200, &json!({"nowMs": shared.api.clock.now_ms()}))
        }
        None => error_response(
            400,
            "BadRequestException",
            "expected {\"advanceMs\": <integer>}",
        ),
    }
}

/// `POST /__mock/token {"provider": "userPools"|"oidc", "claims": {...}, "expiresIn": secs}`.
async fn token_post(State(shared): State<Arc<Shared>>, body: Bytes) -> Response<Body> {
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let mode = match request
        .get("provider")
        .and_then(Value::as_str)
        .unwrap_or("userPools")
    {
        "userPools" | "user-pools" => AuthMode::UserPools,
        "oidc" => AuthMode::Oidc,
        other => {
            return error_response(
                400,
                "BadRequestException",
                &format!("unknown provider {other}"),
            )
        }
    };
    let mut claims = request.get("claims").cloned().unwrap_or_else(|| json!({}));
    if let Some(secs) = request.get("expiresIn").and_then(Value::as_i64) {
        claims["exp"] = json!(shared.api.clock.now_secs() + secs);
    }
    match mint(&shared, mode, &claims) {
        Ok(token) => json_response(200, &json!({"token": token})),
        Err(e) => error_response(400, "BadRequestException", &e.to_string()),
    }
}

async fn config_get(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response<Body> {
    let host = headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    json_response(
        200,
        &amplify_outputs(&shared, &format!("http://{host}/graphql")),
    )
}

async fn schema_get(State(shared): State<Arc<Shared>>) -> Response<Body> {
    let mut response = Response::new(Body::from(shared.api.sdl.clone()));
    response.headers_mut().insert(
        "content-type",
        HeaderValue::from_static("text/plain; charset=UTF-8"),
    );
    response
}
