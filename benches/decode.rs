//! Verifying an access token, single thread: `JwtConfig::decode` (type check, key chosen by
//! `kid`) beside jsonwebtoken's own decode of the same token with the same key and
//! validation (the floor), with the signing key alone and with 1 and 5 verification keys.
//! Run: `cargo bench --bench decode`.

mod support;

use std::hint::black_box;

use base64::Engine as _;
use jwt_config::jsonwebtoken::{self, DecodingKey};
use jwt_config::{AccessClaims, Config, JwtConfig, MapSource};
use support::{measure, report};

const SECRET: &str = "bench-jwt-secret-key-0123456789abcdef0123456789";

/// A verification key set of `n` HMAC keys (`k0`..), none of them the signing key.
fn set(n: usize) -> String {
    let keys: Vec<String> = (0..n)
        .map(|i| {
            let k = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(format!("bench-verification-key-{i}-0123456789abcdef"));
            format!(r#"{{"kid":"k{i}","kty":"oct","k":"{k}"}}"#)
        })
        .collect();
    format!(r#"{{"keys":[{}]}}"#, keys.join(","))
}

fn config(verification_keys: usize) -> JwtConfig {
    let mut source = MapSource::new()
        .with("ENVIRONMENT", "production")
        .with("JWT_SECRET_KEY", SECRET)
        .with("JWT_KEY_ID", "signing")
        .with("JWT_ISSUER", "https://auth.example.com")
        .with("JWT_AUDIENCE", "backend")
        .with("SERVICE_ID", "backend")
        .with(
            "SERVICE_SECRET",
            "bench-service-secret-0123456789abcdef012345678",
        )
        .with("SERVICE_ALLOWED_CALLERS", "*");
    if verification_keys > 0 {
        source.insert("JWT_VERIFICATION_KEYS", set(verification_keys));
    }
    JwtConfig::from_source(&source).unwrap()
}

fn main() {
    const ITERATIONS: u32 = 2_000;
    const SAMPLES: usize = 31;
    let configs = [config(0), config(1), config(5)];
    let token = configs[0]
        .encode(&configs[0].access_claims("user-1"))
        .unwrap();
    let decoding = DecodingKey::from_secret(SECRET.as_bytes()).unwrap();
    let validation = configs[0].validation();
    for config in &configs {
        assert!(config.decode::<AccessClaims>(&token).is_ok());
    }
    let times = measure(
        ITERATIONS,
        SAMPLES,
        &mut [
            &mut || {
                black_box(
                    jsonwebtoken::decode::<AccessClaims>(black_box(&token), &decoding, &validation)
                        .unwrap(),
                );
            },
            &mut || {
                black_box(
                    configs[0]
                        .decode::<AccessClaims>(black_box(&token))
                        .unwrap(),
                );
            },
            &mut || {
                black_box(
                    configs[1]
                        .decode::<AccessClaims>(black_box(&token))
                        .unwrap(),
                );
            },
            &mut || {
                black_box(
                    configs[2]
                        .decode::<AccessClaims>(black_box(&token))
                        .unwrap(),
                );
            },
        ],
    );
    let [floor, none, one, five] = times[..] else {
        unreachable!()
    };
    println!("access token verification per call, {SAMPLES} samples of {ITERATIONS}, median");
    report("jsonwebtoken::decode (floor)", floor, floor);
    report("JwtConfig::decode, no verification keys", none, floor);
    report("JwtConfig::decode, 1 verification key", one, floor);
    report("JwtConfig::decode, 5 verification keys", five, floor);
}
