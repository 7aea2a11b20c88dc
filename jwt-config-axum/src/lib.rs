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
//! The facade (`jwt-config`) compiles no HTTP framework; this crate is for those who use axum.

#![warn(missing_docs)]

mod extract;
mod layer;
mod refusal;

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use jwt_config::service_auth::{Caller, ServiceAuthError};
use jwt_config::{Config, HasJwtConfig, JwtConfig, Loaded};
use serde::Serialize;

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
    fingerprint: Option<String>,
    strict_drift: bool,
    refusals: Mutex<BTreeMap<&'static str, u64>>,
    drift_events: AtomicU64,
    drift_seen: Mutex<HashSet<(String, String)>>,
}

impl JwtAuth {
    /// Without a fingerprint: calls are verified, drift is not detected.
    pub fn new(config: impl Into<Arc<JwtConfig>>) -> Self {
        JwtAuth::with_fingerprint(config, None)
    }

    /// From a load with its report (`JwtConfig` or a service's struct that flattens it): the
    /// JWT settings and their effective fingerprint, which outgoing service tokens carry and
    /// incoming ones are compared with.
    pub fn from_loaded<T: Config + HasJwtConfig>(loaded: &Loaded<T>) -> Self {
        JwtAuth::with_fingerprint(
            loaded.value.jwt_config().clone(),
            loaded.fingerprint_of::<JwtConfig>(),
        )
    }

    /// With a fingerprint of the shared settings computed elsewhere.
    pub fn with_fingerprint(
        config: impl Into<Arc<JwtConfig>>,
        fingerprint: Option<String>,
    ) -> Self {
        JwtAuth {
            inner: Arc::new(Inner {
                config: config.into(),
                fingerprint,
                strict_drift: false,
                refusals: Mutex::new(BTreeMap::new()),
                drift_events: AtomicU64::new(0),
                drift_seen: Mutex::new(HashSet::new()),
            }),
        }
    }

    /// Refuses (403) a service call whose token carries another fingerprint of the shared
    /// settings, instead of logging and counting it.
    pub fn strict_drift(self) -> Self {
        let inner = Arc::try_unwrap(self.inner).unwrap_or_else(|shared| Inner {
            config: shared.config.clone(),
            fingerprint: shared.fingerprint.clone(),
            strict_drift: shared.strict_drift,
            refusals: Mutex::new(BTreeMap::new()),
            drift_events: AtomicU64::new(0),
            drift_seen: Mutex::new(HashSet::new()),
        });
        JwtAuth {
            inner: Arc::new(Inner {
                strict_drift: true,
                ..inner
            }),
        }
    }

    /// The JWT settings.
    pub fn config(&self) -> &JwtConfig {
        &self.inner.config
    }

    /// This service's effective fingerprint of the shared settings, when known.
    pub fn fingerprint(&self) -> Option<&str> {
        self.inner.fingerprint.as_deref()
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

    /// What a readiness probe or a fleet dashboard reads.
    pub fn health(&self) -> Health {
        let config = self.config();
        Health {
            status: "ok",
            service_id: config.service_id().to_owned(),
            environment: config.environment().as_str(),
            schema_fingerprint: jwt_config::schema_fingerprint_of::<JwtConfig>(),
            effective_fingerprint: self.inner.fingerprint.clone(),
            key_ids: config.keys().into_iter().map(|k| k.id).collect(),
            refusals: self.refusals(),
            drift_events: self.drift_events(),
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
    /// caller and fingerprint, counts, and in strict mode refuses.
    pub(crate) fn check_drift(&self, caller: &Caller, theirs: Option<&str>) -> Result<(), String> {
        let (Some(ours), Some(theirs), Caller::Service(name)) =
            (self.inner.fingerprint.as_deref(), theirs, caller)
        else {
            return Ok(());
        };
        if ours == theirs {
            return Ok(());
        }
        self.inner.drift_events.fetch_add(1, Ordering::Relaxed);
        let first = self
            .inner
            .drift_seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert((name.clone(), theirs.to_owned()));
        if first {
            tracing::warn!(
                caller = %name,
                theirs,
                ours,
                "service {name} has other shared JWT settings than this one; `jwt-config diff` their env files to see which"
            );
        }
        if self.inner.strict_drift {
            return Err(format!(
                "the caller's shared JWT settings differ from this service's (fingerprint {theirs}, here {ours}); run `jwt-config diff` on the two env files"
            ));
        }
        Ok(())
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
    /// The ids of the keys it signs and verifies with.
    pub key_ids: Vec<String>,
    /// Refusals by reason.
    pub refusals: BTreeMap<String, u64>,
    /// Service calls whose shared settings differed.
    pub drift_events: u64,
}

/// A health handler: `.route("/health", get(health))` with `JwtAuth` in the state.
pub async fn health(State(auth): State<JwtAuth>) -> Json<Health> {
    Json(auth.health())
}
