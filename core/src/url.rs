//! The absolute URLs the client handles (GraphQL and realtime endpoints), parsed without the
//! `url` crate: its IDNA tables alone would add about 48 KB gzip to the browser build. Hosts are
//! ASCII; an internationalised host is given in punycode (`xn--…`), which is what DNS uses anyway.

use std::fmt;

/// `scheme://host[:port]/path?query#fragment`, scheme and host lower-cased, default ports dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    pub scheme: String,
    pub host: String,
    pub port: Option<u16>,
    /// Path, query and fragment as written; at least `/`.
    pub rest: String,
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" | "ws" => Some(80),
        "https" | "wss" => Some(443),
        _ => None,
    }
}

impl Url {
    pub fn parse(text: &str) -> Result<Url, String> {
        if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("contains white space".into());
        }
        let (scheme, after) = text.split_once("://").ok_or("no `scheme://`")?;
        let valid_scheme = scheme
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
        if !valid_scheme {
            return Err(format!("invalid scheme `{scheme}`"));
        }
        let scheme = scheme.to_ascii_lowercase();
        let end = after.find(['/', '?', '#']).unwrap_or(after.len());
        let (authority, rest) = after.split_at(end);
        let authority = authority
            .rsplit_once('@')
            .map_or(authority, |(_, host)| host);
        let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
            let (ip, tail) = bracketed
                .split_once(']')
                .ok_or("unclosed `[` in the host")?;
            if ip.is_empty()
                || !ip
                    .chars()
                    .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
            {
                return Err(format!("invalid IPv6 host `[{ip}]`"));
            }
            let port = match tail {
                "" => None,
                _ => Some(
                    tail.strip_prefix(':')
                        .ok_or("garbage after the IPv6 host")?,
                ),
            };
            (format!("[{}]", ip.to_ascii_lowercase()), port)
        } else {
            match authority.split_once(':') {
                Some((host, port)) => (host.to_ascii_lowercase(), Some(port)),
                None => (authority.to_ascii_lowercase(), None),
            }
        };
        if host.is_empty() {
            return Err("no host".into());
        }
        if !host.is_ascii() {
            return Err(format!(
                "host `{host}` is not ASCII: give internationalised names in punycode (xn--…)"
            ));
        }
        if !host.starts_with('[')
            && !host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
        {
            return Err(format!("invalid host `{host}`"));
        }
        let port = match port {
            None | Some("") => None,
            Some(p) => Some(
                p.parse::<u16>()
                    .map_err(|_| format!("invalid port `{p}`"))?,
            ),
        };
        let port = port.filter(|p| Some(*p) != default_port(&scheme));
        let rest = if rest.starts_with('/') {
            rest.to_owned()
        } else {
            format!("/{rest}")
        };
        Ok(Url {
            scheme,
            host,
            port,
            rest,
        })
    }

    /// `host` or `host:port` (non-default ports only), as HTTP's `Host` header carries it.
    pub fn authority(&self) -> String {
        match self.port {
            Some(port) => format!("{}:{port}", self.host),
            None => self.host.clone(),
        }
    }

    /// The path without query or fragment.
    pub fn path(&self) -> &str {
        let end = self.rest.find(['?', '#']).unwrap_or(self.rest.len());
        &self.rest[..end]
    }
}

impl fmt::Display for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}{}", self.scheme, self.authority(), self.rest)
    }
}

/// Percent-encodes a query value (everything but RFC 3986's unreserved characters).
pub fn encode_query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_endpoints_the_client_sees() {
        let u = Url::parse("https://abc.appsync-api.eu-west-1.amazonaws.com/graphql").unwrap();
        assert_eq!(
            (u.scheme.as_str(), u.host.as_str(), u.port, u.rest.as_str()),
            (
                "https",
                "abc.appsync-api.eu-west-1.amazonaws.com",
                None,
                "/graphql"
            )
        );
        let local = Url::parse("HTTP://127.0.0.1:20002/graphql?x=1#f").unwrap();
        assert_eq!(local.authority(), "127.0.0.1:20002");
        assert_eq!(local.path(), "/graphql");
        assert_eq!(local.to_string(), "http://127.0.0.1:20002/graphql?x=1#f");
        assert_eq!(
            Url::parse("https://api.example.com:443")
                .unwrap()
                .to_string(),
            "https://api.example.com/"
        );
        assert_eq!(
            Url::parse("http://[::1]:8080/g").unwrap().authority(),
            "[::1]:8080"
        );
        assert_eq!(
            Url::parse("https://user:pw@Example.COM/x").unwrap().host,
            "example.com"
        );
    }

    #[test]
    fn rejects_what_is_not_a_usable_url() {
        for bad in [
            "",
            "example.com/graphql",
            "https://",
            "https:///x",
            "https://exa mple.com",
            "https://host:99999/",
            "https://host:abc/",
            "https://bücher.example/",
            "1http://x",
            "https://[zz]/",
            "https://a/b c",
        ] {
            assert!(Url::parse(bad).is_err(), "{bad}");
        }
        assert!(
            Url::parse("https://xn--bcher-kva.example/").is_ok(),
            "punycode is fine"
        );
    }

    #[test]
    fn encodes_base64_for_the_query_string() {
        assert_eq!(encode_query_value("eyJh+b/c=="), "eyJh%2Bb%2Fc%3D%3D");
    }
}
