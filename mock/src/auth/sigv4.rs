//! Server-side verification of AWS Signature Version 4 (`AWS4-HMAC-SHA256`)
//! signed requests, so that the mock checks what real clients send instead of
//! trusting them. The canonical request, the string to sign, the signing key
//! and the date formats come from `appsync-sigv4`, the crate the client signs
//! with (checked there against AWS's published test vectors); this module owns
//! what only a verifier does: parsing the `Authorization` header, the scope,
//! session-token and clock-skew checks, the payload-hash header check and the
//! AWS-style error messages for signature failures.
//!
//! Only header-based signatures are handled (the `Authorization` header);
//! presigned query-string signatures (`X-Amz-Signature=`) are not.

use std::fmt;

use appsync_sigv4::{
    canonical_header_names, canonical_request, credential_scope, header_values, parse_http_date,
    sha256_hex, signature, signing_key, string_to_sign, HttpRequest, ALGORITHM, SCOPE_TERMINATOR,
};
use subtle::ConstantTimeEq;

/// The `YYYYMMDDTHHMMSSZ` helpers, re-exported for the rest of the mock.
pub use appsync_sigv4::{format_amz_date, parse_amz_date};

/// AWS accepts a signature whose timestamp is within five minutes of its own
/// clock, in either direction.
const MAX_CLOCK_SKEW_SECS: i64 = 5 * 60;

/// One configured identity the mock accepts signatures from.
#[derive(Clone, PartialEq, Eq)]
pub struct AwsCredentialsEntry {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

// Hand-written so that logging a configuration never prints the secret.
impl fmt::Debug for AwsCredentialsEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsCredentialsEntry")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// The parts of an HTTP request that SigV4 covers, exactly as received.
///
/// HTTP/2 carries the host in the `:authority` pseudo-header; callers should
/// add it to `headers` as `host` before verifying, since signers sign it
/// under that name.
#[derive(Debug, Clone, Copy)]
pub struct SignedRequest<'a> {
    pub method: &'a str,
    /// Raw path as received (still percent-encoded), without the query.
    pub path: &'a str,
    /// Raw query string without the leading `?`; may be empty.
    pub query: &'a str,
    /// Headers as received; names in any case, repeated names allowed.
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
}

/// Why a request's signature was refused.
#[derive(Debug, Clone, PartialEq)]
pub enum SigV4Error {
    /// No `Authorization` header, or one for a scheme other than SigV4.
    MissingAuthentication,
    /// The signature cannot even be checked: unparsable `Authorization`,
    /// missing or bad date, a signed header absent from the request, ...
    Malformed(String),
    /// The access key id is not one of the configured credentials.
    UnknownAccessKey,
    /// The session token is missing, unexpected or different from the
    /// configured one.
    BadSessionToken,
    /// The credential scope names another region, service or day.
    WrongScope(String),
    /// The recomputed signature differs from the one supplied.
    SignatureMismatch,
    /// The request is more than five minutes older than the server clock.
    Expired {
        request_time: String,
        server_time: String,
    },
    /// The request is more than five minutes ahead of the server clock.
    NotYetCurrent {
        request_time: String,
        server_time: String,
    },
}

impl SigV4Error {
    /// The `errorType` AppSync reports for this failure.
    pub fn error_type(&self) -> &'static str {
        match self {
            SigV4Error::MissingAuthentication => "UnauthorizedException",
            SigV4Error::Malformed(_) => "IncompleteSignatureException",
            SigV4Error::UnknownAccessKey | SigV4Error::BadSessionToken => {
                "UnrecognizedClientException"
            }
            SigV4Error::WrongScope(_)
            | SigV4Error::SignatureMismatch
            | SigV4Error::Expired { .. }
            | SigV4Error::NotYetCurrent { .. } => "InvalidSignatureException",
        }
    }

    /// The human-readable message, worded like AWS's own.
    pub fn message(&self) -> String {
        match self {
            SigV4Error::MissingAuthentication => "Valid authorization header not provided.".into(),
            SigV4Error::Malformed(detail) | SigV4Error::WrongScope(detail) => detail.clone(),
            SigV4Error::UnknownAccessKey | SigV4Error::BadSessionToken => {
                "The security token included in the request is invalid.".into()
            }
            SigV4Error::SignatureMismatch => "The request signature we calculated does not match \
                 the signature you provided. Check your AWS Secret Access Key and signing method. \
                 Consult the service documentation for details."
                .into(),
            SigV4Error::Expired {
                request_time,
                server_time,
            } => format!(
                "Signature expired: {request_time} is now earlier than {} ({server_time} - 5 min.)",
                shift_amz_date(server_time, -MAX_CLOCK_SKEW_SECS)
            ),
            SigV4Error::NotYetCurrent {
                request_time,
                server_time,
            } => format!(
                "Signature not yet current: {request_time} is still later than {} \
                 ({server_time} + 5 min.)",
                shift_amz_date(server_time, MAX_CLOCK_SKEW_SECS)
            ),
        }
    }

    /// The HTTP status AppSync answers with.
    pub fn http_status(&self) -> u16 {
        match self {
            SigV4Error::MissingAuthentication
            | SigV4Error::UnknownAccessKey
            | SigV4Error::BadSessionToken => 401,
            SigV4Error::Malformed(_)
            | SigV4Error::WrongScope(_)
            | SigV4Error::SignatureMismatch
            | SigV4Error::Expired { .. }
            | SigV4Error::NotYetCurrent { .. } => 403,
        }
    }
}

impl fmt::Display for SigV4Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.error_type(), self.message())
    }
}

impl std::error::Error for SigV4Error {}

/// The error variants only carry the formatted server time, so the boundary
/// shown in the message is recomputed from it.
fn shift_amz_date(amz_date: &str, delta_secs: i64) -> String {
    match parse_amz_date(amz_date) {
        Some(secs) => format_amz_date(secs.saturating_add(delta_secs)),
        None => amz_date.to_owned(),
    }
}

/// The fields of `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`.
struct AuthorizationHeader<'a> {
    access_key_id: &'a str,
    scope_date: &'a str,
    scope_region: &'a str,
    scope_service: &'a str,
    /// Lowercased, sorted and deduplicated, i.e. already in canonical form.
    signed_headers: Vec<String>,
    signature: &'a str,
}

/// Verifies a SigV4 signed request against the configured credentials and
/// returns the access key id that signed it.
///
/// `region` and `service` are what the credential scope must name (AppSync
/// uses service `appsync`); `now_epoch_secs` is the server clock, injectable
/// so that tests can pin it.
pub fn verify(
    req: &SignedRequest,
    credentials: &[AwsCredentialsEntry],
    region: &str,
    service: &str,
    now_epoch_secs: i64,
) -> Result<String, SigV4Error> {
    let raw_authorization = header_values(req.headers, "authorization")
        .next()
        .ok_or(SigV4Error::MissingAuthentication)?;
    let auth = parse_authorization(raw_authorization)?;

    if !auth.signed_headers.iter().any(|h| h == "host") {
        return Err(SigV4Error::Malformed(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.".into(),
        ));
    }
    if let Some(absent) = auth
        .signed_headers
        .iter()
        .find(|name| header_values(req.headers, name).next().is_none())
    {
        return Err(SigV4Error::Malformed(format!(
            "'{absent}' is listed in SignedHeaders but is not present in the request. \
             Authorization={raw_authorization}"
        )));
    }

    let (request_time, amz_date) = request_time(req.headers, raw_authorization)?;

    let entry = credentials
        .iter()
        .find(|c| c.access_key_id == auth.access_key_id)
        .ok_or(SigV4Error::UnknownAccessKey)?;
    check_session_token(req.headers, entry)?;
    check_scope(&auth, &amz_date, region, service)?;
    check_clock_skew(request_time, &amz_date, now_epoch_secs)?;

    let payload_hash = payload_hash(req)?;
    let request = HttpRequest {
        method: req.method,
        path: req.path,
        query: req.query,
        headers: req.headers,
    };
    let canonical = canonical_request(&request, &auth.signed_headers, &payload_hash, service)
        .map_err(|e| match e {
            appsync_sigv4::Error::MissingSignedHeader(name) => SigV4Error::Malformed(format!(
                "'{name}' is listed in SignedHeaders but is not present in the request."
            )),
            other => SigV4Error::Malformed(other.to_string()),
        })?;
    let scope = credential_scope(auth.scope_date, auth.scope_region, auth.scope_service);
    let key = signing_key(
        &entry.secret_access_key,
        auth.scope_date,
        auth.scope_region,
        auth.scope_service,
    );
    let expected = signature(&key, &string_to_sign(&amz_date, &scope, &canonical));

    // Constant time so that a client cannot learn the signature byte by byte.
    if bool::from(expected.as_bytes().ct_eq(auth.signature.as_bytes())) {
        Ok(entry.access_key_id.clone())
    } else {
        Err(SigV4Error::SignatureMismatch)
    }
}

fn parse_authorization(raw: &str) -> Result<AuthorizationHeader<'_>, SigV4Error> {
    let value = raw.trim();
    let rest = match value.strip_prefix(ALGORITHM) {
        Some(rest) if rest.is_empty() || rest.starts_with([' ', '\t']) => rest,
        // Another scheme (Basic, Bearer, SigV2, SigV4a...) is not a SigV4 attempt.
        _ => return Err(SigV4Error::MissingAuthentication),
    };

    let mut credential = None;
    let mut signed_headers = None;
    let mut signature = None;
    for part in rest.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (key, val) = part.split_once('=').ok_or_else(|| {
            SigV4Error::Malformed(format!(
                "Authorization header requires each component to be of the form key=value. \
                 Authorization={value}"
            ))
        })?;
        let slot = match key.trim() {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            other => {
                return Err(SigV4Error::Malformed(format!(
                    "Authorization header has an unknown component '{other}'. \
                     Authorization={value}"
                )));
            }
        };
        if slot.replace(val.trim()).is_some() {
            return Err(SigV4Error::Malformed(format!(
                "Authorization header has a duplicate '{}' parameter. Authorization={value}",
                key.trim()
            )));
        }
    }

    let mut missing = String::new();
    for (name, slot) in [
        ("Credential", &credential),
        ("Signature", &signature),
        ("SignedHeaders", &signed_headers),
    ] {
        if slot.is_none() {
            missing.push_str(&format!(
                "Authorization header requires '{name}' parameter. "
            ));
        }
    }
    let (Some(credential), Some(signed_headers), Some(signature)) =
        (credential, signed_headers, signature)
    else {
        return Err(SigV4Error::Malformed(format!(
            "{missing}Authorization={value}"
        )));
    };

    let scope: Vec<&str> = credential.split('/').collect();
    let [access_key_id, scope_date, scope_region, scope_service, terminator] = scope[..] else {
        return Err(SigV4Error::Malformed(format!(
            "Credential must have exactly 5 slash-delimited elements, e.g. \
             keyid/date/region/service/term, got '{credential}'"
        )));
    };
    if terminator != SCOPE_TERMINATOR {
        return Err(SigV4Error::Malformed(format!(
            "Credential should be scoped with a valid terminator: '{SCOPE_TERMINATOR}', \
             not '{terminator}'."
        )));
    }

    let names: Vec<&str> = signed_headers.split(';').map(str::trim).collect();
    if names.iter().any(|name| name.is_empty()) {
        return Err(SigV4Error::Malformed(format!(
            "SignedHeaders contains an empty header name. Authorization={value}"
        )));
    }

    Ok(AuthorizationHeader {
        access_key_id,
        scope_date,
        scope_region,
        scope_service,
        signed_headers: canonical_header_names(names),
        signature,
    })
}

/// The request instant and its `YYYYMMDDTHHMMSSZ` form, which is what goes
/// into the string to sign even when the client only sent `Date`.
fn request_time(
    headers: &[(String, String)],
    raw_authorization: &str,
) -> Result<(i64, String), SigV4Error> {
    if let Some(amz) = header_values(headers, "x-amz-date").next() {
        let amz = amz.trim();
        let secs = parse_amz_date(amz).ok_or_else(|| {
            SigV4Error::Malformed(format!(
                "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\", \
                 got '{amz}'"
            ))
        })?;
        return Ok((secs, amz.to_owned()));
    }
    if let Some(date) = header_values(headers, "date").next() {
        let secs = parse_http_date(date.trim()).ok_or_else(|| {
            SigV4Error::Malformed(format!(
                "Date must be in the RFC 1123 format \"EEE, dd MMM yyyy HH:mm:ss 'GMT'\", \
                 got '{}'",
                date.trim()
            ))
        })?;
        return Ok((secs, format_amz_date(secs)));
    }
    Err(SigV4Error::Malformed(format!(
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. \
         Authorization={}",
        raw_authorization.trim()
    )))
}

fn check_session_token(
    headers: &[(String, String)],
    entry: &AwsCredentialsEntry,
) -> Result<(), SigV4Error> {
    let supplied = header_values(headers, "x-amz-security-token")
        .next()
        .map(str::trim);
    match (entry.session_token.as_deref(), supplied) {
        (None, None) => Ok(()),
        (Some(expected), Some(supplied))
            if bool::from(expected.as_bytes().ct_eq(supplied.as_bytes())) =>
        {
            Ok(())
        }
        _ => Err(SigV4Error::BadSessionToken),
    }
}

fn check_scope(
    auth: &AuthorizationHeader<'_>,
    amz_date: &str,
    region: &str,
    service: &str,
) -> Result<(), SigV4Error> {
    let request_day = amz_date.get(..8).unwrap_or(amz_date);
    if auth.scope_date != request_day {
        return Err(SigV4Error::WrongScope(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date \
             from HTTP: '{}' != '{request_day}', from '{amz_date}'.",
            auth.scope_date
        )));
    }
    if auth.scope_region != region {
        return Err(SigV4Error::WrongScope(format!(
            "Credential should be scoped to a valid region, not '{}'. ",
            auth.scope_region
        )));
    }
    if auth.scope_service != service {
        return Err(SigV4Error::WrongScope(format!(
            "Credential should be scoped to correct service: '{service}'. "
        )));
    }
    Ok(())
}

fn check_clock_skew(request_secs: i64, amz_date: &str, now_secs: i64) -> Result<(), SigV4Error> {
    let skew = request_secs.saturating_sub(now_secs);
    if skew < -MAX_CLOCK_SKEW_SECS {
        return Err(SigV4Error::Expired {
            request_time: amz_date.to_owned(),
            server_time: format_amz_date(now_secs),
        });
    }
    if skew > MAX_CLOCK_SKEW_SECS {
        return Err(SigV4Error::NotYetCurrent {
            request_time: amz_date.to_owned(),
            server_time: format_amz_date(now_secs),
        });
    }
    Ok(())
}

/// The last line of the canonical request.
///
/// A client may announce the body hash in `x-amz-content-sha256` (or say
/// `UNSIGNED-PAYLOAD`); only the header is covered by the signature then, so a
/// hex digest there is also checked against the body actually received,
/// otherwise a swapped body would slip through.
fn payload_hash(req: &SignedRequest) -> Result<String, SigV4Error> {
    let body_hash = || sha256_hex(req.body);
    let Some(announced) = header_values(req.headers, "x-amz-content-sha256").next() else {
        return Ok(body_hash());
    };
    let announced = announced.trim();
    let is_digest = announced.len() == 64 && announced.bytes().all(|b| b.is_ascii_hexdigit());
    if is_digest && !announced.eq_ignore_ascii_case(&body_hash()) {
        return Err(SigV4Error::SignatureMismatch);
    }
    Ok(announced.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use hmac::{Hmac, Mac};
    use sha2::{Digest, Sha256};

    const SUITE_KEY: &str = "AKIDEXAMPLE";
    const SUITE_SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    /// 2015-08-30T12:36:00Z, the instant of every AWS test-suite vector.
    const SUITE_NOW: i64 = 1_440_938_160;
    const SUITE_DATE: &str = "20150830T123600Z";

    fn suite_creds() -> Vec<AwsCredentialsEntry> {
        vec![AwsCredentialsEntry {
            access_key_id: SUITE_KEY.into(),
            secret_access_key: SUITE_SECRET.into(),
            session_token: None,
        }]
    }

    fn h(name: &str, value: &str) -> (String, String) {
        (name.to_owned(), value.to_owned())
    }

    fn suite_authorization(signed_headers: &str, signature: &str) -> String {
        format!(
            "AWS4-HMAC-SHA256 Credential={SUITE_KEY}/20150830/us-east-1/service/aws4_request, \
             SignedHeaders={signed_headers}, Signature={signature}"
        )
    }

    /// Checks a published vector end to end, and that flipping one character
    /// of its signature is refused, so a verifier accepting anything fails.
    fn assert_suite_vector(
        method: &str,
        path: &str,
        query: &str,
        mut headers: Vec<(String, String)>,
        body: &[u8],
        signed_headers: &str,
        signature: &str,
    ) {
        headers.push(h(
            "Authorization",
            &suite_authorization(signed_headers, signature),
        ));
        let req = SignedRequest {
            method,
            path,
            query,
            headers: &headers,
            body,
        };
        assert_eq!(
            verify(&req, &suite_creds(), "us-east-1", "service", SUITE_NOW),
            Ok(SUITE_KEY.to_owned()),
            "{method} {path}?{query}"
        );

        let mut tampered = signature.to_owned();
        let last = if tampered.ends_with('0') { "1" } else { "0" };
        tampered.replace_range(63.., last);
        let last_header = headers.len() - 1;
        headers[last_header] = h(
            "Authorization",
            &suite_authorization(signed_headers, &tampered),
        );
        let req = SignedRequest {
            method,
            path,
            query,
            headers: &headers,
            body,
        };
        assert_eq!(
            verify(&req, &suite_creds(), "us-east-1", "service", SUITE_NOW),
            Err(SigV4Error::SignatureMismatch)
        );
    }

    fn suite_headers() -> Vec<(String, String)> {
        vec![
            h("Host", "example.amazonaws.com"),
            h("X-Amz-Date", SUITE_DATE),
        ]
    }

    // ---- known-answer vectors from AWS's published SigV4 test suite -------

    #[test]
    fn vector_get_vanilla() {
        assert_suite_vector(
            "GET",
            "/",
            "",
            suite_headers(),
            b"",
            "host;x-amz-date",
            "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
        );
    }

    /// A few more published vectors through `verify` (all of them are checked
    /// step by step, and through the client's signer, in appsync-sigv4).
    #[test]
    fn published_vectors_verify_end_to_end() {
        assert_suite_vector(
            "POST",
            "/",
            "",
            suite_headers(),
            b"",
            "host;x-amz-date",
            "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
        );
        assert_suite_vector(
            "GET",
            "/",
            "Param2=value2&Param1=value1",
            suite_headers(),
            b"",
            "host;x-amz-date",
            "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
        );
        assert_suite_vector(
            "GET",
            "/",
            "%E1%88%B4=bar",
            suite_headers(),
            b"",
            "host;x-amz-date",
            "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04",
        );
        assert_suite_vector(
            "GET",
            "/example space/",
            "",
            suite_headers(),
            b"",
            "host;x-amz-date",
            "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741",
        );
        let mut headers = suite_headers();
        headers.push(h("My-Header1", "value2"));
        headers.push(h("My-Header1", "value2"));
        headers.push(h("My-Header1", "value1"));
        assert_suite_vector(
            "GET",
            "/",
            "",
            headers,
            b"",
            "host;my-header1;x-amz-date",
            "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea",
        );
        let mut headers = suite_headers();
        headers.push(h("My-Header1", " value1"));
        headers.push(h("My-Header2", " \"a   b   c\""));
        assert_suite_vector(
            "GET",
            "/",
            "",
            headers,
            b"",
            "host;my-header1;my-header2;x-amz-date",
            "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736",
        );
    }

    #[test]
    fn vector_get_vanilla_with_session_token() {
        let token = "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267";
        let mut headers = suite_headers();
        headers.push(h("X-Amz-Security-Token", token));
        headers.push(h(
            "Authorization",
            &suite_authorization(
                "host;x-amz-date;x-amz-security-token",
                "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8",
            ),
        ));
        let creds = vec![AwsCredentialsEntry {
            session_token: Some(token.into()),
            ..suite_creds().remove(0)
        }];
        let req = SignedRequest {
            method: "GET",
            path: "/",
            query: "",
            headers: &headers,
            body: b"",
        };
        assert_eq!(
            verify(&req, &creds, "us-east-1", "service", SUITE_NOW),
            Ok(SUITE_KEY.to_owned())
        );
    }

    // ---- an independent signer for the behavioural tests -------------------

    /// A deliberately naive signer: it takes the query as already-decoded
    /// pairs and the canonical path spelled out, so it shares no
    /// canonicalization code with the verifier.
    struct TestSigner<'a> {
        access_key: &'a str,
        secret: &'a str,
        region: &'a str,
        service: &'a str,
        amz_date: String,
        token: Option<&'a str>,
    }

    struct Signed {
        path: String,
        query: String,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    }

    impl Signed {
        fn request<'s>(&'s self, method: &'s str) -> SignedRequest<'s> {
            SignedRequest {
                method,
                path: &self.path,
                query: &self.query,
                headers: &self.headers,
                body: &self.body,
            }
        }
    }

    fn naive_encode(s: &str) -> String {
        let mut out = String::new();
        for b in s.bytes() {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                out.push(b as char);
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        out
    }

    fn naive_hmac(key: &[u8], msg: &str) -> Vec<u8> {
        let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("hmac key");
        mac.update(msg.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }

    impl TestSigner<'_> {
        fn new(epoch: i64) -> Self {
            TestSigner {
                access_key: "AKIDTEST",
                secret: "test-secret",
                region: "eu-west-1",
                service: "appsync",
                amz_date: format_amz_date(epoch),
                token: None,
            }
        }

        /// `canonical_path` is what the verifier must derive from `wire_path`.
        fn sign(
            &self,
            method: &str,
            wire_path: &str,
            canonical_path: &str,
            query: &[(&str, &str)],
            extra_headers: &[(&str, &str)],
            body: &[u8],
        ) -> Signed {
            let mut headers: Vec<(String, String)> = vec![
                h("Host", "abc.appsync-api.eu-west-1.amazonaws.com"),
                h("X-Amz-Date", &self.amz_date),
            ];
            if let Some(token) = self.token {
                headers.push(h("X-Amz-Security-Token", token));
            }
            for (n, v) in extra_headers {
                headers.push(h(n, v));
            }

            let mut names: Vec<String> = headers.iter().map(|(n, _)| n.to_lowercase()).collect();
            names.sort();
            names.dedup();
            let mut canonical_headers = String::new();
            for name in &names {
                let values: Vec<String> = headers
                    .iter()
                    .filter(|(n, _)| n.to_lowercase() == *name)
                    .map(|(_, v)| {
                        v.split(' ')
                            .filter(|w| !w.is_empty())
                            .collect::<Vec<_>>()
                            .join(" ")
                    })
                    .collect();
                canonical_headers.push_str(&format!("{name}:{}\n", values.join(",")));
            }

            let mut encoded: Vec<String> = query
                .iter()
                .map(|(k, v)| format!("{}={}", naive_encode(k), naive_encode(v)))
                .collect();
            let wire_query = encoded.join("&");
            encoded.sort();

            let canonical = format!(
                "{method}\n{canonical_path}\n{}\n{canonical_headers}\n{}\n{}",
                encoded.join("&"),
                names.join(";"),
                hex::encode(Sha256::digest(body))
            );
            let day = &self.amz_date[..8];
            let scope = format!("{day}/{}/{}/aws4_request", self.region, self.service);
            let to_sign = format!(
                "AWS4-HMAC-SHA256\n{}\n{scope}\n{}",
                self.amz_date,
                hex::encode(Sha256::digest(canonical.as_bytes()))
            );
            let mut key = naive_hmac(format!("AWS4{}", self.secret).as_bytes(), day);
            for part in [self.region, self.service, "aws4_request"] {
                key = naive_hmac(&key, part);
            }
            let signature = hex::encode(naive_hmac(&key, &to_sign));
            headers.push(h(
                "Authorization",
                &format!(
                    "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={}, Signature={signature}",
                    self.access_key,
                    names.join(";")
                ),
            ));
            Signed {
                path: wire_path.to_owned(),
                query: wire_query,
                headers,
                body: body.to_vec(),
            }
        }
    }

    const NOW: i64 = 1_795_795_200; // 2026-11-27T16:00:00Z

    fn test_creds() -> Vec<AwsCredentialsEntry> {
        vec![
            AwsCredentialsEntry {
                access_key_id: "AKIDOTHER".into(),
                secret_access_key: "other".into(),
                session_token: None,
            },
            AwsCredentialsEntry {
                access_key_id: "AKIDTEST".into(),
                secret_access_key: "test-secret".into(),
                session_token: None,
            },
        ]
    }

    fn check(signed: &Signed, method: &str) -> Result<String, SigV4Error> {
        verify(
            &signed.request(method),
            &test_creds(),
            "eu-west-1",
            "appsync",
            NOW,
        )
    }

    fn graphql_post(signer: &TestSigner<'_>) -> Signed {
        signer.sign(
            "POST",
            "/graphql",
            "/graphql",
            &[],
            &[("Content-Type", "application/json")],
            br#"{"query":"query { getPost(id: \"1\") { id title } }","variables":{}}"#,
        )
    }

    #[test]
    fn post_with_json_body_verifies() {
        let signed = graphql_post(&TestSigner::new(NOW));
        assert_eq!(check(&signed, "POST"), Ok("AKIDTEST".to_owned()));
    }

    #[test]
    fn tampered_body_is_refused() {
        let mut signed = graphql_post(&TestSigner::new(NOW));
        signed.body = br#"{"query":"mutation { deletePost(id: \"1\") { id } }"}"#.to_vec();
        assert_eq!(check(&signed, "POST"), Err(SigV4Error::SignatureMismatch));
    }

    #[test]
    fn tampered_signed_header_is_refused() {
        let mut signed = graphql_post(&TestSigner::new(NOW));
        for (name, value) in &mut signed.headers {
            if name == "Content-Type" {
                *value = "text/plain".into();
            }
        }
        assert_eq!(check(&signed, "POST"), Err(SigV4Error::SignatureMismatch));
    }

    #[test]
    fn unsigned_extra_header_is_ignored() {
        let mut signed = graphql_post(&TestSigner::new(NOW));
        signed.headers.push(h("User-Agent", "added-by-a-proxy"));
        assert_eq!(check(&signed, "POST"), Ok("AKIDTEST".to_owned()));
    }

    #[test]
    fn tampered_path_method_and_query_are_refused() {
        let signer = TestSigner::new(NOW);
        let mut signed = graphql_post(&signer);
        signed.path = "/graphql/other".into();
        assert_eq!(check(&signed, "POST"), Err(SigV4Error::SignatureMismatch));

        let signed = graphql_post(&signer);
        assert_eq!(check(&signed, "PUT"), Err(SigV4Error::SignatureMismatch));

        let mut signed = signer.sign("GET", "/graphql", "/graphql", &[("a", "1")], &[], b"");
        assert_eq!(check(&signed, "GET"), Ok("AKIDTEST".to_owned()));
        signed.query = "a=2".into();
        assert_eq!(check(&signed, "GET"), Err(SigV4Error::SignatureMismatch));
        signed.query = "a=1&b=2".into();
        assert_eq!(check(&signed, "GET"), Err(SigV4Error::SignatureMismatch));
    }

    #[test]
    fn content_sha256_header_is_used_and_checked() {
        let signer = TestSigner::new(NOW);
        let host = ("host", "abc.appsync-api.eu-west-1.amazonaws.com");
        let amz = signer.amz_date.clone();

        // Signed as UNSIGNED-PAYLOAD, the body is not covered at all.
        let signed = sign_canonical(
            &signer,
            &[
                host,
                ("x-amz-content-sha256", "UNSIGNED-PAYLOAD"),
                ("x-amz-date", &amz),
            ],
            "UNSIGNED-PAYLOAD",
            b"anything at all",
        );
        assert_eq!(check(&signed, "POST"), Ok("AKIDTEST".to_owned()));

        // A digest in the header must match the body that arrived.
        let body = b"{}";
        let digest = hex::encode(Sha256::digest(body));
        let mut signed = sign_canonical(
            &signer,
            &[
                host,
                ("x-amz-content-sha256", &digest),
                ("x-amz-date", &amz),
            ],
            &digest,
            body,
        );
        assert_eq!(check(&signed, "POST"), Ok("AKIDTEST".to_owned()));
        signed.body = b"{\"x\":1}".to_vec();
        assert_eq!(check(&signed, "POST"), Err(SigV4Error::SignatureMismatch));
    }

    #[test]
    fn date_header_is_the_fallback_for_x_amz_date() {
        let signer = TestSigner::new(NOW);
        let body = b"{}";
        let signed = sign_canonical(
            &signer,
            &[
                ("date", "Fri, 27 Nov 2026 16:00:00 GMT"),
                ("host", "abc.appsync-api.eu-west-1.amazonaws.com"),
            ],
            &hex::encode(Sha256::digest(body)),
            body,
        );
        assert_eq!(check(&signed, "POST"), Ok("AKIDTEST".to_owned()));
        // The RFC 1123 date is subject to the same clock check.
        let late = verify(
            &signed.request("POST"),
            &test_creds(),
            "eu-west-1",
            "appsync",
            NOW + 301,
        );
        assert!(matches!(late, Err(SigV4Error::Expired { .. })), "{late:?}");
    }

    /// Signs `POST /graphql` from headers given already in canonical form
    /// (lowercase, sorted, folded), with `payload` as the hashed-payload line
    /// and the signer's `amz_date` in the string to sign.
    fn sign_canonical(
        signer: &TestSigner<'_>,
        canonical_headers: &[(&str, &str)],
        payload: &str,
        body: &[u8],
    ) -> Signed {
        let amz = &signer.amz_date;
        let names: Vec<&str> = canonical_headers.iter().map(|(n, _)| *n).collect();
        let header_block: String = canonical_headers
            .iter()
            .map(|(n, v)| format!("{n}:{v}\n"))
            .collect();
        let canonical = format!(
            "POST\n/graphql\n\n{header_block}\n{}\n{payload}",
            names.join(";")
        );
        let day = &amz[..8];
        let scope = format!("{day}/{}/{}/aws4_request", signer.region, signer.service);
        let to_sign = format!(
            "AWS4-HMAC-SHA256\n{amz}\n{scope}\n{}",
            hex::encode(Sha256::digest(canonical.as_bytes()))
        );
        let mut key = naive_hmac(format!("AWS4{}", signer.secret).as_bytes(), day);
        for part in [signer.region, signer.service, "aws4_request"] {
            key = naive_hmac(&key, part);
        }
        let signature = hex::encode(naive_hmac(&key, &to_sign));
        let mut headers: Vec<(String, String)> =
            canonical_headers.iter().map(|(n, v)| h(n, v)).collect();
        headers.push(h(
            "authorization",
            &format!(
                "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={}, Signature={signature}",
                signer.access_key,
                names.join(";")
            ),
        ));
        Signed {
            path: "/graphql".into(),
            query: String::new(),
            headers,
            body: body.to_vec(),
        }
    }

    #[test]
    fn missing_or_foreign_authorization() {
        let mut signed = graphql_post(&TestSigner::new(NOW));
        signed.headers.retain(|(n, _)| n != "Authorization");
        let err = check(&signed, "POST").unwrap_err();
        assert_eq!(err, SigV4Error::MissingAuthentication);
        assert_eq!(err.error_type(), "UnauthorizedException");
        assert_eq!(err.http_status(), 401);

        signed.headers.push(h("authorization", "Bearer eyJhbGciOi"));
        assert_eq!(
            check(&signed, "POST"),
            Err(SigV4Error::MissingAuthentication)
        );
    }

    #[test]
    fn malformed_authorization_headers() {
        let base = graphql_post(&TestSigner::new(NOW));
        for bad in [
            "AWS4-HMAC-SHA256",
            "AWS4-HMAC-SHA256 Credential=AKIDTEST/20261127/eu-west-1/appsync/aws4_request",
            "AWS4-HMAC-SHA256 Credential=AKIDTEST/20261127/eu-west-1/appsync, \
             SignedHeaders=host;x-amz-date, Signature=00",
            "AWS4-HMAC-SHA256 Credential=AKIDTEST/20261127/eu-west-1/appsync/aws5_request, \
             SignedHeaders=host;x-amz-date, Signature=00",
            "AWS4-HMAC-SHA256 Credential=AKIDTEST/20261127/eu-west-1/appsync/aws4_request, \
             SignedHeaders=host;;x-amz-date, Signature=00",
            "AWS4-HMAC-SHA256 Credential=AKIDTEST/20261127/eu-west-1/appsync/aws4_request, \
             SignedHeaders=host;x-amz-date, Signature=00, Signature=01",
            "AWS4-HMAC-SHA256 Credential=AKIDTEST/20261127/eu-west-1/appsync/aws4_request, \
             SignedHeaders=host;x-amz-date, Signature=00, Extra=1",
            "AWS4-HMAC-SHA256 garbage",
        ] {
            let mut signed = Signed {
                path: base.path.clone(),
                query: base.query.clone(),
                headers: base.headers.clone(),
                body: base.body.clone(),
            };
            signed.headers.retain(|(n, _)| n != "Authorization");
            signed.headers.push(h("Authorization", bad));
            let err = check(&signed, "POST").unwrap_err();
            assert!(matches!(err, SigV4Error::Malformed(_)), "{bad}: {err:?}");
            assert_eq!(err.error_type(), "IncompleteSignatureException");
            assert_eq!(err.http_status(), 403);
        }
    }

    #[test]
    fn missing_parameters_are_all_named() {
        let err = parse_authorization("AWS4-HMAC-SHA256 SignedHeaders=host")
            .err()
            .expect("refused");
        let message = err.message();
        assert!(
            message.contains("requires 'Credential' parameter"),
            "{message}"
        );
        assert!(
            message.contains("requires 'Signature' parameter"),
            "{message}"
        );
        assert!(!message.contains("requires 'SignedHeaders'"), "{message}");
    }

    #[test]
    fn host_must_be_signed() {
        let signer = TestSigner::new(NOW);
        let mut signed = graphql_post(&signer);
        let auth = signed
            .headers
            .iter_mut()
            .find(|(n, _)| n == "Authorization")
            .expect("authorization");
        auth.1 = auth.1.replace(
            "SignedHeaders=content-type;host;",
            "SignedHeaders=content-type;",
        );
        let err = check(&signed, "POST").unwrap_err();
        assert_eq!(
            err,
            SigV4Error::Malformed(
                "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.".into()
            )
        );
    }

    #[test]
    fn signed_header_absent_from_request_is_malformed() {
        let mut signed = graphql_post(&TestSigner::new(NOW));
        signed.headers.retain(|(n, _)| n != "Content-Type");
        assert!(matches!(
            check(&signed, "POST"),
            Err(SigV4Error::Malformed(_))
        ));
    }

    #[test]
    fn missing_or_bad_date_is_malformed() {
        let mut signed = graphql_post(&TestSigner::new(NOW));
        for (name, value) in &mut signed.headers {
            if name == "X-Amz-Date" {
                *value = "2026-11-27T16:00:00Z".into();
            }
        }
        assert!(matches!(
            check(&signed, "POST"),
            Err(SigV4Error::Malformed(_))
        ));

        let mut signed = graphql_post(&TestSigner::new(NOW));
        signed.headers.retain(|(n, _)| n != "X-Amz-Date");
        let auth = signed
            .headers
            .iter_mut()
            .find(|(n, _)| n == "Authorization")
            .expect("authorization");
        auth.1 = auth.1.replace(";x-amz-date", "");
        let err = check(&signed, "POST").unwrap_err();
        assert!(
            err.message()
                .contains("either a 'X-Amz-Date' or a 'Date' header"),
            "{err:?}"
        );
    }

    #[test]
    fn unknown_access_key() {
        let mut signer = TestSigner::new(NOW);
        signer.access_key = "AKIDNOBODY";
        let err = check(&graphql_post(&signer), "POST").unwrap_err();
        assert_eq!(err, SigV4Error::UnknownAccessKey);
        assert_eq!(err.error_type(), "UnrecognizedClientException");
        assert_eq!(err.http_status(), 401);
        assert_eq!(
            err.message(),
            "The security token included in the request is invalid."
        );
    }

    #[test]
    fn wrong_secret_is_a_signature_mismatch() {
        let mut signer = TestSigner::new(NOW);
        signer.secret = "not-the-secret";
        let err = check(&graphql_post(&signer), "POST").unwrap_err();
        assert_eq!(err, SigV4Error::SignatureMismatch);
        assert_eq!(err.error_type(), "InvalidSignatureException");
        assert_eq!(err.http_status(), 403);
        assert!(err.message().starts_with(
            "The request signature we calculated does not match the signature you provided."
        ));
    }

    #[test]
    fn wrong_region_service_or_day_in_scope() {
        let mut signer = TestSigner::new(NOW);
        signer.region = "us-east-1";
        let err = check(&graphql_post(&signer), "POST").unwrap_err();
        assert_eq!(
            err,
            SigV4Error::WrongScope(
                "Credential should be scoped to a valid region, not 'us-east-1'. ".into()
            )
        );
        assert_eq!(err.http_status(), 403);

        let mut signer = TestSigner::new(NOW);
        signer.service = "execute-api";
        let err = check(&graphql_post(&signer), "POST").unwrap_err();
        assert_eq!(
            err,
            SigV4Error::WrongScope(
                "Credential should be scoped to correct service: 'appsync'. ".into()
            )
        );

        // Scope day differs from the x-amz-date day.
        let mut signed = graphql_post(&TestSigner::new(NOW));
        let auth = signed
            .headers
            .iter_mut()
            .find(|(n, _)| n == "Authorization")
            .expect("authorization");
        auth.1 = auth.1.replace("/20261127/", "/20261126/");
        assert!(matches!(
            check(&signed, "POST"),
            Err(SigV4Error::WrongScope(m)) if m.contains("'20261126' != '20261127'")
        ));
    }

    fn token_creds(token: Option<&str>) -> Vec<AwsCredentialsEntry> {
        vec![AwsCredentialsEntry {
            access_key_id: "AKIDTEST".into(),
            secret_access_key: "test-secret".into(),
            session_token: token.map(str::to_owned),
        }]
    }

    #[test]
    fn session_tokens() {
        let verify_with = |signer: &TestSigner<'_>, configured: Option<&str>| {
            let signed = graphql_post(signer);
            verify(
                &signed.request("POST"),
                &token_creds(configured),
                "eu-west-1",
                "appsync",
                NOW,
            )
        };
        let mut signer = TestSigner::new(NOW);
        signer.token = Some("FwoGZXIvYXdzEXAMPLETOKEN");
        assert_eq!(
            verify_with(&signer, Some("FwoGZXIvYXdzEXAMPLETOKEN")),
            Ok("AKIDTEST".to_owned())
        );
        // Required but absent.
        signer.token = None;
        assert_eq!(
            verify_with(&signer, Some("FwoGZXIvYXdzEXAMPLETOKEN")),
            Err(SigV4Error::BadSessionToken)
        );
        // Present but different.
        signer.token = Some("FwoGZXIvYXdzSOMETHINGELSE");
        let err = verify_with(&signer, Some("FwoGZXIvYXdzEXAMPLETOKEN")).unwrap_err();
        assert_eq!(err, SigV4Error::BadSessionToken);
        assert_eq!(err.error_type(), "UnrecognizedClientException");
        assert_eq!(err.http_status(), 401);
        // Supplied although the credentials are long-term ones.
        assert_eq!(verify_with(&signer, None), Err(SigV4Error::BadSessionToken));
    }

    #[test]
    fn clock_skew_boundaries() {
        let at = |request_time: i64| check(&graphql_post(&TestSigner::new(request_time)), "POST");
        assert_eq!(at(NOW - 300), Ok("AKIDTEST".to_owned()));
        assert_eq!(at(NOW + 300), Ok("AKIDTEST".to_owned()));

        let err = at(NOW - 301).unwrap_err();
        assert_eq!(
            err,
            SigV4Error::Expired {
                request_time: "20261127T155459Z".into(),
                server_time: "20261127T160000Z".into(),
            }
        );
        assert_eq!(
            err.message(),
            "Signature expired: 20261127T155459Z is now earlier than 20261127T155500Z \
             (20261127T160000Z - 5 min.)"
        );
        assert_eq!(err.error_type(), "InvalidSignatureException");
        assert_eq!(err.http_status(), 403);

        let err = at(NOW + 301).unwrap_err();
        assert_eq!(
            err,
            SigV4Error::NotYetCurrent {
                request_time: "20261127T160501Z".into(),
                server_time: "20261127T160000Z".into(),
            }
        );
        assert_eq!(
            err.message(),
            "Signature not yet current: 20261127T160501Z is still later than 20261127T160500Z \
             (20261127T160000Z + 5 min.)"
        );
        assert_eq!(err.http_status(), 403);
    }

    #[test]
    fn expired_message_matches_the_documented_example() {
        let err = SigV4Error::Expired {
            request_time: "20261121T170000Z".into(),
            server_time: "20261121T172000Z".into(),
        };
        assert_eq!(
            err.message(),
            "Signature expired: 20261121T170000Z is now earlier than 20261121T171500Z \
             (20261121T172000Z - 5 min.)"
        );
    }

    #[test]
    fn signed_query_with_spaces_plus_and_unicode_verifies() {
        let signer = TestSigner::new(NOW);
        let query = [
            ("z", "last"),
            ("name", "a b+c"),
            ("\u{1234}", "\u{e9}t\u{e9}"),
            ("name", "a"),
            ("empty", ""),
        ];
        let mut signed = signer.sign("GET", "/graphql", "/graphql", &query, &[], b"");
        assert_eq!(check(&signed, "GET"), Ok("AKIDTEST".to_owned()));
        // The same parameters written differently on the wire sign the same.
        signed.query = "empty&name=a&name=a+b%2bc&z=last&%E1%88%B4=%C3%A9t%C3%A9".into();
        assert_eq!(check(&signed, "GET"), Ok("AKIDTEST".to_owned()));
        // A `+` that meant a plus sign is a different value than a space.
        signed.query = "empty&name=a&name=a+b+c&z=last&%E1%88%B4=%C3%A9t%C3%A9".into();
        assert_eq!(check(&signed, "GET"), Err(SigV4Error::SignatureMismatch));
    }

    #[test]
    fn normalized_and_reencoded_path_verifies() {
        // The canonical URI rules themselves are tested in appsync-sigv4.
        let signer = TestSigner::new(NOW);
        let signed = signer.sign(
            "GET",
            "/apis/my%20api/./types//",
            "/apis/my%2520api/types/",
            &[],
            &[],
            b"",
        );
        assert_eq!(check(&signed, "GET"), Ok("AKIDTEST".to_owned()));
    }

    #[test]
    fn header_whitespace_folding_and_case() {
        let signer = TestSigner::new(NOW);
        let mut signed = signer.sign(
            "POST",
            "/graphql",
            "/graphql",
            &[],
            &[("X-Custom", "a b c"), ("content-type", "application/json")],
            b"{}",
        );
        assert_eq!(check(&signed, "POST"), Ok("AKIDTEST".to_owned()));
        // Extra spaces, outer whitespace and a different name case all fold away.
        for (name, value) in &mut signed.headers {
            if name == "X-Custom" {
                *name = "x-CUSTOM".into();
                *value = " \t a   b    c \t ".into();
            }
        }
        assert_eq!(check(&signed, "POST"), Ok("AKIDTEST".to_owned()));
        // But the words themselves are signed.
        for (name, value) in &mut signed.headers {
            if name == "x-CUSTOM" {
                *value = "a bc".into();
            }
        }
        assert_eq!(check(&signed, "POST"), Err(SigV4Error::SignatureMismatch));
    }

    #[test]
    fn debug_output_hides_secrets() {
        let creds = token_creds(Some("tok-secret"));
        let shown = format!("{:?}", creds[0]);
        assert!(shown.contains("AKIDTEST"));
        assert!(!shown.contains("test-secret"));
        assert!(!shown.contains("tok-secret"));
    }
}
