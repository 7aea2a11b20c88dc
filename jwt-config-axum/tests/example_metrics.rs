//! The example backend's /metrics over HTTP after a scripted mix of accepted and refused
//! requests, read with a parser of Prometheus' text format (`prometheus-parse`): the counters
//! and the info gauge jwt-config-axum records, by their documented names and labels. Its own
//! test binary: the recorder is global to a process.

#[allow(dead_code)] // its main and serving
#[path = "../../examples/axum/backend.rs"]
mod backend;
mod common;

use jwt_config::{Config as _, JwtConfig, MapSource};
use jwt_config_axum::{JwtAuth, metric_names};
use prometheus_parse::{Scrape, Value};

fn settings(service: &str) -> MapSource {
    common::production(service).with("SERVICE_ALLOWED_CALLERS", "auth,billing")
}

fn caller(service: &str) -> JwtAuth {
    JwtAuth::from_loaded(&JwtConfig::load_with_report(&settings(service)).unwrap())
}

/// The value of the sample `metric` whose labels include `labels`.
fn value(scrape: &Scrape, metric: &str, labels: &[(&str, &str)]) -> Option<f64> {
    scrape
        .samples
        .iter()
        .filter(|s| s.metric == metric)
        .find(|s| labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| match s.value {
            Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => v,
            _ => f64::NAN,
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_metrics_endpoint_counts_refusals_calls_and_replays_by_their_labels() {
    let loaded = backend::BackendConfig::load_with_report(&settings("backend")).unwrap();
    let app = backend::app(&loaded);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let http = reqwest::Client::new();
    let status = |response: reqwest::Response| response.status().as_u16();
    // Users: one without a token, one with a forged one, one with a good one.
    let auth = caller("auth");
    let token = auth
        .config()
        .encode(&auth.config().access_claims("alice"))
        .unwrap();
    let me = || http.get(format!("{url}/me"));
    assert_eq!(status(me().send().await.unwrap()), 401);
    assert_eq!(status(me().bearer_auth("a.b.c").send().await.unwrap()), 401);
    assert_eq!(status(me().bearer_auth(&token).send().await.unwrap()), 200);
    // Service calls: auth accepted once, then its token replayed; billing refused by the
    // route's list.
    let sync = |caller: &JwtAuth| {
        let headers = caller.service_headers("backend").unwrap();
        http.post(format!("{url}/internal/sync")).headers(headers)
    };
    let headers = auth.service_headers("backend").unwrap();
    let replayed = || {
        http.post(format!("{url}/internal/sync"))
            .headers(headers.clone())
    };
    assert_eq!(status(replayed().send().await.unwrap()), 200);
    assert_eq!(status(replayed().send().await.unwrap()), 401);
    assert_eq!(status(sync(&caller("billing")).send().await.unwrap()), 403);
    assert_eq!(status(sync(&auth).send().await.unwrap()), 200);

    let text = http
        .get(format!("{url}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let lines = text.lines().map(|line| Ok(line.to_owned()));
    let scrape = Scrape::parse(lines).expect("Prometheus text format");
    let refusals = |reason: &str, route: &str| {
        value(
            &scrape,
            metric_names::REFUSALS,
            &[("reason", reason), ("route", route)],
        )
    };
    assert_eq!(refusals("missing_token", "/me"), Some(1.0), "{text}");
    assert_eq!(refusals("malformed", "/me"), Some(1.0), "{text}");
    assert_eq!(refusals("replayed", "/internal/sync"), Some(1.0), "{text}");
    assert_eq!(
        refusals("caller_not_allowed", "/internal/sync"),
        Some(1.0),
        "{text}"
    );
    let calls = |caller: &str| value(&scrape, metric_names::SERVICE_CALLS, &[("caller", caller)]);
    assert_eq!(calls("auth"), Some(2.0), "{text}");
    assert_eq!(calls("billing"), None, "{text}");
    let replay =
        |outcome: &str| value(&scrape, metric_names::REPLAY_GUARD, &[("outcome", outcome)]);
    assert_eq!(replay("first_use"), Some(3.0), "{text}");
    assert_eq!(replay("replayed"), Some(1.0), "{text}");
    let effective = JwtAuth::from_loaded(&loaded)
        .fingerprint()
        .unwrap()
        .to_owned();
    let info = [
        ("service_id", "backend"),
        ("effective_fingerprint", effective.as_str()),
    ];
    assert_eq!(
        value(&scrape, metric_names::INFO, &info),
        Some(1.0),
        "{text}"
    );
    // Every label is bounded: no token, no secret, no raw path.
    for secret in [common::JWT_SECRET, common::SERVICE_SECRET, token.as_str()] {
        assert!(!text.contains(secret));
    }
}
