//! The extractors and the layer in-process (`Router::call`): what a client sees on each
//! refusal, and the routes that accept anonymous users or unauthenticated calls.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use jwt_config::service_auth::Caller;
use jwt_config_axum::{AttachServiceHeadersLayer, JwtAuth};
use tower_layer::Layer as _;
use tower_service::Service;

use common::{
    JWT_SECRET, Switchable, auth, development, get_with, service_routes, token, user_routes,
};

#[tokio::test]
async fn a_refusal_is_rfc_6750_with_a_small_json_body_and_never_the_token() {
    let auth = auth(&[]);
    let mut router = user_routes(auth.clone());
    let forged = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJtYWxsb3J5In0.Zm9yZ2VkLXNpZ25hdHVyZQ";
    for path in ["/me", "/profile"] {
        let answer = get_with(
            &mut router,
            path,
            &[("authorization", &format!("Bearer {forged}"))],
        )
        .await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{path}");
        let challenge = answer.challenge.clone().unwrap();
        assert!(
            challenge.starts_with("Bearer error=\"invalid_token\", error_description=\""),
            "{challenge}"
        );
        let body = answer.json();
        assert_eq!(body.as_object().unwrap().len(), 2, "{body}");
        assert!(body["error"].is_string() && body["message"].is_string());
        for part in forged.split('.') {
            assert!(!answer.body.contains(part) && !challenge.contains(part));
        }
        assert!(!answer.body.contains(JWT_SECRET) && !challenge.contains(JWT_SECRET));
    }
    // Several Authorization headers, another scheme: refused as malformed.
    let valid = format!("Bearer {}", token(&auth));
    let mut request = Request::get("/me");
    request = request
        .header("authorization", &valid)
        .header("authorization", &valid);
    let response = router
        .call(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let answer = get_with(&mut router, "/me", &[("authorization", "Basic YTpi")]).await;
    assert_eq!(answer.json()["error"], "malformed_header");
    assert_eq!(auth.refusals()["malformed_header"], 2);
}

#[tokio::test]
async fn the_layer_puts_the_claims_in_the_extensions_and_refuses_without_a_token() {
    let auth = auth(&[]);
    let mut router = user_routes(auth.clone());
    let bearer = format!("bearer {}", token(&auth));
    let answer = get_with(&mut router, "/profile", &[("authorization", &bearer)]).await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (StatusCode::OK, "alice")
    );
    let answer = get_with(&mut router, "/profile", &[]).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.challenge.as_deref(), Some("Bearer"));
    assert_eq!(answer.json()["error"], "missing_token");
}

#[tokio::test]
async fn the_optional_token_serves_anonymous_users_but_not_bad_tokens() {
    let auth = auth(&[]);
    let mut router = user_routes(auth.clone());
    let answer = get_with(&mut router, "/maybe", &[]).await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (StatusCode::OK, "anonymous")
    );
    let bearer = format!("Bearer {}", token(&auth));
    let answer = get_with(&mut router, "/maybe", &[("authorization", &bearer)]).await;
    assert_eq!(answer.body, "alice");
    let answer = get_with(&mut router, "/maybe", &[("authorization", "Bearer x.y.z")]).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_unauthenticated_call_is_accepted_only_where_the_route_says_so() {
    // Development without SERVICE_SECRET: service authentication is off.
    let mut router = service_routes(development());
    let answer = get_with(&mut router, "/any", &[]).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body, format!("{:?}", Caller::Unauthenticated));
    let answer = get_with(&mut router, "/strict", &[]).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert!(
        answer.json()["message"]
            .as_str()
            .unwrap()
            .contains("SERVICE_SECRET")
    );
    // With SERVICE_SECRET, the same route needs a token.
    let mut router = service_routes(auth(&[]));
    let answer = get_with(&mut router, "/any", &[]).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.challenge.as_deref(), Some("ServiceToken"));
}

#[tokio::test]
async fn strict_mode_refuses_a_call_it_cannot_compare() {
    let caller = auth(&[("SERVICE_ID", "auth")]);
    let plain = caller.config().service_headers("backend").unwrap();
    let plain = plain["x-service-token"].to_str().unwrap().to_owned();
    let with = caller.service_headers("backend").unwrap();
    let with = with["x-service-token"].to_str().unwrap().to_owned();

    // Not strict: a caller without a fingerprint is accepted, and no drift is counted.
    let lenient = auth(&[]);
    let mut router = service_routes(lenient.clone());
    let answer = get_with(&mut router, "/strict", &[("x-service-token", &plain)]).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(lenient.drift_events(), 0);

    // Strict: refused, naming the caller and the fix.
    let mut router = service_routes(auth(&[]).strict_drift());
    let answer = get_with(&mut router, "/strict", &[("x-service-token", &plain)]).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(answer.json()["error"], "settings_drift");
    let message = answer.json()["message"].as_str().unwrap().to_owned();
    assert!(
        message.contains("caller auth sent no fingerprint"),
        "{message}"
    );
    assert!(message.contains("JwtAuth::service_headers"), "{message}");
    let answer = get_with(&mut router, "/strict", &[("x-service-token", &with)]).await;
    assert_eq!(answer.status, StatusCode::OK);

    // Strict without a fingerprint of its own: nothing to compare with, refused.
    let own = JwtAuth::new(auth(&[]).config().clone()).strict_drift();
    let mut router = service_routes(own);
    let answer = get_with(&mut router, "/strict", &[("x-service-token", &with)]).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    let message = answer.json()["message"].as_str().unwrap().to_owned();
    assert!(message.contains("JwtAuth::from_loaded"), "{message}");
}

#[tokio::test]
async fn with_a_replay_guard_each_service_token_is_accepted_once() {
    use jwt_config::service_auth::MemoryReplayGuard;
    let caller = auth(&[("SERVICE_ID", "auth")]);
    let token = |caller: &JwtAuth| {
        let headers = caller.service_headers("backend").unwrap();
        headers["x-service-token"].to_str().unwrap().to_owned()
    };
    let backend = auth(&[]).replay_guard(MemoryReplayGuard::new(2));
    let mut router = service_routes(backend.clone());
    let first = token(&caller);
    let answer = get_with(&mut router, "/strict", &[("x-service-token", &first)]).await;
    assert_eq!(answer.status, StatusCode::OK);
    let answer = get_with(&mut router, "/strict", &[("x-service-token", &first)]).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.json()["error"], "replayed");
    // Full of ids that have not expired: refused for now (503), never accepted unrecorded.
    let second = token(&caller);
    let answer = get_with(&mut router, "/strict", &[("x-service-token", &second)]).await;
    assert_eq!(answer.status, StatusCode::OK);
    let answer = get_with(
        &mut router,
        "/strict",
        &[("x-service-token", &token(&caller))],
    )
    .await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(answer.json()["error"], "replay_guard_full");
    assert_eq!(backend.refusals()["replayed"], 1);
    // Through the outgoing layer each request carries a fresh token: accepted each time.
    let guarded = auth(&[]).replay_guard(MemoryReplayGuard::new(16));
    let mut client = AttachServiceHeadersLayer::new(caller.clone(), "backend")
        .layer(service_routes(guarded.clone()));
    for _ in 0..3 {
        std::future::poll_fn(|cx| Service::<Request<Body>>::poll_ready(&mut client, cx))
            .await
            .unwrap();
        let request = Request::get("/strict").body(Body::empty()).unwrap();
        let response = client.call(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }
    assert!(guarded.refusals().is_empty());
    // Without a guard, the same token passes again (the default, as documented).
    let mut router = service_routes(auth(&[]));
    for _ in 0..2 {
        let answer = get_with(&mut router, "/strict", &[("x-service-token", &first)]).await;
        assert_eq!(answer.status, StatusCode::OK);
    }
}

#[tokio::test]
async fn an_async_guard_that_is_unavailable_refuses_with_503_and_counts_it() {
    use jwt_config_axum::RequireAuthLayer;
    let down = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let guard = Switchable {
        down: down.clone(),
        memory: jwt_config::service_auth::MemoryReplayGuard::new(16),
    };
    let caller = auth(&[("SERVICE_ID", "auth")]);
    let backend = auth(&[]).async_replay_guard(guard);
    let mut router = service_routes(backend.clone());
    let headers = caller.service_headers("backend").unwrap();
    let token = headers["x-service-token"].to_str().unwrap().to_owned();
    for path in ["/strict", "/any"] {
        let answer = get_with(&mut router, path, &[("x-service-token", &token)]).await;
        assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(answer.json()["error"], "replay_guard_unavailable");
    }
    assert_eq!(backend.refusals()["replay_guard_unavailable"], 2);
    // The store is back: the token refused while it was down is accepted once.
    down.store(false, std::sync::atomic::Ordering::SeqCst);
    let answer = get_with(&mut router, "/strict", &[("x-service-token", &token)]).await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (StatusCode::OK, "auth")
    );
    let answer = get_with(&mut router, "/strict", &[("x-service-token", &token)]).await;
    assert_eq!(answer.json()["error"], "replayed");
    // The layer awaits it too: accepted once, then a replay; refused while the store is down.
    let mut layered =
        service_routes(backend.clone()).route_layer(RequireAuthLayer::service(backend.clone()));
    let fresh = caller.service_headers("backend").unwrap();
    let fresh = fresh["x-service-token"].to_str().unwrap();
    let answer = get_with(&mut layered, "/strict", &[("x-service-token", fresh)]).await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (StatusCode::OK, "auth")
    );
    let answer = get_with(&mut layered, "/any", &[("x-service-token", fresh)]).await;
    assert_eq!(answer.json()["error"], "replayed");
    down.store(true, std::sync::atomic::Ordering::SeqCst);
    let fresh = caller.service_headers("backend").unwrap();
    let fresh = fresh["x-service-token"].to_str().unwrap();
    let answer = get_with(&mut layered, "/strict", &[("x-service-token", fresh)]).await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(answer.json()["error"], "replay_guard_unavailable");
}

#[tokio::test]
async fn an_unknown_path_beside_layered_routes_stays_404() {
    let mut router = user_routes(auth(&[]));
    let answer = get_with(&mut router, "/nowhere", &[]).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_layer_and_an_extractor_on_one_route_record_a_token_once() {
    use axum::routing::get;
    use jwt_config::service_auth::MemoryReplayGuard;
    use jwt_config_axum::{RequireAuthLayer, ServiceCaller};
    async fn both(ServiceCaller(caller): ServiceCaller) -> String {
        caller
    }
    let caller = auth(&[("SERVICE_ID", "auth")]);
    let backend = auth(&[]).replay_guard(MemoryReplayGuard::new(16));
    let mut router = axum::Router::new()
        .route("/both", get(both))
        .route_layer(RequireAuthLayer::service(backend.clone()))
        .with_state(backend.clone());
    let token = |caller: &JwtAuth| {
        let headers = caller.service_headers("backend").unwrap();
        headers["x-service-token"].to_str().unwrap().to_owned()
    };
    for _ in 0..2 {
        let fresh = token(&caller);
        let answer = get_with(&mut router, "/both", &[("x-service-token", &fresh)]).await;
        assert_eq!(
            (answer.status, answer.body.as_str()),
            (StatusCode::OK, "auth")
        );
        // The same token again is a replay, refused by the layer.
        let again = get_with(&mut router, "/both", &[("x-service-token", &fresh)]).await;
        assert_eq!(again.json()["error"], "replayed");
    }
    assert_eq!(backend.refusals()["replayed"], 2);
}

#[tokio::test]
async fn a_rotation_where_each_side_verifies_the_other_is_no_drift_as_diff_says() {
    use base64::Engine as _;
    const OLD: &str = "rotation-old-jwt-secret-0123456789abcdefgh";
    const NEW: &str = "rotation-new-jwt-secret-0123456789abcdefgh";
    let oct = |kid: &str, secret: &str| {
        let k = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret);
        format!(r#"{{"keys":[{{"kid":"{kid}","kty":"oct","k":"{k}"}}]}}"#)
    };
    // Step 2 of the runbook: auth signs with the new key, backend still with the old one,
    // each verifying the other's.
    let (to_k1, to_k2) = (oct("k1", OLD), oct("k2", NEW));
    let caller = auth(&[
        ("SERVICE_ID", "auth"),
        ("JWT_SECRET_KEY", NEW),
        ("JWT_KEY_ID", "k2"),
        ("JWT_VERIFICATION_KEYS", &to_k1),
    ]);
    let backend = auth(&[
        ("JWT_SECRET_KEY", OLD),
        ("JWT_KEY_ID", "k1"),
        ("JWT_VERIFICATION_KEYS", &to_k2),
    ])
    .strict_drift();
    let mut router = service_routes(backend.clone());
    let headers = caller.service_headers("backend").unwrap();
    let token = headers["x-service-token"].to_str().unwrap();
    let answer = get_with(&mut router, "/strict", &[("x-service-token", token)]).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(backend.drift_events(), 0);
    // Without the old key on auth's side, backend's tokens no longer verify there: drift,
    // naming the key.
    let drifted = auth(&[
        ("SERVICE_ID", "auth"),
        ("JWT_SECRET_KEY", NEW),
        ("JWT_KEY_ID", "k2"),
    ]);
    let headers = drifted.service_headers("backend").unwrap();
    let token = headers["x-service-token"].to_str().unwrap();
    let answer = get_with(&mut router, "/strict", &[("x-service-token", token)]).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.body);
    assert!(answer.body.contains("JWT_SECRET_KEY"), "{}", answer.body);
}

/// Claims that count how often a token is decoded into them.
#[derive(Clone, Debug)]
struct Counted(jwt_config::AccessClaims);

static DECODED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

impl<'de> serde::Deserialize<'de> for Counted {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        DECODED.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        jwt_config::AccessClaims::deserialize(deserializer).map(Counted)
    }
}

#[tokio::test]
async fn a_layer_and_an_extractor_on_one_route_decode_a_user_token_once() {
    use axum::routing::get;
    use jwt_config_axum::{AccessToken, RequireAuthLayer};
    use std::sync::atomic::Ordering;
    async fn both(AccessToken(Counted(claims)): AccessToken<Counted>) -> String {
        claims.sub
    }
    async fn maybe(token: Option<AccessToken<Counted>>) -> String {
        token.map_or_else(|| "anonymous".to_owned(), |AccessToken(Counted(c))| c.sub)
    }
    let backend = auth(&[]);
    let mut router = axum::Router::new()
        .route("/both", get(both))
        .route("/maybe", get(maybe))
        .route_layer(RequireAuthLayer::user_with::<Counted>(backend.clone()))
        .with_state(backend.clone());
    let bearer = format!("Bearer {}", token(&backend));
    for path in ["/both", "/maybe"] {
        let before = DECODED.load(Ordering::SeqCst);
        let answer = get_with(&mut router, path, &[("authorization", &bearer)]).await;
        assert_eq!(
            (answer.status, answer.body.as_str()),
            (StatusCode::OK, "alice"),
            "{path}"
        );
        assert_eq!(DECODED.load(Ordering::SeqCst) - before, 1, "{path}");
    }
    // A layer of another JwtAuth: its verdict is not this state's, the extractor verifies.
    let other = auth(&[]);
    let mut router = axum::Router::new()
        .route("/both", get(both))
        .route_layer(RequireAuthLayer::user_with::<Counted>(other))
        .with_state(backend.clone());
    let before = DECODED.load(Ordering::SeqCst);
    let answer = get_with(&mut router, "/both", &[("authorization", &bearer)]).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(DECODED.load(Ordering::SeqCst) - before, 2);
}

#[tokio::test]
async fn two_extractors_or_two_layers_on_one_request_record_a_token_once() {
    use axum::routing::get;
    use jwt_config::service_auth::MemoryReplayGuard;
    use jwt_config_axum::{AnyCaller, RequireAuthLayer, ServiceCaller};
    async fn both(ServiceCaller(caller): ServiceCaller, AnyCaller(any): AnyCaller) -> String {
        format!("{caller} {any:?}")
    }
    async fn one(ServiceCaller(caller): ServiceCaller) -> String {
        caller
    }
    let caller = auth(&[("SERVICE_ID", "auth")]);
    let backend = auth(&[]).replay_guard(MemoryReplayGuard::new(16));
    // Two extractors, no layer; and a route layer under a router layer.
    let inner = axum::Router::new()
        .route("/stacked", get(one))
        .route_layer(RequireAuthLayer::service(backend.clone()));
    let stacked = axum::Router::new()
        .merge(inner)
        .layer(RequireAuthLayer::service(backend.clone()));
    let mut router = axum::Router::new()
        .route("/both", get(both))
        .merge(stacked)
        .with_state(backend.clone());
    for path in ["/both", "/stacked"] {
        let headers = caller.service_headers("backend").unwrap();
        let token = headers["x-service-token"].to_str().unwrap();
        let answer = get_with(&mut router, path, &[("x-service-token", token)]).await;
        assert_eq!(answer.status, StatusCode::OK, "{path}: {}", answer.body);
    }
    assert!(backend.refusals().is_empty(), "{:?}", backend.refusals());
}

#[tokio::test]
async fn a_receiver_sees_drift_when_its_caller_cannot_verify_its_own_calls_as_diff_does() {
    let common::OwnSecrets {
        backend,
        one_way,
        both_ways,
    } = common::own_secrets();
    let mut router = service_routes(backend.clone());
    let call = |caller: &JwtAuth| {
        let headers = caller.service_headers("backend").unwrap();
        headers["x-service-token"].to_str().unwrap().to_owned()
    };
    // The caller accepts backend's calls but cannot verify them: drift, as diff says.
    let answer = get_with(
        &mut router,
        "/strict",
        &[("x-service-token", &call(&one_way))],
    )
    .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.body);
    assert!(answer.body.contains("SERVICE_SECRET"), "{}", answer.body);
    // Each verifies the other's calls (a rotation of the shared secret): no drift.
    let answer = get_with(
        &mut router,
        "/strict",
        &[("x-service-token", &call(&both_ways))],
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    // A caller that does not accept backend's calls need not verify them.
    let closed = auth(&[
        ("SERVICE_ID", "auth"),
        ("SERVICE_SECRET", common::SECRET_A),
        ("SERVICE_KEY_ID", "a1"),
        ("SERVICE_ALLOWED_CALLERS", "billing"),
    ]);
    let answer = get_with(
        &mut router,
        "/strict",
        &[("x-service-token", &call(&closed))],
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
}
