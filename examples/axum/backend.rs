//! The backend: GET /me needs a user's access token, POST /internal/sync accepts only the
//! service `auth`, GET /health for probes.
//!
//! ```sh
//! SERVICE_ALLOWED_CALLERS=auth cargo run -p jwt-config-axum --example axum_backend -- examples/env/development.env
//! ```
//! Listens on 127.0.0.1:3002 (`PORT`).

use axum::routing::{get, post};
use axum::{Json, Router};
use jwt_config::{Config, EnvFile, JwtConfig, Layered, MapSource, ProcessEnv};
use jwt_config_axum::{AccessToken, JwtAuth, ServiceCaller, health};
use serde_json::{Value, json};

async fn me(AccessToken(claims): AccessToken) -> Json<Value> {
    Json(json!({ "sub": claims.sub }))
}

async fn sync(ServiceCaller(caller): ServiceCaller) -> Json<Value> {
    Json(json!({ "synced_for": caller }))
}

#[tokio::main]
async fn main() {
    let mut layers = Layered::new();
    if let Some(path) = std::env::args().nth(1) {
        layers = layers.over(EnvFile::isolated(path).expect("the env file"));
    }
    let own = MapSource::new()
        .with("SERVICE_ID", "backend")
        .with("SERVICE_ALLOWED_CALLERS", "auth");
    let layers = layers.over(own).over(ProcessEnv);
    let loaded = match JwtConfig::load_with_report(&layers) {
        Ok(loaded) => loaded,
        Err(error) => {
            eprintln!("{error}");
            std::process::exit(1);
        }
    };
    let app = Router::new()
        .route("/me", get(me))
        .route("/internal/sync", post(sync))
        .route("/health", get(health))
        .with_state(JwtAuth::from_loaded(&loaded));
    let port = std::env::var("PORT").unwrap_or_else(|_| "3002".to_owned());
    let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{port}"))
        .await
        .expect("the port");
    eprintln!("backend on http://{}", listener.local_addr().unwrap());
    axum::serve(listener, app).await.unwrap();
}
