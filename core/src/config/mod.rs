//! Client configuration: Amplify Gen 1 (`amplifyconfiguration.json`, the JSON of `aws-exports.js`,
//! flat `aws_appsync_*` keys, the nested `API.GraphQL` form and the native `api.plugins` form),
//! Gen 2 (`amplify_outputs.json`) and a manual builder, all read into one typed [`ClientConfig`].
//! A file that cannot be used is a [`ConfigError`] naming the file, the key and what was expected.

mod error;
mod formats;
mod json;

pub use error::ConfigError;

use crate::auth::AuthMode;
use crate::url::Url;
use std::fmt;
use std::time::Duration;

/// The default time a single HTTP request may take.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// A named API Gateway REST endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestApiConfig {
    pub name: String,
    pub endpoint: String,
    pub region: Option<String>,
}

/// The S3 bucket used for complex objects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Config {
    pub bucket: String,
    pub region: String,
}

/// Everything the client needs to reach one GraphQL API.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// The GraphQL endpoint (`https://<id>.appsync-api.<region>.amazonaws.com/graphql` or custom).
    pub endpoint: String,
    /// AWS region, required for IAM.
    pub region: Option<String>,
    /// The auth mode of requests that do not choose one.
    pub default_auth_mode: AuthMode,
    /// Further modes the API accepts (multi-auth); a request may pick any of them.
    pub additional_auth_modes: Vec<AuthMode>,
    /// The API key, for `API_KEY`. Never logged (see the `Debug` impl).
    pub api_key: Option<String>,
    /// Overrides the realtime URL derived from `endpoint`.
    pub realtime_endpoint: Option<String>,
    /// SigV4 service name: `appsync`, or `execute-api` for an endpoint behind API Gateway.
    pub signing_service: String,
    /// How long one HTTP request may take.
    pub request_timeout: Duration,
    pub rest_apis: Vec<RestApiConfig>,
    pub s3: Option<S3Config>,
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("default_auth_mode", &self.default_auth_mode)
            .field("additional_auth_modes", &self.additional_auth_modes)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("realtime_endpoint", &self.realtime_endpoint)
            .field("signing_service", &self.signing_service)
            .field("request_timeout", &self.request_timeout)
            .field("rest_apis", &self.rest_apis)
            .field("s3", &self.s3)
            .finish()
    }
}

impl ClientConfig {
    /// Starts a manual configuration for `endpoint` (auth mode `API_KEY` until told otherwise is
    /// not assumed: the default mode is `NONE`, for custom GraphQL servers).
    pub fn builder(endpoint: impl Into<String>) -> ClientConfigBuilder {
        ClientConfigBuilder {
            config: ClientConfig {
                endpoint: endpoint.into(),
                region: None,
                default_auth_mode: AuthMode::None,
                additional_auth_modes: Vec::new(),
                api_key: None,
                realtime_endpoint: None,
                signing_service: String::new(),
                request_timeout: DEFAULT_REQUEST_TIMEOUT,
                rest_apis: Vec::new(),
                s3: None,
            },
        }
    }

    /// Reads any supported config file's text; `source_name` names it in errors.
    pub fn from_json_str(text: &str, source_name: &str) -> Result<Self, ConfigError> {
        // From bytes: one JSON parser in the web build (the same result and errors as from_str).
        let value: serde_json::Value = serde_json::from_slice(text.as_bytes()).map_err(|e| {
            ConfigError::new(
                source_name,
                "",
                "valid JSON",
                format!("a syntax error ({e})"),
            )
        })?;
        formats::parse(&value, source_name)
    }

    /// Reads a config file from disk (not available in browsers).
    pub fn from_file(path: impl AsRef<std::path::Path>) -> Result<Self, ConfigError> {
        let path = path.as_ref();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        let name = name.unwrap_or_else(|| path.display().to_string());
        let text = std::fs::read_to_string(path).map_err(|e| {
            ConfigError::new(&name, "", "a readable file", format!("an I/O error ({e})"))
        })?;
        Self::from_json_str(&text, &name)
    }

    /// Every auth mode the API accepts: the default first.
    pub fn auth_modes(&self) -> Vec<AuthMode> {
        let mut modes = vec![self.default_auth_mode];
        for mode in &self.additional_auth_modes {
            if !modes.contains(mode) {
                modes.push(*mode);
            }
        }
        modes
    }

    /// The GraphQL endpoint's host (with a non-default port), as the realtime auth needs it.
    pub fn endpoint_host(&self) -> String {
        Url::parse(&self.endpoint)
            .map(|url| url.authority())
            .unwrap_or_default()
    }

    /// Checks the invariants every source must satisfy; `source_name` and the key names are
    /// those of the source, so errors point at the right place.
    pub(crate) fn validate(
        mut self,
        source_name: &str,
        keys: &KeyNames,
    ) -> Result<Self, ConfigError> {
        let url = Url::parse(&self.endpoint).map_err(|e| {
            ConfigError::new(
                source_name,
                keys.endpoint,
                "an http(s) URL",
                format!("\"{}\" ({e})", self.endpoint),
            )
        })?;
        if !matches!(url.scheme.as_str(), "http" | "https") {
            return Err(ConfigError::new(
                source_name,
                keys.endpoint,
                "an http(s) URL",
                format!("\"{}\"", self.endpoint),
            ));
        }
        if let Some(realtime) = &self.realtime_endpoint {
            let ok = Url::parse(realtime)
                .is_ok_and(|u| matches!(u.scheme.as_str(), "ws" | "wss" | "http" | "https"));
            if !ok {
                return Err(ConfigError::new(
                    source_name,
                    "realtime_endpoint",
                    "a ws(s) or http(s) URL",
                    format!("\"{realtime}\""),
                ));
            }
        }
        let modes = self.auth_modes();
        if modes.contains(&AuthMode::Iam) && self.region.as_deref().is_none_or(str::is_empty) {
            return Err(ConfigError::new(
                source_name,
                keys.region,
                "an AWS region (AWS_IAM signs requests for a region)",
                "missing",
            ));
        }
        if self.default_auth_mode == AuthMode::ApiKey
            && self.api_key.as_deref().is_none_or(str::is_empty)
        {
            return Err(ConfigError::new(
                source_name,
                keys.api_key,
                "an API key (the default auth mode is API_KEY)",
                "missing",
            ));
        }
        if self.signing_service.is_empty() {
            // API Gateway endpoints are signed for `execute-api`, everything else for AppSync.
            self.signing_service = if url.host.contains(".execute-api.") {
                "execute-api".into()
            } else {
                "appsync".into()
            };
        }
        Ok(self)
    }
}

/// The key names of one source, for error messages.
pub(crate) struct KeyNames {
    pub endpoint: &'static str,
    pub region: &'static str,
    pub api_key: &'static str,
}

/// Builds a [`ClientConfig`] by hand.
#[derive(Debug, Clone)]
pub struct ClientConfigBuilder {
    config: ClientConfig,
}

impl ClientConfigBuilder {
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.config.region = Some(region.into());
        self
    }
    pub fn default_auth_mode(mut self, mode: AuthMode) -> Self {
        self.config.default_auth_mode = mode;
        self
    }
    pub fn additional_auth_mode(mut self, mode: AuthMode) -> Self {
        self.config.additional_auth_modes.push(mode);
        self
    }
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.config.api_key = Some(key.into());
        self
    }
    pub fn realtime_endpoint(mut self, url: impl Into<String>) -> Self {
        self.config.realtime_endpoint = Some(url.into());
        self
    }
    /// The SigV4 service name, e.g. `execute-api` for a GraphQL endpoint behind API Gateway.
    pub fn signing_service(mut self, service: impl Into<String>) -> Self {
        self.config.signing_service = service.into();
        self
    }
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.config.request_timeout = timeout;
        self
    }
    pub fn rest_api(mut self, api: RestApiConfig) -> Self {
        self.config.rest_apis.push(api);
        self
    }
    pub fn s3(mut self, s3: S3Config) -> Self {
        self.config.s3 = Some(s3);
        self
    }
    pub fn build(self) -> Result<ClientConfig, ConfigError> {
        self.config.validate(
            "<manual>",
            &KeyNames {
                endpoint: "endpoint",
                region: "region",
                api_key: "api_key",
            },
        )
    }
}

#[cfg(test)]
mod tests;
