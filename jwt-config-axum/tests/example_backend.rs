//! The example backend (`examples/axum/backend.rs`, compiled in here as a module) as two
//! replicas: with `REDIS_URL` they share one replay guard in a real Redis, started by the test,
//! and accept a service token once between them; without it each replica remembers alone.

#[allow(dead_code)]
#[path = "../../examples/axum/backend.rs"]
mod backend;

mod common;
#[path = "../../jwt-config-redis/tests/common/mod.rs"]
mod redis;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use jwt_config::{Config as _, MapSource};
use jwt_config_axum::JwtAuth;
use tower::ServiceExt as _;

fn settings(service: &str) -> MapSource {
    common::production(service).with("SERVICE_ALLOWED_CALLERS", "auth,billing")
}

/// A replica of the example backend over `source`.
fn replica(source: &MapSource) -> Router {
    let loaded = backend::BackendConfig::load_with_report(source).unwrap_or_else(|e| panic!("{e}"));
    backend::app(&loaded)
}

async fn sync(replica: &Router, token: &str) -> StatusCode {
    sync_answer(replica, token).await.0
}

async fn sync_answer(replica: &Router, token: &str) -> (StatusCode, String) {
    let request = Request::post("/internal/sync")
        .header("x-service-token", token)
        .body(Body::empty())
        .unwrap();
    let response = replica.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), 1 << 16)
        .await
        .unwrap();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

fn token_of_auth() -> String {
    let caller =
        JwtAuth::from_loaded(&jwt_config::JwtConfig::load_with_report(&settings("auth")).unwrap());
    let headers = caller.service_headers("backend").unwrap();
    headers["x-service-token"].to_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_redis_url_the_replicas_accept_a_token_once_between_them() {
    let server = redis::RedisServer::start();
    let source = settings("backend").with("REDIS_URL", server.url());
    let (first, second) = (replica(&source), replica(&source));
    let token = token_of_auth();
    assert_eq!(sync(&first, &token).await, StatusCode::OK);
    assert_eq!(sync(&second, &token).await, StatusCode::UNAUTHORIZED);
    assert_eq!(sync(&first, &token).await, StatusCode::UNAUTHORIZED);
    // billing may call the backend (SERVICE_ALLOWED_CALLERS) but not /internal/sync: the
    // route's own list refuses it.
    let billing = JwtAuth::from_loaded(
        &jwt_config::JwtConfig::load_with_report(&settings("billing")).unwrap(),
    );
    let headers = billing.service_headers("backend").unwrap();
    let other = headers["x-service-token"].to_str().unwrap();
    let (status, body) = sync_answer(&first, other).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.contains("this route's callers are auth"), "{body}");
}

#[tokio::test]
async fn without_redis_url_each_replica_remembers_alone() {
    let source = settings("backend");
    let (first, second) = (replica(&source), replica(&source));
    let token = token_of_auth();
    assert_eq!(sync(&first, &token).await, StatusCode::OK);
    // What REDIS_URL is for: the second replica has not seen the token.
    assert_eq!(sync(&second, &token).await, StatusCode::OK);
    assert_eq!(sync(&first, &token).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_redis_url_is_never_shown() {
    let source = settings("backend").with("REDIS_URL", "redis://:hunter2-password@127.0.0.1:1/0");
    let loaded = backend::BackendConfig::load_with_report(&source).unwrap();
    let shown = format!("{:?}", loaded.variables);
    assert!(shown.contains("REDIS_URL"), "{shown}");
    assert!(!shown.contains("hunter2"), "{shown}");
}
