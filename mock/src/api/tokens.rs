//! `nextToken`s: opaque to clients (base64url of a small JSON), stable for the same position,
//! and checked on the way back in.

use super::FieldError;
use base64::Engine;
use serde::{Deserialize, Serialize};

/// Where a page stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageToken {
    /// Model name, so a token of another query is refused.
    pub m: String,
    /// `l` list, `f` full sync scan, `d` delta sync.
    pub t: char,
    /// Last id returned (list / full scan) or last delta sequence number (delta).
    pub k: String,
    /// Sync only: `startedAt` of the first page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s: Option<i64>,
    /// Delta sync only: the `lastSync` of the first page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub l: Option<i64>,
}

impl PageToken {
    pub fn encode(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
    }

    pub fn decode(token: &str, model: &str, kinds: &[char]) -> Result<PageToken, FieldError> {
        let invalid =
            || FieldError::new("InvalidNextTokenException", "Invalid nextToken provided.");
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token)
            .map_err(|_| invalid())?;
        let parsed: PageToken = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
        if parsed.m != model || !kinds.contains(&parsed.t) {
            return Err(invalid());
        }
        Ok(parsed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_foreign_or_garbage_tokens() {
        let token = PageToken {
            m: "Todo".into(),
            t: 'f',
            k: "abc".into(),
            s: Some(5),
            l: None,
        };
        let text = token.encode();
        assert_eq!(text, token.encode(), "stable");
        assert_eq!(
            PageToken::decode(&text, "Todo", &['f', 'd']).unwrap(),
            token
        );
        assert!(PageToken::decode(&text, "Post", &['f']).is_err());
        assert!(PageToken::decode(&text, "Todo", &['l']).is_err());
        assert!(PageToken::decode("%%%", "Todo", &['l']).is_err());
        assert!(PageToken::decode("e30", "Todo", &['l']).is_err());
    }
}
