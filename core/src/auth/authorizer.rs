//! Turns an auth mode into headers: API key, bearer tokens from the providers, SigV4 with the
//! clock offset learned from the server, custom headers. It remembers which credential each
//! request used so a rejection refreshes exactly that one, once.

use super::cache::SingleFlight;
use super::jwt_expiry::jwt_expiry_ms;
use super::providers::{AuthProviders, AuthToken, AwsCredentials, TokenProvider};
use super::sigv4::{sign_request, SigningInput};
use super::AuthMode;
use crate::config::ClientConfig;
use crate::error::AppSyncError;
use crate::runtime::{BoxFuture, SendSyncOutsideWasm};
use std::fmt;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// The device clock in epoch milliseconds; replaceable for tests of a skewed device.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// Headers for one request, and which credential generation produced them.
#[derive(Debug, Clone)]
pub struct AppliedAuth {
    pub headers: Vec<(String, String)>,
    pub mode: AuthMode,
    /// When the credential behind these headers expires (epoch ms), if known: realtime
    /// connections reconnect before it.
    pub expires_at_ms: Option<i64>,
    generation: Option<u64>,
}

/// Produces auth headers for a client; shared by every request and connection of that client.
pub struct Authorizer {
    api_key: Option<String>,
    region: Option<String>,
    service: String,
    providers: AuthProviders,
    user_pools: SingleFlight<AuthToken>,
    oidc: SingleFlight<AuthToken>,
    lambda: SingleFlight<AuthToken>,
    iam: SingleFlight<AwsCredentials>,
    clock: Clock,
    clock_offset_ms: AtomicI64,
}

impl fmt::Debug for Authorizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authorizer")
            .field("providers", &self.providers)
            .field("clock_offset_ms", &self.clock_offset_ms)
            .finish_non_exhaustive()
    }
}

impl Authorizer {
    pub fn new(config: &ClientConfig, providers: AuthProviders, clock: Option<Clock>) -> Self {
        Authorizer {
            api_key: config.api_key.clone(),
            region: config.region.clone(),
            service: config.signing_service.clone(),
            providers,
            user_pools: SingleFlight::default(),
            oidc: SingleFlight::default(),
            lambda: SingleFlight::default(),
            iam: SingleFlight::default(),
            clock: clock.unwrap_or_else(|| Arc::new(crate::runtime::now_ms)),
            clock_offset_ms: AtomicI64::new(0),
        }
    }

    /// The device clock corrected by what the server told us (for signing).
    pub fn server_time_ms(&self) -> i64 {
        (self.clock)() + self.clock_offset_ms.load(Ordering::Relaxed)
    }

    /// Learns the offset between the device clock and the server's `Date`.
    pub fn learn_server_time(&self, server_ms: i64) {
        let offset = server_ms - (self.clock)();
        crate::log::info!(
            offset_ms = offset,
            "correcting the SigV4 clock from the server's Date"
        );
        self.clock_offset_ms.store(offset, Ordering::Relaxed);
    }

    /// Headers proving `mode` for a request (`headers` are the request's own, signed for IAM).
    /// Boxed: HTTP requests and realtime handshakes both await it, and one copy of its state
    /// machine serves both.
    pub fn authorize<'a>(
        &'a self,
        mode: AuthMode,
        method: &'a str,
        url: &'a str,
        headers: &'a [(String, String)],
        body: &'a [u8],
    ) -> BoxFuture<'a, Result<AppliedAuth, AppSyncError>> {
        Box::pin(self.authorize_now(mode, method, url, headers, body))
    }

    async fn authorize_now(
        &self,
        mode: AuthMode,
        method: &str,
        url: &str,
        headers: &[(String, String)],
        body: &[u8],
    ) -> Result<AppliedAuth, AppSyncError> {
        let mut applied = AppliedAuth {
            headers: Vec::new(),
            mode,
            expires_at_ms: None,
            generation: None,
        };
        match mode {
            AuthMode::None => {}
            AuthMode::ApiKey => {
                let key = self
                    .api_key
                    .as_ref()
                    .ok_or_else(|| auth_error(mode, "no API key is configured for this client"))?;
                applied.headers.push(("x-api-key".into(), key.clone()));
            }
            AuthMode::UserPools | AuthMode::Oidc | AuthMode::Lambda => {
                let (token, generation) = self.token(mode).await?;
                applied.expires_at_ms = token.expires_at_ms.or_else(|| jwt_expiry_ms(&token.token));
                applied.headers.push(("authorization".into(), token.token));
                applied.generation = Some(generation);
            }
            AuthMode::Iam => {
                let provider = self.providers.iam.as_ref().ok_or_else(|| {
                    auth_error(mode, "no AWS credentials provider is set for AWS_IAM")
                })?;
                let region = self
                    .region
                    .as_deref()
                    .ok_or_else(|| auth_error(mode, "AWS_IAM needs a region in the config"))?;
                let now = (self.clock)();
                let (credentials, generation) = self
                    .iam
                    .get(
                        now,
                        |force| provider.credentials(force),
                        |c| c.expires_at_ms,
                    )
                    .await
                    .map_err(|e| {
                        auth_error(mode, &format!("the credentials provider failed: {e}"))
                    })?;
                let input = SigningInput {
                    method,
                    url,
                    headers,
                    body,
                    region,
                    service: &self.service,
                    time_ms: self.server_time_ms(),
                };
                applied.headers =
                    sign_request(&credentials, &input).map_err(|e| auth_error(mode, &e))?;
                applied.expires_at_ms = credentials.expires_at_ms;
                applied.generation = Some(generation);
            }
        }
        Ok(applied)
    }

    /// Custom headers from the host's header provider (called on every request).
    pub async fn custom_headers(&self) -> Result<Vec<(String, String)>, AppSyncError> {
        match &self.providers.headers {
            None => Ok(Vec::new()),
            Some(provider) => provider.headers().await.map_err(|e| AppSyncError::Auth {
                mode: None,
                message: format!("the header provider failed: {e}"),
            }),
        }
    }

    /// Whether a rejection of `applied` can be cured by refreshing its credential.
    pub fn can_refresh(&self, applied: &AppliedAuth) -> bool {
        applied.generation.is_some()
    }

    /// Forces the next request of this mode to fetch a new credential, unless another request
    /// already did since `applied` was produced.
    pub async fn invalidate(&self, applied: &AppliedAuth) {
        let Some(generation) = applied.generation else {
            return;
        };
        match applied.mode {
            AuthMode::UserPools => self.user_pools.invalidate(generation).await,
            AuthMode::Oidc => self.oidc.invalidate(generation).await,
            AuthMode::Lambda => self.lambda.invalidate(generation).await,
            AuthMode::Iam => self.iam.invalidate(generation).await,
            AuthMode::ApiKey | AuthMode::None => {}
        }
    }

    async fn token(&self, mode: AuthMode) -> Result<(AuthToken, u64), AppSyncError> {
        let (provider, cache): (&Option<Arc<dyn TokenProvider>>, _) = match mode {
            AuthMode::UserPools => (&self.providers.user_pools, &self.user_pools),
            AuthMode::Oidc => (&self.providers.oidc, &self.oidc),
            _ => (&self.providers.lambda, &self.lambda),
        };
        let provider = provider
            .as_ref()
            .ok_or_else(|| auth_error(mode, &format!("no token provider is set for {mode}")))?;
        let now = (self.clock)();
        cache
            .get(
                now,
                |force| provider.token(force),
                |t| t.expires_at_ms.or_else(|| jwt_expiry_ms(&t.token)),
            )
            .await
            .map_err(|e| auth_error(mode, &format!("the token provider failed: {e}")))
    }
}

fn auth_error(mode: AuthMode, message: &str) -> AppSyncError {
    AppSyncError::Auth {
        mode: Some(mode),
        message: message.to_owned(),
    }
}

// The authorizer is shared across tasks natively.
#[allow(dead_code)]
fn assert_shareable() {
    fn is<T: SendSyncOutsideWasm>() {}
    is::<Authorizer>();
}
