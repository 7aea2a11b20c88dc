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

/// The most route patterns, and the most callers, labelled apart; further ones are counted as
/// `(other)`.
const MAX_LABELS: usize = 256;

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

/// A label of a value the requests choose (a route, a caller): the first [`MAX_LABELS`]
/// values seen, then `(other)`, so no client can grow the series without bound.
fn bounded(seen: &Mutex<BTreeSet<String>>, value: &str) -> String {
    let mut seen = seen
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if seen.contains(value) {
        return value.to_owned();
    }
    if seen.len() < MAX_LABELS {
        seen.insert(value.to_owned());
        return value.to_owned();
    }
    "(other)".to_owned()
}

static ROUTES: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
static CALLERS: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());

/// The replay guard's answers, each a series from the start.
const OUTCOMES: [&str; 4] = ["first_use", "replayed", "full", "unavailable"];

pub(crate) fn refusal(reason: &'static str, route: &str) {
    describe();
    counter!(REFUSALS, "reason" => reason, "route" => bounded(&ROUTES, route)).increment(1);
}

pub(crate) fn service_call(caller: &str) {
    describe();
    counter!(SERVICE_CALLS, "caller" => bounded(&CALLERS, caller)).increment(1);
}

pub(crate) fn drift(caller: &str) {
    describe();
    counter!(DRIFT_EVENTS, "caller" => bounded(&CALLERS, caller)).increment(1);
}

pub(crate) fn replay(outcome: &'static str) {
    describe();
    counter!(REPLAY_GUARD, "outcome" => outcome).increment(1);
}

/// The series an alert watches for a first increase, at 0 from the start (a series that
/// appears at 1 shows no increase): the replay guard's outcomes, and drift by each caller of
/// an explicit allow-list.
pub(crate) fn start(replay_guard: bool, callers: Option<&[String]>) {
    describe();
    if replay_guard {
        for outcome in OUTCOMES {
            counter!(REPLAY_GUARD, "outcome" => outcome).increment(0);
        }
    }
    for caller in callers.unwrap_or_default() {
        counter!(DRIFT_EVENTS, "caller" => bounded(&CALLERS, caller)).increment(0);
    }
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
