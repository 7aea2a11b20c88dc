//! The auth service: POST /login issues an access and a refresh token, POST /refresh trades a
//! refresh token for a new access token, POST /sync calls the backend's /internal/sync with
//! service headers (their token carries this service's fingerprint).
//!
//! ```sh
//! cargo run -p jwt-config-axum --example axum_auth -- examples/env/development.env
//! ```
//! Listens on 127.0.0.1:3001 (`PORT`); the backend is at `BACKEND_URL`
//! (default http://127.0.0.1:3002).

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use jwt_config::{AccessClaims, Config, EnvFile, JwtConfig, Layered, MapSource, ProcessEnv};
use jwt_config_axum::{JwtAuth, health};
use serde_json::{Value, json};

#[derive(Clone, axum::extract::FromRef)]
struct AppState {
    auth: JwtAuth,
    backend: String,
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
        .encode_refresh(&config.access_claims(user))
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
        .post(format!("{}/internal/sync", state.backend))
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
    let mut layers = Layered::new();
    if let Some(path) = std::env::args().nth(1) {
        layers = layers.over(EnvFile::isolated(path).expect("the env file"));
    }
    let layers = layers
        .over(MapSource::new().with("SERVICE_ID", "auth"))
        .over(ProcessEnv);
    let loaded = match JwtConfig::load_with_report(&layers) {
        Ok(loaded) => loaded,
        Err(error) => {
            eprintln!("{error}");
            std::process::exit(1);
        }
    };
    let state = AppState {
        auth: JwtAuth::from_loaded(&loaded),
        backend: std::env::var("BACKEND_URL")
            .unwrap_or_else(|_| "http://127.0.0.1:3002".to_owned()),
    };
    let app = Router::new()
        .route("/login", post(login))
        .route("/refresh", post(refresh))
        .route("/sync", post(sync))
        .route("/health", get(health))
        .with_state(state);
    let port = std::env::var("PORT").unwrap_or_else(|_| "3001".to_owned());
    let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{port}"))
        .await
        .expect("the port");
    eprintln!("auth on http://{}", listener.local_addr().unwrap());
    axum::serve(listener, app).await.unwrap();
}
