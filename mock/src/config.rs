//! How a mock server is set up: schema, conflict mode, enabled auth modes and their
//! credentials, persistence, TTLs and the address to listen on. Defaults give a server every
//! test can use: all five auth modes with well-known local credentials.

use crate::auth::sigv4::AwsCredentialsEntry;
use crate::auth::{ApiKey, AuthSettings, JwtIssuer};
use crate::schema::{AuthMode, ConflictMode};
use std::net::SocketAddr;
use std::path::PathBuf;

/// The API key a default server accepts.
pub const DEFAULT_API_KEY: &str = "da2-mockapikey000000000000000";
/// The IAM access key id a default server accepts.
pub const DEFAULT_ACCESS_KEY_ID: &str = "AKIAMOCKACCESSKEY000";
/// Its secret.
pub const DEFAULT_SECRET_ACCESS_KEY: &str = "mock/secret/access/key/0000000000000000";
/// The Lambda authorizer token a default server accepts.
pub const DEFAULT_LAMBDA_TOKEN: &str = "mock-lambda-allow";
/// The region a default server signs for.
pub const DEFAULT_REGION: &str = "us-east-1";

/// Everything needed to start a server.
#[derive(Debug, Clone)]
pub struct MockConfig {
    pub schema_sdl: String,
    pub conflict: ConflictMode,
    pub auth: AuthSettings,
    /// SQLite file; `None` keeps data in memory.
    pub data_file: Option<PathBuf>,
    pub delta_ttl_ms: i64,
    pub tombstone_ttl_ms: i64,
    /// Default `127.0.0.1:0` (a free port).
    pub bind: SocketAddr,
    /// PKCS#8 PEM of the JWT signing key; generated (or loaded from the data file) when absent.
    pub jwt_key_pem: Option<String>,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Serve https / wss with this certificate instead of plain http / ws.
    pub tls: Option<crate::tls::TlsIdentity>,
    /// Realtime: the longest gap between keep-alives promised in `connection_ack`.
    pub connection_timeout_ms: u64,
    /// Realtime: how often `ka` is sent (must be well under the timeout).
    pub ka_interval_ms: u64,
    /// Realtime: subscriptions one connection may hold (AppSync: 100).
    pub max_subscriptions_per_connection: usize,
}

impl MockConfig {
    pub fn new(schema_sdl: impl Into<String>) -> Self {
        MockConfig {
            schema_sdl: schema_sdl.into(),
            conflict: ConflictMode::Automerge,
            auth: AuthSettings {
                default_mode: AuthMode::ApiKey,
                additional_modes: vec![
                    AuthMode::UserPools,
                    AuthMode::Oidc,
                    AuthMode::Iam,
                    AuthMode::Lambda,
                ],
                api_keys: vec![ApiKey {
                    key: DEFAULT_API_KEY.into(),
                    expires_at_ms: None,
                }],
                user_pool: JwtIssuer {
                    issuer: "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_appsyncmock"
                        .into(),
                    client_id: Some("appsyncmockclient".into()),
                },
                oidc: JwtIssuer {
                    issuer: "https://oidc.appsync-mock.local".into(),
                    client_id: Some("appsync-mock-oidc".into()),
                },
                iam_credentials: vec![AwsCredentialsEntry {
                    access_key_id: DEFAULT_ACCESS_KEY_ID.into(),
                    secret_access_key: DEFAULT_SECRET_ACCESS_KEY.into(),
                    session_token: None,
                }],
                region: DEFAULT_REGION.into(),
                signing_service: "appsync".into(),
                lambda_tokens: vec![DEFAULT_LAMBDA_TOKEN.into()],
                expired_session_tokens: Vec::new(),
            },
            data_file: None,
            delta_ttl_ms: crate::api::DEFAULT_DELTA_TTL_MS,
            tombstone_ttl_ms: crate::api::DEFAULT_TOMBSTONE_TTL_MS,
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            jwt_key_pem: None,
            max_body_bytes: 1024 * 1024,
            tls: None,
            connection_timeout_ms: 300_000,
            ka_interval_ms: 60_000,
            max_subscriptions_per_connection: 100,
        }
    }

    pub fn conflict(mut self, conflict: ConflictMode) -> Self {
        self.conflict = conflict;
        self
    }

    /// Enables exactly these modes, the first being the default.
    pub fn auth_modes(mut self, modes: &[AuthMode]) -> Self {
        if let Some((first, rest)) = modes.split_first() {
            self.auth.default_mode = *first;
            self.auth.additional_modes = rest.to_vec();
        }
        self
    }

    pub fn data_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.data_file = Some(path.into());
        self
    }

    pub fn tls(mut self, identity: crate::tls::TlsIdentity) -> Self {
        self.tls = Some(identity);
        self
    }

    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.bind = addr;
        self
    }
}
