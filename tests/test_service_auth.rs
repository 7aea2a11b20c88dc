//! An auth service calling a backend, each with its own environment: accepted when both
//! share the schema and the secret, refused with the right reason otherwise.

mod common;

use common::*;
use jwt_config::jsonwebtoken::{self, Algorithm, EncodingKey, Header};
use jwt_config::service_auth::{Caller, SERVICE_TOKEN_HEADER, ServiceAuthError, VerifyOptions};
use jwt_config::{Config, JwtConfig, MapSource, SERVICE_TOKEN_TYPE, TokenError, WarningKind};

const ENVIRONMENTS: [&str; 3] = ["development", "staging", "production"];

/// A service token from auth to backend minted by hand with the shared secret.
fn shared_secret_token(typ: &str, iat: u64, exp: u64) -> http::HeaderMap {
    let mut header = Header::new(Algorithm::HS256);
    header.typ = Some(typ.to_owned());
    let claims =
        serde_json::json!({"iss": "auth", "sub": "auth", "aud": "backend", "iat": iat, "exp": exp});
    let key = EncodingKey::from_secret(SERVICE_SECRET.as_bytes()).unwrap();
    let token = jsonwebtoken::encode(&header, &claims, &key).unwrap();
    let mut headers = http::HeaderMap::new();
    headers.insert(SERVICE_TOKEN_HEADER, token.parse().unwrap());
    headers
}

fn load(source: &MapSource) -> JwtConfig {
    JwtConfig::from_source(source).unwrap()
}

#[test]
fn a_call_between_services_sharing_the_secret_is_accepted_in_every_environment() {
    for environment in ENVIRONMENTS {
        let auth = load(&hs256(environment, "auth"));
        let backend = load(&hs256(environment, "backend"));
        let headers = auth.service_headers("backend").unwrap();
        assert_eq!(headers.keys().collect::<Vec<_>>(), [&SERVICE_TOKEN_HEADER]);
        assert_eq!(
            backend.verify_service_call(&headers),
            Ok(Caller::Service("auth".into()))
        );
    }
}

#[test]
fn a_different_secret_is_an_unknown_key_or_a_bad_signature() {
    let auth = load(&hs256("production", "auth").with("SERVICE_SECRET", OTHER_SECRET));
    let backend = load(&hs256("production", "backend"));
    let headers = auth.service_headers("backend").unwrap();
    // The secret's key id differs: the token names a key the receiver lacks.
    let refused = backend.verify_service_call(&headers).unwrap_err();
    assert_eq!(refused.kind(), "unknown_key_id", "{refused}");
    // One key id named by hand over two secrets: the signature tells them apart.
    let auth = load(
        &hs256("production", "auth")
            .with("SERVICE_SECRET", OTHER_SECRET)
            .with("SERVICE_KEY_ID", "shared"),
    );
    let backend = load(&hs256("production", "backend").with("SERVICE_KEY_ID", "shared"));
    let headers = auth.service_headers("backend").unwrap();
    assert_eq!(
        backend.verify_service_call(&headers),
        Err(ServiceAuthError::Token(TokenError::BadSignature))
    );
}

#[test]
fn a_token_meant_for_another_service_is_refused() {
    let auth = load(&hs256("staging", "auth"));
    let backend = load(&hs256("staging", "backend"));
    let headers = auth.service_headers("billing").unwrap();
    assert_eq!(
        backend.verify_service_call(&headers),
        Err(ServiceAuthError::Token(TokenError::WrongAudience {
            expected: vec!["backend".into()]
        }))
    );
}

#[test]
fn an_expired_service_token_is_refused() {
    let backend = load(&hs256("production", "backend"));
    let past = jsonwebtoken::get_current_timestamp() - 3600;
    let headers = shared_secret_token(SERVICE_TOKEN_TYPE, past - 60, past);
    assert_eq!(
        backend.verify_service_call(&headers),
        Err(ServiceAuthError::Token(TokenError::Expired))
    );
}

#[test]
fn a_user_access_token_never_passes_as_a_service_token() {
    let auth = load(&hs256("production", "auth"));
    let backend = load(&hs256("production", "backend"));
    let user_token = auth.encode(&auth.access_claims("user-1")).unwrap();
    let mut headers = http::HeaderMap::new();
    headers.insert(SERVICE_TOKEN_HEADER, user_token.parse().unwrap());
    let refused = backend.verify_service_call(&headers).unwrap_err();
    assert_eq!(
        refused,
        ServiceAuthError::Token(TokenError::WrongType {
            expected: "a service",
            found: Some("at+jwt".into())
        })
    );
}

#[test]
fn a_service_token_never_passes_as_a_user_access_token() {
    let auth = load(&hs256("production", "auth"));
    let headers = auth.service_headers("backend").unwrap();
    let token = headers[SERVICE_TOKEN_HEADER].to_str().unwrap();
    assert!(auth.decode::<jwt_config::AccessClaims>(token).is_err());
}

#[test]
fn a_caller_missing_from_the_allow_list_is_refused() {
    let auth = load(&hs256("production", "auth"));
    let backend =
        load(&hs256("production", "backend").with("SERVICE_ALLOWED_CALLERS", "billing, reporting"));
    let headers = auth.service_headers("backend").unwrap();
    assert_eq!(
        backend.verify_service_call(&headers),
        Err(ServiceAuthError::CallerNotAllowed("auth".into()))
    );
    let allowing =
        load(&hs256("production", "backend").with("SERVICE_ALLOWED_CALLERS", "auth,billing"));
    assert_eq!(
        allowing.verify_service_call(&headers),
        Ok(Caller::Service("auth".into()))
    );
}

/// The HS256 setup without `SERVICE_ALLOWED_CALLERS`.
fn without_allow_list(environment: &str, service_id: &str) -> MapSource {
    let mut source = hs256(environment, service_id);
    source.remove("SERVICE_ALLOWED_CALLERS");
    source
}

#[test]
fn a_deployed_receiver_without_an_allow_list_does_not_start_and_is_told_the_choices() {
    for environment in ["staging", "production"] {
        let error =
            JwtConfig::from_source(&without_allow_list(environment, "backend")).unwrap_err();
        assert!(error.mentions("SERVICE_ALLOWED_CALLERS"), "{error}");
        let text = error.to_string();
        for choice in ["`*`", "`none`", "comma-separated"] {
            assert!(text.contains(choice), "{text}");
        }
        assert!(!text.contains(SERVICE_SECRET), "{text}");
    }
    // A receiver of callers' own keys (no shared secret) says it too.
    let mut keys_only = without_allow_list("production", "backend")
        .with("SERVICE_PRIVATE_KEY", key("ed25519_private"))
        .with("SERVICE_VERIFICATION_KEYS", r#"{"keys":[]}"#);
    keys_only.remove("SERVICE_SECRET");
    let error = JwtConfig::from_source(&keys_only).unwrap_err();
    assert!(error.mentions("SERVICE_ALLOWED_CALLERS"), "{error}");
    // A service that only calls, with its own key and no verification keys, verifies no
    // call: nothing to allow.
    let mut caller_only = without_allow_list("production", "auth")
        .with("SERVICE_PRIVATE_KEY", key("ed25519_private"));
    caller_only.remove("SERVICE_SECRET");
    JwtConfig::from_source(&caller_only).unwrap_or_else(|error| panic!("{error}"));
}

#[test]
fn in_development_an_unset_allow_list_allows_every_caller_with_a_warning() {
    for environment in ["development", "test"] {
        let loaded = JwtConfig::load_with_report(&without_allow_list(environment, "backend"))
            .unwrap_or_else(|error| panic!("{error}"));
        let warning = loaded
            .warnings
            .iter()
            .find(|w| w.variable() == "SERVICE_ALLOWED_CALLERS")
            .expect("a warning naming SERVICE_ALLOWED_CALLERS");
        assert!(
            warning.message().contains("`none`"),
            "{}",
            warning.message()
        );
        let auth = load(&hs256(environment, "auth"));
        let headers = auth.service_headers("backend").unwrap();
        assert_eq!(
            loaded.value.verify_service_call(&headers),
            Ok(Caller::Service("auth".into()))
        );
    }
    // Without service authentication there is nothing to allow, and nothing to warn of.
    let mut off = without_allow_list("development", "backend");
    off.remove("SERVICE_SECRET");
    let loaded = JwtConfig::load_with_report(&off).unwrap();
    assert!(
        loaded
            .warnings
            .iter()
            .all(|w| w.variable() != "SERVICE_ALLOWED_CALLERS")
    );
}

#[test]
fn star_allows_every_authenticated_service_and_none_refuses_every_call() {
    let auth = load(&hs256("production", "auth"));
    let headers = || auth.service_headers("backend").unwrap();
    let any = load(&hs256("production", "backend").with("SERVICE_ALLOWED_CALLERS", "*"));
    assert_eq!(
        any.verify_service_call(&headers()),
        Ok(Caller::Service("auth".into()))
    );
    assert_eq!(any.allowed_callers(), &jwt_config::AllowedCallers::Any);
    let nobody = load(&hs256("production", "backend").with("SERVICE_ALLOWED_CALLERS", "none"));
    assert_eq!(
        nobody.verify_service_call(&headers()),
        Err(ServiceAuthError::CallerNotAllowed("auth".into()))
    );
    assert_eq!(nobody.service_allowed_callers(), Some(&[][..]));
    // `*` and `none` stand alone: mixed with ids they are a problem naming the variable.
    for mixed in ["auth,*", "none,auth"] {
        let source = hs256("production", "backend").with("SERVICE_ALLOWED_CALLERS", mixed);
        let error = JwtConfig::from_source(&source).unwrap_err();
        assert!(error.mentions("SERVICE_ALLOWED_CALLERS"), "{error}");
        assert!(error.to_string().contains("stands alone"), "{error}");
    }
}

#[test]
fn a_missing_or_malformed_header_says_so() {
    let backend = load(&hs256("staging", "backend"));
    assert_eq!(
        backend.verify_service_call(&http::HeaderMap::new()),
        Err(ServiceAuthError::MissingHeader)
    );
    let mut garbage = http::HeaderMap::new();
    garbage.insert(SERVICE_TOKEN_HEADER, "not-a-token".parse().unwrap());
    assert_eq!(
        backend.verify_service_call(&garbage),
        Err(ServiceAuthError::Token(TokenError::Malformed))
    );
    let auth = load(&hs256("staging", "auth"));
    let mut twice = auth.service_headers("backend").unwrap();
    let value = twice[SERVICE_TOKEN_HEADER].clone();
    twice.append(SERVICE_TOKEN_HEADER, value);
    assert_eq!(
        backend.verify_service_call(&twice),
        Err(ServiceAuthError::Token(TokenError::Malformed))
    );
}

#[test]
fn without_a_service_secret_in_development_authentication_is_explicitly_off_on_both_sides() {
    let mut auth_source = hs256("development", "auth");
    auth_source.remove("SERVICE_SECRET");
    let loaded = JwtConfig::load_with_report(&auth_source).unwrap();
    let warning = loaded
        .warnings
        .iter()
        .find(|w| w.variable() == "SERVICE_SECRET")
        .unwrap();
    assert_eq!(warning.kind(), WarningKind::Notice);
    assert!(
        warning
            .message()
            .contains("service-to-service authentication is off")
    );
    let headers = loaded.value.service_headers("backend").unwrap();
    assert!(headers.is_empty());
    let mut backend_source = hs256("development", "backend");
    backend_source.remove("SERVICE_SECRET");
    let backend = load(&backend_source);
    assert_eq!(
        backend.verify_service_call(&headers),
        Ok(Caller::Unauthenticated)
    );
    // A receiver that has the secret never accepts an unauthenticated call.
    assert_eq!(
        load(&hs256("development", "backend")).verify_service_call(&headers),
        Err(ServiceAuthError::MissingHeader)
    );
}

#[test]
fn no_secret_appears_in_refusals_or_headers_debug() {
    let auth = load(&hs256("production", "auth").with("SERVICE_SECRET", OTHER_SECRET));
    let backend = load(&hs256("production", "backend"));
    let headers = auth.service_headers("backend").unwrap();
    let refusal = backend.verify_service_call(&headers).unwrap_err();
    let text = format!("{refusal} {refusal:?} {auth:?} {backend:?}");
    for secret in [JWT_SECRET, SERVICE_SECRET, OTHER_SECRET] {
        assert!(!text.contains(secret), "{text}");
    }
}

#[test]
fn a_service_token_carries_the_callers_settings_fingerprint_when_given_one() {
    let source = hs256("production", "auth").with("JWT_ACCESS_TOKEN_EXPIRE_MINUTES", "30");
    let loaded = JwtConfig::load_with_report(&source).unwrap();
    let settings = loaded.settings_fingerprint_of::<JwtConfig>().unwrap();
    let backend = load(&hs256("production", "backend"));
    let headers = loaded
        .value
        .service_headers_with_fingerprint("backend", &settings)
        .unwrap();
    let call = backend
        .verify_service_call_with(&headers, &VerifyOptions::default())
        .unwrap();
    assert_eq!(call.caller, Caller::Service("auth".into()));
    assert_eq!(call.fingerprint.as_deref(), Some(settings.fingerprint()));
    assert_eq!(call.settings, Some(settings.settings()));
    // Without one (plain `service_headers`), the receiver learns nothing about the settings.
    let plain = loaded.value.service_headers("backend").unwrap();
    let call = backend
        .verify_service_call_with(&plain, &VerifyOptions::default())
        .unwrap();
    assert_eq!((call.fingerprint, call.settings), (None, None));
}

#[test]
fn a_service_token_typ_is_compared_without_case_and_with_the_media_type_prefix() {
    let backend = load(&hs256("production", "backend"));
    let now = jsonwebtoken::get_current_timestamp();
    let headers = shared_secret_token("application/Service+JWT", now, now + 60);
    assert_eq!(
        backend.verify_service_call(&headers),
        Ok(Caller::Service("auth".into()))
    );
}
