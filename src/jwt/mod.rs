//! The canonical schema every service compiles, and its bridge to `jsonwebtoken`.

mod keys;
mod values;

use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, TokenData, Validation};
use jwt_config_core::{Context, Environment, ProblemKind, Secret, WarningKind};
use serde::Serialize;
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq as _;

pub use keys::{MIN_RSA_BITS, SERVICE_TOKEN_TYPE};
pub use values::{Audience, BASE64_PREFIX, HmacKey, Pem, SigningAlgorithm};

/// The variable names of the schema, for messages and for code that names them.
pub mod vars {
    /// `ENVIRONMENT`
    pub const ENVIRONMENT: &str = "ENVIRONMENT";
    /// `JWT_ALGORITHM`
    pub const ALGORITHM: &str = "JWT_ALGORITHM";
    /// `JWT_SECRET_KEY`
    pub const SECRET_KEY: &str = "JWT_SECRET_KEY";
    /// `JWT_PRIVATE_KEY`
    pub const PRIVATE_KEY: &str = "JWT_PRIVATE_KEY";
    /// `JWT_PUBLIC_KEY`
    pub const PUBLIC_KEY: &str = "JWT_PUBLIC_KEY";
    /// `JWT_ACCESS_TOKEN_EXPIRE_MINUTES`
    pub const ACCESS_TOKEN_EXPIRE_MINUTES: &str = "JWT_ACCESS_TOKEN_EXPIRE_MINUTES";
    /// `JWT_REFRESH_TOKEN_EXPIRE_DAYS`
    pub const REFRESH_TOKEN_EXPIRE_DAYS: &str = "JWT_REFRESH_TOKEN_EXPIRE_DAYS";
    /// `JWT_ISSUER`
    pub const ISSUER: &str = "JWT_ISSUER";
    /// `JWT_AUDIENCE`
    pub const AUDIENCE: &str = "JWT_AUDIENCE";
    /// `JWT_LEEWAY_SECONDS`
    pub const LEEWAY_SECONDS: &str = "JWT_LEEWAY_SECONDS";
    /// `SERVICE_ID`
    pub const SERVICE_ID: &str = "SERVICE_ID";
    /// `SERVICE_SECRET`
    pub const SERVICE_SECRET: &str = "SERVICE_SECRET";
    /// `SERVICE_TOKEN_LIFETIME_SECONDS`
    pub const SERVICE_TOKEN_LIFETIME_SECONDS: &str = "SERVICE_TOKEN_LIFETIME_SECONDS";
    /// `SERVICE_ALLOWED_CALLERS`
    pub const SERVICE_ALLOWED_CALLERS: &str = "SERVICE_ALLOWED_CALLERS";
}

/// The least length of `SERVICE_SECRET` in staging and production.
pub const MIN_SERVICE_SECRET_BYTES: usize = 32;

/// The shared JWT settings, identical in every service that issues, verifies or calls.
///
/// Key material is parsed once at load and proved by a sign-then-verify self-test, so a
/// service with a bad key does not start. Flatten it into a service's own settings with
/// `#[config(flatten)]`.
#[derive(crate::Config, Debug, Clone)]
#[config(crate = "crate", validate = Self::check)]
pub struct JwtConfig {
    /// Where the service runs: development, test, staging or production (any case).
    #[config(env = "ENVIRONMENT", default = Environment::Development)]
    environment: Environment,
    /// The signing algorithm: HS256, HS384, HS512, RS256, RS384, RS512, PS256, PS384, PS512,
    /// ES256, ES384 or EdDSA (any case). `none` is refused.
    #[config(env = "JWT_ALGORITHM", default = SigningAlgorithm::HS256)]
    algorithm: SigningAlgorithm,
    /// HMAC key for HS algorithms: raw text, or `base64:` and standard or URL-safe base64.
    /// At least 32/48/64 bytes after decoding for HS256/384/512 in staging and production.
    #[config(env = "JWT_SECRET_KEY", alias = "JWT_SECRET")]
    #[allow(dead_code)]
    // read only to build `keys`; a derived struct keeps every variable it reads
    secret_key: Option<Secret<HmacKey>>,
    /// PEM signing key for asymmetric algorithms (escaped `\n` accepted). Without it the
    /// service only verifies.
    #[config(env = "JWT_PRIVATE_KEY", per_service)]
    #[allow(dead_code)]
    // read only to build `keys`; a derived struct keeps every variable it reads
    private_key: Option<Secret<Pem>>,
    /// PEM verification key; required for asymmetric algorithms. RSA keys: at least 2048 bits.
    #[config(env = "JWT_PUBLIC_KEY", file)]
    public_key: Option<Pem>,
    /// Access token lifetime in minutes (1 to 1440), longer than the leeway.
    #[config(env = "JWT_ACCESS_TOKEN_EXPIRE_MINUTES", alias = "JWT_ACCESS_EXPIRY_MINUTES", default = 15, range(1..=1440))]
    access_token_expire_minutes: u32,
    /// Refresh token lifetime in days (1 to 365), longer than the access token.
    #[config(env = "JWT_REFRESH_TOKEN_EXPIRE_DAYS", alias = "JWT_REFRESH_EXPIRY_DAYS", default = 7, range(1..=365))]
    refresh_token_expire_days: u32,
    /// The `iss` claim issued and required.
    #[config(
        env = "JWT_ISSUER",
        default = "jwt-config-dev",
        required_in(staging, production)
    )]
    issuer: String,
    /// The `aud` values issued and accepted, comma-separated.
    #[config(
        env = "JWT_AUDIENCE",
        default = "jwt-config-dev",
        required_in(staging, production)
    )]
    audience: Audience,
    /// Clock skew allowed when checking `exp` and `nbf`, in seconds (0 to 300).
    #[config(env = "JWT_LEEWAY_SECONDS", default = 30, range(0..=300))]
    leeway_seconds: u64,
    /// This service's name in service-to-service calls.
    #[config(env = "SERVICE_ID", per_service)]
    service_id: String,
    /// Key of service-to-service tokens (raw or `base64:`); at least 32 bytes in staging and
    /// production, never equal to `JWT_SECRET_KEY`.
    #[config(env = "SERVICE_SECRET", required_in(staging, production))]
    service_secret: Option<Secret<HmacKey>>,
    /// Lifetime of service-to-service tokens in seconds (1 to 300).
    #[config(env = "SERVICE_TOKEN_LIFETIME_SECONDS", default = 60, range(1..=300))]
    service_token_lifetime_seconds: u64,
    /// Service ids allowed to call this one, comma-separated; unset allows every caller.
    #[config(env = "SERVICE_ALLOWED_CALLERS", per_service)]
    service_allowed_callers: Option<Vec<String>>,
    #[config(computed = keys::build_keys)]
    keys: keys::Keys,
    #[config(computed = keys::build_service_keys)]
    service_keys: Option<keys::ServiceKeys>,
}

impl JwtConfig {
    /// Rules across fields; they run even when other variables failed.
    fn check(partial: &JwtConfigPartial<'_>, context: &mut Context<'_>) {
        if let (Some(access), Some(leeway)) =
            (partial.access_token_expire_minutes, partial.leeway_seconds)
            && u64::from(*access) * 60 <= *leeway
        {
            let message =
                format!("({access} min) must be longer than JWT_LEEWAY_SECONDS ({leeway} s)");
            context.problem(
                vars::ACCESS_TOKEN_EXPIRE_MINUTES,
                ProblemKind::Rule,
                message,
            );
        }
        if let (Some(refresh), Some(access)) = (
            partial.refresh_token_expire_days,
            partial.access_token_expire_minutes,
        ) && u64::from(*refresh) * 24 * 60 <= u64::from(*access)
        {
            let message = format!(
                "({refresh} d) must be longer than JWT_ACCESS_TOKEN_EXPIRE_MINUTES ({access} min)"
            );
            context.problem(vars::REFRESH_TOKEN_EXPIRE_DAYS, ProblemKind::Rule, message);
        }
        if partial.service_secret.is_some_and(Option::is_none) {
            let message = "is not set: service-to-service authentication is off on both sides \
                           (outgoing calls carry no token, incoming calls are accepted without one); \
                           allowed only in development and test";
            context.warn(vars::SERVICE_SECRET, WarningKind::Notice, message);
        }
        let Some(Some(service_secret)) = partial.service_secret else {
            return;
        };
        let service_bytes = service_secret.expose().as_bytes();
        if context.environment().is_deployed() && service_bytes.len() < MIN_SERVICE_SECRET_BYTES {
            let message = format!(
                "is {} bytes long; at least {MIN_SERVICE_SECRET_BYTES} are required in {}",
                service_bytes.len(),
                context.environment()
            );
            context.problem(vars::SERVICE_SECRET, ProblemKind::OutOfRange, message);
        }
        if let Some(Some(jwt_secret)) = partial.secret_key
            && bool::from(jwt_secret.expose().as_bytes().ct_eq(service_bytes))
        {
            let message = "must differ from JWT_SECRET_KEY: a user's token must never verify as a service token (RFC 8725 section 3.12)";
            context.problem(vars::SERVICE_SECRET, ProblemKind::Rule, message);
        }
    }

    /// The environment the configuration was loaded for.
    pub fn environment(&self) -> Environment {
        self.environment
    }

    /// The verification key as configured (PEM), for asymmetric algorithms.
    pub fn public_key(&self) -> Option<&Pem> {
        self.public_key.as_ref()
    }

    /// The signing algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm.algorithm()
    }

    /// The key that signs tokens; `None` in a service that only verifies.
    pub fn encoding_key(&self) -> Option<&EncodingKey> {
        self.keys.encoding.as_ref()
    }

    /// The key that verifies tokens.
    pub fn decoding_key(&self) -> &DecodingKey {
        &self.keys.decoding
    }

    /// Exactly one algorithm, the issuer, the audience and the leeway; `exp`, `iss` and `aud`
    /// required.
    pub fn validation(&self) -> Validation {
        let mut validation = Validation::new(self.algorithm());
        validation.leeway = self.leeway_seconds;
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(self.audience.values());
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation
    }

    /// The header of issued tokens: the algorithm and `typ: JWT`.
    pub fn header(&self) -> Header {
        Header::new(self.algorithm())
    }

    /// How long an access token lives.
    pub fn access_token_lifetime(&self) -> Duration {
        Duration::from_secs(u64::from(self.access_token_expire_minutes) * 60)
    }

    /// How long a refresh token lives.
    pub fn refresh_token_lifetime(&self) -> Duration {
        Duration::from_secs(u64::from(self.refresh_token_expire_days) * 24 * 60 * 60)
    }

    /// The clock skew allowed.
    pub fn leeway(&self) -> Duration {
        Duration::from_secs(self.leeway_seconds)
    }

    /// The `iss` claim issued and required.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The `aud` values issued and accepted.
    pub fn audience(&self) -> &[String] {
        self.audience.values()
    }

    /// This service's id in service-to-service calls.
    pub fn service_id(&self) -> &str {
        &self.service_id
    }

    /// The key of service-to-service tokens, if set (always set in staging and production).
    pub fn service_secret(&self) -> Option<&Secret<HmacKey>> {
        self.service_secret.as_ref()
    }

    /// How long a service-to-service token lives.
    pub fn service_token_lifetime(&self) -> Duration {
        Duration::from_secs(self.service_token_lifetime_seconds)
    }

    /// The callers allowed by `SERVICE_ALLOWED_CALLERS`; `None` allows every caller.
    pub fn service_allowed_callers(&self) -> Option<&[String]> {
        self.service_allowed_callers.as_deref()
    }

    /// Claims of a new access token for `subject`: issuer, audience, `iat` and `exp` set.
    pub fn access_claims(&self, subject: impl Into<String>) -> AccessClaims {
        self.claims(subject, self.access_token_lifetime())
    }

    /// Claims of a new refresh token for `subject`.
    pub fn refresh_claims(&self, subject: impl Into<String>) -> AccessClaims {
        self.claims(subject, self.refresh_token_lifetime())
    }

    fn claims(&self, subject: impl Into<String>, lifetime: Duration) -> AccessClaims {
        let now = jsonwebtoken::get_current_timestamp();
        AccessClaims {
            sub: subject.into(),
            iss: self.issuer.clone(),
            aud: self.audience.values().to_vec(),
            iat: now,
            exp: now + lifetime.as_secs(),
        }
    }

    /// Signs claims with this service's key and header.
    pub fn encode<C: Serialize>(&self, claims: &C) -> Result<String, TokenError> {
        let key = self.encoding_key().ok_or(TokenError::VerifyOnly)?;
        jsonwebtoken::encode(&self.header(), claims, key).map_err(TokenError::Jwt)
    }

    /// Verifies a token with this service's key and [`JwtConfig::validation`].
    pub fn decode<C: DeserializeOwned>(&self, token: &str) -> Result<TokenData<C>, TokenError> {
        jsonwebtoken::decode(token, self.decoding_key(), &self.validation())
            .map_err(TokenError::Jwt)
    }
}

#[cfg(feature = "service-auth")]
impl JwtConfig {
    /// The service keys, `None` when service authentication is off (development only).
    pub(crate) fn service_keys(&self) -> Option<&keys::ServiceKeys> {
        self.service_keys.as_ref()
    }
}

/// The registered claims of a token this crate issues.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct AccessClaims {
    /// Subject.
    pub sub: String,
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: Vec<String>,
    /// Issued at (seconds since the epoch).
    pub iat: u64,
    /// Expires at (seconds since the epoch).
    pub exp: u64,
}

/// Why a token could not be issued or verified.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// The service has no private key: it verifies but does not sign.
    #[error("this service only verifies tokens: JWT_PRIVATE_KEY is not set")]
    VerifyOnly,
    /// jsonwebtoken refused the token.
    #[error("{0}")]
    Jwt(#[source] jsonwebtoken::errors::Error),
}
