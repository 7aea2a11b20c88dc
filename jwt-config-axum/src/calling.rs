//! Outgoing calls: a tower layer that attaches this service's headers for the target to every
//! request, for clients built on tower services (a hyper-util `Client`, a `tower::ServiceBuilder`
//! stack). With reqwest, call `JwtAuth::service_headers` and pass them to `.headers(...)`.

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::http::Request;
use pin_project_lite::pin_project;
use tower_layer::Layer;
use tower_service::Service;

use crate::JwtAuth;

/// The error of a call through [`AttachServiceHeadersLayer`]: the inner client's, or the signing
/// of the service token (which the load proved possible, so it does not happen for a
/// configuration reason).
///
/// ```
/// # use jwt_config::{Config, JwtConfig, MapSource};
/// use axum::{Router, body::Body, http::{Request, StatusCode}, routing::get};
/// use jwt_config_axum::{AttachServiceHeadersLayer, CallError, JwtAuth, ServiceCaller};
/// use tower::{Layer as _, ServiceExt as _};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// # let settings = |id: &str| MapSource::new().with("ENVIRONMENT", "development").with("SERVICE_ID", id)
/// #     .with("JWT_SECRET_KEY", "doc-example-jwt-secret-0123456789abcdefgh")
/// #     .with("SERVICE_SECRET", "doc-example-service-secret-0123456789abcd");
/// # let backend = JwtAuth::from_loaded(&JwtConfig::load_with_report(&settings("backend")).unwrap());
/// # let auth = JwtAuth::from_loaded(&JwtConfig::load_with_report(&settings("auth")).unwrap());
/// let backend_app = Router::new()
///     .route("/sync", get(|ServiceCaller(caller): ServiceCaller| async move { caller }))
///     .with_state(backend);
/// let client = AttachServiceHeadersLayer::new(auth, "backend").layer(backend_app);
/// let answer: Result<_, CallError> = client.oneshot(Request::get("/sync").body(Body::empty()).unwrap()).await;
/// assert_eq!(answer.unwrap().status(), StatusCode::OK);
/// # }
/// ```
pub type CallError = Box<dyn StdError + Send + Sync>;

/// `ServiceBuilder::new().layer(AttachServiceHeadersLayer::new(auth, "backend")).service(client)`:
/// every request to the `backend` service carries a fresh service token (with this service's
/// fingerprint of the shared settings).
///
/// ```
/// # use jwt_config::{Config, JwtConfig, MapSource};
/// use axum::{Router, body::Body, http::{Request, StatusCode}, routing::get};
/// use jwt_config_axum::{AttachServiceHeadersLayer, JwtAuth, ServiceCaller};
/// use tower::{ServiceBuilder, ServiceExt as _};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// # let settings = |id: &str| MapSource::new().with("ENVIRONMENT", "development").with("SERVICE_ID", id)
/// #     .with("JWT_SECRET_KEY", "doc-example-jwt-secret-0123456789abcdefgh")
/// #     .with("SERVICE_SECRET", "doc-example-service-secret-0123456789abcd");
/// let backend = JwtAuth::from_loaded(&JwtConfig::load_with_report(&settings("backend")).unwrap());
/// let auth = JwtAuth::from_loaded(&JwtConfig::load_with_report(&settings("auth")).unwrap());
/// // The backend in-process stands for an HTTP client (a hyper-util `Client`) here.
/// let backend_app = Router::new()
///     .route("/sync", get(|ServiceCaller(caller): ServiceCaller| async move { caller }))
///     .with_state(backend);
/// let plain = backend_app.clone().oneshot(Request::get("/sync").body(Body::empty()).unwrap());
/// assert_eq!(plain.await.unwrap().status(), StatusCode::UNAUTHORIZED);
/// let client = ServiceBuilder::new()
///     .layer(AttachServiceHeadersLayer::new(auth, "backend"))
///     .service(backend_app);
/// let response = client.oneshot(Request::get("/sync").body(Body::empty()).unwrap()).await;
/// assert_eq!(response.unwrap().status(), StatusCode::OK);
/// # }
/// ```
#[derive(Clone)]
pub struct AttachServiceHeadersLayer {
    auth: JwtAuth,
    target: Arc<str>,
}

impl AttachServiceHeadersLayer {
    /// Headers for calls to `target_service`, signed with `auth`'s keys;
    /// [`AttachServiceHeadersLayer`] shows an example.
    pub fn new(auth: JwtAuth, target_service: &str) -> Self {
        AttachServiceHeadersLayer {
            auth,
            target: Arc::from(target_service),
        }
    }
}

impl fmt::Debug for AttachServiceHeadersLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AttachServiceHeadersLayer")
            .field("auth", &self.auth)
            .field("target", &self.target)
            .finish()
    }
}

impl<S> Layer<S> for AttachServiceHeadersLayer {
    type Service = AttachServiceHeaders<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AttachServiceHeaders {
            inner,
            layer: self.clone(),
        }
    }
}

/// The client service [`AttachServiceHeadersLayer`] wraps: each request gets this service's
/// headers for the target, then goes to `S`.
///
/// ```
/// # use jwt_config::{Config, JwtConfig, MapSource};
/// use axum::{Router, body::Body, http::{Request, StatusCode}, routing::get};
/// use jwt_config_axum::{AttachServiceHeadersLayer, AttachServiceHeaders, JwtAuth, ServiceCaller};
/// use tower::{Layer as _, ServiceExt as _};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// # let settings = |id: &str| MapSource::new().with("ENVIRONMENT", "development").with("SERVICE_ID", id)
/// #     .with("JWT_SECRET_KEY", "doc-example-jwt-secret-0123456789abcdefgh")
/// #     .with("SERVICE_SECRET", "doc-example-service-secret-0123456789abcd");
/// # let backend = JwtAuth::from_loaded(&JwtConfig::load_with_report(&settings("backend")).unwrap());
/// # let auth = JwtAuth::from_loaded(&JwtConfig::load_with_report(&settings("auth")).unwrap());
/// let backend_app = Router::new()
///     .route("/sync", get(|ServiceCaller(caller): ServiceCaller| async move { caller }))
///     .with_state(backend);
/// // A token for "billing" is meant for another service: the backend refuses it.
/// let client: AttachServiceHeaders<Router> =
///     AttachServiceHeadersLayer::new(auth, "billing").layer(backend_app);
/// let response = client.oneshot(Request::get("/sync").body(Body::empty()).unwrap()).await;
/// assert_eq!(response.unwrap().status(), StatusCode::UNAUTHORIZED);
/// # }
/// ```
#[derive(Clone)]
pub struct AttachServiceHeaders<S> {
    inner: S,
    layer: AttachServiceHeadersLayer,
}

impl<S: fmt::Debug> fmt::Debug for AttachServiceHeaders<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AttachServiceHeaders")
            .field("inner", &self.inner)
            .field("layer", &self.layer)
            .finish()
    }
}

impl<S, B> Service<Request<B>> for AttachServiceHeaders<S>
where
    S: Service<Request<B>>,
    S::Error: Into<CallError>,
{
    type Response = S::Response;
    type Error = CallError;
    type Future = AttachServiceHeadersFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), CallError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        let state = match self.layer.auth.service_headers(&self.layer.target) {
            Ok(headers) => {
                request.headers_mut().extend(headers);
                Outgoing::Sent {
                    future: self.inner.call(request),
                }
            }
            Err(error) => Outgoing::Unsigned {
                error: Some(error.into()),
            },
        };
        AttachServiceHeadersFuture { state }
    }
}

pin_project! {
    /// The response future of [`AttachServiceHeaders`]: the inner client's, its error
    /// boxed; or the error of signing the token, ready at once.
    ///
    /// ```
    /// # use jwt_config::{Config, JwtConfig, MapSource};
    /// use axum::{Router, body::Body, http::{Request, StatusCode}, routing::get};
    /// use jwt_config_axum::{AttachServiceHeadersLayer, AttachServiceHeadersFuture, JwtAuth};
    /// use tower::{Layer as _, Service, ServiceExt};
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # let settings = |id: &str| MapSource::new().with("ENVIRONMENT", "development").with("SERVICE_ID", id)
    /// #     .with("JWT_SECRET_KEY", "doc-example-jwt-secret-0123456789abcdefgh")
    /// #     .with("SERVICE_SECRET", "doc-example-service-secret-0123456789abcd");
    /// # let auth = JwtAuth::from_loaded(&JwtConfig::load_with_report(&settings("auth")).unwrap());
    /// let app: Router = Router::new().route("/ping", get(|| async { "pong" }));
    /// let mut client = AttachServiceHeadersLayer::new(auth, "backend").layer(app);
    /// let request = Request::get("/ping").body(Body::empty()).unwrap();
    /// let ready = ServiceExt::<Request<Body>>::ready(&mut client).await.unwrap();
    /// let future: AttachServiceHeadersFuture<_> = ready.call(request);
    /// assert_eq!(future.await.unwrap().status(), StatusCode::OK);
    /// # }
    /// ```
    pub struct AttachServiceHeadersFuture<F> {
        #[pin]
        state: Outgoing<F>,
    }
}

pin_project! {
    #[project = OutgoingProjection]
    enum Outgoing<F> {
        Sent {
            #[pin]
            future: F,
        },
        Unsigned {
            error: Option<CallError>,
        },
    }
}

impl<F, T, E> Future for AttachServiceHeadersFuture<F>
where
    F: Future<Output = Result<T, E>>,
    E: Into<CallError>,
{
    type Output = Result<T, CallError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().state.project() {
            OutgoingProjection::Sent { future } => future.poll(cx).map_err(Into::into),
            OutgoingProjection::Unsigned { error } => {
                Poll::Ready(Err(error.take().expect("polled after completion")))
            }
        }
    }
}

impl<F> fmt::Debug for AttachServiceHeadersFuture<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            Outgoing::Sent { .. } => "sent",
            Outgoing::Unsigned { .. } => "unsigned",
        };
        f.debug_struct("AttachServiceHeadersFuture")
            .field("state", &state)
            .finish()
    }
}
