//! The HTTP edge on arbitrary headers: an `Authorization` and an `x-service-token` nobody
//! signed go through the `AccessToken` and `ServiceCaller` extractors and the
//! `RequireAuthLayer`. No panic, never a 2xx, and the answer (status, `WWW-Authenticate`,
//! body) never repeats the token it was given.
#![no_main]

mod common;

use std::sync::OnceLock;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, Request};
use axum::routing::get;
use jwt_config::{Config, JwtConfig};
use jwt_config_axum::{AccessToken, JwtAuth, RequireAuthLayer, ServiceCaller};
use libfuzzer_sys::fuzz_target;
use tower_service::Service as _;

struct Edge {
    runtime: tokio::runtime::Runtime,
    router: Router,
}

fn edge() -> &'static Edge {
    static EDGE: OnceLock<Edge> = OnceLock::new();
    EDGE.get_or_init(|| {
        let source = common::production();
        let auth =
            JwtAuth::from_loaded(&JwtConfig::load_with_report(&source).unwrap()).strict_drift();
        async fn me(AccessToken(claims): AccessToken) -> String {
            claims.sub
        }
        async fn sync(ServiceCaller(caller): ServiceCaller) -> String {
            caller
        }
        let layered = Router::new()
            .route("/layered", get(|| async { "ok" }))
            .route_layer(RequireAuthLayer::user(auth.clone()));
        let router = Router::new()
            .route("/me", get(me))
            .route("/sync", get(sync))
            .with_state(auth)
            .merge(layered);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        Edge { runtime, router }
    })
}

fuzz_target!(|input: (u8, &[u8])| {
    let (which, bytes) = input;
    let Ok(value) = HeaderValue::from_bytes(bytes) else {
        return;
    };
    let (path, header) = match which % 3 {
        0 => ("/me", "authorization"),
        1 => ("/layered", "authorization"),
        _ => ("/sync", "x-service-token"),
    };
    let request = Request::get(path)
        .header(header, value)
        .body(Body::empty())
        .unwrap();
    let edge = edge();
    let mut router = edge.router.clone();
    let (status, challenge, body) = edge.runtime.block_on(async move {
        let response = router.call(request).await.unwrap();
        let status = response.status();
        let challenge = response
            .headers()
            .get("www-authenticate")
            .map(|v| v.as_bytes().to_vec())
            .unwrap_or_default();
        let body = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap();
        (status, challenge, body)
    });
    assert!(
        !status.is_success(),
        "an unsigned token was accepted: {bytes:?}"
    );
    assert!(body.len() < 1024 && challenge.len() < 1024);
    // The token (what follows the scheme) is never repeated back: judged on tokens shaped
    // like one (a dot, no space), which no message's own words can match.
    let token = bytes.splitn(2, |b| *b == b' ').last().unwrap_or_default();
    if token.len() >= 12 && token.contains(&b'.') && !token.contains(&b' ') {
        for answer in [&body[..], &challenge[..]] {
            assert!(
                !answer.windows(token.len()).any(|w| w == token),
                "the token came back: {bytes:?}"
            );
        }
    }
});
