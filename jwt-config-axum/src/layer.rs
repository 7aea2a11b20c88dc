//! A tower layer for whole routers, after tower-http's `ValidateRequestHeader`: requires a
//! user's access token or a service call before the inner service runs, and puts the claims
//! (of the caller's type, [`AccessClaims`] by default) or the
//! [`Caller`](jwt_config::service_auth::Caller) in the request's
//! extensions. Generic over the request and response bodies; no box per request, but for a
//! service call whose replay guard is awaited (a store over the network).

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::Bytes;
use axum::http::{Request, Response};
use jwt_config::AccessClaims;
use jwt_config::service_auth::{Caller, shown};
use pin_project_lite::pin_project;
use serde::de::DeserializeOwned;
use tower_layer::Layer;
use tower_service::Service;

use crate::extract::{VerifiedByLayer, VerifiedUser, route_of, verified_caller};
use crate::state::Guard;
use crate::{JwtAuth, Refusal};

/// What the layer requires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Requirement {
    User,
    Service,
}

/// `router.route_layer(RequireAuthLayer::user(auth))`, `RequireAuthLayer::service(auth)`,
/// or `RequireAuthLayer::user_with::<MyClaims>(auth)` for claims of the service's own type.
///
/// `route_layer`, not `layer`: the requirement then applies to the router's routes only, so a
/// path that matches none stays 404 (with `layer` it would be 401, and the log would carry the
/// raw path instead of the route).
///
/// An extractor on a route behind the layer takes what the layer verified ([`AccessToken`]
/// of the same claims type, [`ServiceCaller`], [`AnyCaller`]) when its state holds the same
/// `JwtAuth` (a clone of it): a token is decoded, and recorded in a replay guard, once.
///
/// [`AccessToken`]: crate::AccessToken
/// [`ServiceCaller`]: crate::ServiceCaller
/// [`AnyCaller`]: crate::AnyCaller
///
/// ```
/// # use jwt_config::{Config, JwtConfig, MapSource};
/// use axum::{Extension, Router, body::Body, http::{Request, StatusCode}, routing::get};
/// use jwt_config::AccessClaims;
/// use jwt_config_axum::{JwtAuth, RequireAuthLayer};
/// use tower::ServiceExt as _;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// # let source = MapSource::new().with("ENVIRONMENT", "development").with("SERVICE_ID", "backend")
/// #     .with("JWT_SECRET_KEY", "doc-example-jwt-secret-0123456789abcdefgh");
/// let auth = JwtAuth::from_loaded(&JwtConfig::load_with_report(&source).unwrap());
/// async fn profile(Extension(claims): Extension<AccessClaims>) -> String {
///     claims.sub
/// }
/// let app = Router::new()
///     .route("/profile", get(profile))
///     .route_layer(RequireAuthLayer::user(auth.clone()));
/// let response = app.clone().oneshot(Request::get("/profile").body(Body::empty()).unwrap());
/// assert_eq!(response.await.unwrap().status(), StatusCode::UNAUTHORIZED);
/// let response = app.oneshot(Request::get("/elsewhere").body(Body::empty()).unwrap());
/// assert_eq!(response.await.unwrap().status(), StatusCode::NOT_FOUND);
/// # }
/// ```
pub struct RequireAuthLayer<C = AccessClaims> {
    auth: JwtAuth,
    requirement: Requirement,
    /// A route's own callers, narrower than `SERVICE_ALLOWED_CALLERS`.
    route_callers: Option<Arc<RouteCallers>>,
    claims: PhantomData<fn() -> C>,
}

/// The callers one route accepts, as [`RequireAuthLayer::service_only`] names them.
#[derive(Debug)]
pub(crate) struct RouteCallers {
    pub(crate) route: String,
    pub(crate) callers: Vec<String>,
}

impl RequireAuthLayer {
    /// Every request needs a valid access token; its [`AccessClaims`] go into the extensions.
    ///
    /// ```
    /// # use jwt_config::{Config, JwtConfig, MapSource};
    /// use axum::{Extension, Router, body::Body, http::{Request, StatusCode}, routing::get};
    /// use jwt_config::AccessClaims;
    /// use jwt_config_axum::{JwtAuth, RequireAuthLayer};
    /// use tower::ServiceExt as _;
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # let source = MapSource::new().with("ENVIRONMENT", "development").with("SERVICE_ID", "backend")
    /// #     .with("JWT_SECRET_KEY", "doc-example-jwt-secret-0123456789abcdefgh");
    /// let auth = JwtAuth::from_loaded(&JwtConfig::load_with_report(&source).unwrap());
    /// let token = auth.config().encode(&auth.config().access_claims("alice")).unwrap();
    /// let app = Router::new()
    ///     .route("/profile", get(|Extension(c): Extension<AccessClaims>| async move { c.sub }))
    ///     .route_layer(RequireAuthLayer::user(auth));
    /// let request = Request::get("/profile").header("authorization", format!("Bearer {token}"));
    /// let response = app.oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
    /// assert_eq!(response.status(), StatusCode::OK);
    /// # }
    /// ```
    pub fn user(auth: JwtAuth) -> Self {
        RequireAuthLayer::user_with::<AccessClaims>(auth)
    }

    /// Every request needs a valid access token whose claims decode as `C` (the service's
    /// own claims type); they go into the extensions.
    ///
    /// ```
    /// # use jwt_config::{Config, JwtConfig, MapSource};
    /// use axum::{Extension, Router, body::Body, http::{Request, StatusCode}, routing::get};
    /// use jwt_config_axum::{JwtAuth, RequireAuthLayer};
    ///
    /// #[derive(Clone, serde::Deserialize)]
    /// struct Claims {
    ///     sub: String,
    ///     scope: String,
    /// }
    /// # use tower::ServiceExt as _;
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # let source = MapSource::new().with("ENVIRONMENT", "development").with("SERVICE_ID", "backend")
    /// #     .with("JWT_SECRET_KEY", "doc-example-jwt-secret-0123456789abcdefgh");
    /// let auth = JwtAuth::from_loaded(&JwtConfig::load_with_report(&source).unwrap());
    /// // An access token without the `scope` claim does not decode as `Claims`.
    /// let token = auth.config().encode(&auth.config().access_claims("alice")).unwrap();
    /// let app = Router::new()
    ///     .route("/admin", get(|Extension(c): Extension<Claims>| async move { c.scope }))
    ///     .route_layer(RequireAuthLayer::user_with::<Claims>(auth));
    /// let request = Request::get("/admin").header("authorization", format!("Bearer {token}"));
    /// let response = app.oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
    /// assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    /// # }
    /// ```
    pub fn user_with<C>(auth: JwtAuth) -> RequireAuthLayer<C> {
        RequireAuthLayer {
            auth,
            requirement: Requirement::User,
            route_callers: None,
            claims: PhantomData,
        }
    }

    /// Every request must be an authenticated service call; its
    /// [`Caller`](jwt_config::service_auth::Caller) goes into the extensions.
    ///
    /// ```
    /// # use jwt_config::{Config, JwtConfig, MapSource};
    /// use axum::{Extension, Router, body::Body, http::{Request, StatusCode}, routing::get};
    /// use jwt_config::service_auth::Caller;
    /// use jwt_config_axum::{JwtAuth, RequireAuthLayer};
    /// use tower::ServiceExt as _;
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # let settings = |id: &str| MapSource::new().with("ENVIRONMENT", "development").with("SERVICE_ID", id)
    /// #     .with("JWT_SECRET_KEY", "doc-example-jwt-secret-0123456789abcdefgh")
    /// #     .with("SERVICE_SECRET", "doc-example-service-secret-0123456789abcd");
    /// let backend = JwtAuth::from_loaded(&JwtConfig::load_with_report(&settings("backend")).unwrap());
    /// let caller = JwtAuth::from_loaded(&JwtConfig::load_with_report(&settings("auth")).unwrap());
    /// let app = Router::new()
    ///     .route("/internal", get(|Extension(c): Extension<Caller>| async move { format!("{c:?}") }))
    ///     .route_layer(RequireAuthLayer::service(backend));
    /// let mut request = Request::get("/internal").body(Body::empty()).unwrap();
    /// request.headers_mut().extend(caller.service_headers("backend").unwrap());
    /// let response = app.clone().oneshot(request).await.unwrap();
    /// assert_eq!(response.status(), StatusCode::OK);
    /// let response = app.oneshot(Request::get("/internal").body(Body::empty()).unwrap());
    /// assert_eq!(response.await.unwrap().status(), StatusCode::UNAUTHORIZED);
    /// # }
    /// ```
    pub fn service(auth: JwtAuth) -> Self {
        RequireAuthLayer {
            auth,
            requirement: Requirement::Service,
            route_callers: None,
            claims: PhantomData,
        }
    }

    /// [`RequireAuthLayer::service`] for a route that only some callers may use, fewer than
    /// `SERVICE_ALLOWED_CALLERS` allows (a caller must be in both): any other authenticated
    /// service is refused with 403 `caller_not_allowed`, naming the route and its callers. The
    /// health document lists the route under `route_callers` with `route` as its name (the
    /// route's pattern, as given to `Router::route`). An empty list refuses every caller.
    ///
    /// With the shared `SERVICE_SECRET`, a caller's id is what its token claims: any holder of
    /// the secret can claim a listed id (a warning at construction says so). The list is an
    /// authorization boundary with per-service keys (`SERVICE_PRIVATE_KEY`).
    ///
    /// ```
    /// # use jwt_config::{Config, JwtConfig, MapSource};
    /// use axum::{Router, body::Body, http::{Request, StatusCode}, routing::post};
    /// use jwt_config_axum::{JwtAuth, RequireAuthLayer};
    /// use tower::ServiceExt as _;
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # let settings = |id: &str| MapSource::new().with("ENVIRONMENT", "development").with("SERVICE_ID", id)
    /// #     .with("JWT_SECRET_KEY", "doc-example-jwt-secret-0123456789abcdefgh")
    /// #     .with("SERVICE_SECRET", "doc-example-service-secret-0123456789abcd")
    /// #     .with("SERVICE_ALLOWED_CALLERS", "auth,billing");
    /// let backend = JwtAuth::from_loaded(&JwtConfig::load_with_report(&settings("backend")).unwrap());
    /// let app = Router::new()
    ///     .route("/internal/sync", post(|| async { "synced" }))
    ///     .route_layer(RequireAuthLayer::service_only(backend.clone(), "/internal/sync", ["auth"]));
    /// for (caller, expected) in [("auth", StatusCode::OK), ("billing", StatusCode::FORBIDDEN)] {
    ///     let caller = JwtAuth::from_loaded(&JwtConfig::load_with_report(&settings(caller)).unwrap());
    ///     let mut request = Request::post("/internal/sync").body(Body::empty()).unwrap();
    ///     request.headers_mut().extend(caller.service_headers("backend").unwrap());
    ///     assert_eq!(app.clone().oneshot(request).await.unwrap().status(), expected);
    /// }
    /// assert_eq!(backend.health().route_callers["/internal/sync"], ["auth"]);
    /// # }
    /// ```
    pub fn service_only<I>(auth: JwtAuth, route: &str, callers: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        let callers: Vec<String> = callers.into_iter().map(Into::into).collect();
        let shared_secret = auth
            .config()
            .service_call_keys()
            .iter()
            .any(|key| key.verifies && key.key_type == "hmac");
        if shared_secret {
            tracing::warn!(
                route,
                "this service accepts calls signed with a shared SERVICE_SECRET: any holder of it can claim to be a listed caller; the route's list is an authorization boundary only with per-service keys (SERVICE_PRIVATE_KEY)"
            );
        }
        for caller in &callers {
            if !auth.config().allowed_callers().allows(caller) {
                tracing::warn!(
                    route,
                    caller = caller.as_str(),
                    "the route allows a caller that SERVICE_ALLOWED_CALLERS does not: its calls are refused"
                );
            }
        }
        let route_callers = Arc::new(RouteCallers {
            route: route.to_owned(),
            callers,
        });
        auth.register_route(&route_callers);
        RequireAuthLayer {
            route_callers: Some(route_callers),
            ..RequireAuthLayer::service(auth)
        }
    }
}

impl<C> Clone for RequireAuthLayer<C> {
    fn clone(&self) -> Self {
        RequireAuthLayer {
            auth: self.auth.clone(),
            requirement: self.requirement,
            route_callers: self.route_callers.clone(),
            claims: PhantomData,
        }
    }
}

impl<C> fmt::Debug for RequireAuthLayer<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("RequireAuthLayer");
        debug.field("auth", &self.auth);
        match self.requirement {
            Requirement::User => debug.field("user", &std::any::type_name::<C>()),
            Requirement::Service => debug.field("service", &true),
        };
        if let Some(only) = &self.route_callers {
            debug.field("route_callers", &only.callers);
        }
        debug.finish()
    }
}

impl<S, C> Layer<S> for RequireAuthLayer<C> {
    type Service = RequireAuth<S, C>;

    fn layer(&self, inner: S) -> Self::Service {
        RequireAuth {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service [`RequireAuthLayer`] wraps around a router or handler: a request that passes
/// goes to `S` with the claims or the caller in its extensions; one that does not is answered
/// with the [`Refusal`](crate::Refusal) and never reaches `S`.
///
/// ```
/// # use jwt_config::{Config, JwtConfig, MapSource};
/// use axum::{body::Body, http::{Request, Response, StatusCode}};
/// use jwt_config_axum::{JwtAuth, RequireAuth, RequireAuthLayer};
/// use tower::{Layer as _, ServiceExt as _, service_fn};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// # let source = MapSource::new().with("ENVIRONMENT", "development").with("SERVICE_ID", "backend")
/// #     .with("JWT_SECRET_KEY", "doc-example-jwt-secret-0123456789abcdefgh");
/// let auth = JwtAuth::from_loaded(&JwtConfig::load_with_report(&source).unwrap());
/// // Any tower service of `http` requests, whatever its request body.
/// let inner = service_fn(|_: Request<String>| async {
///     Ok::<_, std::convert::Infallible>(Response::new(Body::from("hello")))
/// });
/// let service: RequireAuth<_> = RequireAuthLayer::user(auth).layer(inner);
/// let response = service.oneshot(Request::new(String::new())).await.unwrap();
/// assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
/// # }
/// ```
pub struct RequireAuth<S, C = AccessClaims> {
    inner: S,
    layer: RequireAuthLayer<C>,
}

impl<S: Clone, C> Clone for RequireAuth<S, C> {
    fn clone(&self) -> Self {
        RequireAuth {
            inner: self.inner.clone(),
            layer: self.layer.clone(),
        }
    }
}

impl<S: fmt::Debug, C> fmt::Debug for RequireAuth<S, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequireAuth")
            .field("inner", &self.inner)
            .field("layer", &self.layer)
            .finish()
    }
}

impl<S, C> RequireAuth<S, C>
where
    C: DeserializeOwned + Clone + Send + Sync + 'static,
{
    /// Verifies the request and puts what it verified in its extensions; the refusal
    /// otherwise.
    fn verify<B>(&self, request: &mut Request<B>) -> Result<(), crate::Refusal> {
        let auth = &self.layer.auth;
        let route = route_of(request.extensions(), request.uri());
        match self.layer.requirement {
            Requirement::User => {
                let claims = auth.required_user::<C>(request.headers(), &route)?;
                let extensions = request.extensions_mut();
                extensions.insert(VerifiedUser::new(auth, claims.clone()));
                extensions.insert(claims);
            }
            Requirement::Service => {
                // Under another layer of the same settings (stacked), the call was verified
                // and recorded already; this layer's route list still applies.
                if let Some(caller) = verified_caller(request.extensions(), auth)
                    && let Caller::Service(_) = caller
                {
                    return self.layer.route_allows(caller, &route);
                }
                let caller = auth.caller_in_place(request.headers(), &route, false)?;
                self.layer.route_allows(&caller, &route)?;
                auth.accepted(&caller);
                let extensions = request.extensions_mut();
                extensions.insert(VerifiedByLayer::new(auth, caller.clone()));
                extensions.insert(caller);
            }
        }
        Ok(())
    }

    /// Whether the call must await the replay guard (a store over the network): then it is
    /// verified in the response future, never by blocking in `call`.
    fn awaits_guard<B>(&self, request: &Request<B>) -> bool {
        let auth = &self.layer.auth;
        self.layer.requirement == Requirement::Service
            && matches!(auth.guard(), Some(Guard::Awaited(_)))
            && !matches!(
                verified_caller(request.extensions(), auth),
                Some(Caller::Service(_))
            )
    }
}

impl<C> RequireAuthLayer<C> {
    /// The route's own callers, where it has them: a caller outside them is refused (403).
    fn route_allows(&self, caller: &Caller, route: &str) -> Result<(), Refusal> {
        let Some(only) = &self.route_callers else {
            return Ok(());
        };
        let name = match caller {
            Caller::Service(name) if only.callers.iter().any(|allowed| allowed == name) => {
                return Ok(());
            }
            Caller::Service(name) => name.as_str(),
            // Anything but an authenticated service the list names is refused.
            _ => "(unauthenticated)",
        };
        let refusal = Refusal::route_caller_not_allowed(name, &only.route, &only.callers);
        Err(self.auth.refused(refusal, route, Some(&shown(name))))
    }

    /// The service call verified by awaiting the replay guard, then the inner service.
    async fn verify_then_call<S, B, ResBody>(
        self,
        mut inner: S,
        mut request: Request<B>,
    ) -> Result<Response<ResBody>, S::Error>
    where
        S: Service<Request<B>, Response = Response<ResBody>>,
        ResBody: From<Bytes>,
    {
        let route = route_of(request.extensions(), request.uri()).into_owned();
        let verified = self.auth.caller(request.headers(), &route, false).await;
        let caller = match verified.and_then(|caller| {
            self.route_allows(&caller, &route)?;
            self.auth.accepted(&caller);
            Ok(caller)
        }) {
            Ok(caller) => caller,
            Err(refusal) => return Ok(refusal.into_http()),
        };
        let extensions = request.extensions_mut();
        extensions.insert(VerifiedByLayer::new(&self.auth, caller.clone()));
        extensions.insert(caller);
        inner.call(request).await
    }
}

impl<S, C, B, ResBody> Service<Request<B>> for RequireAuth<S, C>
where
    S: Service<Request<B>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send,
    C: DeserializeOwned + Clone + Send + Sync + 'static,
    B: Send + 'static,
    ResBody: From<Bytes> + Send + 'static,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = RequireAuthFuture<S::Future, ResBody, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        if self.awaits_guard(&request) {
            // The service that was polled ready goes into the future; a clone stays.
            let ready = self.inner.clone();
            let inner = std::mem::replace(&mut self.inner, ready);
            let future = self.layer.clone().verify_then_call(inner, request);
            return RequireAuthFuture {
                state: State::Awaiting {
                    future: Box::pin(future),
                },
            };
        }
        let state = match self.verify(&mut request) {
            Ok(()) => State::Inner {
                future: self.inner.call(request),
            },
            Err(refusal) => State::Refused {
                response: Some(refusal.into_http()),
            },
        };
        RequireAuthFuture { state }
    }
}

pin_project! {
    /// The response future of [`RequireAuth`]: the inner service's, or the refusal, ready at
    /// once.
    ///
    /// ```
    /// # use jwt_config::{Config, JwtConfig, MapSource};
    /// use axum::{body::Body, http::{Request, Response, StatusCode}};
    /// use jwt_config_axum::{JwtAuth, RequireAuthFuture, RequireAuthLayer};
    /// use tower::{Layer as _, Service, ServiceExt as _, service_fn};
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # let source = MapSource::new().with("ENVIRONMENT", "development").with("SERVICE_ID", "backend")
    /// #     .with("JWT_SECRET_KEY", "doc-example-jwt-secret-0123456789abcdefgh");
    /// let auth = JwtAuth::from_loaded(&JwtConfig::load_with_report(&source).unwrap());
    /// let inner = service_fn(|_: Request<Body>| async {
    ///     Ok::<_, std::convert::Infallible>(Response::new(Body::from("hello")))
    /// });
    /// let mut service = RequireAuthLayer::user(auth).layer(inner);
    /// let ready = service.ready().await.unwrap();
    /// let future: RequireAuthFuture<_, Body> = ready.call(Request::new(Body::empty()));
    /// assert_eq!(future.await.unwrap().status(), StatusCode::UNAUTHORIZED);
    /// # }
    /// ```
    pub struct RequireAuthFuture<F, ResBody, E = std::convert::Infallible> {
        #[pin]
        state: State<F, ResBody, E>,
    }
}

/// A service call whose replay guard is awaited, then the inner service: boxed, the one
/// case with a box per request.
type Awaiting<ResBody, E> = Pin<Box<dyn Future<Output = Result<Response<ResBody>, E>> + Send>>;

pin_project! {
    #[project = StateProjection]
    enum State<F, ResBody, E> {
        Inner {
            #[pin]
            future: F,
        },
        Refused {
            response: Option<Response<ResBody>>,
        },
        Awaiting {
            future: Awaiting<ResBody, E>,
        },
    }
}

impl<F, ResBody, E> Future for RequireAuthFuture<F, ResBody, E>
where
    F: Future<Output = Result<Response<ResBody>, E>>,
{
    type Output = Result<Response<ResBody>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().state.project() {
            StateProjection::Inner { future } => future.poll(cx),
            StateProjection::Refused { response } => {
                Poll::Ready(Ok(response.take().expect("polled after completion")))
            }
            StateProjection::Awaiting { future } => future.as_mut().poll(cx),
        }
    }
}

impl<F, ResBody, E> fmt::Debug for RequireAuthFuture<F, ResBody, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            State::Inner { .. } => "inner",
            State::Refused { .. } => "refused",
            State::Awaiting { .. } => "awaiting the replay guard",
        };
        f.debug_struct("RequireAuthFuture")
            .field("state", &state)
            .finish()
    }
}
