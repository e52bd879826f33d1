//! What the host app implements to hand the core its credentials: token providers (Cognito user
//! pools, OIDC, Lambda), an AWS credentials provider (IAM) and a custom header provider. Each is
//! async, and each may be asked to refresh (`force_refresh`) after the server rejected what it gave.

use crate::runtime::{BoxFuture, SendOutsideWasm, SendSyncOutsideWasm};
use std::fmt;
use std::future::Future;
use std::sync::Arc;

/// A bearer token and, when known, when it stops being valid.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthToken {
    pub token: String,
    /// Epoch milliseconds. `None`: read from the JWT's `exp` if it is a JWT, else never expires.
    pub expires_at_ms: Option<i64>,
}

impl AuthToken {
    pub fn new(token: impl Into<String>) -> Self {
        AuthToken {
            token: token.into(),
            expires_at_ms: None,
        }
    }
    pub fn expiring_at(token: impl Into<String>, expires_at_ms: i64) -> Self {
        AuthToken {
            token: token.into(),
            expires_at_ms: Some(expires_at_ms),
        }
    }
}

impl fmt::Debug for AuthToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthToken")
            .field("token", &"<redacted>")
            .field("expires_at_ms", &self.expires_at_ms)
            .finish()
    }
}

/// AWS credentials for SigV4.
#[derive(Clone, PartialEq, Eq)]
pub struct AwsCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
    /// Epoch milliseconds; `None` for long-lived keys.
    pub expires_at_ms: Option<i64>,
}

impl fmt::Debug for AwsCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<redacted>"),
            )
            .field("expires_at_ms", &self.expires_at_ms)
            .finish()
    }
}

/// A provider could not produce a credential. The message is the host's and reaches the app.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ProviderError {
    pub message: String,
}

impl ProviderError {
    pub fn new(message: impl Into<String>) -> Self {
        ProviderError {
            message: message.into(),
        }
    }
}

/// Gives tokens for user pools, OIDC or Lambda auth.
pub trait TokenProvider: SendSyncOutsideWasm {
    /// `force_refresh` is true when the last token was rejected or expired: fetch a new one.
    fn token(&self, force_refresh: bool) -> BoxFuture<'_, Result<AuthToken, ProviderError>>;
}

/// Gives AWS credentials for IAM auth.
pub trait CredentialsProvider: SendSyncOutsideWasm {
    fn credentials(
        &self,
        force_refresh: bool,
    ) -> BoxFuture<'_, Result<AwsCredentials, ProviderError>>;
}

/// Adds headers to every request (custom headers, tracing ids, ...). Called for each request.
pub trait HeaderProvider: SendSyncOutsideWasm {
    fn headers(&self) -> BoxFuture<'_, Result<Vec<(String, String)>, ProviderError>>;
}

/// A token provider from an async closure.
pub struct TokenFn<F>(pub F);
/// A credentials provider from an async closure.
pub struct CredentialsFn<F>(pub F);
/// A header provider from an async closure.
pub struct HeadersFn<F>(pub F);

impl<F> fmt::Debug for TokenFn<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenFn")
    }
}
impl<F> fmt::Debug for CredentialsFn<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CredentialsFn")
    }
}
impl<F> fmt::Debug for HeadersFn<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HeadersFn")
    }
}

impl<F, Fut> TokenProvider for TokenFn<F>
where
    F: Fn(bool) -> Fut + SendSyncOutsideWasm,
    Fut: Future<Output = Result<AuthToken, ProviderError>> + SendOutsideWasm + 'static,
{
    fn token(&self, force_refresh: bool) -> BoxFuture<'_, Result<AuthToken, ProviderError>> {
        Box::pin((self.0)(force_refresh))
    }
}

impl<F, Fut> CredentialsProvider for CredentialsFn<F>
where
    F: Fn(bool) -> Fut + SendSyncOutsideWasm,
    Fut: Future<Output = Result<AwsCredentials, ProviderError>> + SendOutsideWasm + 'static,
{
    fn credentials(
        &self,
        force_refresh: bool,
    ) -> BoxFuture<'_, Result<AwsCredentials, ProviderError>> {
        Box::pin((self.0)(force_refresh))
    }
}

impl<F, Fut> HeaderProvider for HeadersFn<F>
where
    F: Fn() -> Fut + SendSyncOutsideWasm,
    Fut: Future<Output = Result<Vec<(String, String)>, ProviderError>> + SendOutsideWasm + 'static,
{
    fn headers(&self) -> BoxFuture<'_, Result<Vec<(String, String)>, ProviderError>> {
        Box::pin((self.0)())
    }
}

/// A token that never changes (tests, CLI `--token`).
#[derive(Debug, Clone)]
pub struct StaticToken(pub AuthToken);

impl TokenProvider for StaticToken {
    fn token(&self, _force_refresh: bool) -> BoxFuture<'_, Result<AuthToken, ProviderError>> {
        let token = self.0.clone();
        Box::pin(async move { Ok(token) })
    }
}

/// Credentials that never change (tests, CLI from the environment).
#[derive(Debug, Clone)]
pub struct StaticCredentials(pub AwsCredentials);

impl CredentialsProvider for StaticCredentials {
    fn credentials(
        &self,
        _force_refresh: bool,
    ) -> BoxFuture<'_, Result<AwsCredentials, ProviderError>> {
        let credentials = self.0.clone();
        Box::pin(async move { Ok(credentials) })
    }
}

/// The providers a client uses, one per auth mode that needs one.
#[derive(Clone, Default)]
pub struct AuthProviders {
    pub user_pools: Option<Arc<dyn TokenProvider>>,
    pub oidc: Option<Arc<dyn TokenProvider>>,
    pub lambda: Option<Arc<dyn TokenProvider>>,
    pub iam: Option<Arc<dyn CredentialsProvider>>,
    pub headers: Option<Arc<dyn HeaderProvider>>,
}

impl fmt::Debug for AuthProviders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthProviders")
            .field("user_pools", &self.user_pools.is_some())
            .field("oidc", &self.oidc.is_some())
            .field("lambda", &self.lambda.is_some())
            .field("iam", &self.iam.is_some())
            .field("headers", &self.headers.is_some())
            .finish()
    }
}

impl AuthProviders {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn user_pools(mut self, provider: impl TokenProvider + 'static) -> Self {
        self.user_pools = Some(Arc::new(provider));
        self
    }
    pub fn oidc(mut self, provider: impl TokenProvider + 'static) -> Self {
        self.oidc = Some(Arc::new(provider));
        self
    }
    pub fn lambda(mut self, provider: impl TokenProvider + 'static) -> Self {
        self.lambda = Some(Arc::new(provider));
        self
    }
    pub fn iam(mut self, provider: impl CredentialsProvider + 'static) -> Self {
        self.iam = Some(Arc::new(provider));
        self
    }
    pub fn headers(mut self, provider: impl HeaderProvider + 'static) -> Self {
        self.headers = Some(Arc::new(provider));
        self
    }
}
