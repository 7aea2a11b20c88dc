//! [`JwtAuth`]: the settings of a service as its HTTP layer uses them, the builder options
//! (strict drift, a replay guard), and the refusal counters.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use axum::http::HeaderMap;
use jwt_config::service_auth::{AsyncReplayGuard, ReplayGuard, ServiceAuthError};
use jwt_config::{Config, HasJwtConfig, JwtConfig, Loaded, SettingsFingerprint};

use crate::drift::DriftLog;
use crate::layer::RouteCallers;

/// The JWT settings of a service as its HTTP layer uses them: the config, its effective
/// fingerprint (for drift detection), and the refusal and drift counters. Cheap to clone;
/// put it in the application's state and let axum's `FromRef` hand it to the extractors.
///
/// ```
/// # use jwt_config::{Config, JwtConfig, MapSource};
/// use axum::{Router, body::Body, extract::FromRef, http::{Request, StatusCode}, routing::get};
/// use jwt_config_axum::{AccessToken, JwtAuth};
/// use tower::ServiceExt as _;
///
/// #[derive(Clone, FromRef)]
/// struct AppState {
///     auth: JwtAuth,
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// # let source = MapSource::new().with("ENVIRONMENT", "development").with("SERVICE_ID", "backend")
/// #     .with("JWT_SECRET_KEY", "doc-example-jwt-secret-0123456789abcdefgh");
/// let auth = JwtAuth::from_loaded(&JwtConfig::load_with_report(&source).unwrap());
/// let token = auth.config().encode(&auth.config().access_claims("alice")).unwrap();
/// let app = Router::new()
///     .route("/me", get(|AccessToken(claims): AccessToken| async move { claims.sub }))
///     .with_state(AppState { auth: auth.clone() });
/// let request = Request::get("/me").header("authorization", format!("Bearer {token}"));
/// let response = app.oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
/// assert_eq!(response.status(), StatusCode::OK);
/// assert!(auth.refusals().is_empty());
/// # }
/// ```
#[derive(Clone)]
pub struct JwtAuth {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    config: Arc<JwtConfig>,
    pub(crate) fingerprint: Option<SettingsFingerprint>,
    pub(crate) options: Options,
    refusals: Mutex<BTreeMap<&'static str, u64>>,
    pub(crate) drift: DriftLog,
    /// Each route's own callers ([`RequireAuthLayer::service_only`]), for the health document.
    ///
    /// [`RequireAuthLayer::service_only`]: crate::RequireAuthLayer::service_only
    route_callers: Mutex<BTreeMap<String, Vec<String>>>,
}

/// What the builder methods choose.
#[derive(Clone, Default)]
pub(crate) struct Options {
    pub(crate) strict_drift: bool,
    replay_guard: Option<Guard>,
}

/// The replay guard, as it was given: one that answers at once, or one to await.
#[derive(Clone)]
pub(crate) enum Guard {
    /// A [`ReplayGuard`] (in memory): the layer and the extractors call it in place.
    Immediate(Arc<dyn ReplayGuard>),
    /// An [`AsyncReplayGuard`] (a store over the network): the extractors await it.
    Awaited(Arc<dyn AsyncReplayGuard>),
}

impl Inner {
    fn new(
        config: Arc<JwtConfig>,
        fingerprint: Option<SettingsFingerprint>,
        options: Options,
    ) -> Self {
        Inner {
            config,
            fingerprint,
            options,
            refusals: Mutex::new(BTreeMap::new()),
            drift: DriftLog::default(),
            route_callers: Mutex::new(BTreeMap::new()),
        }
    }
}

/// Who the service is and what it was built with; never a key or a secret.
impl fmt::Debug for JwtAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let config = self.config();
        f.debug_struct("JwtAuth")
            .field("service_id", &config.service_id())
            .field("environment", &config.environment().as_str())
            .field("fingerprint", &self.fingerprint())
            .field("strict_drift", &self.inner.options.strict_drift)
            .field("replay_guard", &self.inner.options.replay_guard.is_some())
            .finish_non_exhaustive()
    }
}

impl JwtAuth {
    /// Without a fingerprint: calls are verified, drift is not detected.
    ///
    /// ```
    /// # use jwt_config::{Config, JwtConfig, MapSource};
    /// use axum::{Router, body::Body, http::{Request, StatusCode}, routing::get};
    /// use jwt_config_axum::{JwtAuth, ServiceCaller};
    /// use tower::ServiceExt as _;
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # let source = MapSource::new().with("ENVIRONMENT", "development").with("SERVICE_ID", "backend")
    /// #     .with("JWT_SECRET_KEY", "doc-example-jwt-secret-0123456789abcdefgh")
    /// #     .with("SERVICE_SECRET", "doc-example-service-secret-0123456789abcd");
    /// let auth = JwtAuth::new(JwtConfig::from_source(&source).unwrap());
    /// assert_eq!(auth.fingerprint(), None);
    /// let app = Router::new()
    ///     .route("/sync", get(|ServiceCaller(caller): ServiceCaller| async move { caller }))
    ///     .with_state(auth);
    /// let response = app.oneshot(Request::get("/sync").body(Body::empty()).unwrap()).await.unwrap();
    /// assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    /// # }
    /// ```
    pub fn new(config: impl Into<Arc<JwtConfig>>) -> Self {
        JwtAuth::with_fingerprint(config, None)
    }

    /// From a load with its report (`JwtConfig` or a service's struct that flattens it): the
    /// JWT settings and their effective fingerprint with per-setting digests, which outgoing
    /// service tokens carry and incoming ones are compared with.
    ///
    /// Where the settings have no fingerprint (`JwtConfig` flattened twice, under two
    /// prefixes), a warning says that drift will not be seen; strict mode then refuses.
    ///
    /// ```
    /// # use jwt_config::{Config, JwtConfig, MapSource};
    /// use axum::{Router, body::Body, http::{Request, StatusCode}, routing::get};
    /// use jwt_config_axum::{JwtAuth, ServiceCaller};
    /// use tower::ServiceExt as _;
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # let settings = |id: &str| MapSource::new().with("ENVIRONMENT", "development").with("SERVICE_ID", id)
    /// #     .with("JWT_SECRET_KEY", "doc-example-jwt-secret-0123456789abcdefgh")
    /// #     .with("SERVICE_SECRET", "doc-example-service-secret-0123456789abcd");
    /// let backend = JwtAuth::from_loaded(&JwtConfig::load_with_report(&settings("backend")).unwrap());
    /// let caller = JwtAuth::from_loaded(&JwtConfig::load_with_report(&settings("auth")).unwrap());
    /// assert_eq!(backend.fingerprint(), caller.fingerprint());
    /// let app = Router::new()
    ///     .route("/sync", get(|ServiceCaller(caller): ServiceCaller| async move { caller }))
    ///     .with_state(backend.clone());
    /// let mut request = Request::get("/sync").body(Body::empty()).unwrap();
    /// request.headers_mut().extend(caller.service_headers("backend").unwrap());
    /// let response = app.oneshot(request).await.unwrap();
    /// assert_eq!(response.status(), StatusCode::OK);
    /// assert_eq!(backend.drift_events(), 0);
    /// # }
    /// ```
    pub fn from_loaded<T: Config + HasJwtConfig>(loaded: &Loaded<T>) -> Self {
        let fingerprint = loaded.settings_fingerprint_of::<JwtConfig>();
        if fingerprint.is_none() {
            tracing::warn!(
                "the shared JWT settings have no fingerprint (is JwtConfig flattened more than once?): drift between services will not be seen"
            );
        }
        JwtAuth::with_fingerprint(loaded.value.jwt_config().clone(), fingerprint)
    }

    /// With a fingerprint of the shared settings computed elsewhere
    /// (`Loaded::settings_fingerprint_of::<JwtConfig>()`).
    ///
    /// ```
    /// # use jwt_config::{Config, JwtConfig, MapSource};
    /// use axum::{Router, body::Body, http::{Request, StatusCode}, routing::get};
    /// use jwt_config_axum::{JwtAuth, ServiceCaller};
    /// use tower::ServiceExt as _;
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # let source = MapSource::new().with("ENVIRONMENT", "development").with("SERVICE_ID", "backend")
    /// #     .with("JWT_SECRET_KEY", "doc-example-jwt-secret-0123456789abcdefgh")
    /// #     .with("SERVICE_SECRET", "doc-example-service-secret-0123456789abcd");
    /// let loaded = JwtConfig::load_with_report(&source).unwrap();
    /// let fingerprint = loaded.settings_fingerprint_of::<JwtConfig>();
    /// let auth = JwtAuth::with_fingerprint(loaded.value, fingerprint).strict_drift();
    /// let app = Router::new()
    ///     .route("/sync", get(|ServiceCaller(caller): ServiceCaller| async move { caller }))
    ///     .with_state(auth.clone());
    /// let mut request = Request::get("/sync").body(Body::empty()).unwrap();
    /// request.headers_mut().extend(auth.service_headers("backend").unwrap());
    /// let response = app.oneshot(request).await.unwrap();
    /// assert_eq!(response.status(), StatusCode::OK);
    /// # }
    /// ```
    pub fn with_fingerprint(
        config: impl Into<Arc<JwtConfig>>,
        fingerprint: Option<SettingsFingerprint>,
    ) -> Self {
        let auth = JwtAuth {
            inner: Arc::new(Inner::new(config.into(), fingerprint, Options::default())),
        };
        let config = auth.config();
        let schema = jwt_config::schema_fingerprint_of::<JwtConfig>();
        crate::telemetry::info(config.service_id(), schema, auth.fingerprint());
        crate::telemetry::start(false, config.service_allowed_callers());
        auth
    }

    /// Each service token is accepted once: its `jti` is recorded in `guard` (a
    /// [`MemoryReplayGuard`](jwt_config::service_auth::MemoryReplayGuard) for one instance,
    /// a shared store for several), and a token without one, or seen before, is refused
    /// (401 `missing_token_id`, `replayed`); a guard too full to record it refuses too (503
    /// `replay_guard_full`, for the caller to retry), never accepts unrecorded.
    ///
    /// Call it while building the state: the result counts from zero.
    ///
    /// ```
    /// # use jwt_config::{Config, JwtConfig, MapSource};
    /// use axum::{Router, body::Body, http::{Request, StatusCode}, routing::get};
    /// use jwt_config::service_auth::MemoryReplayGuard;
    /// use jwt_config_axum::{JwtAuth, ServiceCaller};
    /// use tower::ServiceExt as _;
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # let source = MapSource::new().with("ENVIRONMENT", "development").with("SERVICE_ID", "backend")
    /// #     .with("JWT_SECRET_KEY", "doc-example-jwt-secret-0123456789abcdefgh")
    /// #     .with("SERVICE_SECRET", "doc-example-service-secret-0123456789abcd");
    /// let loaded = JwtConfig::load_with_report(&source).unwrap();
    /// let auth = JwtAuth::from_loaded(&loaded).replay_guard(MemoryReplayGuard::new(1024));
    /// let app = Router::new()
    ///     .route("/sync", get(|ServiceCaller(caller): ServiceCaller| async move { caller }))
    ///     .with_state(auth.clone());
    /// let headers = auth.service_headers("backend").unwrap();
    /// for expected in [StatusCode::OK, StatusCode::UNAUTHORIZED] {
    ///     let mut request = Request::get("/sync").body(Body::empty()).unwrap();
    ///     request.headers_mut().extend(headers.clone());
    ///     let response = app.clone().oneshot(request).await.unwrap();
    ///     assert_eq!(response.status(), expected);
    /// }
    /// assert_eq!(auth.refusals()["replayed"], 1);
    /// # }
    /// ```
    pub fn replay_guard(self, guard: impl ReplayGuard + 'static) -> Self {
        let guard = Guard::Immediate(Arc::new(guard));
        self.with_options(|options| options.replay_guard = Some(guard))
    }

    /// [`JwtAuth::replay_guard`] with a guard to await, shared by every replica of the
    /// service (`jwt_config_redis::RedisReplayGuard`): the [`ServiceCaller`] and
    /// [`AnyCaller`] extractors await it and never block a runtime thread. A guard whose store
    /// does not answer in time refuses the call (503 `replay_guard_unavailable`, logged and
    /// counted like every refusal), never accepts it unrecorded.
    ///
    /// [`RequireAuthLayer::service`](crate::RequireAuthLayer::service) awaits it too (its
    /// response future is then boxed).
    ///
    /// [`ServiceCaller`]: crate::ServiceCaller
    /// [`AnyCaller`]: crate::AnyCaller
    ///
    /// ```
    /// # use jwt_config::{Config, JwtConfig, MapSource};
    /// use axum::{Router, body::Body, http::{Request, StatusCode}, routing::get};
    /// use jwt_config::service_auth::{AsyncReplayGuard, FirstUse, FirstUseFuture, TokenUse};
    /// use jwt_config_axum::{JwtAuth, ServiceCaller};
    /// use tower::ServiceExt as _;
    ///
    /// /// A guard whose store is down.
    /// struct Down;
    /// impl AsyncReplayGuard for Down {
    ///     fn first_use_async<'a>(&'a self, _: &'a TokenUse<'_>) -> FirstUseFuture<'a> {
    ///         Box::pin(async { FirstUse::Unavailable })
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # let source = MapSource::new().with("ENVIRONMENT", "development").with("SERVICE_ID", "backend")
    /// #     .with("JWT_SECRET_KEY", "doc-example-jwt-secret-0123456789abcdefgh")
    /// #     .with("SERVICE_SECRET", "doc-example-service-secret-0123456789abcd");
    /// let loaded = JwtConfig::load_with_report(&source).unwrap();
    /// let auth = JwtAuth::from_loaded(&loaded).async_replay_guard(Down);
    /// let app = Router::new()
    ///     .route("/sync", get(|ServiceCaller(caller): ServiceCaller| async move { caller }))
    ///     .with_state(auth.clone());
    /// let mut request = Request::get("/sync").body(Body::empty()).unwrap();
    /// request.headers_mut().extend(auth.service_headers("backend").unwrap());
    /// let response = app.oneshot(request).await.unwrap();
    /// assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    /// assert_eq!(auth.refusals()["replay_guard_unavailable"], 1);
    /// # }
    /// ```
    pub fn async_replay_guard(self, guard: impl AsyncReplayGuard + 'static) -> Self {
        let guard = Guard::Awaited(Arc::new(guard));
        self.with_options(|options| options.replay_guard = Some(guard))
    }

    pub(crate) fn with_options(self, choose: impl FnOnce(&mut Options)) -> Self {
        let mut options = self.inner.options.clone();
        choose(&mut options);
        let (config, fingerprint) = (self.inner.config.clone(), self.inner.fingerprint.clone());
        let inner = Inner::new(config, fingerprint, options);
        // Routes already given their callers stay listed.
        *inner
            .route_callers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = self.route_callers();
        crate::telemetry::start(inner.options.replay_guard.is_some(), None);
        JwtAuth {
            inner: Arc::new(inner),
        }
    }

    /// Records a route's own callers, as the health document lists them.
    pub(crate) fn register_route(&self, only: &RouteCallers) {
        let mut routes = self
            .inner
            .route_callers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        routes.insert(only.route.clone(), only.callers.clone());
    }

    /// Each route's own callers.
    pub(crate) fn route_callers(&self) -> BTreeMap<String, Vec<String>> {
        self.inner
            .route_callers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// The replay guard, when calls are accepted once.
    pub(crate) fn guard(&self) -> Option<&Guard> {
        self.inner.options.replay_guard.as_ref()
    }

    /// True for clones of one `JwtAuth`: what one verified, the other accepts.
    pub(crate) fn is(&self, other: &JwtAuth) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// The JWT settings.
    ///
    /// ```
    /// # use jwt_config::{Config, JwtConfig, MapSource};
    /// use axum::{Router, body::Body, http::{Request, StatusCode}, routing::get};
    /// use jwt_config_axum::{AccessToken, JwtAuth};
    /// use tower::ServiceExt as _;
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # let settings = |id: &str| MapSource::new().with("ENVIRONMENT", "development").with("SERVICE_ID", id)
    /// #     .with("JWT_SECRET_KEY", "doc-example-jwt-secret-0123456789abcdefgh")
    /// #     .with("SERVICE_SECRET", "doc-example-service-secret-0123456789abcd");
    /// let auth = JwtAuth::from_loaded(&JwtConfig::load_with_report(&settings("backend")).unwrap());
    /// // Tokens issued with the same settings verify.
    /// let token = auth.config().encode(&auth.config().access_claims("alice")).unwrap();
    /// let app = Router::new()
    ///     .route("/me", get(|AccessToken(claims): AccessToken| async move { claims.sub }))
    ///     .with_state(auth);
    /// let request = Request::get("/me").header("authorization", format!("Bearer {token}"));
    /// let response = app.oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
    /// assert_eq!(response.status(), StatusCode::OK);
    /// # }
    /// ```
    pub fn config(&self) -> &JwtConfig {
        &self.inner.config
    }

    /// This service's effective fingerprint of the shared settings, when known.
    ///
    /// ```
    /// # use jwt_config::{Config, JwtConfig, MapSource};
    /// use axum::{Router, body::Body, http::{Request, StatusCode}, routing::get};
    /// use jwt_config_axum::{JwtAuth, ServiceCaller};
    /// use tower::ServiceExt as _;
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # let settings = |id: &str| MapSource::new().with("ENVIRONMENT", "development").with("SERVICE_ID", id)
    /// #     .with("JWT_SECRET_KEY", "doc-example-jwt-secret-0123456789abcdefgh")
    /// #     .with("SERVICE_SECRET", "doc-example-service-secret-0123456789abcd");
    /// let backend = JwtAuth::from_loaded(&JwtConfig::load_with_report(&settings("backend")).unwrap());
    /// let other = settings("auth").with("JWT_LEEWAY_SECONDS", "5");
    /// let caller = JwtAuth::from_loaded(&JwtConfig::load_with_report(&other).unwrap());
    /// assert_ne!(caller.fingerprint(), backend.fingerprint());
    /// let app = Router::new()
    ///     .route("/sync", get(|ServiceCaller(caller): ServiceCaller| async move { caller }))
    ///     .with_state(backend.strict_drift());
    /// let mut request = Request::get("/sync").body(Body::empty()).unwrap();
    /// request.headers_mut().extend(caller.service_headers("backend").unwrap());
    /// let response = app.oneshot(request).await.unwrap();
    /// assert_eq!(response.status(), StatusCode::FORBIDDEN);
    /// # }
    /// ```
    pub fn fingerprint(&self) -> Option<&str> {
        self.inner
            .fingerprint
            .as_ref()
            .map(SettingsFingerprint::fingerprint)
    }

    /// Headers for a call to `target_service` (attach them to a reqwest or hyper request);
    /// the token carries this service's fingerprint, so the receiver sees drift at once.
    ///
    /// ```
    /// # use jwt_config::{Config, JwtConfig, MapSource};
    /// use axum::{Router, body::Body, http::{Request, StatusCode}, routing::get};
    /// use jwt_config_axum::{JwtAuth, ServiceCaller};
    /// use tower::ServiceExt as _;
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # let settings = |id: &str| MapSource::new().with("ENVIRONMENT", "development").with("SERVICE_ID", id)
    /// #     .with("JWT_SECRET_KEY", "doc-example-jwt-secret-0123456789abcdefgh")
    /// #     .with("SERVICE_SECRET", "doc-example-service-secret-0123456789abcd");
    /// let backend = JwtAuth::from_loaded(&JwtConfig::load_with_report(&settings("backend")).unwrap());
    /// let caller = JwtAuth::from_loaded(&JwtConfig::load_with_report(&settings("auth")).unwrap());
    /// let app = Router::new()
    ///     .route("/sync", get(|ServiceCaller(caller): ServiceCaller| async move { caller }))
    ///     .with_state(backend);
    /// let mut request = Request::get("/sync").body(Body::empty()).unwrap();
    /// request.headers_mut().extend(caller.service_headers("backend").unwrap());
    /// let response = app.oneshot(request).await.unwrap();
    /// assert_eq!(response.status(), StatusCode::OK);
    /// # }
    /// ```
    pub fn service_headers(&self, target_service: &str) -> Result<HeaderMap, ServiceAuthError> {
        match &self.inner.fingerprint {
            Some(fingerprint) => self
                .config()
                .service_headers_with_fingerprint(target_service, fingerprint),
            None => self.config().service_headers(target_service),
        }
    }

    /// How many requests were refused, by reason ([`RefusalReason::as_str`]:
    /// `missing_token`, `expired`, `caller_not_allowed`, ...): for the service's metrics.
    ///
    /// [`RefusalReason::as_str`]: crate::RefusalReason::as_str
    ///
    /// ```
    /// # use jwt_config::{Config, JwtConfig, MapSource};
    /// use axum::{Router, body::Body, http::{Request, StatusCode}, routing::get};
    /// use jwt_config_axum::{AccessToken, JwtAuth};
    /// use tower::ServiceExt as _;
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # let settings = |id: &str| MapSource::new().with("ENVIRONMENT", "development").with("SERVICE_ID", id)
    /// #     .with("JWT_SECRET_KEY", "doc-example-jwt-secret-0123456789abcdefgh")
    /// #     .with("SERVICE_SECRET", "doc-example-service-secret-0123456789abcd");
    /// let auth = JwtAuth::from_loaded(&JwtConfig::load_with_report(&settings("backend")).unwrap());
    /// let app = Router::new()
    ///     .route("/me", get(|AccessToken(claims): AccessToken| async move { claims.sub }))
    ///     .with_state(auth.clone());
    /// let request = Request::get("/me").header("authorization", "Bearer a.b.c");
    /// let response = app.oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
    /// assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    /// assert_eq!(auth.refusals().values().sum::<u64>(), 1);
    /// # }
    /// ```
    pub fn refusals(&self) -> BTreeMap<String, u64> {
        let counts = self
            .inner
            .refusals
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        counts.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
    }

    pub(crate) fn count_refusal(&self, reason: &'static str) {
        let mut counts = self
            .inner
            .refusals
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        *counts.entry(reason).or_default() += 1;
    }
}
