//! A replay guard for `jwt-config`'s service calls, shared by every replica of a receiving
//! service: each token id is recorded in Redis by one atomic `SET key 1 NX EXAT t`, so among
//! all replicas a token is accepted once.
//!
//! It fails closed: when Redis is unreachable, answers with an error, or does not answer
//! within the guard's timeout, the call is refused ([`FirstUse::Unavailable`]; in
//! `jwt-config-axum` a 503 `replay_guard_unavailable`), logged and counted
//! ([`RedisReplayGuard::unavailable`]), never accepted unrecorded. The connection manager
//! reconnects by itself, so the guard accepts again as soon as Redis is back.
//!
//! ```no_run
//! use std::time::Duration;
//! use jwt_config::service_auth::AsyncVerifyOptions;
//! use jwt_config_redis::RedisReplayGuard;
//!
//! # async fn service(config: jwt_config::JwtConfig, headers: http::HeaderMap) -> Result<(), Box<dyn std::error::Error>> {
//! // Inside the service's Tokio runtime; connecting is lazy (the first call connects).
//! let guard = RedisReplayGuard::connect("redis://redis:6379", "backend", Duration::from_millis(200))?;
//! let options = AsyncVerifyOptions { replay_guard: Some(&guard) };
//! let call = config.verify_service_call_async(&headers, &options).await?;
//! # Ok(()) }
//! ```
//!
//! Redis must keep the keys for as long as a token verifies: a Redis that restarts without
//! persistence (no RDB or AOF) forgets the ids it held, and a token recorded before the
//! restart could then be accepted once more while it is still valid (at most
//! `SERVICE_TOKEN_LIFETIME_SECONDS` plus the leeway). Run it with persistence, or accept that
//! window.
#![forbid(unsafe_code)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use jwt_config::service_auth::{AsyncReplayGuard, FirstUse, FirstUseFuture, TokenUse};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

/// The prefix of every key this guard writes.
const KEY_PREFIX: &str = "jwt-config:replay:";

/// The longest a part of a key taken from a token (caller, id) may be once escaped: a longer
/// one is cut. Two of one caller's ids that agree on their first bytes then share a key, and
/// the second is refused as a replay: a cut can refuse a token, never accept one twice.
const MAX_KEY_PART: usize = 256;

/// A [`ReplayGuard`](jwt_config::service_auth::ReplayGuard) over Redis, for every replica of
/// a receiving service (see the [crate] documentation). Cheap to clone: clones share the
/// connection and the counter.
#[derive(Clone)]
pub struct RedisReplayGuard {
    connection: ConnectionManager,
    namespace: String,
    timeout: Duration,
    unavailable: std::sync::Arc<AtomicU64>,
}

impl std::fmt::Debug for RedisReplayGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisReplayGuard")
            .field("namespace", &self.namespace)
            .field("timeout", &self.timeout)
            .field("unavailable", &self.unavailable())
            .finish_non_exhaustive()
    }
}

impl RedisReplayGuard {
    /// A guard of `receiving_service` (its `SERVICE_ID`: the keys of two services never
    /// meet) over `connection`; a record that takes longer than `timeout` is a refusal.
    pub fn new(connection: ConnectionManager, receiving_service: &str, timeout: Duration) -> Self {
        RedisReplayGuard {
            connection,
            namespace: format!("{KEY_PREFIX}{}:", key_part(receiving_service)),
            timeout,
            unavailable: std::sync::Arc::default(),
        }
    }

    /// A guard over the Redis at `url` (`redis://host:port/db`), connecting lazily and
    /// reconnecting by itself, each attempt and each answer bounded by `timeout`. An error
    /// only for a URL that is not one: an unreachable Redis is found at the first call.
    ///
    /// # Panics
    ///
    /// Outside a Tokio runtime (the connection manager spawns its task there).
    pub fn connect(
        url: &str,
        receiving_service: &str,
        timeout: Duration,
    ) -> redis::RedisResult<Self> {
        let client = redis::Client::open(url)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_number_of_retries(2)
            .set_min_delay(Duration::from_millis(20))
            .set_max_delay(timeout);
        let connection = ConnectionManager::new_lazy_with_config(client, config)?;
        Ok(RedisReplayGuard::new(
            connection,
            receiving_service,
            timeout,
        ))
    }

    /// How many token uses this guard (and its clones) could not record because Redis did
    /// not answer in time or answered with an error: each was refused.
    pub fn unavailable(&self) -> u64 {
        self.unavailable.load(Ordering::Relaxed)
    }

    /// The key of one token use: this receiver's namespace, then the caller and the id,
    /// escaped so that no two (caller, id) pairs meet.
    fn key(&self, token: &TokenUse<'_>) -> String {
        let (caller, id) = (key_part(token.caller()), key_part(token.id()));
        let mut key = String::with_capacity(self.namespace.len() + caller.len() + id.len() + 1);
        key.push_str(&self.namespace);
        key.push_str(&caller);
        key.push(':');
        key.push_str(&id);
        key
    }

    /// Records the use in Redis: `OK` is a first use, nil a replay, anything else (an error,
    /// a timeout, an unexpected answer) unknown, so unavailable.
    async fn record(&self, token: &TokenUse<'_>) -> FirstUse {
        let mut command = redis::cmd("SET");
        command
            .arg(self.key(token))
            .arg(1)
            .arg("NX")
            .arg("EXAT")
            .arg(token.remember_until());
        let mut connection = self.connection.clone();
        let answer = tokio::time::timeout(
            self.timeout,
            command.query_async::<redis::Value>(&mut connection),
        )
        .await;
        let problem = match answer {
            Ok(Ok(redis::Value::Okay)) => return FirstUse::Yes,
            Ok(Ok(redis::Value::Nil)) => return FirstUse::Replayed,
            Ok(Ok(other)) => format!("an unexpected answer to SET NX: {other:?}"),
            Ok(Err(error)) => format!("an error: {error}"),
            Err(_) => format!("no answer within {:?}", self.timeout),
        };
        self.unavailable.fetch_add(1, Ordering::Relaxed);
        tracing::warn!(
            problem,
            caller = jwt_config::service_auth::shown(token.caller()),
            "the Redis replay guard could not record a service token: the call is refused"
        );
        FirstUse::Unavailable
    }
}

impl AsyncReplayGuard for RedisReplayGuard {
    fn first_use_async<'a>(&'a self, token: &'a TokenUse<'_>) -> FirstUseFuture<'a> {
        Box::pin(self.record(token))
    }
}

/// A part of a key as Redis stores it: `%`, `:` and control characters percent-escaped (so
/// the separators stay unambiguous), then cut to [`MAX_KEY_PART`] bytes.
fn key_part(text: &str) -> String {
    let mut part = String::with_capacity(text.len().min(MAX_KEY_PART));
    for c in text.chars() {
        let escape = c == '%' || c == ':' || c.is_control();
        let width = if escape {
            3 * c.len_utf8()
        } else {
            c.len_utf8()
        };
        if part.len() + width > MAX_KEY_PART {
            break;
        }
        if escape {
            let mut buffer = [0u8; 4];
            for byte in c.encode_utf8(&mut buffer).bytes() {
                part.push_str(&format!("%{byte:02X}"));
            }
        } else {
            part.push(c);
        }
    }
    part
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separators_in_a_caller_or_an_id_cannot_make_two_uses_meet() {
        assert_eq!(key_part("a:b"), "a%3Ab");
        assert_eq!(key_part("a%3Ab"), "a%253Ab");
        assert_eq!(key_part("line\nbreak"), "line%0Abreak");
        assert_eq!(key_part("caf\u{e9}"), "caf\u{e9}");
        let pairs = [("a:b", "c"), ("a", "b:c")];
        let keys: Vec<String> = pairs
            .iter()
            .map(|(caller, id)| format!("{}:{}", key_part(caller), key_part(id)))
            .collect();
        assert_ne!(keys[0], keys[1]);
    }

    #[test]
    fn a_long_part_is_cut_on_a_character_boundary() {
        let long = "\u{e9}".repeat(MAX_KEY_PART);
        let part = key_part(&long);
        assert!(part.len() <= MAX_KEY_PART);
        assert_eq!(part.chars().count(), MAX_KEY_PART / 2);
        assert!(key_part(&":".repeat(MAX_KEY_PART)).len() <= MAX_KEY_PART);
    }
}
