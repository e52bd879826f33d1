//! Known-answer vectors from AWS's published SigV4 test suite (and the IAM `ListUsers` example
//! of the SigV4 documentation), all signed at 2015-08-30T12:36:00Z by `AKIDEXAMPLE`.
//!
//! Each vector is checked twice, and both must give the published signature to the byte:
//! - as a client signs it: [`sign`] from the URL, the extra headers, the body and the clock
//!   (`host` and `x-amz-date` are added by `sign`, as on a real request);
//! - as a verifier recomputes it: the published request's headers (in their published case,
//!   `Host` and `X-Amz-Date` included) through [`canonical_request`], [`string_to_sign`],
//!   [`signing_key`] and [`signature`].

// Test code: a failed expectation should stop the test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use appsync_sigv4::{
    authorization_header, canonical_header_names, canonical_request, credential_scope,
    format_amz_date, sha256_hex, sign, signature, signing_key, string_to_sign, Credentials,
    HttpRequest, SigningParams,
};

const SUITE_KEY: &str = "AKIDEXAMPLE";
const SUITE_SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
/// 2015-08-30T12:36:00Z, the instant of every vector.
const SUITE_NOW: i64 = 1_440_938_160;
const SUITE_DATE: &str = "20150830T123600Z";
const SUITE_HOST: &str = "example.amazonaws.com";

struct Vector<'a> {
    method: &'a str,
    /// As the suite writes it (sometimes not percent-encoded, e.g. `/example space/`).
    path: &'a str,
    query: &'a str,
    /// Headers besides `Host` and `X-Amz-Date`, in the suite's case and order.
    headers: &'a [(&'a str, &'a str)],
    host: &'a str,
    service: &'a str,
    session_token: Option<&'a str>,
    signed_headers: &'a str,
    signature: &'a str,
}

const VANILLA: Vector<'static> = Vector {
    method: "GET",
    path: "/",
    query: "",
    headers: &[],
    host: SUITE_HOST,
    service: "service",
    session_token: None,
    signed_headers: "host;x-amz-date",
    signature: "",
};

fn owned(headers: &[(&str, &str)]) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect()
}

fn expected_authorization(v: &Vector<'_>) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential={SUITE_KEY}/20150830/us-east-1/{}/aws4_request, \
         SignedHeaders={}, Signature={}",
        v.service, v.signed_headers, v.signature
    )
}

fn credentials<'a>(v: &Vector<'a>) -> Credentials<'a> {
    Credentials {
        access_key_id: SUITE_KEY,
        secret_access_key: SUITE_SECRET,
        session_token: v.session_token,
    }
}

/// The client's path: `sign` from a URL and the clock.
fn check_signer(v: &Vector<'_>) {
    let url = if v.query.is_empty() {
        format!("https://{}{}", v.host, v.path)
    } else {
        format!("https://{}{}?{}", v.host, v.path, v.query)
    };
    let headers = owned(v.headers);
    let params = SigningParams {
        method: v.method,
        url: &url,
        headers: &headers,
        body: b"",
        region: "us-east-1",
        service: v.service,
        epoch_secs: SUITE_NOW,
    };
    let out = sign(&credentials(v), &params).expect("signs");
    let mut expected = vec![
        ("x-amz-date".to_owned(), SUITE_DATE.to_owned()),
        ("authorization".to_owned(), expected_authorization(v)),
    ];
    if let Some(token) = v.session_token {
        expected.push(("x-amz-security-token".to_owned(), token.to_owned()));
    }
    assert_eq!(out, expected, "{} {url}", v.method);
}

/// The verifier's path: the published request through the individual steps.
fn check_steps(v: &Vector<'_>) {
    let mut headers = vec![("Host", v.host), ("X-Amz-Date", SUITE_DATE)];
    if let Some(token) = v.session_token {
        headers.push(("X-Amz-Security-Token", token));
    }
    headers.extend_from_slice(v.headers);
    let headers = owned(&headers);
    let request = HttpRequest {
        method: v.method,
        path: v.path,
        query: v.query,
        headers: &headers,
    };
    let signed = canonical_header_names(v.signed_headers.split(';'));
    let canonical =
        canonical_request(&request, &signed, &sha256_hex(b""), v.service).expect("canonical");
    let amz_date = format_amz_date(SUITE_NOW);
    let scope = credential_scope(&amz_date[..8], "us-east-1", v.service);
    let to_sign = string_to_sign(&amz_date, &scope, &canonical);
    let key = signing_key(SUITE_SECRET, &amz_date[..8], "us-east-1", v.service);
    let computed = signature(&key, &to_sign);
    assert_eq!(computed, v.signature, "{} {}?{}", v.method, v.path, v.query);
    assert_eq!(
        authorization_header(SUITE_KEY, &scope, &signed, &computed),
        expected_authorization(v)
    );
}

fn check(v: &Vector<'_>) {
    check_signer(v);
    check_steps(v);
}

#[test]
fn vector_get_vanilla() {
    check(&Vector {
        signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
        ..VANILLA
    });
}

#[test]
fn vector_iam_list_users_from_the_sigv4_docs() {
    let v = Vector {
        query: "Action=ListUsers&Version=2010-05-08",
        headers: &[(
            "Content-Type",
            "application/x-www-form-urlencoded; charset=utf-8",
        )],
        host: "iam.amazonaws.com",
        service: "iam",
        signed_headers: "content-type;host;x-amz-date",
        signature: "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7",
        ..VANILLA
    };
    check(&v);

    // The docs also publish the hash of the canonical request.
    let headers = owned(&[
        ("Host", "iam.amazonaws.com"),
        (
            "Content-Type",
            "application/x-www-form-urlencoded; charset=utf-8",
        ),
        ("X-Amz-Date", SUITE_DATE),
    ]);
    let request = HttpRequest {
        method: "GET",
        path: "/",
        query: v.query,
        headers: &headers,
    };
    let signed = canonical_header_names(["content-type", "host", "x-amz-date"]);
    let canonical = canonical_request(&request, &signed, &sha256_hex(b""), "iam").unwrap();
    assert_eq!(
        sha256_hex(canonical.as_bytes()),
        "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59"
    );
}

#[test]
fn vector_post_vanilla() {
    check(&Vector {
        method: "POST",
        signature: "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
        ..VANILLA
    });
}

#[test]
fn vector_get_vanilla_query_order_key_case() {
    check(&Vector {
        query: "Param2=value2&Param1=value1",
        signature: "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
        ..VANILLA
    });
}

#[test]
fn vector_get_vanilla_query_unreserved() {
    let unreserved = "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    check(&Vector {
        query: &format!("{unreserved}={unreserved}"),
        signature: "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197",
        ..VANILLA
    });
}

#[test]
fn vector_get_vanilla_utf8_query() {
    // The suite writes the raw character; a real client percent-encodes it on the wire. Both
    // must sign the same.
    for query in ["\u{1234}=bar", "%E1%88%B4=bar"] {
        check(&Vector {
            query,
            signature: "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04",
            ..VANILLA
        });
    }
}

#[test]
fn vector_get_utf8_path() {
    check(&Vector {
        path: "/\u{1234}",
        signature: "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85",
        ..VANILLA
    });
}

#[test]
fn vector_get_space_in_path() {
    check(&Vector {
        path: "/example space/",
        signature: "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741",
        ..VANILLA
    });
}

#[test]
fn vector_get_unreserved_path() {
    check(&Vector {
        path: "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
        signature: "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f",
        ..VANILLA
    });
}

#[test]
fn vector_get_slashes_and_relative_paths_normalize() {
    check(&Vector {
        path: "//example//",
        signature: "9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84",
        ..VANILLA
    });
    // `/example1/example2/../..` normalizes to `/`, hence get-vanilla's signature.
    check(&Vector {
        path: "/example1/example2/../..",
        signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
        ..VANILLA
    });
}

#[test]
fn vector_get_header_value_trim() {
    check(&Vector {
        headers: &[("My-Header1", " value1"), ("My-Header2", " \"a   b   c\"")],
        signed_headers: "host;my-header1;my-header2;x-amz-date",
        signature: "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736",
        ..VANILLA
    });
}

#[test]
fn vector_get_header_key_duplicate() {
    check(&Vector {
        headers: &[
            ("My-Header1", "value2"),
            ("My-Header1", "value2"),
            ("My-Header1", "value1"),
        ],
        signed_headers: "host;my-header1;x-amz-date",
        signature: "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea",
        ..VANILLA
    });
}

#[test]
fn vector_post_header_key_sort() {
    check(&Vector {
        method: "POST",
        headers: &[("My-Header1", "value1")],
        signed_headers: "host;my-header1;x-amz-date",
        signature: "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c",
        ..VANILLA
    });
}

#[test]
fn vector_get_vanilla_with_session_token() {
    check(&Vector {
        session_token: Some("6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267"),
        signed_headers: "host;x-amz-date;x-amz-security-token",
        signature: "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8",
        ..VANILLA
    });
}
