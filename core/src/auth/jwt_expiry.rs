//! Reads the `exp` claim of a JWT without verifying it: only to know when to ask the provider
//! for a new token, never to trust the token.

/// Epoch milliseconds of the token's `exp`, if the token is a JWT that has one.
pub fn jwt_expiry_ms(token: &str) -> Option<i64> {
    let token = token.strip_prefix("Bearer ").unwrap_or(token);
    let mut parts = token.split('.');
    let (_header, payload, _sig) = (parts.next()?, parts.next()?, parts.next()?);
    let bytes = crate::base64::decode_url_safe(payload.trim_end_matches('='))?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let exp = claims.get("exp")?.as_f64()?;
    Some((exp * 1000.0) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_exp_from_a_jwt_and_ignores_other_strings() {
        use base64::Engine;
        let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        let token = format!(
            "{}.{}.sig",
            b64(r#"{"alg":"RS256"}"#),
            b64(r#"{"exp":1700000000}"#)
        );
        assert_eq!(jwt_expiry_ms(&token), Some(1_700_000_000_000));
        assert_eq!(
            jwt_expiry_ms(&format!("Bearer {token}")),
            Some(1_700_000_000_000)
        );
        assert_eq!(jwt_expiry_ms("custom-lambda-token"), None);
        assert_eq!(jwt_expiry_ms("a.b.c"), None);
    }
}
