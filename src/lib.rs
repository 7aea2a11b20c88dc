//! One JWT configuration schema, declared once and compiled into every service.
//!
//! `#[derive(Config)]` turns an annotated struct into a loader of environment variables:
//! canonical names, legacy aliases, defaults, per-environment rules and validation, with
//! every problem in one report that names each variable and never shows a secret.
//!
//! ```
//! use jwt_config::{Config, MapSource, Secret};
//!
//! /// Settings of the billing service.
//! #[derive(Config, Debug)]
//! struct BillingConfig {
//!     /// Port of the HTTP server.
//!     #[config(env = "BILLING_PORT", default = 8080, range(1..=65535))]
//!     port: u16,
//!     /// Key of the payment provider.
//!     #[config(env = "STRIPE_API_KEY", required_in(staging, production))]
//!     stripe_key: Option<Secret<String>>,
//!     /// How long a call to the provider may take.
//!     #[config(env = "BILLING_TIMEOUT_SECONDS", alias = "BILLING_TIMEOUT", default = 30)]
//!     timeout_seconds: u64,
//! }
//!
//! let source: MapSource = [("BILLING_PORT", "9000"), ("BILLING_TIMEOUT", "10")].into_iter().collect();
//! let config = BillingConfig::from_source(&source)?;
//! assert_eq!(config.port, 9000);
//! assert_eq!(config.timeout_seconds, 10); // read from the legacy alias, with a warning
//!
//! let production: MapSource = [("ENVIRONMENT", "production"), ("BILLING_PORT", "0")].into_iter().collect();
//! let error = BillingConfig::from_source(&production).unwrap_err();
//! assert_eq!(error.problems().len(), 2); // every problem at once
//! assert!(error.to_string().contains("STRIPE_API_KEY: is missing"));
//! # Ok::<(), jwt_config::ConfigError>(())
//! ```
//!
//! ## Crypto backend
//!
//! With the `jwt` feature, exactly one of two features chooses the backend that signs and
//! verifies tokens (jsonwebtoken's); neither or both is a compile error:
//!
//! - `rust-crypto` (default): pure Rust. It signs RS\*/PS\* tokens with the `rsa` crate, open to
//!   [RUSTSEC-2023-0071](https://rustsec.org/advisories/RUSTSEC-2023-0071) (timing of
//!   private-key operations), so a service that holds an RSA `JWT_PRIVATE_KEY` gets a startup
//!   warning in staging and production. Verifying is not affected.
//! - `aws-lc`: aws-lc-rs, constant-time; builds C code (a C compiler is enough). Choose it with
//!   `default-features = false, features = ["jwt", "service-auth", "aws-lc"]`.
#![doc = include_str!("../docs/attributes.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub use jwt_config_core::{
    Config, ConfigError, ConfigValue, Context, Drift, ENVIRONMENT_VARIABLE, Entry, EnvFile,
    Environment, Flatten, Layered, Length, Loaded, Location, MapSource, NameFilter, Origin,
    Presence, Problem, ProblemKind, ProcessEnv, Resolved, Schema, Secret, SettingsFingerprint,
    Source, Substitution, UnknownEnvironment, VarSchema, Variable, Warning, WarningKind,
    compare_settings, escape_controls,
};
pub use jwt_config_macros::Config;

#[cfg(all(feature = "jwt", not(any(feature = "rust-crypto", feature = "aws-lc"))))]
compile_error!(
    "jwt-config: the `jwt` feature needs a crypto backend: enable exactly one of the features \
     `rust-crypto` (the default) and `aws-lc`"
);
#[cfg(all(feature = "rust-crypto", feature = "aws-lc"))]
compile_error!(
    "jwt-config: the features `rust-crypto` and `aws-lc` are both enabled; enable exactly one \
     crypto backend (with `default-features = false` to choose `aws-lc`)"
);

#[cfg(feature = "jwt")]
mod jwt;
#[cfg(feature = "service-auth")]
pub mod service_auth;
mod startup;

pub use startup::{ENV_FILE_VARIABLE, ServiceLoader, load_service};

/// The `jsonwebtoken` crate this one is built on, so every service uses the same version.
#[cfg(feature = "jwt")]
pub use jsonwebtoken;
#[cfg(feature = "jwt")]
pub use jwt::{
    ACCESS_TOKEN_TYPE, AccessClaims, AllowedCallers, Audience, BASE64_PREFIX, HasJwtConfig,
    HmacKey, JwtConfig, JwtConfigPartial, KeyInfo, MIN_RSA_BITS, MIN_SERVICE_SECRET_BYTES,
    NoExtraClaims, Pem, REFRESH_TOKEN_TYPE, RefreshClaims, SERVICE_TOKEN_TYPE, SigningAlgorithm,
    TokenError, TokenType, agreement, vars,
};

/// Pins the schema a service was reviewed against: a changed schema (a name, alias, type,
/// default or rule) is then a compile error that prints the new fingerprint.
///
/// ```
/// use jwt_config::{Config, assert_schema};
///
/// #[derive(Config)]
/// struct Pinned {
///     #[config(default = 8080)]
///     port: u16,
/// }
///
/// assert_schema!(Pinned, "b2dfdc6ee7130176");
/// assert_eq!(jwt_config::schema_fingerprint_of::<Pinned>(), "b2dfdc6ee7130176");
/// ```
#[macro_export]
macro_rules! assert_schema {
    ($config:ty, $fingerprint:literal $(,)?) => {
        const _: () = $crate::__private::assert_schema_fingerprint(
            <$config as $crate::Config>::SCHEMA_FINGERPRINT,
            $fingerprint,
        );
    };
}

/// The schema fingerprint of `T` as [`assert_schema!`] takes it: 16 hex digits.
pub fn schema_fingerprint_of<T: Config>() -> String {
    jwt_config_core::__private::fingerprint_hex(T::SCHEMA_FINGERPRINT)
        .iter()
        .map(|&b| char::from(b))
        .collect()
}

/// What generated code calls. Not part of the public API: no semver guarantees.
#[doc(hidden)]
pub mod __private {
    pub use jwt_config_core::__private::*;

    #[cfg(feature = "jwt")]
    /// One of each variant, for the tests that hold every kind to its name (here and in
    /// `jwt-config-axum`); the exhaustive matches make a new variant a compile error here.
    pub fn every_token_error() -> Vec<crate::TokenError> {
        let all = vec![
            crate::TokenError::VerifyOnly,
            crate::TokenError::Signing,
            crate::TokenError::Expired,
            crate::TokenError::NotYetValid,
            crate::TokenError::BadSignature,
            crate::TokenError::WrongType {
                expected: "an access",
                found: None,
            },
            crate::TokenError::WrongAudience { expected: vec![] },
            crate::TokenError::WrongIssuer {
                expected: String::new(),
            },
            crate::TokenError::MissingClaim(String::new()),
            crate::TokenError::UnknownKeyId {
                kid: String::new(),
                held_in: "",
            },
            crate::TokenError::NoKeyId { held_in: "" },
            crate::TokenError::LifetimeTooLong {
                expected: "an access",
                lifetime: 0,
                max: 0,
                variable: "",
            },
            crate::TokenError::WrongAlgorithm,
            crate::TokenError::Malformed,
        ];
        for error in &all {
            match error {
                crate::TokenError::VerifyOnly
                | crate::TokenError::Signing
                | crate::TokenError::Expired
                | crate::TokenError::NotYetValid
                | crate::TokenError::BadSignature
                | crate::TokenError::WrongType { .. }
                | crate::TokenError::WrongAudience { .. }
                | crate::TokenError::WrongIssuer { .. }
                | crate::TokenError::MissingClaim(_)
                | crate::TokenError::UnknownKeyId { .. }
                | crate::TokenError::NoKeyId { .. }
                | crate::TokenError::LifetimeTooLong { .. }
                | crate::TokenError::WrongAlgorithm
                | crate::TokenError::Malformed => {}
            }
        }
        all
    }

    /// One of each variant of [`ServiceAuthError`](crate::service_auth::ServiceAuthError), likewise.
    #[cfg(feature = "service-auth")]
    pub fn every_service_auth_error() -> Vec<crate::service_auth::ServiceAuthError> {
        let all = vec![
            crate::service_auth::ServiceAuthError::MissingHeader,
            crate::service_auth::ServiceAuthError::Token(crate::TokenError::Malformed),
            crate::service_auth::ServiceAuthError::WrongIssuer {
                key_service: String::new(),
            },
            crate::service_auth::ServiceAuthError::SharedSecretRefused,
            crate::service_auth::ServiceAuthError::MissingTokenId,
            crate::service_auth::ServiceAuthError::Replayed,
            crate::service_auth::ServiceAuthError::ReplayGuardFull,
            crate::service_auth::ServiceAuthError::ReplayGuardUnavailable,
            crate::service_auth::ServiceAuthError::CallerNotAllowed(String::new()),
        ];
        for error in &all {
            match error {
                crate::service_auth::ServiceAuthError::MissingHeader
                | crate::service_auth::ServiceAuthError::Token(_)
                | crate::service_auth::ServiceAuthError::WrongIssuer { .. }
                | crate::service_auth::ServiceAuthError::SharedSecretRefused
                | crate::service_auth::ServiceAuthError::MissingTokenId
                | crate::service_auth::ServiceAuthError::Replayed
                | crate::service_auth::ServiceAuthError::ReplayGuardFull
                | crate::service_auth::ServiceAuthError::ReplayGuardUnavailable
                | crate::service_auth::ServiceAuthError::CallerNotAllowed(_) => {}
            }
        }
        all
    }
}
