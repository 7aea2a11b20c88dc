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

use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use jwt_config_core::{Context, ProblemKind, Secret};

use super::key_ring::{
    Accepts, KeyPolicy, KeyRing, OutgoingParts, RingKey, Signer, load_jwk_set, self_test,
    service_of,
};
use super::key_set::hmac_key_id;
use super::tokens::SERVICE_TOKEN_TYPE;
use super::values::{HmacKey, Pem};
use super::{JwtConfigPartial, vars};

/// The variables that hold the keys of service calls, for an unknown `kid`.
const SERVICE_KEYS: &str =
    "SERVICE_SECRET or SERVICE_VERIFICATION_KEYS (the caller uses another SERVICE_SECRET or key)";

/// The `computed` step for service keys: `Some(None)` when service authentication is off
/// (development or test without `SERVICE_SECRET` or `SERVICE_PRIVATE_KEY`).
pub(crate) fn build_service_keys(
    partial: &JwtConfigPartial<'_>,
    context: &mut Context<'_>,
) -> Option<Option<KeyRing>> {
    let secret = partial.service_secret?.as_ref();
    let private = partial.service_private_key?.as_ref();
    let (service_id, leeway) = (partial.service_id?, *partial.leeway_seconds?);
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
    let (encoding, header, own_public, shared) = signer;
    let own_id = header.kid.clone();
    let shared_kid = shared.is_some().then(|| own_id.clone()).flatten();
    let mut ring = KeyRing {
        signer: Some(Signer { encoding, header }),
        own_id,
        own_variable: if shared.is_some() {
            vars::SERVICE_SECRET
        } else {
            vars::SERVICE_PRIVATE_KEY
        },
        own_public,
        by_kid: BTreeMap::new(),
        untagged_kid: shared_kid.clone(),
        published: Vec::new(),
        validations: validations(service_id, leeway),
        audience: vec![service_id.clone()],
        issuer: None,
        held_in: SERVICE_KEYS,
        advertised: std::sync::OnceLock::new(),
        outgoing: OutgoingParts::default(),
    };
    let policy = KeyPolicy {
        variable: vars::SERVICE_VERIFICATION_KEYS,
        accepts: Accepts::ServiceCalls,
        kid_required: "has no `kid`; a service key's id names its service",
        own_id: shared_kid.as_deref(),
    };
    let set = partial.service_verification_keys?.as_ref();
    let has_service_keys = load_jwk_set(set, &policy, &mut ring, context)?;
    // In staging and production a receiver that knows its callers' own keys refuses the
    // shared secret, unless a migration says to accept both.
    let migrating = *partial.service_accept_shared_secret?;
    let accept_shared = !(context.environment().is_deployed() && has_service_keys) || migrating;
    for key in ring.by_kid.values_mut() {
        key.accepted = key.service.is_some() || accept_shared;
    }
    if let (Some(shared), Some(kid)) = (shared, shared_kid) {
        let key = RingKey {
            key: shared,
            algorithm: Algorithm::HS256,
            service: None,
            accepted: accept_shared,
            variable: vars::SERVICE_SECRET,
        };
        ring.by_kid.insert(kid, key);
    }
    Some(Some(ring))
}

/// Audience = this `SERVICE_ID`, the configured leeway; one per algorithm of service calls.
fn validations(service_id: &str, leeway: u64) -> Vec<Validation> {
    [Algorithm::HS256, Algorithm::EdDSA, Algorithm::ES256]
        .into_iter()
        .map(|algorithm| {
            let mut validation = Validation::new(algorithm);
            validation.leeway = leeway;
            validation.validate_nbf = true;
            validation.set_audience(&[service_id]);
            validation.set_required_spec_claims(&["exp", "iss", "aud"]);
            validation
        })
        .collect()
}

/// The signing key, the header of outgoing tokens (the algorithm, the service token `typ`
/// and the `kid`), the public half of an own key, and the shared secret's verification key.
type ServiceSigner = (EncodingKey, Header, Option<Jwk>, Option<DecodingKey>);

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
) -> Option<ServiceSigner> {
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
    report_self_test(
        Algorithm::HS256,
        &encoding,
        &decoding,
        vars::SERVICE_SECRET,
        context,
    )?;
    let kid = key_id.cloned().unwrap_or_else(|| hmac_key_id(bytes));
    Some((
        encoding,
        header(Algorithm::HS256, kid),
        None,
        Some(decoding),
    ))
}

/// A service's own key: Ed25519 or ES256, its id `SERVICE_KEY_ID` (which must name the
/// service: `SERVICE_ID` or `SERVICE_ID:label`) or `SERVICE_ID`.
fn own_signer(
    private: &Secret<Pem>,
    service_id: &str,
    key_id: Option<&String>,
    context: &mut Context<'_>,
) -> Option<ServiceSigner> {
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
    report_self_test(
        algorithm,
        &encoding,
        &decoding,
        vars::SERVICE_PRIVATE_KEY,
        context,
    )?;
    public.common.key_id = Some(kid.clone());
    Some((encoding, header(algorithm, kid), Some(public), None))
}

/// The one self-test, reported on the variable of the signing key.
fn report_self_test(
    algorithm: Algorithm,
    encoding: &EncodingKey,
    decoding: &DecodingKey,
    variable: &str,
    context: &mut Context<'_>,
) -> Option<()> {
    if self_test(algorithm, encoding, decoding).is_err() {
        context.problem(
            variable,
            ProblemKind::Invalid,
            "fails the startup self-test: a probe it signs does not verify",
        );
        return None;
    }
    Some(())
}
