//! The auth service: POST /login issues an access and a refresh token, POST /refresh trades a
//! refresh token for a new access token, POST /sync calls the backend's /internal/sync with
//! service headers (their token carries this service's fingerprint). Its own settings
//! (`AuthConfig`, in `schemas.rs`) flatten the canonical `JwtConfig`.
//!
//! ```sh
//! cargo run -p jwt-config-axum --example axum_auth -- examples/env/development.env
//! ```
//! Listens on 127.0.0.1:3001 (`AUTH_PORT`); the backend is at `BACKEND_URL`.

#[path = "common.rs"]
mod common;
#[allow(dead_code)] // the backend's settings, unused here
#[path = "schemas.rs"]
mod schemas;

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use jwt_config::AccessClaims;
use jwt_config_axum::{JwtAuth, health};
use schemas::AuthConfig;
use serde_json::{Value, json};

#[derive(Clone, axum::extract::FromRef)]
struct AppState {
    auth: JwtAuth,
    config: Arc<AuthConfig>,
}

async fn login(
    State(auth): State<JwtAuth>,
    Json(body): Json<Value>,
) -> Result<Json<Value>, StatusCode> {
    // A real service checks a password here; the example accepts any user name.
    let user = body["user"].as_str().ok_or(StatusCode::BAD_REQUEST)?;
    let config = auth.config();
    let access = config
        .encode(&config.access_claims(user))
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    let refresh = config
        .encode_refresh(&config.refresh_claims(user))
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    Ok(Json(
        json!({ "access_token": access, "refresh_token": refresh }),
    ))
}

async fn refresh(
    State(auth): State<JwtAuth>,
    Json(body): Json<Value>,
) -> Result<Json<Value>, StatusCode> {
    let token = body["refresh_token"]
        .as_str()
        .ok_or(StatusCode::BAD_REQUEST)?;
    let config = auth.config();
    let claims = config
        .decode_refresh::<AccessClaims>(token)
        .map_err(|_| StatusCode::UNAUTHORIZED)?
        .claims;
    let access = config
        .encode(&config.access_claims(claims.sub))
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    Ok(Json(json!({ "access_token": access })))
}

async fn sync(State(state): State<AppState>) -> Result<Json<Value>, StatusCode> {
    let headers = state
        .auth
        .service_headers("backend")
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    let response = reqwest::Client::new()
        .post(format!("{}/internal/sync", state.config.backend_url))
        .headers(headers)
        .send()
        .await
        .map_err(|_| StatusCode::BAD_GATEWAY)?;
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    Ok(Json(json!({ "backend_status": status, "backend": body })))
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt().with_target(false).init();
    let loaded = jwt_config::ServiceLoader::from_args_and_env()
        .set("SERVICE_ID", "auth")
        .load::<AuthConfig>();
    let auth = JwtAuth::from_loaded(&loaded);
    let port = loaded.value.port;
    let state = AppState {
        auth,
        config: Arc::new(loaded.value),
    };
    let app = Router::new()
        .route("/login", post(login))
        .route("/refresh", post(refresh))
        .route("/sync", post(sync))
        .route("/health", get(health))
        .with_state(state);
    common::serve("auth", port, app).await;
}
