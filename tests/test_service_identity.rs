//! Per-service identity: a service signs its calls with a key of its own, a receiver knows
//! each caller's public key by a `kid` that names the caller, and a stolen key of one service
//! cannot act as another.

mod common;

use base64::Engine as _;
use common::*;
use jwt_config::jsonwebtoken::{self, Algorithm, EncodingKey, Header};
use jwt_config::service_auth::{Caller, SERVICE_TOKEN_HEADER, ServiceAuthError, VerifyOptions};
use jwt_config::{Config, JwtConfig, MapSource};

/// A service that signs its calls with its own key (no shared secret).
fn own_key(environment: &str, id: &str, key_file: &str) -> MapSource {
    let mut source = hs256(environment, id).with("SERVICE_PRIVATE_KEY", key(key_file));
    source.remove("SERVICE_SECRET");
    source
}

/// A call verified with a replay guard: the token is used once.
fn once(
    receiver: &JwtConfig,
    headers: &http::HeaderMap,
    guard: &dyn jwt_config::service_auth::ReplayGuard,
) -> Result<Caller, ServiceAuthError> {
    let options = VerifyOptions {
        replay_guard: Some(guard),
    };
    receiver
        .verify_service_call_with(headers, &options)
        .map(|call| call.caller)
}

fn set_of(configs: &[&JwtConfig]) -> String {
    let keys: Vec<_> = configs.iter().map(|c| c.service_jwk().unwrap()).collect();
    serde_json::to_string(&jsonwebtoken::jwk::JwkSet { keys }).unwrap()
}

#[test]
fn a_call_signed_with_a_services_own_key_names_that_service() {
    let auth = load_jwt(&own_key("production", "auth", "ed25519_private"));
    let billing = load_jwt(&own_key("production", "billing", "ec256_private"));
    let backend = load_jwt(
        &own_key("production", "backend", "ec256_next_private")
            .with("SERVICE_VERIFICATION_KEYS", set_of(&[&auth, &billing])),
    );
    for (caller, name) in [(&auth, "auth"), (&billing, "billing")] {
        let headers = caller.service_headers("backend").unwrap();
        assert_eq!(
            backend.verify_service_call(&headers),
            Ok(Caller::Service(name.into()))
        );
    }
    assert_eq!(
        auth.service_jwk().unwrap().common.key_id.as_deref(),
        Some("auth")
    );
}

/// A token minted with `key_file` by whoever holds it, claiming `iss` under `kid`.
fn minted(key_file: &str, algorithm: Algorithm, kid: &str, iss: &str) -> http::HeaderMap {
    let pem = key(key_file);
    let key = match algorithm {
        Algorithm::EdDSA => EncodingKey::from_ed_pem(pem.as_bytes()),
        _ => EncodingKey::from_ec_pem(pem.as_bytes()),
    }
    .unwrap();
    let mut header = Header::new(algorithm);
    header.typ = Some("service+jwt".into());
    header.kid = Some(kid.into());
    let now = jsonwebtoken::get_current_timestamp();
    let claims =
        serde_json::json!({"iss": iss, "sub": iss, "aud": "backend", "iat": now, "exp": now + 30});
    let mut headers = http::HeaderMap::new();
    let token = jsonwebtoken::encode(&header, &claims, &key).unwrap();
    headers.insert(SERVICE_TOKEN_HEADER, token.parse().unwrap());
    headers
}

#[test]
fn a_stolen_key_of_one_service_cannot_act_as_another() {
    let auth = load_jwt(&own_key("production", "auth", "ed25519_private"));
    let billing = load_jwt(&own_key("production", "billing", "ec256_private"));
    let backend = load_jwt(
        &own_key("production", "backend", "ec256_next_private")
            .with("SERVICE_VERIFICATION_KEYS", set_of(&[&auth, &billing]))
            .with("SERVICE_ALLOWED_CALLERS", "auth"),
    );
    // billing's key, claiming to be auth under billing's id: the key speaks for billing only.
    let refused = backend
        .verify_service_call(&minted(
            "ec256_private",
            Algorithm::ES256,
            "billing",
            "auth",
        ))
        .unwrap_err();
    assert_eq!(refused.kind(), "wrong_issuer", "{refused}");
    // billing's key under auth's id: the signature does not verify with auth's key.
    let refused = backend
        .verify_service_call(&minted("ec256_private", Algorithm::ES256, "auth", "auth"))
        .unwrap_err();
    assert!(
        ["bad_signature", "wrong_algorithm"].contains(&refused.kind()),
        "{refused}"
    );
    // billing as itself is authenticated, and not allowed: now a real boundary.
    let headers = billing.service_headers("backend").unwrap();
    assert_eq!(
        backend.verify_service_call(&headers),
        Err(ServiceAuthError::CallerNotAllowed("billing".into()))
    );
}

#[test]
fn the_shared_secret_is_refused_where_callers_keys_are_known_unless_migrating() {
    let auth_shared = load_jwt(&hs256("staging", "auth"));
    let auth_own = load_jwt(&own_key("staging", "auth", "ed25519_private"));
    let receiver = |extra: &[(&str, &str)]| {
        let mut source =
            hs256("staging", "backend").with("SERVICE_VERIFICATION_KEYS", set_of(&[&auth_own]));
        for (name, value) in extra {
            source.insert(*name, *value);
        }
        load_jwt(&source)
    };
    let headers = auth_shared.service_headers("backend").unwrap();
    let refused = receiver(&[]).verify_service_call(&headers).unwrap_err();
    assert_eq!(refused, ServiceAuthError::SharedSecretRefused, "{refused}");
    let migrating = receiver(&[("SERVICE_ACCEPT_SHARED_SECRET", "true")]);
    assert_eq!(
        migrating.verify_service_call(&headers),
        Ok(Caller::Service("auth".into()))
    );
    // In development the shared secret stays accepted.
    let development = load_jwt(
        &hs256("development", "backend").with("SERVICE_VERIFICATION_KEYS", set_of(&[&auth_own])),
    );
    let headers = load_jwt(&hs256("development", "auth"))
        .service_headers("backend")
        .unwrap();
    assert!(development.verify_service_call(&headers).is_ok());
}

#[test]
fn the_shared_secret_rotates_through_oct_keys() {
    const NEXT: &str = "next-service-secret-7a1c4e9b2d5f8a0c3e6b9d2f5a8c1e4b";
    let k = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(SERVICE_SECRET);
    let old_key = format!(r#"{{"keys":[{{"kid":"s1","kty":"oct","k":"{k}"}}]}}"#);
    let caller = load_jwt(&hs256("production", "auth").with("SERVICE_KEY_ID", "s1"));
    let receiver = load_jwt(
        &hs256("production", "backend")
            .with("SERVICE_SECRET", NEXT)
            .with("SERVICE_KEY_ID", "s2")
            .with("SERVICE_VERIFICATION_KEYS", old_key),
    );
    let headers = caller.service_headers("backend").unwrap();
    assert_eq!(
        receiver.verify_service_call(&headers),
        Ok(Caller::Service("auth".into()))
    );
}

#[test]
fn a_service_key_is_configured_once_and_names_its_service() {
    let both =
        own_key("production", "auth", "ed25519_private").with("SERVICE_SECRET", SERVICE_SECRET);
    let error = JwtConfig::from_source(&both).unwrap_err();
    assert!(
        error.mentions("SERVICE_PRIVATE_KEY") && error.to_string().contains("both set"),
        "{error}"
    );
    let wrong_id =
        own_key("production", "auth", "ed25519_private").with("SERVICE_KEY_ID", "billing:2");
    let error = JwtConfig::from_source(&wrong_id).unwrap_err();
    assert!(error.mentions("SERVICE_KEY_ID"), "{error}");
    let rotated = load_jwt(
        &own_key("production", "auth", "ed25519_private").with("SERVICE_KEY_ID", "auth:2"),
    );
    assert_eq!(
        rotated.service_jwk().unwrap().common.key_id.as_deref(),
        Some("auth:2")
    );
    // Staging needs one of the two.
    let mut neither = hs256("staging", "auth");
    neither.remove("SERVICE_SECRET");
    let error = JwtConfig::from_source(&neither).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("SERVICE_SECRET: is missing; it is required in staging and production"),
        "{error}"
    );
}

#[test]
fn a_receiver_that_refuses_replays_accepts_each_token_once() {
    use jwt_config::service_auth::{FirstUse, MemoryReplayGuard, ReplayGuard, TokenUse};
    let auth = load_jwt(&hs256("production", "auth"));
    let backend = load_jwt(&hs256("production", "backend"));
    let guard = MemoryReplayGuard::new(8);
    let headers = auth.service_headers("backend").unwrap();
    assert_eq!(
        once(&backend, &headers, &guard),
        Ok(Caller::Service("auth".into()))
    );
    assert_eq!(
        once(&backend, &headers, &guard),
        Err(ServiceAuthError::Replayed)
    );
    // A fresh token of the same caller passes.
    let again = auth.service_headers("backend").unwrap();
    assert!(once(&backend, &again, &guard).is_ok());
    // A token without an id is refused where replays are refused.
    let mut header = Header::new(Algorithm::HS256);
    header.typ = Some("service+jwt".into());
    let now = jsonwebtoken::get_current_timestamp();
    let claims = serde_json::json!({"iss": "auth", "sub": "auth", "aud": "backend", "iat": now, "exp": now + 30});
    let key = EncodingKey::from_secret(SERVICE_SECRET.as_bytes()).unwrap();
    let mut untagged = http::HeaderMap::new();
    untagged.insert(
        SERVICE_TOKEN_HEADER,
        jsonwebtoken::encode(&header, &claims, &key)
            .unwrap()
            .parse()
            .unwrap(),
    );
    assert_eq!(
        once(&backend, &untagged, &guard),
        Err(ServiceAuthError::MissingTokenId)
    );
    // Full of live ids, the guard refuses rather than forget one.
    let small = MemoryReplayGuard::new(1);
    assert_eq!(
        small.first_use(&TokenUse::new("auth", "a", now + 60)),
        FirstUse::Yes
    );
    assert_eq!(
        small.first_use(&TokenUse::new("auth", "b", now + 60)),
        FirstUse::Full
    );
    // Ids past their last verifiable second and the clocks' margin are forgotten.
    let expired = MemoryReplayGuard::new(1);
    let past = now.saturating_sub(10 + jwt_config::service_auth::REPLAY_MARGIN_SECONDS);
    assert_eq!(
        expired.first_use(&TokenUse::new("auth", "a", past)),
        FirstUse::Yes
    );
    assert_eq!(
        expired.first_use(&TokenUse::new("auth", "b", now + 60)),
        FirstUse::Yes
    );
}

#[test]
fn the_keys_of_service_calls_are_listed_with_their_roles_and_never_their_material() {
    let auth = load_jwt(&own_key("production", "auth", "ed25519_private"));
    let billing = load_jwt(&own_key("production", "billing", "ec256_private"));
    let backend = load_jwt(
        &own_key("production", "backend", "ec256_next_private")
            .with("SERVICE_VERIFICATION_KEYS", set_of(&[&auth, &billing])),
    );
    let listed: Vec<(String, &str, bool, bool, &str)> = backend
        .service_call_keys()
        .into_iter()
        .map(|k| (k.id, k.kind, k.signs, k.verifies, k.variable))
        .collect();
    assert_eq!(
        listed,
        [
            (
                "backend".to_owned(),
                "an EC P-256 key",
                true,
                false,
                "SERVICE_PRIVATE_KEY"
            ),
            (
                "auth".to_owned(),
                "an Ed25519 key",
                false,
                true,
                "SERVICE_VERIFICATION_KEYS"
            ),
            (
                "billing".to_owned(),
                "an EC P-256 key",
                false,
                true,
                "SERVICE_VERIFICATION_KEYS"
            ),
        ]
    );
    // The own key's fingerprint is the thumbprint its receivers see in their set.
    let own = &backend.service_call_keys()[0];
    let thumbprint = backend
        .service_jwk()
        .unwrap()
        .thumbprint(jsonwebtoken::jwk::ThumbprintHash::SHA256)
        .unwrap();
    assert_eq!(own.fingerprint.as_deref(), Some(thumbprint.as_str()));
    assert_eq!(
        billing.service_call_keys()[0].fingerprint,
        backend.service_call_keys()[2].fingerprint
    );

    // The shared secret: signs; verifies only where callers' own keys do not replace it.
    let shared = load_jwt(&hs256("staging", "backend"));
    let listed = shared.service_call_keys();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].signs, listed[0].verifies, listed[0].variable),
        (true, true, "SERVICE_SECRET")
    );
    let strict =
        load_jwt(&hs256("staging", "backend").with("SERVICE_VERIFICATION_KEYS", set_of(&[&auth])));
    let listed = strict.service_call_keys();
    assert_eq!((listed[0].signs, listed[0].verifies), (true, false));
    assert!(!format!("{listed:?}").contains(SERVICE_SECRET));
    // Without service authentication, nothing.
    let development = MapSource::new()
        .with("ENVIRONMENT", "development")
        .with("SERVICE_ID", "backend")
        .with("JWT_SECRET_KEY", JWT_SECRET);
    assert!(load_jwt(&development).service_call_keys().is_empty());
}

/// A service token signed with the shared secret, minted by hand: `exp` and `iat` relative to
/// now, no `kid` (as tokens issued before key ids).
fn shared_secret_token(iat_offset: i64, lifetime: u64, jti: &str) -> http::HeaderMap {
    let mut header = Header::new(Algorithm::HS256);
    header.typ = Some("service+jwt".into());
    let now = jsonwebtoken::get_current_timestamp();
    let iat = now.checked_add_signed(iat_offset).unwrap();
    let claims = serde_json::json!({"iss": "auth", "sub": "auth", "aud": "backend", "iat": iat,
        "exp": iat + lifetime, "jti": jti});
    let key = EncodingKey::from_secret(SERVICE_SECRET.as_bytes()).unwrap();
    let mut headers = http::HeaderMap::new();
    let token = jsonwebtoken::encode(&header, &claims, &key).unwrap();
    headers.insert(SERVICE_TOKEN_HEADER, token.parse().unwrap());
    headers
}

#[test]
fn a_token_is_refused_as_a_replay_for_as_long_as_the_leeway_lets_it_verify() {
    use jwt_config::service_auth::MemoryReplayGuard;
    let backend = load_jwt(&hs256("production", "backend").with("JWT_LEEWAY_SECONDS", "60"));
    let guard = MemoryReplayGuard::new(8);
    // Expired 10 s ago, inside the 60 s leeway: it verifies, once.
    let headers = shared_secret_token(-70, 60, "in-the-leeway");
    assert_eq!(
        once(&backend, &headers, &guard),
        Ok(Caller::Service("auth".into()))
    );
    assert_eq!(
        once(&backend, &headers, &guard),
        Err(ServiceAuthError::Replayed)
    );
}

#[test]
fn a_replay_guard_is_told_how_long_a_token_can_verify() {
    use jwt_config::service_auth::{FirstUse, ReplayGuard, TokenUse};
    struct Recording(std::sync::Mutex<Vec<(String, String, u64)>>);
    impl ReplayGuard for Recording {
        fn first_use(&self, token: &TokenUse<'_>) -> FirstUse {
            let seen = (
                token.caller().to_owned(),
                token.id().to_owned(),
                token.verifiable_until(),
            );
            self.0.lock().unwrap().push(seen);
            FirstUse::Yes
        }
    }
    let backend = load_jwt(&hs256("production", "backend").with("JWT_LEEWAY_SECONDS", "45"));
    let guard = Recording(std::sync::Mutex::new(Vec::new()));
    let headers = shared_secret_token(0, 60, "told");
    backend
        .verify_service_call_with(
            &headers,
            &VerifyOptions {
                replay_guard: Some(&guard),
            },
        )
        .map(|call| call.caller)
        .unwrap();
    let seen = guard.0.lock().unwrap();
    let now = jsonwebtoken::get_current_timestamp();
    let (caller, id, until) = &seen[0];
    assert_eq!((caller.as_str(), id.as_str()), ("auth", "told"));
    // exp (iat + 60) plus the leeway (45).
    assert!((now + 100..=now + 106).contains(until), "{until} vs {now}");
}

#[test]
fn a_migrating_receiver_accepts_callers_that_already_sign_with_their_own_keys() {
    let auth_own = load_jwt(&own_key("staging", "auth", "ed25519_private"));
    let billing_own = load_jwt(&own_key("staging", "billing", "ec256_private"));
    let legacy = load_jwt(&hs256("staging", "legacy"));
    let migrating = load_jwt(
        &hs256("staging", "backend")
            .with(
                "SERVICE_VERIFICATION_KEYS",
                set_of(&[&auth_own, &billing_own]),
            )
            .with("SERVICE_ACCEPT_SHARED_SECRET", "true"),
    );
    for (caller, name) in [
        (&auth_own, "auth"),
        (&billing_own, "billing"),
        (&legacy, "legacy"),
    ] {
        let headers = caller.service_headers("backend").unwrap();
        assert_eq!(
            migrating.verify_service_call(&headers),
            Ok(Caller::Service(name.into())),
            "{name}"
        );
    }
    // Development with verification keys set accepts both too.
    let development = load_jwt(
        &hs256("development", "backend").with("SERVICE_VERIFICATION_KEYS", set_of(&[&auth_own])),
    );
    let auth_dev = load_jwt(&own_key("development", "auth", "ed25519_private"));
    let headers = auth_dev.service_headers("backend").unwrap();
    assert_eq!(
        development.verify_service_call(&headers),
        Ok(Caller::Service("auth".into()))
    );
}

#[test]
fn a_service_verification_key_of_a_curve_service_calls_do_not_use_is_a_startup_problem() {
    let p384 = key("ec384_public");
    let jwk = jsonwebtoken::jwk::Jwk::from_decoding_key(
        &jsonwebtoken::DecodingKey::from_ec_pem(p384.as_bytes()).unwrap(),
        Some(Algorithm::ES384),
    )
    .unwrap();
    let mut value = serde_json::to_value(&jwk).unwrap();
    value["kid"] = "billing".into();
    let auth_own = load_jwt(&own_key("production", "auth", "ed25519_private"));
    let mut auth_jwk = serde_json::to_value(auth_own.service_jwk().unwrap()).unwrap();
    let set = serde_json::json!({"keys": [auth_jwk.clone(), value]}).to_string();
    let error = JwtConfig::from_source(
        &hs256("production", "backend").with("SERVICE_VERIFICATION_KEYS", set),
    )
    .unwrap_err();
    let text = error.to_string();
    assert!(error.mentions("SERVICE_VERIFICATION_KEYS"), "{text}");
    assert!(text.contains("key 2") && text.contains("P-384"), "{text}");
    // An `alg` the key's curve does not sign with is refused too.
    auth_jwk["alg"] = "ES256".into();
    let set = serde_json::json!({"keys": [auth_jwk]}).to_string();
    let error = JwtConfig::from_source(
        &hs256("production", "backend").with("SERVICE_VERIFICATION_KEYS", set),
    )
    .unwrap_err();
    assert!(error.to_string().contains("key 1"), "{error}");
}

/// Polls a future that never waits (the guards of these tests answer at once).
fn ready<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    match future.as_mut().poll(&mut context) {
        std::task::Poll::Ready(output) => output,
        std::task::Poll::Pending => panic!("the guard of this test answers at once"),
    }
}

#[test]
fn an_async_guard_whose_store_is_down_refuses_and_a_sync_guard_works_through_it() {
    use jwt_config::service_auth::{
        AsyncReplayGuard, AsyncVerifyOptions, FirstUse, FirstUseFuture, MemoryReplayGuard, TokenUse,
    };
    struct Down;
    impl AsyncReplayGuard for Down {
        fn first_use_async<'a>(&'a self, _token: &'a TokenUse<'_>) -> FirstUseFuture<'a> {
            Box::pin(async { FirstUse::Unavailable })
        }
    }
    let backend = load_jwt(&hs256("production", "backend"));
    let headers = shared_secret_token(0, 60, "down-then-memory");
    let down = AsyncVerifyOptions {
        replay_guard: Some(&Down),
    };
    let refused = ready(backend.verify_service_call_async(&headers, &down));
    assert_eq!(refused, Err(ServiceAuthError::ReplayGuardUnavailable));
    assert_eq!(
        ServiceAuthError::ReplayGuardUnavailable.as_str(),
        "replay_guard_unavailable"
    );
    // Refused, not recorded: the same token is accepted once where a guard answers.
    let memory = MemoryReplayGuard::new(8);
    let options = AsyncVerifyOptions {
        replay_guard: Some(&memory),
    };
    let first = ready(backend.verify_service_call_async(&headers, &options));
    assert_eq!(first.unwrap().caller, Caller::Service("auth".into()));
    let again = ready(backend.verify_service_call_async(&headers, &options));
    assert_eq!(again, Err(ServiceAuthError::Replayed));
    // The sync path and the async one share the guard's record.
    assert_eq!(
        once(&backend, &headers, &memory),
        Err(ServiceAuthError::Replayed)
    );
}
