//! The auth service: loads `JwtConfig`, prints the effective configuration (secrets
//! redacted) and its warnings on stderr, then on stdout an access token (line 1) and the
//! service token it would attach to a call to the backend (line 2, empty when service
//! authentication is off).
//!
//! ```sh
//! cargo run --example auth_service -- examples/env/development.env [SUBJECT]
//! ```
//! Without an env file it reads the process environment alone. The process environment
//! takes precedence over the example's own `SERVICE_ID=auth`, which takes precedence over the file.

use std::process::ExitCode;

use jwt_config::service_auth::SERVICE_TOKEN_HEADER;
use jwt_config::{Config, ConfigError, EnvFile, JwtConfig, Layered, Loaded, MapSource, ProcessEnv};

fn load(env_file: Option<String>, service_id: &str) -> Result<Loaded<JwtConfig>, ConfigError> {
    // The shared file, this service's own id over it, the process environment over both.
    let mut layers = Layered::new();
    if let Some(path) = env_file {
        layers = layers.over(EnvFile::isolated(path)?);
    }
    let layers = layers
        .over(MapSource::new().with("SERVICE_ID", service_id))
        .over(ProcessEnv);
    JwtConfig::load_with_report(&layers)
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let loaded = match load(args.next(), "auth") {
        Ok(loaded) => loaded,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::FAILURE;
        }
    };
    eprint!("{}", loaded.describe());
    let config = loaded.value;
    let subject = args.next().unwrap_or_else(|| "user-1".to_owned());
    let token = match config.encode(&config.access_claims(subject)) {
        Ok(token) => token,
        Err(error) => {
            eprintln!("cannot issue a token: {error}");
            return ExitCode::FAILURE;
        }
    };
    let headers = match config.service_headers("backend") {
        Ok(headers) => headers,
        Err(error) => {
            eprintln!("cannot build service headers: {error}");
            return ExitCode::FAILURE;
        }
    };
    eprintln!("headers of a call to the backend:");
    for (name, value) in &headers {
        eprintln!("  {name}: {}", value.to_str().unwrap_or("(not text)"));
    }
    let service_token = headers
        .get(SERVICE_TOKEN_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    println!("{token}\n{service_token}");
    ExitCode::SUCCESS
}
