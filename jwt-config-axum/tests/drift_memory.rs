//! A receiver remembers the calls it found drifted and gives a call with the very same claims
//! the same verdict without comparing again: these tests fail if that memory hid drift, went
//! stale when a caller changed, or let a token past the replay guard.

mod common;

use axum::http::StatusCode;
use jwt_config::service_auth::MemoryReplayGuard;
use jwt_config_axum::JwtAuth;

use common::{auth, get_with, service_routes};

/// A fresh token of `caller` for backend.
fn token_of(caller: &JwtAuth) -> String {
    let headers = caller.service_headers("backend").unwrap();
    headers["x-service-token"].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn every_call_of_a_drifted_caller_is_counted_and_refused_as_the_first_was() {
    let backend = auth(&[]).strict_drift();
    let mut router = service_routes(backend.clone());
    let drifted = auth(&[
        ("SERVICE_ID", "auth"),
        ("JWT_ACCESS_TOKEN_EXPIRE_MINUTES", "30"),
    ]);
    let mut bodies = Vec::new();
    for _ in 0..3 {
        let token = token_of(&drifted);
        let answer = get_with(&mut router, "/strict", &[("x-service-token", &token)]).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.body);
        bodies.push(answer.body);
    }
    assert!(
        bodies[0].contains("JWT_ACCESS_TOKEN_EXPIRE_MINUTES"),
        "{}",
        bodies[0]
    );
    assert!(bodies.iter().all(|body| *body == bodies[0]), "{bodies:?}");
    assert_eq!(backend.drift_events(), 3);
    assert_eq!(backend.refusals()["settings_drift"], 3);
    let drifts = backend.drifts();
    assert_eq!(drifts.len(), 1);
    assert_eq!(drifts[0].calls, 3);
    assert_eq!(drifts[0].settings, ["JWT_ACCESS_TOKEN_EXPIRE_MINUTES"]);
}

#[tokio::test]
async fn a_caller_whose_settings_change_between_calls_is_compared_afresh() {
    let backend = auth(&[]).strict_drift();
    let mut router = service_routes(backend.clone());
    let expiry = auth(&[
        ("SERVICE_ID", "auth"),
        ("JWT_ACCESS_TOKEN_EXPIRE_MINUTES", "30"),
    ]);
    let agreeing = auth(&[("SERVICE_ID", "auth")]);
    let issuer = auth(&[("SERVICE_ID", "auth"), ("JWT_ISSUER", "https://other.test")]);
    // The same caller, restarted with other settings between calls.
    let expected = [
        (
            &expiry,
            StatusCode::FORBIDDEN,
            Some("JWT_ACCESS_TOKEN_EXPIRE_MINUTES"),
        ),
        (&agreeing, StatusCode::OK, None),
        (&issuer, StatusCode::FORBIDDEN, Some("JWT_ISSUER")),
        (
            &expiry,
            StatusCode::FORBIDDEN,
            Some("JWT_ACCESS_TOKEN_EXPIRE_MINUTES"),
        ),
        (&agreeing, StatusCode::OK, None),
    ];
    for (step, (caller, status, setting)) in expected.into_iter().enumerate() {
        let token = token_of(caller);
        let answer = get_with(&mut router, "/strict", &[("x-service-token", &token)]).await;
        assert_eq!(answer.status, status, "step {step}: {}", answer.body);
        if let Some(setting) = setting {
            assert!(
                answer.body.contains(setting),
                "step {step}: {}",
                answer.body
            );
            let other = ["JWT_ACCESS_TOKEN_EXPIRE_MINUTES", "JWT_ISSUER"]
                .into_iter()
                .find(|s| *s != setting)
                .unwrap();
            assert!(!answer.body.contains(other), "step {step}: {}", answer.body);
        }
    }
    assert_eq!(backend.drift_events(), 3);
    let calls: Vec<(Vec<String>, u64)> = backend
        .drifts()
        .into_iter()
        .map(|seen| (seen.settings, seen.calls))
        .collect();
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert!(calls.contains(&(vec!["JWT_ACCESS_TOKEN_EXPIRE_MINUTES".to_owned()], 2)));
    assert!(calls.contains(&(vec!["JWT_ISSUER".to_owned()], 1)));
}

#[tokio::test]
async fn one_fingerprint_with_other_keys_gets_the_verdict_of_its_own_keys() {
    let common::OwnSecrets {
        backend,
        one_way,
        both_ways,
    } = common::own_secrets();
    let mut router = service_routes(backend.clone());
    assert_eq!(one_way.fingerprint(), both_ways.fingerprint());
    let steps = [
        (&one_way, StatusCode::FORBIDDEN),
        (&one_way, StatusCode::FORBIDDEN),
        (&both_ways, StatusCode::OK),
        (&one_way, StatusCode::FORBIDDEN),
        (&both_ways, StatusCode::OK),
    ];
    for (step, (caller, status)) in steps.into_iter().enumerate() {
        let token = token_of(caller);
        let answer = get_with(&mut router, "/strict", &[("x-service-token", &token)]).await;
        assert_eq!(answer.status, status, "step {step}: {}", answer.body);
    }
    assert_eq!(backend.drift_events(), 3);
    assert_eq!(backend.drifts()[0].calls, 3);
}

#[tokio::test]
async fn a_drifted_callers_token_replayed_is_refused_by_the_replay_guard() {
    let backend = auth(&[]).replay_guard(MemoryReplayGuard::new(64));
    let mut router = service_routes(backend.clone());
    let drifted = auth(&[
        ("SERVICE_ID", "auth"),
        ("JWT_ACCESS_TOKEN_EXPIRE_MINUTES", "30"),
    ]);
    let token = token_of(&drifted);
    let first = get_with(&mut router, "/strict", &[("x-service-token", &token)]).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let again = get_with(&mut router, "/strict", &[("x-service-token", &token)]).await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED, "{}", again.body);
    assert_eq!(again.json()["error"], "replayed");
    // Another token of the same caller: accepted, and its drift counted as the first's was.
    let fresh = token_of(&drifted);
    let answer = get_with(&mut router, "/strict", &[("x-service-token", &fresh)]).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(backend.drift_events(), 2);
    assert_eq!(backend.drifts()[0].calls, 2);
    assert_eq!(backend.refusals()["replayed"], 1);
}
