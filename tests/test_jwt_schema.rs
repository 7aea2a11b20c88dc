//! The canonical `JwtConfig`: every rule of the schema, each message naming its variable,
//! and no secret in any output.

mod common;

use common::*;
use jwt_config::jsonwebtoken::Algorithm;
use jwt_config::{
    Config, ConfigError, Environment, JwtConfig, MapSource, ProblemKind, TokenType, WarningKind,
};

fn problems(source: &MapSource) -> ConfigError {
    let result = JwtConfig::load_with_report(source);
    let text = rendered(&result);
    for secret in [JWT_SECRET, SERVICE_SECRET, OTHER_SECRET] {
        assert!(!text.contains(secret), "a secret leaked: {text}");
    }
    result.unwrap_err()
}

fn only_problem(source: &MapSource) -> jwt_config::Problem {
    let error = problems(source);
    assert_eq!(error.problems().len(), 1, "{error}");
    error.problems()[0].clone()
}

#[test]
fn the_defaults_are_those_of_the_design() {
    let config = JwtConfig::from_source(&source(&[
        ("ENVIRONMENT", "development"),
        ("SERVICE_ID", "auth"),
        ("JWT_SECRET_KEY", JWT_SECRET),
    ]))
    .unwrap();
    assert_eq!(config.environment(), Environment::Development);
    assert_eq!(config.algorithm(), Algorithm::HS256);
    assert_eq!(config.lifetime(TokenType::Access).as_secs(), 15 * 60);
    assert_eq!(config.lifetime(TokenType::Refresh).as_secs(), 7 * 24 * 3600);
    assert_eq!(
        (config.issuer(), config.audience()),
        ("jwt-config-dev", &["jwt-config-dev".to_owned()][..])
    );
    assert_eq!(config.leeway().as_secs(), 30);
    assert_eq!(config.lifetime(TokenType::Service).as_secs(), 60);
    assert_eq!(config.service_allowed_callers(), None);
    let validation = config.validation();
    assert_eq!(validation.algorithms, [Algorithm::HS256]);
    assert_eq!(validation.leeway, 30);
    for claim in ["exp", "iss", "aud"] {
        assert!(validation.required_spec_claims.contains(claim));
    }
}

#[test]
fn algorithm_none_is_refused_with_its_own_message() {
    let problem = only_problem(&hs256("development", "auth").with("JWT_ALGORITHM", "none"));
    assert_eq!(problem.variable(), "JWT_ALGORITHM");
    assert!(problem.message().contains("RFC 8725"), "{problem}");
    let problem = only_problem(&hs256("development", "auth").with("JWT_ALGORITHM", "HS999"));
    assert!(
        problem
            .message()
            .contains("expected one of HS256, HS384, HS512, RS256"),
        "{problem}"
    );
}

#[test]
fn an_hmac_algorithm_requires_the_secret_key() {
    let mut source = hs256("development", "auth");
    source.remove("JWT_SECRET_KEY");
    let problem = only_problem(&source);
    assert_eq!(
        (problem.variable(), problem.kind()),
        ("JWT_SECRET_KEY", ProblemKind::Missing)
    );
    assert!(problem.message().contains("HS256"));
}

#[test]
fn a_short_hmac_key_is_a_problem_in_production_and_a_warning_in_development() {
    let short = "too-short-secret-value";
    let problem = only_problem(&hs256("production", "auth").with("JWT_SECRET_KEY", short));
    assert_eq!(
        (problem.variable(), problem.kind()),
        ("JWT_SECRET_KEY", ProblemKind::OutOfRange)
    );
    assert!(
        problem.message().contains("22 bytes") && problem.message().contains("at least 32"),
        "{problem}"
    );
    assert!(!problem.to_string().contains(short));
    let loaded =
        JwtConfig::load_with_report(&hs256("development", "auth").with("JWT_SECRET_KEY", short))
            .unwrap();
    assert_eq!(loaded.warnings[0].kind(), WarningKind::Weak);
    assert_eq!(loaded.warnings[0].variable(), "JWT_SECRET_KEY");
    let hs512 = only_problem(&hs256("staging", "auth").with("JWT_ALGORITHM", "HS512"));
    assert!(
        hs512.message().contains("HS512 needs at least 64"),
        "{hs512}"
    );
}

#[test]
fn a_base64_key_decodes_to_its_bytes_and_bad_base64_is_a_problem() {
    // 32 zero bytes, URL-safe alphabet, no padding.
    let encoded = "base64:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let config =
        JwtConfig::from_source(&hs256("production", "auth").with("JWT_SECRET_KEY", encoded));
    assert!(config.is_ok(), "{:?}", config.err());
    let problem = only_problem(&hs256("development", "auth").with("JWT_SECRET_KEY", "base64:@@@@"));
    assert_eq!(problem.variable(), "JWT_SECRET_KEY");
    // A secret's parser message is never shown; the field's documentation says what is accepted.
    assert!(
        problem.message().contains("standard or URL-safe base64"),
        "{problem}"
    );
    assert!(problem.message().contains("a secret, not shown"));
}

#[test]
fn the_legacy_secret_alias_is_accepted_with_a_warning() {
    let mut source = hs256("development", "auth");
    source.remove("JWT_SECRET_KEY");
    source.insert("JWT_SECRET", JWT_SECRET);
    let loaded = JwtConfig::load_with_report(&source).unwrap();
    assert_eq!(loaded.warnings[0].kind(), WarningKind::DeprecatedAlias);
    assert!(
        loaded.warnings[0]
            .message()
            .contains("JWT_SECRET is a deprecated alias")
    );
}

#[test]
fn lifetimes_must_be_ordered_leeway_access_refresh() {
    let source = hs256("development", "auth")
        .with("JWT_ACCESS_TOKEN_EXPIRE_MINUTES", "1")
        .with("JWT_LEEWAY_SECONDS", "60");
    let problem = only_problem(&source);
    assert_eq!(
        (problem.variable(), problem.kind()),
        ("JWT_ACCESS_TOKEN_EXPIRE_MINUTES", ProblemKind::Rule)
    );
    assert!(problem.message().contains("JWT_LEEWAY_SECONDS"));
    let source = hs256("development", "auth")
        .with("JWT_ACCESS_TOKEN_EXPIRE_MINUTES", "1440")
        .with("JWT_REFRESH_TOKEN_EXPIRE_DAYS", "1");
    let problem = only_problem(&source);
    assert_eq!(problem.variable(), "JWT_REFRESH_TOKEN_EXPIRE_DAYS");
    let problem =
        only_problem(&hs256("development", "auth").with("JWT_ACCESS_TOKEN_EXPIRE_MINUTES", "1441"));
    assert!(
        problem.message().contains("accepted: 1..=1440"),
        "{problem}"
    );
    let problem = only_problem(&hs256("development", "auth").with("JWT_LEEWAY_SECONDS", "301"));
    assert_eq!(problem.variable(), "JWT_LEEWAY_SECONDS");
}

#[test]
fn the_service_secret_must_differ_from_the_jwt_secret_in_every_environment() {
    for environment in ["development", "production"] {
        let problem = only_problem(&hs256(environment, "auth").with("SERVICE_SECRET", JWT_SECRET));
        assert_eq!(
            (problem.variable(), problem.kind()),
            ("SERVICE_SECRET", ProblemKind::Rule)
        );
        assert!(problem.message().contains("JWT_SECRET_KEY"));
    }
}

#[test]
fn a_short_service_secret_is_a_problem_in_staging() {
    let problem = only_problem(&hs256("staging", "auth").with("SERVICE_SECRET", "short"));
    assert_eq!(
        (problem.variable(), problem.kind()),
        ("SERVICE_SECRET", ProblemKind::OutOfRange)
    );
    assert!(
        JwtConfig::from_source(&hs256("development", "auth").with("SERVICE_SECRET", "short"))
            .is_ok()
    );
}

#[test]
fn issuer_and_audience_are_required_in_staging_and_production() {
    let mut source = hs256("production", "auth");
    source.remove("JWT_ISSUER");
    source.remove("JWT_AUDIENCE");
    let error = problems(&source);
    let variables: Vec<&str> = error.problems().iter().map(|p| p.variable()).collect();
    assert_eq!(variables, ["JWT_ISSUER", "JWT_AUDIENCE"]);
}

#[test]
fn cross_field_problems_come_beside_missing_variables() {
    let source = source(&[
        ("ENVIRONMENT", "staging"),
        ("JWT_SECRET_KEY", "x"),
        ("JWT_LEEWAY_SECONDS", "300"),
        ("JWT_ACCESS_TOKEN_EXPIRE_MINUTES", "5"),
    ]);
    let error = problems(&source);
    for variable in [
        "JWT_ISSUER",
        "JWT_AUDIENCE",
        "SERVICE_ID",
        "SERVICE_SECRET",
        "JWT_ACCESS_TOKEN_EXPIRE_MINUTES",
        "JWT_SECRET_KEY",
    ] {
        assert!(
            error.problems().iter().any(|p| p.variable() == variable),
            "{variable} missing from {error}"
        );
    }
}

fn asymmetric(algorithm: &str, private: Option<&str>, public: Option<&str>) -> MapSource {
    let mut source = source(&[
        ("ENVIRONMENT", "development"),
        ("SERVICE_ID", "auth"),
        ("JWT_ALGORITHM", algorithm),
    ]);
    if let Some(private) = private {
        source.insert("JWT_PRIVATE_KEY", key(private));
    }
    if let Some(public) = public {
        source.insert("JWT_PUBLIC_KEY", key(public));
    }
    source
}

#[test]
fn every_asymmetric_family_signs_and_verifies_with_a_matching_pair() {
    for (algorithm, private, public) in [
        ("RS256", "rsa2048_private", "rsa2048_public"),
        ("PS384", "rsa2048_private", "rsa2048_public"),
        ("ES256", "ec256_private", "ec256_public"),
        ("ES384", "ec384_private", "ec384_public"),
        ("EdDSA", "ed25519_private", "ed25519_public"),
    ] {
        let config = JwtConfig::from_source(&asymmetric(algorithm, Some(private), Some(public)));
        let config = config.unwrap_or_else(|e| panic!("{algorithm}: {e}"));
        let token = config.encode(&config.access_claims("user-1")).unwrap();
        let verified = config.decode::<jwt_config::AccessClaims>(&token).unwrap();
        assert_eq!(verified.claims.sub, "user-1");
    }
}

#[test]
fn without_a_private_key_the_service_only_verifies() {
    let config =
        JwtConfig::from_source(&asymmetric("RS256", None, Some("rsa2048_public"))).unwrap();
    assert!(config.encoding_key().is_none());
    assert!(matches!(
        config.encode(&config.access_claims("u")),
        Err(jwt_config::TokenError::VerifyOnly)
    ));
}

#[test]
fn keys_that_are_not_a_pair_fail_the_startup_self_test() {
    let problem = only_problem(&asymmetric(
        "RS256",
        Some("rsa2048_private"),
        Some("rsa2048_other_public"),
    ));
    assert_eq!(
        (problem.variable(), problem.kind()),
        ("JWT_PRIVATE_KEY", ProblemKind::Rule)
    );
    assert!(problem.message().contains("not a pair"));
}

#[test]
fn a_key_of_the_wrong_family_or_curve_names_what_the_algorithm_needs() {
    let problem = only_problem(&asymmetric("ES256", None, Some("rsa2048_public")));
    assert_eq!(problem.variable(), "JWT_PUBLIC_KEY");
    assert!(
        problem
            .message()
            .contains("is not an EC P-256 key in PEM, as ES256 needs"),
        "{problem}"
    );
    let problem = only_problem(&asymmetric("ES256", None, Some("ec384_public")));
    assert!(problem.message().contains("EC P-256"), "{problem}");
    let problem = only_problem(&asymmetric(
        "EdDSA",
        Some("rsa2048_private"),
        Some("ed25519_public"),
    ));
    assert_eq!(problem.variable(), "JWT_PRIVATE_KEY");
    assert!(problem.message().contains("Ed25519"), "{problem}");
}

#[test]
fn a_public_key_in_the_private_slot_and_the_reverse_are_problems() {
    let problem = only_problem(&asymmetric(
        "RS256",
        Some("rsa2048_public"),
        Some("rsa2048_public"),
    ));
    assert_eq!(problem.variable(), "JWT_PRIVATE_KEY");
    assert!(problem.message().contains("holds a public key"));
    let problem = only_problem(&asymmetric("RS256", None, Some("rsa2048_private")));
    assert_eq!(problem.variable(), "JWT_PUBLIC_KEY");
    assert!(problem.message().contains("holds a private key"));
}

#[test]
fn an_rsa_key_under_2048_bits_is_refused() {
    let problem = only_problem(&asymmetric(
        "RS256",
        Some("rsa1024_private"),
        Some("rsa1024_public"),
    ));
    assert_eq!(
        (problem.variable(), problem.kind()),
        ("JWT_PUBLIC_KEY", ProblemKind::OutOfRange)
    );
    assert!(problem.message().contains("1024-bit"), "{problem}");
}

#[test]
fn an_asymmetric_algorithm_requires_the_public_key() {
    let problem = only_problem(&asymmetric("ES384", None, None));
    assert_eq!(
        (problem.variable(), problem.kind()),
        ("JWT_PUBLIC_KEY", ProblemKind::Missing)
    );
}

#[test]
fn pem_with_escaped_newlines_and_from_a_file_is_accepted() {
    let escaped = key("ec256_private").replace('\n', "\\n");
    let file = TempFile::new("public.pem", key("ec256_public"));
    let public = file.path();
    let source = source(&[
        ("ENVIRONMENT", "development"),
        ("SERVICE_ID", "a"),
        ("JWT_ALGORITHM", "es256"),
        ("JWT_PUBLIC_KEY_FILE", public.to_str().unwrap()),
    ])
    .with("JWT_PRIVATE_KEY", escaped);
    let config = JwtConfig::from_source(&source).unwrap();
    assert!(config.encoding_key().is_some());
}

#[test]
fn no_private_key_material_appears_in_any_output() {
    let private = key("rsa2048_private");
    let body: String = private.lines().nth(3).unwrap().to_owned();
    for source in [
        asymmetric("RS256", Some("rsa2048_private"), Some("rsa2048_public")),
        asymmetric(
            "RS256",
            Some("rsa2048_private"),
            Some("rsa2048_other_public"),
        ),
        asymmetric("ES256", Some("rsa2048_private"), Some("ec256_public")),
    ] {
        let text = rendered(&JwtConfig::load_with_report(&source));
        assert!(!text.contains(&body), "{text}");
    }
}

#[test]
fn the_vars_constants_are_the_schemas_variables_one_for_one() {
    // The constants as declared in `mod vars`, read from the source: a new variable without a
    // constant, or a constant of no variable, fails here.
    let source = include_str!("../src/jwt/mod.rs");
    let start = source.find("pub mod vars {").unwrap();
    let end = start + source[start..].find("\n}\n").unwrap();
    let mut constants: Vec<String> = source[start..end]
        .lines()
        .filter_map(|line| {
            let (_, value) = line.trim().strip_prefix("pub const ")?.split_once("= ")?;
            Some(value.trim_end_matches(';').to_owned())
        })
        .map(|value| match value.as_str() {
            "jwt_config_core::ENVIRONMENT_VARIABLE" => jwt_config::ENVIRONMENT_VARIABLE.to_owned(),
            quoted => quoted.trim_matches('"').to_owned(),
        })
        .collect();
    constants.sort();
    let mut names: Vec<String> = JwtConfig::SCHEMA
        .variables()
        .into_iter()
        .map(|v| v.name)
        .collect();
    names.sort();
    assert_eq!(constants, names);
}
