//! Every refusal is a `tracing` event with the reason, the route and the caller, never the
//! token; a drifted caller is logged once per fingerprint. In a test binary of its own: a
//! subscriber set for one thread sees events reliably only where no other test runs them.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use axum::http::StatusCode;

use common::{auth, get_with, service_routes, user_routes};

/// A `tracing` subscriber writing into a buffer, for this thread while the guard lives.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Write for Logs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Logs {
    fn capture(&self) -> tracing::subscriber::DefaultGuard {
        let logs = self.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || logs.clone())
            .with_ansi(false)
            .without_time()
            .finish();
        tracing::subscriber::set_default(subscriber)
    }
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

#[tokio::test(flavor = "current_thread")]
async fn refusals_and_drift_are_logged_with_the_reason_route_and_caller_never_the_token() {
    let logs = Logs::default();
    let _guard = logs.capture();
    let backend = auth(&[("SERVICE_ALLOWED_CALLERS", "auth")]);
    let mut router = user_routes(backend.clone()).merge(service_routes(backend.clone()));
    let answer = get_with(
        &mut router,
        "/me",
        &[("authorization", "Bearer abc.def.ghi")],
    )
    .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    let billing = auth(&[("SERVICE_ID", "billing")]);
    let headers = billing.service_headers("backend").unwrap();
    let token = headers["x-service-token"].to_str().unwrap().to_owned();
    let answer = get_with(&mut router, "/strict", &[("x-service-token", &token)]).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    let text = logs.text();
    assert!(text.contains("request refused"), "{text}");
    assert!(text.contains("route=\"/me\""), "{text}");
    assert!(text.contains("reason=\"caller_not_allowed\""), "{text}");
    // OpenTelemetry's attribute for the kind of error: the same stable reason.
    assert!(text.contains("error.type=\"caller_not_allowed\""), "{text}");
    assert!(text.contains("caller=\"billing\""), "{text}");
    assert!(
        !text.contains("abc.def.ghi") && !text.contains(&token),
        "{text}"
    );

    // A drifted caller: two calls, one warning naming the setting, two drift events.
    let drifted = auth(&[
        ("SERVICE_ID", "auth"),
        ("JWT_ACCESS_TOKEN_EXPIRE_MINUTES", "1337"),
    ]);
    for _ in 0..2 {
        let headers = drifted.service_headers("backend").unwrap();
        let token = headers["x-service-token"].to_str().unwrap();
        let answer = get_with(&mut router, "/strict", &[("x-service-token", token)]).await;
        assert_eq!(answer.status, StatusCode::OK);
    }
    let text = logs.text();
    let warnings: Vec<&str> = text.lines().filter(|l| l.contains("WARN")).collect();
    assert_eq!(warnings.len(), 1, "{text}");
    assert!(
        warnings[0].contains("service auth differs"),
        "{}",
        warnings[0]
    );
    assert!(
        warnings[0].contains("JWT_ACCESS_TOKEN_EXPIRE_MINUTES"),
        "{}",
        warnings[0]
    );
    // The value is never logged (the message, before the fields of fingerprints in hex).
    let message = warnings[0].split(" caller=").next().unwrap();
    assert!(!message.contains("1337"), "{message}");
    assert_eq!(backend.drift_events(), 2);
    assert_eq!(backend.drifts()[0].calls, 2);
}

#[tokio::test(flavor = "current_thread")]
async fn values_a_caller_chooses_are_escaped_and_bounded_in_every_event() {
    let logs = Logs::default();
    let _guard = logs.capture();
    let backend = auth(&[]);
    let mut router = service_routes(backend.clone());
    // A holder of the service key can choose its `iss`: a line break and a forged event.
    let forged = format!("auth\nERROR forged event {}", "x".repeat(5_000));
    let drifted = auth(&[
        ("SERVICE_ID", forged.as_str()),
        ("JWT_ACCESS_TOKEN_EXPIRE_MINUTES", "1337"),
    ]);
    let headers = drifted.service_headers("backend").unwrap();
    let token = headers["x-service-token"].to_str().unwrap();
    let answer = get_with(&mut router, "/strict", &[("x-service-token", token)]).await;
    assert_eq!(answer.status, StatusCode::OK);
    let text = logs.text();
    assert!(text.contains("differs"), "{text}");
    for line in text.lines() {
        let start: String = line.chars().take(200).collect();
        assert!(!line.starts_with("ERROR forged"), "{start}");
        assert!(
            line.len() < 1_000,
            "a line of {} bytes: {start}",
            line.len()
        );
    }
    let drifts = backend.drifts();
    assert!(drifts[0].caller.len() < 100, "{}", drifts[0].caller);
}
