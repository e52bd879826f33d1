//! AWS Signature Version 4 (`AWS4-HMAC-SHA256`, signature in the `Authorization` header), written
//! from the published specification for the AppSync SDK.
//!
//! Why this crate exists:
//! - **One canonicalization.** The client (`appsync-core`) signs requests and the mock server
//!   (`appsync-mock`) verifies them. Both build the canonical request, the string to sign and the
//!   signing key here, so the two cannot drift apart: a request the client signs is checked by
//!   exactly the rules it was signed with, and the mock's verifier-only parts (parsing the
//!   `Authorization` header, scope, clock-skew and session-token checks, AWS-style errors) sit on
//!   top of it.
//! - **Small browser bundle.** It replaces the `aws-sigv4` / `aws-credential-types` /
//!   `aws-smithy-runtime-api` stack (about 45 KB of gzipped wasm) with a few hundred lines whose
//!   only dependencies are `sha2` and `hmac`; hex and percent-encoding are done in-crate.
//! - **Checked against AWS.** `tests/aws_vectors.rs` runs AWS's published SigV4 test-suite vectors
//!   (get-vanilla, post-vanilla, query ordering, UTF-8 paths and queries, header trimming, ...)
//!   through both the high-level [`sign`] and the step-by-step functions, and requires the
//!   published signatures to the byte.
//!
//! The clock is always passed in (epoch seconds): `SystemTime::now()` panics on
//! `wasm32-unknown-unknown`, and both the client (server-time offset) and the mock (injectable
//! clock) need to choose the instant anyway.
//!
//! Not covered: presigned (query-string) signatures, SigV4a, S3's chunked payload signing and
//! `x-amz-content-sha256` (S3's unencoded path is handled by [`canonical_uri`] for verifiers).
//!
//! The steps, for a request signed at `amz_date` ([`format_amz_date`]):
//! 1. [`canonical_request`] (method, [`canonical_uri`], [`canonical_query`], the signed headers'
//!    [normalized](normalize_header_value) values, [`canonical_header_names`], payload hash);
//! 2. [`string_to_sign`] over the [`credential_scope`] and the canonical request's hash;
//! 3. [`signing_key`] derived from the secret, then [`signature`];
//! 4. [`authorization_header`].

mod canonical;
mod crypto;
mod date;
mod sign;

pub use canonical::{
    canonical_header_names, canonical_query, canonical_request, canonical_uri, header_values,
    normalize_header_value, normalize_path, uri_encode, HttpRequest,
};
pub use crypto::{hex_encode, hmac_sha256, sha256_hex, signature, signing_key};
pub use date::{days_from_civil, days_in_month, format_amz_date, parse_amz_date, parse_http_date};
pub use sign::{
    authorization_header, credential_scope, sign, string_to_sign, Credentials, SigningParams,
    EXCLUDED_HEADERS,
};

use std::fmt;

/// The algorithm name that opens the string to sign and the `Authorization` header.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// The last element of every SigV4 credential scope.
pub const SCOPE_TERMINATOR: &str = "aws4_request";

/// Why a request could not be canonicalized or signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// A header listed among the signed headers is not in the request (its lower-case name).
    MissingSignedHeader(String),
    /// The URL to sign has no `scheme://` or no host (the URL, as given).
    InvalidUrl(String),
    /// A header name that is not an HTTP token, or a value with control characters (the name).
    InvalidHeader(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::MissingSignedHeader(name) => {
                write!(f, "'{name}' is a signed header but is not in the request")
            }
            Error::InvalidUrl(url) => write!(f, "cannot sign '{url}': it needs scheme://host"),
            Error::InvalidHeader(name) => {
                write!(f, "header '{name}' has an invalid name or value")
            }
        }
    }
}

impl std::error::Error for Error {}
