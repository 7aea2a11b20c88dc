//! The cost of authentication per request: a whole request through an axum router whose
//! handler takes `AccessToken`, and through a router behind the `RequireAuthLayer::user` layer,
//! beside the same router without authentication and beside `JwtConfig::decode` called
//! directly. In-process (`Router::call`), no sockets; `scripts/wrk-axum.sh` measures over
//! sockets.
//!
//! Run: `cargo bench -p jwt-config-axum --bench extract`.
//!
//! Service calls too: the `ServiceCaller` extractor verifying a caller's token and comparing
//! its settings, from a caller with the same settings and from a drifted one (counted and
//! logged, not refused).
//!
//! `--repeat CASE N` sends N requests through one router (`plain`, `extractor`, `layer`,
//! `service`, `service-drifted`) or
//! calls `decode` N times (`decode`), and nothing else: for instruction counts that do not
//! depend on the machine's load, `valgrind --tool=callgrind <bench binary> --repeat extractor
//! 20000`.

use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, Request};
use axum::routing::get;
use jwt_config::{AccessClaims, Config, JwtConfig, MapSource};
use jwt_config_axum::{AccessToken, JwtAuth, RequireAuthLayer, ServiceCaller};
use tower_service::Service;

const ROUNDS: u32 = 4_000;
const SAMPLES: usize = 61;

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// The case and count of `--repeat CASE N`, when the arguments say so.
fn repeat_one_case() -> Option<(String, u32)> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let position = args.iter().position(|a| a == "--repeat")?;
    let count = args.get(position + 2)?.parse().ok()?;
    Some((args.get(position + 1)?.clone(), count))
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
        )
        .with("SERVICE_ALLOWED_CALLERS", "*");
    let loaded = JwtConfig::load_with_report(&source).unwrap();
    let auth = JwtAuth::from_loaded(&loaded);
    let token = auth
        .config()
        .encode(&auth.config().access_claims("alice"))
        .unwrap();
    async fn open() -> &'static str {
        "ok"
    }
    // The handlers answer as `open` does: what differs from it is the authentication.
    async fn me(AccessToken(claims): AccessToken) -> &'static str {
        std::hint::black_box(claims);
        "ok"
    }
    // What the extractor does, written in the handler: the floor of a verified request.
    async fn by_hand(State(auth): State<JwtAuth>, headers: HeaderMap) -> &'static str {
        let value = headers[AUTHORIZATION].to_str().unwrap();
        let token = value.strip_prefix("Bearer ").unwrap();
        std::hint::black_box(auth.config().decode::<AccessClaims>(token).unwrap());
        "ok"
    }
    let plain: Router = Router::new().route("/", get(open));
    let decoding: Router = Router::new()
        .route("/", get(by_hand))
        .with_state(auth.clone());
    let guarded: Router = Router::new().route("/", get(me)).with_state(auth.clone());
    let layered: Router = Router::new()
        .route("/", get(open))
        .route_layer(RequireAuthLayer::user(auth.clone()));
    async fn service(ServiceCaller(caller): ServiceCaller) -> String {
        caller
    }
    let called: Router = Router::new()
        .route("/", get(service))
        .with_state(auth.clone());
    let caller_of = |source: MapSource| {
        let caller = JwtAuth::from_loaded(&JwtConfig::load_with_report(&source).unwrap());
        let headers = caller.service_headers("backend").unwrap();
        headers["x-service-token"].to_str().unwrap().to_owned()
    };
    let same = caller_of(source.clone().with("SERVICE_ID", "auth"));
    let drifted = caller_of(
        source
            .clone()
            .with("SERVICE_ID", "auth")
            .with("JWT_ACCESS_TOKEN_EXPIRE_MINUTES", "30"),
    );
    // The request each router is sent: a user's token, then the service calls.
    let request = |router: usize| {
        let request = Request::get("/");
        let request = match router {
            3 => request.header("x-service-token", same.as_str()),
            4 => request.header("x-service-token", drifted.as_str()),
            _ => request.header("authorization", format!("Bearer {token}")),
        };
        request.body(Body::empty()).unwrap()
    };
    let mut routers = [plain, guarded, layered, called.clone(), called, decoding];
    if let Some((case, count)) = repeat_one_case() {
        let index = [
            "plain",
            "extractor",
            "layer",
            "service",
            "service-drifted",
            "by-hand",
            "decode",
        ]
        .iter()
        .position(|name| *name == case)
        .unwrap_or_else(|| panic!("no case {case}"));
        for _ in 0..count {
            match routers.get_mut(index) {
                Some(router) => {
                    let response = router.call(request(index)).await.unwrap();
                    assert!(response.status().is_success());
                }
                None => {
                    let data = auth.config().decode::<AccessClaims>(&token).unwrap();
                    std::hint::black_box(data);
                }
            }
        }
        return;
    }
    // Every case once per sample, in turn, so that a moment of load falls on all of them;
    // an overhead is the median of its per-sample differences, which that load cancels out
    // of better than a difference of medians.
    let mut times: [Vec<f64>; 7] = Default::default();
    for _ in 0..SAMPLES {
        for (index, (router, samples)) in routers.iter_mut().zip(&mut times).enumerate() {
            let start = Instant::now();
            for _ in 0..ROUNDS {
                let response = router.call(request(index)).await.unwrap();
                assert!(response.status().is_success());
            }
            samples.push(start.elapsed().as_nanos() as f64 / f64::from(ROUNDS));
        }
        let start = Instant::now();
        for _ in 0..ROUNDS {
            let data = auth.config().decode::<AccessClaims>(&token).unwrap();
            std::hint::black_box(data);
        }
        times[6].push(start.elapsed().as_nanos() as f64 / f64::from(ROUNDS));
    }
    let per_sample = |f: &dyn Fn(usize) -> f64| median((0..SAMPLES).map(f).collect());
    let [plain, guarded, layered, same, drifted, by_hand, decode] = &times;
    let extractor_overhead = per_sample(&|i| guarded[i] - plain[i] - decode[i]);
    let by_hand_overhead = per_sample(&|i| guarded[i] - by_hand[i]);
    let layer_overhead = per_sample(&|i| layered[i] - plain[i] - decode[i]);
    let drift_overhead = per_sample(&|i| drifted[i] - same[i]);
    let [plain, guarded, layered, same, drifted, by_hand, decode] = times.map(median);
    println!("request through the router, median of {SAMPLES} x {ROUNDS}");
    for (label, ns) in [
        ("no authentication", plain),
        ("AccessToken extractor (verifies the token)", guarded),
        ("RequireAuthLayer::user layer (verifies the token)", layered),
        ("JwtConfig::decode alone", decode),
        ("handler calling JwtConfig::decode itself", by_hand),
        (
            "extractor overhead over decode (extractor - plain - decode)",
            extractor_overhead,
        ),
        (
            "extractor overhead over decode in a handler (extractor - by hand)",
            by_hand_overhead,
        ),
        (
            "layer overhead over decode (layer - plain - decode)",
            layer_overhead,
        ),
        (
            "ServiceCaller extractor, caller with the same settings",
            same,
        ),
        ("ServiceCaller extractor, drifted caller (counted)", drifted),
        (
            "drifted caller over same settings (drifted - same)",
            drift_overhead,
        ),
    ] {
        println!("{label:<62} {ns:>8.0} ns");
    }
}
