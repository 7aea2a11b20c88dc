//! Key ids, fingerprints, a token's header and the text of a JWK Set: every token carries the
//! `kid` of the key that signed it, and a service verifies with the key of that id, from the
//! key ring (`key_ring`) of its own key and a JWK Set of keys that verify but never sign (the
//! next key before a rotation, the previous one after it). Nothing is ever fetched: a `kid`
//! only selects among the keys configured here, and `jku`, `x5u` and `jwk` headers are never
//! followed.

use jsonwebtoken::DecodingKey;
use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, JwkSet, ThumbprintHash};
use jwt_config_core::{Context, ProblemKind, Secret};

use super::values::SigningAlgorithm;

/// The label an HMAC key's id is derived over (see [`hmac_key_id`]).
const KEY_ID_LABEL: &[u8] = b"jwt-config key id v1";

/// The id of the signing (or own verification) key: `JWT_KEY_ID` when set; otherwise the
/// RFC 7638 thumbprint of an asymmetric key, and for an HMAC key [`hmac_key_id`].
pub(crate) fn key_id(
    configured: Option<&String>,
    algorithm: SigningAlgorithm,
    decoding: &DecodingKey,
    hmac_key: Option<&[u8]>,
) -> String {
    if let Some(id) = configured {
        return id.clone();
    }
    match hmac_key {
        Some(key) => hmac_key_id(key),
        None => Jwk::from_decoding_key(decoding, Some(algorithm.algorithm()))
            .and_then(|jwk| jwk.thumbprint(ThumbprintHash::SHA256))
            .unwrap_or_else(|_| "unnamed".to_owned()),
    }
}

/// An HMAC key's id: `hs-` and 16 hex digits of HMAC-SHA256 keyed by the key over a fixed
/// label. Like any value computed from a key, it confirms a guess of the key, so it is made
/// only for keys of at least 32 bytes (which no one can guess, and which staging and
/// production require); a shorter development key is named `hs-weak-dev-key`. Set
/// `JWT_KEY_ID` to name keys yourself.
pub(crate) fn hmac_key_id(key: &[u8]) -> String {
    use hmac::{KeyInit as _, Mac as _};
    if key.len() < 32 {
        return "hs-weak-dev-key".to_owned();
    }
    let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(key) else {
        return "hs-weak-dev-key".to_owned();
    };
    mac.update(KEY_ID_LABEL);
    let digest = mac.finalize().into_bytes();
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("hs-{hex}")
}

/// A JWK Set from a variable's text, or a problem that says how to fix the usual mistakes and
/// never quotes the value (it may hold secret keys).
pub(crate) fn read_jwk_set(
    text: &Secret<String>,
    variable: &str,
    context: &mut Context<'_>,
) -> Option<JwkSet> {
    let text = text.expose();
    let error = match serde_json::from_str::<JwkSet>(text) {
        Ok(set) => return Some(set),
        Err(error) => error,
    };
    let trimmed = text.trim_start();
    let hint = if trimmed.starts_with('{') && !text.contains('"') {
        // `NAME={"keys":...}` unquoted in an env file reaches us without its double quotes.
        "; its double quotes are gone: in an env file, quote the whole value in single quotes (NAME='{\"keys\":[...]}')"
    } else if error.is_syntax() || error.is_eof() {
        "; the JSON does not parse (a line break in an unquoted env file value, a trailing comma?)"
    } else {
        ""
    };
    let message = format!(
        "is not a JWK Set (RFC 7517): expected {{\"keys\": [...]}}{hint} (the value, which may hold secret keys, is not shown)"
    );
    context.problem(variable, ProblemKind::Invalid, message);
    None
}

/// Why jsonwebtoken cannot use a key, with the usual fix: a base64 member (`k`, `x`, `n`...)
/// written in standard base64 where JWK needs base64url without padding.
pub(crate) fn unusable_jwk(jwk: &Jwk, purpose: &str) -> String {
    let members: Vec<String> = match &jwk.algorithm {
        AlgorithmParameters::OctetKey(oct) => vec![oct.value.clone()],
        AlgorithmParameters::OctetKeyPair(okp) => vec![okp.x.clone()],
        AlgorithmParameters::EllipticCurve(ec) => vec![ec.x.clone(), ec.y.clone()],
        AlgorithmParameters::RSA(rsa) => vec![rsa.n.clone(), rsa.e.clone()],
        _ => Vec::new(),
    };
    let standard = members.iter().any(|m| m.contains(['+', '/', '=']));
    if standard {
        format!(
            "is not a key jsonwebtoken can use for {purpose}: its key members must be base64url without padding (`-` and `_` for `+` and `/`, no `=`; RFC 7515 section 2)"
        )
    } else {
        format!("is not a key jsonwebtoken can use for {purpose}")
    }
}

/// What tells one key from another without showing it: the RFC 7638 thumbprint of an
/// asymmetric key; for an HMAC key of at least 32 bytes, HMAC-SHA256 keyed by it over a fixed
/// label (`None` for a shorter one, whose digest would confirm guesses).
pub(crate) fn key_fingerprint(algorithm: SigningAlgorithm, key: &DecodingKey) -> Option<String> {
    use hmac::{KeyInit as _, Mac as _};
    if !algorithm.is_hmac() {
        let jwk = Jwk::from_decoding_key(key, Some(algorithm.algorithm())).ok()?;
        return jwk.thumbprint(ThumbprintHash::SHA256).ok();
    }
    let bytes = key
        .try_get_as_bytes()
        .ok()
        .filter(|bytes| bytes.len() >= 32)?;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(bytes).ok()?;
    mac.update(b"jwt-config key fingerprint v1");
    Some(
        mac.finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
    )
}

/// The two members of a token's header that choose how to verify it, parsed alone.
#[derive(serde::Deserialize)]
pub(crate) struct TokenHead {
    pub(crate) kid: Option<String>,
    pub(crate) typ: Option<String>,
}

/// The `kid` and `typ` of a token's header; `None` for a token that is not
/// `header.payload.signature` with a JSON header.
pub(crate) fn token_head(token: &str) -> Option<TokenHead> {
    use base64::Engine as _;
    let (header, _) = token.split_once('.')?;
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header)
        .ok()?;
    serde_json::from_slice::<TokenHead>(&json).ok()
}

/// The public JWK of the signing (or own verification) key, with its id; `None` for HMAC.
pub(crate) fn own_public_jwk(
    algorithm: SigningAlgorithm,
    decoding: &DecodingKey,
    id: &str,
) -> Option<Jwk> {
    if algorithm.is_hmac() {
        return None;
    }
    let mut jwk = Jwk::from_decoding_key(decoding, Some(algorithm.algorithm())).ok()?;
    jwk.common.key_id = Some(id.to_owned());
    Some(jwk)
}
