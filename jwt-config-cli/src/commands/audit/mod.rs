//! `audit`: every service instance of a fleet's manifests, Compose files and env files, each
//! loaded with the schema's full rules, then all compared: which shared settings the services
//! disagree on, whether every verifier verifies every signer's key, and what to fix first.
//!
//! In three steps: loading (`load`: instances to `Audited`), analysis (`analysis`: the
//! `AuditReport` of setting groups, key gaps and the conclusion), rendering (`text`,
//! `markdown`, and JSON serialized from the report itself).

mod analysis;
mod ci;
mod load;
mod markdown;
mod rollout;
mod text;

use std::io::Write;

use jwt_config::agreement::KeyView;
use jwt_config::{Config, Environment, HasJwtConfig, JwtConfig, Warning, WarningKind};

use super::Outcome;
use super::report::{clean, report_unreadable, to_json};
use crate::args::{AuditArgs, Format};
use crate::fleet;
use crate::style::Style;
use crate::{EXIT_OK, EXIT_PROBLEMS};
pub(crate) use analysis::AuditReport;
pub(crate) use load::{Audited, Status, audit_one, env_file, schema_names};
pub(crate) use rollout::JwtOf;

/// How many services a line of text names before "(+N more)".
const NAMED_IN_TEXT: usize = 5;

/// `audit`: every instance of the inputs, loaded and compared; with `--before` and `--after`,
/// a rollout between two fleets (a schema that holds the JWT settings only: `jwt_of`).
pub(crate) fn audit<T: Config>(
    args: &AuditArgs,
    keys_of: Option<fn(&T) -> KeyView>,
    jwt_of: Option<JwtOf<T>>,
    style: Style,
    out: &mut dyn Write,
) -> Outcome {
    if !args.before.is_empty() {
        let Some(jwt_of) = jwt_of else {
            let message = "a rollout (--before, --after) is judged on the JWT settings: this schema holds no JwtConfig (use `run_with_keys`)";
            return Err(super::UsageError::new(message.to_owned()));
        };
        return audit_rollout(args, jwt_of, style, out);
    }
    let fleet = match fleet::read_inputs(&args.inputs) {
        Ok(fleet) => fleet,
        Err(error) => return report_unreadable(&error, args.format, out),
    };
    let audited = load_fleet::<T>(fleet.instances, args);
    let mut report = AuditReport::new(&audited, fleet.skipped, keys_of, args.strict);
    report.repeated_directories = fleet.repeated_directories;
    write_report(&report, args, style, out)
}

fn write_report(
    report: &AuditReport,
    args: &AuditArgs,
    style: Style,
    out: &mut dyn Write,
) -> Outcome {
    match args.format {
        Format::Json => writeln!(out, "{}", to_json(report))?,
        Format::Text => text::write_text(report, style, out)?,
        Format::Markdown => markdown::write_markdown(report, out)?,
        Format::Sarif => ci::write_sarif(report, out)?,
        Format::Junit => ci::write_junit(report, args.strict, out)?,
    }
    Ok(if report.passed {
        EXIT_OK
    } else {
        EXIT_PROBLEMS
    })
}

/// Every instance loaded with the schema's rules.
fn load_fleet<T: Config>(instances: Vec<fleet::Instance>, args: &AuditArgs) -> Vec<Audited<T>> {
    let schema_names = load::schema_names::<T>();
    instances
        .into_iter()
        .map(|instance| load::audit_one::<T>(instance, args.environment, &schema_names))
        .collect()
}

/// `audit --before OLD... --after NEW...`.
fn audit_rollout<T: Config>(
    args: &AuditArgs,
    jwt_of: JwtOf<T>,
    style: Style,
    out: &mut dyn Write,
) -> Outcome {
    let mut fleets = Vec::with_capacity(2);
    for inputs in [&args.before, &args.after] {
        match fleet::read_inputs(inputs) {
            Ok(fleet) => fleets.push(load_fleet::<T>(fleet.instances, args)),
            Err(error) => return report_unreadable(&error, args.format, out),
        }
    }
    let report = rollout::RolloutReport::new(&fleets[0], &fleets[1], jwt_of);
    write_rollout(&report, args.format, style, out)
}

fn write_rollout(
    report: &rollout::RolloutReport,
    format: Format,
    style: Style,
    out: &mut dyn Write,
) -> Outcome {
    match format {
        Format::Json => writeln!(out, "{}", to_json(report))?,
        Format::Text => text::write_rollout(report, style, out)?,
        Format::Markdown => markdown::write_rollout(report, out)?,
        Format::Sarif | Format::Junit => {
            let message = "a rollout (--before, --after) is written as text, json or markdown";
            return Err(super::UsageError::new(message.to_owned()));
        }
    }
    Ok(if report.passed {
        EXIT_OK
    } else {
        EXIT_PROBLEMS
    })
}

/// One schema of a fleet of several: its name, and each workload it owns loaded with its full
/// rules, then seen as the shared [`JwtConfig`] it flattens.
pub(crate) struct SchemaEntry {
    pub(crate) name: String,
    pub(crate) load: fn(fleet::Instance, Option<Environment>) -> Audited<JwtConfig>,
}

/// [`SchemaEntry::load`] of schema `T`.
pub(crate) fn load_as<T: Config + HasJwtConfig>(
    instance: fleet::Instance,
    environment: Option<Environment>,
) -> Audited<JwtConfig> {
    let names = load::schema_names::<T>();
    load::audit_one::<T>(instance, environment, &names).narrowed()
}

/// `audit` over workloads of several schemas: each workload loaded with the schema `select`
/// names (its own required settings, unknown and near-miss names, aliases), the shared
/// `JwtConfig` settings and keys compared across all of them. A workload no schema owns is
/// loaded as `JwtConfig` with a warning (a failure under `--strict`).
pub(crate) fn audit_schemas(
    args: &AuditArgs,
    schemas: &[SchemaEntry],
    select: &dyn Fn(&fleet::Instance) -> Option<String>,
    style: Style,
    out: &mut dyn Write,
) -> Outcome {
    let load = |instances: Vec<fleet::Instance>| -> Vec<Audited<JwtConfig>> {
        instances
            .into_iter()
            .map(|instance| load_selected(instance, args.environment, schemas, select))
            .collect()
    };
    if !args.before.is_empty() {
        let mut fleets = Vec::with_capacity(2);
        for inputs in [&args.before, &args.after] {
            match fleet::read_inputs(inputs) {
                Ok(fleet) => fleets.push(load(fleet.instances)),
                Err(error) => return report_unreadable(&error, args.format, out),
            }
        }
        let report = rollout::RolloutReport::new(&fleets[0], &fleets[1], |jwt| jwt);
        return write_rollout(&report, args.format, style, out);
    }
    let fleet = match fleet::read_inputs(&args.inputs) {
        Ok(fleet) => fleet,
        Err(error) => return report_unreadable(&error, args.format, out),
    };
    let audited = load(fleet.instances);
    let keys_of: fn(&JwtConfig) -> KeyView = JwtConfig::key_view;
    let mut report = AuditReport::new(&audited, fleet.skipped, Some(keys_of), args.strict);
    report.repeated_directories = fleet.repeated_directories;
    write_report(&report, args, style, out)
}

/// A workload loaded with the schema `select` names; one no schema owns as `JwtConfig`, with
/// a warning that says how to name its schema.
fn load_selected(
    instance: fleet::Instance,
    environment: Option<Environment>,
    schemas: &[SchemaEntry],
    select: &dyn Fn(&fleet::Instance) -> Option<String>,
) -> Audited<JwtConfig> {
    let wanted = select(&instance);
    match schemas.iter().find(|s| Some(&s.name) == wanted.as_ref()) {
        Some(schema) => (schema.load)(instance, environment),
        None => {
            let names: Vec<&str> = schemas.iter().map(|s| s.name.as_str()).collect();
            let mut audited = load_as::<JwtConfig>(instance, environment);
            let why = match wanted {
                Some(name) => format!(
                    "names schema {:?}, which this audit does not have",
                    clean(&name)
                ),
                None => "matches no schema".to_owned(),
            };
            audited.warnings.push(Warning::new(
                "jwt-config/schema",
                WarningKind::Notice,
                format!(
                    "the workload {why} (schemas: {}): checked as JwtConfig alone, so its own settings are not; label it `jwt-config/schema: NAME`",
                    names.join(", ")
                ),
            ));
            audited
        }
    }
}

/// Up to [`NAMED_IN_TEXT`] names, then how many more.
pub(crate) fn named(services: &[String]) -> String {
    let shown: Vec<String> = services
        .iter()
        .take(NAMED_IN_TEXT)
        .map(|s| clean(s).into_owned())
        .collect();
    let more = services.len().saturating_sub(NAMED_IN_TEXT);
    if more > 0 {
        format!("{} (+{more} more)", shown.join(", "))
    } else {
        shown.join(", ")
    }
}
