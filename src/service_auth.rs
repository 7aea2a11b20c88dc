//! Service-to-service authentication built from [`JwtConfig`]: the headers a service attaches
//! to the calls it makes, and the check of the calls it receives. Both sides use the same
//! header name, token type and keys, so they cannot disagree.
//!
//! ```
//! use jwt_config::{Config, JwtConfig, MapSource};
//! use jwt_config::service_auth::Caller;
//!
//! let shared = [("ENVIRONMENT", "staging"), ("JWT_SECRET_KEY", "jwt-secret-key-of-at-least-32-bytes!!"),
//!     ("JWT_ISSUER", "auth"), ("JWT_AUDIENCE", "api"), ("SERVICE_SECRET", "service-secret-of-at-least-32-bytes!")];
//! let auth: MapSource = shared.into_iter().chain([("SERVICE_ID", "auth")]).collect();
//! let backend: MapSource = shared.into_iter().chain([("SERVICE_ID", "backend")]).collect();
//! let (auth, backend) = (JwtConfig::from_source(&auth)?, JwtConfig::from_source(&backend)?);
//!
//! let headers = auth.service_headers("backend")?;
//! assert_eq!(backend.verify_service_call(&headers)?, Caller::Service("auth".into()));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use http::header::{HeaderMap, HeaderName, HeaderValue};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Header, TokenData, Validation};
use serde::{Deserialize, Serialize};

use crate::{JwtConfig, SettingsFingerprint};

/// The header that carries a service token, identical in every service.
pub const SERVICE_TOKEN_HEADER: HeaderName = HeaderName::from_static("x-service-token");

pub use crate::jwt::SERVICE_TOKEN_TYPE;

/// Who made an incoming call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Caller {
    /// A service that proved its identity with a service token.
    Service(String),
    /// Service authentication is off (development or test without `SERVICE_SECRET`, said
    /// once as a startup warning): the call was accepted without a token.
    Unauthenticated,
}

/// Why an incoming call was refused, or (never for a configuration reason) why a token could
/// not be built. [`ServiceAuthError::kind`] is a stable name to match on or log; nothing in it
/// is the token or a secret, and a value taken from the token is cut and escaped.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ServiceAuthError {
    /// The call carries no service token.
    #[error("the call has no `x-service-token` header")]
    MissingHeader,
    /// The header is not a single well-formed token.
    #[error("the `x-service-token` header is not a well-formed service token")]
    Malformed,
    /// The token was signed with another key.
    #[error(
        "the service token's signature does not verify: the caller uses another SERVICE_SECRET"
    )]
    BadSignature,
    /// The token has expired.
    #[error("the service token has expired")]
    Expired,
    /// The token is not valid yet (`nbf` or `iat` in the future beyond the leeway).
    #[error("the service token is not valid yet (issued in the future)")]
    NotYetValid,
    /// The token claims a lifetime longer than `SERVICE_TOKEN_LIFETIME_SECONDS` plus the
    /// leeway: whoever made it did not follow this schema.
    #[error(
        "the service token lives {lifetime} s; at most {max} s are accepted (SERVICE_TOKEN_LIFETIME_SECONDS plus JWT_LEEWAY_SECONDS)"
    )]
    LifetimeTooLong {
        /// `exp - iat` of the token, in seconds.
        lifetime: u64,
        /// The most accepted, in seconds.
        max: u64,
    },
    /// The token was meant for another service.
    #[error("the service token is meant for another service; this service is {expected:?}")]
    WrongAudience {
        /// This service's `SERVICE_ID`.
        expected: String,
    },
    /// The token is not a service token (a user's access token, for instance).
    #[error("the token is not a service token (typ {}, expected {SERVICE_TOKEN_TYPE:?})", found.as_deref().map_or("absent".to_owned(), |t| format!("\"{t}\"")))]
    WrongType {
        /// The `typ` found in the token's header, cut to 40 characters and escaped.
        found: Option<String>,
    },
    /// The token names a key (`kid`) this receiver does not have.
    #[error(
        "the service token's key \"{kid}\" is neither SERVICE_SECRET's nor one of SERVICE_VERIFICATION_KEYS: the caller uses another SERVICE_SECRET or key"
    )]
    UnknownKey {
        /// The `kid` found, cut to 40 characters and escaped.
        kid: String,
    },
    /// The token was signed with one service's own key but claims another issuer.
    #[error(
        "the service token is signed with the key of service \"{key_service}\" but claims another caller"
    )]
    WrongIssuer {
        /// The service the key belongs to.
        key_service: String,
    },
    /// The token was signed with the shared `SERVICE_SECRET`, which this receiver refuses:
    /// it knows its callers' own keys (staging and production, no migration setting).
    #[error(
        "the service token is signed with the shared SERVICE_SECRET; this service accepts callers' own keys only (SERVICE_ACCEPT_SHARED_SECRET=true during a migration)"
    )]
    SharedSecretRefused,
    /// The token carries no `jti`, and this receiver refuses replays.
    #[error("the service token has no `jti`, and this service uses each token once")]
    MissingTokenId,
    /// The token was used before.
    #[error("the service token was used before (a replay)")]
    Replayed,
    /// The replay guard is full of tokens that have not expired: refused rather than risk a
    /// replay.
    #[error("the service token cannot be recorded: the replay guard is full")]
    ReplayGuardFull,
    /// The caller is authenticated but not in `SERVICE_ALLOWED_CALLERS` (its id cut to 40
    /// characters and escaped).
    #[error("service \"{0}\" is not in SERVICE_ALLOWED_CALLERS")]
    CallerNotAllowed(String),
    /// The token could not be signed; the startup self-test makes this unreachable.
    #[error("the service token could not be signed")]
    Signing,
}

impl ServiceAuthError {
    /// A stable name of the error: `missing_header`, `malformed`, `bad_signature`,
    /// `expired`, `not_yet_valid`, `lifetime_too_long`, `wrong_audience`, `wrong_type`,
    /// `unknown_key`, `wrong_issuer`, `shared_secret_refused`, `caller_not_allowed`, `signing`.
    pub fn kind(&self) -> &'static str {
        match self {
            ServiceAuthError::MissingHeader => "missing_header",
            ServiceAuthError::Malformed => "malformed",
            ServiceAuthError::BadSignature => "bad_signature",
            ServiceAuthError::Expired => "expired",
            ServiceAuthError::NotYetValid => "not_yet_valid",
            ServiceAuthError::LifetimeTooLong { .. } => "lifetime_too_long",
            ServiceAuthError::WrongAudience { .. } => "wrong_audience",
            ServiceAuthError::WrongType { .. } => "wrong_type",
            ServiceAuthError::CallerNotAllowed(_) => "caller_not_allowed",
            ServiceAuthError::UnknownKey { .. } => "unknown_key",
            ServiceAuthError::WrongIssuer { .. } => "wrong_issuer",
            ServiceAuthError::SharedSecretRefused => "shared_secret_refused",
            ServiceAuthError::MissingTokenId => "missing_token_id",
            ServiceAuthError::Replayed => "replayed",
            ServiceAuthError::ReplayGuardFull => "replay_guard_full",
            ServiceAuthError::Signing => "signing",
        }
    }
}

#[derive(Serialize, Deserialize)]
struct ServiceClaims {
    iss: String,
    sub: String,
    aud: String,
    iat: u64,
    exp: u64,
    /// A unique id of the token, for receivers that refuse replays.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    jti: Option<String>,
    /// The caller's effective fingerprint of the shared settings (digests only): a receiver
    /// with another one knows the two disagree at the first call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cfg: Option<String>,
    /// A short digest of each of those settings (`SettingsFingerprint::settings`): a
    /// receiver built with the same schema names the settings that differ.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cfgd: Option<String>,
    /// The caller's token keys, ids and short fingerprints (`agreement::advertised`): a
    /// receiver tells a rotation in progress (each side verifies what the other signs) from
    /// drift, as `jwt-config diff` does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cfgk: Option<Vec<String>>,
}

/// A verified service call: who called, and the fingerprint of the shared settings its
/// token carries (signed with the token; `None` from a caller that does not send one).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifiedCall {
    /// The caller.
    pub caller: Caller,
    /// The caller's effective fingerprint, cut to 64 characters.
    pub fingerprint: Option<String>,
    /// The caller's per-setting digests (`SettingsFingerprint::settings`), cut to 1,024
    /// characters: give both to [`SettingsFingerprint::compare`](crate::SettingsFingerprint::compare).
    pub settings: Option<String>,
    /// The caller's token keys as its token advertised them (at most 16).
    keys: Option<Vec<crate::KeyInfo>>,
}

impl VerifiedCall {
    /// What the receiver keeps of a verified token, the claims the caller sized cut short.
    fn new(caller: Caller, claims: Option<ServiceClaims>) -> Self {
        let (cfg, cfgd, cfgk) = claims.map(|c| (c.cfg, c.cfgd, c.cfgk)).unwrap_or_default();
        VerifiedCall {
            caller,
            fingerprint: cfg.map(|f| f.chars().take(64).collect()),
            settings: cfgd.map(|d| d.chars().take(1024).collect()),
            keys: cfgk.map(|keys| crate::agreement::read_advertised(&keys)),
        }
    }

    /// Whether the caller and `receiver` disagree on token keys, by the rule `jwt-config diff`
    /// applies (each verifies what the other signs; a rotation in progress agrees): the gaps,
    /// or `None` where the caller's token does not say its keys. The call itself verified, so
    /// the keys of service calls agree in its direction.
    pub fn key_gaps(&self, receiver: &JwtConfig) -> Option<Vec<crate::agreement::KeyGap>> {
        let caller = self.keys.as_deref()?;
        Some(crate::agreement::token_gaps_with_caller(
            &receiver.keys(),
            caller,
        ))
    }
}

/// A token id: 64 random bits drawn once per process, then a counter, in hex: unique in the
/// process, and across instances but by chance of 2^-64; no system call per token. `None`
/// where the system has no randomness to give (the token is then sent without one, and a
/// receiver that refuses replays refuses it).
fn new_token_id() -> Option<String> {
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicU64, Ordering};
    static PROCESS: OnceLock<Option<u64>> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let process = (*PROCESS.get_or_init(|| {
        let mut bytes = [0u8; 8];
        getrandom::fill(&mut bytes)
            .ok()
            .map(|()| u64::from_le_bytes(bytes))
    }))?;
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    Some(format!("{process:016x}{count:016x}"))
}

impl JwtConfig {
    /// The headers to attach to a call to `target_service`: a short-lived HS256 token signed
    /// with `SERVICE_SECRET`, issued by this `SERVICE_ID` for the target. Empty when service
    /// authentication is off (development without `SERVICE_SECRET`).
    pub fn service_headers(&self, target_service: &str) -> Result<HeaderMap, ServiceAuthError> {
        self.signed_service_headers(target_service, None)
    }

    /// [`JwtConfig::service_headers`], the token carrying this service's fingerprint of the
    /// shared settings and their per-setting digests
    /// (`Loaded::settings_fingerprint_of::<JwtConfig>()`), so that the receiver sees at the
    /// first call whether the two disagree, and in what (`jwt-config-axum` does this).
    pub fn service_headers_with_fingerprint(
        &self,
        target_service: &str,
        fingerprint: &SettingsFingerprint,
    ) -> Result<HeaderMap, ServiceAuthError> {
        self.signed_service_headers(target_service, Some(fingerprint))
    }

    fn signed_service_headers(
        &self,
        target_service: &str,
        fingerprint: Option<&SettingsFingerprint>,
    ) -> Result<HeaderMap, ServiceAuthError> {
        let mut headers = HeaderMap::new();
        let Some(keys) = self.service_keys() else {
            return Ok(headers);
        };
        let now = jsonwebtoken::get_current_timestamp();
        let claims = ServiceClaims {
            iss: self.service_id().to_owned(),
            sub: self.service_id().to_owned(),
            aud: target_service.to_owned(),
            iat: now,
            exp: now + self.service_token_lifetime().as_secs(),
            jti: new_token_id(),
            cfg: fingerprint.map(|f| f.fingerprint().to_owned()),
            cfgd: fingerprint.map(SettingsFingerprint::settings),
            cfgk: fingerprint.map(|_| self.advertised_keys().to_vec()),
        };
        let token = jsonwebtoken::encode(&keys.header, &claims, &keys.encoding)
            .map_err(|_| ServiceAuthError::Signing)?;
        let value = HeaderValue::try_from(token).map_err(|_| ServiceAuthError::Signing)?;
        headers.insert(SERVICE_TOKEN_HEADER, value);
        Ok(headers)
    }

    /// Checks the headers of an incoming call and returns who made it.
    pub fn verify_service_call(&self, headers: &HeaderMap) -> Result<Caller, ServiceAuthError> {
        self.verified_call(headers).map(|(caller, _)| caller)
    }

    /// [`JwtConfig::verify_service_call`], and the token is used once: its `jti` is recorded
    /// in `guard`, and a token without one, or seen before, is refused.
    pub fn verify_service_call_once(
        &self,
        headers: &HeaderMap,
        guard: &dyn ReplayGuard,
    ) -> Result<Caller, ServiceAuthError> {
        self.verify_service_call_detailed_once(headers, guard)
            .map(|call| call.caller)
    }

    /// [`JwtConfig::verify_service_call`], with the fingerprint the caller's token carries.
    pub fn verify_service_call_detailed(
        &self,
        headers: &HeaderMap,
    ) -> Result<VerifiedCall, ServiceAuthError> {
        let (caller, claims) = self.verified_call(headers)?;
        Ok(VerifiedCall::new(caller, claims))
    }

    /// [`JwtConfig::verify_service_call_detailed`], and the token is used once, as
    /// [`JwtConfig::verify_service_call_once`] says.
    pub fn verify_service_call_detailed_once(
        &self,
        headers: &HeaderMap,
        guard: &dyn ReplayGuard,
    ) -> Result<VerifiedCall, ServiceAuthError> {
        let (caller, claims) = self.verified_call(headers)?;
        if let Some(claims) = &claims {
            let jti = claims
                .jti
                .as_deref()
                .ok_or(ServiceAuthError::MissingTokenId)?;
            // The token verifies until `exp` plus the leeway: the guard remembers it as long.
            let verifiable_until = claims.exp.saturating_add(self.leeway().as_secs());
            match guard.first_use(&TokenUse::new(&claims.iss, jti, verifiable_until)) {
                FirstUse::Yes => {}
                FirstUse::Replayed => return Err(ServiceAuthError::Replayed),
                FirstUse::Full => return Err(ServiceAuthError::ReplayGuardFull),
            }
        }
        Ok(VerifiedCall::new(caller, claims))
    }

    /// The caller and, where a token was verified, its claims.
    fn verified_call(
        &self,
        headers: &HeaderMap,
    ) -> Result<(Caller, Option<ServiceClaims>), ServiceAuthError> {
        let Some(keys) = self.service_keys() else {
            return Ok((Caller::Unauthenticated, None));
        };
        let mut values = headers.get_all(&SERVICE_TOKEN_HEADER).iter();
        let (Some(value), None) = (values.next(), values.next()) else {
            return Err(if headers.contains_key(&SERVICE_TOKEN_HEADER) {
                ServiceAuthError::Malformed
            } else {
                ServiceAuthError::MissingHeader
            });
        };
        let token = value.to_str().map_err(|_| ServiceAuthError::Malformed)?;
        let (data, key_service, validation) = self.decode_service_token(keys, token)?;
        if !is_service_token(&data.header) {
            return Err(wrong_type(&data.header));
        }
        let claims = data.claims;
        let lifetime = claims.exp.saturating_sub(claims.iat);
        if lifetime > keys.max_lifetime {
            return Err(ServiceAuthError::LifetimeTooLong {
                lifetime,
                max: keys.max_lifetime,
            });
        }
        let now = jsonwebtoken::get_current_timestamp();
        if claims.iat > now + validation.leeway {
            return Err(ServiceAuthError::NotYetValid);
        }
        let caller = claims.iss.clone();
        // A service's own key speaks for that service only.
        if let Some(service) = key_service
            && service != caller
        {
            return Err(ServiceAuthError::WrongIssuer {
                key_service: crate::jwt::bounded(service),
            });
        }
        if let Some(allowed) = self.service_allowed_callers()
            && !allowed.contains(&caller)
        {
            return Err(ServiceAuthError::CallerNotAllowed(crate::jwt::bounded(
                &caller,
            )));
        }
        Ok((Caller::Service(caller), Some(claims)))
    }
}

/// A value a caller chose (its `iss`, a claim, a path), as a message or a log event may show
/// it: control characters and quotes escaped, at most 40 characters, then `...`. A holder of
/// a service key can put anything in its token; shown this way it cannot forge a log line.
pub fn shown(text: &str) -> String {
    crate::jwt::bounded(text)
}

/// Whether a token id is used for the first time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FirstUse {
    /// First use: recorded.
    Yes,
    /// Seen before, and still verifiable: a replay.
    Replayed,
    /// The guard cannot record it (full of ids still verifiable, or its store unreachable).
    Full,
}

/// One use of a verified service token, as a [`ReplayGuard`] records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenUse<'a> {
    caller: &'a str,
    id: &'a str,
    verifiable_until: u64,
}

impl<'a> TokenUse<'a> {
    /// The use of token `id` of `caller`, which verifies until `verifiable_until` (seconds
    /// since the epoch: its `exp` plus this receiver's leeway).
    pub fn new(caller: &'a str, id: &'a str, verifiable_until: u64) -> Self {
        TokenUse {
            caller,
            id,
            verifiable_until,
        }
    }

    /// The calling service (the token's `iss`, verified).
    pub fn caller(&self) -> &'a str {
        self.caller
    }

    /// The token's id (`jti`).
    pub fn id(&self) -> &'a str {
        self.id
    }

    /// The last second (since the epoch) at which this receiver still accepts the token:
    /// `exp` plus `JWT_LEEWAY_SECONDS`. The id must be remembered at least until then; a
    /// guard that cannot must refuse ([`FirstUse::Full`]), never forget it.
    pub fn verifiable_until(&self) -> u64 {
        self.verifiable_until
    }

    /// How long from `now` (seconds since the epoch) the id must be remembered: the time to
    /// live of a record in a shared store, at least one second.
    pub fn remember_for(&self, now: u64) -> std::time::Duration {
        std::time::Duration::from_secs(self.verifiable_until.saturating_sub(now).max(1))
    }
}

/// Records service token ids so that each is used once. Implement it over a shared store for
/// a service of several instances; [`MemoryReplayGuard`] serves a single instance.
///
/// An implementation must remember each id until [`TokenUse::verifiable_until`] (a store's
/// time to live: [`TokenUse::remember_for`]), since the token verifies until then; when it
/// cannot (full, unreachable), it answers [`FirstUse::Full`] and the call is refused.
pub trait ReplayGuard: Send + Sync {
    /// Records the use of a token: [`FirstUse::Yes`] the first time.
    fn first_use(&self, token: &TokenUse<'_>) -> FirstUse;
}

/// A [`ReplayGuard`] in memory, for one instance, bounded in size. Ids no longer verifiable
/// (past `exp` plus the leeway) are forgotten; when it is full of ids still verifiable it refuses new tokens ([`FirstUse::Full`])
/// rather than forget one that could then be replayed: it fails closed.
#[derive(Debug)]
pub struct MemoryReplayGuard {
    seen: std::sync::Mutex<std::collections::BTreeMap<(String, String), u64>>,
    capacity: usize,
}

impl MemoryReplayGuard {
    /// A guard remembering at most `capacity` token ids.
    pub fn new(capacity: usize) -> Self {
        MemoryReplayGuard {
            seen: std::sync::Mutex::new(std::collections::BTreeMap::new()),
            capacity,
        }
    }
}

impl ReplayGuard for MemoryReplayGuard {
    fn first_use(&self, token: &TokenUse<'_>) -> FirstUse {
        let now = jsonwebtoken::get_current_timestamp();
        let mut seen = self
            .seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let key = (token.caller.to_owned(), token.id.to_owned());
        if seen.get(&key).is_some_and(|until| *until >= now) {
            return FirstUse::Replayed;
        }
        if seen.len() >= self.capacity {
            seen.retain(|_, until| *until >= now);
        }
        if seen.len() >= self.capacity {
            return FirstUse::Full;
        }
        seen.insert(key, token.verifiable_until);
        FirstUse::Yes
    }
}

impl JwtConfig {
    /// Decodes a service token: the token, the service its key belongs to (for a service's
    /// own key), and the validation used. The header is read once: its `typ` must be a
    /// service token's, its `kid` chooses the key (none: the shared secret), and the key's
    /// algorithm is the only one accepted, so a caller that signs with its own key is never
    /// tried against the shared secret.
    fn decode_service_token<'k>(
        &self,
        keys: &'k crate::jwt::ServiceKeys,
        token: &str,
    ) -> Result<(TokenData<ServiceClaims>, Option<&'k str>, &'k Validation), ServiceAuthError> {
        let key = self.service_key_for(keys, token)?;
        let validation = keys
            .validation(key.algorithm)
            .ok_or(ServiceAuthError::Malformed)?;
        match jsonwebtoken::decode::<ServiceClaims>(token, &key.key, validation) {
            Ok(data) => Ok((data, key.service.as_deref(), validation)),
            Err(error) => Err(self.refusal(error.kind())),
        }
    }

    /// The key a service token's `kid` names: a caller's own key, an `oct` key, the shared
    /// secret (also for tokens without `kid`). The shared secret is refused where this
    /// receiver knows its callers' own keys in staging and production, unless migrating.
    fn service_key_for<'k>(
        &self,
        keys: &'k crate::jwt::ServiceKeys,
        token: &str,
    ) -> Result<&'k crate::jwt::VerifyingKey, ServiceAuthError> {
        let head = crate::jwt::token_head(token).ok_or(ServiceAuthError::Malformed)?;
        // What the token is for comes first: a user's token is a wrong type, whatever its key.
        if head.typ.as_deref() != Some(SERVICE_TOKEN_TYPE) {
            return Err(ServiceAuthError::WrongType {
                found: head.typ.as_deref().map(crate::jwt::bounded),
            });
        }
        let kid = head.kid.as_ref().or(keys.shared_kid.as_ref());
        let key = kid.and_then(|kid| keys.by_kid.get(kid)).ok_or_else(|| {
            ServiceAuthError::UnknownKey {
                kid: head
                    .kid
                    .as_deref()
                    .map(crate::jwt::bounded)
                    .unwrap_or_default(),
            }
        })?;
        if key.service.is_none() && !keys.accept_shared {
            return Err(ServiceAuthError::SharedSecretRefused);
        }
        Ok(key)
    }
}

fn is_service_token(header: &Header) -> bool {
    header.typ.as_deref() == Some(SERVICE_TOKEN_TYPE)
}

fn wrong_type(header: &Header) -> ServiceAuthError {
    ServiceAuthError::WrongType {
        found: header.typ.as_deref().map(crate::jwt::bounded),
    }
}

impl JwtConfig {
    fn refusal(&self, kind: &ErrorKind) -> ServiceAuthError {
        match kind {
            ErrorKind::InvalidSignature => ServiceAuthError::BadSignature,
            ErrorKind::ExpiredSignature => ServiceAuthError::Expired,
            ErrorKind::ImmatureSignature => ServiceAuthError::NotYetValid,
            ErrorKind::InvalidAudience => ServiceAuthError::WrongAudience {
                expected: self.service_id().to_owned(),
            },
            _ => ServiceAuthError::Malformed,
        }
    }
}
