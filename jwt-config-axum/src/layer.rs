//! A tower layer for whole routers, after tower-http's `ValidateRequestHeader`: requires a
//! user's access token or a service call before the inner service runs, and puts the claims
//! (of the caller's type, [`AccessClaims`] by default) or the
//! [`Caller`](jwt_config::service_auth::Caller) in the request's
//! extensions. Generic over the request and response bodies; no box per request.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::Bytes;
use axum::http::{Request, Response};
use jwt_config::AccessClaims;
use pin_project_lite::pin_project;
use serde::de::DeserializeOwned;
use tower_layer::Layer;
use tower_service::Service;

use crate::JwtAuth;
use crate::extract::{VerifiedByLayer, VerifiedUser, route_of, verified_caller};

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
    claims: PhantomData<fn() -> C>,
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
            claims: PhantomData,
        }
    }
}

impl<C> Clone for RequireAuthLayer<C> {
    fn clone(&self) -> Self {
        RequireAuthLayer {
            auth: self.auth.clone(),
            requirement: self.requirement,
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
                // and recorded already.
                if let Some(jwt_config::service_auth::Caller::Service(_)) =
                    verified_caller(request.extensions(), auth)
                {
                    return Ok(());
                }
                let caller = auth.caller_in_place(request.headers(), &route, false)?;
                let extensions = request.extensions_mut();
                extensions.insert(VerifiedByLayer::new(auth, caller.clone()));
                extensions.insert(caller);
            }
        }
        Ok(())
    }
}

impl<S, C, B, ResBody> Service<Request<B>> for RequireAuth<S, C>
where
    S: Service<Request<B>, Response = Response<ResBody>>,
    C: DeserializeOwned + Clone + Send + Sync + 'static,
    ResBody: From<Bytes>,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = RequireAuthFuture<S::Future, ResBody>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
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
    pub struct RequireAuthFuture<F, ResBody> {
        #[pin]
        state: State<F, ResBody>,
    }
}

pin_project! {
    #[project = StateProjection]
    enum State<F, ResBody> {
        Inner {
            #[pin]
            future: F,
        },
        Refused {
            response: Option<Response<ResBody>>,
        },
    }
}

impl<F, ResBody, E> Future for RequireAuthFuture<F, ResBody>
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
        }
    }
}

impl<F, ResBody> fmt::Debug for RequireAuthFuture<F, ResBody> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            State::Inner { .. } => "inner",
            State::Refused { .. } => "refused",
        };
        f.debug_struct("RequireAuthFuture")
            .field("state", &state)
            .finish()
    }
}
