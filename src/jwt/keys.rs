//! Key material parsed once at startup, checked against the algorithm, and proved by a
//! sign-then-verify self-test, so a bad key is a startup problem, never a failed request.

use std::collections::BTreeMap;

use jsonwebtoken::crypto::CryptoProvider;
use jsonwebtoken::{
    AlgorithmFamily, DecodingKey, DecodingKeyKind, EncodingKey, Header, Validation,
};
use jwt_config_core::{Context, ProblemKind, Secret, WarningKind};

use super::key_ring::{
    Accepts, KeyPolicy, KeyRing, OutgoingParts, RingKey, SelfTestFailure, Signer, load_jwk_set,
    self_test,
};
use super::key_set;
use super::values::{HmacKey, Pem, SigningAlgorithm};
use super::{JwtConfigPartial, vars};

/// The least RSA modulus, RFC 7518 section 3.3.
pub const MIN_RSA_BITS: usize = 2048;

/// A signing key (none where the service only verifies) and its verification key.
type KeyPair = (Option<EncodingKey>, DecodingKey);

/// The variables that hold the keys of access and refresh tokens, for an unknown `kid`.
const TOKEN_KEYS: &str = "JWT_SECRET_KEY, JWT_PUBLIC_KEY or JWT_VERIFICATION_KEYS";

/// The `computed` step of `JwtConfig`: the key ring of access and refresh tokens from what
/// loaded, every failure a problem. The PEM and JWK Set text is read here and not kept.
pub(crate) fn build_keys(
    partial: &JwtConfigPartial<'_>,
    context: &mut Context<'_>,
) -> Option<KeyRing> {
    if let Some(message) = crypto_provider_problem(CryptoProvider::try_get_default().is_some()) {
        context.problem(vars::ALGORITHM, ProblemKind::Rule, message);
        return None;
    }
    let Some(&algorithm) = partial.algorithm else {
        // `JWT_ALGORITHM=none` must not hide a short secret: report it beside the algorithm.
        if let Some(Some(key)) = partial.secret_key {
            short_hmac_key(SigningAlgorithm::HS256, key, context);
        }
        return None;
    };
    let holds_private_key = partial.private_key.is_some_and(Option::is_some);
    rsa_signing_advisory(algorithm, holds_private_key, context);
    let set_text = partial.verification_keys?.as_ref();
    let (encoding, decoding) = own_keys(partial, algorithm, set_text.is_some(), context)?;
    let hmac_bytes = partial.secret_key?.as_ref().filter(|_| algorithm.is_hmac());
    let configured_id = partial.key_id?.as_ref();
    let key_id = decoding.as_ref().map(|decoding| {
        let hmac_bytes = hmac_bytes.map(|key| key.expose().as_bytes());
        key_set::key_id(configured_id, algorithm, decoding, hmac_bytes)
    });
    if let (Some(encoding), Some(decoding)) = (&encoding, &decoding) {
        let signer = if algorithm.is_hmac() {
            vars::SECRET_KEY
        } else {
            vars::PRIVATE_KEY
        };
        report_self_test(algorithm, (encoding, decoding), signer, context)?;
    }
    let mut ring = token_ring(partial, algorithm, (encoding, decoding), key_id.clone());
    let policy = KeyPolicy {
        variable: vars::VERIFICATION_KEYS,
        accepts: Accepts::Algorithm(algorithm),
        kid_required: "has no `kid`; every verification key needs an id",
        own_id: key_id.as_deref(),
    };
    load_jwk_set(set_text, &policy, &mut ring, context)?;
    if ring.by_kid.is_empty() {
        let message =
            "holds no key, and there is no JWT_PUBLIC_KEY: this service could verify nothing";
        context.problem(vars::VERIFICATION_KEYS, ProblemKind::Missing, message);
        return None;
    }
    // Last, so that the keys' problems are reported beside an issuer or audience that failed.
    ring.validations = vec![token_validation(partial)?];
    Some(ring)
}

/// This service's own keys: the HMAC key, or the PEM pair (none where a verifier has only
/// `JWT_VERIFICATION_KEYS`).
fn own_keys(
    partial: &JwtConfigPartial<'_>,
    algorithm: SigningAlgorithm,
    has_set: bool,
    context: &mut Context<'_>,
) -> Option<(Option<EncodingKey>, Option<DecodingKey>)> {
    if algorithm.is_hmac() {
        let (encoding, decoding) = hmac_keys(algorithm, partial.secret_key?.as_ref(), context)?;
        return Some((encoding, Some(decoding)));
    }
    match (partial.public_key?.as_ref(), partial.private_key?.as_ref()) {
        // A verifier of an issuer's published key set needs no PEM of its own.
        (None, None) if has_set => Some((None, None)),
        (public, private) => {
            let (encoding, decoding) = asymmetric_keys(algorithm, private, public, context)?;
            Some((encoding, Some(decoding)))
        }
    }
}

/// The ring of the own keys, before `JWT_VERIFICATION_KEYS` joins it.
fn token_ring(
    partial: &JwtConfigPartial<'_>,
    algorithm: SigningAlgorithm,
    (encoding, decoding): (Option<EncodingKey>, Option<DecodingKey>),
    key_id: Option<String>,
) -> KeyRing {
    let own_variable = if algorithm.is_hmac() {
        vars::SECRET_KEY
    } else {
        vars::PUBLIC_KEY
    };
    let mut header = Header::new(algorithm.algorithm());
    header.kid.clone_from(&key_id);
    let mut ring = KeyRing {
        signer: encoding.map(|encoding| Signer { encoding, header }),
        own_id: key_id.clone(),
        own_variable,
        own_public: None,
        by_kid: BTreeMap::new(),
        untagged_kid: key_id.clone(),
        published: Vec::new(),
        validations: Vec::new(),
        audience: partial
            .audience
            .map(|audience| audience.values().to_vec())
            .unwrap_or_default(),
        issuer: partial.issuer.cloned(),
        held_in: TOKEN_KEYS,
        advertised: std::sync::OnceLock::new(),
        outgoing: OutgoingParts::default(),
    };
    if let (Some(decoding), Some(id)) = (decoding, key_id) {
        ring.own_public = key_set::own_public_jwk(algorithm, &decoding, &id);
        let own = RingKey {
            key: decoding,
            algorithm: algorithm.algorithm(),
            service: None,
            accepted: true,
            variable: own_variable,
        };
        ring.by_kid.insert(id, own);
    }
    ring
}

/// Exactly one algorithm, the issuer, the audience and the leeway (for `exp` and `nbf`);
/// `exp`, `iss` and `aud` required.
fn token_validation(partial: &JwtConfigPartial<'_>) -> Option<Validation> {
    let mut validation = Validation::new(partial.algorithm?.algorithm());
    validation.leeway = *partial.leeway_seconds?;
    validation.validate_nbf = true;
    validation.set_issuer(&[partial.issuer?]);
    validation.set_audience(partial.audience?.values());
    validation.set_required_spec_claims(&["exp", "iss", "aud"]);
    Some(validation)
}

/// The message for a build whose jsonwebtoken has no usable crypto backend.
pub(crate) fn crypto_provider_problem(provider_available: bool) -> Option<&'static str> {
    (!provider_available).then_some(
        "cannot be used: this build's jsonwebtoken has no usable crypto provider (enable exactly \
         one of its `rust_crypto` and `aws_lc_rs` features, or install a provider before loading)",
    )
}

/// The advisory that applies to RSA signing on the `rust-crypto` backend.
pub(crate) const RSA_TIMING_ADVISORY: &str = "RUSTSEC-2023-0071";

/// A service that signs RS*/PS* tokens (it holds `JWT_PRIVATE_KEY`) on the `rust-crypto`
/// backend uses the `rsa` crate's private-key operations, whose timing can leak the key
/// (RUSTSEC-2023-0071, no fixed version): a warning in staging and production, where a network
/// attacker can time them. Verifying uses only the public key and is not affected.
fn rsa_signing_advisory(
    algorithm: SigningAlgorithm,
    holds_private_key: bool,
    context: &mut Context<'_>,
) {
    let rsa = algorithm.algorithm().family() == AlgorithmFamily::Rsa;
    if !(cfg!(feature = "rust-crypto") && rsa && holds_private_key) {
        return;
    }
    if !context.environment().is_deployed() {
        return;
    }
    let message = format!(
        "signs {algorithm} tokens with the `rsa` crate of jwt-config's `rust-crypto` backend, whose \
         private-key operations leak timing ({RSA_TIMING_ADVISORY}, Marvin attack; no fixed version): \
         build jwt-config with the `aws-lc` feature (constant-time) instead, or sign with ES256 or EdDSA"
    );
    context.warn(vars::PRIVATE_KEY, WarningKind::Advisory, message);
}

fn hmac_keys(
    algorithm: SigningAlgorithm,
    key: Option<&Secret<HmacKey>>,
    context: &mut Context<'_>,
) -> Option<KeyPair> {
    let Some(key) = key else {
        let message = format!("is missing; {algorithm} signs with a shared secret");
        context.problem(vars::SECRET_KEY, ProblemKind::Missing, message);
        return None;
    };
    if short_hmac_key(algorithm, key, context) {
        return None;
    }
    let bytes = key.expose().as_bytes();
    match (
        EncodingKey::from_secret(bytes),
        DecodingKey::from_secret(bytes),
    ) {
        (Ok(encoding), Ok(decoding)) => Some((Some(encoding), decoding)),
        _ => {
            let message = format!("cannot be used as an {algorithm} key");
            context.problem(vars::SECRET_KEY, ProblemKind::Invalid, message);
            None
        }
    }
}

/// Checks an HMAC key's length (RFC 7518 section 3.2): a problem in staging and production,
/// a warning elsewhere. Returns whether it was a problem.
fn short_hmac_key(
    algorithm: SigningAlgorithm,
    key: &Secret<HmacKey>,
    context: &mut Context<'_>,
) -> bool {
    let (length, min) = (
        key.expose().as_bytes().len(),
        algorithm.min_hmac_key_bytes(),
    );
    if length >= min {
        return false;
    }
    let message = format!(
        "is {length} bytes long after decoding; {algorithm} needs at least {min} (RFC 7518 section 3.2)"
    );
    if context.environment().is_deployed() {
        context.problem(vars::SECRET_KEY, ProblemKind::OutOfRange, message);
        return true;
    }
    context.warn(
        vars::SECRET_KEY,
        WarningKind::Weak,
        format!("{message}; a problem in staging and production"),
    );
    false
}

fn asymmetric_keys(
    algorithm: SigningAlgorithm,
    private: Option<&Secret<Pem>>,
    public: Option<&Pem>,
    context: &mut Context<'_>,
) -> Option<KeyPair> {
    let kind = algorithm.key_kind();
    let Some(public) = public else {
        let message = format!(
            "is missing; {algorithm} verifies with {kind} (PEM), or with the keys of JWT_VERIFICATION_KEYS"
        );
        context.problem(vars::PUBLIC_KEY, ProblemKind::Missing, message);
        return None;
    };
    let decoding = decoding_key(algorithm, public, context);
    let encoding = match private {
        Some(private) => Some(encoding_key(algorithm, private.expose(), context)?),
        None => None,
    };
    Some((encoding, decoding?))
}

fn decoding_key(
    algorithm: SigningAlgorithm,
    public: &Pem,
    context: &mut Context<'_>,
) -> Option<DecodingKey> {
    let kind = algorithm.key_kind();
    if public
        .label()
        .is_some_and(|label| label.contains("PRIVATE"))
    {
        let message = "holds a private key; it must hold the public key (the private key goes in JWT_PRIVATE_KEY)";
        context.problem(vars::PUBLIC_KEY, ProblemKind::Invalid, message);
        return None;
    }
    let pem = public.as_str().as_bytes();
    let parsed = match algorithm.algorithm().family() {
        AlgorithmFamily::Rsa => DecodingKey::from_rsa_pem(pem),
        AlgorithmFamily::Ec => DecodingKey::from_ec_pem(pem),
        _ => DecodingKey::from_ed_pem(pem),
    };
    let usable = parsed.ok().filter(|key| verifies_with(algorithm, key));
    let Some(key) = usable else {
        let message = format!("is not {kind} in PEM, as {algorithm} needs");
        context.problem(vars::PUBLIC_KEY, ProblemKind::Invalid, message);
        return None;
    };
    if algorithm.algorithm().family() == AlgorithmFamily::Rsa {
        // The size of the key jsonwebtoken will use, not of a second parse of the PEM that
        // could read something else (a certificate, trailing text): unknown is refused.
        let message = match rsa_bits(&key) {
            Some(bits) if bits >= MIN_RSA_BITS => None,
            Some(bits) => Some(format!(
                "is a {bits}-bit RSA key; at least {MIN_RSA_BITS} bits are required (RFC 7518 section 3.3)"
            )),
            None => Some(format!(
                "is an RSA key whose size cannot be determined; give a PUBLIC KEY or RSA PUBLIC KEY of at least {MIN_RSA_BITS} bits"
            )),
        };
        if let Some(message) = message {
            context.problem(vars::PUBLIC_KEY, ProblemKind::OutOfRange, message);
            return None;
        }
    }
    Some(key)
}

/// Whether the key is one the algorithm verifies with, on either backend: of its family and
/// curve, as jsonwebtoken reads the key (its JWK form), and accepted by a probe verification
/// (`Ok(false)` for a usable key, an error for one the backend refuses). `aws-lc` checks an
/// EC key only when a signature verifies, so the probe alone passes a P-384 key for ES256.
pub(crate) fn verifies_with(algorithm: SigningAlgorithm, key: &DecodingKey) -> bool {
    use jsonwebtoken::Algorithm;
    use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk};
    let algorithm = algorithm.algorithm();
    if key.family() != algorithm.family() {
        return false;
    }
    let curve = match algorithm {
        Algorithm::ES256 => EllipticCurve::P256,
        Algorithm::ES384 => EllipticCurve::P384,
        Algorithm::EdDSA => EllipticCurve::Ed25519,
        // RSA and HMAC keys have no curve; an RSA key's size is checked on its own.
        _ => return probe_verifies(algorithm, key),
    };
    let fits = match Jwk::from_decoding_key(key, None).map(|jwk| jwk.algorithm) {
        Ok(AlgorithmParameters::EllipticCurve(ec)) => ec.curve == curve,
        Ok(AlgorithmParameters::OctetKeyPair(okp)) => okp.curve == curve,
        _ => false,
    };
    fits && probe_verifies(algorithm, key)
}

/// A probe verification: `Ok(false)` for a usable key, an error for one the backend refuses.
fn probe_verifies(algorithm: jsonwebtoken::Algorithm, key: &DecodingKey) -> bool {
    jsonwebtoken::crypto::verify("AAAA", b"jwt-config probe", key, algorithm).is_ok()
}

fn encoding_key(
    algorithm: SigningAlgorithm,
    private: &Pem,
    context: &mut Context<'_>,
) -> Option<EncodingKey> {
    if private
        .label()
        .is_some_and(|label| label.contains("PUBLIC"))
    {
        let message = "holds a public key; it must hold the private key (the public key goes in JWT_PUBLIC_KEY)";
        context.problem(vars::PRIVATE_KEY, ProblemKind::Invalid, message);
        return None;
    }
    if private.label() == Some("EC PRIVATE KEY") {
        let message = "is a SEC1 `EC PRIVATE KEY`, which jsonwebtoken does not read; convert it to \
                       PKCS#8 (`-----BEGIN PRIVATE KEY-----`) with `openssl pkcs8 -topk8 -nocrypt -in key.pem`";
        context.problem(vars::PRIVATE_KEY, ProblemKind::Invalid, message);
        return None;
    }
    let pem = private.as_str().as_bytes();
    let parsed = match algorithm.algorithm().family() {
        AlgorithmFamily::Rsa => EncodingKey::from_rsa_pem(pem),
        AlgorithmFamily::Ec => EncodingKey::from_ec_pem(pem),
        _ => EncodingKey::from_ed_pem(pem),
    };
    match parsed {
        Ok(key) => Some(key),
        Err(_) => {
            let message = format!(
                "is not {} in PEM, as {algorithm} needs",
                algorithm.key_kind()
            );
            context.problem(vars::PRIVATE_KEY, ProblemKind::Invalid, message);
            None
        }
    }
}

/// The modulus size of the RSA key jsonwebtoken built, read from its public modulus `n` (the
/// JWK that jsonwebtoken derives from the key): no private-key arithmetic, no `rsa` crate.
/// `None` (refused by the callers) where the modulus cannot be read.
pub(crate) fn rsa_bits(key: &DecodingKey) -> Option<usize> {
    use base64::Engine as _;
    let modulus = match key.kind() {
        DecodingKeyKind::RsaModulusExponent { n, .. } => n.clone(),
        DecodingKeyKind::SecretOrDer(_) => {
            let jwk = jsonwebtoken::jwk::Jwk::from_decoding_key(key, None).ok()?;
            let jsonwebtoken::jwk::AlgorithmParameters::RSA(rsa) = jwk.algorithm else {
                return None;
            };
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(rsa.n)
                .ok()?
        }
    };
    modulus_bits(&modulus)
}

/// The bits of a big-endian unsigned integer, leading zero bytes ignored; `None` for zero.
fn modulus_bits(n: &[u8]) -> Option<usize> {
    let leading_zeros = n.iter().take_while(|b| **b == 0).count();
    let significant = &n[leading_zeros..];
    let first = *significant.first()?;
    Some(significant.len() * 8 - first.leading_zeros() as usize)
}

/// The startup self-test of the signing key against its verification key; a failure is a
/// problem of `signer`, the variable that holds the signing key.
fn report_self_test(
    algorithm: SigningAlgorithm,
    (encoding, decoding): (&EncodingKey, &DecodingKey),
    signer: &str,
    context: &mut Context<'_>,
) -> Option<()> {
    match self_test(algorithm.algorithm(), encoding, decoding) {
        Ok(()) => Some(()),
        Err(SelfTestFailure::CannotSign) => {
            let message = format!(
                "cannot sign with {algorithm}: it is not {}",
                algorithm.key_kind()
            );
            context.problem(signer, ProblemKind::Invalid, message);
            None
        }
        Err(SelfTestFailure::NotAPair) => {
            let message = "does not match JWT_PUBLIC_KEY: a token it signs does not verify (the two keys are not a pair)";
            context.problem(vars::PRIVATE_KEY, ProblemKind::Rule, message);
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_build_without_a_crypto_provider_is_a_problem_not_a_panic() {
        assert!(
            crypto_provider_problem(false)
                .unwrap()
                .contains("no usable crypto provider")
        );
        assert_eq!(crypto_provider_problem(true), None);
    }

    #[test]
    fn a_modulus_counts_its_bits_from_the_first_nonzero_byte() {
        assert_eq!(modulus_bits(&[0x00, 0x80, 0x00]), Some(16));
        assert_eq!(modulus_bits(&[0x01, 0xff]), Some(9));
        assert_eq!(modulus_bits(&[0x00, 0x00]), None);
        assert_eq!(modulus_bits(&[]), None);
    }
}
