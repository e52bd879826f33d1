//! The base64 this crate needs, written out (the `base64` crate's general-purpose engine costs the
//! web build about 4 KB): standard and URL-safe encoding, and URL-safe decoding without padding
//! with the `base64` crate's `URL_SAFE_NO_PAD` rules (only the alphabet, no length of 1 mod 4, the
//! unused bits of the last symbol zero). Tests compare it with that crate.

const STANDARD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_SAFE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Standard base64 with `=` padding.
pub(crate) fn encode_standard(bytes: &[u8]) -> String {
    encode(bytes, STANDARD, true)
}

/// URL-safe base64 without padding.
pub(crate) fn encode_url_safe(bytes: &[u8]) -> String {
    encode(bytes, URL_SAFE, false)
}

fn encode(bytes: &[u8], alphabet: &[u8; 64], pad: bool) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let group = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(char::from(alphabet[(group >> (18 - 6 * i)) as usize & 63]));
        }
        if pad {
            for _ in chunk.len()..3 {
                out.push('=');
            }
        }
    }
    out
}

/// URL-safe base64 without padding; `None` for anything the `base64` crate would reject.
pub(crate) fn decode_url_safe(text: &str) -> Option<Vec<u8>> {
    let symbols = text.as_bytes();
    if symbols.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(symbols.len() / 4 * 3 + 2);
    for chunk in symbols.chunks(4) {
        let mut group = 0u32;
        for (i, symbol) in chunk.iter().enumerate() {
            let value = URL_SAFE.iter().position(|s| s == symbol)? as u32;
            group |= value << (18 - 6 * i);
        }
        let kept = chunk.len() - 1;
        // The bits of the last symbol that fall past the last byte must be zero.
        if kept < 3 && group & (0x00ff_ffff >> (8 * kept)) != 0 {
            return None;
        }
        for i in 0..kept {
            out.push((group >> (16 - 8 * i)) as u8);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::{STANDARD as CRATE_STANDARD, URL_SAFE_NO_PAD};
    use base64::Engine;

    /// A small deterministic generator (xorshift), so failures reproduce.
    fn bytes(seed: &mut u64, len: usize) -> Vec<u8> {
        (0..len)
            .map(|_| {
                *seed ^= *seed << 13;
                *seed ^= *seed >> 7;
                *seed ^= *seed << 17;
                *seed as u8
            })
            .collect()
    }

    #[test]
    fn encodes_as_the_base64_crate() {
        let mut seed = 0x9e37_79b9_7f4a_7c15;
        for len in 0..200 {
            let input = bytes(&mut seed, len % 40);
            assert_eq!(encode_standard(&input), CRATE_STANDARD.encode(&input));
            assert_eq!(encode_url_safe(&input), URL_SAFE_NO_PAD.encode(&input));
        }
    }

    #[test]
    fn decodes_as_the_base64_crate() {
        let mut seed = 0x2545_f491_4f6c_dd1d;
        let symbols = b"AQgw_-+/=.zZ09 \n";
        for round in 0..20_000 {
            let text: String = bytes(&mut seed, round % 11)
                .iter()
                .map(|b| {
                    // Mostly valid symbols, sometimes others.
                    if b % 8 == 0 {
                        char::from(symbols[usize::from(*b) % symbols.len()])
                    } else {
                        char::from(URL_SAFE[usize::from(*b) % 64])
                    }
                })
                .collect();
            assert_eq!(
                decode_url_safe(&text),
                URL_SAFE_NO_PAD.decode(&text).ok(),
                "{text:?}"
            );
        }
        for input in [&b""[..], b"a", b"ab", b"abc", b"abcd", b"\xff\xfe\xfd\x00"] {
            let text = URL_SAFE_NO_PAD.encode(input);
            assert_eq!(decode_url_safe(&text), Some(input.to_vec()));
        }
    }
}
