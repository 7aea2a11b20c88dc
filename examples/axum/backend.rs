//! The backend: GET /me needs a user's access token (the `AccessToken` extractor), GET
//! /profile too (the `RequireAuthLayer::user` layer, for handlers that take no extractor), POST
//! /internal/sync accepts only the service `auth` (`SERVICE_ALLOWED_CALLERS`), each service
//! token once (a replay guard), GET /health
//! and GET /ping (no authentication) for probes. Its own settings (`BackendConfig`) flatten
//! the canonical `JwtConfig`.
//!
//! ```sh
//! cargo run -p jwt-config-axum --example axum_backend -- examples/env/development.env
//! ```
//! Listens on 127.0.0.1:3002 (`BACKEND_PORT`).

#[path = "common.rs"]
mod common;

use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use jwt_config::service_auth::MemoryReplayGuard;
use jwt_config::{AccessClaims, Config, HasJwtConfig, JwtConfig, MapSource};
use jwt_config_axum::{AccessToken, JwtAuth, RequireAuthLayer, ServiceCaller, health};
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

async fn profile(Extension(claims): Extension<AccessClaims>) -> Json<Value> {
    Json(json!({ "sub": claims.sub, "expires": claims.exp }))
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
    // One instance: an in-memory guard; several instances share a store behind ReplayGuard.
    let auth = JwtAuth::from_loaded(&loaded).replay_guard(MemoryReplayGuard::new(100_000));
    let behind_layer = Router::new()
        .route("/profile", get(profile))
        .route_layer(RequireAuthLayer::user(auth.clone()));
    let app = Router::new()
        .route("/me", get(me))
        .route("/internal/sync", post(sync))
        .route("/health", get(health))
        .route("/ping", get(|| async { "pong" }))
        .with_state(auth)
        .merge(behind_layer);
    common::serve("backend", loaded.value.port, app).await;
}
