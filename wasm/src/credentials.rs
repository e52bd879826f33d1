//! What JS providers resolve to (as JSON), read into the core's credentials: `{token,
//! expiresAtMs?}`, `{accessKeyId, secretAccessKey, sessionToken?, expiresAtMs?}` and a record of
//! header strings. A wrong shape is a [`ProviderError`] saying what was expected; secrets are
//! never echoed.

use crate::describe::describe;
use appsync_core::{AuthToken, AwsCredentials, ProviderError};
use serde_json::{Map, Value};

fn object<'a>(
    provider: &str,
    value: &'a Value,
    shape: &str,
) -> Result<&'a Map<String, Value>, ProviderError> {
    value.as_object().ok_or_else(|| {
        ProviderError::new(format!(
            "the {provider} provider must resolve to {shape}, it resolved to {}",
            describe(value)
        ))
    })
}

fn required_string(
    provider: &str,
    fields: &Map<String, Value>,
    key: &str,
) -> Result<String, ProviderError> {
    match fields.get(key) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        other => Err(ProviderError::new(format!(
            "the {provider} provider's `{key}` must be a non-empty string, found {}",
            other.map(describe).unwrap_or_else(|| "nothing".into())
        ))),
    }
}

fn optional_string(
    provider: &str,
    fields: &Map<String, Value>,
    key: &str,
) -> Result<Option<String>, ProviderError> {
    match fields.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(ProviderError::new(format!(
            "the {provider} provider's `{key}` must be a string, found {}",
            describe(other)
        ))),
    }
}

fn expires_at_ms(
    provider: &str,
    fields: &Map<String, Value>,
) -> Result<Option<i64>, ProviderError> {
    match fields.get("expiresAtMs") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => match n.as_f64() {
            Some(ms) if ms.is_finite() => Ok(Some(ms as i64)),
            _ => Err(ProviderError::new(format!(
                "the {provider} provider's `expiresAtMs` must be epoch milliseconds, found {n}"
            ))),
        },
        Some(other) => Err(ProviderError::new(format!(
            "the {provider} provider's `expiresAtMs` must be a number (epoch milliseconds), found {}",
            describe(other)
        ))),
    }
}

/// `{token: string, expiresAtMs?: number}` from the `provider` (`userPools`, `oidc`, `lambda`).
pub fn token_from_json(provider: &str, value: &Value) -> Result<AuthToken, ProviderError> {
    let fields = object(provider, value, "{token: string, expiresAtMs?: number}")?;
    Ok(AuthToken {
        token: required_string(provider, fields, "token")?,
        expires_at_ms: expires_at_ms(provider, fields)?,
    })
}

/// `{accessKeyId, secretAccessKey, sessionToken?, expiresAtMs?}` from the IAM provider.
pub fn credentials_from_json(value: &Value) -> Result<AwsCredentials, ProviderError> {
    let provider = "iam";
    let fields = object(
        provider,
        value,
        "{accessKeyId: string, secretAccessKey: string, sessionToken?: string, expiresAtMs?: number}",
    )?;
    Ok(AwsCredentials {
        access_key_id: required_string(provider, fields, "accessKeyId")?,
        secret_access_key: required_string(provider, fields, "secretAccessKey")?,
        session_token: optional_string(provider, fields, "sessionToken")?,
        expires_at_ms: expires_at_ms(provider, fields)?,
    })
}

/// `Record<string, string>` from the header provider.
pub fn headers_from_json(value: &Value) -> Result<Vec<(String, String)>, ProviderError> {
    let fields = object("headers", value, "an object of header strings")?;
    fields
        .iter()
        .map(|(name, value)| match value {
            Value::String(v) => Ok((name.clone(), v.clone())),
            other => Err(ProviderError::new(format!(
                "the headers provider's `{name}` must be a string, found {}",
                describe(other)
            ))),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_tokens_with_and_without_expiry() {
        let token = token_from_json("oidc", &json!({"token": "t", "expiresAtMs": 1.5e12})).unwrap();
        assert_eq!(token.token, "t");
        assert_eq!(token.expires_at_ms, Some(1_500_000_000_000));
        let token = token_from_json("lambda", &json!({"token": "t"})).unwrap();
        assert_eq!(token.expires_at_ms, None);
    }

    #[test]
    fn garbage_from_a_provider_is_a_provider_error_without_the_secret() {
        for value in [
            json!(null),
            json!("bare-string"),
            json!({}),
            json!({"token": ""}),
            json!({"token": 5}),
            json!({"token": "secret-value", "expiresAtMs": "soon"}),
        ] {
            let error = token_from_json("userPools", &value).unwrap_err();
            assert!(error.message.contains("userPools"), "{value}: {error}");
            assert!(!error.message.contains("secret-value"), "{error}");
        }
    }

    #[test]
    fn reads_iam_credentials() {
        let credentials = credentials_from_json(&json!({
            "accessKeyId": "AKIA", "secretAccessKey": "s", "sessionToken": "st", "expiresAtMs": 9
        }))
        .unwrap();
        assert_eq!(credentials.access_key_id, "AKIA");
        assert_eq!(credentials.session_token.as_deref(), Some("st"));
        assert_eq!(credentials.expires_at_ms, Some(9));
        assert!(credentials_from_json(&json!({"accessKeyId": "AKIA"})).is_err());
    }

    #[test]
    fn reads_headers_and_rejects_non_strings() {
        assert_eq!(
            headers_from_json(&json!({"x-a": "1"})).unwrap(),
            vec![("x-a".to_owned(), "1".to_owned())]
        );
        assert!(headers_from_json(&json!({"x-a": 1})).is_err());
        assert!(headers_from_json(&json!(["x-a"])).is_err());
    }
}
