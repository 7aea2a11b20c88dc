//! Schema fingerprints (constant, pinned at compile time) and effective fingerprints (from a
//! load, comparable across services without revealing secrets).

#![allow(dead_code)] // the schemas compared here are never loaded

mod common;

use common::*;
use jwt_config::{Config, JwtConfig, MapSource, assert_schema, schema_fingerprint_of};

// The reviewed canonical schema. A change to it fails this build with the new fingerprint.
assert_schema!(JwtConfig, "a2f003a7fbc01a3d");

mod v1 {
    /// Version one.
    #[derive(jwt_config::Config)]
    pub struct Settings {
        /// The port.
        #[config(default = 8080, alias = "OLD_PORT")]
        pub port: u16,
    }
}

mod same_but_documented_differently {
    /// Another doc comment: docs are not part of the schema fingerprint.
    #[derive(jwt_config::Config)]
    pub struct Settings {
        /// A port, described anew.
        #[config(default = 8080, alias = "OLD_PORT")]
        pub port: u16,
    }
}

mod other_default {
    #[derive(jwt_config::Config)]
    pub struct Settings {
        #[config(default = 9090, alias = "OLD_PORT")]
        pub port: u16,
    }
}

mod other_alias {
    #[derive(jwt_config::Config)]
    pub struct Settings {
        #[config(default = 8080, alias = "LEGACY_PORT")]
        pub port: u16,
    }
}

mod other_rule {
    #[derive(jwt_config::Config)]
    pub struct Settings {
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
