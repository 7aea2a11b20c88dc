//! The health document and its handler.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use jwt_config::JwtConfig;
use serde::Serialize;

use crate::{DriftSeen, JwtAuth};

/// The health document: who this service is and what it has refused.
///
/// ```
/// # use jwt_config::{Config, JwtConfig, MapSource};
/// use axum::{Router, body::Body, http::{Request, StatusCode}, routing::get};
/// use jwt_config_axum::{AccessToken, JwtAuth};
/// use tower::ServiceExt as _;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// # let source = MapSource::new().with("ENVIRONMENT", "development").with("SERVICE_ID", "backend")
/// #     .with("JWT_SECRET_KEY", "doc-example-jwt-secret-0123456789abcdefgh");
/// let auth = JwtAuth::from_loaded(&JwtConfig::load_with_report(&source).unwrap());
/// let app = Router::new()
///     .route("/me", get(|AccessToken(claims): AccessToken| async move { claims.sub }))
///     .with_state(auth.clone());
/// let response = app.oneshot(Request::get("/me").body(Body::empty()).unwrap()).await.unwrap();
/// assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
/// let health = auth.health();
/// assert_eq!((health.status, health.service_id.as_str()), ("ok", "backend"));
/// assert_eq!(health.refusals["missing_token"], 1);
/// # }
/// ```
#[derive(Clone, Debug, Serialize)]
#[non_exhaustive]
pub struct Health {
    /// Always `ok`: the configuration loaded.
    pub status: &'static str,
    /// `SERVICE_ID`.
    pub service_id: String,
    /// `ENVIRONMENT`.
    pub environment: &'static str,
    /// The schema's fingerprint.
    pub schema_fingerprint: String,
    /// The effective fingerprint of the shared settings.
    pub effective_fingerprint: Option<String>,
    /// The per-setting digests of the shared settings (what its service tokens carry beside
    /// the fingerprint; secrets by a keyed digest, never their value), for naming what
    /// differs between two services (`jwt_config::compare_settings`).
    pub settings_digests: Option<String>,
    /// The names of those settings, in the order of their digests.
    pub setting_names: Vec<String>,
    /// The ids of the keys it signs and verifies tokens with.
    pub key_ids: Vec<String>,
    /// The ids of the keys of service calls: the one it signs with, then its callers'.
    pub service_key_ids: Vec<String>,
    /// `SERVICE_ALLOWED_CALLERS` as in effect: the callers' ids, `*` (any authenticated
    /// service, also where it is unset in development and test) or `none`.
    pub allowed_callers: String,
    /// Routes with callers of their own ([`RequireAuthLayer::service_only`]): route, then
    /// the services that may call it.
    ///
    /// [`RequireAuthLayer::service_only`]: crate::RequireAuthLayer::service_only
    pub route_callers: BTreeMap<String, Vec<String>>,
    /// Refusals by reason.
    pub refusals: BTreeMap<String, u64>,
    /// Service calls whose shared settings differed.
    pub drift_events: u64,
    /// Who differed, and in what.
    pub drifts: Vec<DriftSeen>,
}

impl JwtAuth {
    /// What a readiness probe or a fleet dashboard reads; [`Health`] shows an example.
    pub fn health(&self) -> Health {
        let config = self.config();
        Health {
            status: "ok",
            service_id: config.service_id().to_owned(),
            environment: config.environment().as_str(),
            schema_fingerprint: jwt_config::schema_fingerprint_of::<JwtConfig>(),
            effective_fingerprint: self.fingerprint().map(str::to_owned),
            settings_digests: self.inner.fingerprint.as_ref().map(|f| f.settings()),
            setting_names: self
                .inner
                .fingerprint
                .as_ref()
                .map(|f| f.setting_names().into_iter().map(str::to_owned).collect())
                .unwrap_or_default(),
            key_ids: config.keys().into_iter().map(|k| k.id).collect(),
            service_key_ids: config
                .service_call_keys()
                .into_iter()
                .map(|k| k.id)
                .collect(),
            allowed_callers: config.allowed_callers().to_string(),
            route_callers: self.route_callers(),
            refusals: self.refusals(),
            drift_events: self.drift_events(),
            drifts: self.drifts(),
        }
    }
}

/// A health handler: `.route("/health", get(health))` with `JwtAuth` in the state.
///
/// ```
/// # use jwt_config::{Config, JwtConfig, MapSource};
/// use axum::{Router, body::Body, http::{Request, StatusCode}, routing::get};
/// use jwt_config_axum::{JwtAuth, health};
/// use tower::ServiceExt as _;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// # let source = MapSource::new().with("ENVIRONMENT", "development").with("SERVICE_ID", "backend")
/// #     .with("JWT_SECRET_KEY", "doc-example-jwt-secret-0123456789abcdefgh");
/// let auth = JwtAuth::from_loaded(&JwtConfig::load_with_report(&source).unwrap());
/// let app = Router::new().route("/health", get(health)).with_state(auth);
/// let response = app.oneshot(Request::get("/health").body(Body::empty()).unwrap()).await.unwrap();
/// assert_eq!(response.status(), StatusCode::OK);
/// let body = axum::body::to_bytes(response.into_body(), 1 << 16).await.unwrap();
/// let health: serde_json::Value = serde_json::from_slice(&body).unwrap();
/// assert_eq!(health["service_id"], "backend");
/// # }
/// ```
pub async fn health(State(auth): State<JwtAuth>) -> Json<Health> {
    Json(auth.health())
}
