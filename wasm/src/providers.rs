//! The app's async JS functions as the core's providers: `userPools` / `oidc` / `lambda`
//! (`(forceRefresh) => Promise<{token, expiresAtMs?}>`), `iam` (`(forceRefresh) =>
//! Promise<{accessKeyId, secretAccessKey, sessionToken?, expiresAtMs?}>`) and `headers`
//! (`() => Promise<Record<string, string>>`). A function that throws, rejects or resolves to the
//! wrong shape gives a `ProviderError`, which the core reports as an `AuthError`.

use crate::credentials::{credentials_from_json, headers_from_json, token_from_json};
use crate::js::{describe_thrown, to_json};
use appsync_core::auth::{CredentialsProvider, HeaderProvider, TokenProvider};
use appsync_core::runtime::BoxFuture;
use appsync_core::{AuthProviders, AuthToken, AwsCredentials, ConfigError, ProviderError};
use serde_json::Value;
use std::sync::Arc;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// One JS provider function and the key it was given under (for messages).
#[derive(Debug)]
pub struct JsProvider {
    name: &'static str,
    function: js_sys::Function,
}

impl JsProvider {
    /// Calls the function and awaits what it returns (a promise or a plain value), as JSON.
    async fn call(&self, args: &[JsValue]) -> Result<Value, ProviderError> {
        let returned = match args {
            [] => self.function.call0(&JsValue::UNDEFINED),
            [first, ..] => self.function.call1(&JsValue::UNDEFINED, first),
        }
        .map_err(|e| self.failed(&e))?;
        let resolved = JsFuture::from(js_sys::Promise::resolve(&returned))
            .await
            .map_err(|e| self.failed(&e))?;
        to_json(&resolved).map_err(|e| {
            ProviderError::new(format!(
                "the {} provider resolved to a value that is not JSON: {e}",
                self.name
            ))
        })
    }

    fn failed(&self, thrown: &JsValue) -> ProviderError {
        ProviderError::new(format!(
            "the {} provider threw: {}",
            self.name,
            describe_thrown(thrown)
        ))
    }
}

impl TokenProvider for JsProvider {
    fn token(&self, force_refresh: bool) -> BoxFuture<'_, Result<AuthToken, ProviderError>> {
        Box::pin(async move {
            let value = self.call(&[JsValue::from_bool(force_refresh)]).await?;
            token_from_json(self.name, &value)
        })
    }
}

impl CredentialsProvider for JsProvider {
    fn credentials(
        &self,
        force_refresh: bool,
    ) -> BoxFuture<'_, Result<AwsCredentials, ProviderError>> {
        Box::pin(async move {
            let value = self.call(&[JsValue::from_bool(force_refresh)]).await?;
            credentials_from_json(&value)
        })
    }
}

impl HeaderProvider for JsProvider {
    fn headers(&self) -> BoxFuture<'_, Result<Vec<(String, String)>, ProviderError>> {
        Box::pin(async move {
            let value = self.call(&[]).await?;
            headers_from_json(&value)
        })
    }
}

fn providers_error(key: &str, expected: &str, found: &str) -> ConfigError {
    ConfigError {
        source_name: "providers".into(),
        key: key.into(),
        expected: expected.into(),
        found: found.into(),
    }
}

fn type_of(value: &JsValue) -> String {
    value.js_typeof().as_string().unwrap_or_default()
}

/// Reads the providers object (`undefined` / `null`: none). A key that is set must hold a
/// function.
pub fn providers_from_js(value: &JsValue) -> Result<AuthProviders, ConfigError> {
    let mut providers = AuthProviders::new();
    if value.is_undefined() || value.is_null() {
        return Ok(providers);
    }
    if !value.is_object() {
        return Err(providers_error(
            "",
            "an object of provider functions",
            &type_of(value),
        ));
    }
    for name in ["userPools", "oidc", "lambda", "iam", "headers"] {
        let field = js_sys::Reflect::get(value, &JsValue::from_str(name))
            .map_err(|e| providers_error(name, "a readable property", &describe_thrown(&e)))?;
        if field.is_undefined() || field.is_null() {
            continue;
        }
        let Some(function) = field.dyn_ref::<js_sys::Function>() else {
            return Err(providers_error(name, "a function", &type_of(&field)));
        };
        let provider = Arc::new(JsProvider {
            name,
            function: function.clone(),
        });
        match name {
            "userPools" => providers.user_pools = Some(provider),
            "oidc" => providers.oidc = Some(provider),
            "lambda" => providers.lambda = Some(provider),
            "iam" => providers.iam = Some(provider),
            _ => providers.headers = Some(provider),
        }
    }
    Ok(providers)
}
