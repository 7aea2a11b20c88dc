//! The runtime of [jwt-config](https://docs.rs/jwt-config): sources of variables, the
//! environment, value parsing, secrets, schema metadata and the one error report.
//!
//! Services use it through the `jwt-config` facade and `#[derive(Config)]`; this crate is
//! what the generated code calls.
//!
//! ```
//! use jwt_config_core::{Environment, MapSource, Source};
//!
//! let source: MapSource = [("ENVIRONMENT", "prod")].into_iter().collect();
//! let environment: Environment = source.get("ENVIRONMENT").unwrap().to_str().unwrap().parse().unwrap();
//! assert_eq!(environment, Environment::Production);
//! ```

// `unsafe` in one module only, `environ.rs`, which reads the process environment in one pass.
#![deny(unsafe_code)]
#![warn(missing_docs)]

mod config;
mod context;
mod environ;
mod environment;
mod files;
mod fingerprint;
mod names;
mod report;
mod resolve;
mod schema;
mod secret;
mod source;
mod unknown;
mod value;

// The public API: what a user writes by hand. Each item is exported once, here.
pub use config::{Config, Loaded};
pub use context::Context;
pub use environment::{ENVIRONMENT_VARIABLE, Environment, UnknownEnvironment};
pub use fingerprint::{Drift, SettingsFingerprint, compare_settings};
pub use names::NameFilter;
pub use report::{
    ConfigError, MAX_MESSAGE_CHARS, Origin, Problem, ProblemKind, Resolved, Warning, WarningKind,
    escape_controls,
};
pub use schema::{Entry, Flatten, Presence, Schema, VarSchema, Variable};
pub use secret::{REDACTED, Secret};
pub use source::{EnvFile, Layered, Location, MapSource, ProcessEnv, Source, Substitution};
pub use value::{ConfigValue, Length};

/// What generated code calls. Not part of the public API: no semver guarantees.
#[doc(hidden)]
pub mod __private {
    pub use crate::context::{MAX_FILE_SIZE, Slot};
    pub use crate::environment::describe_environments;
    pub use crate::fingerprint::{
        SECRET_DIGEST_LABEL, assert_schema_fingerprint, effective_fingerprint, fingerprint_hex,
        secret_digest,
    };
    pub use crate::names::{NameTable, NameTableCell};
    pub use crate::schema::assert_distinct_variables;
    pub use crate::schema::build::{Var, flatten, schema};
    pub use crate::source::MAX_ENV_FILE_SIZE;
    pub use crate::value::{
        CheckFn, Leaf, OwnedParseFn, ParseFn, RenderFn, ViaConfigValue, ViaDisplay, ViaFromStr,
        ViaOpaque, check_min_len, check_range, parse_list, render_list,
    };
    pub use crate::{Config, Context, Entry, Environment, Presence, Schema, Secret, VarSchema};

    /// A field's check, as generated code writes it (a closure that captures nothing).
    pub const fn value_check<T>(check: CheckFn<T>) -> Option<CheckFn<T>> {
        Some(check)
    }

    /// Loads a field of a leaf type (`u16`, `String`, a `secret` string, a user's type).
    pub fn load_leaf<T>(
        context: &mut Context<'_>,
        var: &'static VarSchema,
        parse: OwnedParseFn<T>,
        render: RenderFn<T>,
        default: Option<fn() -> T>,
        check: Option<CheckFn<T>>,
    ) -> Slot<T> {
        context.load_value(var, &parse, &render, default, check)
    }

    /// Loads a `Secret<T>` field; `digest` gives the text its digest is made of.
    pub fn load_secret<T: zeroize::Zeroize>(
        context: &mut Context<'_>,
        var: &'static VarSchema,
        parse: OwnedParseFn<T>,
        digest: RenderFn<T>,
        default: Option<fn() -> Secret<T>>,
        check: Option<CheckFn<Secret<T>>>,
    ) -> Slot<Secret<T>> {
        let parse = |text: &mut String| parse(text).map(Secret::new);
        let render = |secret: &Secret<T>| digest(secret.expose());
        context.load_value(var, &parse, &render, default, check)
    }

    /// Loads a comma-separated `Vec<T>` field from its item's parser and renderer.
    pub fn load_list<T>(
        context: &mut Context<'_>,
        var: &'static VarSchema,
        item: ParseFn<T>,
        render: RenderFn<T>,
        default: Option<fn() -> Vec<T>>,
        check: Option<CheckFn<Vec<T>>>,
    ) -> Slot<Vec<T>> {
        let parse = |text: &mut String| parse_list(text, item);
        let render = |items: &Vec<T>| render_list(items, render);
        context.load_value(var, &parse, &render, default, check)
    }

    /// Loads a field with a user's `parse_with` function, its error's Display in the problem.
    pub fn load_custom<T, E: core::fmt::Display>(
        context: &mut Context<'_>,
        var: &'static VarSchema,
        parse: fn(&str) -> Result<T, E>,
        render: RenderFn<T>,
        default: Option<fn() -> T>,
        check: Option<CheckFn<T>>,
    ) -> Slot<T> {
        let parse = |text: &mut String| parse(text).map_err(|error| error.to_string());
        context.load_value(var, &parse, &render, default, check)
    }

    /// Runs `load` with `prefix` added to every name it reads: a flattened struct, or a
    /// struct's own prefix.
    pub fn nested<'a, T>(
        context: &mut Context<'a>,
        prefix: &str,
        load: impl FnOnce(&mut Context<'a>) -> T,
    ) -> T {
        context.nested(prefix, load)
    }

    /// Runs a check on every item of a list.
    pub fn each<T>(items: &[T], check: impl Fn(&T) -> Result<(), String>) -> Result<(), String> {
        items.iter().try_for_each(check)
    }

    /// A renderer for values that are never shown.
    pub fn redacted<T>(_: &T) -> String {
        crate::REDACTED.to_owned()
    }
}
