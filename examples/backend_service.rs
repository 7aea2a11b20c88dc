//! The backend: loads `JwtConfig`, prints the effective configuration and its warnings,
//! verifies an access token issued by the auth service example and checks the headers of a
//! service call made by it.
//!
//! ```sh
//! cargo run -q --example auth_service -- examples/env/development.env > tokens.txt
//! cargo run --example backend_service -- examples/env/development.env $(cat tokens.txt)
//! ```
//! The process environment takes precedence over the example's own `SERVICE_ID=backend`, which takes precedence over the file.

use std::process::ExitCode;

use http::{HeaderMap, HeaderValue};
use jwt_config::service_auth::SERVICE_TOKEN_HEADER;
use jwt_config::{AccessClaims, Config, EnvFile, JwtConfig, Layered, MapSource, ProcessEnv};

fn load(env_file: String) -> Result<JwtConfig, ExitCode> {
    let file = EnvFile::isolated(env_file).map_err(|error| {
        eprintln!("{error}");
        ExitCode::from(2)
    })?;
    // The shared file, this service's own id over it, the process environment over both.
    let own_id = MapSource::new().with("SERVICE_ID", "backend");
    let layers = Layered::new().over(file).over(own_id).over(ProcessEnv);
    match JwtConfig::load_with_report(&layers) {
        Ok(loaded) => {
            print!("{}", loaded.describe());
            Ok(loaded.value)
        }
        Err(error) => {
            eprintln!("{error}");
            Err(ExitCode::FAILURE)
        }
    }
}

/// The headers the call would arrive with: the service token, when there is one.
fn incoming_headers(service_token: Option<String>) -> HeaderMap {
    let mut headers = HeaderMap::new();
    if let Some(value) = service_token.and_then(|token| HeaderValue::try_from(token).ok()) {
        headers.insert(SERVICE_TOKEN_HEADER, value);
    }
    headers
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (Some(env_file), Some(token)) = (args.next(), args.next()) else {
        eprintln!("usage: backend_service ENV_FILE ACCESS_TOKEN [SERVICE_TOKEN]");
        return ExitCode::from(2);
    };
    let config = match load(env_file) {
        Ok(config) => config,
        Err(code) => return code,
    };
    let access = match config.decode::<AccessClaims>(&token) {
        Ok(data) => {
            let claims = data.claims;
            println!(
                "access token accepted: sub={} iss={} aud={:?}",
                claims.sub, claims.iss, claims.aud
            );
            true
        }
        Err(error) => {
            println!("access token rejected: {error}");
            false
        }
    };
    let service = match config.verify_service_call(&incoming_headers(args.next())) {
        Ok(caller) => {
            println!("service call accepted: {caller:?}");
            true
        }
        Err(error) => {
            println!("service call rejected: {error}");
            false
        }
    };
    if access && service {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
