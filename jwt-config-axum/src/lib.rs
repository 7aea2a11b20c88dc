//! From config to HTTP: axum extractors and a tower layer that verify with a [`JwtConfig`],
//! refusals as RFC 6750 answers that never show a token or a secret, every refusal logged and
//! counted, drift between services seen at the first call, and a health handler.
//!
//! ```no_run
//! use std::sync::Arc;
//!
//! use axum::{Router, extract::FromRef, routing::{get, post}};
//! use jwt_config::{Config, JwtConfig, ProcessEnv};
//! use jwt_config_axum::{AccessToken, JwtAuth, ServiceCaller, health};
//!
//! #[derive(Clone, FromRef)]
//! struct AppState {
//!     auth: JwtAuth,
//! }
//!
//! async fn me(AccessToken(claims): AccessToken) -> String {
//!     claims.sub
//! }
//!
//! async fn sync(ServiceCaller(caller): ServiceCaller) -> String {
//!     format!("synced for {caller}")
//! }
//!
//! let loaded = JwtConfig::load_with_report(&ProcessEnv).expect("configuration");
//! let state = AppState { auth: JwtAuth::from_loaded(&loaded) };
//! let app: Router = Router::new()
//!     .route("/me", get(me))
//!     .route("/internal/sync", post(sync))
//!     .route("/health", get(health))
//!     .with_state(state);
//! ```
//!
//! The state holds a [`JwtAuth`] rather than a bare `Arc<JwtConfig>`: the extractors count
//! refusals and compare callers' fingerprints, and those must outlive a request. `JwtAuth` is
//! that `Arc<JwtConfig>` with its fingerprint and counters, cheap to clone. A service whose
//! own settings struct flattens `JwtConfig` loads it once, builds `JwtAuth::from_loaded` from
//! the same load, keeps its struct beside it in the state, and derives `FromRef`
//! (`examples/axum/auth.rs`).
//!
//! The facade (`jwt-config`) compiles no HTTP framework; this crate is for those who use axum.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod calling;
mod extract;
mod layer;
mod refusal;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use jwt_config::agreement::{self, KeyGap};
use jwt_config::service_auth::{Caller, ReplayGuard, ServiceAuthError, shown};
use jwt_config::{Config, Drift, HasJwtConfig, JwtConfig, Loaded, SettingsFingerprint};
use serde::Serialize;

pub use calling::{AttachServiceHeaders, AttachServiceHeadersService, CallError};
pub use extract::{AccessToken, AnyCaller, OptionalAccessToken, ServiceCaller};
pub use layer::{RequireAuth, RequireAuthService};
pub use refusal::Refusal;

/// The JWT settings of a service as its HTTP layer uses them: the config, its effective
/// fingerprint (for drift detection), and the refusal and drift counters. Cheap to clone;
/// put it in the application's state and let axum's `FromRef` hand it to the extractors.
#[derive(Clone)]
pub struct JwtAuth {
    inner: Arc<Inner>,
}

struct Inner {
    config: Arc<JwtConfig>,
    fingerprint: Option<SettingsFingerprint>,
    options: Options,
    refusals: Mutex<BTreeMap<&'static str, u64>>,
    drift_events: AtomicU64,
    /// Each caller and fingerprint seen to differ, with what differs and how many calls.
    drifts: Mutex<BTreeMap<(String, String), DriftSeen>>,
}

/// What the builder methods choose.
#[derive(Clone, Default)]
struct Options {
    strict_drift: bool,
    replay_guard: Option<Arc<dyn ReplayGuard>>,
}

/// How many distinct (caller, fingerprint) pairs are remembered: beyond that, drifted calls
/// are still counted (and refused in strict mode) but no longer logged one by one.
const MAX_DRIFTS_REMEMBERED: usize = 64;

impl Inner {
    fn new(
        config: Arc<JwtConfig>,
        fingerprint: Option<SettingsFingerprint>,
        options: Options,
    ) -> Self {
        Inner {
            config,
            fingerprint,
            options,
            refusals: Mutex::new(BTreeMap::new()),
            drift_events: AtomicU64::new(0),
            drifts: Mutex::new(BTreeMap::new()),
        }
    }
}

impl JwtAuth {
    /// Without a fingerprint: calls are verified, drift is not detected.
    pub fn new(config: impl Into<Arc<JwtConfig>>) -> Self {
        JwtAuth::with_fingerprint(config, None)
    }

    /// From a load with its report (`JwtConfig` or a service's struct that flattens it): the
    /// JWT settings and their effective fingerprint with per-setting digests, which outgoing
    /// service tokens carry and incoming ones are compared with.
    ///
    /// Where the settings have no fingerprint (`JwtConfig` flattened twice, under two
    /// prefixes), a warning says that drift will not be seen; strict mode then refuses.
    pub fn from_loaded<T: Config + HasJwtConfig>(loaded: &Loaded<T>) -> Self {
        let fingerprint = loaded.settings_fingerprint_of::<JwtConfig>();
        if fingerprint.is_none() {
            tracing::warn!(
                "the shared JWT settings have no fingerprint (is JwtConfig flattened more than once?): drift between services will not be seen"
            );
        }
        JwtAuth::with_fingerprint(loaded.value.jwt_config().clone(), fingerprint)
    }

    /// With a fingerprint of the shared settings computed elsewhere
    /// (`Loaded::settings_fingerprint_of::<JwtConfig>()`).
    pub fn with_fingerprint(
        config: impl Into<Arc<JwtConfig>>,
        fingerprint: Option<SettingsFingerprint>,
    ) -> Self {
        JwtAuth {
            inner: Arc::new(Inner::new(config.into(), fingerprint, Options::default())),
        }
    }

    /// Refuses (403) a service call whose token carries another fingerprint of the shared
    /// settings, naming the settings that differ, instead of only logging and counting it;
    /// and a call that cannot be compared: from a caller that sends no fingerprint (plain
    /// `JwtConfig::service_headers`), or to a `JwtAuth` that has none (`JwtAuth::new`).
    ///
    /// A key rotation is a difference until every service has the new key (`JWT_SECRET_KEY`
    /// or `SERVICE_SECRET` differ in the middle of the runbook, as `jwt-config diff` says
    /// too): strict mode refuses calls across it, so turn it on once a fleet agrees and off
    /// for a rotation of a shared key.
    ///
    /// Call it while building the state: the result counts from zero.
    pub fn strict_drift(self) -> Self {
        self.with_options(|options| options.strict_drift = true)
    }

    /// Each service token is accepted once: its `jti` is recorded in `guard` (a
    /// [`MemoryReplayGuard`](jwt_config::service_auth::MemoryReplayGuard) for one instance,
    /// a shared store for several), and a token without one, or seen before, is refused
    /// (401 `missing_token_id`, `replayed`); a guard too full to record it refuses too (503
    /// `replay_guard_full`, for the caller to retry), never accepts unrecorded.
    ///
    /// Call it while building the state: the result counts from zero.
    pub fn replay_guard(self, guard: impl ReplayGuard + 'static) -> Self {
        let guard: Arc<dyn ReplayGuard> = Arc::new(guard);
        self.with_options(|options| options.replay_guard = Some(guard))
    }

    fn with_options(self, choose: impl FnOnce(&mut Options)) -> Self {
        let mut options = self.inner.options.clone();
        choose(&mut options);
        let (config, fingerprint) = (self.inner.config.clone(), self.inner.fingerprint.clone());
        JwtAuth {
            inner: Arc::new(Inner::new(config, fingerprint, options)),
        }
    }

    /// The replay guard, when calls are accepted once.
    pub(crate) fn guard(&self) -> Option<&dyn ReplayGuard> {
        self.inner.options.replay_guard.as_deref()
    }

    /// The JWT settings.
    pub fn config(&self) -> &JwtConfig {
        &self.inner.config
    }

    /// This service's effective fingerprint of the shared settings, when known.
    pub fn fingerprint(&self) -> Option<&str> {
        self.inner
            .fingerprint
            .as_ref()
            .map(SettingsFingerprint::fingerprint)
    }

    /// Headers for a call to `target_service` (attach them to a reqwest or hyper request);
    /// the token carries this service's fingerprint, so the receiver sees drift at once.
    pub fn service_headers(&self, target_service: &str) -> Result<HeaderMap, ServiceAuthError> {
        match &self.inner.fingerprint {
            Some(fingerprint) => self
                .config()
                .service_headers_with_fingerprint(target_service, fingerprint),
            None => self.config().service_headers(target_service),
        }
    }

    /// How many requests were refused, by reason (`missing_token`, `expired`,
    /// `caller_not_allowed`, ...): for the service's metrics.
    pub fn refusals(&self) -> BTreeMap<String, u64> {
        let counts = self
            .inner
            .refusals
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        counts.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
    }

    /// How many service calls carried another fingerprint of the shared settings.
    pub fn drift_events(&self) -> u64 {
        self.inner.drift_events.load(Ordering::Relaxed)
    }

    /// The callers seen with other shared settings, each with its fingerprint, the settings
    /// that differ and how many calls (the first 64 pairs of caller and fingerprint).
    pub fn drifts(&self) -> Vec<DriftSeen> {
        let drifts = self.inner.drifts.lock().unwrap_or_else(|e| e.into_inner());
        drifts.values().cloned().collect()
    }

    /// What a readiness probe or a fleet dashboard reads.
    pub fn health(&self) -> Health {
        let config = self.config();
        Health {
            status: "ok",
            service_id: config.service_id().to_owned(),
            environment: config.environment().as_str(),
            schema_fingerprint: jwt_config::schema_fingerprint_of::<JwtConfig>(),
            effective_fingerprint: self.fingerprint().map(str::to_owned),
            key_ids: config.keys().into_iter().map(|k| k.id).collect(),
            service_key_ids: config
                .service_call_keys()
                .into_iter()
                .map(|k| k.id)
                .collect(),
            refusals: self.refusals(),
            drift_events: self.drift_events(),
            drifts: self.drifts(),
        }
    }

    pub(crate) fn count_refusal(&self, kind: &'static str) {
        let mut counts = self
            .inner
            .refusals
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        *counts.entry(kind).or_default() += 1;
    }

    /// Compares a caller's fingerprint with this service's: on a difference, logs once per
    /// caller and fingerprint (naming the settings that differ), counts, and in strict mode
    /// refuses.
    ///
    /// Key material is compared by agreement, as `jwt-config diff` compares it: where the
    /// caller's token says its keys and each side verifies what the other signs (`key_gaps`
    /// empty: a rotation in progress), differing key settings are no drift.
    pub(crate) fn check_drift(
        &self,
        caller: &Caller,
        fingerprint: Option<&str>,
        settings: Option<&str>,
        key_gaps: impl FnOnce() -> Option<Vec<KeyGap>>,
    ) -> Result<(), String> {
        let Caller::Service(name) = caller else {
            return Ok(());
        };
        // The caller chose its name and its claims: only their escaped, bounded forms are
        // logged, remembered or answered.
        let name = &shown(name);
        // Strict mode compares every call: one that cannot be compared is refused.
        let (ours, theirs) = match (self.inner.fingerprint.as_ref(), fingerprint) {
            (Some(ours), Some(theirs)) => (ours, theirs),
            _ if !self.inner.options.strict_drift => return Ok(()),
            (None, _) => {
                return Err(
                    "this service has no fingerprint of its shared JWT settings to compare callers with; build its JwtAuth with JwtAuth::from_loaded".to_owned(),
                );
            }
            (Some(_), None) => {
                return Err(format!(
                    "the caller {name} sent no fingerprint of its shared JWT settings; it must build its headers with JwtAuth::service_headers (or JwtConfig::service_headers_with_fingerprint)"
                ));
            }
        };
        let (settings, unnamed) = match ours.compare(theirs, settings) {
            Drift::Same => return Ok(()),
            Drift::Settings(mut names) => {
                if key_gaps().is_some_and(|gaps| gaps.is_empty()) {
                    names.retain(|name| !agreement::is_key_material(name));
                    if names.is_empty() {
                        return Ok(());
                    }
                }
                (names, None)
            }
            Drift::OtherSchema => (
                Vec::new(),
                Some("it was built with another schema of the JWT settings"),
            ),
            _ => (Vec::new(), Some("its token does not name the settings")),
        };
        let theirs = &shown(theirs);
        let seen = DriftSeen {
            caller: name.clone(),
            fingerprint: theirs.clone(),
            settings,
            unnamed,
            calls: 1,
        };
        let what = seen.what();
        self.inner.drift_events.fetch_add(1, Ordering::Relaxed);
        if self.remember(seen) {
            tracing::warn!(
                caller = %name,
                differing = %what,
                theirs = %theirs,
                ours = ours.fingerprint(),
                "service {name} differs from this one in its shared JWT settings: {what}; `jwt-config diff` their env files to see the values"
            );
        }
        if self.inner.options.strict_drift {
            return Err(format!(
                "the caller's shared JWT settings differ from this service's in {what}; run `jwt-config diff` on the two env files"
            ));
        }
        Ok(())
    }
}

impl JwtAuth {
    /// Records a drifted call; true the first time its caller and fingerprint are seen (and
    /// there is room to remember them), when it is worth a log line.
    fn remember(&self, seen: DriftSeen) -> bool {
        let mut drifts = self.inner.drifts.lock().unwrap_or_else(|e| e.into_inner());
        let key = (seen.caller.clone(), seen.fingerprint.clone());
        if let Some(known) = drifts.get_mut(&key) {
            known.calls += 1;
            return false;
        }
        if drifts.len() >= MAX_DRIFTS_REMEMBERED {
            return false;
        }
        drifts.insert(key, seen);
        true
    }
}

/// The health document: who this service is and what it has refused.
#[derive(Clone, Debug, Serialize)]
#[non_exhaustive]
pub struct Health {
    /// Always `ok`: the configuration loaded.
    pub status: &'static str,
    /// `SERVICE_ID`.
    pub service_id: String,
    /// `ENVIRONMENT`.
    pub environment: &'static str,
    /// The schema's fingerprint.
    pub schema_fingerprint: String,
    /// The effective fingerprint of the shared settings.
    pub effective_fingerprint: Option<String>,
    /// The ids of the keys it signs and verifies tokens with.
    pub key_ids: Vec<String>,
    /// The ids of the keys of service calls: the one it signs with, then its callers'.
    pub service_key_ids: Vec<String>,
    /// Refusals by reason.
    pub refusals: BTreeMap<String, u64>,
    /// Service calls whose shared settings differed.
    pub drift_events: u64,
    /// Who differed, and in what.
    pub drifts: Vec<DriftSeen>,
}

/// A caller seen with other shared settings than this service's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct DriftSeen {
    /// The calling service (escaped, at most 40 characters: the caller chose it).
    pub caller: String,
    /// Its effective fingerprint of the shared settings (escaped and bounded likewise).
    pub fingerprint: String,
    /// The settings that differ (empty when the caller's token does not say).
    pub settings: Vec<String>,
    /// Why they cannot be named, when they cannot.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unnamed: Option<&'static str>,
    /// How many calls carried it.
    pub calls: u64,
}

impl DriftSeen {
    /// What differs, for a log line or a refusal: the settings' names, or why they cannot
    /// be named.
    fn what(&self) -> String {
        match self.unnamed {
            None => self.settings.join(", "),
            Some(why) => format!("settings it does not name ({why})"),
        }
    }
}

/// A health handler: `.route("/health", get(health))` with `JwtAuth` in the state.
pub async fn health(State(auth): State<JwtAuth>) -> Json<Health> {
    Json(auth.health())
}

#[cfg(test)]
mod tests {
    use jwt_config::MapSource;

    use super::*;

    #[test]
    fn drifted_callers_are_remembered_up_to_a_bound_and_all_counted() {
        let source = MapSource::new()
            .with("ENVIRONMENT", "development")
            .with("SERVICE_ID", "backend")
            .with(
                "JWT_SECRET_KEY",
                "unit-test-jwt-secret-0123456789abcdefghij",
            );
        let auth = JwtAuth::from_loaded(&JwtConfig::load_with_report(&source).unwrap());
        let caller = Caller::Service("auth".to_owned());
        let calls = MAX_DRIFTS_REMEMBERED + 6;
        for i in 0..calls {
            let theirs = format!("jwtcfg2-{i:032x}");
            assert_eq!(
                auth.check_drift(&caller, Some(&theirs), None, || None),
                Ok(())
            );
        }
        let theirs = format!("jwtcfg2-{:032x}", 0);
        assert_eq!(
            auth.check_drift(&caller, Some(&theirs), None, || None),
            Ok(())
        );
        assert_eq!(auth.drift_events(), calls as u64 + 1);
        let drifts = auth.drifts();
        assert_eq!(drifts.len(), MAX_DRIFTS_REMEMBERED);
        assert_eq!(drifts[0].calls, 2);
        assert_eq!(
            drifts[0].unnamed,
            Some("its token does not name the settings")
        );
    }
}
