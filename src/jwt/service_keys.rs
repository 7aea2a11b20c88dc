//! The keys of service-to-service tokens, built and proved at load so that building and
//! checking a call's headers cannot fail for a configuration reason.
//!
//! A service signs with the shared `SERVICE_SECRET` (HS256) or with a key of its own,
//! `SERVICE_PRIVATE_KEY` (Ed25519 or ES256). A receiver verifies the shared secret, and the
//! keys of `SERVICE_VERIFICATION_KEYS`: public keys whose `kid` names the calling service
//! (`billing`, or `billing:2` during billing's own rotation: the part before `:`), and `oct`
//! keys that rotate the shared secret. A token signed with a service's own key must be issued
//! by that service, so a stolen key of one service cannot act as another.

// Without the `service-auth` feature the keys are built (and checked) but nothing reads them.
#![cfg_attr(not(feature = "service-auth"), allow(dead_code))]

use std::collections::BTreeMap;

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, ThumbprintHash};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use jwt_config_core::{Context, ProblemKind, Secret};

use super::key_set::{hmac_key_id, key_fingerprint, read_jwk_set, unusable_jwk};
use super::tokens::SERVICE_TOKEN_TYPE;
use super::values::{HmacKey, Pem, SigningAlgorithm};
use super::{JwtConfigPartial, KeyInfo, vars};

/// A key that verifies service tokens.
#[derive(Clone)]
pub(crate) struct VerifyingKey {
    pub(crate) key: DecodingKey,
    pub(crate) algorithm: Algorithm,
    /// The service a public key belongs to; `None` for the shared secret and its `oct` keys.
    pub(crate) service: Option<String>,
}

/// The keys of service-to-service tokens.
#[derive(Clone)]
pub(crate) struct ServiceKeys {
    pub(crate) encoding: EncodingKey,
    /// The header of outgoing tokens: the algorithm, the service token `typ` and the `kid`.
    pub(crate) header: Header,
    /// Keys by `kid`: the shared secret's id, `oct` keys, and callers' public keys.
    pub(crate) by_kid: BTreeMap<String, VerifyingKey>,
    /// The `kid` under which the shared secret sits in `by_kid` (also for tokens without
    /// `kid`, issued before key ids).
    pub(crate) shared_kid: Option<String>,
    /// Whether tokens signed with a shared secret are accepted (see `build_service_keys`).
    pub(crate) accept_shared: bool,
    /// Audience = this `SERVICE_ID`, the configured leeway; one per algorithm, built once.
    pub(crate) validations: BTreeMap<&'static str, Validation>,
    /// The longest lifetime (`exp - iat`) a received token may claim: the configured
    /// lifetime plus the leeway. A stolen key cannot mint long-lived tokens.
    pub(crate) max_lifetime: u64,
    /// This service's own public key, to give the receivers of its calls.
    pub(crate) own_public: Option<Jwk>,
}

impl std::fmt::Debug for ServiceKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ServiceKeys({:?}, {} verifying)",
            self.header.alg,
            self.by_kid.len()
        )
    }
}

impl ServiceKeys {
    pub(crate) fn validation(&self, algorithm: Algorithm) -> Option<&Validation> {
        self.validations.get(algorithm_name(algorithm))
    }

    /// The key this service signs its calls with, then every key it verifies callers'
    /// tokens with: ids, kinds and roles, never material.
    pub(crate) fn listed(&self) -> Vec<KeyInfo> {
        let signing = SigningAlgorithm::of(self.header.alg);
        let own = self.header.kid.clone().map(|id| {
            let shared = self.shared_kid.as_ref() == Some(&id);
            KeyInfo {
                fingerprint: match &self.own_public {
                    Some(jwk) => jwk.thumbprint(ThumbprintHash::SHA256).ok(),
                    None => self
                        .by_kid
                        .get(&id)
                        .and_then(|key| key_fingerprint(signing, &key.key)),
                },
                id,
                kind: signing.key_kind(),
                signs: true,
                verifies: shared && self.accept_shared,
                variable: if shared {
                    vars::SERVICE_SECRET
                } else {
                    vars::SERVICE_PRIVATE_KEY
                },
            }
        });
        let callers = self
            .by_kid
            .iter()
            .filter(|(id, _)| Some(*id) != self.shared_kid.as_ref())
            .map(|(id, key)| {
                let algorithm = SigningAlgorithm::of(key.algorithm);
                KeyInfo {
                    id: id.clone(),
                    kind: algorithm.key_kind(),
                    signs: false,
                    verifies: key.service.is_some() || self.accept_shared,
                    variable: vars::SERVICE_VERIFICATION_KEYS,
                    fingerprint: key_fingerprint(algorithm, &key.key),
                }
            });
        own.into_iter().chain(callers).collect()
    }
}

fn algorithm_name(algorithm: Algorithm) -> &'static str {
    match algorithm {
        Algorithm::EdDSA => "EdDSA",
        Algorithm::ES256 => "ES256",
        _ => "HS256",
    }
}

/// The `computed` step for service keys: `Some(None)` when service authentication is off
/// (development or test without `SERVICE_SECRET` or `SERVICE_PRIVATE_KEY`).
pub(crate) fn build_service_keys(
    partial: &JwtConfigPartial<'_>,
    context: &mut Context<'_>,
) -> Option<Option<ServiceKeys>> {
    let secret = partial.service_secret?.as_ref();
    let private = partial.service_private_key?.as_ref();
    let (service_id, leeway) = (partial.service_id?, *partial.leeway_seconds?);
    let lifetime = *partial.service_token_lifetime_seconds?;
    let signer = match (secret, private) {
        (None, None) => return Some(None),
        (Some(_), Some(_)) => {
            let message = "and SERVICE_SECRET are both set; a service signs its calls with one key: keep SERVICE_PRIVATE_KEY (its own) or SERVICE_SECRET (shared)";
            context.problem(vars::SERVICE_PRIVATE_KEY, ProblemKind::Conflict, message);
            return None;
        }
        (Some(secret), None) => shared_signer(secret, partial.service_key_id?.as_ref(), context)?,
        (None, Some(private)) => own_signer(
            private,
            service_id,
            partial.service_key_id?.as_ref(),
            context,
        )?,
    };
    let mut by_kid = BTreeMap::new();
    let shared =
        secret.and_then(|secret| DecodingKey::from_secret(secret.expose().as_bytes()).ok());
    let shared_kid = shared.and_then(|key| {
        let kid = signer.1.kid.clone()?;
        let verifying = VerifyingKey {
            key,
            algorithm: Algorithm::HS256,
            service: None,
        };
        by_kid.insert(kid.clone(), verifying);
        Some(kid)
    });
    let set = partial.service_verification_keys?.as_ref();
    let has_service_keys = verification_keys(set, &mut by_kid, context)?;
    // In staging and production a receiver that knows its callers' own keys refuses the
    // shared secret, unless a migration says to accept both.
    let migrating = *partial.service_accept_shared_secret?;
    let accept_shared = !(context.environment().is_deployed() && has_service_keys) || migrating;
    let validations = [Algorithm::HS256, Algorithm::EdDSA, Algorithm::ES256]
        .into_iter()
        .map(|algorithm| {
            let mut validation = Validation::new(algorithm);
            validation.leeway = leeway;
            validation.validate_nbf = true;
            validation.set_audience(&[service_id]);
            validation.set_required_spec_claims(&["exp", "iss", "aud"]);
            (algorithm_name(algorithm), validation)
        })
        .collect();
    let (encoding, header, own_public) = signer;
    Some(Some(ServiceKeys {
        encoding,
        header,
        by_kid,
        shared_kid,
        accept_shared,
        validations,
        max_lifetime: lifetime + leeway,
        own_public,
    }))
}

type Signer = (EncodingKey, Header, Option<Jwk>);

fn header(algorithm: Algorithm, kid: String) -> Header {
    let mut header = Header::new(algorithm);
    header.typ = Some(SERVICE_TOKEN_TYPE.to_owned());
    header.kid = Some(kid);
    header
}

/// The shared secret: its `kid` is `SERVICE_KEY_ID` when set (to name secrets in a rotation,
/// as `oct` keys of `SERVICE_VERIFICATION_KEYS`), else derived from it like `JWT_SECRET_KEY`'s.
fn shared_signer(
    secret: &Secret<HmacKey>,
    key_id: Option<&String>,
    context: &mut Context<'_>,
) -> Option<Signer> {
    let bytes = secret.expose().as_bytes();
    let (Ok(encoding), Ok(decoding)) = (
        EncodingKey::from_secret(bytes),
        DecodingKey::from_secret(bytes),
    ) else {
        context.problem(
            vars::SERVICE_SECRET,
            ProblemKind::Invalid,
            "cannot be used as an HS256 key",
        );
        return None;
    };
    self_test(
        Algorithm::HS256,
        &encoding,
        &decoding,
        vars::SERVICE_SECRET,
        context,
    )?;
    let kid = key_id.cloned().unwrap_or_else(|| hmac_key_id(bytes));
    Some((encoding, header(Algorithm::HS256, kid), None))
}

/// A service's own key: Ed25519 or ES256, its id `SERVICE_KEY_ID` (which must name the
/// service: `SERVICE_ID` or `SERVICE_ID:label`) or `SERVICE_ID`.
fn own_signer(
    private: &Secret<Pem>,
    service_id: &str,
    key_id: Option<&String>,
    context: &mut Context<'_>,
) -> Option<Signer> {
    let pem = private.expose().as_str().as_bytes();
    let parsed = EncodingKey::from_ed_pem(pem)
        .map(|key| (key, Algorithm::EdDSA))
        .or_else(|_| EncodingKey::from_ec_pem(pem).map(|key| (key, Algorithm::ES256)));
    let Ok((encoding, algorithm)) = parsed else {
        let message = "is not an Ed25519 or EC P-256 private key in PKCS#8 PEM";
        context.problem(vars::SERVICE_PRIVATE_KEY, ProblemKind::Invalid, message);
        return None;
    };
    let kid = key_id.cloned().unwrap_or_else(|| service_id.to_owned());
    if service_of(&kid) != service_id {
        let message = format!("must name this service: {service_id} or {service_id}:<label>");
        context.problem(vars::SERVICE_KEY_ID, ProblemKind::Rule, message);
        return None;
    }
    // The public half, derived by jsonwebtoken's provider, proves the pair and is what the
    // receivers need.
    let public = Jwk::from_encoding_key(&encoding, algorithm).ok();
    let decoding = public
        .as_ref()
        .and_then(|jwk| DecodingKey::from_jwk(jwk).ok());
    let Some((mut public, decoding)) = public.zip(decoding) else {
        let message = "cannot be used: its public half cannot be derived (only Ed25519 and P-256 keys are accepted)";
        context.problem(vars::SERVICE_PRIVATE_KEY, ProblemKind::Invalid, message);
        return None;
    };
    self_test(
        algorithm,
        &encoding,
        &decoding,
        vars::SERVICE_PRIVATE_KEY,
        context,
    )?;
    public.common.key_id = Some(kid.clone());
    Some((encoding, header(algorithm, kid), Some(public)))
}

/// The service a key id names: the part before `:`.
pub(crate) fn service_of(kid: &str) -> &str {
    kid.split_once(':').map_or(kid, |(service, _)| service)
}

/// Reads `SERVICE_VERIFICATION_KEYS` into `by_kid`; returns whether it holds any public
/// (per-service) key.
fn verification_keys(
    text: Option<&Secret<String>>,
    by_kid: &mut BTreeMap<String, VerifyingKey>,
    context: &mut Context<'_>,
) -> Option<bool> {
    let Some(text) = text else {
        return Some(false);
    };
    let set = read_jwk_set(text, vars::SERVICE_VERIFICATION_KEYS, context)?;
    let mut has_service_keys = false;
    let mut ok = true;
    let deployed = context.environment().is_deployed();
    for (index, jwk) in set.keys.iter().enumerate() {
        let checked = service_verification_key(jwk, deployed).and_then(|(kid, key)| {
            if by_kid.contains_key(&kid) {
                return Err("repeats a key id".to_owned());
            }
            Ok((kid, key))
        });
        match checked {
            Ok((kid, key)) => {
                has_service_keys |= key.service.is_some();
                by_kid.insert(kid, key);
            }
            Err(reason) => {
                ok = false;
                let message = format!("key {}: {reason}", index + 1);
                context.problem(
                    vars::SERVICE_VERIFICATION_KEYS,
                    ProblemKind::Invalid,
                    message,
                );
            }
        }
    }
    ok.then_some(has_service_keys)
}

/// One key of `SERVICE_VERIFICATION_KEYS`, checked: an Ed25519 or P-256 public key whose `kid`
/// names its service, or an `oct` key (of at least 32 bytes in staging and production); an
/// `alg` member, where present, must be the one the key signs with. The reason says what the
/// key is and never quotes its material.
fn service_verification_key(jwk: &Jwk, deployed: bool) -> Result<(String, VerifyingKey), String> {
    let kid = jwk
        .common
        .key_id
        .clone()
        .filter(|kid| !kid.is_empty())
        .ok_or("has no `kid`; a service key's id names its service")?;
    let unsupported = |what: &str| {
        format!(
            "({kid:?}) is {what}; service calls accept Ed25519 (EdDSA), EC P-256 (ES256) or oct (HS256) keys",
            kid = super::bounded(&kid)
        )
    };
    let (algorithm, service) = match &jwk.algorithm {
        AlgorithmParameters::OctetKey(_) => (Algorithm::HS256, None),
        AlgorithmParameters::OctetKeyPair(okp) if okp.curve == EllipticCurve::Ed25519 => {
            (Algorithm::EdDSA, Some(service_of(&kid).to_owned()))
        }
        AlgorithmParameters::EllipticCurve(ec) if ec.curve == EllipticCurve::P256 => {
            (Algorithm::ES256, Some(service_of(&kid).to_owned()))
        }
        AlgorithmParameters::OctetKeyPair(okp) => {
            return Err(unsupported(&format!(
                "an OKP key on curve {}",
                curve_name(&okp.curve)
            )));
        }
        AlgorithmParameters::EllipticCurve(ec) => {
            return Err(unsupported(&format!("an EC {} key", curve_name(&ec.curve))));
        }
        AlgorithmParameters::RSA(_) => return Err(unsupported("an RSA key")),
        _ => return Err(unsupported("a key of an unknown type")),
    };
    if let Some(alg) = jwk.common.key_algorithm
        && alg != KeyAlgorithm::from(algorithm)
    {
        return Err(format!(
            "({:?}) says `alg` {alg:?}, but it is a key for {}",
            super::bounded(&kid),
            algorithm_name(algorithm)
        ));
    }
    let key = DecodingKey::from_jwk(jwk).map_err(|_| {
        let purpose = algorithm_name(algorithm);
        format!(
            "({:?}) {}",
            super::bounded(&kid),
            unusable_jwk(jwk, purpose)
        )
    })?;
    if algorithm == Algorithm::HS256
        && deployed
        && key.try_get_as_bytes().map_or(0, <[u8]>::len) < super::MIN_SERVICE_SECRET_BYTES
    {
        return Err(format!(
            "({:?}) is shorter than 32 bytes",
            super::bounded(&kid)
        ));
    }
    let key = VerifyingKey {
        key,
        algorithm,
        service,
    };
    Ok((kid, key))
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

/// Signs a probe with `encoding` and verifies it with `decoding`: the two are a pair.
fn self_test(
    algorithm: Algorithm,
    encoding: &EncodingKey,
    decoding: &DecodingKey,
    variable: &str,
    context: &mut Context<'_>,
) -> Option<()> {
    let probe = jsonwebtoken::crypto::sign(b"jwt-config service self-test", encoding, algorithm);
    let verified = probe
        .ok()
        .and_then(|signature| {
            jsonwebtoken::crypto::verify(
                &signature,
                b"jwt-config service self-test",
                decoding,
                algorithm,
            )
            .ok()
        })
        .unwrap_or(false);
    if !verified {
        context.problem(
            variable,
            ProblemKind::Invalid,
            "fails the startup self-test: a probe it signs does not verify",
        );
        return None;
    }
    Some(())
}
