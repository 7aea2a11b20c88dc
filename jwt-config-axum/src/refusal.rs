//! A refused request as the client sees it: 401 or 403 (503 where a replay guard is full), `WWW-Authenticate` as RFC 6750
//! describes it, a small JSON body; never the token, never a secret.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// Why a request was refused; answers itself as an HTTP response.
#[derive(Clone, Debug)]
pub struct Refusal {
    status: StatusCode,
    kind: &'static str,
    description: String,
    /// `WWW-Authenticate` carries `error="invalid_token"` (not for a missing token).
    invalid_token: bool,
    scheme: &'static str,
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
            kind: "missing_token",
            description: description.to_owned(),
            invalid_token: false,
            scheme,
        }
    }

    pub(crate) fn invalid(scheme: &'static str, kind: &'static str, description: String) -> Self {
        Refusal {
            status: StatusCode::UNAUTHORIZED,
            kind,
            description,
            invalid_token: true,
            scheme,
        }
    }

    pub(crate) fn forbidden(kind: &'static str, description: String) -> Self {
        Refusal {
            status: StatusCode::FORBIDDEN,
            kind,
            description,
            invalid_token: false,
            scheme: "",
        }
    }

    /// The server cannot decide now (a full replay guard): 503, for the caller to retry.
    pub(crate) fn unavailable(kind: &'static str, description: String) -> Self {
        Refusal {
            status: StatusCode::SERVICE_UNAVAILABLE,
            kind,
            description,
            invalid_token: false,
            scheme: "",
        }
    }

    /// The HTTP status: 401, 403, or 503 where a replay guard is full.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The stable reason (`missing_token`, `expired`, `caller_not_allowed`, ...).
    pub fn kind(&self) -> &'static str {
        self.kind
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

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let body = Body {
            error: self.kind,
            message: &self.description,
        };
        let mut response = (self.status, Json(body)).into_response();
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
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, value);
            }
        }
        response
    }
}
