//! The extractors: a user's access token, the calling service. Each finds [`JwtAuth`] in the
//! router's state through `FromRef`.

use std::borrow::Cow;

use axum::extract::{FromRef, FromRequestParts, MatchedPath, OptionalFromRequestParts};
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap, Uri, header};
use jwt_config::AccessClaims;
use jwt_config::service_auth::{
    AsyncVerifyOptions, Caller, ServiceAuthError, VerifiedCall, VerifyOptions, shown,
};
use serde::de::DeserializeOwned;

use crate::state::Guard;
use crate::{JwtAuth, Refusal};

/// The scheme of the calling service's token in `WWW-Authenticate`.
const SERVICE_SCHEME: &str = "ServiceToken";

/// A verified access token's claims (`Authorization: Bearer`, exactly one header, the scheme
/// in any case). Refused with 401 otherwise.
///
/// `Option<AccessToken<C>>` serves anonymous users too: `None` without an `Authorization`
/// header; a token that is there must verify. Behind [`RequireAuthLayer`] with the same
/// `JwtAuth` and claims type, the extractor takes the claims the layer verified.
///
/// [`RequireAuthLayer`]: crate::RequireAuthLayer
///
/// ```
/// # use jwt_config::{Config, JwtConfig, MapSource};
/// use axum::{Router, body::Body, http::{Request, StatusCode}, routing::get};
/// use jwt_config_axum::{AccessToken, JwtAuth};
/// use tower::ServiceExt as _;
///
/// async fn me(AccessToken(claims): AccessToken) -> String {
///     claims.sub
/// }
/// async fn greeting(token: Option<AccessToken>) -> String {
///     token.map_or_else(|| "hello".to_owned(), |AccessToken(claims)| claims.sub)
/// }
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// # let source = MapSource::new().with("ENVIRONMENT", "development").with("SERVICE_ID", "backend")
/// #     .with("JWT_SECRET_KEY", "doc-example-jwt-secret-0123456789abcdefgh");
/// let auth = JwtAuth::from_loaded(&JwtConfig::load_with_report(&source).unwrap());
/// let app = Router::new()
///     .route("/me", get(me))
///     .route("/greeting", get(greeting))
///     .with_state(auth);
/// let status = |path: &str, authorization: Option<&str>| {
///     let mut request = Request::get(path);
///     if let Some(value) = authorization {
///         request = request.header("authorization", value);
///     }
///     let app = app.clone();
///     async move { app.oneshot(request.body(Body::empty()).unwrap()).await.unwrap().status() }
/// };
/// assert_eq!(status("/me", None).await, StatusCode::UNAUTHORIZED);
/// assert_eq!(status("/greeting", None).await, StatusCode::OK);
/// assert_eq!(status("/greeting", Some("Bearer a.b.c")).await, StatusCode::UNAUTHORIZED);
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct AccessToken<C = AccessClaims>(pub C);

/// The calling service's id, from its service token. 401 when the call is not authenticated
/// (also where service authentication is off: use [`AnyCaller`] to accept that), 403 when the
/// caller is not in `SERVICE_ALLOWED_CALLERS`.
///
/// ```
/// # use jwt_config::{Config, JwtConfig, MapSource};
/// use axum::{Router, body::Body, http::{Request, StatusCode}, routing::post};
/// use jwt_config_axum::{JwtAuth, ServiceCaller};
/// use tower::ServiceExt as _;
///
/// async fn sync(ServiceCaller(caller): ServiceCaller) -> String {
///     format!("synced for {caller}")
/// }
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// # let settings = |id: &str| MapSource::new().with("ENVIRONMENT", "development").with("SERVICE_ID", id)
/// #     .with("JWT_SECRET_KEY", "doc-example-jwt-secret-0123456789abcdefgh")
/// #     .with("SERVICE_SECRET", "doc-example-service-secret-0123456789abcd");
/// let loaded = JwtConfig::load_with_report(&settings("backend").with("SERVICE_ALLOWED_CALLERS", "auth"));
/// let backend = JwtAuth::from_loaded(&loaded.unwrap());
/// let app = Router::new().route("/sync", post(sync)).with_state(backend);
/// for (caller, expected) in [("auth", StatusCode::OK), ("billing", StatusCode::FORBIDDEN)] {
///     let caller = JwtAuth::from_loaded(&JwtConfig::load_with_report(&settings(caller)).unwrap());
///     let mut request = Request::post("/sync").body(Body::empty()).unwrap();
///     request.headers_mut().extend(caller.service_headers("backend").unwrap());
///     let response = app.clone().oneshot(request).await.unwrap();
///     assert_eq!(response.status(), expected);
/// }
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct ServiceCaller(pub String);

/// The caller, [`Caller::Unauthenticated`] accepted (development without `SERVICE_SECRET`):
/// for the routes that say so.
///
/// ```
/// # use jwt_config::{Config, JwtConfig, MapSource};
/// use axum::{Router, body::Body, http::{Request, StatusCode}, routing::post};
/// use jwt_config::service_auth::Caller;
/// use jwt_config_axum::{AnyCaller, JwtAuth, ServiceCaller};
/// use tower::ServiceExt as _;
///
/// async fn sync(AnyCaller(caller): AnyCaller) -> String {
///     match caller {
///         Caller::Service(name) => format!("synced for {name}"),
///         _ => "synced for an unauthenticated caller".to_owned(),
///     }
/// }
/// async fn strict(ServiceCaller(caller): ServiceCaller) -> String {
///     caller
/// }
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// // Development without SERVICE_SECRET: service authentication is off.
/// # let source = MapSource::new().with("ENVIRONMENT", "development").with("SERVICE_ID", "backend")
/// #     .with("JWT_SECRET_KEY", "doc-example-jwt-secret-0123456789abcdefgh");
/// let auth = JwtAuth::from_loaded(&JwtConfig::load_with_report(&source).unwrap());
/// let app = Router::new()
///     .route("/sync", post(sync))
///     .route("/strict", post(strict))
///     .with_state(auth);
/// let response = app.clone().oneshot(Request::post("/sync").body(Body::empty()).unwrap());
/// assert_eq!(response.await.unwrap().status(), StatusCode::OK);
/// let response = app.oneshot(Request::post("/strict").body(Body::empty()).unwrap());
/// assert_eq!(response.await.unwrap().status(), StatusCode::UNAUTHORIZED);
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct AnyCaller(pub Caller);

/// The route for logs: the matched pattern, else the path (the client's choice, so escaped
/// and bounded).
pub(crate) fn route_of<'a>(extensions: &'a Extensions, uri: &'a Uri) -> Cow<'a, str> {
    match extensions.get::<MatchedPath>() {
        Some(matched) => Cow::Borrowed(matched.as_str()),
        None => Cow::Owned(shown(uri.path())),
    }
}

/// A service call the [`RequireAuth`](crate::RequireAuth) layer or an extractor verified
/// (and recorded in the replay guard): the other extractors and layers of the request take its
/// caller rather than verify, and record, the token a second time. Private, so nothing but
/// this crate can put it in a request; and it
/// names the `JwtAuth` that verified it, so an extractor whose state holds another one
/// verifies by its own settings.
#[derive(Clone)]
pub(crate) struct VerifiedByLayer {
    by: JwtAuth,
    caller: Caller,
}

impl VerifiedByLayer {
    pub(crate) fn new(by: &JwtAuth, caller: Caller) -> Self {
        VerifiedByLayer {
            by: by.clone(),
            caller,
        }
    }
}

/// A user's claims the layer verified, likewise: `AccessToken<C>` of the same `C` takes them
/// rather than decode the token again.
#[derive(Clone)]
pub(crate) struct VerifiedUser<C> {
    by: JwtAuth,
    claims: C,
}

impl<C> VerifiedUser<C> {
    pub(crate) fn new(by: &JwtAuth, claims: C) -> Self {
        VerifiedUser {
            by: by.clone(),
            claims,
        }
    }
}

/// The caller the layer verified with `auth`, if it did.
pub(crate) fn verified_caller<'a>(
    extensions: &'a Extensions,
    auth: &JwtAuth,
) -> Option<&'a Caller> {
    extensions
        .get::<VerifiedByLayer>()
        .filter(|verified| verified.by.is(auth))
        .map(|verified| &verified.caller)
}

/// The claims the layer verified with `auth`, if it did; taken, not copied (an extractor
/// needs its own, and `C` need not be `Clone`).
fn verified_claims<C: Send + Sync + 'static>(
    extensions: &mut Extensions,
    auth: &JwtAuth,
) -> Option<C> {
    if !extensions.get::<VerifiedUser<C>>()?.by.is(auth) {
        return None;
    }
    extensions.remove::<VerifiedUser<C>>().map(|v| v.claims)
}

/// The Bearer token, `None` without an `Authorization` header.
fn bearer(headers: &HeaderMap) -> Result<Option<&str>, &'static str> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let value = match (values.next(), values.next()) {
        (None, _) => return Ok(None),
        (Some(value), None) => value,
        (Some(_), Some(_)) => return Err("several Authorization headers"),
    };
    let text = value
        .to_str()
        .map_err(|_| "a malformed Authorization header")?;
    let (scheme, token) = text
        .split_once(' ')
        .ok_or("a malformed Authorization header")?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err("an Authorization header of another scheme than Bearer");
    }
    let token = token.trim_start_matches(' ');
    // A header value that is text holds visible ASCII, spaces and tabs only (`to_str`): the
    // only whitespace it can hold is found by two byte searches, not by a Unicode test of
    // every character (which cost most of the extractor's time beyond `decode`).
    let bytes = token.as_bytes();
    if token.is_empty() || bytes.contains(&b' ') || bytes.contains(&b'\t') {
        return Err("a malformed Bearer token");
    }
    Ok(Some(token))
}

impl JwtAuth {
    /// Logs and counts a refusal; the token is never part of it.
    /// A service call that passed every check, counted by caller.
    pub(crate) fn accepted(&self, caller: &Caller) {
        if let Caller::Service(name) = caller {
            crate::telemetry::service_call(&shown(name));
        }
    }

    pub(crate) fn refused(&self, refusal: Refusal, route: &str, caller: Option<&str>) -> Refusal {
        let reason = refusal.reason().as_str();
        self.count_refusal(reason);
        crate::telemetry::refusal(reason, route);
        tracing::info!(
            "error.type" = reason,
            reason,
            route,
            caller = caller.unwrap_or("-"),
            status = refusal.status().as_u16(),
            "request refused"
        );
        refusal
    }

    /// A user's access token from `headers`: `Ok(None)` when there is none.
    pub(crate) fn user<C: DeserializeOwned>(
        &self,
        headers: &HeaderMap,
        route: &str,
    ) -> Result<Option<C>, Refusal> {
        let token = match bearer(headers) {
            Ok(Some(token)) => token,
            Ok(None) => return Ok(None),
            Err(what) => {
                let refusal =
                    Refusal::malformed_header("Bearer", format!("the request has {what}"));
                return Err(self.refused(refusal, route, None));
            }
        };
        match self.config().decode::<C>(token) {
            Ok(data) => Ok(Some(data.claims)),
            Err(error) => {
                let refusal = Refusal::token("Bearer", error);
                Err(self.refused(refusal, route, None))
            }
        }
    }

    /// A user's access token, required.
    pub(crate) fn required_user<C: DeserializeOwned>(
        &self,
        headers: &HeaderMap,
        route: &str,
    ) -> Result<C, Refusal> {
        self.user(headers, route)?.ok_or_else(|| {
            let refusal = Refusal::missing(
                "Bearer",
                "an access token is required (Authorization: Bearer)",
            );
            self.refused(refusal, route, None)
        })
    }

    /// The calling service; `Caller::Unauthenticated` only where `allow_unauthenticated`.
    /// A replay guard to await is awaited.
    pub(crate) async fn caller(
        &self,
        headers: &HeaderMap,
        route: &str,
        allow_unauthenticated: bool,
    ) -> Result<Caller, Refusal> {
        let verified = match self.guard() {
            Some(Guard::Awaited(guard)) => {
                let options = AsyncVerifyOptions {
                    replay_guard: Some(&**guard),
                };
                let call = self.config().verify_service_call_async(headers, &options);
                call.await
            }
            _ => self.verified_in_place(headers),
        };
        self.judged(verified, route, allow_unauthenticated)
    }

    /// [`JwtAuth::caller`] where nothing can be awaited (the layer's `call`).
    pub(crate) fn caller_in_place(
        &self,
        headers: &HeaderMap,
        route: &str,
        allow_unauthenticated: bool,
    ) -> Result<Caller, Refusal> {
        self.judged(
            self.verified_in_place(headers),
            route,
            allow_unauthenticated,
        )
    }

    /// The call verified, and recorded by a guard that answers at once. A guard to await
    /// cannot be: the call is refused as its store being unavailable, never accepted
    /// unrecorded.
    fn verified_in_place(&self, headers: &HeaderMap) -> Result<VerifiedCall, ServiceAuthError> {
        let replay_guard = match self.guard() {
            None => None,
            Some(Guard::Immediate(guard)) => Some(&**guard),
            Some(Guard::Awaited(_)) => {
                // The layer and the extractors await such a guard before they get here.
                tracing::error!(
                    "an async replay guard cannot be awaited here: the call is refused, never accepted unrecorded"
                );
                return Err(ServiceAuthError::ReplayGuardUnavailable);
            }
        };
        let options = VerifyOptions { replay_guard };
        self.config().verify_service_call_with(headers, &options)
    }

    /// The verdict on a verified (or refused) call: refusals logged and counted.
    fn judged(
        &self,
        verified: Result<VerifiedCall, ServiceAuthError>,
        route: &str,
        allow_unauthenticated: bool,
    ) -> Result<Caller, Refusal> {
        if self.guard().is_some() {
            let outcome = match &verified {
                Ok(_) => Some("first_use"),
                Err(ServiceAuthError::Replayed) => Some("replayed"),
                Err(ServiceAuthError::ReplayGuardFull) => Some("full"),
                Err(ServiceAuthError::ReplayGuardUnavailable) => Some("unavailable"),
                Err(_) => None,
            };
            if let Some(outcome) = outcome {
                crate::telemetry::replay(outcome);
            }
        }
        let call = match verified {
            Ok(call) => call,
            Err(error) => {
                let caller = match &error {
                    ServiceAuthError::CallerNotAllowed(caller) => Some(caller.clone()),
                    _ => None,
                };
                let refusal = Refusal::service(SERVICE_SCHEME, error);
                return Err(self.refused(refusal, route, caller.as_deref()));
            }
        };
        if call.caller == Caller::Unauthenticated && !allow_unauthenticated {
            let refusal = Refusal::missing(
                SERVICE_SCHEME,
                "service authentication is off (no SERVICE_SECRET) and this route requires it",
            );
            return Err(self.refused(refusal, route, None));
        }
        if let Err(message) = self.check_drift(&call) {
            let name = match &call.caller {
                Caller::Service(name) => Some(shown(name)),
                _ => None,
            };
            let refusal = Refusal::drift(message);
            return Err(self.refused(refusal, route, name.as_deref()));
        }
        Ok(call.caller)
    }
}

impl<S, C> FromRequestParts<S> for AccessToken<C>
where
    S: Send + Sync,
    JwtAuth: FromRef<S>,
    C: DeserializeOwned + Send + Sync + 'static,
{
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Refusal> {
        let auth = JwtAuth::from_ref(state);
        if let Some(claims) = verified_claims(&mut parts.extensions, &auth) {
            return Ok(AccessToken(claims));
        }
        let route = route_of(&parts.extensions, &parts.uri);
        auth.required_user(&parts.headers, &route).map(AccessToken)
    }
}

/// `Option<AccessToken<C>>`, for routes that serve anonymous users too: `None` without an
/// `Authorization` header; a token that is there must verify.
impl<S, C> OptionalFromRequestParts<S> for AccessToken<C>
where
    S: Send + Sync,
    JwtAuth: FromRef<S>,
    C: DeserializeOwned + Send + Sync + 'static,
{
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Option<Self>, Refusal> {
        let auth = JwtAuth::from_ref(state);
        if let Some(claims) = verified_claims(&mut parts.extensions, &auth) {
            return Ok(Some(AccessToken(claims)));
        }
        let route = route_of(&parts.extensions, &parts.uri);
        Ok(auth.user(&parts.headers, &route)?.map(AccessToken))
    }
}

impl<S> FromRequestParts<S> for ServiceCaller
where
    S: Send + Sync,
    JwtAuth: FromRef<S>,
{
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Refusal> {
        let auth = JwtAuth::from_ref(state);
        if let Some(Caller::Service(name)) = verified_caller(&parts.extensions, &auth) {
            return Ok(ServiceCaller(name.clone()));
        }
        let route = route_of(&parts.extensions, &parts.uri);
        let caller = auth.caller(&parts.headers, &route, false).await?;
        auth.accepted(&caller);
        // A second extractor or layer on this request takes it from here (a replay guard
        // records a token once).
        let record = VerifiedByLayer::new(&auth, caller.clone());
        parts.extensions.insert(record);
        match caller {
            Caller::Service(name) => Ok(ServiceCaller(name)),
            // Refused above: `allow_unauthenticated` is false.
            Caller::Unauthenticated => Err(Refusal::missing(SERVICE_SCHEME, "unauthenticated")),
        }
    }
}

impl<S> FromRequestParts<S> for AnyCaller
where
    S: Send + Sync,
    JwtAuth: FromRef<S>,
{
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Refusal> {
        let auth = JwtAuth::from_ref(state);
        if let Some(caller) = verified_caller(&parts.extensions, &auth) {
            return Ok(AnyCaller(caller.clone()));
        }
        let route = route_of(&parts.extensions, &parts.uri);
        let caller = auth.caller(&parts.headers, &route, true).await?;
        auth.accepted(&caller);
        // Only an authenticated caller is recorded: `ServiceCaller` never takes an
        // unauthenticated call from here.
        if let Caller::Service(_) = caller {
            parts
                .extensions
                .insert(VerifiedByLayer::new(&auth, caller.clone()));
        }
        Ok(AnyCaller(caller))
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    #[test]
    fn the_bearer_scheme_is_case_insensitive_and_one_header_only() {
        assert_eq!(bearer(&headers(&[])), Ok(None));
        assert_eq!(bearer(&headers(&["Bearer abc"])), Ok(Some("abc")));
        assert_eq!(bearer(&headers(&["bEaReR abc"])), Ok(Some("abc")));
        assert!(bearer(&headers(&["Bearer a", "Bearer b"])).is_err());
        assert!(bearer(&headers(&["Basic dXNlcjpwYXNz"])).is_err());
        assert!(bearer(&headers(&["Bearer"])).is_err());
        assert!(bearer(&headers(&["Bearer a b"])).is_err());
        assert!(bearer(&headers(&["Bearer a\tb"])).is_err());
        assert!(bearer(&headers(&["Bearer a.b.c "])).is_err());
        assert_eq!(bearer(&headers(&["Bearer   a.b.c"])), Ok(Some("a.b.c")));
    }
}
