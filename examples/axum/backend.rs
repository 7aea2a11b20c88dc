//! The backend: GET /me needs a user's access token (the `AccessToken` extractor), GET
//! /profile too (the `RequireAuthLayer::user` layer, for handlers that take no extractor), POST
//! /internal/sync accepts only the service `auth` (the route's own list, narrower than
//! `SERVICE_ALLOWED_CALLERS`, which lets `billing` call the backend's other routes), each
//! service token once (a replay guard: in memory, or in Redis shared by every
//! replica when `REDIS_URL` is set), GET /health and GET /ping (no authentication) for probes,
//! GET /metrics (Prometheus' text format, `metrics-exporter-prometheus`).
//! Its own settings (`BackendConfig`, in `schemas.rs`) flatten the canonical `JwtConfig`.
//!
//! ```sh
//! cargo run -p jwt-config-axum --example axum_backend -- examples/env/development.env
//! ```
//! Listens on 127.0.0.1:3002 (`BACKEND_PORT`).

#[path = "common.rs"]
mod common;
#[allow(dead_code)] // the auth service's settings, unused here
#[path = "schemas.rs"]
pub(crate) mod schemas;

use std::sync::OnceLock;
use std::time::Duration;

use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use jwt_config::service_auth::MemoryReplayGuard;
use jwt_config::{AccessClaims, Loaded};
use jwt_config_axum::{AccessToken, JwtAuth, RequireAuthLayer, ServiceCaller, health};
use jwt_config_redis::RedisReplayGuard;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
pub(crate) use schemas::BackendConfig;
use serde_json::{Value, json};

async fn me(AccessToken(claims): AccessToken) -> Json<Value> {
    Json(json!({ "sub": claims.sub }))
}

async fn profile(Extension(claims): Extension<AccessClaims>) -> Json<Value> {
    Json(json!({ "sub": claims.sub, "expires": claims.exp }))
}

async fn sync(ServiceCaller(caller): ServiceCaller) -> Json<Value> {
    Json(json!({ "synced_for": caller }))
}

/// The process's Prometheus recorder, installed at the first call: before the first
/// `JwtAuth`, whose identity is a gauge.
pub(crate) fn metrics() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| match PrometheusBuilder::new().install_recorder() {
            Ok(handle) => handle,
            Err(error) => common::exit(format!("metrics: {error}")),
        })
        .clone()
}

/// The routes, with the replay guard the settings choose. Inside a Tokio runtime (the Redis
/// connection's task runs there).
pub(crate) fn app(loaded: &Loaded<BackendConfig>) -> Router {
    let metrics = metrics();
    let auth = JwtAuth::from_loaded(loaded);
    let auth = match &loaded.value.redis_url {
        Some(url) => {
            let service = loaded.value.jwt.service_id();
            match RedisReplayGuard::connect(url.expose(), service, Duration::from_millis(250)) {
                Ok(guard) => auth.async_replay_guard(guard),
                Err(error) => common::exit(format!("REDIS_URL: {error}")),
            }
        }
        None => auth.replay_guard(MemoryReplayGuard::new(100_000)),
    };
    let behind_layer = Router::new()
        .route("/profile", get(profile))
        .route_layer(RequireAuthLayer::user(auth.clone()));
    let internal = Router::new()
        .route("/internal/sync", post(sync))
        .route_layer(RequireAuthLayer::service_only(
            auth.clone(),
            "/internal/sync",
            ["auth"],
        ));
    Router::new()
        .route("/me", get(me))
        .route("/health", get(health))
        .route("/ping", get(|| async { "pong" }))
        .route("/metrics", get(move || async move { metrics.render() }))
        .merge(internal)
        .with_state(auth)
        .merge(behind_layer)
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt().with_target(false).init();
    let loaded = jwt_config::ServiceLoader::from_args_and_env()
        .set("SERVICE_ID", "backend")
        .set("SERVICE_ALLOWED_CALLERS", "auth,billing")
        .load::<BackendConfig>();
    let app = app(&loaded);
    common::serve("backend", loaded.value.port, app).await;
}
