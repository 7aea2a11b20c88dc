//! The backend: GET /me needs a user's access token, POST /internal/sync accepts only the
//! service `auth` (`SERVICE_ALLOWED_CALLERS`), GET /health for probes. Its own settings
//! (`BackendConfig`) flatten the canonical `JwtConfig`.
//!
//! ```sh
//! cargo run -p jwt-config-axum --example axum_backend -- examples/env/development.env
//! ```
//! Listens on 127.0.0.1:3002 (`BACKEND_PORT`).

#[path = "common.rs"]
mod common;

use axum::routing::{get, post};
use axum::{Json, Router};
use jwt_config::{Config, HasJwtConfig, JwtConfig, MapSource};
use jwt_config_axum::{AccessToken, JwtAuth, ServiceCaller, health};
use serde_json::{Value, json};

/// Settings of the backend.
#[derive(Config)]
struct BackendConfig {
    #[config(flatten)]
    jwt: JwtConfig,
    /// Port of the HTTP server.
    #[config(env = "BACKEND_PORT", default = 3002, range(1..=65535))]
    port: u16,
}

impl HasJwtConfig for BackendConfig {
    fn jwt_config(&self) -> &JwtConfig {
        &self.jwt
    }
}

async fn me(AccessToken(claims): AccessToken) -> Json<Value> {
    Json(json!({ "sub": claims.sub }))
}

async fn sync(ServiceCaller(caller): ServiceCaller) -> Json<Value> {
    Json(json!({ "synced_for": caller }))
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt().with_target(false).init();
    let own = MapSource::new()
        .with("SERVICE_ID", "backend")
        .with("SERVICE_ALLOWED_CALLERS", "auth");
    let loaded = common::load::<BackendConfig>(own);
    let app = Router::new()
        .route("/me", get(me))
        .route("/internal/sync", post(sync))
        .route("/health", get(health))
        .with_state(JwtAuth::from_loaded(&loaded));
    common::serve("backend", loaded.value.port, app).await;
}
