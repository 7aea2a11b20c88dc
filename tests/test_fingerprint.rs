//! Schema fingerprints (constant, pinned at compile time) and effective fingerprints (from a
//! load, comparable across services without revealing secrets).

#![allow(dead_code)] // the schemas compared here are never loaded

mod common;

use common::*;
use jwt_config::{Config, JwtConfig, MapSource, Source as _, assert_schema, schema_fingerprint_of};

// The reviewed canonical schema. A change to it fails this build with the new fingerprint.
assert_schema!(JwtConfig, "c5a0d1fadd8d4f16");

mod v1 {
    /// Version one.
    #[derive(jwt_config::Config)]
    pub(crate) struct Settings {
        /// The port.
        #[config(default = 8080, alias = "OLD_PORT")]
        pub port: u16,
    }
}

mod same_but_documented_differently {
    /// Another doc comment: docs are not part of the schema fingerprint.
    #[derive(jwt_config::Config)]
    pub(crate) struct Settings {
        /// A port, described anew.
        #[config(default = 8080, alias = "OLD_PORT")]
        pub port: u16,
    }
}

mod other_default {
    #[derive(jwt_config::Config)]
    pub(crate) struct Settings {
        #[config(default = 9090, alias = "OLD_PORT")]
        pub port: u16,
    }
}

mod other_alias {
    #[derive(jwt_config::Config)]
    pub(crate) struct Settings {
        #[config(default = 8080, alias = "LEGACY_PORT")]
        pub port: u16,
    }
}

mod other_rule {
    #[derive(jwt_config::Config)]
    pub(crate) struct Settings {
        #[config(default = 8080, alias = "OLD_PORT", range(1..))]
        pub port: u16,
    }
}

#[test]
fn the_schema_fingerprint_changes_with_names_defaults_and_rules_but_not_docs() {
    let v1 = schema_fingerprint_of::<v1::Settings>();
    assert_eq!(
        v1,
        schema_fingerprint_of::<same_but_documented_differently::Settings>()
    );
    assert_ne!(v1, schema_fingerprint_of::<other_default::Settings>());
    assert_ne!(v1, schema_fingerprint_of::<other_alias::Settings>());
    assert_ne!(v1, schema_fingerprint_of::<other_rule::Settings>());
    assert_eq!(v1.len(), 16);
}

fn fingerprint(source: &MapSource) -> String {
    let loaded = JwtConfig::load_with_report(source).unwrap();
    loaded.fingerprint().unwrap()
}

#[test]
fn services_with_the_same_shared_settings_have_the_same_effective_fingerprint() {
    let auth = fingerprint(&hs256("production", "auth").with("SERVICE_ALLOWED_CALLERS", "backend"));
    let backend = fingerprint(&hs256("production", "backend"));
    assert_eq!(
        auth, backend,
        "SERVICE_ID and the allow-list are per service"
    );
}

#[test]
fn aliases_and_file_variants_supply_the_same_fingerprint() {
    let canonical = fingerprint(&hs256("production", "auth"));
    let mut via_alias = hs256("production", "auth");
    via_alias.remove("JWT_SECRET_KEY");
    via_alias.insert("JWT_SECRET", JWT_SECRET);
    assert_eq!(fingerprint(&via_alias), canonical);
    let file = TempFile::new("secret", format!("{JWT_SECRET}\n"));
    let path = file.path();
    let mut via_file = hs256("production", "auth");
    via_file.remove("JWT_SECRET_KEY");
    via_file.insert("JWT_SECRET_KEY_FILE", path.to_str().unwrap());
    assert_eq!(fingerprint(&via_file), canonical);
    let defaulted = fingerprint(&hs256("production", "auth").with("JWT_LEEWAY_SECONDS", "30"));
    assert_eq!(
        defaulted, canonical,
        "a value equal to the default is no difference"
    );
}

#[test]
fn a_different_secret_or_setting_changes_the_fingerprint_which_never_shows_a_secret() {
    let base = fingerprint(&hs256("production", "auth"));
    assert_ne!(
        fingerprint(&hs256("production", "auth").with("JWT_SECRET_KEY", OTHER_SECRET)),
        base
    );
    assert_ne!(
        fingerprint(&hs256("production", "auth").with("SERVICE_SECRET", OTHER_SECRET)),
        base
    );
    assert_ne!(
        fingerprint(&hs256("production", "auth").with("JWT_ACCESS_TOKEN_EXPIRE_MINUTES", "30")),
        base
    );
    let loaded = JwtConfig::load_with_report(&hs256("production", "auth")).unwrap();
    let everything = format!("{base} {:?}", loaded.variables);
    assert!(!everything.contains(JWT_SECRET) && !everything.contains(SERVICE_SECRET));
    let digest = jwt_config::__private::secret_digest(JWT_SECRET).unwrap();
    assert!(
        loaded
            .variables
            .iter()
            .any(|v| v.digest() == Some(digest.as_str()))
    );
}

mod service {
    use jwt_config::JwtConfig;

    /// A service's own settings around the canonical ones.
    #[derive(jwt_config::Config)]
    pub(crate) struct Settings {
        #[config(flatten)]
        pub jwt: JwtConfig,
        /// A setting of this service alone.
        #[config(env = "BILLING_PORT", default = 8080)]
        pub port: u16,
    }
}

#[test]
fn settings_fingerprints_name_the_settings_that_differ_and_show_no_secret() {
    use jwt_config::{Drift, SettingsFingerprint};
    let of = |source: &MapSource| -> SettingsFingerprint {
        let loaded = JwtConfig::load_with_report(source).unwrap();
        loaded.settings_fingerprint_of::<JwtConfig>().unwrap()
    };
    let base = of(&hs256("production", "auth"));
    assert_eq!(
        base.fingerprint(),
        fingerprint(&hs256("production", "auth"))
    );
    // A service's own struct: its own settings stay out; the JWT part compares equal.
    let service = service::Settings::load_with_report(
        &hs256("production", "billing").with("BILLING_PORT", "9000"),
    )
    .unwrap()
    .settings_fingerprint_of::<JwtConfig>()
    .unwrap();
    assert_eq!(
        base.compare(service.fingerprint(), Some(&service.settings())),
        Drift::Same
    );
    // Another secret and another expiry: both named, in schema order; no secret, no digest.
    let other = of(&hs256("production", "auth")
        .with("JWT_SECRET_KEY", OTHER_SECRET)
        .with("JWT_ACCESS_TOKEN_EXPIRE_MINUTES", "30"));
    assert_eq!(
        base.compare(other.fingerprint(), Some(&other.settings())),
        Drift::Settings(vec![
            "JWT_SECRET_KEY".to_owned(),
            "JWT_ACCESS_TOKEN_EXPIRE_MINUTES".to_owned()
        ])
    );
    let digest = jwt_config::__private::secret_digest(OTHER_SECRET).unwrap();
    let sent = format!("{} {}", other.fingerprint(), other.settings());
    assert!(
        !sent.contains(OTHER_SECRET) && !sent.contains(&digest[..8]),
        "{sent}"
    );
    assert!(sent.starts_with("jwtcfg2-"), "{sent}");
    assert!(
        other
            .settings()
            .starts_with(&format!("{}.", schema_fingerprint_of::<JwtConfig>()))
    );
}

mod prefixed {
    use jwt_config::JwtConfig;

    /// The canonical settings read under a prefix.
    #[derive(jwt_config::Config)]
    pub(crate) struct Settings {
        #[config(flatten, prefix = "AUTH_")]
        pub jwt: JwtConfig,
    }

    /// Two copies of them: which one a fingerprint stands for cannot be told.
    #[derive(jwt_config::Config)]
    pub(crate) struct Twice {
        #[config(flatten, prefix = "A_")]
        pub a: JwtConfig,
        #[config(flatten, prefix = "B_")]
        pub b: JwtConfig,
    }
}

/// `hs256` with every name but ENVIRONMENT (never prefixed) under `prefix`.
fn under(prefix: &str, source: &MapSource, names: &[&str]) -> MapSource {
    let mut prefixed = MapSource::new().with("ENVIRONMENT", "production");
    for name in names {
        if let Some(value) = source.get(name) {
            prefixed.insert(format!("{prefix}{name}"), value.to_str().unwrap());
        }
    }
    prefixed
}

#[test]
fn settings_read_under_a_prefix_have_the_fingerprint_of_the_same_settings_without() {
    use jwt_config::Drift;
    let names = [
        "JWT_SECRET_KEY",
        "JWT_ISSUER",
        "JWT_AUDIENCE",
        "SERVICE_ID",
        "SERVICE_SECRET",
        "SERVICE_ALLOWED_CALLERS",
        "JWT_ACCESS_TOKEN_EXPIRE_MINUTES",
    ];
    let plain = JwtConfig::load_with_report(&hs256("production", "backend"))
        .unwrap()
        .settings_fingerprint_of::<JwtConfig>()
        .unwrap();
    let prefixed_of = |source: &MapSource| {
        prefixed::Settings::load_with_report(&under("AUTH_", source, &names))
            .unwrap()
            .settings_fingerprint_of::<JwtConfig>()
            .unwrap()
    };
    let same = prefixed_of(&hs256("production", "auth"));
    assert_eq!(same.fingerprint(), plain.fingerprint());
    // A drifted expiry read under the prefix: named as this side reads it.
    let drifted =
        prefixed_of(&hs256("production", "auth").with("JWT_ACCESS_TOKEN_EXPIRE_MINUTES", "45"));
    assert_ne!(drifted.fingerprint(), plain.fingerprint());
    assert_eq!(
        drifted.compare(plain.fingerprint(), Some(&plain.settings())),
        Drift::Settings(vec!["AUTH_JWT_ACCESS_TOKEN_EXPIRE_MINUTES".to_owned()])
    );
    assert_eq!(
        plain.compare(drifted.fingerprint(), Some(&drifted.settings())),
        Drift::Settings(vec!["JWT_ACCESS_TOKEN_EXPIRE_MINUTES".to_owned()])
    );
    // Two copies under two prefixes: no fingerprint rather than one of either.
    let mut twice = under("A_", &hs256("production", "a"), &names);
    for name in names {
        if let Some(value) = hs256("production", "b").get(name) {
            twice.insert(format!("B_{name}"), value.to_str().unwrap());
        }
    }
    let loaded = prefixed::Twice::load_with_report(&twice).unwrap();
    assert_eq!(loaded.fingerprint_of::<JwtConfig>(), None);
}

mod opaque {
    /// A secret type that can be parsed but neither shown nor rendered.
    #[derive(Debug)]
    pub(crate) struct Token(#[allow(dead_code)] String);

    impl std::str::FromStr for Token {
        type Err = String;
        fn from_str(text: &str) -> Result<Self, String> {
            Ok(Token(text.to_owned()))
        }
    }

    impl zeroize::Zeroize for Token {
        fn zeroize(&mut self) {
            self.0.zeroize();
        }
    }

    pub(crate) fn keep(text: &str) -> Result<jwt_config::Secret<String>, String> {
        Ok(jwt_config::Secret::new(text.to_owned()))
    }

    /// Secrets whose values the library cannot render.
    #[derive(jwt_config::Config)]
    pub(crate) struct Settings {
        #[config(env = "API_TOKEN")]
        pub token: jwt_config::Secret<Token>,
        #[config(env = "API_KEY", parse_with = keep)]
        pub key: jwt_config::Secret<String>,
    }
}

#[test]
fn secrets_that_cannot_be_rendered_are_compared_by_the_text_they_were_read_from() {
    let long = |tag: &str| format!("{tag}-an-opaque-secret-of-more-than-32-bytes");
    let fingerprint = |token: &str, key: &str| {
        let source = MapSource::new()
            .with("API_TOKEN", token)
            .with("API_KEY", key);
        opaque::Settings::load_with_report(&source)
            .unwrap()
            .fingerprint()
            .unwrap()
    };
    let base = fingerprint(&long("a"), &long("k"));
    assert_eq!(base, fingerprint(&long("a"), &long("k")));
    assert_ne!(
        base,
        fingerprint(&long("b"), &long("k")),
        "API_TOKEN differs"
    );
    assert_ne!(base, fingerprint(&long("a"), &long("j")), "API_KEY differs");
}

mod aliased {
    /// A type alias hides `Secret` from the derive, which sees names, not types.
    pub(crate) type Key = jwt_config::Secret<String>;

    #[derive(jwt_config::Config)]
    pub(crate) struct Settings {
        #[config(env = "API_KEY", parse_with = super::opaque::keep)]
        pub key: Key,
    }
}

#[test]
fn a_secret_behind_a_type_alias_is_still_compared_by_digest() {
    let load = |key: &str| {
        aliased::Settings::load_with_report(&MapSource::new().with("API_KEY", key)).unwrap()
    };
    let a = load("first-secret-behind-an-alias-0123456789");
    let b = load("other-secret-behind-an-alias-0123456789");
    assert_ne!(a.fingerprint(), b.fingerprint());
    let variable = &a.variables[0];
    assert!(variable.secret(), "{variable:?}");
    assert!(variable.digest().is_some(), "{variable:?}");
}
