//! PEM keys through the full JwtConfig load: no panic; an RSA key that loads is >= 2048 bits.
#![no_main]

use jwt_config::{Config, JwtConfig, MapSource};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (u8, &str)| {
    let (choice, pem) = input;
    let algorithm = ["RS256", "PS384", "ES256", "ES384", "EdDSA"][usize::from(choice) % 5];
    for slot in ["JWT_PUBLIC_KEY", "JWT_PRIVATE_KEY"] {
        let source = MapSource::new()
            .with("ENVIRONMENT", "production")
            .with("JWT_ALGORITHM", algorithm)
            .with("JWT_ISSUER", "auth")
            .with("JWT_AUDIENCE", "api")
            .with("SERVICE_ID", "auth")
            .with("SERVICE_SECRET", "fuzz-service-secret-of-at-least-32-bytes")
            .with(slot, pem);
        if let Ok(config) = JwtConfig::from_source(&source) {
            let _ = config.decode::<jwt_config::AccessClaims>("a.b.c");
        }
    }
});
