//! The settings of the two example services, each its own struct flattening the canonical
//! `JwtConfig`: compiled into each service and into their fleet audit
//! (`examples/fleet-audit/`), so that the audit checks each workload against the struct it
//! really loads. The derive implements `HasJwtConfig` for each (it flattens `JwtConfig`).

use jwt_config::{Config, JwtConfig, Secret};

/// Settings of the auth service.
#[derive(Config)]
pub(crate) struct AuthConfig {
    #[config(flatten)]
    pub(crate) jwt: JwtConfig,
    /// Port of the HTTP server.
    #[config(env = "AUTH_PORT", default = 3001, range(1..=65535))]
    pub(crate) port: u16,
    /// Base URL of the backend.
    #[config(env = "BACKEND_URL", default = "http://127.0.0.1:3002")]
    pub(crate) backend_url: String,
}

/// Settings of the backend.
#[derive(Config)]
pub(crate) struct BackendConfig {
    #[config(flatten)]
    pub(crate) jwt: JwtConfig,
    /// Port of the HTTP server.
    #[config(env = "BACKEND_PORT", default = 3002, range(1..=65535))]
    pub(crate) port: u16,
    /// The Redis every replica records service tokens in (`redis://host:6379`), so that a
    /// token is accepted once across them; unset: one instance, a guard in memory.
    #[config(env = "REDIS_URL", secret)]
    pub(crate) redis_url: Option<Secret<String>>,
}
