//! The README's whole service: a struct of its own flattening `JwtConfig`, loaded in one call,
//! and an axum route that needs a user's token. `jwt-config-axum/tests/readme_example.rs`
//! keeps the README's copy identical to this file from `use` on.
//!
//! ```sh
//! cargo run -p jwt-config-axum --example axum_minimal -- examples/env/development.env
//! ```

use axum::Router;
use axum::routing::get;
use jwt_config::{Config, JwtConfig};
use jwt_config_axum::{AccessToken, JwtAuth};

#[derive(Config)] // flattens JwtConfig: the derive implements HasJwtConfig too
struct BackendConfig {
    #[config(flatten)]
    jwt: JwtConfig,
    #[config(env = "BACKEND_PORT", default = 3002)]
    port: u16,
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt().init();
    let loaded = jwt_config::load_service::<BackendConfig>();
    let auth = JwtAuth::from_loaded(&loaded);
    let app = Router::new()
        .route(
            "/me",
            get(|AccessToken(claims): AccessToken| async move { claims.sub }),
        )
        .with_state(auth);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", loaded.value.port))
        .await
        .expect("the port is free");
    axum::serve(listener, app).await.expect("the server runs");
}
