//! The canonical request: task 1 of the specification.

use std::borrow::Cow;

use crate::Error;

/// The parts of an HTTP request that the canonical request covers, as they go on the wire.
#[derive(Debug, Clone, Copy)]
pub struct HttpRequest<'a> {
    /// `GET`, `POST`, ... as sent.
    pub method: &'a str,
    /// The path as sent (percent-encoded once, as on the wire), without the query.
    pub path: &'a str,
    /// The raw query string without the leading `?`; may be empty.
    pub query: &'a str,
    /// Headers; names in any case, repeated names allowed (their values are joined in order).
    pub headers: &'a [(String, String)],
}

/// All values of the headers called `name` (compared case-insensitively), in order.
pub fn header_values<'h>(
    headers: &'h [(String, String)],
    name: &'h str,
) -> impl Iterator<Item = &'h str> + 'h {
    headers
        .iter()
        .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Header names in their canonical form for the `SignedHeaders` list: lower-cased, sorted and
/// without duplicates.
pub fn canonical_header_names<'n>(names: impl IntoIterator<Item = &'n str>) -> Vec<String> {
    let mut out: Vec<String> = names.into_iter().map(str::to_ascii_lowercase).collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// Builds the canonical request:
///
/// ```text
/// METHOD\nCANONICAL_URI\nCANONICAL_QUERY\nname:value\n...\n\nsigned;header;names\nPAYLOAD_HASH
/// ```
///
/// `signed_headers` must already be canonical ([`canonical_header_names`]); each one's values are
/// [normalized](normalize_header_value) and joined with `,`. `payload_hash` is the last line
/// (usually [`sha256_hex`](crate::sha256_hex) of the body). `service` selects the path rule
/// ([`canonical_uri`]). Fails if a signed header is absent from the request.
pub fn canonical_request(
    req: &HttpRequest<'_>,
    signed_headers: &[String],
    payload_hash: &str,
    service: &str,
) -> Result<String, Error> {
    let mut out = String::with_capacity(256);
    out.push_str(req.method);
    out.push('\n');
    out.push_str(&canonical_uri(req.path, service));
    out.push('\n');
    out.push_str(&canonical_query(req.query));
    out.push('\n');
    for name in signed_headers {
        out.push_str(name);
        out.push(':');
        let mut found = false;
        for value in header_values(req.headers, name) {
            if found {
                out.push(',');
            }
            out.push_str(&normalize_header_value(value));
            found = true;
        }
        if !found {
            return Err(Error::MissingSignedHeader(name.clone()));
        }
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&signed_headers.join(";"));
    out.push('\n');
    out.push_str(payload_hash);
    Ok(out)
}

/// The path line of the canonical request.
///
/// The spec has every service except S3 encode each path segment twice. The path arrives
/// already encoded once (its wire form), so what is left is the second pass -- what the AWS SDKs
/// do to the URI they send -- after [normalizing](normalize_path) it. S3 signs the wire path as
/// is.
pub fn canonical_uri(raw_path: &str, service: &str) -> String {
    if service == "s3" {
        return if raw_path.is_empty() {
            "/".to_owned()
        } else {
            raw_path.to_owned()
        };
    }
    let normalized = normalize_path(raw_path);
    let mut out = String::with_capacity(normalized.len() + 8);
    percent_encode_into(&mut out, normalized.as_bytes(), true);
    out
}

/// Resolves `.` and `..` segments (RFC 3986 section 5.2.4) and drops empty segments, so that
/// repeated slashes collapse, as AWS's published test suite expects (`//example//` signs as
/// `/example/`). The result is absolute; a trailing slash (or a trailing `/.` or `/..`, which
/// name a directory) is kept.
pub fn normalize_path(path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }
    let mut out = String::with_capacity(path.len() + 1);
    out.push('/');
    out.push_str(&segments.join("/"));
    let names_a_directory = path.ends_with('/') || path.ends_with("/.") || path.ends_with("/..");
    if !segments.is_empty() && names_a_directory {
        out.push('/');
    }
    out
}

/// The query line of the canonical request.
///
/// The raw query is decoded first (with `+` as a space, as HTML forms and the AWS SDKs read it)
/// so that `%7E`, `~` and `%7e` all sign alike, then every name and value is re-encoded with
/// [`uri_encode`]; sorting happens on the encoded pairs, by name and then by value, as the spec
/// orders it. A parameter without `=` has an empty value.
pub fn canonical_query(raw_query: &str) -> String {
    let mut pairs: Vec<(String, String)> = raw_query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|param| {
            let (name, value) = param.split_once('=').unwrap_or((param, ""));
            (encode_query_component(name), encode_query_component(value))
        })
        .collect();
    // Equal pairs are identical: no stable sort needed.
    pairs.sort_unstable();
    let mut out = String::with_capacity(raw_query.len() + 8);
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(name);
        out.push('=');
        out.push_str(value);
    }
    out
}

fn encode_query_component(raw: &str) -> String {
    let decoded = percent_decode(&raw.replace('+', " "));
    let mut out = String::with_capacity(decoded.len());
    percent_encode_into(&mut out, &decoded, false);
    out
}

/// SigV4's `UriEncode`: every byte but RFC 3986's unreserved characters (`A-Z a-z 0-9 - _ . ~`)
/// becomes `%XX` (upper-case hex); UTF-8 text is encoded byte by byte.
pub fn uri_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    percent_encode_into(&mut out, text.as_bytes(), false);
    out
}

fn percent_encode_into(out: &mut String, bytes: &[u8], keep_slash: bool) {
    const UPPER_HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in bytes {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else if keep_slash && b == b'/' {
            out.push('/');
        } else {
            out.push('%');
            out.push(char::from(UPPER_HEX[usize::from(b >> 4)]));
            out.push(char::from(UPPER_HEX[usize::from(b & 0x0f)]));
        }
    }
}

/// Decodes `%XX` escapes (either hex case); a `%` not followed by two hex digits stays literal.
fn percent_decode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let hi = bytes.get(i + 1).and_then(|&c| hex_value(c));
            let lo = bytes.get(i + 2).and_then(|&c| hex_value(c));
            if let (Some(hi), Some(lo)) = (hi, lo) {
                out.push((hi << 4) | lo);
                i += 3;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
    out
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Trims the value and folds runs of spaces into one. Only spaces fold, because that is what the
/// spec says and what the SDKs implement; a tab inside a value is signed as a tab. Leading and
/// trailing tabs are trimmed too: HTTP drops that whitespace on receipt.
pub fn normalize_header_value(value: &str) -> Cow<'_, str> {
    let trimmed = value.trim_matches([' ', '\t']);
    if !trimmed.contains("  ") {
        return Cow::Borrowed(trimmed);
    }
    let mut out = String::with_capacity(trimmed.len());
    let mut previous_space = false;
    for c in trimmed.chars() {
        if c == ' ' && previous_space {
            continue;
        }
        previous_space = c == ' ';
        out.push(c);
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_canonicalization() {
        // Sorted by name, then by value; `a` and `a=` are the same parameter.
        assert_eq!(canonical_query("b=2&a=3&a=1&c&d="), "a=1&a=3&b=2&c=&d=");
        // Space as `+` or `%20`, a literal plus as `%2B`.
        assert_eq!(canonical_query("q=a+b"), "q=a%20b");
        assert_eq!(canonical_query("q=a%20b"), "q=a%20b");
        assert_eq!(canonical_query("q=a%2Bb"), "q=a%2Bb");
        // Unreserved characters are never escaped, however they arrived.
        assert_eq!(canonical_query("t=%7E%2d_."), "t=~-_.");
        // Lowercase escapes come out uppercase; reserved characters escaped.
        assert_eq!(canonical_query("k=%c3%a9/*"), "k=%C3%A9%2F%2A");
        assert_eq!(canonical_query("\u{e9}=\u{1f600}"), "%C3%A9=%F0%9F%98%80");
        // Sorting is on the encoded form: `%2F` sorts before `-`.
        assert_eq!(canonical_query("a-=1&a/=2"), "a%2F=2&a-=1");
        assert_eq!(canonical_query(""), "");
        assert_eq!(canonical_query("&&x=1&"), "x=1");
        // A `%` that starts no escape is a literal percent sign.
        assert_eq!(
            canonical_query("p=100%&q=%zz&r=%4"),
            "p=100%25&q=%25zz&r=%254"
        );
        // Only the first `=` separates name from value.
        assert_eq!(canonical_query("e=a=b"), "e=a%3Db");
    }

    #[test]
    fn path_is_normalized_and_encoded_twice() {
        assert_eq!(canonical_uri("", "appsync"), "/");
        assert_eq!(canonical_uri("/", "appsync"), "/");
        assert_eq!(canonical_uri("/graphql", "appsync"), "/graphql");
        assert_eq!(
            canonical_uri("/graphql/connect", "appsync"),
            "/graphql/connect"
        );
        assert_eq!(canonical_uri("/a/./b/../c/", "appsync"), "/a/c/");
        assert_eq!(canonical_uri("/a%20b", "appsync"), "/a%2520b");
        assert_eq!(canonical_uri("/a:b", "appsync"), "/a%3Ab");
        assert_eq!(
            canonical_uri("/prod/items/x y", "execute-api"),
            "/prod/items/x%20y"
        );
        assert_eq!(
            canonical_uri("/apis/my%20api/./types//", "appsync"),
            "/apis/my%2520api/types/"
        );
        // S3 signs the wire path untouched.
        assert_eq!(canonical_uri("/a%20b/../c", "s3"), "/a%20b/../c");
        assert_eq!(canonical_uri("", "s3"), "/");
    }

    #[test]
    fn path_normalization() {
        assert_eq!(normalize_path(""), "/");
        assert_eq!(normalize_path("relative/path"), "/relative/path");
        assert_eq!(normalize_path("//example//"), "/example/");
        assert_eq!(normalize_path("/example1/example2/../.."), "/");
        assert_eq!(normalize_path("/../../x"), "/x");
        // A trailing `.` or `..` names a directory (RFC 3986 5.2.4).
        assert_eq!(normalize_path("/foo/bar/."), "/foo/bar/");
        assert_eq!(normalize_path("/foo/bar/baz/.."), "/foo/bar/");
        assert_eq!(normalize_path("/foo/.hidden"), "/foo/.hidden");
        assert_eq!(normalize_path("/foo/..."), "/foo/...");
    }

    #[test]
    fn uri_encoding_keeps_only_unreserved_characters() {
        assert_eq!(
            uri_encode("-._~AZaz09 !*'();:@&=+$,/?#[]%"),
            "-._~AZaz09%20%21%2A%27%28%29%3B%3A%40%26%3D%2B%24%2C%2F%3F%23%5B%5D%25"
        );
        assert_eq!(uri_encode("\u{1234}"), "%E1%88%B4");
        assert_eq!(uri_encode("\u{7f}\u{0}"), "%7F%00");
    }

    #[test]
    fn header_value_normalization() {
        assert_eq!(normalize_header_value("  a   b  c "), "a b c");
        assert_eq!(normalize_header_value("\tvalue\t"), "value");
        assert_eq!(normalize_header_value("\"a   b   c\""), "\"a b c\"");
        assert_eq!(normalize_header_value("a\tb"), "a\tb");
        assert_eq!(normalize_header_value(""), "");
        assert!(matches!(normalize_header_value("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn header_names_are_lowercased_sorted_and_deduplicated() {
        assert_eq!(
            canonical_header_names(["X-Amz-Date", "host", "Content-Type", "HOST"]),
            ["content-type", "host", "x-amz-date"]
        );
        assert!(canonical_header_names([]).is_empty());
    }

    #[test]
    fn canonical_request_layout_and_missing_headers() {
        let headers = vec![
            ("Host".to_owned(), "example.amazonaws.com".to_owned()),
            ("My-Header1".to_owned(), " a   b ".to_owned()),
            ("my-header1".to_owned(), "c".to_owned()),
            ("X-Amz-Date".to_owned(), "20150830T123600Z".to_owned()),
        ];
        let req = HttpRequest {
            method: "GET",
            path: "/p",
            query: "b=2&a=1",
            headers: &headers,
        };
        let signed = canonical_header_names(["host", "my-header1", "x-amz-date"]);
        assert_eq!(
            canonical_request(&req, &signed, "HASH", "service").unwrap(),
            "GET\n/p\na=1&b=2\nhost:example.amazonaws.com\nmy-header1:a b,c\n\
             x-amz-date:20150830T123600Z\n\nhost;my-header1;x-amz-date\nHASH"
        );
        let signed = canonical_header_names(["host", "x-absent"]);
        assert_eq!(
            canonical_request(&req, &signed, "HASH", "service"),
            Err(Error::MissingSignedHeader("x-absent".into()))
        );
        let values: Vec<&str> = header_values(&headers, "MY-HEADER1").collect();
        assert_eq!(values, [" a   b ", "c"]);
    }
}
