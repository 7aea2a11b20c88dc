//! A route's own callers, narrower than `SERVICE_ALLOWED_CALLERS`: refused with 403 naming
//! the route's list, wherever the call was verified, and listed in the health document.

mod common;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use common::*;
use jwt_config_axum::{JwtAuth, RequireAuthLayer, ServiceCaller};

/// `/internal/sync` for auth only, `/internal/report` for every allowed caller.
fn routes(backend: &JwtAuth) -> Router {
    async fn who(ServiceCaller(caller): ServiceCaller) -> String {
        caller
    }
    let sync = Router::new().route("/internal/sync", get(who)).route_layer(
        RequireAuthLayer::service_only(backend.clone(), "/internal/sync", ["auth"]),
    );
    Router::new()
        .route("/internal/report", get(who))
        .merge(sync)
        .with_state(backend.clone())
}

async fn call(router: &mut Router, path: &str, caller: &JwtAuth) -> Answer {
    let headers = caller.service_headers("backend").unwrap();
    let token = headers["x-service-token"].to_str().unwrap().to_owned();
    get_with(router, path, &[("x-service-token", &token)]).await
}

#[tokio::test]
async fn a_caller_outside_the_routes_list_is_refused_with_403_naming_the_list() {
    let backend = auth(&[("SERVICE_ALLOWED_CALLERS", "auth,billing")]);
    let (auth_service, billing) = (
        auth(&[("SERVICE_ID", "auth")]),
        auth(&[("SERVICE_ID", "billing")]),
    );
    let mut router = routes(&backend);
    let answer = call(&mut router, "/internal/sync", &auth_service).await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (StatusCode::OK, "auth")
    );
    let answer = call(&mut router, "/internal/sync", &billing).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    let body = answer.json();
    assert_eq!(body["error"], "caller_not_allowed");
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains("/internal/sync") && message.contains("auth"),
        "{message}"
    );
    assert!(message.contains("billing"), "{message}");
    // Elsewhere the service's own list applies.
    let answer = call(&mut router, "/internal/report", &billing).await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (StatusCode::OK, "billing")
    );
    assert_eq!(backend.refusals()["caller_not_allowed"], 1);
    let health = backend.health();
    assert_eq!(health.route_callers["/internal/sync"], ["auth"]);
    assert_eq!(health.allowed_callers, "auth,billing");
}

#[tokio::test]
async fn the_routes_list_applies_under_a_layer_that_verified_the_call_already() {
    let backend = auth(&[]);
    let billing = auth(&[("SERVICE_ID", "billing")]);
    // The whole router behind a service layer of the same settings: the call is verified
    // there first, and the route's narrower layer must still refuse it.
    let mut router = routes(&backend).route_layer(RequireAuthLayer::service(backend.clone()));
    let answer = call(&mut router, "/internal/sync", &billing).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(answer.json()["error"], "caller_not_allowed");
    let answer = call(&mut router, "/internal/report", &billing).await;
    assert_eq!(answer.status, StatusCode::OK);
}

#[tokio::test]
async fn the_routes_list_cannot_widen_the_services_and_an_empty_one_refuses_everyone() {
    // `billing` is on the route's list but not in SERVICE_ALLOWED_CALLERS: refused.
    let backend = auth(&[("SERVICE_ALLOWED_CALLERS", "auth")]);
    let billing = auth(&[("SERVICE_ID", "billing")]);
    let mut router = Router::new()
        .route("/internal/sync", get(|| async { "synced" }))
        .route_layer(RequireAuthLayer::service_only(
            backend.clone(),
            "/internal/sync",
            ["billing"],
        ));
    let answer = call(&mut router, "/internal/sync", &billing).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    let auth_service = auth(&[("SERVICE_ID", "auth")]);
    let answer = call(&mut router, "/internal/sync", &auth_service).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    let nobody: [&str; 0] = [];
    let mut closed = Router::new()
        .route("/closed", get(|| async { "open" }))
        .route_layer(RequireAuthLayer::service_only(
            backend.clone(),
            "/closed",
            nobody,
        ));
    let answer = call(&mut closed, "/closed", &auth_service).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert!(
        answer.json()["message"]
            .as_str()
            .unwrap()
            .contains("no service")
    );
}

#[tokio::test]
async fn the_routes_list_applies_where_the_layer_awaits_the_replay_guard() {
    let guard = Switchable::up(16);
    let backend = auth(&[]).async_replay_guard(guard);
    let mut router = routes(&backend);
    let answer = call(
        &mut router,
        "/internal/sync",
        &auth(&[("SERVICE_ID", "billing")]),
    )
    .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    let answer = call(
        &mut router,
        "/internal/sync",
        &auth(&[("SERVICE_ID", "auth")]),
    )
    .await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (StatusCode::OK, "auth")
    );
}
