//! SigV4 signing through the `aws-sigv4` crate, with the signing time passed in (never
//! `SystemTime::now()`, which panics on wasm).

use super::providers::AwsCredentials;
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use std::time::{Duration, UNIX_EPOCH};

/// What to sign.
#[derive(Debug)]
pub struct SigningInput<'a> {
    pub method: &'a str,
    pub url: &'a str,
    /// Headers that go out with the request and are to be signed (lower-case names).
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
    pub region: &'a str,
    pub service: &'a str,
    pub time_ms: i64,
}

/// Returns the headers to add: `x-amz-date`, `authorization` and, with a session token,
/// `x-amz-security-token`.
pub fn sign_request(
    credentials: &AwsCredentials,
    input: &SigningInput<'_>,
) -> Result<Vec<(String, String)>, String> {
    let identity: Identity = Credentials::new(
        credentials.access_key_id.clone(),
        credentials.secret_access_key.clone(),
        credentials.session_token.clone(),
        None,
        "appsync-core",
    )
    .into();
    let time = if input.time_ms >= 0 {
        UNIX_EPOCH + Duration::from_millis(input.time_ms as u64)
    } else {
        return Err("the signing clock is before 1970".into());
    };
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(input.region)
        .name(input.service)
        .time(time)
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| format!("SigV4 parameters: {e}"))?
        .into();
    let signable = SignableRequest::new(
        input.method,
        input.url,
        input.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        SignableBody::Bytes(input.body),
    )
    .map_err(|e| format!("SigV4 request: {e}"))?;
    let (instructions, _signature) = sign(signable, &params)
        .map_err(|e| format!("SigV4 signing: {e}"))?
        .into_parts();
    let (headers, _query) = instructions.into_parts();
    Ok(headers
        .into_iter()
        .map(|h| (h.name().to_ascii_lowercase(), h.value().to_owned()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_with_the_given_time_and_session_token() {
        let creds = AwsCredentials {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "secret".into(),
            session_token: Some("session".into()),
            expires_at_ms: None,
        };
        let headers = vec![("content-type".to_owned(), "application/json".to_owned())];
        let input = SigningInput {
            method: "POST",
            url: "https://x.appsync-api.us-east-1.amazonaws.com/graphql",
            headers: &headers,
            body: b"{}",
            region: "us-east-1",
            service: "appsync",
            time_ms: 1_440_938_160_000, // 2015-08-30T12:36:00Z
        };
        let out = sign_request(&creds, &input).unwrap();
        let get = |n: &str| out.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
        assert_eq!(get("x-amz-date"), Some("20150830T123600Z"));
        assert_eq!(get("x-amz-security-token"), Some("session"));
        let auth = get("authorization").unwrap();
        assert!(
            auth.starts_with(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/appsync/aws4_request"
            ),
            "{auth}"
        );
        assert!(
            auth.contains("SignedHeaders=") && auth.contains("host"),
            "{auth}"
        );
    }
}
