//! Outgoing calls: a tower layer that attaches this service's headers for the target to every
//! request, for clients built on tower services (a hyper-util `Client`, a `tower::ServiceBuilder`
//! stack). With reqwest, call `JwtAuth::service_headers` and pass them to `.headers(...)`.

use std::error::Error as StdError;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::http::Request;
use tower_layer::Layer;
use tower_service::Service;

use crate::JwtAuth;

/// The error of a call through [`AttachServiceHeaders`]: the inner client's, or the signing
/// of the service token (which the load proved possible, so it does not happen for a
/// configuration reason).
pub type CallError = Box<dyn StdError + Send + Sync>;

/// `ServiceBuilder::new().layer(AttachServiceHeaders::new(auth, "backend")).service(client)`:
/// every request to the `backend` service carries a fresh service token (with this service's
/// fingerprint of the shared settings).
#[derive(Clone)]
pub struct AttachServiceHeaders {
    auth: JwtAuth,
    target: Arc<str>,
}

impl AttachServiceHeaders {
    /// Headers for calls to `target_service`, signed with `auth`'s keys.
    pub fn new(auth: JwtAuth, target_service: &str) -> Self {
        AttachServiceHeaders {
            auth,
            target: Arc::from(target_service),
        }
    }
}

impl<S> Layer<S> for AttachServiceHeaders {
    type Service = AttachServiceHeadersService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AttachServiceHeadersService {
            inner,
            layer: self.clone(),
        }
    }
}

/// The client service [`AttachServiceHeaders`] wraps.
#[derive(Clone)]
pub struct AttachServiceHeadersService<S> {
    inner: S,
    layer: AttachServiceHeaders,
}

impl<S, B> Service<Request<B>> for AttachServiceHeadersService<S>
where
    S: Service<Request<B>>,
    S::Response: Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<CallError>,
{
    type Response = S::Response;
    type Error = CallError;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, CallError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), CallError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        match self.layer.auth.service_headers(&self.layer.target) {
            Ok(headers) => {
                request.headers_mut().extend(headers);
                let call = self.inner.call(request);
                Box::pin(async move { call.await.map_err(Into::into) })
            }
            Err(error) => Box::pin(std::future::ready(Err(error.into()))),
        }
    }
}
