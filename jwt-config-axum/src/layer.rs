//! A tower layer for whole routers: requires a user's access token or a service call before
//! the handler runs, and puts the claims ([`AccessClaims`]) or the caller ([`Caller`]) in the
//! request's extensions.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use jwt_config::AccessClaims;
use jwt_config::service_auth::Caller;
use tower_layer::Layer;
use tower_service::Service;

use crate::JwtAuth;
use crate::extract::{VerifiedByLayer, route_of};

/// What the layer requires.
#[derive(Clone, Copy, Debug)]
enum Requirement {
    User,
    Service,
}

/// What the layer puts in the request's extensions.
enum Verified {
    User(AccessClaims),
    Service(Caller),
}

/// `router.route_layer(RequireAuth::user(auth))` or `RequireAuth::service(auth)`.
///
/// `route_layer`, not `layer`: the requirement then applies to the router's routes only, so a
/// path that matches none stays 404 (with `layer` it would be 401, and the log would carry the
/// raw path instead of the route).
#[derive(Clone)]
pub struct RequireAuth {
    auth: JwtAuth,
    requirement: Requirement,
}

impl RequireAuth {
    /// Every request needs a valid access token; its [`AccessClaims`] go into the extensions.
    pub fn user(auth: JwtAuth) -> Self {
        RequireAuth {
            auth,
            requirement: Requirement::User,
        }
    }

    /// Every request must be an authenticated service call; its [`Caller`] goes into the
    /// extensions.
    pub fn service(auth: JwtAuth) -> Self {
        RequireAuth {
            auth,
            requirement: Requirement::Service,
        }
    }
}

impl<S> Layer<S> for RequireAuth {
    type Service = RequireAuthService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequireAuthService {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service [`RequireAuth`] wraps around a router or handler.
#[derive(Clone)]
pub struct RequireAuthService<S> {
    inner: S,
    layer: RequireAuth,
}

impl<S> Service<Request> for RequireAuthService<S>
where
    S: Service<Request, Response = Response> + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        let auth = &self.layer.auth;
        let (headers, route) = (
            request.headers(),
            route_of(request.extensions(), request.uri()),
        );
        let verified = match self.layer.requirement {
            Requirement::User => auth
                .required_user::<AccessClaims>(headers, &route)
                .map(Verified::User),
            Requirement::Service => auth.caller(headers, &route, false).map(Verified::Service),
        };
        let verified = verified.map(|verified| match verified {
            Verified::User(claims) => {
                request.extensions_mut().insert(claims);
            }
            Verified::Service(caller) => {
                let extensions = request.extensions_mut();
                extensions.insert(VerifiedByLayer(caller.clone()));
                extensions.insert(caller);
            }
        });
        match verified {
            Ok(()) => Box::pin(self.inner.call(request)),
            Err(refusal) => Box::pin(std::future::ready(Ok(refusal.into_response()))),
        }
    }
}
