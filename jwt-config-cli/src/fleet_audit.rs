//! [`FleetAudit`]: `audit` over a fleet whose services each load their own struct.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt;
use std::io::Write;

use jwt_config::{Config, HasJwtConfig};

use crate::args::Command;
use crate::commands::{self, SchemaEntry};
use crate::{EXIT_USAGE, fleet, style};

/// The label or annotation that names a workload's schema: `jwt-config/schema: auth`.
pub const SCHEMA_LABEL: &str = "jwt-config/schema";

/// A workload as the rule that maps it to a schema sees it.
#[derive(Debug)]
#[non_exhaustive]
pub struct Workload<'a> {
    /// Its own name: a Kubernetes object's `metadata.name`, a Compose service, an env file's
    /// service.
    pub name: &'a str,
    /// How the report names it (`shop/deployment/auth`, `:container` in a pod of several).
    pub instance: &'a str,
    /// The labels and annotations of the workload and its pod template (a Compose service's
    /// `labels`).
    pub labels: &'a BTreeMap<String, String>,
}

type Select = Box<dyn Fn(&Workload<'_>) -> Option<String>>;

/// `audit` for a fleet of services that each load their own struct (each flattening
/// [`JwtConfig`](jwt_config::JwtConfig), prefixed or not): every workload is loaded with its
/// own schema's full rules (its required settings, its unknown and near-miss names, its
/// aliases and `_FILE` variables), and the shared JWT settings and keys are compared across
/// all of them as `jwt-config audit` compares them. The command line is `audit`'s.
///
/// A workload's schema is named by its label or annotation [`SCHEMA_LABEL`], else by its
/// name; [`FleetAudit::select`] sets another rule. A workload that no schema owns is checked
/// as `JwtConfig` alone, with a warning (a failure under `--strict`).
///
/// ```no_run
/// # use jwt_config::{Config, JwtConfig};
/// // Each flattens JwtConfig: the derive implements `HasJwtConfig`.
/// # #[derive(Config)] struct AuthConfig { #[config(flatten)] jwt: JwtConfig }
/// # #[derive(Config)] struct BackendConfig { #[config(flatten)] jwt: JwtConfig }
/// let code = jwt_config_cli::FleetAudit::new()
///     .schema::<AuthConfig>("auth")
///     .schema::<BackendConfig>("backend")
///     .run(std::env::args_os(), &mut std::io::stdout(), &mut std::io::stderr(), false);
/// std::process::exit(code.into());
/// ```
pub struct FleetAudit {
    schemas: Vec<SchemaEntry>,
    /// `None`: the label, else the workload's name where a schema has it.
    select: Option<Select>,
}

impl fmt::Debug for FleetAudit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.schemas.iter().map(|s| s.name.as_str()).collect();
        f.debug_struct("FleetAudit")
            .field("schemas", &names)
            .finish_non_exhaustive()
    }
}

impl Default for FleetAudit {
    fn default() -> Self {
        FleetAudit::new()
    }
}

impl FleetAudit {
    /// No schema yet; workloads named by [`SCHEMA_LABEL`], else by their name.
    pub fn new() -> Self {
        FleetAudit {
            schemas: Vec::new(),
            select: None,
        }
    }

    /// Schema `T` for the workloads the rule maps to `name`.
    pub fn schema<T: Config + HasJwtConfig>(mut self, name: impl Into<String>) -> Self {
        self.schemas.push(SchemaEntry {
            name: name.into(),
            load: commands::load_as::<T>,
        });
        self
    }

    /// The rule that maps a workload to the name of its schema (`None`: no schema).
    pub fn select(mut self, rule: impl Fn(&Workload<'_>) -> Option<String> + 'static) -> Self {
        self.select = Some(Box::new(rule));
        self
    }

    /// The label [`SCHEMA_LABEL`], else the workload's name where a schema has that name.
    fn default_schema(&self, workload: &Workload<'_>) -> Option<String> {
        if let Some(named) = workload.labels.get(SCHEMA_LABEL) {
            return Some(named.clone());
        }
        self.schemas
            .iter()
            .find(|s| s.name == workload.name)
            .map(|s| s.name.clone())
    }

    /// Runs the command line `args` (the program name first; then `audit` and its
    /// arguments). Exit codes as `jwt-config audit`'s: 0, 1, 2.
    pub fn run(
        &self,
        args: impl IntoIterator<Item = impl Into<OsString> + Clone>,
        stdout: &mut dyn Write,
        stderr: &mut dyn Write,
        colour: bool,
    ) -> u8 {
        let cli = match crate::parse(args, stdout, stderr) {
            Ok(cli) => cli,
            Err(code) => return code,
        };
        let Command::Audit(args) = cli.command else {
            let _ = writeln!(
                stderr,
                "jwt-config: this fleet audit runs `audit` only (its schemas: {})",
                self.schemas
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            return EXIT_USAGE;
        };
        let select = |instance: &fleet::Instance| {
            let workload = Workload {
                name: &instance.workload,
                instance: &instance.name,
                labels: &instance.labels,
            };
            match &self.select {
                Some(rule) => rule(&workload),
                None => self.default_schema(&workload),
            }
        };
        let outcome = commands::audit_schemas(
            &args,
            &self.schemas,
            &select,
            style::Style::new(colour),
            stdout,
        );
        crate::finish(outcome, stderr)
    }
}
