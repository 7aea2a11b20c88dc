//! What the in-process tests share: settings, a request and its answer, the routes.
// Each test file uses its own part of this module.
#![allow(dead_code)]

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::routing::get;
use axum::{Extension, Router};
use jwt_config::{AccessClaims, Config, JwtConfig, MapSource};
use jwt_config_axum::{AccessToken, AnyCaller, JwtAuth, RequireAuthLayer, ServiceCaller};
use serde_json::Value;
use tower_service::Service as _;

pub(crate) const JWT_SECRET: &str = "extractor-test-jwt-secret-0123456789abcdef";
pub(crate) const SERVICE_SECRET: &str = "extractor-test-service-secret-0123456789ab";

/// The production settings of `service`, sharing the secrets with every other one.
pub(crate) fn production(service: &str) -> MapSource {
    MapSource::new()
        .with("ENVIRONMENT", "production")
        .with("SERVICE_ID", service)
        .with("JWT_SECRET_KEY", JWT_SECRET)
        .with("JWT_ISSUER", "https://auth.test")
        .with("JWT_AUDIENCE", "shop")
        .with("SERVICE_SECRET", SERVICE_SECRET)
        .with("SERVICE_ALLOWED_CALLERS", "*")
}

pub(crate) fn auth(pairs: &[(&str, &str)]) -> JwtAuth {
    let mut source = production("backend");
    for (name, value) in pairs {
        source = source.with(*name, *value);
    }
    JwtAuth::from_loaded(&JwtConfig::load_with_report(&source).expect("valid settings"))
}

pub(crate) fn development() -> JwtAuth {
    let source = MapSource::new()
        .with("ENVIRONMENT", "development")
        .with("SERVICE_ID", "backend")
        .with("JWT_SECRET_KEY", JWT_SECRET);
    JwtAuth::from_loaded(&JwtConfig::load_with_report(&source).expect("valid settings"))
}

pub(crate) fn token(auth: &JwtAuth) -> String {
    let config = auth.config();
    config.encode(&config.access_claims("alice")).unwrap()
}

pub(crate) struct Answer {
    pub status: StatusCode,
    pub challenge: Option<String>,
    pub body: String,
}

impl Answer {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

pub(crate) async fn get_with(router: &mut Router, path: &str, headers: &[(&str, &str)]) -> Answer {
    let mut request = Request::get(path);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = router
        .call(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let challenge = response
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned());
    let bytes = axum::body::to_bytes(response.into_body(), 64 * 1024)
        .await
        .unwrap();
    Answer {
        status,
        challenge,
        body: String::from_utf8(bytes.to_vec()).unwrap(),
    }
}

pub(crate) fn user_routes(auth: JwtAuth) -> Router {
    async fn me(AccessToken(claims): AccessToken) -> String {
        claims.sub
    }
    async fn maybe(token: Option<AccessToken>) -> String {
        token.map_or_else(|| "anonymous".to_owned(), |AccessToken(c)| c.sub)
    }
    async fn profile(Extension(claims): Extension<AccessClaims>) -> String {
        claims.sub
    }
    let layered = Router::new()
        .route("/profile", get(profile))
        .route_layer(RequireAuthLayer::user(auth.clone()));
    Router::new()
        .route("/me", get(me))
        .route("/maybe", get(maybe))
        .with_state(auth)
        .merge(layered)
}

pub(crate) fn service_routes(auth: JwtAuth) -> Router {
    async fn strict(ServiceCaller(caller): ServiceCaller) -> String {
        caller
    }
    async fn any(AnyCaller(caller): AnyCaller) -> String {
        format!("{caller:?}")
    }
    Router::new()
        .route("/strict", get(strict))
        .route("/any", get(any))
        .with_state(auth)
}

/// The shared secret of `auth` (key id a1) in [`OwnSecrets`].
pub(crate) const SECRET_A: &str = "caller-a-service-secret-0123456789abcdef";

/// Two services on shared secrets of their own (key ids a1 and b1): `backend` (b1, strict
/// drift) verifies a1; `one_way` is auth, which cannot verify backend's calls, `both_ways`
/// auth knowing b1. One fingerprint for both callers: `SERVICE_VERIFICATION_KEYS` is per service.
pub(crate) struct OwnSecrets {
    pub(crate) backend: JwtAuth,
    pub(crate) one_way: JwtAuth,
    pub(crate) both_ways: JwtAuth,
}

pub(crate) fn own_secrets() -> OwnSecrets {
    use base64::Engine as _;
    const SECRET_B: &str = "receiver-b-service-secret-0123456789abcd";
    let oct = |kid: &str, secret: &str| {
        let k = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret);
        format!(r#"{{"keys":[{{"kid":"{kid}","kty":"oct","k":"{k}"}}]}}"#)
    };
    let (knows_a, knows_b) = (oct("a1", SECRET_A), oct("b1", SECRET_B));
    let caller = |extra: &[(&str, &str)]| {
        let mut pairs = vec![
            ("SERVICE_ID", "auth"),
            ("SERVICE_SECRET", SECRET_A),
            ("SERVICE_KEY_ID", "a1"),
        ];
        pairs.extend_from_slice(extra);
        auth(&pairs)
    };
    OwnSecrets {
        backend: auth(&[
            ("SERVICE_SECRET", SECRET_B),
            ("SERVICE_KEY_ID", "b1"),
            ("SERVICE_VERIFICATION_KEYS", &knows_a),
        ])
        .strict_drift(),
        one_way: caller(&[]),
        both_ways: caller(&[("SERVICE_VERIFICATION_KEYS", &knows_b)]),
    }
}

/// An async replay guard whose store answers as told: down (unavailable) or up (in memory).
pub(crate) struct Switchable {
    pub(crate) down: std::sync::Arc<std::sync::atomic::AtomicBool>,
    pub(crate) memory: jwt_config::service_auth::MemoryReplayGuard,
}

impl jwt_config::service_auth::AsyncReplayGuard for Switchable {
    fn first_use_async<'a>(
        &'a self,
        token: &'a jwt_config::service_auth::TokenUse<'_>,
    ) -> jwt_config::service_auth::FirstUseFuture<'a> {
        use jwt_config::service_auth::{FirstUse, ReplayGuard as _};
        Box::pin(async move {
            // Awaited, as a store over the network would be.
            tokio::task::yield_now().await;
            if self.down.load(std::sync::atomic::Ordering::SeqCst) {
                FirstUse::Unavailable
            } else {
                self.memory.first_use(token)
            }
        })
    }
}

impl Switchable {
    /// Up, with room for `capacity` tokens.
    pub(crate) fn up(capacity: usize) -> Self {
        Switchable {
            down: std::sync::Arc::default(),
            memory: jwt_config::service_auth::MemoryReplayGuard::new(capacity),
        }
    }
}
