//! The tokens this crate issues: each says what it is in its `typ` header (RFC 8725 section
//! 3.11, RFC 9068), so a refresh token never passes where an access token is expected, and a
//! service token never passes as either.

use std::fmt;

use jsonwebtoken::errors::ErrorKind;
use serde::{Deserialize, Deserializer, Serialize};

/// The `typ` of an access token (RFC 9068).
pub const ACCESS_TOKEN_TYPE: &str = "at+jwt";
/// The `typ` of a refresh token.
pub const REFRESH_TOKEN_TYPE: &str = "refresh+jwt";
/// The `typ` of a service-to-service token.
pub const SERVICE_TOKEN_TYPE: &str = "service+jwt";

/// What a token is for; its `typ` header says it, and its lifetime is set per type
/// ([`JwtConfig::lifetime`](crate::JwtConfig::lifetime)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenType {
    /// An access token (`typ: at+jwt`, RFC 9068), living `JWT_ACCESS_TOKEN_EXPIRE_MINUTES`.
    Access,
    /// A refresh token (`typ: refresh+jwt`), living `JWT_REFRESH_TOKEN_EXPIRE_DAYS`.
    Refresh,
    /// A service-to-service token (`typ: service+jwt`), living
    /// `SERVICE_TOKEN_LIFETIME_SECONDS`.
    Service,
}

impl TokenType {
    /// The type in words, for messages: "an access", "a refresh", "a service".
    pub(crate) fn in_words(self) -> &'static str {
        match self {
            TokenType::Access => "an access",
            TokenType::Refresh => "a refresh",
            TokenType::Service => "a service",
        }
    }

    /// The `typ` header this crate gives tokens of this type.
    pub fn typ(self) -> &'static str {
        match self {
            TokenType::Access => ACCESS_TOKEN_TYPE,
            TokenType::Refresh => REFRESH_TOKEN_TYPE,
            TokenType::Service => SERVICE_TOKEN_TYPE,
        }
    }

    /// The one `typ` rule of every token: [`TokenType::accepts`], or the error that says so.
    pub(crate) fn check(self, typ: Option<&str>, untyped_access: bool) -> Result<(), TokenError> {
        if self.accepts(typ, untyped_access) {
            return Ok(());
        }
        Err(TokenError::WrongType {
            expected: self.in_words(),
            found: typ.map(bounded),
        })
    }

    /// Whether a header's `typ` names this type: compared without case, with or without the
    /// `application/` prefix (RFC 7515 section 4.1.9). Untyped or `JWT` access tokens pass
    /// only when the verifier accepts them (`JWT_ACCEPT_UNTYPED_ACCESS_TOKENS`).
    pub(crate) fn accepts(self, typ: Option<&str>, untyped_access: bool) -> bool {
        let Some(typ) = typ else {
            return self == TokenType::Access && untyped_access;
        };
        let typ = typ
            .get(..12)
            .filter(|p| p.eq_ignore_ascii_case("application/"))
            .map_or(typ, |_| &typ[12..]);
        typ.eq_ignore_ascii_case(self.typ())
            || (self == TokenType::Access && untyped_access && typ.eq_ignore_ascii_case("JWT"))
    }
}

/// No claims beyond the registered ones: the default of [`AccessClaims`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoExtraClaims {}

/// The claims of an access or refresh token: the registered ones, and a service's own
/// (`extra`, flattened into the same JSON object).
///
/// ```
/// use jwt_config::AccessClaims;
///
/// #[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
/// struct Roles {
///     roles: Vec<String>,
///     tenant: String,
/// }
///
/// let claims: AccessClaims<Roles> = serde_json::from_str(
///     r#"{"sub":"u1","iss":"auth","aud":"api","iat":1,"exp":2,"roles":["admin"],"tenant":"t1"}"#,
/// ).unwrap();
/// assert_eq!(claims.extra.roles, ["admin"]);
/// assert_eq!(claims.aud, ["api"]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims<X = NoExtraClaims> {
    /// Subject.
    pub sub: String,
    /// Issuer.
    pub iss: String,
    /// Audience: one value or several (a single string is read as one value).
    #[serde(deserialize_with = "one_or_many")]
    pub aud: Vec<String>,
    /// Issued at (seconds since the epoch).
    pub iat: u64,
    /// Expires at (seconds since the epoch).
    pub exp: u64,
    /// Not valid before (seconds since the epoch); checked with the leeway when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
    /// The service's own claims.
    #[serde(flatten)]
    pub extra: X,
}

/// The claims of a refresh token: the same registered claims as [`AccessClaims`] (read them
/// with [`RefreshClaims::claims`]), in a type of their own so that only
/// [`JwtConfig::encode_refresh`](crate::JwtConfig::encode_refresh) signs them and an access
/// token's claims can never be signed as a refresh token, nor these as an access token. Made
/// by [`JwtConfig::refresh_claims`](crate::JwtConfig::refresh_claims), which gives them the
/// refresh token's lifetime.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RefreshClaims<X = NoExtraClaims>(AccessClaims<X>);

impl AccessClaims {
    /// These claims with a service's own (roles, a tenant) beside the registered ones:
    /// `config.access_claims("user-1").with_extra(roles)`.
    pub fn with_extra<X>(self, extra: X) -> AccessClaims<X> {
        AccessClaims {
            sub: self.sub,
            iss: self.iss,
            aud: self.aud,
            iat: self.iat,
            exp: self.exp,
            nbf: self.nbf,
            extra,
        }
    }
}

impl RefreshClaims {
    /// These claims with a service's own beside the registered ones (see
    /// [`AccessClaims::with_extra`]).
    pub fn with_extra<X>(self, extra: X) -> RefreshClaims<X> {
        RefreshClaims(self.0.with_extra(extra))
    }
}

impl<X> RefreshClaims<X> {
    /// The registered and extra claims. No `Deref`: it would let an access token's signing
    /// take these claims unnoticed.
    pub fn claims(&self) -> &AccessClaims<X> {
        &self.0
    }

    /// The claims, to change (a custom `exp` is checked again when the token is verified).
    pub fn claims_mut(&mut self) -> &mut AccessClaims<X> {
        &mut self.0
    }

    /// The claims, owned.
    pub fn into_claims(self) -> AccessClaims<X> {
        self.0
    }

    pub(crate) fn new(claims: AccessClaims<X>) -> Self {
        RefreshClaims(claims)
    }
}

/// The times of a verified token's claims, read apart from the service's claims type: `exp`
/// and, where present, `iat`. `None` where the payload is not a JSON object with a numeric
/// `exp`.
pub(crate) fn token_times(token: &str) -> Option<(Option<u64>, u64)> {
    use base64::Engine as _;
    #[derive(Deserialize)]
    struct Times {
        iat: Option<u64>,
        exp: u64,
    }
    let payload = token.split('.').nth(1)?;
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    let times: Times = serde_json::from_slice(&json).ok()?;
    Some((times.iat, times.exp))
}

fn one_or_many<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(deserializer)? {
        OneOrMany::One(value) => vec![value],
        OneOrMany::Many(values) => values,
    })
}

/// Why a token could not be issued or verified. [`TokenError::kind`] is a stable name to
/// match on or log; the Display says what is wrong in words a service can log. Neither ever
/// contains the token or a secret, and a value taken from the token is cut and escaped.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// The service has no private key: it verifies but does not sign.
    #[error("this service only verifies tokens: JWT_PRIVATE_KEY is not set")]
    VerifyOnly,
    /// The token could not be signed (the startup self-test makes this unreachable for a
    /// configuration reason).
    #[error("the token could not be signed")]
    Signing,
    /// `exp` has passed (beyond the leeway).
    #[error("the token has expired")]
    Expired,
    /// `nbf` or `iat` lies in the future (beyond the leeway).
    #[error("the token is not valid yet (nbf or iat is in the future)")]
    NotYetValid,
    /// The signature does not verify with this service's key.
    #[error("the token's signature does not verify with this service's key")]
    BadSignature,
    /// The token is of another type (a refresh or service token where an access token is
    /// expected, for instance).
    #[error("the token is not {expected} token (typ {})", shown_typ(.found))]
    WrongType {
        /// The type expected, in words: "an access", "a refresh".
        expected: &'static str,
        /// The `typ` found, cut to 40 characters and escaped.
        found: Option<String>,
    },
    /// The token is meant for another audience.
    #[error("the token is meant for another audience; this service accepts {}", .expected.join(", "))]
    WrongAudience {
        /// The audiences this service accepts (`JWT_AUDIENCE`).
        expected: Vec<String>,
    },
    /// The token comes from another issuer.
    #[error("the token comes from another issuer; this service accepts {expected}")]
    WrongIssuer {
        /// The issuer this service accepts (`JWT_ISSUER`).
        expected: String,
    },
    /// A claim the schema requires is missing.
    #[error("the token has no `{0}` claim")]
    MissingClaim(String),
    /// The token names a key (`kid`) this service does not have.
    #[error("the token's key id \"{kid}\" is none of this service's keys in {held_in}")]
    UnknownKeyId {
        /// The `kid` found, cut to 40 characters and escaped.
        kid: String,
        /// The variables that hold the keys this service verifies with.
        held_in: &'static str,
    },
    /// The token names no key, and this service has no key for tokens without one.
    #[error(
        "the token names no key (kid), and this service has no key for tokens without one among {held_in}"
    )]
    NoKeyId {
        /// The variables that hold the keys this service verifies with.
        held_in: &'static str,
    },
    /// The token lives longer than this service's setting for its type (plus the leeway):
    /// whoever made it did not follow this schema (an access token signed with a refresh
    /// token's lifetime, for instance).
    #[error(
        "the token lives {lifetime} s; at most {max} s are accepted for {expected} token ({variable} plus JWT_LEEWAY_SECONDS)"
    )]
    LifetimeTooLong {
        /// The type expected, in words: "an access", "a refresh".
        expected: &'static str,
        /// `exp - iat` of the token (or `exp - now` without `iat`), in seconds.
        lifetime: u64,
        /// The most accepted, in seconds.
        max: u64,
        /// The setting of that lifetime.
        variable: &'static str,
    },
    /// The token is signed with another algorithm than its key's (`JWT_ALGORITHM` for access
    /// and refresh tokens; a service key's own for service tokens).
    #[error("the token is signed with another algorithm than its key's")]
    WrongAlgorithm,
    /// Not a well-formed token, or its claims are not of the expected shape.
    #[error("the token is malformed")]
    Malformed,
}

impl TokenError {
    /// The stable name of the error, one snake_case string per variant, to match on or log
    /// (the same as [`TokenError::as_str`]).
    pub fn kind(&self) -> &'static str {
        self.as_str()
    }

    /// The stable name of the error: `verify_only`, `signing`, `expired`, `not_yet_valid`,
    /// `bad_signature`, `wrong_type`, `wrong_audience`, `wrong_issuer`, `missing_claim`,
    /// `unknown_key_id`, `no_key_id`, `lifetime_too_long`, `wrong_algorithm`, `malformed`.
    /// A name never changes once released; a new variant brings a new name.
    pub fn as_str(&self) -> &'static str {
        match self {
            TokenError::VerifyOnly => "verify_only",
            TokenError::Signing => "signing",
            TokenError::Expired => "expired",
            TokenError::NotYetValid => "not_yet_valid",
            TokenError::BadSignature => "bad_signature",
            TokenError::WrongType { .. } => "wrong_type",
            TokenError::WrongAudience { .. } => "wrong_audience",
            TokenError::WrongIssuer { .. } => "wrong_issuer",
            TokenError::MissingClaim(_) => "missing_claim",
            TokenError::UnknownKeyId { .. } => "unknown_key_id",
            TokenError::NoKeyId { .. } => "no_key_id",
            TokenError::LifetimeTooLong { .. } => "lifetime_too_long",
            TokenError::WrongAlgorithm => "wrong_algorithm",
            TokenError::Malformed => "malformed",
        }
    }

    /// The error of a refused token, from jsonwebtoken's kind: the one mapping, for every
    /// token type.
    pub(crate) fn from_refusal(kind: &ErrorKind, audience: &[String], issuer: &str) -> Self {
        match kind {
            ErrorKind::InvalidSignature => TokenError::BadSignature,
            ErrorKind::ExpiredSignature => TokenError::Expired,
            ErrorKind::ImmatureSignature => TokenError::NotYetValid,
            ErrorKind::InvalidAudience => TokenError::WrongAudience {
                expected: audience.to_vec(),
            },
            ErrorKind::InvalidIssuer => TokenError::WrongIssuer {
                expected: issuer.to_owned(),
            },
            ErrorKind::MissingRequiredClaim(claim) => TokenError::MissingClaim(bounded(claim)),
            ErrorKind::InvalidAlgorithm => TokenError::WrongAlgorithm,
            _ => TokenError::Malformed,
        }
    }
}

/// A value taken from a token, as a message may show it: escaped, at most 40 characters.
pub(crate) fn bounded(text: &str) -> String {
    const LIMIT: usize = 40;
    let cut: String = text.chars().take(LIMIT).collect();
    let mut shown: String = cut.escape_debug().collect();
    if text.chars().nth(LIMIT).is_some() {
        shown.push_str("...");
    }
    shown
}

fn shown_typ(found: &Option<String>) -> impl fmt::Display + '_ {
    struct Shown<'a>(&'a Option<String>);
    impl fmt::Display for Shown<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self.0 {
                Some(typ) => write!(f, "\"{typ}\""),
                None => f.write_str("absent"),
            }
        }
    }
    Shown(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_compare_without_case_and_with_the_media_type_prefix() {
        assert!(TokenType::Access.accepts(Some("AT+JWT"), false));
        assert!(TokenType::Access.accepts(Some("application/at+jwt"), false));
        assert!(!TokenType::Access.accepts(Some("JWT"), false));
        assert!(!TokenType::Access.accepts(None, false));
        assert!(TokenType::Access.accepts(Some("jwt"), true));
        assert!(TokenType::Access.accepts(None, true));
        assert!(!TokenType::Refresh.accepts(None, true));
        assert!(!TokenType::Refresh.accepts(Some(ACCESS_TOKEN_TYPE), true));
        // One rule for service tokens too; untyped acceptance is for access tokens only.
        assert!(TokenType::Service.accepts(Some("application/Service+JWT"), false));
        assert!(!TokenType::Service.accepts(None, true));
        assert!(!TokenType::Service.accepts(Some("JWT"), true));
        assert!(!TokenType::Service.accepts(Some(ACCESS_TOKEN_TYPE), true));
    }

    #[test]
    fn values_from_a_token_are_cut_and_escaped() {
        assert_eq!(bounded("a\nb"), "a\\nb");
        assert_eq!(bounded(&"x".repeat(1_000_000)).len(), 43);
    }
}
