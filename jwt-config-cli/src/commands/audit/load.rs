//! Loading: each instance of the inputs, loaded with the schema's rules and `--environment`
//! asserted, as an [`Audited`].

use std::collections::BTreeSet;

use jwt_config::{
    Config, ConfigError, EnvFile, Environment, HasJwtConfig, JwtConfig, Loaded, Problem,
    ProblemKind, Source as _, Warning, WarningKind, vars,
};
use serde::Serialize;

use crate::commands::environment::assert_deployed;
use crate::fleet::{Instance, Unchecked};

/// Every name a variable of the schema may be set by (canonical, aliases, `_FILE`).
pub(crate) fn schema_names<T: Config>() -> Vec<String> {
    T::SCHEMA
        .variables()
        .into_iter()
        .flat_map(|v| {
            std::iter::once(v.name)
                .chain(v.aliases)
                .chain(v.file_variable)
        })
        .collect()
}

/// One instance after loading.
pub(crate) struct Audited<T> {
    pub(crate) name: String,
    pub(crate) input: String,
    pub(crate) status: Status,
    pub(crate) loaded: Option<Loaded<T>>,
    pub(crate) problems: Vec<Problem>,
    pub(crate) warnings: Vec<Warning>,
    pub(crate) unchecked: Vec<Unchecked>,
    /// Variables set in its own definition, over the shared objects.
    pub(crate) own: BTreeSet<String>,
}

#[derive(Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Status {
    /// Loads, every rule holds.
    Valid,
    /// Does not load, or will not start.
    Invalid,
    /// Loads but for values supplied at deploy time.
    Incomplete,
    /// A container of a pod of several that sets nothing of the schema: not a service.
    Sidecar,
}

impl Status {
    pub(crate) fn word(self) -> &'static str {
        match self {
            Status::Valid => "valid",
            Status::Invalid => "invalid",
            Status::Incomplete => "not checked",
            Status::Sidecar => "skipped",
        }
    }
}

pub(crate) fn audit_one<T: Config>(
    mut instance: Instance,
    environment: Option<Environment>,
    schema_names: &[String],
) -> Audited<T> {
    let open = instance.unchecked.iter().any(|u| u.variable.is_none());
    let sets_schema = instance
        .source
        .names()
        .any(|name| schema_names.iter().any(|s| s == name));
    if instance.sidecar_candidate && !sets_schema && !open {
        return Audited {
            name: instance.name,
            input: instance.input,
            status: Status::Sidecar,
            loaded: None,
            problems: Vec::new(),
            warnings: Vec::new(),
            unchecked: instance.unchecked,
            own: Default::default(),
        };
    }
    let mut problems = std::mem::take(&mut instance.problems);
    if let Some(expected) = environment {
        assert_instance_environment(&instance, expected, &mut problems);
    }
    let result: Result<Loaded<T>, ConfigError> = T::load_with_report(&instance.source);
    let audited = Audited {
        name: std::mem::take(&mut instance.name),
        input: std::mem::take(&mut instance.input),
        status: Status::Invalid,
        loaded: None,
        problems,
        warnings: Vec::new(),
        unchecked: instance.unchecked.clone(),
        own: instance.source.own().clone(),
    };
    let mut audited = settle(audited, result, |p| instance.explains(p));
    near_misses::<T>(&mut audited);
    audited
}

/// A name the workload sets in its own definition that the schema does not read but nearly
/// does (`BACKEND_ULR`): a warning, whatever the name's family. A load warns only of names of
/// the schema's families; a manifest is where such typos are made.
fn near_misses<T: Config>(audited: &mut Audited<T>) {
    for name in &audited.own {
        let said = audited.warnings.iter().any(|w| w.variable() == name);
        if said {
            continue;
        }
        if let Some(message) = T::SCHEMA.near_miss(name) {
            let warning = Warning::new(name.clone(), WarningKind::UnknownVariable, message);
            audited.warnings.push(warning);
        }
    }
}

/// One env file as an instance of its own (`diff`'s two inputs), loaded by the caller (which
/// reads its `NAME_FILE` variables, unlike a fleet's), `--environment` asserted as for every
/// instance of a fleet.
pub(crate) fn env_file<T: Config>(
    name: String,
    file: &EnvFile,
    environment: Option<Environment>,
) -> Audited<T> {
    let mut problems = Vec::new();
    if let Some(expected) = environment {
        let place = file.location(vars::ENVIRONMENT).map(|l| l.to_string());
        // Set to bytes that are not UTF-8: the schema's own problem, not "not set".
        let text = file
            .get(vars::ENVIRONMENT)
            .map(|value| value.to_str().unwrap_or_default().to_owned());
        problems.extend(assert_deployed(text.as_deref(), place, expected, false));
    }
    let result = T::load_with_report(file);
    settle(
        Audited {
            input: name.clone(),
            name,
            status: Status::Invalid,
            loaded: None,
            problems,
            warnings: Vec::new(),
            unchecked: Vec::new(),
            own: BTreeSet::new(),
        },
        result,
        |_| false,
    )
}

/// An instance with the problems found before loading (`audited.problems`) and the load's
/// `result`: its status, problems and warnings. `explains` says which load problems come
/// from values the inputs do not hold (not checked, rather than invalid).
fn settle<T>(
    mut audited: Audited<T>,
    result: Result<Loaded<T>, ConfigError>,
    explains: impl Fn(&Problem) -> bool,
) -> Audited<T> {
    let (loaded, load_problems, warnings) = match result {
        Ok(loaded) => {
            let warnings = loaded.warnings.clone();
            (Some(loaded), Vec::new(), warnings)
        }
        Err(error) => (None, error.problems().to_vec(), error.warnings().to_vec()),
    };
    let explained = load_problems.iter().any(&explains);
    // The flag's own "not set" says why and how to fix it; the schema's would repeat it.
    let said = |p: &Problem| {
        p.variable() == vars::ENVIRONMENT
            && p.kind() == ProblemKind::Missing
            && audited
                .problems
                .iter()
                .any(|q| q.variable() == vars::ENVIRONMENT)
    };
    let load_problems: Vec<Problem> = load_problems.into_iter().filter(|p| !said(p)).collect();
    audited
        .problems
        .extend(load_problems.into_iter().filter(|p| !explains(p)));
    audited.status = match (&loaded, audited.problems.is_empty()) {
        (_, false) => Status::Invalid,
        (Some(_), true) => Status::Valid,
        (None, true) if explained => Status::Incomplete,
        (None, true) => Status::Invalid,
    };
    audited.loaded = loaded.filter(|_| audited.status == Status::Valid);
    audited.warnings = warnings;
    audited
}

/// `--environment E` asserts and never supplies (the one rule of `environment.rs`): a value
/// set to another environment is a problem, and an instance that sets none starts without
/// one, whatever the flag says. Where an object not in the input may set it, it is unknown.
fn assert_instance_environment(
    instance: &Instance,
    expected: Environment,
    problems: &mut Vec<Problem>,
) {
    let place = instance
        .source
        .location(vars::ENVIRONMENT)
        .map(|l| l.to_string());
    // Set to bytes that are not UTF-8: the schema's own problem, not "not set".
    let text = instance
        .source
        .bytes(vars::ENVIRONMENT)
        .map(|bytes| std::str::from_utf8(bytes).unwrap_or_default());
    let unknown = instance
        .unchecked
        .iter()
        .any(|u| u.variable.is_none() || u.variable.as_deref() == Some(vars::ENVIRONMENT));
    problems.extend(assert_deployed(text, place, expected, unknown));
}

impl<T: HasJwtConfig> Audited<T> {
    /// The instance as the shared `JwtConfig` it flattens: its own problems and warnings
    /// kept, its load narrowed to the JWT settings (compared across schemas by their names in
    /// `JwtConfig`, whatever prefix each schema reads them under).
    pub(crate) fn narrowed(self) -> Audited<JwtConfig> {
        let was_loaded = self.loaded.is_some();
        let loaded = self
            .loaded
            .and_then(|loaded| loaded.narrowed(|value| value.jwt_config().clone()));
        let mut problems = self.problems;
        let mut status = self.status;
        // Loaded, but its JWT settings are under no one prefix: they cannot be compared, and
        // a service whose settings are not compared is never called agreeing.
        if was_loaded && loaded.is_none() {
            status = Status::Invalid;
            problems.push(Problem::new(
                "jwt-config/schema",
                ProblemKind::Rule,
                "its schema holds the JWT settings under several prefixes (or none in full): the shared settings cannot be compared with the fleet's; audit it with a schema that flattens JwtConfig once",
            ));
        }
        Audited {
            name: self.name,
            input: self.input,
            status,
            loaded,
            problems,
            warnings: self.warnings,
            unchecked: self.unchecked,
            own: self.own,
        }
    }
}
