//! The scenario that motivated the project: an auth service that issues tokens and a backend
//! that verifies them, each with its own isolated environment, in every environment.

mod common;

use common::*;
use jwt_config::{AccessClaims, Config, JwtConfig, MapSource, Origin, TokenType, WarningKind};

const ENVIRONMENTS: [&str; 3] = ["development", "staging", "production"];

/// The auth service still sets the legacy name of the access lifetime.
fn auth_service(environment: &str) -> MapSource {
    hs256(environment, "auth").with("JWT_ACCESS_EXPIRY_MINUTES", "15")
}

/// The backend sets the canonical name.
fn backend(environment: &str) -> MapSource {
    hs256(environment, "backend").with("JWT_ACCESS_TOKEN_EXPIRE_MINUTES", "15")
}

#[test]
fn legacy_and_canonical_names_load_the_same_lifetime_and_the_legacy_one_warns() {
    for environment in ENVIRONMENTS {
        let auth = JwtConfig::load_with_report(&auth_service(environment)).unwrap();
        let backend = JwtConfig::load_with_report(&backend(environment)).unwrap();
        assert_eq!(auth.value.lifetime(TokenType::Access).as_secs(), 15 * 60);
        assert_eq!(
            backend.value.lifetime(TokenType::Access),
            auth.value.lifetime(TokenType::Access)
        );
        let warning = &auth.warnings[0];
        assert_eq!(warning.kind(), WarningKind::DeprecatedAlias);
        assert!(
            warning.message().contains("JWT_ACCESS_EXPIRY_MINUTES")
                && warning
                    .message()
                    .contains("JWT_ACCESS_TOKEN_EXPIRE_MINUTES")
        );
        assert!(backend.warnings.is_empty(), "{:?}", backend.warnings);
    }
}

#[test]
fn canonical_30_and_legacy_15_stop_the_service_naming_both() {
    let source = auth_service("production").with("JWT_ACCESS_TOKEN_EXPIRE_MINUTES", "30");
    let error = JwtConfig::from_source(&source).unwrap_err();
    assert_eq!(error.problems().len(), 1);
    let line = error.problems()[0].to_string();
    assert!(
        line.starts_with("JWT_ACCESS_TOKEN_EXPIRE_MINUTES:"),
        "{line}"
    );
    assert!(
        line.contains("JWT_ACCESS_TOKEN_EXPIRE_MINUTES=\"30\"")
            && line.contains("JWT_ACCESS_EXPIRY_MINUTES=\"15\""),
        "{line}"
    );
}

#[test]
fn a_missing_service_secret_stops_both_services_in_staging_and_production_only() {
    for environment in ENVIRONMENTS {
        for mut source in [auth_service(environment), backend(environment)] {
            source.remove("SERVICE_SECRET");
            let result = JwtConfig::from_source(&source);
            if environment == "development" {
                let config = result.unwrap();
                assert!(config.service_call_keys().is_empty());
            } else {
                let error = result.unwrap_err();
                assert_eq!(error.problems().len(), 1, "{error}");
                assert_eq!(error.problems()[0].variable(), "SERVICE_SECRET");
                assert!(
                    error
                        .to_string()
                        .contains(&format!("ENVIRONMENT={environment}"))
                );
            }
        }
    }
}

#[test]
fn a_token_issued_by_the_auth_service_verifies_at_the_backend() {
    for environment in ENVIRONMENTS {
        let auth = JwtConfig::from_source(&auth_service(environment)).unwrap();
        let backend = JwtConfig::from_source(&backend(environment)).unwrap();
        let token = auth.encode(&auth.access_claims("user-42")).unwrap();
        let verified = backend.decode::<AccessClaims>(&token).unwrap();
        assert_eq!(verified.claims.sub, "user-42");
        assert_eq!(verified.claims.exp - verified.claims.iat, 15 * 60);
    }
}

#[test]
fn a_different_secret_issuer_or_audience_is_rejected() {
    let auth = JwtConfig::from_source(&auth_service("production")).unwrap();
    let token = auth.encode(&auth.access_claims("user-42")).unwrap();
    for (variable, value, expected) in [
        // Another secret has another key id: the token names a key this service lacks.
        ("JWT_SECRET_KEY", OTHER_SECRET, "unknown_key_id"),
        ("JWT_ISSUER", "https://evil.example.com", "wrong_issuer"),
        ("JWT_AUDIENCE", "reporting", "wrong_audience"),
    ] {
        let backend = JwtConfig::from_source(&backend("production").with(variable, value)).unwrap();
        let error = backend.decode::<AccessClaims>(&token).unwrap_err();
        assert_eq!(error.kind(), expected, "{variable}: {error}");
    }
    // One key id named by hand over two secrets: the signature tells them apart.
    let named =
        |source: MapSource| JwtConfig::from_source(&source.with("JWT_KEY_ID", "shared")).unwrap();
    let auth = named(auth_service("production"));
    let token = auth.encode(&auth.access_claims("user-42")).unwrap();
    let backend = named(backend("production").with("JWT_SECRET_KEY", OTHER_SECRET));
    let error = backend.decode::<AccessClaims>(&token).unwrap_err();
    assert_eq!(error.kind(), "bad_signature", "{error}");
}

#[test]
fn the_schema_documentation_states_the_default_the_loader_applies() {
    let loaded = JwtConfig::load_with_report(&hs256("development", "auth")).unwrap();
    let applied = loaded
        .variables
        .iter()
        .find(|v| v.variable() == "JWT_ACCESS_TOKEN_EXPIRE_MINUTES")
        .unwrap();
    assert_eq!(*applied.origin(), Origin::Default);
    let documented = JwtConfig::SCHEMA
        .variables()
        .into_iter()
        .find(|v| v.name == "JWT_ACCESS_TOKEN_EXPIRE_MINUTES")
        .unwrap();
    assert_eq!(
        documented.schema.default_value().as_deref(),
        applied.rendered()
    );
    assert_eq!(applied.rendered(), Some("15"));
    let markdown = JwtConfig::SCHEMA.markdown();
    let row = markdown
        .lines()
        .find(|line| line.contains("`JWT_ACCESS_TOKEN_EXPIRE_MINUTES`"))
        .unwrap();
    assert!(
        row.contains("default `15`") && row.contains("`JWT_ACCESS_EXPIRY_MINUTES`"),
        "{row}"
    );
}
