//! The rotation runbook of the README, played over an issuer and two verifiers restarted one
//! at a time in every order each step allows: at every moment, every live token verifies at
//! every live service. The wrong order (the issuer switching before the verifiers know the
//! new key) breaks, which is why the runbook has three steps.

mod common;

use base64::Engine as _;
use common::*;
use jwt_config::{AccessClaims, Config, JwtConfig, MapSource};

const NEXT_SECRET: &str = "next-jwt-secret-5e2a8c1f4b7d0e3a6c9f2b5e8a1d4c7f";

/// How one kind of key is written into a service's variables.
trait KeyKind {
    /// This service's own key, old (`k1`) or new (`k2`), as an issuer (signing) or not.
    fn own(&self, source: MapSource, new: bool, signs: bool) -> MapSource;
    /// A JWK Set holding the old or the new key, for `JWT_VERIFICATION_KEYS`.
    fn set(&self, new: bool) -> String;
}

struct Hmac;

impl KeyKind for Hmac {
    fn own(&self, source: MapSource, new: bool, _signs: bool) -> MapSource {
        let (secret, id) = if new {
            (NEXT_SECRET, "k2")
        } else {
            (JWT_SECRET, "k1")
        };
        source.with("JWT_SECRET_KEY", secret).with("JWT_KEY_ID", id)
    }
    fn set(&self, new: bool) -> String {
        let (secret, id) = if new {
            (NEXT_SECRET, "k2")
        } else {
            (JWT_SECRET, "k1")
        };
        let k = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret);
        format!(r#"{{"keys":[{{"kid":"{id}","kty":"oct","k":"{k}"}}]}}"#)
    }
}

struct Ec;

impl Ec {
    fn names(new: bool) -> (&'static str, &'static str, &'static str) {
        if new {
            ("ec256_next_private", "ec256_next_public", "k2")
        } else {
            ("ec256_private", "ec256_public", "k1")
        }
    }
}

impl KeyKind for Ec {
    fn own(&self, source: MapSource, new: bool, signs: bool) -> MapSource {
        let (private, public, id) = Ec::names(new);
        let source = source
            .with("JWT_ALGORITHM", "ES256")
            .with("JWT_PUBLIC_KEY", key(public))
            .with("JWT_KEY_ID", id);
        if signs {
            source.with("JWT_PRIVATE_KEY", key(private))
        } else {
            source
        }
    }
    fn set(&self, new: bool) -> String {
        // The issuer's published set, as a verifier would download it before the deploy.
        let publisher =
            JwtConfig::from_source(&self.own(hs256("production", "auth"), new, true)).unwrap();
        serde_json::to_string(&publisher.jwks()).unwrap()
    }
}

/// What a service runs at one step of the runbook.
#[derive(Clone, Copy, PartialEq)]
enum Stage {
    /// Before: the old key.
    Old,
    /// Step 1: the old key, and the new one in `JWT_VERIFICATION_KEYS`.
    Knows,
    /// Step 2 (the issuer): signs with the new key, the old one verifies.
    Switched,
    /// Step 3: the new key alone.
    New,
}

fn config(kind: &dyn KeyKind, issuer: bool, stage: Stage) -> JwtConfig {
    let base = hs256("production", if issuer { "auth" } else { "backend" });
    let source = match stage {
        Stage::Old => kind.own(base, false, issuer),
        Stage::Knows => kind
            .own(base, false, issuer)
            .with("JWT_VERIFICATION_KEYS", kind.set(true)),
        Stage::Switched => kind
            .own(base, true, issuer)
            .with("JWT_VERIFICATION_KEYS", kind.set(false)),
        Stage::New => kind.own(base, true, issuer),
    };
    JwtConfig::from_source(&source).unwrap_or_else(|error| panic!("{error}"))
}

/// The issuer (index 0) and two verifiers, the tokens issued so far, and a check after every
/// single restart.
struct Fleet<'k> {
    kind: &'k dyn KeyKind,
    services: Vec<JwtConfig>,
    tokens: Vec<(String, bool)>,
}

impl Fleet<'_> {
    fn restart(&mut self, index: usize, stage: Stage) {
        self.services[index] = config(self.kind, index == 0, stage);
        let issuer = &self.services[0];
        let token = issuer.encode(&issuer.access_claims("user")).unwrap();
        let new_key = issuer.key_id() == Some("k2");
        self.tokens.push((token, new_key));
        for (token, _) in &self.tokens {
            for service in &self.services {
                if let Err(error) = service.decode::<AccessClaims>(token) {
                    panic!("a live token is refused after restarting service {index}: {error}");
                }
            }
        }
    }
}

/// Every order of restarting the services `indices`.
fn orders(indices: &[usize]) -> Vec<Vec<usize>> {
    if indices.len() <= 1 {
        return vec![indices.to_vec()];
    }
    let mut all = Vec::new();
    for (i, first) in indices.iter().enumerate() {
        let rest: Vec<usize> = indices
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, v)| *v)
            .collect();
        for mut order in orders(&rest) {
            order.insert(0, *first);
            all.push(order);
        }
    }
    all
}

fn play_every_order(kind: &dyn KeyKind) {
    let mut played = 0;
    for step1 in orders(&[0, 1, 2]) {
        for step3 in orders(&[0, 1, 2]) {
            let old = |issuer| config(kind, issuer, Stage::Old);
            let mut fleet = Fleet {
                kind,
                services: vec![old(true), old(false), old(false)],
                tokens: Vec::new(),
            };
            for &index in &step1 {
                fleet.restart(index, Stage::Knows);
            }
            fleet.restart(0, Stage::Switched);
            // The wait of step 3: every token of the old key has expired.
            fleet.tokens.retain(|(_, new_key)| *new_key);
            for &index in &step3 {
                fleet.restart(index, Stage::New);
            }
            played += 1;
        }
    }
    assert_eq!(played, 36);
}

#[test]
fn rotating_the_shared_secret_in_every_allowed_order_never_refuses_a_live_token() {
    play_every_order(&Hmac);
}

#[test]
fn rotating_an_ec_key_pair_in_every_allowed_order_never_refuses_a_live_token() {
    play_every_order(&Ec);
}

#[test]
fn switching_the_issuer_before_the_verifiers_know_the_key_breaks_them() {
    for kind in [&Hmac as &dyn KeyKind, &Ec] {
        let issuer = config(kind, true, Stage::Switched);
        let verifier = config(kind, false, Stage::Old);
        let token = issuer.encode(&issuer.access_claims("user")).unwrap();
        let error = verifier.decode::<AccessClaims>(&token).unwrap_err();
        assert_eq!(error.kind(), "unknown_key_id", "{error}");
    }
}
