//! One key ring for every token this crate verifies: access and refresh tokens (the keys of
//! `JWT_ALGORITHM`) and service calls (Ed25519, P-256 and `oct` keys). A ring is built once at
//! load from the key material variables and holds keys, never their text; what differs
//! between the two is data, a [`KeyPolicy`], not a second loader. One JWK Set reader, one self-test, one listing and one
//! choice of a key by `kid` serve both.

use std::collections::BTreeMap;

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, ThumbprintHash};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, EncodingKey, Header, Validation};
use jwt_config_core::{Context, ProblemKind, Secret};

use super::key_set::{key_fingerprint, read_jwk_set, unusable_jwk};
use super::keys::{MIN_RSA_BITS, rsa_bits, verifies_with};
use super::tokens::bounded;
use super::values::SigningAlgorithm;
use super::{KeyInfo, TokenError};

/// A key that verifies tokens.
#[derive(Clone)]
pub(crate) struct RingKey {
    pub(crate) key: DecodingKey,
    pub(crate) algorithm: Algorithm,
    /// The service a caller's own key speaks for; `None` for every other key.
    pub(crate) service: Option<String>,
    /// Whether a token signed with it is accepted: false for a shared service secret where
    /// the receiver knows its callers' own keys (see `service_keys::build_service_keys`).
    pub(crate) accepted: bool,
    /// The variable that holds it.
    pub(crate) variable: &'static str,
}

/// The key this service signs with, and the header of what it signs.
#[derive(Clone)]
pub(crate) struct Signer {
    pub(crate) encoding: EncodingKey,
    pub(crate) header: Header,
}

/// The keys of one kind of token: the one this service signs with (if any), those it verifies
/// with by `kid`, and how their tokens are validated.
#[derive(Clone)]
pub(crate) struct KeyRing {
    pub(crate) signer: Option<Signer>,
    /// The id of this service's own key (signing, or verifying with its own PEM).
    pub(crate) own_id: Option<String>,
    /// The variable of this service's own key, as the listing names it.
    pub(crate) own_variable: &'static str,
    /// This service's own public key, with its id, to publish; `None` for HMAC.
    pub(crate) own_public: Option<Jwk>,
    /// Every key that verifies, by `kid`.
    pub(crate) by_kid: BTreeMap<String, RingKey>,
    /// The key of tokens without `kid` (issued before key ids): the own key, or the shared
    /// service secret.
    pub(crate) untagged_kid: Option<String>,
    /// Public keys of the JWK Set (never `oct`), as they may be published.
    pub(crate) published: Vec<Jwk>,
    /// One validation per algorithm in the ring, built once: verifying allocates none.
    pub(crate) validations: Vec<Validation>,
    /// The audiences and issuer accepted, for the errors that name them.
    pub(crate) audience: Vec<String>,
    pub(crate) issuer: Option<String>,
    /// The variables that hold the keys, for an unknown `kid`.
    pub(crate) held_in: &'static str,
    /// The keys as service tokens advertise them (`agreement::advertised`), made at the first
    /// call: constant for the process (the token ring's only).
    #[cfg_attr(not(feature = "service-auth"), allow(dead_code))]
    pub(crate) advertised: std::sync::OnceLock<Vec<String>>,
    /// What every outgoing service token shares, serialized at the first call (the service
    /// ring's only).
    #[cfg_attr(not(feature = "service-auth"), allow(dead_code))]
    pub(crate) outgoing: OutgoingParts,
}

/// The parts of this service's outgoing service tokens that do not change from call to call:
/// the config is immutable, so once made they are never stale.
#[derive(Clone, Default)]
#[cfg_attr(not(feature = "service-auth"), allow(dead_code))]
pub(crate) struct OutgoingParts {
    /// The header in base64url and a dot, and the claims' JSON up to the value of `aud`.
    pub(crate) fixed: std::sync::OnceLock<(String, Vec<u8>)>,
    /// The JSON of the fingerprint claims (`cfg`, `cfgd`, `cfgk`) of the first fingerprint
    /// signed with, and that fingerprint: a process signs with one.
    pub(crate) fingerprinted: std::sync::OnceLock<(crate::SettingsFingerprint, Vec<u8>)>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let signs = if self.signer.is_some() {
            "signs and verifies"
        } else {
            "verifies only"
        };
        write!(f, "KeyRing({signs}, {} verifying)", self.by_kid.len())
    }
}

impl KeyRing {
    /// The key of a token's `kid`: no `kid` is tried with the key of untagged tokens only; an
    /// id the ring does not hold is refused. Nothing is ever fetched.
    pub(crate) fn key_for(&self, kid: Option<&str>) -> Result<&RingKey, TokenError> {
        let Some(kid) = kid else {
            return self
                .untagged_kid
                .as_ref()
                .and_then(|kid| self.by_kid.get(kid))
                .ok_or(TokenError::NoKeyId {
                    held_in: self.held_in,
                });
        };
        self.by_kid
            .get(kid)
            .ok_or_else(|| TokenError::UnknownKeyId {
                kid: bounded(kid),
                held_in: self.held_in,
            })
    }

    /// The only key of the ring, where there is one: a token is then decoded at once and its
    /// header (parsed by that decode) checked after, with no second parse.
    pub(crate) fn sole_key(&self) -> Option<&RingKey> {
        let mut keys = self.by_kid.values();
        match (keys.next(), keys.next()) {
            (Some(key), None) => Some(key),
            _ => None,
        }
    }

    /// The validation of a key's algorithm.
    pub(crate) fn validation(&self, algorithm: Algorithm) -> Option<&Validation> {
        self.validations
            .iter()
            .find(|validation| validation.algorithms.first() == Some(&algorithm))
    }

    /// The ring's own key first (the one it signs with, or its own PEM), then every other key
    /// it verifies with: ids, kinds and roles, never material.
    pub(crate) fn listed(&self) -> Vec<KeyInfo> {
        // The own key verifies where the ring holds it under the own key's variable (a caller's
        // key that happens to carry this service's id is another key).
        let own_verifying = |id: &String| {
            self.by_kid
                .get(id)
                .filter(|key| key.variable == self.own_variable)
        };
        let own = self.own_id.as_ref().map(|id| {
            let verifying = own_verifying(id);
            let algorithm = verifying.map_or_else(
                || self.signer.as_ref().map(|s| s.header.alg),
                |key| Some(key.algorithm),
            );
            let algorithm = SigningAlgorithm::of(algorithm.unwrap_or(Algorithm::HS256));
            KeyInfo {
                id: id.clone(),
                kind: algorithm.key_kind(),
                key_type: algorithm.key_type(),
                signs: self.signer.is_some(),
                verifies: verifying.is_some_and(|key| key.accepted),
                variable: self.own_variable,
                fingerprint: match (&self.own_public, verifying) {
                    (Some(jwk), _) => jwk.thumbprint(ThumbprintHash::SHA256).ok(),
                    (None, Some(key)) => key_fingerprint(algorithm, &key.key),
                    (None, None) => None,
                },
            }
        });
        let others = self
            .by_kid
            .iter()
            .filter(|(id, _)| Some(*id) != self.own_id.as_ref() || own_verifying(id).is_none())
            .map(|(id, key)| {
                let algorithm = SigningAlgorithm::of(key.algorithm);
                KeyInfo {
                    id: id.clone(),
                    kind: algorithm.key_kind(),
                    key_type: algorithm.key_type(),
                    signs: false,
                    verifies: key.accepted,
                    variable: key.variable,
                    fingerprint: key_fingerprint(algorithm, &key.key),
                }
            });
        own.into_iter().chain(others).collect()
    }
}

/// Which keys a JWK Set may hold: the policy of a ring, as data.
#[derive(Clone, Copy)]
pub(crate) enum Accepts {
    /// Keys of one algorithm (`JWT_ALGORITHM`): its family, an `alg` member equal to it.
    Algorithm(SigningAlgorithm),
    /// Service calls: Ed25519 (EdDSA) or P-256 (ES256) keys whose `kid` names their service,
    /// and `oct` (HS256) keys that rotate the shared secret.
    ServiceCalls,
}

/// What a JWK Set of a ring may hold, and what it is checked against.
pub(crate) struct KeyPolicy<'a> {
    /// The variable that holds the set.
    pub(crate) variable: &'static str,
    pub(crate) accepts: Accepts,
    /// What a key without `kid` is told.
    pub(crate) kid_required: &'static str,
    /// The id of the own key, which no key of the set may take.
    pub(crate) own_id: Option<&'a str>,
}

/// Reads a JWK Set into `ring` by `policy`, reporting every bad key (never its material): ids
/// present and unique, the family, curve and `alg` the policy accepts, RSA of at least 2048
/// bits, and in staging and production HMAC keys of RFC 7518 sizes. Returns whether it held a
/// caller's own key.
pub(crate) fn load_jwk_set(
    text: Option<&Secret<String>>,
    policy: &KeyPolicy<'_>,
    ring: &mut KeyRing,
    context: &mut Context<'_>,
) -> Option<bool> {
    let Some(text) = text else {
        return Some(false);
    };
    let set = read_jwk_set(text, policy.variable, context)?;
    let deployed = context.environment().is_deployed();
    let (mut ok, mut own_keys) = (true, false);
    for (index, jwk) in set.keys.iter().enumerate() {
        let problem = match checked_jwk(jwk, policy, deployed) {
            Ok((id, _)) if Some(id.as_str()) == policy.own_id => Some((
                ProblemKind::Conflict,
                "has the signing key's id; a key signs or verifies, not both".to_owned(),
            )),
            Ok((id, _)) if ring.by_kid.contains_key(&id) => Some((
                ProblemKind::Conflict,
                "repeats the id of an earlier key; ids must be unique".to_owned(),
            )),
            Ok((id, key)) => {
                own_keys |= key.service.is_some();
                if !matches!(jwk.algorithm, AlgorithmParameters::OctetKey(_)) {
                    ring.published.push(jwk.clone());
                }
                ring.by_kid.insert(id, key);
                None
            }
            Err(reason) => Some((ProblemKind::Invalid, reason)),
        };
        if let Some((kind, reason)) = problem {
            ok = false;
            let message = format!("key {}: {reason}", index + 1);
            context.problem(policy.variable, kind, message);
        }
    }
    ok.then_some(own_keys)
}

/// One key of a set, checked by the policy; the reason never quotes key material.
fn checked_jwk(
    jwk: &Jwk,
    policy: &KeyPolicy<'_>,
    deployed: bool,
) -> Result<(String, RingKey), String> {
    let kid = jwk
        .common
        .key_id
        .clone()
        .filter(|kid| !kid.is_empty())
        .ok_or(policy.kid_required)?;
    let named = |reason: String| match policy.accepts {
        Accepts::Algorithm(_) => reason,
        Accepts::ServiceCalls => format!("({:?}) {reason}", bounded(&kid)),
    };
    let (algorithm, service) = match policy.accepts {
        Accepts::Algorithm(algorithm) => (algorithm, None),
        Accepts::ServiceCalls => service_key_algorithm(jwk, &kid).map_err(named)?,
    };
    if let Some(alg) = jwk.common.key_algorithm
        && alg != KeyAlgorithm::from(algorithm.algorithm())
    {
        return Err(named(format!("its `alg` is not {algorithm}")));
    }
    let key =
        DecodingKey::from_jwk(jwk).map_err(|_| named(unusable_jwk(jwk, &algorithm.to_string())))?;
    if !verifies_with(algorithm, &key) {
        return Err(named(format!(
            "is not {}, as {algorithm} needs",
            algorithm.key_kind()
        )));
    }
    match key.family() {
        AlgorithmFamily::Rsa => match rsa_bits(&key) {
            Some(bits) if bits >= MIN_RSA_BITS => {}
            Some(bits) => {
                return Err(format!(
                    "is a {bits}-bit RSA key; at least {MIN_RSA_BITS} bits are required"
                ));
            }
            None => return Err("is an RSA key whose size cannot be determined".to_owned()),
        },
        AlgorithmFamily::Hmac => {
            let length = key.try_get_as_bytes().map_or(0, <[u8]>::len);
            let min = algorithm.min_hmac_key_bytes();
            if deployed && length < min {
                return Err(named(format!(
                    "is {length} bytes long; {algorithm} needs at least {min} (RFC 7518 section 3.2)"
                )));
            }
        }
        _ => {}
    }
    let key = RingKey {
        key,
        algorithm: algorithm.algorithm(),
        service,
        accepted: true,
        variable: policy.variable,
    };
    Ok((kid, key))
}

/// The algorithm of a service call key, from its type and curve, and the service an own key
/// speaks for (the part of its `kid` before `:`).
fn service_key_algorithm(
    jwk: &Jwk,
    kid: &str,
) -> Result<(SigningAlgorithm, Option<String>), String> {
    let unsupported = |what: &str| {
        format!(
            "is {what}; service calls accept Ed25519 (EdDSA), EC P-256 (ES256) or oct (HS256) keys"
        )
    };
    let own = || Some(service_of(kid).to_owned());
    Ok(match &jwk.algorithm {
        AlgorithmParameters::OctetKey(_) => (SigningAlgorithm::of(Algorithm::HS256), None),
        AlgorithmParameters::OctetKeyPair(okp) if okp.curve == EllipticCurve::Ed25519 => {
            (SigningAlgorithm::of(Algorithm::EdDSA), own())
        }
        AlgorithmParameters::EllipticCurve(ec) if ec.curve == EllipticCurve::P256 => {
            (SigningAlgorithm::of(Algorithm::ES256), own())
        }
        AlgorithmParameters::OctetKeyPair(okp) => {
            let curve = curve_name(&okp.curve);
            return Err(unsupported(&format!("an OKP key on curve {curve}")));
        }
        AlgorithmParameters::EllipticCurve(ec) => {
            return Err(unsupported(&format!("an EC {} key", curve_name(&ec.curve))));
        }
        AlgorithmParameters::RSA(_) => return Err(unsupported("an RSA key")),
        _ => return Err(unsupported("a key of an unknown type")),
    })
}

/// The service a key id names: the part before `:`.
pub(crate) fn service_of(kid: &str) -> &str {
    kid.split_once(':').map_or(kid, |(service, _)| service)
}

/// A curve's name as JWK writes it.
fn curve_name(curve: &EllipticCurve) -> &'static str {
    match curve {
        EllipticCurve::P256 => "P-256",
        EllipticCurve::P384 => "P-384",
        EllipticCurve::P521 => "P-521",
        EllipticCurve::Ed25519 => "Ed25519",
        _ => "unknown",
    }
}

/// Why the startup self-test failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SelfTestFailure {
    /// The signing key cannot sign with the algorithm.
    CannotSign,
    /// What it signs does not verify with the verification key: the two are not a pair.
    NotAPair,
}

/// The one startup self-test: signs a probe with `encoding` and verifies it with `decoding`,
/// which proves both work with the algorithm and, for asymmetric keys, that they are a pair.
pub(crate) fn self_test(
    algorithm: Algorithm,
    encoding: &EncodingKey,
    decoding: &DecodingKey,
) -> Result<(), SelfTestFailure> {
    const PROBE: &[u8] = b"jwt-config self-test";
    let signature = jsonwebtoken::crypto::sign(PROBE, encoding, algorithm)
        .map_err(|_| SelfTestFailure::CannotSign)?;
    match jsonwebtoken::crypto::verify(&signature, PROBE, decoding, algorithm) {
        Ok(true) => Ok(()),
        _ => Err(SelfTestFailure::NotAPair),
    }
}
