//! SigV4 signing through `appsync-sigv4` (the same canonicalization the mock verifies with), with
//! the signing time passed in (never `SystemTime::now()`, which panics on wasm).

use super::providers::AwsCredentials;

/// What to sign.
#[derive(Debug)]
pub struct SigningInput<'a> {
    pub method: &'a str,
    /// The absolute URL as sent; without a `host` header in `headers`, its host is signed.
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
    if input.time_ms < 0 {
        return Err("the signing clock is before 1970".into());
    }
    let credentials = appsync_sigv4::Credentials {
        access_key_id: &credentials.access_key_id,
        secret_access_key: &credentials.secret_access_key,
        session_token: credentials.session_token.as_deref(),
    };
    let params = appsync_sigv4::SigningParams {
        method: input.method,
        url: input.url,
        headers: input.headers,
        body: input.body,
        region: input.region,
        service: input.service,
        epoch_secs: input.time_ms / 1000,
    };
    appsync_sigv4::sign(&credentials, &params).map_err(|e| format!("SigV4 signing: {e}"))
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

    const SUITE_SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    /// 2015-08-30T12:36:00Z, the instant of AWS's SigV4 test suite.
    const SUITE_TIME_MS: i64 = 1_440_938_160_000;

    fn suite_credentials(session_token: Option<&str>) -> AwsCredentials {
        AwsCredentials {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: SUITE_SECRET.into(),
            session_token: session_token.map(str::to_owned),
            expires_at_ms: None,
        }
    }

    fn authorization(out: &[(String, String)]) -> &str {
        out.iter()
            .find(|(k, _)| k == "authorization")
            .map(|(_, v)| v.as_str())
            .unwrap()
    }

    /// `sign_request` reproduces AWS's published get-vanilla and post-vanilla signatures (the
    /// whole suite runs in appsync-sigv4): the host comes from the URL, `x-amz-date` from the
    /// clock.
    #[test]
    fn reproduces_the_published_vanilla_vectors() {
        for (method, signature) in [
            (
                "GET",
                "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
            ),
            (
                "POST",
                "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
            ),
        ] {
            let input = SigningInput {
                method,
                url: "https://example.amazonaws.com/",
                headers: &[],
                body: b"",
                region: "us-east-1",
                service: "service",
                time_ms: SUITE_TIME_MS,
            };
            let out = sign_request(&suite_credentials(None), &input).unwrap();
            assert_eq!(
                out,
                vec![
                    ("x-amz-date".to_owned(), "20150830T123600Z".to_owned()),
                    (
                        "authorization".to_owned(),
                        format!(
                            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/\
                             aws4_request, SignedHeaders=host;x-amz-date, Signature={signature}"
                        )
                    ),
                ],
                "{method}"
            );
        }
    }

    /// What our callers sign (an AppSync POST, the realtime `connect` handshake, an API Gateway
    /// GET with a query), with the signatures `aws-sigv4` 1.6.4 produced for the same inputs
    /// before this crate replaced it.
    #[test]
    fn signs_our_requests_as_aws_sigv4_did() {
        let json = vec![("content-type".to_owned(), "application/json".to_owned())];
        let handshake = vec![
            (
                "accept".to_owned(),
                "application/json, text/javascript".to_owned(),
            ),
            ("content-encoding".to_owned(), "amz-1.0".to_owned()),
            (
                "content-type".to_owned(),
                "application/json; charset=UTF-8".to_owned(),
            ),
        ];
        struct Case<'a> {
            method: &'a str,
            url: &'a str,
            headers: &'a [(String, String)],
            body: &'a [u8],
            region: &'a str,
            service: &'a str,
            time_ms: i64,
            token: Option<&'a str>,
            expected: &'a str,
        }
        let appsync = Case {
            method: "POST",
            url: "https://x.appsync-api.us-east-1.amazonaws.com/graphql",
            headers: &json,
            body: br#"{"query":"query { a }"}"#,
            region: "us-east-1",
            service: "appsync",
            time_ms: SUITE_TIME_MS,
            token: None,
            expected: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/appsync/\
                       aws4_request, SignedHeaders=content-type;host;x-amz-date, \
                       Signature=1fe427d0a1507120c593d64308932c50556d800b28d513348c352b7faf5bc6ff",
        };
        let cases = [
            Case {
                token: Some("FwoGZXIvYXdzEXAMPLE/token+="),
                expected: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/appsync/\
                           aws4_request, SignedHeaders=content-type;host;x-amz-date;\
                           x-amz-security-token, \
                           Signature=41505a41a68486de632ca404da3b1d652cea2af9336b81932e15803b485aa445",
                ..appsync
            },
            Case {
                url: "https://x.appsync-api.us-east-1.amazonaws.com/graphql/connect",
                headers: &handshake,
                body: b"{}",
                time_ms: 1_700_000_000_999, // the milliseconds are dropped: 20231114T221320Z
                expected: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20231114/us-east-1/appsync/\
                           aws4_request, \
                           SignedHeaders=accept;content-encoding;content-type;host;x-amz-date, \
                           Signature=fcc91b14d188129c8c353e8ee6f2dfe8950d0cd64f5d210e807fdad8b9d01bac",
                ..appsync
            },
            Case {
                method: "GET",
                url: "https://abc.execute-api.eu-west-1.amazonaws.com/prod/items/a%20b\
                      ?b=2&a=1&c=x+y&d=%7e&flag&a=0&e=%2B&f=%c3%a9",
                body: b"",
                region: "eu-west-1",
                service: "execute-api",
                time_ms: 1_795_795_200_000,
                expected: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261127/eu-west-1/\
                           execute-api/aws4_request, SignedHeaders=content-type;host;x-amz-date, \
                           Signature=b39f8e80869a98a17c219865ca186a858bc76359ecebf434671f52c781b5b86b",
                ..appsync
            },
        ];
        for case in cases.iter().chain([&appsync]) {
            let input = SigningInput {
                method: case.method,
                url: case.url,
                headers: case.headers,
                body: case.body,
                region: case.region,
                service: case.service,
                time_ms: case.time_ms,
            };
            let out = sign_request(&suite_credentials(case.token), &input).unwrap();
            assert_eq!(
                authorization(&out),
                case.expected,
                "{} {}",
                case.method,
                case.url
            );
        }
    }

    #[test]
    fn a_clock_before_1970_or_a_bad_url_is_an_error() {
        let mut input = SigningInput {
            method: "POST",
            url: "https://x.appsync-api.us-east-1.amazonaws.com/graphql",
            headers: &[],
            body: b"{}",
            region: "us-east-1",
            service: "appsync",
            time_ms: -1,
        };
        let creds = suite_credentials(None);
        assert_eq!(
            sign_request(&creds, &input),
            Err("the signing clock is before 1970".to_owned())
        );
        input.time_ms = SUITE_TIME_MS;
        input.url = "/graphql";
        let err = sign_request(&creds, &input).unwrap_err();
        assert!(err.starts_with("SigV4 signing: "), "{err}");
    }
}
