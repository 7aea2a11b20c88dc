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

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod config;
mod context;
mod environment;
mod files;
mod fingerprint;
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
pub use fingerprint::{Drift, SettingsFingerprint};
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
    pub use crate::schema::assert_distinct_variables;
    pub use crate::schema::build::{Var, flatten, schema};
    pub use crate::source::MAX_ENV_FILE_SIZE;
    pub use crate::value::{
        Leaf, OwnedParseFn, ParseFn, RenderFn, ViaConfigValue, ViaDisplay, ViaFromStr, ViaOpaque,
        check_min_len, check_range, parse_list, render_list,
    };
    pub use crate::{Config, Context, Entry, Environment, Presence, Schema, Secret, VarSchema};

    /// Loads one variable into `context`: what generated code calls for each field.
    pub fn load_value<T>(
        context: &mut Context<'_>,
        var: &'static VarSchema,
        parse: impl Fn(&mut String) -> Result<T, String>,
        render: impl Fn(&T) -> String,
        default: Option<fn() -> T>,
        check: impl Fn(&T) -> Result<(), String>,
    ) -> Slot<T> {
        context.load_value(var, parse, render, default, check)
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

    /// A list parser from an item parser.
    pub fn list<T>(
        item: crate::value::ParseFn<T>,
    ) -> impl Fn(&mut String) -> Result<Vec<T>, String> {
        move |text| parse_list(text, item)
    }

    /// A leaf parser as the loader calls it.
    pub fn leaf<T>(
        item: crate::value::OwnedParseFn<T>,
    ) -> impl Fn(&mut String) -> Result<T, String> {
        item
    }

    /// A list renderer from an item renderer.
    pub fn list_renderer<T>(item: crate::value::RenderFn<T>) -> impl Fn(&Vec<T>) -> String {
        move |items| render_list(items, item)
    }

    /// A secret's digest text from its leaf's.
    pub fn secret_digester<T: zeroize::Zeroize>(
        item: crate::value::RenderFn<T>,
    ) -> impl Fn(&Secret<T>) -> String {
        move |secret| item(secret.expose())
    }

    /// A secret parser from a leaf parser.
    pub fn secret<T: zeroize::Zeroize>(
        item: crate::value::OwnedParseFn<T>,
    ) -> impl Fn(&mut String) -> Result<Secret<T>, String> {
        move |text| item(text).map(Secret::new)
    }

    /// A parser from a user's `parse_with` function, its error's Display in the problem.
    pub fn custom<T, E: core::fmt::Display>(
        parse: impl Fn(&str) -> Result<T, E>,
    ) -> impl Fn(&mut String) -> Result<T, String> {
        move |text| parse(text).map_err(|error| error.to_string())
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
