//! `JWT_VERIFICATION_KEYS` on arbitrary text, for HS256 and ES256: no panic; a set that loads
//! never makes a token of an unknown key pass, and no output shows the text.
#![no_main]

use jwt_config::{AccessClaims, Config, JwtConfig, MapSource};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (bool, &str)| {
    let (asymmetric, set) = input;
    let mut source = MapSource::new()
        .with("ENVIRONMENT", "production")
        .with("JWT_SECRET_KEY", "fuzz-jwt-secret-key-of-at-least-32-bytes")
        .with("JWT_ISSUER", "auth")
        .with("JWT_AUDIENCE", "api")
        .with("SERVICE_ID", "auth")
        .with("SERVICE_SECRET", "fuzz-service-secret-of-at-least-32-bytes")
        .with("JWT_VERIFICATION_KEYS", set);
    if asymmetric {
        source.insert("JWT_ALGORITHM", "ES256");
    }
    match JwtConfig::from_source(&source) {
        Ok(config) => {
            let forged = "eyJhbGciOiJIUzI1NiIsImtpZCI6IngifQ.e30.c2ln";
            assert!(config.decode::<AccessClaims>(forged).is_err());
            let _ = config.keys();
            let _ = config.jwks();
        }
        Err(error) => {
            let shown = format!("{error} {error:?}");
            // Text every report of a bad set prints anyway (names, words) is no leak.
            let baseline = JwtConfig::from_source(&source.with("JWT_VERIFICATION_KEYS", "\u{1}"))
                .map_or_else(|e| format!("{e} {e:?}"), |_| String::new());
            if set.len() >= 12 && !baseline.contains(set) {
                assert!(!shown.contains(set), "the set was shown");
            }
        }
    }
});
