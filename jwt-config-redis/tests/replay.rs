//! The Redis replay guard against a real `redis-server` on a loopback port: replicas sharing
//! one Redis accept a token once, and a Redis that is down, frozen or back is refused, then
//! accepted again; never is a token accepted twice.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{RedisServer, service};
use jwt_config::JwtConfig;
use jwt_config::service_auth::{AsyncVerifyOptions, Caller, ServiceAuthError};
use jwt_config_redis::RedisReplayGuard;

/// One instance of the receiving service: its settings and its own guard (its own
/// connection) over the shared Redis.
struct Receiver {
    config: JwtConfig,
    guard: RedisReplayGuard,
}

impl Receiver {
    fn new(redis: &RedisServer, timeout: Duration) -> Self {
        let guard = RedisReplayGuard::connect(&redis.url(), "backend", timeout).unwrap();
        Receiver {
            config: service("backend"),
            guard,
        }
    }

    async fn verify(&self, headers: &http::HeaderMap) -> Result<Caller, ServiceAuthError> {
        let options = AsyncVerifyOptions {
            replay_guard: Some(&self.guard),
        };
        let call = self.config.verify_service_call_async(headers, &options);
        call.await.map(|call| call.caller)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_token_sent_1000_times_across_three_replicas_is_accepted_once() {
    let redis = RedisServer::start();
    // A generous timeout: a refusal here would be a timeout, not the property under test.
    let timeout = Duration::from_secs(5);
    let replicas: Vec<Arc<Receiver>> = (0..3)
        .map(|_| Arc::new(Receiver::new(&redis, timeout)))
        .collect();
    let headers = Arc::new(service("auth").service_headers("backend").unwrap());
    let sends = (0..1000).map(|n| {
        let (replica, headers) = (replicas[n % 3].clone(), headers.clone());
        tokio::spawn(async move { replica.verify(&headers).await })
    });
    let mut accepted = 0;
    for send in sends.collect::<Vec<_>>() {
        match send.await.unwrap() {
            Ok(caller) => {
                assert_eq!(caller, Caller::Service("auth".into()));
                accepted += 1;
            }
            Err(error) => assert_eq!(error, ServiceAuthError::Replayed),
        }
    }
    assert_eq!(accepted, 1, "one token, 1,000 sends, three replicas");
    for replica in &replicas {
        assert_eq!(replica.guard.unavailable(), 0);
    }
}

/// Sends fresh tokens until one is accepted (the connection manager reconnects in the
/// background), failing the test after `within`.
async fn accepted_again(receiver: &Receiver, within: Duration) -> http::HeaderMap {
    let caller = service("auth");
    let deadline = Instant::now() + within;
    loop {
        let headers = caller.service_headers("backend").unwrap();
        match receiver.verify(&headers).await {
            Ok(_) => return headers,
            Err(error) => {
                assert_eq!(error, ServiceAuthError::ReplayGuardUnavailable);
                assert!(
                    Instant::now() < deadline,
                    "not accepted again within {within:?}"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_redis_refuses_every_call_and_a_restarted_one_accepts_again() {
    let mut redis = RedisServer::start();
    let timeout = Duration::from_millis(200);
    let receiver = Receiver::new(&redis, timeout);
    let caller = service("auth");
    let before = caller.service_headers("backend").unwrap();
    assert!(receiver.verify(&before).await.is_ok());

    redis.stop();
    for _ in 0..3 {
        let fresh = caller.service_headers("backend").unwrap();
        let started = Instant::now();
        let refused = receiver.verify(&fresh).await;
        assert_eq!(refused, Err(ServiceAuthError::ReplayGuardUnavailable));
        assert!(started.elapsed() < timeout * 3, "{:?}", started.elapsed());
        assert_eq!(
            receiver.verify(&before).await,
            Err(ServiceAuthError::ReplayGuardUnavailable)
        );
    }
    assert!(receiver.guard.unavailable() >= 6);

    redis.restart();
    let after = accepted_again(&receiver, Duration::from_secs(10)).await;
    // Neither the token accepted before the outage (the server synced it to its file) nor
    // the one accepted after is accepted twice.
    for headers in [&before, &after] {
        assert_eq!(
            receiver.verify(headers).await,
            Err(ServiceAuthError::Replayed)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_slower_than_the_timeout_is_a_refusal_and_never_an_acceptance() {
    let redis = RedisServer::start();
    let timeout = Duration::from_millis(200);
    let receiver = Receiver::new(&redis, timeout);
    let caller = service("auth");
    assert!(
        receiver
            .verify(&caller.service_headers("backend").unwrap())
            .await
            .is_ok()
    );

    redis.freeze();
    let frozen = caller.service_headers("backend").unwrap();
    let started = Instant::now();
    let refused = receiver.verify(&frozen).await;
    assert_eq!(refused, Err(ServiceAuthError::ReplayGuardUnavailable));
    let waited = started.elapsed();
    assert!(waited >= timeout / 2 && waited < timeout * 3, "{waited:?}");

    redis.thaw();
    // The SET sent while frozen runs when the server wakes: the refused token is a replay
    // from then on, never accepted.
    assert_eq!(
        receiver.verify(&frozen).await,
        Err(ServiceAuthError::Replayed)
    );
    accepted_again(&receiver, Duration::from_secs(10)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receivers_of_two_services_keep_their_records_apart() {
    use jwt_config::service_auth::{AsyncReplayGuard as _, FirstUse, TokenUse};
    let redis = RedisServer::start();
    let timeout = Duration::from_secs(2);
    let backend = RedisReplayGuard::connect(&redis.url(), "backend", timeout).unwrap();
    let billing = RedisReplayGuard::connect(&redis.url(), "billing", timeout).unwrap();
    let until = jwt_config::jsonwebtoken::get_current_timestamp() + 60;
    // One caller and token id, separators in both: each receiver records its own use.
    let token = TokenUse::new("auth:x", "id:1", until);
    let lookalike = TokenUse::new("auth", "x:id:1", until);
    assert_eq!(backend.first_use_async(&token).await, FirstUse::Yes);
    assert_eq!(billing.first_use_async(&token).await, FirstUse::Yes);
    assert_eq!(backend.first_use_async(&lookalike).await, FirstUse::Yes);
    assert_eq!(backend.first_use_async(&token).await, FirstUse::Replayed);
    assert_eq!(billing.first_use_async(&token).await, FirstUse::Replayed);
}

#[tokio::test]
async fn a_url_that_is_not_one_is_an_error_and_an_absent_redis_a_refusal() {
    assert!(RedisReplayGuard::connect("not a url", "backend", Duration::from_millis(50)).is_err());
    // Nothing listens on port 1: the first call finds it, and refuses.
    let guard =
        RedisReplayGuard::connect("redis://127.0.0.1:1", "backend", Duration::from_millis(200))
            .unwrap();
    let receiver = Receiver {
        config: service("backend"),
        guard,
    };
    let headers = service("auth").service_headers("backend").unwrap();
    assert_eq!(
        receiver.verify(&headers).await,
        Err(ServiceAuthError::ReplayGuardUnavailable)
    );
    assert_eq!(receiver.guard.unavailable(), 1);
}
