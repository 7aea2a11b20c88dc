//! Two services on 127.0.0.1 with ephemeral ports and real HTTP calls between them: an auth
//! service that issues tokens and calls the backend, and a backend whose routes need a user
//! token or a service call from `auth`.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::{FromRef, State};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use jwt_config::service_auth::Caller;
use jwt_config::{Config, JwtConfig, MapSource};
use jwt_config_axum::{AccessToken, JwtAuth, RequireAuthLayer, ServiceCaller, health};
use serde_json::{Value, json};

fn settings(service: &str) -> MapSource {
    common::production(service)
}

fn auth_of(source: &MapSource) -> JwtAuth {
    let loaded = JwtConfig::load_with_report(source).expect("valid settings");
    JwtAuth::from_loaded(&loaded)
}

#[derive(Clone, FromRef)]
struct AppState {
    auth: JwtAuth,
}

/// The backend: GET /me needs a user token, POST /internal/sync only `auth` (by
/// SERVICE_ALLOWED_CALLERS), /internal/* behind the layer too.
fn backend(auth: JwtAuth) -> Router {
    async fn me(AccessToken(claims): AccessToken) -> Json<Value> {
        Json(json!({ "sub": claims.sub }))
    }
    async fn sync(ServiceCaller(caller): ServiceCaller) -> Json<Value> {
        Json(json!({ "synced_for": caller }))
    }
    async fn layered(Extension(caller): Extension<Caller>) -> String {
        format!("{caller:?}")
    }
    let layered_routes = Router::new()
        .route("/layered/ping", get(layered))
        .route_layer(RequireAuthLayer::service(auth.clone()));
    Router::new()
        .route("/me", get(me))
        .route("/internal/sync", post(sync))
        .route("/health", get(health))
        .with_state(AppState { auth })
        .merge(layered_routes)
}

/// The auth service: POST /login issues access and refresh tokens.
fn auth_service(auth: JwtAuth) -> Router {
    async fn login(State(auth): State<JwtAuth>) -> Json<Value> {
        let config = auth.config();
        let claims = config.access_claims("alice");
        let refresh = config.refresh_claims("alice");
        Json(json!({
            "access_token": config.encode(&claims).unwrap(),
            "refresh_token": config.encode_refresh(&refresh).unwrap(),
        }))
    }
    Router::new().route("/login", post(login)).with_state(auth)
}

async fn serve(router: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    address
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .no_proxy()
        .build()
        .unwrap()
}

/// The JSON body of the answer to `request`.
async fn json_of(request: reqwest::RequestBuilder) -> Value {
    request.send().await.unwrap().json().await.unwrap()
}

/// A POST from the service of `caller` with its service headers.
async fn service_call(http: &reqwest::Client, url: &str, caller: &JwtAuth) -> reqwest::Response {
    http.post(url)
        .headers(caller.service_headers("backend").unwrap())
        .send()
        .await
        .unwrap()
}

/// The same call with a hyper client: the headers extend the request's own, by hand or
/// through the `AttachServiceHeadersLayer` layer.
async fn service_call_with_hyper(url: &str, caller: &JwtAuth, through_layer: bool) -> (u16, Value) {
    use hyper_util::client::legacy::Client;
    use hyper_util::rt::TokioExecutor;
    use jwt_config_axum::AttachServiceHeadersLayer;
    use tower_layer::Layer as _;
    use tower_service::Service as _;
    let client = Client::builder(TokioExecutor::new()).build_http::<axum::body::Body>();
    let mut request = axum::http::Request::post(url)
        .body(axum::body::Body::empty())
        .unwrap();
    let call = async {
        if through_layer {
            // Every request through the layer carries the headers.
            let mut client =
                AttachServiceHeadersLayer::new(caller.clone(), "backend").layer(client);
            std::future::poll_fn(|cx| client.poll_ready(cx))
                .await
                .unwrap();
            client.call(request).await.unwrap()
        } else {
            request
                .headers_mut()
                .extend(caller.service_headers("backend").unwrap());
            client.request(request).await.unwrap()
        }
    };
    let response = tokio::time::timeout(Duration::from_secs(10), call)
        .await
        .expect("in time");
    let status = response.status().as_u16();
    let body = axum::body::to_bytes(axum::body::Body::new(response.into_body()), 64 * 1024)
        .await
        .unwrap();
    (status, serde_json::from_slice(&body).unwrap())
}

#[tokio::test]
async fn two_services_over_http() {
    let backend_auth = auth_of(&settings("backend").with("SERVICE_ALLOWED_CALLERS", "auth"));
    let backend_url = format!("http://{}", serve(backend(backend_auth.clone())).await);
    let auth = auth_of(&settings("auth"));
    let auth_url = format!("http://{}", serve(auth_service(auth.clone())).await);
    let http = client();

    // Login, then /me with the access token.
    let tokens: Value = json_of(http.post(format!("{auth_url}/login"))).await;
    let access = tokens["access_token"].as_str().unwrap();
    let me = http
        .get(format!("{backend_url}/me"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    assert_eq!(me.json::<Value>().await.unwrap()["sub"], "alice");
    // The scheme in another case.
    let me = http
        .get(format!("{backend_url}/me"))
        .header("authorization", format!("bEaReR {access}"))
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);

    // A refresh token is not an access token.
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let response = http
        .get(format!("{backend_url}/me"))
        .bearer_auth(refresh)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let challenge = response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        challenge.starts_with("Bearer error=\"invalid_token\", error_description=\""),
        "{challenge}"
    );
    let body = response.text().await.unwrap();
    assert!(!body.contains(refresh), "the token is never echoed: {body}");

    // No token: 401, a bare challenge.
    let response = http.get(format!("{backend_url}/me")).send().await.unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    assert_eq!(
        response.json::<Value>().await.unwrap()["error"],
        "missing_token"
    );

    // A service call from auth, with the helper's headers.
    let response = service_call(&http, &format!("{backend_url}/internal/sync"), &auth).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>().await.unwrap()["synced_for"],
        "auth"
    );
    let (status, body) =
        service_call_with_hyper(&format!("{backend_url}/internal/sync"), &auth, false).await;
    assert_eq!((status, &body["synced_for"]), (200, &json!("auth")));
    let (status, body) =
        service_call_with_hyper(&format!("{backend_url}/internal/sync"), &auth, true).await;
    assert_eq!((status, &body["synced_for"]), (200, &json!("auth")));

    // The layer puts the caller in the extensions.
    let response = http
        .get(format!("{backend_url}/layered/ping"))
        .headers(auth.service_headers("backend").unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "Service(\"auth\")");
    let response = http
        .get(format!("{backend_url}/layered/ping"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);

    // A caller the backend does not allow: 403.
    let billing = auth_of(&settings("billing"));
    let response = service_call(&http, &format!("{backend_url}/internal/sync"), &billing).await;
    assert_eq!(response.status(), 403);
    assert_eq!(
        response.json::<Value>().await.unwrap()["error"],
        "caller_not_allowed"
    );

    // Another SERVICE_SECRET: 401.
    let stranger = auth_of(&settings("auth").with(
        "SERVICE_SECRET",
        "another-service-secret-0123456789abcdefgh",
    ));
    let response = service_call(&http, &format!("{backend_url}/internal/sync"), &stranger).await;
    assert_eq!(response.status(), 401);

    // Every refusal counted by reason; the health document shows them.
    let health: Value = json_of(http.get(format!("{backend_url}/health"))).await;
    assert_eq!(health["service_id"], "backend");
    assert_eq!(health["environment"], "production");
    assert_eq!(health["refusals"]["missing_token"], 2);
    assert_eq!(health["refusals"]["caller_not_allowed"], 1);
    assert_eq!(health["refusals"]["wrong_type"], 1);
    assert_eq!(health["drift_events"], 0);
    assert_eq!(
        health["service_key_ids"],
        json!([backend_auth.config().service_call_keys()[0].id])
    );
    assert_eq!(
        health["effective_fingerprint"],
        backend_auth.fingerprint().unwrap()
    );
}

#[tokio::test]
async fn a_drifted_expiry_is_seen_at_the_first_call_and_refused_in_strict_mode() {
    let backend_auth = auth_of(&settings("backend"));
    let backend_url = format!("http://{}", serve(backend(backend_auth.clone())).await);
    let drifted = auth_of(&settings("auth").with("JWT_ACCESS_TOKEN_EXPIRE_MINUTES", "30"));
    assert_ne!(drifted.fingerprint(), backend_auth.fingerprint());
    // Same settings, other service: no drift (per-service settings stay out of it).
    let same = auth_of(&settings("auth"));
    assert_eq!(same.fingerprint(), backend_auth.fingerprint());
    let http = client();
    let call = |auth: &JwtAuth| {
        http.post(format!("{backend_url}/internal/sync"))
            .headers(auth.service_headers("backend").unwrap())
            .send()
    };
    assert_eq!(call(&same).await.unwrap().status(), 200);
    assert_eq!(backend_auth.drift_events(), 0);
    assert_eq!(call(&drifted).await.unwrap().status(), 200);
    assert_eq!(call(&drifted).await.unwrap().status(), 200);
    assert_eq!(backend_auth.drift_events(), 2);
    // Seen once per caller and fingerprint, naming the setting; on the health document.
    let health: Value = json_of(http.get(format!("{backend_url}/health"))).await;
    assert_eq!(health["drift_events"], 2);
    assert_eq!(
        health["drifts"],
        json!([{
            "caller": "auth",
            "fingerprint": drifted.fingerprint().unwrap(),
            "settings": ["JWT_ACCESS_TOKEN_EXPIRE_MINUTES"],
            "calls": 2,
        }])
    );

    let strict = auth_of(&settings("backend")).strict_drift();
    let strict_url = format!("http://{}", serve(backend(strict.clone())).await);
    let response = service_call(&http, &format!("{strict_url}/internal/sync"), &drifted).await;
    assert_eq!(response.status(), 403);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "settings_drift");
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains("in JWT_ACCESS_TOKEN_EXPIRE_MINUTES;"),
        "{message}"
    );
    assert!(message.contains("jwt-config diff"), "{message}");
    assert_eq!(strict.refusals()["settings_drift"], 1);

    // Two settings differ: both named, in schema order; no value is shown.
    let two = auth_of(
        &settings("auth")
            .with("JWT_ACCESS_TOKEN_EXPIRE_MINUTES", "30")
            .with("JWT_ISSUER", "https://other.test"),
    );
    let response = service_call(&http, &format!("{strict_url}/internal/sync"), &two).await;
    let message = response.json::<Value>().await.unwrap()["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        message.contains("in JWT_ACCESS_TOKEN_EXPIRE_MINUTES, JWT_ISSUER;"),
        "{message}"
    );
    assert!(
        !message.contains("other.test") && !message.contains("30"),
        "{message}"
    );
}
