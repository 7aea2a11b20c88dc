//! `jwt-config status` against services served on 127.0.0.1 by jwt-config-axum's health
//! handler: two in step, one whose access-token lifetime drifted (and whose calls the backend
//! saw differ), one address where nothing answers.

use assert_cmd::Command;
use axum::Router;
use axum::routing::{get, post};
use jwt_config::{Config as _, JwtConfig, MapSource};
use jwt_config_axum::{JwtAuth, ServiceCaller, health};
use serde_json::Value;

fn settings(service: &str, access_minutes: &str) -> MapSource {
    MapSource::new()
        .with("ENVIRONMENT", "production")
        .with("SERVICE_ID", service)
        .with(
            "JWT_SECRET_KEY",
            "status-test-jwt-secret-0123456789abcdefgh",
        )
        .with("JWT_ISSUER", "https://auth.test")
        .with("JWT_AUDIENCE", "shop")
        .with("JWT_ACCESS_TOKEN_EXPIRE_MINUTES", access_minutes)
        .with(
            "SERVICE_SECRET",
            "status-test-service-secret-0123456789abcd",
        )
        .with("SERVICE_ALLOWED_CALLERS", "*")
}

/// A service on an ephemeral loopback port: its URL and its settings.
async fn serve(service: &str, access_minutes: &str) -> (String, JwtAuth) {
    let loaded = JwtConfig::load_with_report(&settings(service, access_minutes)).unwrap();
    let auth = JwtAuth::from_loaded(&loaded);
    let app = Router::new()
        .route("/health", get(health))
        .route(
            "/sync",
            post(|ServiceCaller(c): ServiceCaller| async move { c }),
        )
        .with_state(auth.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, auth)
}

/// `jwt-config status ARGS`, run off the runtime's threads: exit code and stdout.
async fn status(args: Vec<String>) -> (i32, String) {
    tokio::task::spawn_blocking(move || {
        let output = Command::cargo_bin("jwt-config")
            .unwrap()
            .env_clear()
            .arg("status")
            .args(&args)
            .output()
            .unwrap();
        (
            output.status.code().unwrap(),
            String::from_utf8(output.stdout).unwrap(),
        )
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_service_is_synced_drifted_or_unreachable() {
    let (backend, _) = serve("backend", "15").await;
    let (billing, _) = serve("billing", "15").await;
    let (auth_url, auth) = serve("auth", "30").await;
    // auth calls the backend: the backend sees its settings differ (and accepts: not strict).
    let headers = auth.service_headers("backend").unwrap();
    let sync = format!("{backend}/sync");
    let code = tokio::task::spawn_blocking(move || {
        let mut request = ureq::post(&sync);
        for (name, value) in &headers {
            request = request.header(name.as_str(), value.to_str().unwrap());
        }
        request.send_empty().unwrap().status().as_u16()
    })
    .await
    .unwrap();
    assert_eq!(code, 200);
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let all = vec![
        backend.clone(),
        billing.clone(),
        auth_url.clone(),
        closed.clone(),
    ];
    let (code, out) = status(all.clone()).await;
    assert_eq!(code, 1, "{out}");
    let line = |id: &str| {
        out.lines()
            .find(|l| l.contains(id))
            .unwrap_or_else(|| panic!("{id}: {out}"))
            .to_owned()
    };
    assert!(line(&backend).starts_with("SYNCED"), "{out}");
    assert!(line(&billing).starts_with("SYNCED"), "{out}");
    assert!(line(&auth_url).starts_with("DRIFTED"), "{out}");
    assert!(line(&closed).starts_with("UNREACHABLE"), "{out}");
    assert!(
        out.contains("differ from the fleet's majority (2 of 3): JWT_ACCESS_TOKEN_EXPIRE_MINUTES"),
        "{out}"
    );
    assert!(
        out.contains("backend saw its calls differ in JWT_ACCESS_TOKEN_EXPIRE_MINUTES"),
        "{out}"
    );
    assert!(
        out.contains("4 services: 2 synced, 1 drifted, 1 unreachable"),
        "{out}"
    );
    // As data.
    let mut json_args = all;
    json_args.extend(["--format".to_owned(), "json".to_owned()]);
    let (_, json) = status(json_args).await;
    let report: Value = serde_json::from_str(&json).unwrap();
    let statuses: Vec<&str> = report["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["SYNCED", "SYNCED", "DRIFTED", "UNREACHABLE"]);
    // The two in step, from a file of URLs: both synced, but the backend saw a caller that is
    // not in the list drift, which fails the run.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("fleet.txt");
    std::fs::write(&file, format!("# the shop\n{backend}\n{billing}/health\n")).unwrap();
    let (code, out) = status(vec!["--file".to_owned(), file.display().to_string()]).await;
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("2 services: 2 synced, 0 drifted, 0 unreachable"),
        "{out}"
    );
    assert!(
        out.contains(
            "it saw calls of auth (not in the list) differ in JWT_ACCESS_TOKEN_EXPIRE_MINUTES"
        ),
        "{out}"
    );
    // billing alone, which saw nothing: exit 0.
    std::fs::write(&file, format!("{billing}\n")).unwrap();
    let (code, out) = status(vec!["--file".to_owned(), file.display().to_string()]).await;
    assert_eq!(code, 0, "{out}");
}
