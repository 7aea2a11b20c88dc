//! The crypto backend: RSA signing on `rust-crypto` is warned about (RUSTSEC-2023-0071) in
//! staging and production, and nowhere else.

mod common;

use common::{hs256, key, source};
use jwt_config::{Config, JwtConfig, MapSource, Warning, WarningKind};

/// A service with `algorithm`, in `environment`, holding the given PEM keys.
fn asymmetric(
    environment: &str,
    algorithm: &str,
    private: Option<&str>,
    public: &str,
) -> MapSource {
    let mut source = source(&[
        ("ENVIRONMENT", environment),
        ("JWT_ALGORITHM", algorithm),
        ("JWT_ISSUER", "https://auth.example.com"),
        ("JWT_AUDIENCE", "backend"),
        ("SERVICE_ID", "auth"),
        ("SERVICE_SECRET", "a-service-secret-of-at-least-32-bytes!!"),
        ("SERVICE_ALLOWED_CALLERS", "*"),
    ]);
    if let Some(private) = private {
        source.insert("JWT_PRIVATE_KEY", key(private));
    }
    source.insert("JWT_PUBLIC_KEY", key(public));
    source
}

/// The advisory warnings of a load that must succeed.
fn advisories(source: &MapSource) -> Vec<Warning> {
    let loaded = JwtConfig::load_with_report(source).unwrap_or_else(|error| panic!("{error}"));
    loaded
        .warnings
        .into_iter()
        .filter(|warning| warning.kind() == WarningKind::Advisory)
        .collect()
}

#[cfg(feature = "rust-crypto")]
#[test]
fn an_rsa_signer_in_staging_or_production_on_rust_crypto_is_warned_of_the_advisory() {
    for environment in ["staging", "production"] {
        for algorithm in ["RS256", "PS256"] {
            let source = asymmetric(
                environment,
                algorithm,
                Some("rsa2048_private"),
                "rsa2048_public",
            );
            let warnings = advisories(&source);
            assert_eq!(warnings.len(), 1, "{environment} {algorithm}: {warnings:?}");
            let warning = &warnings[0];
            assert_eq!(warning.variable(), "JWT_PRIVATE_KEY");
            for words in ["RUSTSEC-2023-0071", "`aws-lc`", algorithm] {
                assert!(warning.message().contains(words), "{warning}");
            }
        }
    }
}

#[test]
fn an_rsa_verifier_is_never_warned() {
    for environment in ["staging", "production"] {
        for algorithm in ["RS256", "PS256"] {
            let source = asymmetric(environment, algorithm, None, "rsa2048_public");
            assert_eq!(advisories(&source), [], "{environment} {algorithm}");
        }
    }
}

#[test]
fn an_rsa_signer_in_development_or_test_is_not_warned() {
    for environment in ["development", "test"] {
        let source = asymmetric(
            environment,
            "RS256",
            Some("rsa2048_private"),
            "rsa2048_public",
        );
        assert_eq!(advisories(&source), [], "{environment}");
    }
}

#[test]
fn hmac_and_ecdsa_signers_are_not_warned() {
    let es256 = asymmetric("production", "ES256", Some("ec256_private"), "ec256_public");
    assert_eq!(advisories(&es256), []);
    let eddsa = asymmetric(
        "production",
        "EdDSA",
        Some("ed25519_private"),
        "ed25519_public",
    );
    assert_eq!(advisories(&eddsa), []);
    assert_eq!(advisories(&hs256("production", "auth")), []);
}

#[cfg(feature = "aws-lc")]
#[test]
fn an_rsa_signer_on_aws_lc_is_not_warned() {
    for algorithm in ["RS256", "PS256"] {
        let source = asymmetric(
            "production",
            algorithm,
            Some("rsa2048_private"),
            "rsa2048_public",
        );
        assert_eq!(advisories(&source), [], "{algorithm}");
    }
}

#[test]
fn the_key_size_is_read_on_either_backend() {
    let small = asymmetric("development", "RS256", None, "rsa1024_public");
    let error = JwtConfig::from_source(&small).unwrap_err();
    assert!(
        error.to_string().contains("is a 1024-bit RSA key"),
        "{error}"
    );
    let verifier = asymmetric("development", "RS256", None, "rsa2048_public");
    assert!(JwtConfig::from_source(&verifier).is_ok());
}
