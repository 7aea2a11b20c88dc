//! Drift between services: a caller's fingerprint of the shared settings compared with this
//! service's at each call, logged once per caller and fingerprint, counted, and refused in
//! strict mode.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use jwt_config::Drift;
use jwt_config::agreement::KeyGap;
use jwt_config::service_auth::{Caller, VerifiedCall, shown};
use serde::Serialize;

use crate::JwtAuth;

/// How many distinct (caller, fingerprint) pairs are remembered: beyond that, drifted calls
/// are still counted (and refused in strict mode) but no longer logged one by one.
const MAX_DRIFTS_REMEMBERED: usize = 64;

/// The drift a `JwtAuth` has seen.
#[derive(Default)]
pub(crate) struct DriftLog {
    events: AtomicU64,
    /// Each caller and fingerprint seen to differ (their shown forms), with what differs, how
    /// many calls, and the call that was compared.
    seen: Mutex<BTreeMap<(String, String), Remembered>>,
}

/// A drifted caller as remembered.
struct Remembered {
    seen: DriftSeen,
    /// The verified call whose claims were compared (caller, fingerprint, digests, advertised
    /// keys): this service's settings are immutable, so a later call with the very same claims
    /// gets the same verdict, and any other is compared afresh.
    compared: Option<VerifiedCall>,
}

/// The longest caller name whose calls are remembered for their verdict. The rest of a
/// verified call is bounded by `VerifiedCall` (a fingerprint of 64 characters, digests of
/// 1,024, 16 advertised keys of bounded length), so the 64 slots stay small whatever a caller
/// sends; a caller with a longer name is compared at each call.
const MAX_REMEMBERED_CALLER_BYTES: usize = 128;

/// Whether a call is small enough to be remembered with its verdict.
fn is_small(call: &VerifiedCall) -> bool {
    match &call.caller {
        Caller::Service(name) => name.len() <= MAX_REMEMBERED_CALLER_BYTES,
        _ => false,
    }
}

impl DriftLog {
    /// Records a drifted call; true the first time its caller and fingerprint are seen (and
    /// there is room to remember them), when it is worth a log line.
    fn remember(&self, seen: DriftSeen, compared: Option<&VerifiedCall>) -> bool {
        let mut drifts = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        let key = (seen.caller.clone(), seen.fingerprint.clone());
        if let Some(known) = drifts.get_mut(&key) {
            known.seen.calls += 1;
            return false;
        }
        if drifts.len() >= MAX_DRIFTS_REMEMBERED {
            return false;
        }
        let compared = compared.filter(|call| is_small(call)).cloned();
        drifts.insert(key, Remembered { seen, compared });
        true
    }

    /// What differs for a call whose very claims were compared before under `key`, the call
    /// recorded as a fresh comparison records it (not logged again); `None`: compare it.
    fn known(&self, key: &(String, String), call: &VerifiedCall) -> Option<String> {
        let mut drifts = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        let known = drifts.get_mut(key)?;
        if known.compared.as_ref() != Some(call) {
            return None;
        }
        known.seen.calls += 1;
        Some(known.seen.what())
    }
}

/// A caller seen with other shared settings than this service's.
///
/// ```
/// # use jwt_config::{Config, JwtConfig, MapSource};
/// use axum::{Router, body::Body, http::{Request, StatusCode}, routing::get};
/// use jwt_config_axum::{JwtAuth, ServiceCaller};
/// use tower::ServiceExt as _;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// # let settings = |id: &str| MapSource::new().with("ENVIRONMENT", "development").with("SERVICE_ID", id)
/// #     .with("JWT_SECRET_KEY", "doc-example-jwt-secret-0123456789abcdefgh")
/// #     .with("SERVICE_SECRET", "doc-example-service-secret-0123456789abcd");
/// let backend = JwtAuth::from_loaded(&JwtConfig::load_with_report(&settings("backend")).unwrap());
/// let drifted = settings("auth").with("JWT_ACCESS_TOKEN_EXPIRE_MINUTES", "30");
/// let caller = JwtAuth::from_loaded(&JwtConfig::load_with_report(&drifted).unwrap());
/// let app = Router::new()
///     .route("/sync", get(|ServiceCaller(caller): ServiceCaller| async move { caller }))
///     .with_state(backend.clone());
/// let mut request = Request::get("/sync").body(Body::empty()).unwrap();
/// request.headers_mut().extend(caller.service_headers("backend").unwrap());
/// let response = app.oneshot(request).await.unwrap();
/// // Seen and counted, not refused: strict mode refuses.
/// assert_eq!(response.status(), StatusCode::OK);
/// let seen = &backend.drifts()[0];
/// assert_eq!((seen.caller.as_str(), seen.calls), ("auth", 1));
/// assert_eq!(seen.settings, ["JWT_ACCESS_TOKEN_EXPIRE_MINUTES"]);
/// # }
/// ```
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

impl JwtAuth {
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
    ///
    /// ```
    /// # use jwt_config::{Config, JwtConfig, MapSource};
    /// use axum::{Router, body::Body, http::{Request, StatusCode}, routing::get};
    /// use jwt_config_axum::{JwtAuth, ServiceCaller};
    /// use tower::ServiceExt as _;
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # let settings = |id: &str| MapSource::new().with("ENVIRONMENT", "development").with("SERVICE_ID", id)
    /// #     .with("JWT_SECRET_KEY", "doc-example-jwt-secret-0123456789abcdefgh")
    /// #     .with("SERVICE_SECRET", "doc-example-service-secret-0123456789abcd");
    /// let loaded = JwtConfig::load_with_report(&settings("backend")).unwrap();
    /// let backend = JwtAuth::from_loaded(&loaded).strict_drift();
    /// let drifted = settings("auth").with("JWT_ACCESS_TOKEN_EXPIRE_MINUTES", "30");
    /// let caller = JwtAuth::from_loaded(&JwtConfig::load_with_report(&drifted).unwrap());
    /// let app = Router::new()
    ///     .route("/sync", get(|ServiceCaller(caller): ServiceCaller| async move { caller }))
    ///     .with_state(backend.clone());
    /// let mut request = Request::get("/sync").body(Body::empty()).unwrap();
    /// request.headers_mut().extend(caller.service_headers("backend").unwrap());
    /// let response = app.oneshot(request).await.unwrap();
    /// assert_eq!(response.status(), StatusCode::FORBIDDEN);
    /// assert_eq!(backend.refusals()["settings_drift"], 1);
    /// # }
    /// ```
    pub fn strict_drift(self) -> Self {
        self.with_options(|options| options.strict_drift = true)
    }

    /// How many service calls carried another fingerprint of the shared settings.
    ///
    /// ```
    /// # use jwt_config::{Config, JwtConfig, MapSource};
    /// use axum::{Router, body::Body, http::{Request, StatusCode}, routing::get};
    /// use jwt_config_axum::{JwtAuth, ServiceCaller};
    /// use tower::ServiceExt as _;
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # let settings = |id: &str| MapSource::new().with("ENVIRONMENT", "development").with("SERVICE_ID", id)
    /// #     .with("JWT_SECRET_KEY", "doc-example-jwt-secret-0123456789abcdefgh")
    /// #     .with("SERVICE_SECRET", "doc-example-service-secret-0123456789abcd");
    /// let backend = JwtAuth::from_loaded(&JwtConfig::load_with_report(&settings("backend")).unwrap());
    /// let drifted = settings("auth").with("JWT_ISSUER", "https://other.test");
    /// let caller = JwtAuth::from_loaded(&JwtConfig::load_with_report(&drifted).unwrap());
    /// let app = Router::new()
    ///     .route("/sync", get(|ServiceCaller(caller): ServiceCaller| async move { caller }))
    ///     .with_state(backend.clone());
    /// for _ in 0..2 {
    ///     let mut request = Request::get("/sync").body(Body::empty()).unwrap();
    ///     request.headers_mut().extend(caller.service_headers("backend").unwrap());
    ///     let response = app.clone().oneshot(request).await.unwrap();
    ///     assert_eq!(response.status(), StatusCode::OK);
    /// }
    /// assert_eq!(backend.drift_events(), 2);
    /// assert_eq!(backend.drifts()[0].settings, ["JWT_ISSUER"]);
    /// # }
    /// ```
    pub fn drift_events(&self) -> u64 {
        self.inner.drift.events.load(Ordering::Relaxed)
    }

    /// The callers seen with other shared settings, each with its fingerprint, the settings
    /// that differ and how many calls (the first 64 pairs of caller and fingerprint):
    /// [`DriftSeen`] shows an example.
    pub fn drifts(&self) -> Vec<DriftSeen> {
        let drifts = self
            .inner
            .drift
            .seen
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        drifts.values().map(|known| known.seen.clone()).collect()
    }

    /// Compares a verified call's fingerprint with this service's: on a difference, logs once
    /// per caller and fingerprint (naming the settings that differ), counts, and in strict
    /// mode refuses. A drifted call whose claims are those of a call compared before gets that
    /// call's verdict without comparing again.
    pub(crate) fn check_drift(&self, call: &VerifiedCall) -> Result<(), String> {
        self.compare_drift(
            &call.caller,
            call.fingerprint.as_deref(),
            call.settings.as_deref(),
            || call.key_gaps(self.config()),
            Some(call),
        )
    }

    /// [`JwtAuth::check_drift`] of a caller's claims; `call`, where given, is remembered with
    /// a drift, and a call equal to it takes its verdict.
    ///
    /// Key material is compared by agreement, as `jwt-config diff` compares it: where the
    /// caller's token says its keys and each side verifies what the other signs (`key_gaps`
    /// empty: a rotation in progress), differing key settings are no drift.
    fn compare_drift(
        &self,
        caller: &Caller,
        fingerprint: Option<&str>,
        settings: Option<&str>,
        key_gaps: impl FnOnce() -> Option<Vec<KeyGap>>,
        call: Option<&VerifiedCall>,
    ) -> Result<(), String> {
        let Caller::Service(name) = caller else {
            return Ok(());
        };
        let strict = self.inner.options.strict_drift;
        // Strict mode compares every call: one that cannot be compared is refused.
        let (ours, theirs) = match (self.inner.fingerprint.as_ref(), fingerprint) {
            (Some(ours), Some(theirs)) => (ours, theirs),
            _ if !strict => return Ok(()),
            (None, _) => {
                return Err(
                    "this service has no fingerprint of its shared JWT settings to compare callers with; build its JwtAuth with JwtAuth::from_loaded".to_owned(),
                );
            }
            (Some(_), None) => {
                // The caller chose its name: only its escaped, bounded form is answered.
                let name = shown(name);
                return Err(format!(
                    "the caller {name} sent no fingerprint of its shared JWT settings; it must build its headers with JwtAuth::service_headers (or JwtConfig::service_headers_with_fingerprint)"
                ));
            }
        };
        // The same settings (what `compare` answers first), the call of nearly every service.
        if theirs == ours.fingerprint() {
            return Ok(());
        }
        // The caller chose its name and its claims: only their escaped, bounded forms are
        // logged, remembered or answered.
        let key = (shown(name), shown(theirs));
        if let Some(what) = call.and_then(|call| self.inner.drift.known(&key, call)) {
            self.inner.drift.events.fetch_add(1, Ordering::Relaxed);
            crate::telemetry::drift(&key.0);
            return if strict {
                Err(drift_refusal(&what))
            } else {
                Ok(())
            };
        }
        let (settings, unnamed) = match ours.compare(theirs, settings) {
            Drift::Same => return Ok(()),
            Drift::Settings(mut names) => {
                // Only differing key material can be a rotation in progress.
                if names.iter().any(|name| ours.is_key_material(name))
                    && key_gaps().is_some_and(|gaps| gaps.is_empty())
                {
                    names.retain(|name| !ours.is_key_material(name));
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
        let (name, theirs) = key;
        let seen = DriftSeen {
            caller: name.clone(),
            fingerprint: theirs.clone(),
            settings,
            unnamed,
            calls: 1,
        };
        let what = seen.what();
        self.inner.drift.events.fetch_add(1, Ordering::Relaxed);
        crate::telemetry::drift(&name);
        if self.inner.drift.remember(seen, call) {
            tracing::warn!(
                caller = %name,
                differing = %what,
                theirs = %theirs,
                ours = ours.fingerprint(),
                "service {name} differs from this one in its shared JWT settings: {what}; `jwt-config diff` their env files to see the values"
            );
        }
        if strict {
            return Err(drift_refusal(&what));
        }
        Ok(())
    }
}

/// Strict mode's answer to a drifted call.
fn drift_refusal(what: &str) -> String {
    format!(
        "the caller's shared JWT settings differ from this service's in {what}; run `jwt-config diff` on the two env files"
    )
}

#[cfg(test)]
mod tests {
    use jwt_config::{Config, JwtConfig, MapSource};

    use super::*;

    fn auth_of(service_id: &str, jwt_secret: &str) -> JwtAuth {
        let source = MapSource::new()
            .with("ENVIRONMENT", "development")
            .with("SERVICE_ID", service_id)
            .with("JWT_SECRET_KEY", jwt_secret)
            .with(
                "SERVICE_SECRET",
                "unit-test-service-secret-0123456789abcdef",
            );
        JwtAuth::from_loaded(&JwtConfig::load_with_report(&source).unwrap())
    }

    #[test]
    fn a_call_with_the_claims_of_a_drifted_call_takes_its_verdict_without_comparing() {
        let backend = auth_of("backend", "unit-test-jwt-secret-0123456789abcdefghij");
        // Another token key: key material, compared by agreement (the key gaps).
        let caller = auth_of("auth", "unit-test-other-jwt-secret-0123456789abcd");
        let compared = std::cell::Cell::new(0);
        for calls in 1..=3 {
            let headers = caller.service_headers("backend").unwrap();
            let options = jwt_config::service_auth::VerifyOptions::default();
            let call = backend
                .config()
                .verify_service_call_with(&headers, &options)
                .unwrap();
            let key_gaps = || {
                compared.set(compared.get() + 1);
                call.key_gaps(backend.config())
            };
            let verdict = backend.compare_drift(
                &call.caller,
                call.fingerprint.as_deref(),
                call.settings.as_deref(),
                key_gaps,
                Some(&call),
            );
            assert_eq!(verdict, Ok(()));
            assert_eq!(backend.drift_events(), calls);
            assert_eq!(backend.drifts()[0].calls, calls);
            assert_eq!(backend.drifts()[0].settings, ["JWT_SECRET_KEY"]);
        }
        assert_eq!(compared.get(), 1, "compared once, then remembered");
    }

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
                auth.compare_drift(&caller, Some(&theirs), None, || None, None),
                Ok(())
            );
        }
        let theirs = format!("jwtcfg2-{:032x}", 0);
        assert_eq!(
            auth.compare_drift(&caller, Some(&theirs), None, || None, None),
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
