//! Loads a service's settings and prints the effective configuration, or every problem.
//!
//! `cargo run --example billing` reads the process environment;
//! `cargo run --example billing -- examples/env/billing.env` reads an env file (isolated).

use std::process::ExitCode;

use jwt_config::{Config, ConfigError, EnvFile, Loaded, ProcessEnv, Secret};

/// Settings of the billing service.
#[derive(Config, Debug)]
pub struct BillingConfig {
    /// Port of the HTTP server.
    #[config(env = "BILLING_PORT", default = 8080, range(1..=65535))]
    pub port: u16,
    /// Key of the payment provider.
    #[config(env = "STRIPE_API_KEY", required_in(staging, production))]
    pub stripe_key: Option<Secret<String>>,
    /// How long a call to the payment provider may take, in seconds.
    #[config(
        env = "BILLING_TIMEOUT_SECONDS",
        alias = "BILLING_TIMEOUT",
        default = 30
    )]
    pub timeout_seconds: u64,
}

fn load() -> Result<Loaded<BillingConfig>, ConfigError> {
    match std::env::args_os().nth(1) {
        Some(path) => BillingConfig::load_with_report(&EnvFile::isolated(path)?),
        None => BillingConfig::load_with_report(&ProcessEnv),
    }
}

fn main() -> ExitCode {
    match load() {
        Ok(loaded) => {
            print!("{}", loaded.describe());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("{error}");
            ExitCode::FAILURE
        }
    }
}
