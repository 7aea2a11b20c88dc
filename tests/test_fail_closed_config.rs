//! The loader fails closed: ENVIRONMENT, unknown names, keys, files, redaction, fingerprints.

mod common;

use common::*;
use jwt_config::{
    Config, EnvFile, Environment, JwtConfig, MapSource, ProblemKind, Secret, Substitution,
    WarningKind,
};

fn hs256_without_environment() -> MapSource {
    let mut source = hs256("production", "auth");
    source.remove("ENVIRONMENT");
    source
}

#[test]
fn an_unset_environment_is_a_problem_for_the_jwt_schema() {
    let error = JwtConfig::from_source(&hs256_without_environment()).unwrap_err();
    let problem = &error.problems()[0];
    assert_eq!(
        (problem.variable(), problem.kind()),
        ("ENVIRONMENT", ProblemKind::Missing)
    );
    assert!(
        problem.message().contains("staging, production"),
        "{problem}"
    );
}

#[derive(Config, Debug)]
struct OwnSettings {
    #[config(default = 8080)]
    port: u16,
}

#[derive(Config, Debug)]
#[config(require_environment)]
#[allow(dead_code)]
struct Strict {
    #[config(default = 8080)]
    port: u16,
}

#[derive(Config, Debug)]
struct WithJwt {
    #[config(flatten)]
    jwt: JwtConfig,
    /// The service's own view of ENVIRONMENT: the one value read once per load.
    #[config(env = "ENVIRONMENT", default = Environment::Development)]
    environment: Environment,
}

#[test]
fn a_struct_of_its_own_keeps_the_development_default_unless_it_opts_in() {
    assert_eq!(
        OwnSettings::from_source(&MapSource::new()).unwrap().port,
        8080
    );
    assert!(
        Strict::from_source(&MapSource::new())
            .unwrap_err()
            .mentions("ENVIRONMENT")
    );
    assert!(
        WithJwt::from_source(&hs256_without_environment())
            .unwrap_err()
            .mentions("ENVIRONMENT")
    );
}

#[test]
fn a_field_of_its_own_reading_environment_beside_jwt_config_sees_the_same_value() {
    let config =
        WithJwt::from_source(&hs256("staging", "auth").with("ENVIRONMENT", "Stage")).unwrap();
    assert_eq!(config.environment, Environment::Staging);
    assert_eq!(config.jwt.environment(), Environment::Staging);
}

#[test]
fn a_near_miss_name_is_a_warning_with_a_suggestion() {
    let loaded = JwtConfig::load_with_report(
        &hs256("production", "auth")
            .with("JWT_ACCES_TOKEN_EXPIRE_MINUTES", "60")
            .with("JWT_ISSUER_FILE", "/run/issuer")
            .with("PATH", "/usr/bin"),
    )
    .unwrap();
    let unknown: Vec<_> = loaded
        .warnings
        .iter()
        .filter(|w| w.kind() == WarningKind::UnknownVariable)
        .collect();
    assert_eq!(unknown.len(), 2, "{unknown:?}");
    assert_eq!(unknown[0].variable(), "JWT_ACCES_TOKEN_EXPIRE_MINUTES");
    assert!(
        unknown[0]
            .message()
            .contains("did you mean JWT_ACCESS_TOKEN_EXPIRE_MINUTES?")
    );
    assert!(
        unknown[1].message().contains("accepts no `_FILE` variant"),
        "{}",
        unknown[1]
    );
}

#[test]
fn a_startup_error_shows_the_near_miss_name_that_explains_it() {
    let mut source = hs256("production", "auth").with("JWT_ISSUR", "https://auth.example.com");
    source.remove("JWT_ISSUER");
    let error = JwtConfig::from_source(&source).unwrap_err();
    let text = error.to_string();
    let lines: Vec<&str> = text.lines().collect();
    let missing = lines
        .iter()
        .position(|l| l.contains("JWT_ISSUER: is missing"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        lines[missing + 1].contains("hint: JWT_ISSUR: ")
            && lines[missing + 1].contains("did you mean JWT_ISSUER?"),
        "{text}"
    );
}

fn public_key_problem(pem: &str) -> String {
    let source = hs256("production", "auth")
        .with("JWT_ALGORITHM", "RS256")
        .with("JWT_PUBLIC_KEY", pem);
    let error = JwtConfig::from_source(&source).unwrap_err();
    assert!(error.mentions("JWT_PUBLIC_KEY"), "{error}");
    error.to_string()
}

#[test]
fn rsa_keys_below_2048_bits_are_refused_however_they_are_wrapped() {
    let cert = public_key_problem(&key("rsa1024_cert"));
    assert!(cert.contains("1024-bit"), "{cert}");
    let small = public_key_problem(&key("rsa512_public"));
    // The rsa crate itself refuses to read a modulus this small: refused as of unknown size.
    assert!(
        small.contains("512-bit") || small.contains("cannot be determined"),
        "{small}"
    );
    let trailing = public_key_problem(&format!("{}trailing text", key("rsa1024_public")));
    assert!(trailing.contains("after it"), "{trailing}");
    let two = public_key_problem(&format!(
        "{}{}",
        key("rsa1024_public"),
        key("rsa2048_public")
    ));
    assert!(two.contains("2 PEM blocks"), "{two}");
}

#[test]
fn a_sec1_ec_key_is_named_with_the_conversion_to_make() {
    let source = hs256("production", "auth")
        .with("JWT_ALGORITHM", "ES256")
        .with("JWT_PUBLIC_KEY", key("ec256_public"))
        .with("JWT_PRIVATE_KEY", key("ec256_sec1_private"));
    let error = JwtConfig::from_source(&source).unwrap_err();
    assert!(
        error.to_string().contains("SEC1 `EC PRIVATE KEY`"),
        "{error}"
    );
    assert!(
        error.to_string().contains("openssl pkcs8 -topk8"),
        "{error}"
    );
}

#[test]
fn two_public_keys_render_and_fingerprint_differently() {
    let load = |pem: &str| {
        let source = hs256("production", "backend")
            .with("JWT_ALGORITHM", "RS256")
            .with("JWT_PUBLIC_KEY", pem);
        JwtConfig::load_with_report(&source).unwrap()
    };
    let (a, b) = (
        load(&key("rsa2048_public")),
        load(&key("rsa2048_other_public")),
    );
    let rendered = |l: &jwt_config::Loaded<JwtConfig>| {
        l.variables
            .iter()
            .find(|v| v.variable() == "JWT_PUBLIC_KEY")
            .unwrap()
            .rendered()
            .map(str::to_owned)
    };
    assert_ne!(rendered(&a), rendered(&b));
    assert_ne!(a.fingerprint(), b.fingerprint());
}

#[test]
fn algorithm_none_does_not_hide_a_short_secret() {
    let source = hs256("production", "auth")
        .with("JWT_ALGORITHM", "none")
        .with("JWT_SECRET_KEY", "short");
    let error = JwtConfig::from_source(&source).unwrap_err();
    assert!(
        error.mentions("JWT_ALGORITHM") && error.mentions("JWT_SECRET_KEY"),
        "{error}"
    );
}

#[derive(Config, Debug)]
#[allow(dead_code)]
struct Secrets {
    #[config(secret, range(1..=100))]
    pin: Option<u32>,
    #[config(secret, parse_with = quoting_parser)]
    quoted: Option<String>,
    #[config(secret, range(1..=9))]
    codes: Option<Vec<u32>>,
    #[config(file)]
    certificate: Option<u32>,
    token: Option<Secret<String>>,
}

fn quoting_parser(text: &str) -> Result<String, String> {
    Err(format!(
        "bad {:?} {}",
        text.trim(),
        &text[..text.len().min(10)]
    ))
}

#[test]
fn no_parser_or_range_text_stands_next_to_a_secret() {
    let secret = "73310-quoted-Secret";
    let source = MapSource::new()
        .with("PIN", "73310")
        .with("QUOTED", format!("  {secret}  "))
        .with("CODES", "1,73310");
    let error = Secrets::from_source(&source).unwrap_err();
    let text = format!("{error} {error:?}");
    assert_eq!(error.problems().len(), 3, "{text}");
    for needle in ["73310", "quoted-Secret"] {
        assert!(!text.contains(needle), "{needle} in {text}");
    }
    assert!(text.contains("PIN: the value (a secret, not shown) is outside what is accepted"));
}

#[test]
fn sources_redact_their_values_in_debug() {
    let map = MapSource::new().with("TOKEN", "map-value-7f3a9c");
    assert!(!format!("{map:?}").contains("map-value"));
    let file =
        EnvFile::parse("x.env", b"TOKEN=file-value-7f3a9c\n", Substitution::Refused).unwrap();
    let shown = format!("{file:?}");
    assert!(
        !shown.contains("file-value") && shown.contains("TOKEN"),
        "{shown}"
    );
}

#[test]
fn the_contents_of_a_non_secret_file_are_not_quoted() {
    let dir = temp_dir();
    let path = dir.path().join("cert");
    std::fs::write(&path, "not-a-number-contents").unwrap();
    let source = MapSource::new().with("CERTIFICATE_FILE", path.to_str().unwrap());
    let error = Secrets::from_source(&source).unwrap_err();
    assert!(
        !error.to_string().contains("not-a-number-contents"),
        "{error}"
    );
    assert!(error.to_string().contains("CERTIFICATE_FILE"), "{error}");
}

#[test]
fn messages_are_bounded_in_length() {
    #[derive(Config, Debug)]
    #[allow(dead_code)]
    struct Wide {
        #[config(parse_with = echo)]
        wide: Option<String>,
    }
    fn echo(text: &str) -> Result<String, String> {
        Err(text.to_owned())
    }
    let error =
        Wide::from_source(&MapSource::new().with("WIDE", "x".repeat(1_000_000))).unwrap_err();
    assert!(
        error.to_string().len() < 2_000,
        "{}",
        error.to_string().len()
    );
}

#[test]
fn nan_satisfies_no_range_and_years_are_refused_in_every_spelling() {
    #[derive(Config, Debug)]
    #[allow(dead_code)]
    struct Numbers {
        #[config(range(0.0..=1.0))]
        ratio: Option<f64>,
        timeout: Option<std::time::Duration>,
    }
    assert!(Numbers::from_source(&MapSource::new().with("RATIO", "NaN")).is_err());
    for text in ["1yr", "2yrs", "1y", "1 year"] {
        let error = Numbers::from_source(&MapSource::new().with("TIMEOUT", text)).unwrap_err();
        assert!(
            error.to_string().contains("months or years"),
            "{text}: {error}"
        );
    }
}

#[test]
fn a_number_error_gives_the_schemas_range_not_the_types() {
    let error = JwtConfig::from_source(
        &hs256("production", "auth").with("JWT_REFRESH_TOKEN_EXPIRE_DAYS", "a week"),
    )
    .unwrap_err();
    assert!(error.to_string().contains("from 1 to 365"), "{error}");
    assert!(!error.to_string().contains("4294967295"), "{error}");
}

#[test]
fn one_key_raw_and_as_base64_is_one_key_and_a_weak_secret_gets_no_digest() {
    use base64::Engine as _;
    let encoded = format!(
        "base64:{}",
        base64::engine::general_purpose::STANDARD.encode(JWT_SECRET)
    );
    let raw = JwtConfig::load_with_report(&hs256("production", "auth")).unwrap();
    let b64 =
        JwtConfig::load_with_report(&hs256("production", "auth").with("JWT_SECRET_KEY", &encoded))
            .unwrap();
    assert_eq!(raw.fingerprint(), b64.fingerprint());
    let weak =
        JwtConfig::load_with_report(&hs256("development", "auth").with("JWT_SECRET_KEY", "dev"))
            .unwrap();
    let secret = weak
        .variables
        .iter()
        .find(|v| v.variable() == "JWT_SECRET_KEY")
        .unwrap();
    assert_eq!(secret.digest(), None);
}

mod pem_property {
    use super::*;
    use jwt_config::jsonwebtoken::DecodingKeyKind;
    use proptest::prelude::*;

    /// The RSA keys of the fixtures, and ways a PEM gets mangled on its way to a variable.
    fn pem() -> impl Strategy<Value = String> {
        let keys = prop::sample::select(vec![
            "rsa1024_public",
            "rsa1024_cert",
            "rsa512_public",
            "rsa2048_public",
            "rsa2048_other_public",
            "rsa2048_private",
        ]);
        (keys.clone(), keys, 0..6u8, "[ -~\n]{0,12}").prop_map(|(a, b, how, text)| {
            let (a, b) = (key(a), key(b));
            match how {
                0 => a,
                1 => format!("{a}{text}"),
                2 => format!("{text}{a}"),
                3 => format!("{a}{b}"),
                4 => a.replace("PUBLIC KEY", "RSA PUBLIC KEY"),
                _ => a.replace('\n', "\\n"),
            }
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// Every RSA key a service starts with is, as jsonwebtoken holds it, 2048 bits or more.
        /// The backend reads the DER it holds: PKCS#1, and on `aws-lc` also a
        /// SubjectPublicKeyInfo under an `RSA PUBLIC KEY` label (which `rust-crypto` refuses).
        #[test]
        fn every_rsa_key_that_loads_has_a_known_size_of_at_least_2048_bits(pem in pem()) {
            use rsa::pkcs1::DecodeRsaPublicKey as _;
            use rsa::pkcs8::DecodePublicKey as _;
            use rsa::traits::PublicKeyParts as _;
            let source = hs256("production", "auth")
                .with("JWT_ALGORITHM", "PS256")
                .with("JWT_PUBLIC_KEY", pem.as_str());
            if let Ok(config) = JwtConfig::from_source(&source) {
                let DecodingKeyKind::SecretOrDer(der) = config.decoding_key().unwrap().kind() else {
                    panic!("an RSA key from PEM is held as DER");
                };
                let pkcs1 = rsa::PublicKey::from_pkcs1_der(der).ok();
                let spki = cfg!(feature = "aws-lc")
                    .then(|| rsa::PublicKey::from_public_key_der(der).ok())
                    .flatten();
                let bits = pkcs1.or(spki).map(|k| k.size() * 8);
                prop_assert!(bits.is_some_and(|bits| bits >= 2048), "{bits:?}");
            }
        }
    }
}

#[derive(Config, Debug)]
#[allow(dead_code)]
struct Billing {
    #[config(env = "BILLING_PORT", default = 8080)]
    port: u16,
    #[config(env = "BILLING_TIMEOUT_SECONDS", default = 30)]
    timeout: u64,
    #[config(env = "STRIPE_API_KEY")]
    stripe_key: Option<Secret<String>>,
}

#[test]
fn a_family_is_a_leading_word_that_two_variables_share() {
    let source = MapSource::new()
        .with("BILLING_PRT", "9000")
        .with("STRIPE_WEBHOOK_SECRET", "another library's");
    let loaded = Billing::load_with_report(&source).unwrap();
    let unknown: Vec<&str> = loaded.warnings.iter().map(|w| w.variable()).collect();
    assert_eq!(unknown, ["BILLING_PRT"]);
    assert!(
        loaded.warnings[0]
            .message()
            .contains("did you mean BILLING_PORT?")
    );
}

#[test]
fn key_material_pasted_into_a_public_key_is_never_quoted() {
    let private = key("ec256_sec1_private");
    let pair = format!("{}\n{}", private.trim(), key("ec256_public").trim());
    let body: String = private
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    // As an env file carries it (escaped line breaks), as a mounted file would, the body
    // alone without its PEM lines, and a private JWK.
    let jwk = format!(
        r#"{{"kty":"EC","crv":"P-256","d":"{}","x":"a","y":"b"}}"#,
        &body[..43]
    );
    for text in [
        pair.clone(),
        pair.replace('\n', "\\n"),
        private.clone(),
        body.clone(),
        jwk,
    ] {
        let source = hs256("production", "auth")
            .with("JWT_ALGORITHM", "ES256")
            .with("JWT_PUBLIC_KEY", &text);
        let result = JwtConfig::load_with_report(&source);
        let shown = rendered(&result);
        for window in body.as_bytes().windows(12) {
            let part = std::str::from_utf8(window).unwrap();
            assert!(!shown.contains(part), "{part} shown in {shown}");
        }
        assert!(shown.contains("JWT_PUBLIC_KEY"), "{shown}");
    }
}
