//! `check`: load as a service would and print the effective configuration, or every problem.

use std::io::{self, Write};

use jwt_config::{
    Config, ConfigError, Environment, Layered, Loaded, MapSource, ProcessEnv, Source as _,
    schema_fingerprint_of, vars,
};
use serde::Serialize;

use super::environment::{Asserted, assert_environment, supplied_warning};
use super::report::{
    ProblemJson, VariableJson, WarningJson, clean, origin_text, problem_text, report_unreadable,
    to_json, warning_text,
};
use super::{Outcome, env_file};
use crate::args::{CheckArgs, Format, SourceArgs};
use crate::style::Style;
use crate::{EXIT_OK, EXIT_PROBLEMS};

const REDACTED: &str = "[redacted]";

/// `check`: the files layered (later ones win, the process environment over them unless
/// `--no-process-env`), under `--environment`.
pub(crate) fn check<T: Config>(args: &CheckArgs, style: Style, out: &mut dyn Write) -> Outcome {
    let layers = match layers(&args.source) {
        Ok(layers) => layers,
        Err(error) => return report_unreadable(&error, args.format, out),
    };
    let result = load::<T>(&layers, args.source.environment);
    let report = CheckReport::new::<T>(&result);
    match args.format {
        Format::Json => writeln!(out, "{}", to_json(&report))?,
        // Markdown is refused when the command line is parsed (`text_or_json`).
        Format::Text | Format::Markdown | Format::Sarif | Format::Junit => {
            write_check_text(&report, style, out)?
        }
    }
    let strict_failure = args.strict && !report.warnings.is_empty();
    Ok(if report.valid && !strict_failure {
        EXIT_OK
    } else {
        EXIT_PROBLEMS
    })
}

/// The sources of `check` and `keys`. One precedence order (Layered's): each layer overrides
/// the ones before it, so later files override earlier ones and the process environment
/// overrides them all.
pub(crate) fn layers(source: &SourceArgs) -> Result<Layered, super::UsageError> {
    let mut layers = Layered::new();
    if let Some(environment) = source.environment {
        // The lowest layer: `--environment` supplies ENVIRONMENT to this check where nothing
        // sets it (with a warning that the service must), and is checked against it where
        // something does.
        layers = layers.over(
            MapSource::new()
                .with(vars::ENVIRONMENT, environment.as_str())
                .named(FLAG_LAYER),
        );
    }
    for path in &source.env_files {
        layers = layers.over(env_file(
            path,
            source.no_process_env,
            &source.allow_file_dirs,
        )?);
    }
    if !source.no_process_env {
        layers = layers.over(ProcessEnv);
    }
    Ok(layers)
}

/// Where the `--environment` layer says it comes from.
const FLAG_LAYER: &str = "--environment";

/// Loads as a service would, `--environment` asserted (the one rule of `environment.rs`):
/// another value set is a problem; a value only the flag supplies is a warning that the
/// deployed service must set it.
pub(crate) fn load<T: Config>(
    layers: &Layered,
    environment: Option<Environment>,
) -> Result<Loaded<T>, ConfigError> {
    let result = T::load_with_report(layers);
    let Some(expected) = environment else {
        return result;
    };
    let location = layers.location(vars::ENVIRONMENT);
    let from_flag = location.as_ref().is_some_and(|l| l.source == FLAG_LAYER);
    let text = layers
        .get(vars::ENVIRONMENT)
        .filter(|_| !from_flag)
        .map(|value| value.to_string_lossy().into_owned());
    let (extra_problem, extra_warning) =
        match assert_environment(text.as_deref(), location.map(|l| l.to_string()), expected) {
            Asserted::Agrees => return result,
            Asserted::Conflict(problem) => (Some(problem), None),
            Asserted::NotSet => (None, Some(supplied_warning(expected))),
        };
    match (result, extra_problem) {
        (Ok(mut loaded), None) => {
            loaded.warnings.extend(extra_warning);
            Ok(loaded)
        }
        (result, problem) => {
            let (mut problems, mut warnings) = match result {
                Ok(loaded) => (Vec::new(), loaded.warnings),
                Err(error) => (error.problems().to_vec(), error.warnings().to_vec()),
            };
            problems.splice(0..0, problem);
            warnings.extend(extra_warning);
            Err(ConfigError::new(problems, warnings))
        }
    }
}

/// What `check` reports, for people (text) and programs (JSON) alike.

#[derive(Serialize)]
struct CheckReport {
    valid: bool,
    schema: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    environment: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    variables: Option<Vec<VariableJson>>,
    problems: Vec<ProblemJson>,
    warnings: Vec<WarningJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fingerprint: Option<String>,
    schema_fingerprint: String,
}

impl CheckReport {
    fn new<T: Config>(result: &Result<Loaded<T>, ConfigError>) -> Self {
        let schema_fingerprint = schema_fingerprint_of::<T>();
        match result {
            Ok(loaded) => CheckReport {
                valid: true,
                schema: T::SCHEMA.name(),
                environment: Some(loaded.environment.as_str()),
                variables: Some(loaded.variables.iter().map(VariableJson::from).collect()),
                problems: Vec::new(),
                warnings: loaded.warnings.iter().map(WarningJson::from).collect(),
                fingerprint: loaded.fingerprint(),
                schema_fingerprint,
            },
            Err(error) => CheckReport {
                valid: false,
                schema: T::SCHEMA.name(),
                environment: None,
                variables: None,
                problems: error.problems().iter().map(ProblemJson::from).collect(),
                warnings: error.warnings().iter().map(WarningJson::from).collect(),
                fingerprint: None,
                schema_fingerprint,
            },
        }
    }
}

fn write_check_text(report: &CheckReport, style: Style, out: &mut dyn Write) -> io::Result<()> {
    if report.valid {
        writeln!(out, "{} {}", style.good("valid"), report.schema)?;
        writeln!(
            out,
            "environment: {}",
            report.environment.unwrap_or_default()
        )?;
        for variable in report.variables.iter().flatten() {
            let shown = match (&variable.value, variable.secret, variable.set) {
                (_, _, false) => {
                    writeln!(out, "  {}  (unset)", clean(&variable.name))?;
                    continue;
                }
                (_, true, true) => REDACTED.to_owned(),
                (value, false, true) => clean(value.as_deref().unwrap_or_default()).into_owned(),
            };
            writeln!(
                out,
                "  {} = {shown}  [{}]",
                clean(&variable.name),
                origin_text(&variable.origin)
            )?;
        }
    } else {
        let count = report.problems.len();
        writeln!(
            out,
            "{} {}: {count} problem{}",
            style.bad("invalid"),
            report.schema,
            if count == 1 { "" } else { "s" }
        )?;
        for problem in &report.problems {
            writeln!(
                out,
                "  {} {}",
                style.bad("problem"),
                problem_text(problem, style)
            )?;
        }
    }
    for warning in &report.warnings {
        writeln!(
            out,
            "{}{}: {}",
            if report.valid { "" } else { "  " },
            style.warn("warning"),
            warning_text(warning)
        )?;
    }
    if let Some(fingerprint) = &report.fingerprint {
        writeln!(out, "effective fingerprint: {fingerprint}")?;
    }
    if report.valid {
        writeln!(out, "schema fingerprint: {}", report.schema_fingerprint)?;
    }
    Ok(())
}
