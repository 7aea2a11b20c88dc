//! From config to HTTP: axum extractors and a tower layer that verify with a
//! [`JwtConfig`](jwt_config::JwtConfig),
//! refusals as RFC 6750 answers that never show a token or a secret, every refusal logged and
//! counted, drift between services seen at the first call, and a health handler.
//!
//! Features `rust-crypto` (default) and `aws-lc` choose jwt-config's crypto backend and are
//! passed on to it: exactly one (`default-features = false, features = ["aws-lc"]` for
//! aws-lc), as in jwt-config's crate docs.
//!
//! ```no_run
//! use std::sync::Arc;
//!
//! use axum::{Router, extract::FromRef, routing::{get, post}};
//! use jwt_config::{Config, JwtConfig, ProcessEnv};
//! use jwt_config_axum::{AccessToken, JwtAuth, ServiceCaller, health};
//!
//! #[derive(Clone, FromRef)]
//! struct AppState {
//!     auth: JwtAuth,
//! }
//!
//! async fn me(AccessToken(claims): AccessToken) -> String {
//!     claims.sub
//! }
//!
//! async fn sync(ServiceCaller(caller): ServiceCaller) -> String {
//!     format!("synced for {caller}")
//! }
//!
//! let loaded = JwtConfig::load_with_report(&ProcessEnv).expect("configuration");
//! let state = AppState { auth: JwtAuth::from_loaded(&loaded) };
//! let app: Router = Router::new()
//!     .route("/me", get(me))
//!     .route("/internal/sync", post(sync))
//!     .route("/health", get(health))
//!     .with_state(state);
//! ```
//!
//! The state holds a [`JwtAuth`] rather than a bare `Arc<JwtConfig>`: the extractors count
//! refusals and compare callers' fingerprints, and those must outlive a request. `JwtAuth` is
//! that `Arc<JwtConfig>` with its fingerprint and counters, cheap to clone. A service whose
//! own settings struct flattens `JwtConfig` loads it once, builds `JwtAuth::from_loaded` from
//! the same load, keeps its struct beside it in the state, and derives `FromRef`
//! (`examples/axum/auth.rs`).
//!
//! What the crate gives, in axum's and tower-http's conventions:
//! - extractors: [`AccessToken<C>`](AccessToken) (and `Option<AccessToken<C>>` for routes
//!   that serve anonymous users too), [`ServiceCaller`], [`AnyCaller`];
//! - [`RequireAuthLayer`], the layer of the [`RequireAuth`] service, for whole routers; an
//!   extractor behind it takes what it verified, so a token is decoded and recorded once;
//! - [`AttachServiceHeadersLayer`] for outgoing calls through a tower client;
//! - [`Refusal`], the rejection of them all: an RFC 6750 answer, an
//!   [`Error`](std::error::Error) whose source is the facade's error, named by a
//!   [`RefusalReason`] whose [`as_str`](RefusalReason::as_str) is the same in the JSON body,
//!   the `tracing` event and the counters;
//! - drift detection ([`JwtAuth::strict_drift`], [`DriftSeen`]) and [`health`].
//!
//! The facade (`jwt-config`) compiles no HTTP framework; this crate is for those who use axum.

#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations)]

mod calling;
mod drift;
mod extract;
mod health;
mod layer;
mod refusal;
mod state;
mod telemetry;

/// The names of the metrics jwt-config-axum records through the `metrics` facade (see the
/// crate's README for their labels).
pub mod metric_names {
    pub use crate::telemetry::{DRIFT_EVENTS, INFO, REFUSALS, REPLAY_GUARD, SERVICE_CALLS};
}

pub use calling::{
    AttachServiceHeaders, AttachServiceHeadersFuture, AttachServiceHeadersLayer, CallError,
};
pub use drift::DriftSeen;
pub use extract::{AccessToken, AnyCaller, ServiceCaller};
pub use health::{Health, health};
pub use layer::{RequireAuth, RequireAuthFuture, RequireAuthLayer};
pub use refusal::{Refusal, RefusalReason};
pub use state::JwtAuth;

/// The Rust snippets of `docs/fleet.md` ("A fleet of 30"), compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../docs/fleet.md")]
mod fleet_guide {}
