//! The latency the Redis replay guard adds to a service call, on loopback: a `redis-server`
//! started for the run, one guard, calls made one after another. Printed as p50, p99 and the
//! maximum, in microseconds, for a first use (`SET NX` answers OK), a replay (it answers nil),
//! and the whole `verify_service_call_async` with the guard beside it without one; against a
//! Redis that keeps nothing on disk, then one that syncs an append-only file at every write
//! (as the tests run it, so that a restart forgets no token: the disk's fsync then dominates).
//!
//! Run: `cargo bench -p jwt-config-redis --bench guard` (needs `redis-server`, which
//! `scripts/test.sh` installs).

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use jwt_config::jsonwebtoken::get_current_timestamp;
use jwt_config::service_auth::{AsyncReplayGuard as _, AsyncVerifyOptions, TokenUse};
use jwt_config_redis::RedisReplayGuard;

const CALLS: usize = 5_000;

/// p50, p99 and the maximum of `samples`, in microseconds.
fn percentiles(mut samples: Vec<Duration>) -> (f64, f64, f64) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q) as usize].as_secs_f64() * 1e6;
    (at(0.50), at(0.99), at(1.0))
}

fn report(redis: &str, case: &str, samples: Vec<Duration>) {
    let (p50, p99, max) = percentiles(samples);
    println!("| {redis} | {case} | {p50:.0} | {p99:.0} | {max:.0} |");
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    println!("Redis replay guard on loopback, {CALLS} calls one after another, microseconds");
    println!();
    println!("| Redis | case | p50 | p99 | max |");
    println!("| --- | --- | --- | --- | --- |");
    for (redis, synced) in [("in memory", false), ("appendfsync always", true)] {
        measure(redis, &common::RedisServer::start_with(synced)).await;
    }
}

async fn measure(name: &str, redis: &common::RedisServer) {
    let guard =
        RedisReplayGuard::connect(&redis.url(), "backend", Duration::from_millis(500)).unwrap();
    let until = get_current_timestamp() + 120;
    let ids: Vec<String> = (0..CALLS).map(|n| format!("bench-{n}")).collect();
    // Warm the connection.
    guard
        .first_use_async(&TokenUse::new("auth", "warm", until))
        .await;
    let mut timed = Vec::with_capacity(CALLS);
    for round in ["first use (SET NX: OK)", "replay (SET NX: nil)"] {
        timed.clear();
        for id in &ids {
            let token = TokenUse::new("auth", id, until);
            let started = Instant::now();
            std::hint::black_box(guard.first_use_async(&token).await);
            timed.push(started.elapsed());
        }
        report(name, round, timed.clone());
    }

    let (caller, receiver) = (common::service("auth"), common::service("backend"));
    let headers: Vec<_> = (0..CALLS)
        .map(|_| caller.service_headers("backend").unwrap())
        .collect();
    let cases = [
        ("verify_service_call_async, no guard", None),
        ("verify_service_call_async, Redis guard", Some(&guard)),
    ];
    for (case, guard) in cases {
        let options = AsyncVerifyOptions {
            replay_guard: guard.map(|g| g as _),
        };
        timed.clear();
        for headers in &headers {
            let started = Instant::now();
            let call = receiver.verify_service_call_async(headers, &options).await;
            std::hint::black_box(call.unwrap());
            timed.push(started.elapsed());
        }
        report(name, case, timed.clone());
    }
    assert_eq!(guard.unavailable(), 0, "every call was answered");
}
