//! Helpers shared by the JWT tests: isolated sources and the test-only keys.

#![allow(dead_code)] // each test file uses a part

use jwt_config::MapSource;

/// Distinctive secrets, searched for in every rendered string.
pub const JWT_SECRET: &str = "jwt-secret-3f9a1c7e5b2d4f6a8c0e1b3d5f7a9c1e";
pub const SERVICE_SECRET: &str = "service-secret-8b6d4f2a0c9e7b5d3f1a8c6e4b2d0f9a";
pub const OTHER_SECRET: &str = "other-secret-1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d";

/// A new empty directory of this test process.
pub fn temp_dir() -> std::path::PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("jwt-config-test-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn source(pairs: &[(&str, &str)]) -> MapSource {
    pairs.iter().copied().collect()
}

/// A complete HS256 setup for `environment`.
pub fn hs256(environment: &str, service_id: &str) -> MapSource {
    source(&[
        ("ENVIRONMENT", environment),
        ("JWT_SECRET_KEY", JWT_SECRET),
        ("JWT_ISSUER", "https://auth.example.com"),
        ("JWT_AUDIENCE", "backend,billing"),
        ("SERVICE_ID", service_id),
        ("SERVICE_SECRET", SERVICE_SECRET),
    ])
}

pub fn key(name: &str) -> String {
    let path = format!("{}/tests/keys/{name}.pem", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(path).unwrap()
}

/// Every string a load can render: Display and Debug of the error or the value and report.
pub fn rendered<T: std::fmt::Debug>(
    result: &Result<jwt_config::Loaded<T>, jwt_config::ConfigError>,
) -> String {
    match result {
        Ok(loaded) => format!(
            "{:?} {:?} {:?}",
            loaded.value, loaded.variables, loaded.warnings
        ),
        Err(error) => format!("{error} {error:?}"),
    }
}
