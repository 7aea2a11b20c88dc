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
//! // Deployed, each service says who may call it: `auth` takes no calls, `backend` takes auth's.
//! let auth: MapSource =
//!     shared.into_iter().chain([("SERVICE_ID", "auth"), ("SERVICE_ALLOWED_CALLERS", "none")]).collect();
//! let backend: MapSource =
//!     shared.into_iter().chain([("SERVICE_ID", "backend"), ("SERVICE_ALLOWED_CALLERS", "auth")]).collect();
//! let (auth, backend) = (JwtConfig::from_source(&auth)?, JwtConfig::from_source(&backend)?);
//!
//! let headers = auth.service_headers("backend")?;
//! assert_eq!(backend.verify_service_call(&headers)?, Caller::Service("auth".into()));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use http::header::{HeaderMap, HeaderName, HeaderValue};
use serde::{Deserialize, Serialize};

use crate::jwt::TokenType;
use crate::{JwtConfig, SettingsFingerprint, TokenError};

/// The header that carries a service token, identical in every service.
pub const SERVICE_TOKEN_HEADER: HeaderName = HeaderName::from_static("x-service-token");

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
/// not be built. What every token shares (a bad signature, an expired token, an unknown key
/// id, a wrong type or audience, a malformed token) is a [`TokenError`], wrapped; the other
/// variants are what only service calls have. [`ServiceAuthError::as_str`] is a stable name
/// to match on or log; nothing in it is the token or a secret, and a value taken from the
/// token is cut and escaped.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ServiceAuthError {
    /// The call carries no service token.
    #[error("the call has no `x-service-token` header")]
    MissingHeader,
    /// The token was refused as any token would be: its [`TokenError`] says why (a header
    /// that is not a single well-formed token is [`TokenError::Malformed`]).
    #[error(transparent)]
    Token(#[from] TokenError),
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
    /// The replay guard's store did not answer (unreachable, an error, or slower than its
    /// timeout): refused rather than accept a token that may be a replay.
    #[error("the service token cannot be recorded: the replay guard's store is unavailable")]
    ReplayGuardUnavailable,
    /// The caller is authenticated but not in `SERVICE_ALLOWED_CALLERS` (its id cut to 40
    /// characters and escaped).
    #[error("service \"{0}\" is not in SERVICE_ALLOWED_CALLERS")]
    CallerNotAllowed(String),
}

impl ServiceAuthError {
    /// The stable name of the error, one snake_case string per variant, to match on or log
    /// (the same as [`ServiceAuthError::as_str`]).
    pub fn kind(&self) -> &'static str {
        self.as_str()
    }

    /// The stable name of the error: `missing_header`, `wrong_issuer`,
    /// `shared_secret_refused`, `missing_token_id`, `replayed`, `replay_guard_full`,
    /// `replay_guard_unavailable`, `caller_not_allowed`, and for [`ServiceAuthError::Token`] the name of the
    /// [`TokenError`] ([`TokenError::as_str`]: `bad_signature`, `expired`, `unknown_key_id`,
    /// ...). A name never changes once released; one concept has one name in both types.
    pub fn as_str(&self) -> &'static str {
        match self {
            ServiceAuthError::MissingHeader => "missing_header",
            ServiceAuthError::Token(error) => error.as_str(),
            ServiceAuthError::WrongIssuer { .. } => "wrong_issuer",
            ServiceAuthError::SharedSecretRefused => "shared_secret_refused",
            ServiceAuthError::MissingTokenId => "missing_token_id",
            ServiceAuthError::Replayed => "replayed",
            ServiceAuthError::ReplayGuardFull => "replay_guard_full",
            ServiceAuthError::ReplayGuardUnavailable => "replay_guard_unavailable",
            ServiceAuthError::CallerNotAllowed(_) => "caller_not_allowed",
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
    /// Whether the caller accepts calls from this token's audience: then the receiver also
    /// checks that the caller verifies its calls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cfga: Option<bool>,
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
    /// The caller's token and service-call keys as its token advertised them (at most 16
    /// entries, each cut as it is read), read when [`VerifiedCall::key_gaps`] asks: most
    /// calls never need them.
    keys: Option<Vec<String>>,
    /// Whether the caller accepts calls from this service.
    allows_receiver: bool,
}

/// `text` cut to `max` characters, in place: most claims are shorter, and are kept as they are.
fn cut(mut text: String, max: usize) -> String {
    if text.len() > max
        && let Some((end, _)) = text.char_indices().nth(max)
    {
        text.truncate(end);
    }
    text
}

impl VerifiedCall {
    /// What the receiver keeps of a verified token, the claims the caller sized cut short.
    fn new(caller: Caller, claims: Option<ServiceClaims>) -> Self {
        let (cfg, cfgd, cfgk, cfga) = claims
            .map(|c| (c.cfg, c.cfgd, c.cfgk, c.cfga))
            .unwrap_or_default();
        VerifiedCall {
            caller,
            fingerprint: cfg.map(|f| cut(f, 64)),
            settings: cfgd.map(|d| cut(d, 1024)),
            keys: cfgk.map(|keys| {
                let keys = keys.into_iter().take(crate::agreement::MAX_ADVERTISED);
                keys.map(crate::agreement::kept_advertised).collect()
            }),
            allows_receiver: cfga == Some(true),
        }
    }

    /// Whether the caller and `receiver` disagree on token keys, by the rule `jwt-config diff`
    /// applies (each verifies what the other signs; a rotation in progress agrees): the gaps,
    /// or `None` where the caller's token does not say its keys. The call itself verified, so
    /// the keys of service calls agree in its direction.
    pub fn key_gaps(&self, receiver: &JwtConfig) -> Option<Vec<crate::agreement::KeyGap>> {
        let caller = crate::agreement::read_advertised(self.keys.as_ref()?);
        Some(crate::agreement::gaps_with_caller(
            &receiver.key_view(),
            &caller,
            self.allows_receiver,
        ))
    }
}

/// A token id: 64 random bits drawn once per process, then a counter, written in hex (32
/// digits): unique in the process, and across instances but by chance of 2^-64; no system
/// call per token. `None` where the system has no randomness to give (the token is then sent
/// without one, and a receiver that refuses replays refuses it).
fn new_token_id() -> Option<[u64; 2]> {
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
    Some([process, COUNTER.fetch_add(1, Ordering::Relaxed)])
}

/// Appends `value` as 16 lowercase hex digits.
fn push_hex(out: &mut Vec<u8>, value: u64) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    out.extend(
        (0..16)
            .rev()
            .map(|nibble| DIGITS[(value >> (nibble * 4)) as usize & 0xf]),
    );
}

/// Appends `value` as JSON, as serde_json serializes it in `ServiceClaims`.
fn push_json<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    // Writing strings, booleans and lists of strings into a `Vec` cannot fail.
    serde_json::to_writer(out, value).expect("JSON of strings");
}

/// The parts of a service token made once per config: the header in base64url and a dot,
/// and the claims up to the value of `aud` (`{"iss":...,"sub":...,"aud":`).
fn fixed_parts(signer: &crate::jwt::Signer, service_id: &str) -> (String, Vec<u8>) {
    use base64::Engine as _;
    let header = serde_json::to_vec(&signer.header).expect("JSON of a header");
    let mut head = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(header);
    head.push('.');
    let mut claims = b"{\"iss\":".to_vec();
    push_json(&mut claims, service_id);
    claims.extend_from_slice(b",\"sub\":");
    push_json(&mut claims, service_id);
    claims.extend_from_slice(b",\"aud\":");
    (head, claims)
}

/// The fingerprint claims of a token, made once per fingerprint: `,"cfg":...,"cfgd":...,
/// "cfgk":[...]` (`cfga` depends on the target).
fn fingerprint_part(fingerprint: &SettingsFingerprint, advertised: &[String]) -> Vec<u8> {
    let mut part = b",\"cfg\":".to_vec();
    push_json(&mut part, fingerprint.fingerprint());
    part.extend_from_slice(b",\"cfgd\":");
    push_json(&mut part, &fingerprint.settings());
    part.extend_from_slice(b",\"cfgk\":");
    push_json(&mut part, advertised);
    part
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
        use base64::Engine as _;
        let mut headers = HeaderMap::new();
        let Some(keys) = self.service_keys() else {
            return Ok(headers);
        };
        let signer = keys.signer.as_ref().ok_or(TokenError::Signing)?;
        let (head, fixed) = keys
            .outgoing
            .fixed
            .get_or_init(|| fixed_parts(signer, self.service_id()));
        let now = jsonwebtoken::get_current_timestamp();
        let times = (now, now + self.lifetime(TokenType::Service).as_secs());
        let claims =
            self.service_claims_json(fixed, target_service, times, new_token_id(), fingerprint);
        let mut token = String::with_capacity(head.len() + claims.len() * 4 / 3 + 90);
        token.push_str(head);
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode_string(&claims, &mut token);
        let signature =
            jsonwebtoken::crypto::sign(token.as_bytes(), &signer.encoding, signer.header.alg)
                .map_err(|_| TokenError::Signing)?;
        token.push('.');
        token.push_str(&signature);
        let value = HeaderValue::try_from(token).map_err(|_| TokenError::Signing)?;
        headers.insert(SERVICE_TOKEN_HEADER, value);
        Ok(headers)
    }

    /// The JSON of a service token's claims, from parts made once (`fixed`: up to `aud`; the
    /// fingerprint claims) and the parts of this call (`times`: `iat` and `exp`): byte for
    /// byte what serde_json makes of [`ServiceClaims`] (a test compares the two), so
    /// receivers parse what they always did.
    fn service_claims_json(
        &self,
        fixed: &[u8],
        target_service: &str,
        (iat, exp): (u64, u64),
        token_id: Option<[u64; 2]>,
        fingerprint: Option<&SettingsFingerprint>,
    ) -> Vec<u8> {
        use std::io::Write as _;
        let mut claims = Vec::with_capacity(512);
        claims.extend_from_slice(fixed);
        push_json(&mut claims, target_service);
        // Writing into a `Vec` cannot fail.
        write!(claims, ",\"iat\":{iat},\"exp\":{exp}").expect("writing to a Vec");
        if let Some([process, count]) = token_id {
            claims.extend_from_slice(b",\"jti\":\"");
            push_hex(&mut claims, process);
            push_hex(&mut claims, count);
            claims.push(b'"');
        }
        if let Some((fingerprint, keys)) = fingerprint.zip(self.service_keys()) {
            let cached = &keys.outgoing.fingerprinted;
            let (first, part) = cached.get_or_init(|| {
                let part = fingerprint_part(fingerprint, self.advertised_keys());
                (fingerprint.clone(), part)
            });
            if first == fingerprint {
                claims.extend_from_slice(part);
            } else {
                claims.extend(fingerprint_part(fingerprint, self.advertised_keys()));
            }
            let allows_target = self
                .service_allowed_callers()
                .is_none_or(|allowed| allowed.iter().any(|a| a == target_service));
            claims.extend_from_slice(b",\"cfga\":");
            push_json(&mut claims, &allows_target);
        }
        claims.push(b'}');
        claims
    }

    /// Checks the headers of an incoming call and returns who made it:
    /// [`JwtConfig::verify_service_call_with`] with no options.
    pub fn verify_service_call(&self, headers: &HeaderMap) -> Result<Caller, ServiceAuthError> {
        // The caller alone: what the token says of the caller's settings is not read.
        let options = VerifyOptions::default();
        self.checked_call(headers, &options)
            .map(|(caller, _)| caller)
    }

    /// Checks the headers of an incoming call: who made it, and what its token says of the
    /// caller's settings (fingerprint, per-setting digests, token keys) for a drift check
    /// ([`VerifiedCall::key_gaps`], [`SettingsFingerprint::compare`]). With
    /// [`VerifyOptions::replay_guard`], the token is used once: its `jti` is recorded in the
    /// guard until `exp` plus the leeway, and a token without one, or seen before, is refused.
    ///
    /// The token is verified by the same pipeline as access and refresh tokens (one `typ`
    /// rule, the key chosen by `kid`, one mapping of errors, a lifetime no longer than
    /// `SERVICE_TOKEN_LIFETIME_SECONDS` plus the leeway); then a caller's own key must be the
    /// caller's, the shared secret must be accepted, and the caller allowed.
    pub fn verify_service_call_with(
        &self,
        headers: &HeaderMap,
        options: &VerifyOptions<'_>,
    ) -> Result<VerifiedCall, ServiceAuthError> {
        let (caller, claims) = self.checked_call(headers, options)?;
        Ok(VerifiedCall::new(caller, claims))
    }

    /// The caller and, where a token was verified, its claims, the options applied.
    fn checked_call(
        &self,
        headers: &HeaderMap,
        options: &VerifyOptions<'_>,
    ) -> Result<(Caller, Option<ServiceClaims>), ServiceAuthError> {
        let (caller, claims) = self.verified_call(headers)?;
        if let (Some(guard), Some(claims)) = (options.replay_guard, &claims) {
            recorded(guard.first_use(&self.token_use(claims)?))?;
        }
        Ok((caller, claims))
    }

    /// [`JwtConfig::verify_service_call_with`] for async code: the same verification, then
    /// the token recorded by an [`AsyncReplayGuard`] (a store over the network, such as
    /// `jwt-config-redis`), awaited rather than blocking a runtime's thread. A guard whose
    /// store does not answer refuses ([`ServiceAuthError::ReplayGuardUnavailable`]).
    ///
    /// ```
    /// # use jwt_config::{Config, JwtConfig, MapSource};
    /// use jwt_config::service_auth::{AsyncVerifyOptions, MemoryReplayGuard, ServiceAuthError};
    /// # let shared = [("ENVIRONMENT", "staging"), ("JWT_SECRET_KEY", "jwt-secret-key-of-at-least-32-bytes!!"),
    /// #     ("JWT_ISSUER", "auth"), ("JWT_AUDIENCE", "api"), ("SERVICE_SECRET", "service-secret-of-at-least-32-bytes!")];
    /// # let auth: MapSource = shared.into_iter().chain([("SERVICE_ID", "auth"), ("SERVICE_ALLOWED_CALLERS", "none")]).collect();
    /// # let backend: MapSource = shared.into_iter().chain([("SERVICE_ID", "backend"), ("SERVICE_ALLOWED_CALLERS", "auth")]).collect();
    /// # let (auth, backend) = (JwtConfig::from_source(&auth)?, JwtConfig::from_source(&backend)?);
    /// let guard = MemoryReplayGuard::new(1024);
    /// let options = AsyncVerifyOptions { replay_guard: Some(&guard) };
    /// let headers = auth.service_headers("backend")?;
    /// # fn block_on<F: std::future::Future>(future: F) -> F::Output {
    /// #     let mut future = std::pin::pin!(future);
    /// #     let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    /// #     match future.as_mut().poll(&mut context) {
    /// #         std::task::Poll::Ready(output) => output, std::task::Poll::Pending => unreachable!() } }
    /// // In a service: `.await` on its runtime; a memory guard answers at once.
    /// assert!(block_on(backend.verify_service_call_async(&headers, &options)).is_ok());
    /// let replay = block_on(backend.verify_service_call_async(&headers, &options));
    /// assert_eq!(replay.unwrap_err(), ServiceAuthError::Replayed);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn verify_service_call_async(
        &self,
        headers: &HeaderMap,
        options: &AsyncVerifyOptions<'_>,
    ) -> Result<VerifiedCall, ServiceAuthError> {
        let (caller, claims) = self.verified_call(headers)?;
        if let (Some(guard), Some(claims)) = (options.replay_guard, &claims) {
            recorded(guard.first_use_async(&self.token_use(claims)?).await)?;
        }
        Ok(VerifiedCall::new(caller, claims))
    }

    /// The use a replay guard records of a verified token: refused without a `jti`.
    fn token_use<'c>(&self, claims: &'c ServiceClaims) -> Result<TokenUse<'c>, ServiceAuthError> {
        let jti = claims
            .jti
            .as_deref()
            .ok_or(ServiceAuthError::MissingTokenId)?;
        // The token verifies until `exp` plus the leeway: the guard remembers it as long.
        let verifiable_until = claims.exp.saturating_add(self.leeway().as_secs());
        Ok(TokenUse::new(&claims.iss, jti, verifiable_until))
    }

    /// The caller and, where a token was verified, its claims.
    fn verified_call(
        &self,
        headers: &HeaderMap,
    ) -> Result<(Caller, Option<ServiceClaims>), ServiceAuthError> {
        let Some(ring) = self.service_keys() else {
            return Ok((Caller::Unauthenticated, None));
        };
        let mut values = headers.get_all(&SERVICE_TOKEN_HEADER).iter();
        let (Some(value), None) = (values.next(), values.next()) else {
            return Err(if headers.contains_key(&SERVICE_TOKEN_HEADER) {
                TokenError::Malformed.into()
            } else {
                ServiceAuthError::MissingHeader
            });
        };
        let token = value.to_str().map_err(|_| TokenError::Malformed)?;
        let times = |claims: &ServiceClaims| Some((Some(claims.iat), claims.exp));
        let verified = self.verify(ring, token, TokenType::Service, times)?;
        if !verified.key.accepted {
            return Err(ServiceAuthError::SharedSecretRefused);
        }
        let claims = verified.data.claims;
        // A service's own key speaks for that service only.
        if let Some(service) = &verified.key.service
            && *service != claims.iss
        {
            return Err(ServiceAuthError::WrongIssuer {
                key_service: crate::jwt::bounded(service),
            });
        }
        if let Some(allowed) = self.service_allowed_callers()
            && !allowed.contains(&claims.iss)
        {
            return Err(ServiceAuthError::CallerNotAllowed(crate::jwt::bounded(
                &claims.iss,
            )));
        }
        Ok((Caller::Service(claims.iss.clone()), Some(claims)))
    }
}

/// Options of [`JwtConfig::verify_service_call_with`]; the default verifies the call and
/// nothing more.
#[derive(Clone, Copy, Default)]
pub struct VerifyOptions<'a> {
    /// Use each token once: its `jti` is recorded here, and a token without one, or seen
    /// before, is refused ([`ServiceAuthError::MissingTokenId`], [`ServiceAuthError::Replayed`];
    /// [`ServiceAuthError::ReplayGuardFull`] where the guard cannot record it).
    pub replay_guard: Option<&'a dyn ReplayGuard>,
}

impl std::fmt::Debug for VerifyOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifyOptions")
            .field("replay_guard", &self.replay_guard.map(|_| "..."))
            .finish()
    }
}

/// A guard's answer as the verdict of the call: only a first use passes.
fn recorded(first_use: FirstUse) -> Result<(), ServiceAuthError> {
    match first_use {
        FirstUse::Yes => Ok(()),
        FirstUse::Replayed => Err(ServiceAuthError::Replayed),
        FirstUse::Full => Err(ServiceAuthError::ReplayGuardFull),
        FirstUse::Unavailable => Err(ServiceAuthError::ReplayGuardUnavailable),
    }
}

/// Options of [`JwtConfig::verify_service_call_async`]; the default verifies the call and
/// nothing more.
#[derive(Clone, Copy, Default)]
pub struct AsyncVerifyOptions<'a> {
    /// Use each token once: its `jti` is recorded here (any [`ReplayGuard`] is one too), and a
    /// token without one, seen before, or that the guard cannot record is refused.
    pub replay_guard: Option<&'a dyn AsyncReplayGuard>,
}

impl std::fmt::Debug for AsyncVerifyOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncVerifyOptions")
            .field("replay_guard", &self.replay_guard.map(|_| "..."))
            .finish()
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
    /// The guard cannot record it: full of ids still verifiable.
    Full,
    /// The guard's store did not answer (unreachable, an error, or past a timeout): whether
    /// the id was seen is unknown, so the call is refused.
    Unavailable,
}

/// The seconds a replay guard remembers a token id beyond the last second it verifies: the
/// guard reads its clock after the verification read its own (and replicas sharing a store
/// read theirs), and a token must never look forgotten while it is still accepted.
pub const REPLAY_MARGIN_SECONDS: u64 = 60;

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

    /// Until when (seconds since the epoch) a guard remembers the id:
    /// [`TokenUse::verifiable_until`] plus [`REPLAY_MARGIN_SECONDS`], so that the clock the
    /// guard reads (later than the verification's, or another replica's) never judges a
    /// token forgotten that the verification still accepted.
    pub fn remember_until(&self) -> u64 {
        self.verifiable_until.saturating_add(REPLAY_MARGIN_SECONDS)
    }

    /// How long from `now` (seconds since the epoch) the id must be remembered: the time to
    /// live of a record in a shared store ([`TokenUse::remember_until`]), at least one second.
    pub fn remember_for(&self, now: u64) -> std::time::Duration {
        std::time::Duration::from_secs(self.remember_until().saturating_sub(now).max(1))
    }
}

/// Records service token ids so that each is used once. Implement it over a shared store for
/// a service of several instances; [`MemoryReplayGuard`] serves a single instance.
///
/// An implementation must remember each id until [`TokenUse::remember_until`] (the last
/// second the token verifies, plus a margin for clocks; a store's time to live:
/// [`TokenUse::remember_for`]); when it cannot (full, unreachable), it answers
/// [`FirstUse::Full`] and the call is refused.
pub trait ReplayGuard: Send + Sync {
    /// Records the use of a token: [`FirstUse::Yes`] the first time.
    fn first_use(&self, token: &TokenUse<'_>) -> FirstUse;
}

/// The future of [`AsyncReplayGuard::first_use_async`].
pub type FirstUseFuture<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = FirstUse> + Send + 'a>>;

/// A [`ReplayGuard`] for async code, whose store is awaited (over the network: Redis in
/// `jwt-config-redis`) rather than blocking a runtime's thread; every [`ReplayGuard`] is one.
/// The same contract: remember each id until [`TokenUse::remember_until`], and when the store
/// does not answer in time, [`FirstUse::Unavailable`], never [`FirstUse::Yes`].
///
/// ```
/// use jwt_config::service_auth::{AsyncReplayGuard, FirstUse, FirstUseFuture, TokenUse};
///
/// /// A guard whose store is always down: it refuses every call.
/// struct Down;
/// impl AsyncReplayGuard for Down {
///     fn first_use_async<'a>(&'a self, _token: &'a TokenUse<'_>) -> FirstUseFuture<'a> {
///         Box::pin(async { FirstUse::Unavailable })
///     }
/// }
/// ```
pub trait AsyncReplayGuard: Send + Sync {
    /// Records the use of a token: [`FirstUse::Yes`] the first time. (Named apart from
    /// [`ReplayGuard::first_use`], so that a call on a guard that is both is never ambiguous.)
    fn first_use_async<'a>(&'a self, token: &'a TokenUse<'_>) -> FirstUseFuture<'a>;
}

impl<G: ReplayGuard + ?Sized> AsyncReplayGuard for G {
    fn first_use_async<'a>(&'a self, token: &'a TokenUse<'_>) -> FirstUseFuture<'a> {
        let first_use = self.first_use(token);
        Box::pin(std::future::ready(first_use))
    }
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
        seen.insert(key, token.remember_until());
        FirstUse::Yes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TokenError;

    /// The README's table of stable kinds: each name with the column saying what it is of.
    fn documented() -> Vec<(String, String)> {
        let readme = include_str!("../README.md");
        let table = &readme[readme.find("## Stable kinds").unwrap()..];
        table
            .lines()
            .skip_while(|l| !l.starts_with("| kind |"))
            .skip(2)
            .take_while(|l| l.starts_with('|'))
            .map(|row| {
                let cells: Vec<&str> = row.split('|').map(str::trim).collect();
                (cells[1].trim_matches('`').to_owned(), cells[2].to_owned())
            })
            .collect()
    }

    fn assert_documented(name: &str, of: &str) {
        let table = documented();
        assert!(
            table.iter().any(|(n, o)| n == name && o.contains(of)),
            "`{name}` ({of}) is not in the README's table of stable kinds"
        );
    }

    fn loaded(service_id: &str, extra: &[(&str, &str)]) -> crate::Loaded<JwtConfig> {
        use crate::Config as _;
        let source: crate::MapSource = [
            ("ENVIRONMENT", "staging"),
            (
                "JWT_SECRET_KEY",
                "unit-test-jwt-secret-0123456789abcdefghij",
            ),
            ("JWT_ISSUER", "auth"),
            ("JWT_AUDIENCE", "api"),
            (
                "SERVICE_SECRET",
                "unit-test-service-secret-0123456789abcdef",
            ),
            ("SERVICE_ALLOWED_CALLERS", "*"),
            ("SERVICE_ID", service_id),
        ]
        .into_iter()
        .chain(extra.iter().copied())
        .collect();
        JwtConfig::load_with_report(&source).unwrap()
    }

    #[test]
    fn spliced_claims_are_what_serde_json_makes_of_the_claims() {
        let loaded = loaded("auth", &[("SERVICE_ALLOWED_CALLERS", "backend")]);
        let (config, fingerprint) = (&loaded.value, loaded.settings_fingerprint_of::<JwtConfig>());
        let keys = config.service_keys().unwrap();
        let signer = keys.signer.as_ref().unwrap();
        let (_, fixed) = fixed_parts(signer, config.service_id());
        let id = [0x0123_4567_89ab_cdef, 42];
        for target in ["backend", "billing", "a \"quoted\"\\ target\u{1}\u{e9}"] {
            for fingerprint in [None, fingerprint.as_ref()] {
                for token_id in [None, Some(id)] {
                    let spliced = config.service_claims_json(
                        &fixed,
                        target,
                        (100, 160),
                        token_id,
                        fingerprint,
                    );
                    let claims = ServiceClaims {
                        iss: "auth".to_owned(),
                        sub: "auth".to_owned(),
                        aud: target.to_owned(),
                        iat: 100,
                        exp: 160,
                        jti: token_id.map(|_| "0123456789abcdef000000000000002a".to_owned()),
                        cfg: fingerprint.map(|f| f.fingerprint().to_owned()),
                        cfgd: fingerprint.map(SettingsFingerprint::settings),
                        cfgk: fingerprint.map(|_| config.advertised_keys().to_vec()),
                        cfga: fingerprint.map(|_| target == "backend"),
                    };
                    let expected = serde_json::to_vec(&claims).unwrap();
                    assert_eq!(
                        String::from_utf8(spliced).unwrap(),
                        String::from_utf8(expected).unwrap()
                    );
                }
            }
        }
    }

    #[test]
    fn a_service_token_is_what_jsonwebtoken_encodes_of_its_claims() {
        let loaded = loaded("auth", &[]);
        let config = &loaded.value;
        let fingerprint = loaded.settings_fingerprint_of::<JwtConfig>().unwrap();
        let headers = config
            .service_headers_with_fingerprint("backend", &fingerprint)
            .unwrap();
        let token = headers[SERVICE_TOKEN_HEADER].to_str().unwrap();
        let signer = config.service_keys().unwrap().signer.as_ref().unwrap();
        let payload = token.split('.').nth(1).unwrap();
        let claims: ServiceClaims = {
            use base64::Engine as _;
            let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(payload)
                .unwrap();
            serde_json::from_slice(&json).unwrap()
        };
        let encoded = jsonwebtoken::encode(&signer.header, &claims, &signer.encoding).unwrap();
        assert_eq!(token, encoded);
    }

    #[test]
    fn another_fingerprint_is_signed_with_its_own_claims_not_the_first_ones() {
        let caller = loaded("auth", &[]);
        let config = &caller.value;
        let first = caller.settings_fingerprint_of::<JwtConfig>().unwrap();
        let other = loaded_fingerprint(&[("JWT_LEEWAY_SECONDS", "5")]);
        assert_ne!(first.fingerprint(), other.fingerprint());
        let receiver = loaded("backend", &[]).value;
        for fingerprint in [&first, &other, &first] {
            let headers = config
                .service_headers_with_fingerprint("backend", fingerprint)
                .unwrap();
            let call = receiver
                .verify_service_call_with(&headers, &VerifyOptions::default())
                .unwrap();
            assert_eq!(call.fingerprint.as_deref(), Some(fingerprint.fingerprint()));
            assert_eq!(call.settings, Some(fingerprint.settings()));
        }
    }

    fn loaded_fingerprint(extra: &[(&str, &str)]) -> SettingsFingerprint {
        loaded("auth", extra)
            .settings_fingerprint_of::<JwtConfig>()
            .unwrap()
    }

    #[test]
    fn a_token_verified_in_its_last_second_is_a_replay_after_the_clock_ticks() {
        // The verification accepted it at its last second; the guard reads a later clock.
        let now = jsonwebtoken::get_current_timestamp();
        let guard = MemoryReplayGuard::new(4);
        let token = TokenUse::new("auth", "last-second", now - 1);
        assert_eq!(guard.first_use(&token), FirstUse::Yes);
        assert_eq!(guard.first_use(&token), FirstUse::Replayed);
        assert!(token.remember_for(now) >= std::time::Duration::from_secs(59));
    }

    #[test]
    fn every_stable_kind_is_in_the_readmes_table() {
        for kind in crate::ProblemKind::ALL {
            assert_documented(kind.as_str(), "problem");
        }
        for kind in crate::WarningKind::ALL {
            assert_documented(kind.as_str(), "warning");
        }
        let tokens = crate::__private::every_token_error();
        let calls = crate::__private::every_service_auth_error();
        let mut names: Vec<&str> = tokens.iter().map(TokenError::as_str).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), tokens.len(), "one name per token error");
        for error in &tokens {
            assert_documented(error.as_str(), "token");
        }
        for error in &calls {
            assert_documented(error.as_str(), "service call");
        }
    }
}
