//! The auth service: loads `JwtConfig`, prints the effective configuration (secrets
//! redacted) and its warnings on stderr, and issues an access token on stdout.
//!
//! ```sh
//! cargo run --example auth_service -- examples/env/development.env [SUBJECT]
//! ```
//! Without an env file it reads the process environment alone. The process environment
//! takes precedence over the file; `SERVICE_ID` defaults to `auth`.

use std::process::ExitCode;

use jwt_config::{Config, ConfigError, EnvFile, JwtConfig, Layered, Loaded, MapSource, ProcessEnv};

fn load(env_file: Option<String>, service_id: &str) -> Result<Loaded<JwtConfig>, ConfigError> {
    let mut layers = Layered::new().layer(ProcessEnv);
    if let Some(path) = env_file {
        layers = layers.layer(EnvFile::isolated(path)?);
    }
    let layers = layers.layer(MapSource::new().with("SERVICE_ID", service_id));
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
    match config.encode(&config.access_claims(subject)) {
        Ok(token) => {
            println!("{token}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("cannot issue a token: {error}");
            ExitCode::FAILURE
        }
    }
}
