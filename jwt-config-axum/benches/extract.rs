//! The cost of the extractor per request: a whole request through an axum router whose
//! handler takes `AccessToken`, beside the same router without authentication and beside
//! `JwtConfig::decode` called directly. In-process (`Router::call`), no sockets.
//!
//! Run: `cargo bench -p jwt-config-axum --bench extract`.

use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use axum::routing::get;
use jwt_config::{AccessClaims, Config, JwtConfig, MapSource};
use jwt_config_axum::{AccessToken, JwtAuth};
use tower_service::Service;

const ROUNDS: u32 = 20_000;

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let source = MapSource::new()
        .with("ENVIRONMENT", "production")
        .with("SERVICE_ID", "backend")
        .with(
            "JWT_SECRET_KEY",
            "bench-axum-jwt-secret-0123456789abcdefghij",
        )
        .with("JWT_ISSUER", "https://auth.bench")
        .with("JWT_AUDIENCE", "shop")
        .with(
            "SERVICE_SECRET",
            "bench-axum-service-secret-0123456789abcdef",
        );
    let loaded = JwtConfig::load_with_report(&source).unwrap();
    let auth = JwtAuth::from_loaded(&loaded);
    let token = auth
        .config()
        .encode(&auth.config().access_claims("alice"))
        .unwrap();
    async fn open() -> &'static str {
        "ok"
    }
    async fn me(AccessToken(claims): AccessToken) -> String {
        claims.sub
    }
    let mut plain: Router = Router::new().route("/", get(open));
    let mut guarded: Router = Router::new().route("/", get(me)).with_state(auth.clone());
    let request = || {
        Request::get("/")
            .header("authorization", format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap()
    };
    let (mut t_plain, mut t_guarded, mut t_decode) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..15 {
        let start = Instant::now();
        for _ in 0..ROUNDS {
            let response = plain.call(request()).await.unwrap();
            assert!(response.status().is_success());
        }
        t_plain.push(start.elapsed().as_nanos() as f64 / f64::from(ROUNDS));
        let start = Instant::now();
        for _ in 0..ROUNDS {
            let response = guarded.call(request()).await.unwrap();
            assert!(response.status().is_success());
        }
        t_guarded.push(start.elapsed().as_nanos() as f64 / f64::from(ROUNDS));
        let start = Instant::now();
        for _ in 0..ROUNDS {
            let data = auth.config().decode::<AccessClaims>(&token).unwrap();
            std::hint::black_box(data);
        }
        t_decode.push(start.elapsed().as_nanos() as f64 / f64::from(ROUNDS));
    }
    let (plain, guarded, decode) = (median(t_plain), median(t_guarded), median(t_decode));
    println!("request through the router, median of 15 x {ROUNDS}");
    println!("{:<52} {plain:>8.0} ns", "no authentication");
    println!(
        "{:<52} {guarded:>8.0} ns",
        "AccessToken extractor (verifies the token)"
    );
    println!("{:<52} {decode:>8.0} ns", "JwtConfig::decode alone");
    println!(
        "{:<52} {:>8.0} ns",
        "extractor overhead over decode (guarded - plain - decode)",
        guarded - plain - decode
    );
}
