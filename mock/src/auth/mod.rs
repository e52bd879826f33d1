//! Auth checked for real, as AppSync does it: which mode a request uses is read from its
//! headers (`x-api-key`, SigV4 `Authorization`, a JWT by its issuer, else a Lambda token), the
//! mode must be enabled, and its credential must verify. Failures answer like AppSync: HTTP 401
//! `UnauthorizedException` (403 for SigV4 signature and time errors).

pub mod jwt;
pub mod sigv4;

use crate::schema::AuthMode;
use base64::Engine;
use jwt::JwtKeys;
use serde_json::Value;
use sigv4::{AwsCredentialsEntry, SignedRequest};
use std::fmt;

/// An API key and when it stops working.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey {
    pub key: String,
    pub expires_at_ms: Option<i64>,
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKey")
            .field("expires_at_ms", &self.expires_at_ms)
            .finish_non_exhaustive()
    }
}

/// A JWT issuer the server trusts (Cognito user pool or OIDC provider).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JwtIssuer {
    pub issuer: String,
    /// Checked against `aud` / `client_id`; `None` skips the audience check.
    pub client_id: Option<String>,
}

/// Which auth modes are enabled and what they accept.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    pub default_mode: AuthMode,
    pub additional_modes: Vec<AuthMode>,
    pub api_keys: Vec<ApiKey>,
    pub user_pool: JwtIssuer,
    pub oidc: JwtIssuer,
    pub iam_credentials: Vec<AwsCredentialsEntry>,
    pub region: String,
    /// The SigV4 service name requests must be signed for (`appsync`; `execute-api` to stand in
    /// for an API behind API Gateway).
    pub signing_service: String,
    pub lambda_tokens: Vec<String>,
    /// STS session tokens that have expired: requests carrying one get AWS's
    /// `ExpiredTokenException` (HTTP 403), so clients' credential refresh can be tested.
    pub expired_session_tokens: Vec<String>,
}

impl AuthSettings {
    pub fn enabled(&self, mode: AuthMode) -> bool {
        self.default_mode == mode || self.additional_modes.contains(&mode)
    }

    /// Enabled modes, default first.
    pub fn modes(&self) -> Vec<AuthMode> {
        let mut modes = vec![self.default_mode];
        modes.extend(
            self.additional_modes
                .iter()
                .copied()
                .filter(|m| *m != self.default_mode),
        );
        modes
    }
}

/// A rejected request: status, AppSync `errorType` and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthFailure {
    pub status: u16,
    pub error_type: String,
    pub message: String,
}

impl AuthFailure {
    fn unauthorized(message: &str) -> Self {
        AuthFailure {
            status: 401,
            error_type: "UnauthorizedException".into(),
            message: message.into(),
        }
    }
}

/// Checks requests' credentials.
#[derive(Debug)]
pub struct Authenticator {
    pub settings: AuthSettings,
    pub keys: JwtKeys,
}

/// What a request presented, independent of HTTP or the realtime handshake.
#[derive(Debug)]
pub struct Presented<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    /// Lower-case names.
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
}

/// The mode's AppSync name (`API_KEY`, `AWS_IAM`, ...).
pub fn appsync_name(mode: AuthMode) -> &'static str {
    match mode {
        AuthMode::ApiKey => "API_KEY",
        AuthMode::Iam => "AWS_IAM",
        AuthMode::UserPools => "AMAZON_COGNITO_USER_POOLS",
        AuthMode::Oidc => "OPENID_CONNECT",
        AuthMode::Lambda => "AWS_LAMBDA",
    }
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// The `iss` claim of a JWT, unverified: only to pick which issuer verifies it.
fn unverified_issuer(token: &str) -> Option<String> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: Value = serde_json::from_slice(&bytes).ok()?;
    claims.get("iss")?.as_str().map(str::to_owned)
}

impl Authenticator {
    /// Decides the request's auth mode and verifies its credential at `now_ms`.
    pub fn authenticate(
        &self,
        request: &Presented<'_>,
        now_ms: i64,
    ) -> Result<AuthMode, AuthFailure> {
        let s = &self.settings;
        let not_enabled = |mode: AuthMode| {
            AuthFailure::unauthorized(&format!(
                "The {} auth mode is not enabled for this API.",
                appsync_name(mode)
            ))
        };
        if let Some(key) = header(request.headers, "x-api-key") {
            if !s.enabled(AuthMode::ApiKey) {
                return Err(not_enabled(AuthMode::ApiKey));
            }
            let Some(found) = s.api_keys.iter().find(|k| k.key == key) else {
                return Err(AuthFailure::unauthorized(
                    "You are not authorized to make this call.",
                ));
            };
            if found.expires_at_ms.is_some_and(|at| now_ms >= at) {
                return Err(AuthFailure::unauthorized("The API key has expired."));
            }
            return Ok(AuthMode::ApiKey);
        }
        let Some(authorization) = header(request.headers, "authorization") else {
            return Err(AuthFailure::unauthorized(
                "Valid authorization header not provided.",
            ));
        };
        if authorization.starts_with("AWS4-HMAC-SHA256") {
            if !s.enabled(AuthMode::Iam) {
                return Err(not_enabled(AuthMode::Iam));
            }
            let session = header(request.headers, "x-amz-security-token");
            if session.is_some_and(|t| s.expired_session_tokens.iter().any(|e| e == t)) {
                return Err(AuthFailure {
                    status: 403,
                    error_type: "ExpiredTokenException".into(),
                    message: "The security token included in the request is expired".into(),
                });
            }
            let signed = SignedRequest {
                method: request.method,
                path: request.path,
                query: request.query,
                headers: request.headers,
                body: request.body,
            };
            return sigv4::verify(
                &signed,
                &s.iam_credentials,
                &s.region,
                &s.signing_service,
                now_ms.div_euclid(1000),
            )
            .map(|_| AuthMode::Iam)
            .map_err(|e| AuthFailure {
                status: e.http_status(),
                error_type: e.error_type().to_owned(),
                message: e.message(),
            });
        }
        let token = authorization
            .strip_prefix("Bearer ")
            .unwrap_or(authorization)
            .trim();
        let now_secs = now_ms.div_euclid(1000);
        if let Some(issuer) = unverified_issuer(token) {
            for (mode, trusted) in [
                (AuthMode::UserPools, &s.user_pool),
                (AuthMode::Oidc, &s.oidc),
            ] {
                if issuer == trusted.issuer && s.enabled(mode) {
                    return self
                        .keys
                        .verify(
                            token,
                            &trusted.issuer,
                            trusted.client_id.as_deref(),
                            now_secs,
                        )
                        .map(|_| mode)
                        .map_err(|e| AuthFailure::unauthorized(&e.to_string()));
                }
            }
        }
        if s.enabled(AuthMode::Lambda) {
            if s.lambda_tokens.iter().any(|t| t == token) {
                return Ok(AuthMode::Lambda);
            }
            return Err(AuthFailure::unauthorized(
                "You are not authorized to make this call.",
            ));
        }
        Err(AuthFailure::unauthorized(
            "Valid authorization header not provided.",
        ))
    }
}
