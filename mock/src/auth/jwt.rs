//! The mock's own identity provider: one RS256 key pair that mints JSON Web
//! Tokens shaped like Cognito user-pool / OIDC tokens, publishes the public
//! half as a JWKS, and verifies incoming tokens (signature, key id, expiry,
//! not-before, issuer and audience) against an injectable clock.
//!
//! Signing and signature checks go through `jsonwebtoken` (backed by `ring`);
//! `rsa` is only used to generate keys, which `ring` cannot do, and to read
//! the modulus and exponent the JWKS publishes. Claim checks are done here
//! rather than by `jsonwebtoken`, so that tests can pin the clock.

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use rsa::rand_core::OsRng;
use rsa::traits::PublicKeyParts;
use rsa::RsaPrivateKey;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

const ALGORITHM_NAME: &str = "RS256";
const GENERATED_KEY_BITS: usize = 2048;
/// `ring` refuses to sign with RSA keys outside this range, so keys are
/// checked when loaded instead of failing at the first `mint`.
const MIN_KEY_BITS: usize = 2048;
const MAX_KEY_BITS: usize = 4096;
/// Tolerated clock skew for `nbf` and `iat`; `exp` gets none, so that an
/// expired token is refused the second it expires.
const ISSUED_IN_FUTURE_LEEWAY_SECS: i64 = 5 * 60;

/// Why a presented token was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum JwtError {
    #[error("Unable to parse JWT token: {0}")]
    Malformed(String),
    #[error("JWT signature is invalid.")]
    BadSignature,
    #[error("JWT was signed with an unknown key.")]
    UnknownKey,
    #[error("Token has expired.")]
    Expired,
    #[error("Token is not yet valid.")]
    NotYetValid,
    #[error("Token issuer is invalid.")]
    WrongIssuer,
    #[error("Token audience is invalid.")]
    WrongAudience,
    #[error("Unsupported JWT algorithm: {0}")]
    UnsupportedAlgorithm(String),
}

/// Why the key pair could not be created, loaded, exported or used to sign.
#[derive(Debug, thiserror::Error)]
pub enum JwtSetupError {
    #[error("could not generate an RSA key pair: {0}")]
    KeyGeneration(String),
    #[error("not a usable PKCS#8 RSA private key: {0}")]
    InvalidPrivateKey(String),
    #[error("RSA key of {0} bits is not supported (use 2048 to 4096 bits)")]
    UnsupportedKeySize(usize),
    #[error("could not encode the key: {0}")]
    KeyEncoding(String),
    #[error("claims must be a JSON object")]
    ClaimsNotAnObject,
    #[error("could not sign the token: {0}")]
    Signing(String),
}

/// An RS256 key pair with everything derived from it precomputed.
#[derive(Clone)]
pub struct JwtKeys {
    private_key: RsaPrivateKey,
    encoding_key: EncodingKey,
    decoding_key: DecodingKey,
    kid: String,
    /// Modulus and exponent, base64url without padding, as JWKS wants them.
    n: String,
    e: String,
}

// Hand-written so that a stray `{:?}` never prints the private key.
impl fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtKeys")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl JwtKeys {
    /// Generates a fresh RSA 2048 key pair.
    pub fn generate() -> Result<JwtKeys, JwtSetupError> {
        let private_key = RsaPrivateKey::new(&mut OsRng, GENERATED_KEY_BITS)
            .map_err(|e| JwtSetupError::KeyGeneration(e.to_string()))?;
        Self::from_private_key(private_key)
    }

    /// Loads a PKCS#8 (`-----BEGIN PRIVATE KEY-----`) RSA private key.
    pub fn from_pkcs8_pem(pem: &str) -> Result<JwtKeys, JwtSetupError> {
        let private_key = RsaPrivateKey::from_pkcs8_pem(pem)
            .map_err(|e| JwtSetupError::InvalidPrivateKey(e.to_string()))?;
        Self::from_private_key(private_key)
    }

    /// Exports the private key as PKCS#8 PEM, e.g. to keep tokens valid
    /// across restarts of the mock.
    pub fn to_pkcs8_pem(&self) -> Result<String, JwtSetupError> {
        self.private_key
            .to_pkcs8_pem(LineEnding::LF)
            .map(|pem| pem.as_str().to_owned())
            .map_err(|e| JwtSetupError::KeyEncoding(e.to_string()))
    }

    fn from_private_key(private_key: RsaPrivateKey) -> Result<JwtKeys, JwtSetupError> {
        let bits = private_key.size() * 8;
        if !(MIN_KEY_BITS..=MAX_KEY_BITS).contains(&bits) {
            return Err(JwtSetupError::UnsupportedKeySize(bits));
        }
        let pem = private_key
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| JwtSetupError::KeyEncoding(e.to_string()))?;
        let encoding_key = EncodingKey::from_rsa_pem(pem.as_bytes())
            .map_err(|e| JwtSetupError::InvalidPrivateKey(e.to_string()))?;

        let n = URL_SAFE_NO_PAD.encode(private_key.n().to_bytes_be());
        let e = URL_SAFE_NO_PAD.encode(private_key.e().to_bytes_be());
        let decoding_key = DecodingKey::from_rsa_components(&n, &e)
            .map_err(|err| JwtSetupError::KeyEncoding(err.to_string()))?;
        let kid = jwk_thumbprint(&n, &e);

        Ok(JwtKeys {
            private_key,
            encoding_key,
            decoding_key,
            kid,
            n,
            e,
        })
    }

    /// The key id put in every minted token's header and in the JWKS.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public key as a JSON Web Key Set, as served from
    /// `/.well-known/jwks.json`.
    pub fn jwks(&self) -> Value {
        json!({
            "keys": [{
                "kty": "RSA",
                "alg": ALGORITHM_NAME,
                "use": "sig",
                "kid": self.kid,
                "n": self.n,
                "e": self.e,
            }]
        })
    }

    /// Signs `claims` (a JSON object, used as is) into an RS256 token whose
    /// header carries this key's `kid`.
    pub fn mint(&self, claims: &Value) -> Result<String, JwtSetupError> {
        if !claims.is_object() {
            return Err(JwtSetupError::ClaimsNotAnObject);
        }
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding_key)
            .map_err(|e| JwtSetupError::Signing(e.to_string()))
    }

    /// Verifies a token minted with this key and returns its claims.
    ///
    /// Checks, in order: the shape; `alg` is RS256 and `kid` is this key's;
    /// the signature; `exp` is present and still ahead of `now_epoch_secs`
    /// (no leeway); `nbf` and `iat`, when present, are at most five minutes
    /// ahead; `iss` equals `expected_issuer`; and, unless `expected_audience`
    /// is `None`, that `aud` (a string or an array) contains it or
    /// `client_id` equals it -- Cognito access tokens carry no `aud`, only
    /// `client_id`. A leading `Bearer ` is ignored.
    pub fn verify(
        &self,
        token: &str,
        expected_issuer: &str,
        expected_audience: Option<&str>,
        now_epoch_secs: i64,
    ) -> Result<Value, JwtError> {
        let token = strip_bearer(token.trim());
        let header = decode_header(token)?;

        let alg = header
            .get("alg")
            .and_then(Value::as_str)
            .ok_or_else(|| JwtError::Malformed("header has no \"alg\"".into()))?;
        if alg != ALGORITHM_NAME {
            return Err(JwtError::UnsupportedAlgorithm(alg.to_owned()));
        }
        if header.get("kid").and_then(Value::as_str) != Some(self.kid.as_str()) {
            return Err(JwtError::UnknownKey);
        }

        let claims = self.check_signature(token)?;
        let claims = claims
            .as_object()
            .ok_or_else(|| JwtError::Malformed("claims are not a JSON object".into()))?;

        let exp = numeric_claim(claims, "exp")?
            .ok_or_else(|| JwtError::Malformed("token has no \"exp\" claim".into()))?;
        if exp <= now_epoch_secs {
            return Err(JwtError::Expired);
        }
        let latest_issue = now_epoch_secs.saturating_add(ISSUED_IN_FUTURE_LEEWAY_SECS);
        for name in ["nbf", "iat"] {
            if numeric_claim(claims, name)?.is_some_and(|at| at > latest_issue) {
                return Err(JwtError::NotYetValid);
            }
        }

        if claims.get("iss").and_then(Value::as_str) != Some(expected_issuer) {
            return Err(JwtError::WrongIssuer);
        }
        if expected_audience.is_some_and(|audience| !audience_matches(claims, audience)) {
            return Err(JwtError::WrongAudience);
        }

        Ok(Value::Object(claims.clone()))
    }

    fn check_signature(&self, token: &str) -> Result<Value, JwtError> {
        let mut validation = Validation::new(Algorithm::RS256);
        // Every claim is checked in `verify`, against the injected clock.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        validation.leeway = 0;

        match jsonwebtoken::decode::<Value>(token, &self.decoding_key, &validation) {
            Ok(data) => Ok(data.claims),
            Err(err) => Err(match err.kind() {
                ErrorKind::InvalidSignature => JwtError::BadSignature,
                ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => {
                    JwtError::UnsupportedAlgorithm(ALGORITHM_NAME.into())
                }
                _ => JwtError::Malformed(err.to_string()),
            }),
        }
    }
}

/// RFC 7638 thumbprint: stable for a given public key, whichever way the
/// key was loaded, and the same value other JOSE tools compute.
fn jwk_thumbprint(n: &str, e: &str) -> String {
    let canonical = format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#);
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

fn strip_bearer(token: &str) -> &str {
    match token.get(..7) {
        Some(prefix) if prefix.eq_ignore_ascii_case("bearer ") => token[7..].trim_start(),
        _ => token,
    }
}

/// Decodes the JOSE header without trusting it, so that `alg: none` or an
/// HMAC token can be named as such instead of failing as unparsable.
fn decode_header(token: &str) -> Result<Map<String, Value>, JwtError> {
    let mut parts = token.split('.');
    let (Some(header), Some(_payload), Some(_signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::Malformed(
            "a JWT has three dot-separated parts".into(),
        ));
    };
    let bytes = URL_SAFE_NO_PAD
        .decode(header)
        .map_err(|e| JwtError::Malformed(format!("header is not base64url: {e}")))?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(JwtError::Malformed("header is not a JSON object".into())),
        Err(e) => Err(JwtError::Malformed(format!("header is not JSON: {e}"))),
    }
}

/// A NumericDate claim, which RFC 7519 allows to be fractional.
fn numeric_claim(claims: &Map<String, Value>, name: &str) -> Result<Option<i64>, JwtError> {
    match claims.get(name) {
        None => Ok(None),
        Some(value) => value
            .as_i64()
            .or_else(|| value.as_f64().map(|f| f.floor() as i64))
            .map(Some)
            .ok_or_else(|| JwtError::Malformed(format!("\"{name}\" is not a number"))),
    }
}

fn audience_matches(claims: &Map<String, Value>, audience: &str) -> bool {
    let in_aud = match claims.get("aud") {
        Some(Value::String(aud)) => aud == audience,
        Some(Value::Array(auds)) => auds.iter().any(|a| a.as_str() == Some(audience)),
        _ => false,
    };
    in_aud || claims.get("client_id").and_then(Value::as_str) == Some(audience)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::OnceLock;

    const ISSUER: &str = "http://localhost:20002/us-east-1_mock";
    const CLIENT: &str = "mock-client-id";
    const NOW: i64 = 1_795_795_200;

    /// Two key pairs per test binary: generating RSA keys is the slow part.
    fn keys() -> &'static (JwtKeys, JwtKeys) {
        static KEYS: OnceLock<(JwtKeys, JwtKeys)> = OnceLock::new();
        KEYS.get_or_init(|| {
            (
                JwtKeys::generate().expect("first key"),
                JwtKeys::generate().expect("second key"),
            )
        })
    }

    fn id_token_claims() -> Value {
        json!({
            "sub": "7d8ca528-4931-4254-9273-ea5ee853f271",
            "cognito:username": "alice",
            "cognito:groups": ["admins"],
            "email": "alice@example.com",
            "token_use": "id",
            "iss": ISSUER,
            "aud": CLIENT,
            "iat": NOW - 60,
            "auth_time": NOW - 60,
            "exp": NOW + 3600,
        })
    }

    fn b64(value: &Value) -> String {
        URL_SAFE_NO_PAD.encode(value.to_string())
    }

    #[test]
    fn mint_and_verify_round_trip() {
        let (key, _) = keys();
        let claims = id_token_claims();
        let token = key.mint(&claims).expect("mint");
        assert_eq!(
            key.verify(&token, ISSUER, Some(CLIENT), NOW),
            Ok(claims.clone())
        );
        assert_eq!(
            key.verify(&format!("Bearer {token}"), ISSUER, Some(CLIENT), NOW),
            Ok(claims.clone())
        );
        assert_eq!(key.verify(&token, ISSUER, None, NOW), Ok(claims));

        let header = decode_header(&token).expect("header");
        assert_eq!(header["alg"], "RS256");
        assert_eq!(header["kid"], key.kid());
    }

    #[test]
    fn expiry_has_no_leeway() {
        let (key, _) = keys();
        let token = key.mint(&id_token_claims()).expect("mint");
        assert!(key.verify(&token, ISSUER, Some(CLIENT), NOW + 3599).is_ok());
        assert_eq!(
            key.verify(&token, ISSUER, Some(CLIENT), NOW + 3600),
            Err(JwtError::Expired)
        );
        assert_eq!(
            key.verify(&token, ISSUER, Some(CLIENT), NOW + 86_400),
            Err(JwtError::Expired)
        );
    }

    #[test]
    fn exp_is_required_and_must_be_numeric() {
        let (key, _) = keys();
        let mut claims = id_token_claims();
        claims.as_object_mut().expect("object").remove("exp");
        let token = key.mint(&claims).expect("mint");
        assert!(matches!(
            key.verify(&token, ISSUER, Some(CLIENT), NOW),
            Err(JwtError::Malformed(_))
        ));

        claims["exp"] = json!("tomorrow");
        let token = key.mint(&claims).expect("mint");
        assert!(matches!(
            key.verify(&token, ISSUER, Some(CLIENT), NOW),
            Err(JwtError::Malformed(_))
        ));

        claims["exp"] = json!((NOW + 10) as f64 + 0.5);
        let token = key.mint(&claims).expect("mint");
        assert!(key.verify(&token, ISSUER, Some(CLIENT), NOW).is_ok());
    }

    #[test]
    fn not_before_and_issued_at_allow_five_minutes_of_skew() {
        let (key, _) = keys();
        for claim in ["nbf", "iat"] {
            let mut claims = id_token_claims();
            claims[claim] = json!(NOW + 300);
            let token = key.mint(&claims).expect("mint");
            assert!(
                key.verify(&token, ISSUER, Some(CLIENT), NOW).is_ok(),
                "{claim}"
            );

            claims[claim] = json!(NOW + 301);
            let token = key.mint(&claims).expect("mint");
            assert_eq!(
                key.verify(&token, ISSUER, Some(CLIENT), NOW),
                Err(JwtError::NotYetValid),
                "{claim}"
            );
        }
    }

    #[test]
    fn wrong_issuer() {
        let (key, _) = keys();
        let token = key.mint(&id_token_claims()).expect("mint");
        assert_eq!(
            key.verify(
                &token,
                "https://cognito-idp.us-east-1.amazonaws.com/other",
                None,
                NOW
            ),
            Err(JwtError::WrongIssuer)
        );
        let mut claims = id_token_claims();
        claims.as_object_mut().expect("object").remove("iss");
        let token = key.mint(&claims).expect("mint");
        assert_eq!(
            key.verify(&token, ISSUER, None, NOW),
            Err(JwtError::WrongIssuer)
        );
    }

    #[test]
    fn audience_string_array_and_mismatch() {
        let (key, _) = keys();
        let token = key.mint(&id_token_claims()).expect("mint");
        assert_eq!(
            key.verify(&token, ISSUER, Some("another-client"), NOW),
            Err(JwtError::WrongAudience)
        );

        let mut claims = id_token_claims();
        claims["aud"] = json!(["first", CLIENT]);
        let token = key.mint(&claims).expect("mint");
        assert!(key.verify(&token, ISSUER, Some(CLIENT), NOW).is_ok());
        assert_eq!(
            key.verify(&token, ISSUER, Some("third"), NOW),
            Err(JwtError::WrongAudience)
        );
    }

    #[test]
    fn access_token_audience_is_client_id() {
        let (key, _) = keys();
        let claims = json!({
            "sub": "7d8ca528-4931-4254-9273-ea5ee853f271",
            "token_use": "access",
            "scope": "aws.cognito.signin.user.admin",
            "client_id": CLIENT,
            "username": "alice",
            "iss": ISSUER,
            "iat": NOW,
            "exp": NOW + 3600,
        });
        let token = key.mint(&claims).expect("mint");
        assert_eq!(key.verify(&token, ISSUER, Some(CLIENT), NOW), Ok(claims));
        assert_eq!(
            key.verify(&token, ISSUER, Some("another-client"), NOW),
            Err(JwtError::WrongAudience)
        );
    }

    #[test]
    fn token_from_another_key() {
        let (key, other) = keys();
        assert_ne!(key.kid(), other.kid());
        let foreign = other.mint(&id_token_claims()).expect("mint");
        assert_eq!(
            key.verify(&foreign, ISSUER, Some(CLIENT), NOW),
            Err(JwtError::UnknownKey)
        );

        // Same kid claimed, but signed with the other private key.
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(key.kid().to_owned());
        let forged =
            jsonwebtoken::encode(&header, &id_token_claims(), &other.encoding_key).expect("encode");
        assert_eq!(
            key.verify(&forged, ISSUER, Some(CLIENT), NOW),
            Err(JwtError::BadSignature)
        );

        // No kid at all.
        let bare = jsonwebtoken::encode(
            &Header::new(Algorithm::RS256),
            &id_token_claims(),
            &key.encoding_key,
        )
        .expect("encode");
        assert_eq!(
            key.verify(&bare, ISSUER, Some(CLIENT), NOW),
            Err(JwtError::UnknownKey)
        );
    }

    #[test]
    fn tampered_payload_is_refused() {
        let (key, _) = keys();
        let token = key.mint(&id_token_claims()).expect("mint");
        let parts: Vec<&str> = token.split('.').collect();
        let mut claims = id_token_claims();
        claims["cognito:groups"] = json!(["admins", "superusers"]);
        let tampered = format!("{}.{}.{}", parts[0], b64(&claims), parts[2]);
        assert_eq!(
            key.verify(&tampered, ISSUER, Some(CLIENT), NOW),
            Err(JwtError::BadSignature)
        );

        let mut signature = parts[2].to_owned();
        let flipped = if signature.ends_with('A') { "Q" } else { "A" };
        signature.replace_range(signature.len() - 1.., flipped);
        let tampered = format!("{}.{}.{signature}", parts[0], parts[1]);
        assert_eq!(
            key.verify(&tampered, ISSUER, Some(CLIENT), NOW),
            Err(JwtError::BadSignature)
        );
    }

    #[test]
    fn alg_none_and_hmac_tokens_are_refused() {
        let (key, _) = keys();
        let payload = b64(&id_token_claims());

        let none = format!("{}.{payload}.", b64(&json!({"alg": "none", "typ": "JWT"})));
        assert_eq!(
            key.verify(&none, ISSUER, Some(CLIENT), NOW),
            Err(JwtError::UnsupportedAlgorithm("none".into()))
        );

        // An HS256 token "signed" with the public modulus: the classic
        // algorithm-confusion attack.
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(key.kid().to_owned());
        let hs256 = jsonwebtoken::encode(
            &header,
            &id_token_claims(),
            &EncodingKey::from_secret(key.n.as_bytes()),
        )
        .expect("encode");
        assert_eq!(
            key.verify(&hs256, ISSUER, Some(CLIENT), NOW),
            Err(JwtError::UnsupportedAlgorithm("HS256".into()))
        );

        let no_alg = format!("{}.{payload}.c2ln", b64(&json!({"kid": key.kid()})));
        assert!(matches!(
            key.verify(&no_alg, ISSUER, Some(CLIENT), NOW),
            Err(JwtError::Malformed(_))
        ));
    }

    #[test]
    fn garbage_is_malformed() {
        let (key, _) = keys();
        let rs256_header = b64(&json!({"alg": "RS256", "kid": key.kid()}));
        for garbage in [
            String::new(),
            "Bearer".into(),
            "not a token".into(),
            "a.b".into(),
            "a.b.c.d".into(),
            "!!!.e30.c2ln".into(),
            format!("{}.e30.c2ln", URL_SAFE_NO_PAD.encode("not json")),
            format!("{}.e30.c2ln", URL_SAFE_NO_PAD.encode("[1,2]")),
            // Valid header, but a payload that is not base64url / not JSON.
            format!("{rs256_header}.!!!.c2ln"),
        ] {
            let result = key.verify(&garbage, ISSUER, Some(CLIENT), NOW);
            assert!(
                matches!(
                    result,
                    Err(JwtError::Malformed(_)) | Err(JwtError::BadSignature)
                ),
                "{garbage:?}: {result:?}"
            );
        }
        // Shape errors must be reported as such, not as signature failures.
        for garbage in ["", "not a token", "a.b", "a.b.c.d", "!!!.e30.c2ln"] {
            assert!(
                matches!(
                    key.verify(garbage, ISSUER, Some(CLIENT), NOW),
                    Err(JwtError::Malformed(_))
                ),
                "{garbage:?}"
            );
        }
    }

    #[test]
    fn mint_rejects_non_object_claims() {
        let (key, _) = keys();
        assert!(matches!(
            key.mint(&json!(["not", "an", "object"])),
            Err(JwtSetupError::ClaimsNotAnObject)
        ));
    }

    #[test]
    fn jwks_shape() {
        let (key, _) = keys();
        let jwks = key.jwks();
        let keys = jwks["keys"].as_array().expect("keys array");
        assert_eq!(keys.len(), 1);
        let jwk = keys[0].as_object().expect("jwk object");
        let mut fields: Vec<&str> = jwk.keys().map(String::as_str).collect();
        fields.sort_unstable();
        assert_eq!(fields, ["alg", "e", "kid", "kty", "n", "use"]);
        assert_eq!(jwk["kty"], "RSA");
        assert_eq!(jwk["alg"], "RS256");
        assert_eq!(jwk["use"], "sig");
        assert_eq!(jwk["kid"], key.kid());

        let is_b64url = |s: &str| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        };
        let n = jwk["n"].as_str().expect("n");
        let e = jwk["e"].as_str().expect("e");
        assert!(is_b64url(n) && is_b64url(e), "{n} / {e}");
        assert_eq!(e, "AQAB", "exponent 65537");
        let modulus = URL_SAFE_NO_PAD.decode(n).expect("n decodes");
        assert_eq!(modulus.len(), 256, "2048-bit modulus, no leading zero byte");
        assert!(modulus[0] & 0x80 != 0);

        // A verifier that only has the JWKS accepts our tokens.
        let from_jwks = DecodingKey::from_rsa_components(n, e).expect("decoding key");
        let token = key.mint(&id_token_claims()).expect("mint");
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_audience(&[CLIENT]);
        validation.validate_exp = false;
        assert!(jsonwebtoken::decode::<Value>(&token, &from_jwks, &validation).is_ok());
    }

    #[test]
    fn kid_is_the_rfc7638_thumbprint() {
        // RFC 7638 section 3.1's example key and its published thumbprint.
        let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6\
                 tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v\
                 -65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08q\
                 NLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8aw\
                 apJzKnqDKgw";
        assert_eq!(
            jwk_thumbprint(n, "AQAB"),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }

    #[test]
    fn pem_round_trip_keeps_the_kid() {
        let (key, _) = keys();
        let pem = key.to_pkcs8_pem().expect("pem");
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"));
        let reloaded = JwtKeys::from_pkcs8_pem(&pem).expect("reload");
        assert_eq!(reloaded.kid(), key.kid());
        assert_eq!(reloaded.jwks(), key.jwks());

        // Tokens survive the reload in both directions.
        let token = key.mint(&id_token_claims()).expect("mint");
        assert!(reloaded.verify(&token, ISSUER, Some(CLIENT), NOW).is_ok());
        let token = reloaded.mint(&id_token_claims()).expect("mint");
        assert!(key.verify(&token, ISSUER, Some(CLIENT), NOW).is_ok());
    }

    #[test]
    fn bad_pem_is_rejected() {
        assert!(matches!(
            JwtKeys::from_pkcs8_pem(
                "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
            ),
            Err(JwtSetupError::InvalidPrivateKey(_))
        ));
        assert!(matches!(
            JwtKeys::from_pkcs8_pem("hello"),
            Err(JwtSetupError::InvalidPrivateKey(_))
        ));
    }

    #[test]
    fn debug_output_hides_the_private_key() {
        let (key, _) = keys();
        let shown = format!("{key:?}");
        assert!(shown.contains(key.kid()));
        assert!(!shown.contains(&key.n));
    }

    #[test]
    fn error_messages() {
        assert_eq!(JwtError::Expired.to_string(), "Token has expired.");
        assert_eq!(
            JwtError::UnsupportedAlgorithm("none".into()).to_string(),
            "Unsupported JWT algorithm: none"
        );
    }
}
