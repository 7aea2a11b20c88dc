//! The two crypto backends side by side: an access token signed (`JwtConfig::encode`) and
//! verified (`JwtConfig::decode`) per call on one thread, for HS256, RS256, ES256 and EdDSA.
//! The same code runs once per backend:
//!
//! ```text
//! cargo bench --bench backends
//! cargo bench --bench backends --no-default-features --features jwt,service-auth,aws-lc
//! ```

mod support;

use std::hint::black_box;
use std::time::Duration;

use jwt_config::{AccessClaims, Config, JwtConfig, MapSource};
use support::measure;

const BACKEND: &str = if cfg!(feature = "aws-lc") {
    "aws-lc"
} else {
    "rust-crypto"
};

fn pem(name: &str) -> String {
    let path = format!("{}/tests/keys/{name}.pem", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(path).unwrap()
}

/// A production service signing with `algorithm` (its keys: the test fixtures).
fn config(algorithm: &str) -> JwtConfig {
    let mut source = MapSource::new()
        .with("ENVIRONMENT", "production")
        .with("JWT_ALGORITHM", algorithm)
        .with("JWT_ISSUER", "https://auth.example.com")
        .with("JWT_AUDIENCE", "backend")
        .with("SERVICE_ID", "auth")
        .with(
            "SERVICE_SECRET",
            "bench-service-secret-0123456789abcdef012345678",
        )
        .with("SERVICE_ALLOWED_CALLERS", "*");
    let keys = match algorithm {
        "RS256" => Some(("rsa2048_private", "rsa2048_public")),
        "ES256" => Some(("ec256_private", "ec256_public")),
        "EdDSA" => Some(("ed25519_private", "ed25519_public")),
        _ => None,
    };
    match keys {
        Some((private, public)) => {
            source.insert("JWT_PRIVATE_KEY", pem(private));
            source.insert("JWT_PUBLIC_KEY", pem(public));
        }
        None => source.insert(
            "JWT_SECRET_KEY",
            "bench-jwt-secret-key-0123456789abcdef0123456789",
        ),
    }
    JwtConfig::from_source(&source).unwrap()
}

fn micros(time: Duration) -> f64 {
    time.as_secs_f64() * 1e6
}

fn main() {
    const SAMPLES: usize = 21;
    println!(
        "backend {BACKEND}: access token per call, one thread, {SAMPLES} samples, median (µs)"
    );
    println!("{:<8} {:>10} {:>10}", "alg", "sign", "verify");
    // Fewer iterations where a call is slow (RSA signing), so each case takes similar time.
    for (algorithm, iterations) in [
        ("HS256", 2_000),
        ("RS256", 20),
        ("ES256", 200),
        ("EdDSA", 500),
    ] {
        let config = config(algorithm);
        let claims = config.access_claims("user-1");
        let token = config.encode(&claims).unwrap();
        assert!(config.decode::<AccessClaims>(&token).is_ok());
        let times = measure(
            iterations,
            SAMPLES,
            &mut [
                &mut || {
                    black_box(config.encode(black_box(&claims)).unwrap());
                },
                &mut || {
                    black_box(config.decode::<AccessClaims>(black_box(&token)).unwrap());
                },
            ],
        );
        println!(
            "{algorithm:<8} {:>10.1} {:>10.1}",
            micros(times[0]),
            micros(times[1])
        );
    }
}
