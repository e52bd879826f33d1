//! The string to sign, the `Authorization` header and the client-side [`sign`].

use std::fmt;

use crate::canonical::{canonical_header_names, canonical_request, HttpRequest};
use crate::crypto::{sha256_hex, signature, signing_key};
use crate::date::format_amz_date;
use crate::{Error, ALGORITHM, SCOPE_TERMINATOR};

/// Headers [`sign`] never signs, as the AWS SDKs leave them out: `authorization` is what signing
/// produces, and the others are rewritten by proxies or on the way (`user-agent`, the X-Ray
/// trace id, the hop-by-hop `transfer-encoding`).
pub const EXCLUDED_HEADERS: [&str; 4] = [
    "authorization",
    "user-agent",
    "x-amzn-trace-id",
    "transfer-encoding",
];

/// AWS credentials to sign with.
#[derive(Clone, Copy)]
pub struct Credentials<'a> {
    /// The access key id (`AKIA...` or `ASIA...`), named in the credential scope.
    pub access_key_id: &'a str,
    /// The secret the signing key is derived from; never sent.
    pub secret_access_key: &'a str,
    /// The session token of temporary credentials, sent (and signed) as `x-amz-security-token`.
    pub session_token: Option<&'a str>,
}

// Hand-written so that logging never prints the secret or the token.
impl fmt::Debug for Credentials<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field("session_token", &self.session_token.map(|_| "<redacted>"))
            .finish()
    }
}

/// A request to sign with [`sign`].
#[derive(Debug, Clone, Copy)]
pub struct SigningParams<'a> {
    /// `GET`, `POST`, ... as sent.
    pub method: &'a str,
    /// The absolute URL as sent (`scheme://host[:port]/path?query`), path and query already
    /// percent-encoded. Without a `host` header among `headers`, the host signed is this URL's,
    /// with the port only when it is not the scheme's default (as HTTP clients send it).
    pub url: &'a str,
    /// Headers that go out with the request and are to be signed, in any case.
    /// [`EXCLUDED_HEADERS`] are skipped; an `x-amz-date` (and, with a session token, an
    /// `x-amz-security-token`) is replaced by the one [`sign`] adds.
    pub headers: &'a [(String, String)],
    /// The body; its SHA-256 is the payload hash.
    pub body: &'a [u8],
    /// The region in the credential scope (`us-east-1`).
    pub region: &'a str,
    /// The service in the credential scope (`appsync`, `execute-api`, ...).
    pub service: &'a str,
    /// The signing instant, seconds since the Unix epoch (UTC).
    pub epoch_secs: i64,
}

/// The credential scope `YYYYMMDD/region/service/aws4_request`.
pub fn credential_scope(date: &str, region: &str, service: &str) -> String {
    format!("{date}/{region}/{service}/{SCOPE_TERMINATOR}")
}

/// The string to sign: the algorithm, the `YYYYMMDDTHHMMSSZ` request time, the credential scope
/// and the hex SHA-256 of the canonical request, one per line.
pub fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        sha256_hex(canonical_request.as_bytes())
    )
}

/// The `Authorization` header value:
/// `AWS4-HMAC-SHA256 Credential=KEY/SCOPE, SignedHeaders=a;b, Signature=HEX`.
pub fn authorization_header(
    access_key_id: &str,
    scope: &str,
    signed_headers: &[String],
    signature: &str,
) -> String {
    format!(
        "{ALGORITHM} Credential={access_key_id}/{scope}, SignedHeaders={}, Signature={signature}",
        signed_headers.join(";")
    )
}

/// Signs a request and returns the headers to add to it, with lower-case names, in this order:
/// `x-amz-date`, `authorization` and, with a session token, `x-amz-security-token`.
///
/// Every header in `params.headers` is signed (but [`EXCLUDED_HEADERS`]), as are `host` (from
/// the URL unless given), `x-amz-date` and the session token. The canonical URI is the URL's
/// path normalized and encoded once more ([`canonical_uri`](crate::canonical_uri)), the
/// payload hash the hex SHA-256 of the body. This is what the AWS SDKs send to AppSync and API
/// Gateway; S3's rules (unnormalized path, `x-amz-content-sha256`) are not applied.
pub fn sign(
    credentials: &Credentials<'_>,
    params: &SigningParams<'_>,
) -> Result<Vec<(String, String)>, Error> {
    let url = split_url(params.url)?;
    let amz_date = format_amz_date(params.epoch_secs);
    let replaced = |name: &str| {
        EXCLUDED_HEADERS.contains(&name)
            || name == "x-amz-date"
            || (credentials.session_token.is_some() && name == "x-amz-security-token")
    };

    let mut headers: Vec<(String, String)> = Vec::with_capacity(params.headers.len() + 3);
    for (name, value) in params.headers {
        check_header(name, value)?;
        let name = name.to_ascii_lowercase();
        if !replaced(&name) {
            headers.push((name, value.clone()));
        }
    }
    if !headers.iter().any(|(name, _)| name == "host") {
        headers.push(("host".to_owned(), url.host.to_owned()));
    }
    headers.push(("x-amz-date".to_owned(), amz_date.clone()));
    if let Some(token) = credentials.session_token {
        check_header("x-amz-security-token", token)?;
        headers.push(("x-amz-security-token".to_owned(), token.to_owned()));
    }

    let signed_headers = canonical_header_names(headers.iter().map(|(name, _)| name.as_str()));
    let request = HttpRequest {
        method: params.method,
        path: url.path,
        query: url.query,
        headers: &headers,
    };
    let canonical = canonical_request(
        &request,
        &signed_headers,
        &sha256_hex(params.body),
        params.service,
    )?;
    let date = amz_date.get(..8).unwrap_or(&amz_date);
    let scope = credential_scope(date, params.region, params.service);
    let to_sign = string_to_sign(&amz_date, &scope, &canonical);
    let key = signing_key(
        credentials.secret_access_key,
        date,
        params.region,
        params.service,
    );
    let authorization = authorization_header(
        credentials.access_key_id,
        &scope,
        &signed_headers,
        &signature(&key, &to_sign),
    );

    let mut out = vec![
        ("x-amz-date".to_owned(), amz_date),
        ("authorization".to_owned(), authorization),
    ];
    if let Some(token) = credentials.session_token {
        out.push(("x-amz-security-token".to_owned(), token.to_owned()));
    }
    Ok(out)
}

/// The pieces of an absolute URL that signing needs.
#[derive(Debug, PartialEq)]
struct UrlParts<'a> {
    /// The `host` header value: the host, plus the port when it is not the scheme's default.
    host: &'a str,
    path: &'a str,
    query: &'a str,
}

fn split_url(url: &str) -> Result<UrlParts<'_>, Error> {
    let invalid = || Error::InvalidUrl(url.to_owned());
    let (scheme, rest) = url.split_once("://").ok_or_else(invalid)?;
    if scheme.is_empty() {
        return Err(invalid());
    }
    let rest = rest.split_once('#').map_or(rest, |(before, _)| before);
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path_and_query) = rest.split_at(authority_end);
    let authority = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));

    let host = match authority.rsplit_once(':') {
        Some((host, port))
            if !port.is_empty()
                && port.bytes().all(|b| b.is_ascii_digit())
                && is_default_port(scheme, port) =>
        {
            host
        }
        _ => authority,
    };
    if host.is_empty() {
        return Err(invalid());
    }
    Ok(UrlParts { host, path, query })
}

fn is_default_port(scheme: &str, port: &str) -> bool {
    (scheme.eq_ignore_ascii_case("https") && port == "443")
        || (scheme.eq_ignore_ascii_case("http") && port == "80")
}

/// A header that cannot be sent as signed: a name that is not an HTTP token, or a value with
/// control characters (which would also split the header on the wire).
fn check_header(name: &str, value: &str) -> Result<(), Error> {
    let token_char = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    let value_char = |b: u8| b == b'\t' || (b >= 0x20 && b != 0x7f);
    if name.is_empty() || !name.bytes().all(token_char) || !value.bytes().all(value_char) {
        return Err(Error::InvalidHeader(name.to_owned()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{canonical_uri, hex_encode, hmac_sha256};

    const CREDS: Credentials<'static> = Credentials {
        access_key_id: "AKIDEXAMPLE",
        secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        session_token: None,
    };
    const SUITE_NOW: i64 = 1_440_938_160;

    fn params<'a>(url: &'a str, headers: &'a [(String, String)]) -> SigningParams<'a> {
        SigningParams {
            method: "POST",
            url,
            headers,
            body: b"{}",
            region: "us-east-1",
            service: "appsync",
            epoch_secs: SUITE_NOW,
        }
    }

    fn h(name: &str, value: &str) -> (String, String) {
        (name.to_owned(), value.to_owned())
    }

    fn get<'o>(out: &'o [(String, String)], name: &str) -> Option<&'o str> {
        out.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// Signs with `sign` and returns (Authorization, what the same request signs as when the
    /// headers are spelled out, host included).
    fn authorization_with_explicit_host(url: &str, host: &str) -> (String, String) {
        let out = sign(&CREDS, &params(url, &[])).unwrap();
        let explicit = sign(&CREDS, &params(url, &[h("Host", host)])).unwrap();
        (
            get(&out, "authorization").unwrap().to_owned(),
            get(&explicit, "authorization").unwrap().to_owned(),
        )
    }

    #[test]
    fn url_parts() {
        let parts = |url| split_url(url).unwrap();
        assert_eq!(
            parts("https://abc.appsync-api.us-east-1.amazonaws.com/graphql"),
            UrlParts {
                host: "abc.appsync-api.us-east-1.amazonaws.com",
                path: "/graphql",
                query: ""
            }
        );
        assert_eq!(
            parts("https://h.example:443/graphql/connect?x=1#frag"),
            UrlParts {
                host: "h.example",
                path: "/graphql/connect",
                query: "x=1"
            }
        );
        assert_eq!(parts("http://127.0.0.1:8080").host, "127.0.0.1:8080");
        assert_eq!(parts("http://127.0.0.1:8080").path, "");
        assert_eq!(parts("http://h:80/").host, "h");
        assert_eq!(parts("https://h:80/").host, "h:80");
        assert_eq!(parts("http://h:443/").host, "h:443");
        assert_eq!(parts("https://user:pw@h:8443/p").host, "h:8443");
        assert_eq!(parts("https://[::1]:443/p").host, "[::1]");
        assert_eq!(parts("https://[::1]:9000/p").host, "[::1]:9000");
        assert_eq!(parts("https://h?a=b").query, "a=b");
        for bad in [
            "",
            "/graphql",
            "h.example/graphql",
            "https:///graphql",
            "://h/p",
        ] {
            assert_eq!(
                split_url(bad),
                Err(Error::InvalidUrl(bad.to_owned())),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_host_is_the_urls_unless_given() {
        for (url, host) in [
            ("https://abc.example.com/graphql", "abc.example.com"),
            ("https://abc.example.com:443/graphql", "abc.example.com"),
            ("http://127.0.0.1:20002/graphql", "127.0.0.1:20002"),
        ] {
            let (derived, explicit) = authorization_with_explicit_host(url, host);
            assert_eq!(derived, explicit, "{url}");
        }
        // A host header given by the caller is the one signed.
        let url = "https://abc.example.com/graphql";
        let (derived, _) = authorization_with_explicit_host(url, "abc.example.com");
        let other = sign(&CREDS, &params(url, &[h("host", "elsewhere.example.com")])).unwrap();
        assert_ne!(get(&other, "authorization"), Some(derived.as_str()));
    }

    #[test]
    fn output_headers_and_signed_names() {
        let headers = [
            h("Content-Type", "application/json"),
            h("User-Agent", "appsync-rs"),
            h("X-Amz-Date", "19991231T000000Z"),
            h("x-amzn-trace-id", "Root=1"),
        ];
        let out = sign(&CREDS, &params("https://h.example/graphql", &headers)).unwrap();
        let names: Vec<&str> = out.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["x-amz-date", "authorization"]);
        assert_eq!(get(&out, "x-amz-date"), Some("20150830T123600Z"));
        let auth = get(&out, "authorization").unwrap();
        assert!(
            auth.starts_with(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/appsync/aws4_request, \
                 SignedHeaders=content-type;host;x-amz-date, Signature="
            ),
            "{auth}"
        );
        let signature = auth.rsplit_once("Signature=").unwrap().1;
        assert_eq!(signature.len(), 64);
        assert!(signature
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));

        let with_token = Credentials {
            session_token: Some("the-token"),
            ..CREDS
        };
        let stale_token = [h("X-Amz-Security-Token", "stale")];
        let out = sign(
            &with_token,
            &params("https://h.example/graphql", &stale_token),
        )
        .unwrap();
        let names: Vec<&str> = out.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            names,
            ["x-amz-date", "authorization", "x-amz-security-token"]
        );
        assert_eq!(get(&out, "x-amz-security-token"), Some("the-token"));
        assert!(get(&out, "authorization")
            .unwrap()
            .contains("SignedHeaders=host;x-amz-date;x-amz-security-token, "));
    }

    #[test]
    fn signature_follows_the_spec_step_by_step() {
        // The same request signed by hand from the spec's steps, sharing only the hashes.
        let url = "https://abc.example.com/graphql/connect";
        let headers = [h("content-type", "application/json; charset=UTF-8")];
        let out = sign(&CREDS, &params(url, &headers)).unwrap();
        let canonical = format!(
            "POST\n/graphql/connect\n\ncontent-type:application/json; charset=UTF-8\n\
             host:abc.example.com\nx-amz-date:20150830T123600Z\n\n\
             content-type;host;x-amz-date\n{}",
            sha256_hex(b"{}")
        );
        let to_sign = format!(
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/appsync/aws4_request\n{}",
            sha256_hex(canonical.as_bytes())
        );
        let mut key = hmac_sha256(b"AWS4wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", b"20150830");
        for part in ["us-east-1", "appsync", "aws4_request"] {
            key = hmac_sha256(&key, part.as_bytes());
        }
        let expected = hex_encode(&hmac_sha256(&key, to_sign.as_bytes()));
        assert_eq!(
            get(&out, "authorization"),
            Some(
                format!(
                    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/appsync/\
                     aws4_request, SignedHeaders=content-type;host;x-amz-date, \
                     Signature={expected}"
                )
                .as_str()
            )
        );
        assert_eq!(
            canonical_uri("/graphql/connect", "appsync"),
            "/graphql/connect"
        );
    }

    #[test]
    fn bad_urls_and_headers_are_errors() {
        assert_eq!(
            sign(&CREDS, &params("graphql", &[])),
            Err(Error::InvalidUrl("graphql".into()))
        );
        for (name, value) in [
            ("bad name", "v"),
            ("", "v"),
            ("x-ok", "line\r\nx-injected: 1"),
            ("x-ok", "nul\0"),
        ] {
            let headers = [h(name, value)];
            assert_eq!(
                sign(&CREDS, &params("https://h.example/", &headers)),
                Err(Error::InvalidHeader(name.into())),
                "{name:?}: {value:?}"
            );
        }
        let bad_token = Credentials {
            session_token: Some("a\nb"),
            ..CREDS
        };
        assert_eq!(
            sign(&bad_token, &params("https://h.example/", &[])),
            Err(Error::InvalidHeader("x-amz-security-token".into()))
        );
        // Tabs and non-ASCII text are fine in a value.
        let headers = [h("x-note", "caf\u{e9}\tau lait")];
        assert!(sign(&CREDS, &params("https://h.example/", &headers)).is_ok());
    }

    #[test]
    fn debug_output_hides_secrets() {
        let creds = Credentials {
            session_token: Some("tok-secret"),
            ..CREDS
        };
        let shown = format!("{creds:?}");
        assert!(shown.contains("AKIDEXAMPLE"));
        assert!(!shown.contains("EXAMPLEKEY"));
        assert!(!shown.contains("tok-secret"));
    }
}
