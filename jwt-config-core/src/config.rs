//! The `Config` trait every derived struct implements, and the result of a load.

use crate::context::Context;
use crate::environment::{ENVIRONMENT_VARIABLE, Environment};
use crate::fingerprint::SettingsFingerprint;
use crate::report::{ConfigError, Problem, ProblemKind, Resolved, Warning, WarningKind};
use crate::schema::Schema;
use crate::source::{ProcessEnv, Source};

/// A configuration loaded from environment variables; implemented by `#[derive(Config)]`.
///
/// Implement [`Config::load`] by hand for a struct the derive cannot express; the provided
/// methods give it the same guarantees (one report, warnings emitted, effective values).
pub trait Config: Sized {
    /// Every variable the struct reads.
    const SCHEMA: Schema;

    /// The schema's fingerprint: the same on every machine and build of the same schema,
    /// different when a name, alias, type, default or rule changes. Pin it with
    /// `jwt_config::assert_schema!`.
    const SCHEMA_FINGERPRINT: u64 = crate::fingerprint::schema_fingerprint(&Self::SCHEMA);

    /// Whether the schema has name families (prefixes, or leading words two variables
    /// share) and so warns about near-miss names; computed at compile time.
    #[doc(hidden)]
    const HAS_NAME_FAMILIES: bool = crate::unknown::has_families(&Self::SCHEMA);

    /// Whether an unset `ENVIRONMENT` is a problem; computed at compile time.
    #[doc(hidden)]
    const REQUIRES_ENVIRONMENT: bool = Self::SCHEMA.requires_environment();

    /// Whether a rule depends on `ENVIRONMENT`, so every load reads it; computed at compile
    /// time.
    #[doc(hidden)]
    const HAS_ENVIRONMENT_RULES: bool = Self::SCHEMA.has_environment_rules();

    /// Every name the schema reads, tabled once a process, so that a load walks its source
    /// once; `None` for a hand-written impl, whose loads ask the source name by name.
    #[doc(hidden)]
    fn name_table() -> Option<&'static crate::names::NameTable> {
        None
    }

    /// Loads the fields from `context`. Returns `None` when something failed; every
    /// failure has been recorded in `context` as a problem.
    fn load(context: &mut Context<'_>) -> Option<Self>;

    /// Loads from the process environment ([`ProcessEnv`], read in one walk: no other thread
    /// may set or remove variables meanwhile, as `std::env::set_var` requires); warnings go out
    /// as `tracing` warn events.
    fn from_env() -> Result<Self, ConfigError> {
        Self::from_source(&ProcessEnv)
    }

    /// Loads from any source; warnings go out as `tracing` warn events.
    fn from_source<S: Source + ?Sized>(source: &S) -> Result<Self, ConfigError> {
        let mut context = Context::new(&source).without_report();
        let value = run::<Self>(&mut context);
        match conclude(value, context) {
            Ok((value, warnings, _)) => {
                emit_warnings(&warnings);
                Ok(value)
            }
            Err(error) => {
                emit_warnings(error.warnings());
                Err(error)
            }
        }
    }

    /// Loads from any source and returns the value with its warnings and, for each
    /// variable, where its value came from and how it renders (secrets redacted). Emits
    /// nothing: the caller shows the warnings.
    fn load_with_report<S: Source + ?Sized>(source: &S) -> Result<Loaded<Self>, ConfigError> {
        let mut context = Context::new(&source);
        let environment = context.settle_environment();
        let value = run::<Self>(&mut context);
        let (value, warnings, variables) = conclude(value, context)?;
        Ok(Loaded {
            value,
            environment,
            warnings,
            variables,
        })
    }
}

/// One load into `context`: the environment's rules, the fields, the unknown names.
fn run<T: Config>(context: &mut Context<'_>) -> Option<T> {
    if let Some(table) = T::name_table() {
        context.walk_source(table);
    }
    // A schema without rules by environment reads `ENVIRONMENT` only if a `validate` or
    // `computed` function asks (a report reads it in any case).
    if T::HAS_ENVIRONMENT_RULES {
        context.settle_environment();
    }
    if T::REQUIRES_ENVIRONMENT && !context.environment_is_set() {
        // An unset ENVIRONMENT silently meaning development is how a staging deploy ends up
        // with a 1-byte key and service authentication off.
        let message = format!(
            "is not set; set it to one of {} (this schema never assumes development)",
            crate::environment::ENVIRONMENT_NAMES
        );
        context.problem(ENVIRONMENT_VARIABLE, ProblemKind::Missing, message);
    }
    let value = T::load(context);
    if T::HAS_NAME_FAMILIES {
        for (name, message) in unknown_names::<T>(context) {
            context.warn(&name, WarningKind::UnknownVariable, message);
        }
    }
    value
}

/// The names of the schema's families that it does not read, with their messages: found by
/// the load's walk of its source, else by listing the source's names (a scan of it).
fn unknown_names<T: Config>(context: &mut Context<'_>) -> Vec<(String, String)> {
    let (families, names) = match (T::name_table(), context.walked_unknown_names()) {
        (Some(_), Some(names)) if names.is_empty() => return Vec::new(),
        (Some(table), Some(names)) => (table.families().to_vec(), names),
        _ => {
            let families = crate::unknown::families(&T::SCHEMA);
            match context.source().names() {
                Some(names) if !families.is_empty() => (families, names),
                _ => return Vec::new(),
            }
        }
    };
    crate::unknown::unknown_names(&T::SCHEMA, &families, &names)
}

/// The value when nothing went wrong, else every problem.
fn conclude<T>(
    value: Option<T>,
    context: Context<'_>,
) -> Result<(T, Vec<Warning>, Vec<Resolved>), ConfigError> {
    let (mut problems, warnings, variables) = context.finish();
    if value.is_none() && problems.is_empty() {
        // A hand-written impl that failed without saying why still fails loudly.
        problems.push(Problem::new(
            std::any::type_name::<T>(),
            ProblemKind::Rule,
            "failed to load without reporting a problem",
        ));
    }
    match value {
        Some(value) if problems.is_empty() => Ok((value, warnings, variables)),
        _ => Err(ConfigError::new(problems, warnings)),
    }
}

/// A loaded configuration with everything the operator may want to see about it.
#[derive(Debug)]
#[non_exhaustive]
pub struct Loaded<T> {
    /// The configuration.
    pub value: T,
    /// The environment it was loaded for.
    pub environment: Environment,
    /// Warnings (deprecated aliases, weak settings outside production).
    pub warnings: Vec<Warning>,
    /// Every variable's effective value and origin, in schema order.
    pub variables: Vec<Resolved>,
}

impl<T> Loaded<T> {
    /// The effective fingerprint: equal for two loads whose shared settings agree, whatever
    /// aliases or `_FILE` variants supplied them; secrets enter only as HMAC digests keyed by
    /// themselves. `None` without the `fingerprint` feature (on in the facade's `jwt`).
    pub fn fingerprint(&self) -> Option<String> {
        crate::fingerprint::effective_fingerprint(&self.variables)
    }

    /// The effective fingerprint of the settings of `U` within this load: for a service's
    /// struct that flattens `JwtConfig`, the fingerprint of its JWT settings alone, equal to
    /// that of another service with other settings of its own, or that reads them under a
    /// prefix. `None` where `U`'s variables are not all in this load under one prefix (or
    /// are there twice, under two), and without the `fingerprint` feature.
    pub fn fingerprint_of<U: Config>(&self) -> Option<String> {
        self.settings_fingerprint_of::<U>()
            .map(|settings| settings.fingerprint().to_owned())
    }

    /// [`Loaded::fingerprint_of`] with a short digest of each of those settings, so that
    /// another service built with the same schema can name the settings that differ
    /// ([`SettingsFingerprint::compare`]).
    pub fn settings_fingerprint_of<U: Config>(&self) -> Option<SettingsFingerprint> {
        let names: Vec<String> = U::SCHEMA.variables().into_iter().map(|v| v.name).collect();
        let chosen = self.variables_of(&names)?;
        let schema = crate::fingerprint::fingerprint_hex(U::SCHEMA_FINGERPRINT);
        SettingsFingerprint::of(&chosen, String::from_utf8_lossy(&schema).into_owned())
    }

    /// This load as one of a schema `U` it flattens: the value `part` takes from the whole,
    /// the variables of `U` ([`Loaded::variables_as`]), the same environment and warnings.
    /// `None` where no one prefix holds every variable of `U`.
    pub fn narrowed<U: Config>(self, part: impl FnOnce(T) -> U) -> Option<Loaded<U>> {
        let variables = self.variables_as::<U>()?;
        Some(Loaded {
            value: part(self.value),
            environment: self.environment,
            warnings: self.warnings,
            variables,
        })
    }

    /// The variables of a flattened schema `U` within this load, each renamed to its name in
    /// `U` (its prefix removed): what services of different schemas that all flatten `U`
    /// share, compared by name. `None` where no one prefix holds every variable of `U`.
    pub fn variables_as<U: Config>(&self) -> Option<Vec<Resolved>> {
        let names: Vec<String> = U::SCHEMA.variables().into_iter().map(|v| v.name).collect();
        let chosen = self.variables_of(&names)?;
        Some(
            chosen
                .into_iter()
                .map(|(name, variable)| Resolved {
                    variable: name.to_owned(),
                    ..variable.clone()
                })
                .collect(),
        )
    }

    /// The variables of a flattened schema within this load, each with its name in that
    /// schema: found under the one prefix that holds every one of them (`ENVIRONMENT` is
    /// never prefixed). `None` where no prefix does, or several do: a fingerprint of part
    /// of the settings, or of the wrong copy, would hide drift.
    fn variables_of<'a>(&'a self, names: &'a [String]) -> Option<Vec<(&'a str, &'a Resolved)>> {
        let under = |prefix: &str, name: &str| -> Option<&'a Resolved> {
            let full = if name == ENVIRONMENT_VARIABLE {
                name.to_owned()
            } else {
                format!("{prefix}{name}")
            };
            self.variables.iter().find(|v| v.variable == full)
        };
        let anchor = names.iter().find(|n| *n != ENVIRONMENT_VARIABLE)?;
        let mut found = None;
        for variable in &self.variables {
            let Some(prefix) = variable.variable.strip_suffix(anchor.as_str()) else {
                continue;
            };
            let all: Option<Vec<(&str, &Resolved)>> = names
                .iter()
                .map(|name| Some((name.as_str(), under(prefix, name)?)))
                .collect();
            if let Some(all) = all {
                if found.is_some() {
                    return None;
                }
                found = Some(all);
            }
        }
        found
    }

    /// The effective configuration as an operator reads it: the environment, one line a
    /// variable (`NAME = value  [origin]`, secrets redacted), then the warnings.
    pub fn describe(&self) -> String {
        let mut text = format!("environment: {}\n", self.environment);
        for variable in &self.variables {
            match &variable.rendered {
                Some(value) => text.push_str(&format!(
                    "  {} = {}  [{}]\n",
                    variable.variable,
                    crate::report::escape_controls(value),
                    crate::report::escape_controls(&variable.origin.to_string())
                )),
                None => text.push_str(&format!("  {}  (unset)\n", variable.variable)),
            }
        }
        for warning in &self.warnings {
            text.push_str(&format!("warning: {warning}\n"));
        }
        text
    }
}

fn emit_warnings(warnings: &[Warning]) {
    for warning in warnings {
        tracing::warn!(variable = %warning.variable, "{}", warning.message);
    }
}
