//! The backend: loads `JwtConfig`, prints the effective configuration and its warnings, and
//! verifies a token issued by the auth service example.
//!
//! ```sh
//! TOKEN=$(cargo run -q --example auth_service -- examples/env/development.env)
//! cargo run --example backend_service -- examples/env/development.env "$TOKEN"
//! ```
//! The process environment takes precedence over the file; `SERVICE_ID` defaults to `backend`.

use std::process::ExitCode;

use jwt_config::{AccessClaims, Config, EnvFile, JwtConfig, Layered, MapSource, ProcessEnv};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (Some(env_file), Some(token)) = (args.next(), args.next()) else {
        eprintln!("usage: backend_service ENV_FILE TOKEN");
        return ExitCode::from(2);
    };
    let file = match EnvFile::isolated(env_file) {
        Ok(file) => file,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::from(2);
        }
    };
    let layers = Layered::new()
        .layer(ProcessEnv)
        .layer(file)
        .layer(MapSource::new().with("SERVICE_ID", "backend"));
    let loaded = match JwtConfig::load_with_report(&layers) {
        Ok(loaded) => loaded,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::FAILURE;
        }
    };
    print!("{}", loaded.describe());
    match loaded.value.decode::<AccessClaims>(&token) {
        Ok(data) => {
            println!(
                "token accepted: sub={} iss={} aud={:?} exp={}",
                data.claims.sub, data.claims.iss, data.claims.aud, data.claims.exp
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            println!("token rejected: {error}");
            ExitCode::FAILURE
        }
    }
}
