//! A refused request as the client sees it: 401 or 403 (503 where a replay guard cannot record the token),
//! `WWW-Authenticate` as RFC 6750 describes it, a small JSON body; never the token, never a
//! secret. The same [`RefusalReason`] names the refusal in the body, the `tracing` event and
//! the counter.

use std::error::Error as StdError;
use std::fmt;

use axum::body::Bytes;
use axum::http::{HeaderValue, Response, StatusCode, header};
use axum::response::IntoResponse;
use jwt_config::TokenError;
use jwt_config::service_auth::{ServiceAuthError, shown};
use serde::Serialize;

/// Why a request was refused: one stable snake_case name per kind ([`as_str`]), the `error`
/// of the JSON body, the `reason` of the `tracing` event and the key of
/// [`JwtAuth::refusals`](crate::JwtAuth::refusals). A token or a service call that did not
/// verify keeps the name its facade error gives it ([`TokenError::kind`],
/// [`ServiceAuthError::kind`]).
///
/// [`as_str`]: RefusalReason::as_str
///
/// ```
/// # use jwt_config::{Config, JwtConfig, MapSource};
/// use axum::{Router, body::Body, http::{Request, StatusCode}, routing::get};
/// use jwt_config_axum::{AccessToken, JwtAuth, RefusalReason};
/// use tower::ServiceExt as _;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// # let source = MapSource::new().with("ENVIRONMENT", "development").with("SERVICE_ID", "backend")
/// #     .with("JWT_SECRET_KEY", "doc-example-jwt-secret-0123456789abcdefgh");
/// let auth = JwtAuth::from_loaded(&JwtConfig::load_with_report(&source).unwrap());
/// let app = Router::new()
///     .route("/me", get(|AccessToken(claims): AccessToken| async move { claims.sub }))
///     .with_state(auth.clone());
/// let request = Request::get("/me").body(Body::empty()).unwrap();
/// let response = app.oneshot(request).await.unwrap();
/// assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
/// let reason = RefusalReason::MissingToken.as_str();
/// assert_eq!(reason, "missing_token");
/// assert_eq!(auth.refusals()[reason], 1);
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum RefusalReason {
    /// No token where one is required (401, a bare challenge); also a service call where
    /// service authentication is off and the route requires it.
    MissingToken,
    /// An `Authorization` header that is not exactly one `Bearer` token (401).
    MalformedHeader,
    /// The token's `exp` has passed (401).
    Expired,
    /// The token's `nbf` (or a service token's `iat`) lies in the future (401).
    NotYetValid,
    /// The signature does not verify (401).
    BadSignature,
    /// A token of another type: a refresh or service token where an access token is
    /// expected, for instance (401).
    WrongType,
    /// A token meant for another audience (401).
    WrongAudience,
    /// A token from another issuer (401).
    WrongIssuer,
    /// A claim the schema requires is missing (401).
    MissingClaim,
    /// The token names a key (`kid`) this service does not have (401).
    UnknownKeyId,
    /// The token names no key and this service has none of its own to try (401).
    NoKeyId,
    /// The token lives longer than its setting allows (401).
    LifetimeTooLong,
    /// The token is signed with another algorithm than `JWT_ALGORITHM` (401).
    WrongAlgorithm,
    /// Not a well-formed token (401).
    Malformed,
    /// A service token signed with the shared `SERVICE_SECRET` where callers' own keys are
    /// required (401).
    SharedSecretRefused,
    /// A service token without `jti` where each token is accepted once (401).
    MissingTokenId,
    /// A service token used before (401).
    Replayed,
    /// The replay guard is full of live tokens: refused for now, for the caller to retry
    /// (503).
    ReplayGuardFull,
    /// The replay guard's store (Redis) did not answer in time or failed: refused for now,
    /// never accepted unrecorded, for the caller to retry (503).
    ReplayGuardUnavailable,
    /// The calling service is not in `SERVICE_ALLOWED_CALLERS` (403).
    CallerNotAllowed,
    /// The caller's shared JWT settings differ from this service's, or cannot be compared, in
    /// strict drift mode (403).
    SettingsDrift,
    /// A token that did not verify for a reason this version of the crate does not name
    /// (401); RFC 6750's own error code.
    InvalidToken,
}

impl RefusalReason {
    /// Every reason, in declaration order: the values the `reason` label of
    /// `jwt_config_refusals_total` takes.
    pub const ALL: [RefusalReason; 22] = [
        RefusalReason::MissingToken,
        RefusalReason::MalformedHeader,
        RefusalReason::Expired,
        RefusalReason::NotYetValid,
        RefusalReason::BadSignature,
        RefusalReason::WrongType,
        RefusalReason::WrongAudience,
        RefusalReason::WrongIssuer,
        RefusalReason::MissingClaim,
        RefusalReason::UnknownKeyId,
        RefusalReason::NoKeyId,
        RefusalReason::LifetimeTooLong,
        RefusalReason::WrongAlgorithm,
        RefusalReason::Malformed,
        RefusalReason::SharedSecretRefused,
        RefusalReason::MissingTokenId,
        RefusalReason::Replayed,
        RefusalReason::ReplayGuardFull,
        RefusalReason::ReplayGuardUnavailable,
        RefusalReason::CallerNotAllowed,
        RefusalReason::SettingsDrift,
        RefusalReason::InvalidToken,
    ];

    /// The stable snake_case name: `missing_token`, `malformed_header`, `expired`,
    /// `caller_not_allowed`, `settings_drift`, ...
    ///
    /// ```
    /// # use jwt_config::{Config, JwtConfig, MapSource};
    /// use axum::{Router, body::Body, http::{Request, StatusCode}, routing::get};
    /// use jwt_config_axum::{AccessToken, JwtAuth, RefusalReason};
    /// use tower::ServiceExt as _;
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # let source = MapSource::new().with("ENVIRONMENT", "development").with("SERVICE_ID", "backend")
    /// #     .with("JWT_SECRET_KEY", "doc-example-jwt-secret-0123456789abcdefgh");
    /// let auth = JwtAuth::from_loaded(&JwtConfig::load_with_report(&source).unwrap());
    /// let app = Router::new()
    ///     .route("/me", get(|AccessToken(claims): AccessToken| async move { claims.sub }))
    ///     .with_state(auth.clone());
    /// let request = Request::get("/me").header("authorization", "Basic YTpi");
    /// let response = app.oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
    /// assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    /// assert_eq!(auth.refusals()[RefusalReason::MalformedHeader.as_str()], 1);
    /// # }
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            RefusalReason::MissingToken => "missing_token",
            RefusalReason::MalformedHeader => "malformed_header",
            RefusalReason::Expired => "expired",
            RefusalReason::NotYetValid => "not_yet_valid",
            RefusalReason::BadSignature => "bad_signature",
            RefusalReason::WrongType => "wrong_type",
            RefusalReason::WrongAudience => "wrong_audience",
            RefusalReason::WrongIssuer => "wrong_issuer",
            RefusalReason::MissingClaim => "missing_claim",
            RefusalReason::UnknownKeyId => "unknown_key_id",
            RefusalReason::NoKeyId => "no_key_id",
            RefusalReason::LifetimeTooLong => "lifetime_too_long",
            RefusalReason::WrongAlgorithm => "wrong_algorithm",
            RefusalReason::Malformed => "malformed",
            RefusalReason::SharedSecretRefused => "shared_secret_refused",
            RefusalReason::MissingTokenId => "missing_token_id",
            RefusalReason::Replayed => "replayed",
            RefusalReason::ReplayGuardFull => "replay_guard_full",
            RefusalReason::ReplayGuardUnavailable => "replay_guard_unavailable",
            RefusalReason::CallerNotAllowed => "caller_not_allowed",
            RefusalReason::SettingsDrift => "settings_drift",
            RefusalReason::InvalidToken => "invalid_token",
        }
    }

    /// The reason named by a facade error's `kind()`: the facade names the kinds, this crate
    /// only looks them up, so the two cannot disagree. A kind it does not know (a newer
    /// facade) is [`RefusalReason::InvalidToken`]: still refused.
    fn of_kind(kind: &str) -> RefusalReason {
        RefusalReason::ALL
            .into_iter()
            .find(|reason| reason.as_str() == kind)
            .unwrap_or(RefusalReason::InvalidToken)
    }
}

impl fmt::Display for RefusalReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The facade error a refusal comes from, when there is one.
#[derive(Clone, Debug)]
enum Source {
    Token(TokenError),
    Service(ServiceAuthError),
}

/// Why a request was refused; answers itself as an HTTP response (the status, an RFC 6750
/// `WWW-Authenticate` for a 401, a JSON body `{"error": reason, "message": ...}`). As an
/// [`Error`](StdError), its [`source`](StdError::source) is the [`TokenError`] or
/// [`ServiceAuthError`] it comes from, where there is one.
///
/// ```
/// # use jwt_config::{Config, JwtConfig, MapSource};
/// use axum::{Router, body::Body, http::{Request, StatusCode}, routing::get};
/// use jwt_config_axum::{AccessToken, JwtAuth, Refusal, RefusalReason};
/// use tower::ServiceExt as _;
///
/// // A handler may take the result and decide itself.
/// async fn me(token: Result<AccessToken, Refusal>) -> (StatusCode, String) {
///     match token {
///         Ok(AccessToken(claims)) => (StatusCode::OK, claims.sub),
///         Err(refusal) => {
///             assert_eq!(refusal.reason(), RefusalReason::Malformed);
///             assert!(std::error::Error::source(&refusal).is_some());
///             (refusal.status(), refusal.to_string())
///         }
///     }
/// }
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// # let source = MapSource::new().with("ENVIRONMENT", "development").with("SERVICE_ID", "backend")
/// #     .with("JWT_SECRET_KEY", "doc-example-jwt-secret-0123456789abcdefgh");
/// let auth = JwtAuth::from_loaded(&JwtConfig::load_with_report(&source).unwrap());
/// let app = Router::new().route("/me", get(me)).with_state(auth);
/// let request = Request::get("/me").header("authorization", "Bearer not.a.token");
/// let response = app.oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
/// assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct Refusal {
    status: StatusCode,
    reason: RefusalReason,
    description: String,
    /// `WWW-Authenticate` carries `error="invalid_token"` (not for a missing token).
    invalid_token: bool,
    scheme: &'static str,
    source: Option<Source>,
}

#[derive(Serialize)]
struct Body<'a> {
    error: &'a str,
    message: &'a str,
}

impl Refusal {
    pub(crate) fn missing(scheme: &'static str, description: &str) -> Self {
        Refusal {
            status: StatusCode::UNAUTHORIZED,
            reason: RefusalReason::MissingToken,
            description: description.to_owned(),
            invalid_token: false,
            scheme,
            source: None,
        }
    }

    /// A header that holds no single token of the scheme (401, `malformed_header`).
    pub(crate) fn malformed_header(scheme: &'static str, description: String) -> Self {
        Refusal {
            status: StatusCode::UNAUTHORIZED,
            reason: RefusalReason::MalformedHeader,
            description,
            invalid_token: true,
            scheme,
            source: None,
        }
    }

    /// A user's token that did not verify (401).
    pub(crate) fn token(scheme: &'static str, error: TokenError) -> Self {
        Refusal {
            status: StatusCode::UNAUTHORIZED,
            reason: RefusalReason::of_kind(error.kind()),
            description: error.to_string(),
            invalid_token: true,
            scheme,
            source: Some(Source::Token(error)),
        }
    }

    /// A service call that did not verify: 403 for a caller that is not allowed, 503 when
    /// the replay guard cannot record the token (full, or its store unavailable), 401 otherwise (a bare challenge for a
    /// missing header).
    pub(crate) fn service(scheme: &'static str, error: ServiceAuthError) -> Self {
        let (status, reason, invalid_token) = match &error {
            ServiceAuthError::MissingHeader => {
                (StatusCode::UNAUTHORIZED, RefusalReason::MissingToken, false)
            }
            ServiceAuthError::CallerNotAllowed(_) => (
                StatusCode::FORBIDDEN,
                RefusalReason::CallerNotAllowed,
                false,
            ),
            ServiceAuthError::ReplayGuardFull | ServiceAuthError::ReplayGuardUnavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                RefusalReason::of_kind(error.kind()),
                false,
            ),
            other => (
                StatusCode::UNAUTHORIZED,
                RefusalReason::of_kind(other.kind()),
                true,
            ),
        };
        let description = match &error {
            ServiceAuthError::MissingHeader => {
                "a service token is required (x-service-token)".to_owned()
            }
            other => other.to_string(),
        };
        Refusal {
            status,
            reason,
            description,
            invalid_token,
            scheme,
            source: Some(Source::Service(error)),
        }
    }

    /// An authenticated caller that the route's own list does not name (403,
    /// `caller_not_allowed`, as for `SERVICE_ALLOWED_CALLERS`).
    pub(crate) fn route_caller_not_allowed(caller: &str, route: &str, callers: &[String]) -> Self {
        let callers = if callers.is_empty() {
            "no service".to_owned()
        } else {
            callers.join(", ")
        };
        Refusal {
            status: StatusCode::FORBIDDEN,
            reason: RefusalReason::CallerNotAllowed,
            description: format!(
                "service \"{}\" may not call {}: this route's callers are {callers}",
                shown(caller),
                shown(route)
            ),
            invalid_token: false,
            scheme: "",
            source: None,
        }
    }

    /// The caller's shared settings differ, or cannot be compared (403).
    pub(crate) fn drift(description: String) -> Self {
        Refusal {
            status: StatusCode::FORBIDDEN,
            reason: RefusalReason::SettingsDrift,
            description,
            invalid_token: false,
            scheme: "",
            source: None,
        }
    }

    /// The HTTP status: 401, 403, or 503 where a replay guard cannot record; what the response
    /// answers with ([`Refusal`] shows an example).
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// Why: the stable name of the body, the logs and the counters ([`Refusal`] shows an
    /// example).
    pub fn reason(&self) -> RefusalReason {
        self.reason
    }

    /// The answer as an HTTP response of any body that can be made from bytes (axum's
    /// `Body`, `http_body_util::Full<Bytes>`).
    pub(crate) fn into_http<ResBody: From<Bytes>>(self) -> Response<ResBody> {
        let body = Body {
            error: self.reason.as_str(),
            message: &self.description,
        };
        // Two strings into JSON: serialization cannot fail.
        let json = serde_json::to_vec(&body).unwrap_or_default();
        let mut response = Response::new(ResBody::from(Bytes::from(json)));
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if self.status == StatusCode::UNAUTHORIZED {
            let challenge = if self.invalid_token {
                format!(
                    "{} error=\"invalid_token\", error_description=\"{}\"",
                    self.scheme,
                    header_safe(&self.description)
                )
            } else {
                self.scheme.to_owned()
            };
            if let Ok(value) = HeaderValue::from_str(&challenge) {
                headers.insert(header::WWW_AUTHENTICATE, value);
            }
        }
        response
    }
}

/// RFC 6750's `error_description` allows printable ASCII but `"` and `\`.
fn header_safe(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '"' => '\'',
            '\\' => '/',
            ' '..='~' => c,
            _ => '?',
        })
        .collect()
}

/// `refused with 401 (expired)`; the words of a facade error are its own `Display`, reached
/// through `source()`, so an error report does not say them twice.
impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "refused with {} ({})", self.status.as_u16(), self.reason)?;
        if self.source.is_none() {
            write!(f, ": {}", self.description)?;
        }
        Ok(())
    }
}

impl StdError for Refusal {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match &self.source {
            Some(Source::Token(error)) => Some(error),
            Some(Source::Service(error)) => Some(error),
            None => None,
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> axum::response::Response {
        self.into_http()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_is_in_the_readmes_table_of_stable_kinds() {
        let readme = include_str!("../../README.md");
        let table = &readme[readme.find("## Stable kinds").unwrap()..];
        for reason in RefusalReason::ALL {
            let row = format!("| `{}` |", reason.as_str());
            let documented = table
                .lines()
                .take_while(|l| !l.starts_with("## Fingerprints"))
                .any(|l| l.starts_with(&row) && l.contains("HTTP"));
            assert!(documented, "{row} (HTTP) is not in the README's table");
        }
    }

    #[test]
    fn every_reason_has_its_own_name() {
        let mut names: Vec<&str> = RefusalReason::ALL.iter().map(|r| r.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), RefusalReason::ALL.len());
    }

    #[test]
    fn every_kind_of_the_facade_met_at_request_time_has_a_reason_of_the_same_name() {
        // The facade's one list of its variants; signing errors are never met on a request.
        let signing = ["verify_only", "signing"];
        for error in jwt_config::__private::every_token_error() {
            let kind = error.kind();
            if !signing.contains(&kind) {
                assert_eq!(Refusal::token("Bearer", error).reason().as_str(), kind);
            }
        }
        for error in jwt_config::__private::every_service_auth_error() {
            let kind = error.kind();
            let refusal = Refusal::service("ServiceToken", error);
            if kind == "missing_header" {
                // The one renamed on purpose: a missing header is a missing token, as for users.
                assert_eq!(refusal.reason(), RefusalReason::MissingToken);
                continue;
            }
            assert_eq!(refusal.reason().as_str(), kind);
            assert!(refusal.source().is_some());
        }
    }

    #[test]
    fn the_display_names_the_status_and_reason_and_leaves_the_words_to_the_source() {
        let refusal = Refusal::token("Bearer", TokenError::Expired);
        assert_eq!(refusal.to_string(), "refused with 401 (expired)");
        assert_eq!(
            refusal.source().unwrap().to_string(),
            TokenError::Expired.to_string()
        );
        let refusal = Refusal::drift("they differ".to_owned());
        assert_eq!(
            refusal.to_string(),
            "refused with 403 (settings_drift): they differ"
        );
        assert!(refusal.source().is_none());
    }
}
