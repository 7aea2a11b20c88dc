//! Helpers shared by the JWT tests: isolated sources and the test-only keys.

#![allow(dead_code)] // each test file uses a part

use jwt_config::MapSource;

/// Distinctive secrets, searched for in every rendered string.
pub(crate) const JWT_SECRET: &str = "jwt-secret-3f9a1c7e5b2d4f6a8c0e1b3d5f7a9c1e";
pub(crate) const SERVICE_SECRET: &str = "service-secret-8b6d4f2a0c9e7b5d3f1a8c6e4b2d0f9a";
pub(crate) const OTHER_SECRET: &str = "other-secret-1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d";

/// A new empty directory, removed with its contents when dropped: tests leave no files.
pub(crate) fn temp_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("jwt-config-test-")
        .tempdir()
        .unwrap()
}

/// A file in a directory of its own; both are removed when it is dropped.
pub(crate) struct TempFile {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
}

impl TempFile {
    /// Writes `contents` to a new file called `name`.
    pub(crate) fn new(name: &str, contents: impl AsRef<[u8]>) -> Self {
        let dir = temp_dir();
        let path = dir.path().join(name);
        std::fs::write(&path, contents).unwrap();
        TempFile { _dir: dir, path }
    }

    /// The file's path.
    pub(crate) fn path(&self) -> &std::path::Path {
        &self.path
    }
}

impl AsRef<std::path::Path> for TempFile {
    fn as_ref(&self) -> &std::path::Path {
        &self.path
    }
}

pub(crate) fn source(pairs: &[(&str, &str)]) -> MapSource {
    pairs.iter().copied().collect()
}

/// Loads the JWT settings, panicking with the report when they do not load.
pub(crate) fn load_jwt(source: &MapSource) -> jwt_config::JwtConfig {
    use jwt_config::Config as _;
    jwt_config::JwtConfig::from_source(source).unwrap_or_else(|error| panic!("{error}"))
}

/// A complete HS256 setup for `environment`.
pub(crate) fn hs256(environment: &str, service_id: &str) -> MapSource {
    source(&[
        ("ENVIRONMENT", environment),
        ("JWT_SECRET_KEY", JWT_SECRET),
        ("JWT_ISSUER", "https://auth.example.com"),
        ("JWT_AUDIENCE", "backend,billing"),
        ("SERVICE_ID", service_id),
        ("SERVICE_SECRET", SERVICE_SECRET),
        ("SERVICE_ALLOWED_CALLERS", "*"),
    ])
}

pub(crate) fn key(name: &str) -> String {
    let path = format!("{}/tests/keys/{name}.pem", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(path).unwrap()
}

/// Every string a load can render: Display and Debug of the error or the value and report.
pub(crate) fn rendered<T: std::fmt::Debug>(
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
