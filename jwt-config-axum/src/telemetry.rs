//! The counters and the gauge jwt-config-axum records through the `metrics` facade, named as
//! Prometheus names them. Which recorder (if any) is the application's choice: without one
//! they cost an atomic load. Their names and labels are part of this crate's API
//! ([`metric_names`](crate::metric_names)); every label is bounded.

use std::collections::BTreeSet;
use std::sync::{Mutex, Once};

use metrics::{counter, describe_counter, describe_gauge, gauge};

/// `jwt_config_refusals_total{reason, route}`: requests refused, by stable reason (a fixed
/// set) and route pattern.
pub const REFUSALS: &str = "jwt_config_refusals_total";
/// `jwt_config_service_calls_total{caller}`: service calls accepted, by calling service
/// (bounded by the allow-lists).
pub const SERVICE_CALLS: &str = "jwt_config_service_calls_total";
/// `jwt_config_drift_events_total{caller}`: service calls whose shared settings differed.
pub const DRIFT_EVENTS: &str = "jwt_config_drift_events_total";
/// `jwt_config_replay_guard_total{outcome}`: the replay guard's answers: `first_use`,
/// `replayed`, `full`, `unavailable`.
pub const REPLAY_GUARD: &str = "jwt_config_replay_guard_total";
/// `jwt_config_info{service_id, schema_fingerprint, effective_fingerprint}`: 1, the
/// service's identity (`effective_fingerprint` empty without one).
pub const INFO: &str = "jwt_config_info";

/// The most route patterns labelled apart; further routes are counted as `(other)`.
const MAX_ROUTES: usize = 256;

fn describe() {
    static DESCRIBED: Once = Once::new();
    DESCRIBED.call_once(|| {
        describe_counter!(
            REFUSALS,
            "Requests refused by jwt-config-axum, by reason and route."
        );
        describe_counter!(SERVICE_CALLS, "Service calls accepted, by calling service.");
        describe_counter!(
            DRIFT_EVENTS,
            "Service calls whose caller's shared JWT settings differed from this service's."
        );
        describe_counter!(REPLAY_GUARD, "Replay guard answers, by outcome.");
        describe_gauge!(
            INFO,
            "The service's id and its schema and effective fingerprints."
        );
    });
}

/// A route's label: its pattern, the first [`MAX_ROUTES`] of them, then `(other)`.
fn route_label(route: &str) -> String {
    static ROUTES: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
    let mut routes = ROUTES
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if routes.contains(route) {
        return route.to_owned();
    }
    if routes.len() < MAX_ROUTES {
        routes.insert(route.to_owned());
        return route.to_owned();
    }
    "(other)".to_owned()
}

pub(crate) fn refusal(reason: &'static str, route: &str) {
    describe();
    counter!(REFUSALS, "reason" => reason, "route" => route_label(route)).increment(1);
}

pub(crate) fn service_call(caller: &str) {
    describe();
    counter!(SERVICE_CALLS, "caller" => caller.to_owned()).increment(1);
}

pub(crate) fn drift(caller: &str) {
    describe();
    counter!(DRIFT_EVENTS, "caller" => caller.to_owned()).increment(1);
}

pub(crate) fn replay(outcome: &'static str) {
    describe();
    counter!(REPLAY_GUARD, "outcome" => outcome).increment(1);
}

pub(crate) fn info(service_id: &str, schema: String, effective: Option<&str>) {
    describe();
    gauge!(
        INFO,
        "service_id" => service_id.to_owned(),
        "schema_fingerprint" => schema,
        "effective_fingerprint" => effective.unwrap_or_default().to_owned()
    )
    .set(1.0);
}
