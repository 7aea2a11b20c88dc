//! The canonical schema every service compiles, and its bridge to `jsonwebtoken`.

pub mod agreement;
mod key_ring;
mod key_set;
mod keys;
mod service_keys;
mod tokens;
mod values;
mod verify;

use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, TokenData, Validation};
use jwt_config_core::{Context, Environment, ProblemKind, Secret, WarningKind};
use serde::Serialize;
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq as _;

use key_ring::KeyRing;
#[cfg(feature = "service-auth")]
pub(crate) use key_ring::Signer;
pub use keys::MIN_RSA_BITS;
#[cfg(feature = "service-auth")]
pub(crate) use tokens::bounded;
pub use tokens::{
    ACCESS_TOKEN_TYPE, AccessClaims, NoExtraClaims, REFRESH_TOKEN_TYPE, RefreshClaims,
    SERVICE_TOKEN_TYPE, TokenError, TokenType,
};
pub use values::{AllowedCallers, Audience, BASE64_PREFIX, HmacKey, Pem, SigningAlgorithm};

/// The variable names of the schema, for messages and for code that names them.
pub mod vars {
    /// `ENVIRONMENT` (the core's one name of it, never prefixed).
    pub const ENVIRONMENT: &str = jwt_config_core::ENVIRONMENT_VARIABLE;
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
    /// `JWT_ACCEPT_UNTYPED_ACCESS_TOKENS`
    pub const ACCEPT_UNTYPED_ACCESS_TOKENS: &str = "JWT_ACCEPT_UNTYPED_ACCESS_TOKENS";
    /// `JWT_KEY_ID`
    pub const KEY_ID: &str = "JWT_KEY_ID";
    /// `JWT_VERIFICATION_KEYS`
    pub const VERIFICATION_KEYS: &str = "JWT_VERIFICATION_KEYS";
    /// `SERVICE_PRIVATE_KEY`
    pub const SERVICE_PRIVATE_KEY: &str = "SERVICE_PRIVATE_KEY";
    /// `SERVICE_KEY_ID`
    pub const SERVICE_KEY_ID: &str = "SERVICE_KEY_ID";
    /// `SERVICE_VERIFICATION_KEYS`
    pub const SERVICE_VERIFICATION_KEYS: &str = "SERVICE_VERIFICATION_KEYS";
    /// `SERVICE_ACCEPT_SHARED_SECRET`
    pub const SERVICE_ACCEPT_SHARED_SECRET: &str = "SERVICE_ACCEPT_SHARED_SECRET";
}

/// The least length of `SERVICE_SECRET` in staging and production.
pub const MIN_SERVICE_SECRET_BYTES: usize = 32;

/// The shared JWT settings, identical in every service that issues, verifies or calls.
///
/// Key material is parsed once at load and proved by a sign-then-verify self-test, so a
/// service with a bad key does not start. Its methods are grouped: settings, access and
/// refresh tokens, keys, and service calls (module `service_auth`). Flatten it into a service's own settings with
/// `#[config(flatten)]`.
#[derive(crate::Config, Debug, Clone)]
#[config(crate = "crate", validate = Self::check, require_environment)]
pub struct JwtConfig {
    // Key material (`secret_key`, `private_key`, `public_key`, `service_secret`,
    // `service_private_key`, `verification_keys`, `service_verification_keys`) is input only:
    // the `computed` key rings read it and keep the keys (zeroized on drop). The derive keeps
    // every variable it reads; an input-only attribute of jwt-config-macros (issue 18) would
    // let these fields go, and no other copy of the text is kept.
    /// Where the service runs: development, test, staging or production (any case). Must be
    /// set: an unset `ENVIRONMENT` is a problem, never a silent development.
    #[config(env = "ENVIRONMENT", default = Environment::Development)]
    environment: Environment,
    /// The signing algorithm: HS256, HS384, HS512, RS256, RS384, RS512, PS256, PS384, PS512,
    /// ES256, ES384 or EdDSA (any case). `none` is refused.
    #[config(env = "JWT_ALGORITHM", default = SigningAlgorithm::HS256)]
    algorithm: SigningAlgorithm,
    /// HMAC key for HS algorithms: raw text, or `base64:` and standard or URL-safe base64.
    /// At least 32/48/64 bytes after decoding for HS256/384/512 in staging and production.
    #[config(
        env = "JWT_SECRET_KEY",
        alias = "JWT_SECRET",
        key_material,
        input_only,
        required_when = "JWT_ALGORITHM is HS256, HS384 or HS512"
    )]
    #[allow(dead_code)]
    // input only: read to build `keys`, then dropped (the field keeps `None`)
    secret_key: Option<Secret<HmacKey>>,
    /// PEM signing key for asymmetric algorithms (escaped `\n` accepted). Without it the
    /// service only verifies.
    #[config(env = "JWT_PRIVATE_KEY", per_service, key_material, input_only)]
    #[allow(dead_code)]
    // input only: read to build `keys`, then dropped (the field keeps `None`)
    private_key: Option<Secret<Pem>>,
    /// PEM verification key; required for asymmetric algorithms. RSA keys: at least 2048 bits.
    #[config(
        env = "JWT_PUBLIC_KEY",
        file,
        key_material,
        input_only,
        required_when = "JWT_ALGORITHM is RS*, PS*, ES* or EdDSA, unless JWT_VERIFICATION_KEYS holds the keys"
    )]
    #[allow(dead_code)]
    // input only: read to build `keys`, then dropped (the field keeps `None`)
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
    #[config(
        env = "SERVICE_SECRET",
        key_material,
        input_only,
        required_when = "ENVIRONMENT is staging or production and SERVICE_PRIVATE_KEY is unset"
    )]
    #[allow(dead_code)]
    // input only: read to build `service_keys`, then dropped (the field keeps `None`)
    service_secret: Option<Secret<HmacKey>>,
    /// This service's own key for its calls (Ed25519 or EC P-256, PKCS#8 PEM), instead of the
    /// shared `SERVICE_SECRET`: a receiver then knows who called, and a stolen key of one
    /// service cannot act as another.
    #[config(env = "SERVICE_PRIVATE_KEY", per_service, key_material, input_only)]
    #[allow(dead_code)]
    // input only: read to build `service_keys`, then dropped (the field keeps `None`)
    service_private_key: Option<Secret<Pem>>,
    /// The `kid` of `SERVICE_PRIVATE_KEY`: `SERVICE_ID` (the default) or `SERVICE_ID:label`
    /// during the service's own key rotation.
    #[config(env = "SERVICE_KEY_ID", per_service)]
    #[allow(dead_code)]
    // input only: read to build `service_keys`, then dropped (the field keeps `None`)
    service_key_id: Option<String>,
    /// Keys that verify incoming service tokens, as a JWK Set: callers' public keys (Ed25519
    /// or P-256), each `kid` naming its service (`billing` or `billing:2`), and `oct` keys that
    /// rotate `SERVICE_SECRET`. Never shown.
    #[config(
        env = "SERVICE_VERIFICATION_KEYS",
        secret,
        per_service,
        key_material,
        input_only
    )]
    #[allow(dead_code)]
    // input only: read to build `service_keys`, then dropped (the field keeps `None`)
    service_verification_keys: Option<Secret<String>>,
    /// Migration only: in staging and production, also accept calls signed with the shared
    /// `SERVICE_SECRET` although `SERVICE_VERIFICATION_KEYS` holds callers' own keys.
    #[config(env = "SERVICE_ACCEPT_SHARED_SECRET", default = false, per_service)]
    #[allow(dead_code)]
    // input only: read to build `service_keys`, then dropped (the field keeps `None`)
    service_accept_shared_secret: bool,
    /// Lifetime of service-to-service tokens in seconds (1 to 300).
    #[config(env = "SERVICE_TOKEN_LIFETIME_SECONDS", default = 60, range(1..=300))]
    service_token_lifetime_seconds: u64,
    /// Who may call this service: the callers' ids (comma-separated), `*` for any
    /// authenticated service, or `none` for a service that takes no calls. Required in staging
    /// and production where this service can verify calls (`SERVICE_SECRET` or
    /// `SERVICE_VERIFICATION_KEYS` set); unset in development and test allows every caller,
    /// with a warning.
    #[config(
        env = "SERVICE_ALLOWED_CALLERS",
        per_service,
        required_when = "ENVIRONMENT is staging or production and this service verifies calls (SERVICE_SECRET or SERVICE_VERIFICATION_KEYS set)"
    )]
    service_allowed_callers: Option<AllowedCallers>,
    /// Migration only: also accept access tokens typed `JWT` or untyped, as issuers that do
    /// not type their tokens make them (PyJWT's default). Its cost: such an issuer's refresh
    /// tokens are then accepted as access tokens too, unless they differ another way (another
    /// audience or issuer). Off by default; turn it off once every issuer sets `typ: at+jwt`.
    #[config(env = "JWT_ACCEPT_UNTYPED_ACCESS_TOKENS", default = false)]
    accept_untyped_access_tokens: bool,
    /// The id (`kid`) of the signing key, carried by every token. Unset: the RFC 7638
    /// thumbprint of an asymmetric key; for an HMAC key of at least 32 bytes, `hs-` and 16 hex
    /// digits of HMAC-SHA256 keyed by it over a fixed label. Set it to name keys in a rotation.
    #[config(env = "JWT_KEY_ID", per_service)]
    #[allow(dead_code)]
    // input only: read to build `keys`, then dropped (the field keeps `None`)
    key_id: Option<String>,
    /// Keys that verify but never sign, as a JWK Set (RFC 7517) whose keys all have a `kid`:
    /// the next key before a rotation, the previous one after it. Never shown (it may hold
    /// `oct` keys).
    #[config(
        env = "JWT_VERIFICATION_KEYS",
        secret,
        per_service,
        key_material,
        input_only
    )]
    #[allow(dead_code)]
    // input only: read to build `keys`, then dropped (the field keeps `None`)
    verification_keys: Option<Secret<String>>,
    /// The key ring of access and refresh tokens, and their validation, built once at load.
    #[config(computed = keys::build_keys)]
    keys: KeyRing,
    /// The key ring of service calls; `None` where service authentication is off.
    #[config(computed = service_keys::build_service_keys)]
    #[cfg_attr(not(feature = "service-auth"), allow(dead_code))]
    service_keys: Option<KeyRing>,
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
        let no_service_key = partial.service_private_key.is_some_and(Option::is_none);
        if no_service_key
            && partial.service_secret.is_some_and(Option::is_none)
            && context.environment().is_deployed()
        {
            let message = format!(
                "is missing; it is required in staging and production (ENVIRONMENT={}) unless SERVICE_PRIVATE_KEY is set",
                context.environment()
            );
            context.problem(vars::SERVICE_SECRET, ProblemKind::Missing, message);
        } else if no_service_key && partial.service_secret.is_some_and(Option::is_none) {
            let message = "is not set: service-to-service authentication is off on both sides \
                           (outgoing calls carry no token, incoming calls are accepted without one); \
                           allowed only in development and test";
            context.warn(vars::SERVICE_SECRET, WarningKind::Notice, message);
        }
        Self::check_allowed_callers(partial, context);
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
        // Service tokens are HS256; user tokens use JWT_ALGORITHM: the keys must differ
        // under the HMAC of each.
        let in_use = [Some(SigningAlgorithm::HS256), partial.algorithm.copied()];
        if let Some(Some(jwt_secret)) = partial.secret_key
            && let Some(algorithm) = in_use.into_iter().flatten().find(|algorithm| {
                hmac_equivalent(*algorithm, jwt_secret.expose().as_bytes(), service_bytes)
            })
        {
            let message = format!(
                "must differ from JWT_SECRET_KEY, also as an HMAC key for {algorithm} (HMAC pads a key \
                 with zero bytes to its hash's block, and replaces a longer key by its digest): \
                 a user's token must never verify as a service token (RFC 8725 section 3.12); \
                 set another SERVICE_SECRET"
            );
            context.problem(vars::SERVICE_SECRET, ProblemKind::Rule, message);
        }
        if partial.accept_untyped_access_tokens == Some(&true) {
            let message = "is on: access tokens typed `JWT` or untyped are accepted, so an \
                           untyped issuer's refresh tokens pass as access tokens; turn it off \
                           once every issuer sets `typ: at+jwt`";
            context.warn(
                vars::ACCEPT_UNTYPED_ACCESS_TOKENS,
                WarningKind::Notice,
                message,
            );
        }
    }
}

impl JwtConfig {
    /// A service that can verify calls says who may make them where it is deployed: unset
    /// `SERVICE_ALLOWED_CALLERS` would accept every service that holds a key.
    fn check_allowed_callers(partial: &JwtConfigPartial<'_>, context: &mut Context<'_>) {
        let verifies_calls = partial.service_secret.is_some_and(Option::is_some)
            || partial
                .service_verification_keys
                .is_some_and(Option::is_some);
        if !verifies_calls || !partial.service_allowed_callers.is_some_and(Option::is_none) {
            return;
        }
        let choices = "set the callers' ids (comma-separated, e.g. `auth,billing`), `*` for any \
                       authenticated service, or `none` for a service that takes no calls";
        if context.environment().is_deployed() {
            let message = format!(
                "is missing; it is required in staging and production (ENVIRONMENT={}) where \
                 this service verifies calls (SERVICE_SECRET or SERVICE_VERIFICATION_KEYS set): {choices}",
                context.environment()
            );
            context.problem(vars::SERVICE_ALLOWED_CALLERS, ProblemKind::Missing, message);
        } else {
            let message = format!(
                "is not set: every service holding a key may call this one; allowed in \
                 development and test only: {choices}"
            );
            context.warn(vars::SERVICE_ALLOWED_CALLERS, WarningKind::Notice, message);
        }
    }
}

/// # Settings
///
/// The effective values of the schema that are not key material.
impl JwtConfig {
    /// The environment the configuration was loaded for.
    pub fn environment(&self) -> Environment {
        self.environment
    }

    /// The signing algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm.algorithm()
    }

    /// The `iss` claim issued and required.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The `aud` values issued and accepted.
    pub fn audience(&self) -> &[String] {
        self.audience.values()
    }

    /// The clock skew allowed.
    pub fn leeway(&self) -> Duration {
        Duration::from_secs(self.leeway_seconds)
    }

    /// How long a token of a type lives: `JWT_ACCESS_TOKEN_EXPIRE_MINUTES`,
    /// `JWT_REFRESH_TOKEN_EXPIRE_DAYS` or `SERVICE_TOKEN_LIFETIME_SECONDS`. A received token
    /// that claims to live longer (plus the leeway) is refused.
    pub fn lifetime(&self, token_type: TokenType) -> Duration {
        let seconds = match token_type {
            TokenType::Access => u64::from(self.access_token_expire_minutes) * 60,
            TokenType::Refresh => u64::from(self.refresh_token_expire_days) * 24 * 60 * 60,
            TokenType::Service => self.service_token_lifetime_seconds,
        };
        Duration::from_secs(seconds)
    }

    /// This service's id in service-to-service calls.
    pub fn service_id(&self) -> &str {
        &self.service_id
    }

    /// The callers allowed by `SERVICE_ALLOWED_CALLERS`: `None` allows every caller (`*`, or
    /// unset in development and test), an empty list none.
    pub fn service_allowed_callers(&self) -> Option<&[String]> {
        self.service_allowed_callers
            .as_ref()
            .and_then(AllowedCallers::as_list)
    }

    /// `SERVICE_ALLOWED_CALLERS` as written; unset (development and test only) is
    /// [`AllowedCallers::Any`].
    pub fn allowed_callers(&self) -> &AllowedCallers {
        self.service_allowed_callers
            .as_ref()
            .unwrap_or(&AllowedCallers::Any)
    }
}

/// # Access and refresh tokens
///
/// Claims, signing and verification; the jsonwebtoken bridge (keys, header, validation) for
/// code that calls jsonwebtoken itself. Service calls are in
/// [`service_auth`](crate::service_auth).
impl JwtConfig {
    /// Claims of a new access token for `subject`: issuer, audience, `iat` and `exp` set.
    /// A service's own claims (roles, a tenant) go beside the registered ones with
    /// [`AccessClaims::with_extra`].
    pub fn access_claims(&self, subject: impl Into<String>) -> AccessClaims {
        self.claims(subject, self.lifetime(TokenType::Access))
    }

    /// Claims of a new refresh token for `subject`, living `JWT_REFRESH_TOKEN_EXPIRE_DAYS`;
    /// only [`JwtConfig::encode_refresh`] signs them ([`RefreshClaims::with_extra`] for a
    /// service's own claims).
    pub fn refresh_claims(&self, subject: impl Into<String>) -> RefreshClaims {
        RefreshClaims::new(self.claims(subject, self.lifetime(TokenType::Refresh)))
    }

    fn claims(&self, subject: impl Into<String>, lifetime: Duration) -> AccessClaims {
        let now = jsonwebtoken::get_current_timestamp();
        AccessClaims {
            sub: subject.into(),
            iss: self.issuer.clone(),
            aud: self.audience.values().to_vec(),
            iat: now,
            exp: now + lifetime.as_secs(),
            nbf: None,
            extra: NoExtraClaims {},
        }
    }

    /// Signs an access token (`typ: at+jwt`) with this service's key: claims from
    /// [`JwtConfig::access_claims`] (a refresh token's claims are another type, refused at
    /// compile time).
    pub fn encode<X: Serialize>(&self, claims: &AccessClaims<X>) -> Result<String, TokenError> {
        self.encode_typed(claims, TokenType::Access)
    }

    /// Signs a refresh token (`typ: refresh+jwt`) with this service's key: claims from
    /// [`JwtConfig::refresh_claims`] only.
    pub fn encode_refresh<X: Serialize>(
        &self,
        claims: &RefreshClaims<X>,
    ) -> Result<String, TokenError> {
        self.encode_typed(claims, TokenType::Refresh)
    }

    fn encode_typed<C: Serialize>(
        &self,
        claims: &C,
        token_type: TokenType,
    ) -> Result<String, TokenError> {
        let key = self.encoding_key().ok_or(TokenError::VerifyOnly)?;
        jsonwebtoken::encode(&self.typed_header(token_type), claims, key)
            .map_err(|_| TokenError::Signing)
    }

    /// Verifies an **access** token: this service's key and [`JwtConfig::validation`], and
    /// `typ: at+jwt`. A refresh token or a service token is refused ([`TokenError::WrongType`]),
    /// and so is a token that lives longer than `JWT_ACCESS_TOKEN_EXPIRE_MINUTES` plus the
    /// leeway ([`TokenError::LifetimeTooLong`]).
    pub fn decode<C: DeserializeOwned>(&self, token: &str) -> Result<TokenData<C>, TokenError> {
        self.decode_typed(token, TokenType::Access)
    }

    /// Verifies a **refresh** token (`typ: refresh+jwt`); an access or service token is
    /// refused, and so is a token that lives longer than `JWT_REFRESH_TOKEN_EXPIRE_DAYS` plus
    /// the leeway.
    pub fn decode_refresh<C: DeserializeOwned>(
        &self,
        token: &str,
    ) -> Result<TokenData<C>, TokenError> {
        self.decode_typed(token, TokenType::Refresh)
    }

    fn decode_typed<C: DeserializeOwned>(
        &self,
        token: &str,
        token_type: TokenType,
    ) -> Result<TokenData<C>, TokenError> {
        // The service's claims type is its own: the times are read apart from it.
        let times = |_: &C| tokens::token_times(token);
        Ok(self.verify(&self.keys, token, token_type, times)?.data)
    }

    /// The header of issued access tokens: the algorithm and `typ: at+jwt` (RFC 9068).
    pub fn header(&self) -> Header {
        self.typed_header(TokenType::Access)
    }

    fn typed_header(&self, token_type: TokenType) -> Header {
        let mut header = Header::new(self.algorithm());
        header.typ = Some(token_type.typ().to_owned());
        header.kid.clone_from(&self.keys.own_id);
        header
    }

    /// Exactly one algorithm, the issuer, the audience and the leeway (for `exp` and
    /// `nbf`); `exp`, `iss` and `aud` required. It does not look at the token's type:
    /// [`JwtConfig::decode`] does.
    pub fn validation(&self) -> Validation {
        self.keys
            .validation(self.algorithm())
            .cloned()
            .unwrap_or_else(|| Validation::new(self.algorithm()))
    }

    /// The key that signs tokens; `None` in a service that only verifies.
    pub fn encoding_key(&self) -> Option<&EncodingKey> {
        self.keys.signer.as_ref().map(|signer| &signer.encoding)
    }

    /// The key that verifies tokens signed with this service's own key; `None` for a
    /// service that verifies with `JWT_VERIFICATION_KEYS` alone.
    pub fn decoding_key(&self) -> Option<&DecodingKey> {
        let own = self.keys.own_id.as_ref()?;
        self.keys.by_kid.get(own).map(|own| &own.key)
    }
}

/// # Keys
///
/// Every key of tokens and of service calls, listed by one rule: ids, kinds and roles, never
/// material.
impl JwtConfig {
    /// The id (`kid`) of this service's own key, carried by every token it signs; `None`
    /// for a service that verifies with `JWT_VERIFICATION_KEYS` alone.
    pub fn key_id(&self) -> Option<&str> {
        self.keys.own_id.as_deref()
    }

    /// Every key of the configuration: its id, kind and role, never its material.
    pub fn keys(&self) -> Vec<KeyInfo> {
        self.keys.listed()
    }

    /// The keys of service-to-service calls: the one this service signs its calls with
    /// (`SERVICE_SECRET` or `SERVICE_PRIVATE_KEY`), then those it verifies callers with
    /// (`SERVICE_VERIFICATION_KEYS`); ids, kinds and roles, never material. Empty where
    /// service authentication is off.
    pub fn service_call_keys(&self) -> Vec<KeyInfo> {
        self.service_keys
            .as_ref()
            .map(KeyRing::listed)
            .unwrap_or_default()
    }

    /// Every key of tokens and service calls, this service's id and its allowed callers: what
    /// [`agreement`] compares between two services.
    pub fn key_view(&self) -> agreement::KeyView {
        agreement::KeyView::new(
            self.service_id.clone(),
            self.keys(),
            self.service_call_keys(),
            self.service_allowed_callers().map(<[String]>::to_vec),
        )
    }

    /// The public JWK Set to publish (`/.well-known/jwks.json`): the public half of this
    /// service's key and every public verification key, each with its `kid`; never a private
    /// or `oct` key (empty for HMAC algorithms).
    pub fn jwks(&self) -> jsonwebtoken::jwk::JwkSet {
        jsonwebtoken::jwk::JwkSet {
            keys: self
                .keys
                .own_public
                .iter()
                .chain(&self.keys.published)
                .cloned()
                .collect(),
        }
    }

    /// This service's own public key for its calls (from `SERVICE_PRIVATE_KEY`), with its
    /// `kid`: what the services it calls put in their `SERVICE_VERIFICATION_KEYS`. `None` with
    /// the shared `SERVICE_SECRET`.
    #[cfg(feature = "service-auth")]
    pub fn service_jwk(&self) -> Option<jsonwebtoken::jwk::Jwk> {
        self.service_keys.as_ref()?.own_public.clone()
    }
}

/// One key of a configuration as [`JwtConfig::keys`] lists it: never its material.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct KeyInfo {
    /// The key id (`kid`).
    pub id: String,
    /// What kind of key, in words: "a shared secret", "an RSA key", ...
    pub kind: &'static str,
    /// The same as an identifier, for programs: `hmac`, `rsa`, `ec_p256`, `ec_p384`,
    /// `ed25519` (`unknown` for a key a caller only advertised).
    pub key_type: &'static str,
    /// Whether this service signs with it.
    pub signs: bool,
    /// Whether this service accepts tokens signed with it (a shared service secret is
    /// refused where callers have keys of their own, unless a migration says otherwise).
    pub verifies: bool,
    /// The variable that holds it.
    pub variable: &'static str,
    /// What tells this key from another without showing it (an RFC 7638 thumbprint, or a
    /// digest keyed by an HMAC key of at least 32 bytes); `None` for a short HMAC key.
    pub fingerprint: Option<String>,
}

impl KeyInfo {
    /// Whether `other` is the same key: same id, and same fingerprint where both have one.
    pub fn same_key(&self, other: &KeyInfo) -> bool {
        self.id == other.id
            && match (&self.fingerprint, &other.fingerprint) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            }
    }
}

/// A configuration holding the canonical JWT settings: [`JwtConfig`] itself, or a service's
/// own struct that flattens it, for which `#[derive(Config)]` implements it (a struct that
/// flattens a type named `JwtConfig` once; with two, write it by hand). A hand-written impl
/// beside the derive's is a conflict (E0119): remove it. `JwtAuth::from_loaded` and the
/// `jwt-config keys` command of a service's own binary work through it.
///
/// ```
/// use jwt_config::{Config, HasJwtConfig, JwtConfig, MapSource};
///
/// #[derive(Config)]
/// struct BackendConfig {
///     #[config(flatten)]
///     jwt: JwtConfig,
///     #[config(env = "BACKEND_PORT", default = 3002)]
///     port: u16,
/// }
///
/// let source = MapSource::new()
///     .with("ENVIRONMENT", "development")
///     .with("SERVICE_ID", "backend")
///     .with("JWT_SECRET_KEY", "doc-example-jwt-secret-0123456789abcdefgh");
/// let backend = BackendConfig::from_source(&source).unwrap();
/// assert_eq!(backend.jwt_config().service_id(), "backend");
/// # let _ = backend.port;
/// ```
pub trait HasJwtConfig {
    /// The JWT settings.
    fn jwt_config(&self) -> &JwtConfig;
}

impl HasJwtConfig for JwtConfig {
    fn jwt_config(&self) -> &JwtConfig {
        self
    }
}

/// Whether two keys are one key to the HMAC of `algorithm` (HS256, HS384 or HS512; false for
/// any other): a key longer than the hash's block is replaced by its digest, and a shorter one
/// is padded with zero bytes, so `K`, `K` followed by zero bytes, and (for a long `K`) `H(K)`
/// all sign alike.
fn hmac_equivalent(algorithm: SigningAlgorithm, a: &[u8], b: &[u8]) -> bool {
    use sha2::Digest as _;
    type Digest = fn(&[u8]) -> Vec<u8>;
    let (block, digest): (usize, Digest) = match algorithm.algorithm() {
        Algorithm::HS256 => (64, |key| sha2::Sha256::digest(key).to_vec()),
        Algorithm::HS384 => (128, |key| sha2::Sha384::digest(key).to_vec()),
        Algorithm::HS512 => (128, |key| sha2::Sha512::digest(key).to_vec()),
        _ => return false,
    };
    let normal = |key: &[u8]| -> Vec<u8> {
        let mut key = if key.len() > block {
            digest(key)
        } else {
            key.to_vec()
        };
        while key.last() == Some(&0) {
            key.pop();
        }
        key
    };
    bool::from(a.ct_eq(b)) || bool::from(normal(a).ct_eq(&normal(b)))
}

#[cfg(feature = "service-auth")]
impl JwtConfig {
    /// The token keys as this service's tokens advertise them, made once.
    pub(crate) fn advertised_keys(&self) -> &[String] {
        self.keys
            .advertised
            .get_or_init(|| agreement::advertised(&self.keys(), &self.service_call_keys()))
    }

    /// The service keys, `None` when service authentication is off (development only).
    pub(crate) fn service_keys(&self) -> Option<&KeyRing> {
        self.service_keys.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::{JwtConfig, SigningAlgorithm, hmac_equivalent};

    #[test]
    fn key_text_is_input_only_the_loaded_config_keeps_keys_not_text() {
        use crate::{Config as _, MapSource};
        let source: MapSource = [
            ("ENVIRONMENT", "production"),
            ("JWT_SECRET_KEY", "unit-test-jwt-secret-0123456789abcdefghij"),
            ("JWT_ISSUER", "auth"),
            ("JWT_AUDIENCE", "api"),
            ("SERVICE_ID", "auth"),
            ("SERVICE_SECRET", "unit-test-service-secret-0123456789abcdef"),
            ("SERVICE_ALLOWED_CALLERS", "*"),
            ("JWT_KEY_ID", "k1"),
            (
                "JWT_VERIFICATION_KEYS",
                r#"{"keys":[{"kid":"k0","kty":"oct","k":"b2xkLWp3dC1zZWNyZXQtMDEyMzQ1Njc4OWFiY2RlZmdoaWo"}]}"#,
            ),
        ]
        .into_iter()
        .collect();
        let config = JwtConfig::from_source(&source).unwrap();
        assert!(config.secret_key.is_none() && config.service_secret.is_none());
        assert!(config.verification_keys.is_none() && config.public_key.is_none());
        // The keys built from the text are kept.
        assert!(config.encoding_key().is_some());
        assert_eq!(config.keys().len(), 2);
        assert!(!config.service_call_keys().is_empty());
    }

    #[test]
    fn keys_that_hmac_treats_alike_are_equivalent() {
        let hs = |name: &str| {
            let algorithm = match name {
                "HS384" => jsonwebtoken::Algorithm::HS384,
                "HS512" => jsonwebtoken::Algorithm::HS512,
                _ => jsonwebtoken::Algorithm::HS256,
            };
            SigningAlgorithm::of(algorithm)
        };
        let key = b"service-secret-of-at-least-32-bytes!".to_vec();
        let mut padded = key.clone();
        padded.extend([0, 0]);
        assert!(hmac_equivalent(hs("HS256"), &key, &padded));
        let long = vec![7u8; 100];
        let digest = <sha2::Sha256 as sha2::Digest>::digest(&long).to_vec();
        assert!(hmac_equivalent(hs("HS256"), &long, &digest));
        // 100 bytes fit SHA-512's 128-byte block: padding, not hashing.
        let mut long_padded = long.clone();
        long_padded.push(0);
        assert!(!hmac_equivalent(hs("HS256"), &long, &long_padded));
        assert!(hmac_equivalent(hs("HS512"), &long, &long_padded));
        assert!(hmac_equivalent(hs("HS384"), &long, &long_padded));
        let longer = vec![7u8; 200];
        let digest = <sha2::Sha512 as sha2::Digest>::digest(&longer).to_vec();
        assert!(hmac_equivalent(hs("HS512"), &longer, &digest));
        assert!(!hmac_equivalent(
            hs("HS256"),
            &key,
            b"another-secret-of-at-least-32-bytes"
        ));
    }
}
