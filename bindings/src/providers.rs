//! Credentials from the host: foreign traits the app implements in Kotlin or Swift, adapted to
//! the core's provider traits.

use crate::error::ProviderException;
use appsync_core as core;
use appsync_core::runtime::BoxFuture;
use std::collections::HashMap;
use std::sync::Arc;

/// A bearer token and when it expires (epoch ms), if known.
#[derive(Debug, Clone, uniffi::Record)]
pub struct AuthToken {
    pub token: String,
    #[uniffi(default = None)]
    pub expires_at_ms: Option<i64>,
}

/// AWS credentials for IAM.
#[derive(Clone, uniffi::Record)]
pub struct AwsCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    #[uniffi(default = None)]
    pub session_token: Option<String>,
    #[uniffi(default = None)]
    pub expires_at_ms: Option<i64>,
}

impl std::fmt::Debug for AwsCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsCredentials")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

/// Gives tokens for Cognito user pools, OIDC or Lambda auth. `force_refresh` is true when the
/// last token was rejected or is expiring.
#[uniffi::export(with_foreign)]
#[async_trait::async_trait]
pub trait TokenProvider: Send + Sync {
    async fn token(&self, force_refresh: bool) -> Result<AuthToken, ProviderException>;
}

/// Gives AWS credentials for IAM (SigV4).
#[uniffi::export(with_foreign)]
#[async_trait::async_trait]
pub trait CredentialsProvider: Send + Sync {
    async fn credentials(&self, force_refresh: bool) -> Result<AwsCredentials, ProviderException>;
}

/// Adds headers to every request.
#[uniffi::export(with_foreign)]
#[async_trait::async_trait]
pub trait HeaderProvider: Send + Sync {
    async fn headers(&self) -> Result<HashMap<String, String>, ProviderException>;
}

/// The providers a client uses; any may be absent.
#[derive(Clone, Default, uniffi::Record)]
pub struct AuthProviders {
    #[uniffi(default = None)]
    pub user_pools: Option<Arc<dyn TokenProvider>>,
    #[uniffi(default = None)]
    pub oidc: Option<Arc<dyn TokenProvider>>,
    #[uniffi(default = None)]
    pub lambda: Option<Arc<dyn TokenProvider>>,
    #[uniffi(default = None)]
    pub iam: Option<Arc<dyn CredentialsProvider>>,
    #[uniffi(default = None)]
    pub headers: Option<Arc<dyn HeaderProvider>>,
}

impl std::fmt::Debug for AuthProviders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthProviders").finish_non_exhaustive()
    }
}

fn provider_error(e: ProviderException) -> core::ProviderError {
    core::ProviderError::new(e.to_string())
}

struct Tokens(Arc<dyn TokenProvider>);
struct Credentials(Arc<dyn CredentialsProvider>);
struct Headers(Arc<dyn HeaderProvider>);

impl core::auth::TokenProvider for Tokens {
    fn token(
        &self,
        force_refresh: bool,
    ) -> BoxFuture<'_, Result<core::AuthToken, core::ProviderError>> {
        Box::pin(async move {
            let t = self.0.token(force_refresh).await.map_err(provider_error)?;
            Ok(core::AuthToken {
                token: t.token,
                expires_at_ms: t.expires_at_ms,
            })
        })
    }
}

impl core::auth::CredentialsProvider for Credentials {
    fn credentials(
        &self,
        force_refresh: bool,
    ) -> BoxFuture<'_, Result<core::AwsCredentials, core::ProviderError>> {
        Box::pin(async move {
            let c = self
                .0
                .credentials(force_refresh)
                .await
                .map_err(provider_error)?;
            Ok(core::AwsCredentials {
                access_key_id: c.access_key_id,
                secret_access_key: c.secret_access_key,
                session_token: c.session_token,
                expires_at_ms: c.expires_at_ms,
            })
        })
    }
}

impl core::auth::HeaderProvider for Headers {
    fn headers(&self) -> BoxFuture<'_, Result<Vec<(String, String)>, core::ProviderError>> {
        Box::pin(async move {
            Ok(self
                .0
                .headers()
                .await
                .map_err(provider_error)?
                .into_iter()
                .collect())
        })
    }
}

impl From<AuthProviders> for core::AuthProviders {
    fn from(p: AuthProviders) -> Self {
        core::AuthProviders {
            user_pools: p
                .user_pools
                .map(|t| Arc::new(Tokens(t)) as Arc<dyn core::auth::TokenProvider>),
            oidc: p
                .oidc
                .map(|t| Arc::new(Tokens(t)) as Arc<dyn core::auth::TokenProvider>),
            lambda: p
                .lambda
                .map(|t| Arc::new(Tokens(t)) as Arc<dyn core::auth::TokenProvider>),
            iam: p
                .iam
                .map(|c| Arc::new(Credentials(c)) as Arc<dyn core::auth::CredentialsProvider>),
            headers: p
                .headers
                .map(|h| Arc::new(Headers(h)) as Arc<dyn core::auth::HeaderProvider>),
        }
    }
}
