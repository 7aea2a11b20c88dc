//! The extractors: a user's access token, the calling service. Each finds [`JwtAuth`] in the
//! router's state through `FromRef`.

use std::borrow::Cow;

use axum::extract::{FromRef, FromRequestParts, MatchedPath};
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap, Uri, header};
use jwt_config::AccessClaims;
use jwt_config::service_auth::{Caller, ServiceAuthError, VerifyOptions, shown};
use serde::de::DeserializeOwned;

use crate::{JwtAuth, Refusal};

/// The scheme of the calling service's token in `WWW-Authenticate`.
const SERVICE_SCHEME: &str = "ServiceToken";

/// A verified access token's claims (`Authorization: Bearer`, exactly one header, the scheme
/// in any case). Refused with 401 otherwise.
#[derive(Clone, Debug)]
pub struct AccessToken<C = AccessClaims>(pub C);

/// For routes that serve anonymous users too: `None` without an `Authorization` header; a
/// token that is there must verify.
#[derive(Clone, Debug)]
pub struct OptionalAccessToken<C = AccessClaims>(pub Option<C>);

/// The calling service's id, from its service token. 401 when the call is not authenticated
/// (also where service authentication is off: use [`AnyCaller`] to accept that), 403 when the
/// caller is not in `SERVICE_ALLOWED_CALLERS`.
#[derive(Clone, Debug)]
pub struct ServiceCaller(pub String);

/// The caller, [`Caller::Unauthenticated`] accepted (development without `SERVICE_SECRET`):
/// for the routes that say so.
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

/// A service call the [`RequireAuth`](crate::RequireAuth) layer verified (and recorded in
/// the replay guard): the extractors take its caller rather than verify, and record, the
/// token a second time. Private, so nothing but the layer can put it in a request.
#[derive(Clone, Debug)]
pub(crate) struct VerifiedByLayer(pub(crate) Caller);

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
    if token.is_empty() || token.contains(char::is_whitespace) {
        return Err("a malformed Bearer token");
    }
    Ok(Some(token))
}

/// How a service call that did not verify is answered: 403 for a caller that is not
/// allowed, 503 when the replay guard cannot record the token, 401 otherwise.
fn service_refusal(error: &ServiceAuthError) -> Refusal {
    match error {
        ServiceAuthError::CallerNotAllowed(_) => {
            Refusal::forbidden(error.kind(), error.to_string())
        }
        ServiceAuthError::MissingHeader => Refusal::missing(
            SERVICE_SCHEME,
            "a service token is required (x-service-token)",
        ),
        ServiceAuthError::ReplayGuardFull => Refusal::unavailable(error.kind(), error.to_string()),
        _ => Refusal::invalid(SERVICE_SCHEME, error.kind(), error.to_string()),
    }
}

impl JwtAuth {
    /// Logs and counts a refusal; the token is never part of it.
    fn refused(&self, refusal: Refusal, route: &str, caller: Option<&str>) -> Refusal {
        self.count_refusal(refusal.kind());
        tracing::info!(
            reason = refusal.kind(),
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
                let refusal = Refusal::invalid(
                    "Bearer",
                    "malformed_header",
                    format!("the request has {what}"),
                );
                return Err(self.refused(refusal, route, None));
            }
        };
        match self.config().decode::<C>(token) {
            Ok(data) => Ok(Some(data.claims)),
            Err(error) => {
                let refusal = Refusal::invalid("Bearer", error.kind(), error.to_string());
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
    pub(crate) fn caller(
        &self,
        headers: &HeaderMap,
        route: &str,
        allow_unauthenticated: bool,
    ) -> Result<Caller, Refusal> {
        let options = VerifyOptions {
            replay_guard: self.guard(),
        };
        let verified = self.config().verify_service_call_with(headers, &options);
        let call = match verified {
            Ok(call) => call,
            Err(error) => {
                let caller = match &error {
                    ServiceAuthError::CallerNotAllowed(caller) => Some(caller.as_str()),
                    _ => None,
                };
                return Err(self.refused(service_refusal(&error), route, caller));
            }
        };
        if call.caller == Caller::Unauthenticated && !allow_unauthenticated {
            let refusal = Refusal::missing(
                SERVICE_SCHEME,
                "service authentication is off (no SERVICE_SECRET) and this route requires it",
            );
            return Err(self.refused(refusal, route, None));
        }
        if let Err(message) = self.check_drift(
            &call.caller,
            call.fingerprint.as_deref(),
            call.settings.as_deref(),
            || call.key_gaps(self.config()),
        ) {
            let name = match &call.caller {
                Caller::Service(name) => Some(shown(name)),
                _ => None,
            };
            let refusal = Refusal::forbidden("settings_drift", message);
            return Err(self.refused(refusal, route, name.as_deref()));
        }
        Ok(call.caller)
    }
}

/// What every extractor starts from: the `JwtAuth` of the state and the request's route.
fn request_context<'p, S>(parts: &'p Parts, state: &S) -> (JwtAuth, Cow<'p, str>)
where
    JwtAuth: FromRef<S>,
{
    (
        JwtAuth::from_ref(state),
        route_of(&parts.extensions, &parts.uri),
    )
}

impl<S, C> FromRequestParts<S> for AccessToken<C>
where
    S: Send + Sync,
    JwtAuth: FromRef<S>,
    C: DeserializeOwned + Send,
{
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Refusal> {
        let (auth, route) = request_context(parts, state);
        auth.required_user(&parts.headers, &route).map(AccessToken)
    }
}

impl<S, C> FromRequestParts<S> for OptionalAccessToken<C>
where
    S: Send + Sync,
    JwtAuth: FromRef<S>,
    C: DeserializeOwned + Send,
{
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Refusal> {
        let (auth, route) = request_context(parts, state);
        auth.user(&parts.headers, &route).map(OptionalAccessToken)
    }
}

impl<S> FromRequestParts<S> for ServiceCaller
where
    S: Send + Sync,
    JwtAuth: FromRef<S>,
{
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Refusal> {
        if let Some(VerifiedByLayer(Caller::Service(name))) = parts.extensions.get() {
            return Ok(ServiceCaller(name.clone()));
        }
        let (auth, route) = request_context(parts, state);
        match auth.caller(&parts.headers, &route, false)? {
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
        if let Some(VerifiedByLayer(caller)) = parts.extensions.get() {
            return Ok(AnyCaller(caller.clone()));
        }
        let (auth, route) = request_context(parts, state);
        auth.caller(&parts.headers, &route, true).map(AnyCaller)
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
    }
}
