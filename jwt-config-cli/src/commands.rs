//! The subcommands. Each loads through the library's own loader, so a check sees exactly
//! what a service would.

use std::io::{self, Write};
use std::path::Path;

use jwt_config::{
    Config, ConfigError, EnvFile, Environment, Layered, Loaded, MapSource, Problem, ProblemKind,
    ProcessEnv, Resolved, Source as _, Substitution, Variable, schema_fingerprint_of,
};
use serde_json::{Value, json};

use crate::args::{CheckArgs, DiffArgs, Format, TemplateArgs};
use crate::style::Style;
use crate::{EXIT_OK, EXIT_PROBLEMS};

/// A failure that is neither a problem of the configuration nor a difference: exit 2.
#[derive(Debug)]
pub struct UsageError(String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<io::Error> for UsageError {
    fn from(error: io::Error) -> Self {
        UsageError(format!("cannot write the output: {error}"))
    }
}

impl From<ConfigError> for UsageError {
    fn from(error: ConfigError) -> Self {
        UsageError(
            error
                .problems()
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
        )
    }
}

type Outcome = Result<u8, UsageError>;

fn env_file(path: &Path, isolated: bool) -> Result<EnvFile, UsageError> {
    let substitution = if isolated {
        Substitution::Refused
    } else {
        Substitution::ProcessEnvironment
    };
    Ok(EnvFile::load(path, substitution)?)
}

/// `check`: the files layered (later ones win), under the process environment unless
/// `--no-process-env`, under `--environment`.
pub fn check<T: Config>(args: &CheckArgs, style: Style, out: &mut dyn Write) -> Outcome {
    // One precedence order (Layered's): each layer overrides the ones before it, so later
    // files override earlier ones and the process environment overrides them all.
    let mut layers = Layered::new();
    if let Some(environment) = args.environment {
        // The lowest layer: `--environment` supplies ENVIRONMENT where nothing sets it, and
        // is checked against it where something does.
        layers = layers.over(MapSource::new().with("ENVIRONMENT", environment.as_str()));
    }
    for path in &args.env_files {
        layers = layers.over(env_file(path, args.no_process_env)?);
    }
    if !args.no_process_env {
        layers = layers.over(ProcessEnv);
    }
    let result = assert_environment(T::load_with_report(&layers), &layers, args.environment);
    match args.format {
        Format::Json => writeln!(out, "{:#}", check_json::<T>(&result))?,
        Format::Text => write_check_text::<T>(&result, style, out)?,
    }
    Ok(if result.is_ok() {
        EXIT_OK
    } else {
        EXIT_PROBLEMS
    })
}

/// `--environment E` asserts: an `ENVIRONMENT` set to another value is a problem, never
/// silently overridden.
fn assert_environment<T>(
    result: Result<Loaded<T>, ConfigError>,
    layers: &Layered,
    expected: Option<Environment>,
) -> Result<Loaded<T>, ConfigError> {
    let Some(expected) = expected else {
        return result;
    };
    let set = layers
        .get("ENVIRONMENT")
        .and_then(|value| value.into_string().ok())
        .and_then(|text| text.parse::<Environment>().ok());
    match set {
        Some(found) if found != expected => {
            let location = layers
                .location("ENVIRONMENT")
                .map_or_else(String::new, |l| format!(" in {l}"));
            let problem = Problem::new(
                "ENVIRONMENT",
                ProblemKind::Conflict,
                format!("is {found}{location}, but --environment says {expected}; make them agree"),
            );
            let (mut problems, warnings) = match result {
                Ok(loaded) => (Vec::new(), loaded.warnings),
                Err(error) => (error.problems().to_vec(), error.warnings().to_vec()),
            };
            problems.insert(0, problem);
            Err(ConfigError::new(problems, warnings))
        }
        _ => result,
    }
}

fn write_check_text<T: Config>(
    result: &Result<Loaded<T>, ConfigError>,
    style: Style,
    out: &mut dyn Write,
) -> io::Result<()> {
    match result {
        Ok(loaded) => {
            writeln!(out, "{} {}", style.good("valid"), T::SCHEMA.name)?;
            write!(out, "{}", loaded.describe())?;
            if let Some(fingerprint) = loaded.fingerprint() {
                writeln!(out, "effective fingerprint: {fingerprint}")?;
            }
            writeln!(out, "schema fingerprint: {}", schema_fingerprint_of::<T>())
        }
        Err(error) => {
            let count = error.problems().len();
            writeln!(
                out,
                "{} {}: {count} problem{}",
                style.bad("invalid"),
                T::SCHEMA.name,
                if count == 1 { "" } else { "s" }
            )?;
            for problem in error.problems() {
                writeln!(
                    out,
                    "  {} {}: {}",
                    style.bad("problem"),
                    style.name(&problem.variable),
                    problem.message
                )?;
            }
            for warning in error.warnings() {
                writeln!(out, "  {} {warning}", style.warn("warning"))?;
            }
            Ok(())
        }
    }
}

fn check_json<T: Config>(result: &Result<Loaded<T>, ConfigError>) -> Value {
    let warnings = |warnings: &[jwt_config::Warning]| -> Vec<Value> {
        warnings.iter().map(|w| json!({"variable": w.variable, "kind": format!("{:?}", w.kind), "message": w.message})).collect()
    };
    match result {
        Ok(loaded) => json!({
            "valid": true,
            "schema": T::SCHEMA.name,
            "environment": loaded.environment.as_str(),
            "variables": loaded.variables.iter().map(resolved_json).collect::<Vec<_>>(),
            "warnings": warnings(&loaded.warnings),
            "fingerprint": loaded.fingerprint(),
            "schema_fingerprint": schema_fingerprint_of::<T>(),
        }),
        Err(error) => json!({
            "valid": false,
            "schema": T::SCHEMA.name,
            "problems": error.problems().iter()
                .map(|p| json!({"variable": p.variable, "kind": format!("{:?}", p.kind), "message": p.message}))
                .collect::<Vec<_>>(),
            "warnings": warnings(error.warnings()),
        }),
    }
}

fn resolved_json(variable: &Resolved) -> Value {
    json!({
        "name": variable.variable,
        "value": variable.rendered,
        "origin": variable.origin.to_string(),
        "secret": variable.secret,
        "per_service": variable.per_service,
    })
}

/// One side of a comparison: the value that counts (a secret's digest) and what to show.
fn compared(variable: Option<&Resolved>) -> (Option<String>, String) {
    match variable {
        None => (None, "(not read)".to_owned()),
        Some(v) if v.secret => (
            v.digest.clone().or_else(|| v.rendered.clone()),
            format!("(secret, {})", v.origin),
        ),
        Some(v) => (
            v.rendered.clone(),
            format!(
                "{}  ({})",
                v.rendered.as_deref().unwrap_or("(unset)"),
                v.origin
            ),
        ),
    }
}

/// `diff`: both files alone, compared by effective value.
pub fn diff<T: Config>(args: &DiffArgs, style: Style, out: &mut dyn Write) -> Outcome {
    let (a, b) = (
        T::load_with_report(&env_file(&args.a, true)?),
        T::load_with_report(&env_file(&args.b, true)?),
    );
    let (a, b) = match (a, b) {
        (Ok(a), Ok(b)) => (a, b),
        (a, b) => return report_invalid_sides::<T>(args, [a.err(), b.err()], style, out),
    };
    let mut names: Vec<&str> = a.variables.iter().map(|v| v.variable.as_str()).collect();
    names.extend(
        b.variables
            .iter()
            .map(|v| v.variable.as_str())
            .filter(|n| !a.variables.iter().any(|v| v.variable == *n)),
    );
    let find = |loaded: &Loaded<T>, name: &str| {
        loaded
            .variables
            .iter()
            .find(|v| v.variable == name)
            .cloned()
    };
    let mut differences = Vec::new();
    let mut per_service = Vec::new();
    for name in names {
        let (left, right) = (find(&a, name), find(&b, name));
        let ((left_value, left_shown), (right_value, right_shown)) =
            (compared(left.as_ref()), compared(right.as_ref()));
        if left_value == right_value {
            continue;
        }
        let secret = left.iter().chain(&right).any(|v| v.secret);
        let entry = json!({"variable": name, "secret": secret, "a": left_shown, "b": right_shown});
        if left.iter().chain(&right).any(|v| v.per_service) {
            per_service.push(entry);
        } else {
            differences.push(entry);
        }
    }
    match args.format {
        Format::Json => writeln!(
            out,
            "{:#}",
            json!({"differ": !differences.is_empty(), "differences": differences, "per_service": per_service})
        )?,
        Format::Text => write_diff_text(args, &differences, &per_service, style, out)?,
    }
    Ok(if differences.is_empty() {
        EXIT_OK
    } else {
        EXIT_PROBLEMS
    })
}

fn write_diff_text(
    args: &DiffArgs,
    differences: &[Value],
    per_service: &[Value],
    style: Style,
    out: &mut dyn Write,
) -> io::Result<()> {
    let (a, b) = (args.a.display().to_string(), args.b.display().to_string());
    let width = a.len().max(b.len());
    for difference in differences {
        let name = difference["variable"].as_str().unwrap_or_default();
        if difference["secret"] == true {
            writeln!(
                out,
                "{} {}: differs (secret)",
                style.bad("differs"),
                style.name(name)
            )?;
            continue;
        }
        writeln!(out, "{} {}", style.bad("differs"), style.name(name))?;
        writeln!(
            out,
            "    {a:<width$}  {}",
            difference["a"].as_str().unwrap_or_default()
        )?;
        writeln!(
            out,
            "    {b:<width$}  {}",
            difference["b"].as_str().unwrap_or_default()
        )?;
    }
    for entry in per_service {
        let name = entry["variable"].as_str().unwrap_or_default();
        let shown = |side: &str| {
            if entry["secret"] == true {
                "(secret)".to_owned()
            } else {
                entry[side].as_str().unwrap_or_default().to_owned()
            }
        };
        writeln!(
            out,
            "per service, not counted: {name}: {} vs {}",
            shown("a"),
            shown("b")
        )?;
    }
    match differences.len() {
        0 => writeln!(out, "{} every shared setting agrees", style.good("same")),
        n => writeln!(
            out,
            "{n} shared setting{} differ{}",
            if n == 1 { "" } else { "s" },
            if n == 1 { "s" } else { "" }
        ),
    }
}

fn report_invalid_sides<T: Config>(
    args: &DiffArgs,
    errors: [Option<ConfigError>; 2],
    style: Style,
    out: &mut dyn Write,
) -> Outcome {
    for (path, error) in [&args.a, &args.b].into_iter().zip(errors) {
        let Some(error) = error else { continue };
        writeln!(
            out,
            "{} {} does not load as {}:",
            style.bad("invalid"),
            path.display(),
            T::SCHEMA.name
        )?;
        for problem in error.problems() {
            writeln!(out, "  {problem}")?;
        }
    }
    Ok(EXIT_PROBLEMS)
}

/// `template`: a commented `.env.example`.
pub fn template<T: Config>(args: &TemplateArgs, out: &mut dyn Write) -> Outcome {
    let environment = args.environment.unwrap_or_default();
    writeln!(
        out,
        "# {} settings for ENVIRONMENT={environment}, generated by `jwt-config template`.",
        T::SCHEMA.name
    )?;
    writeln!(
        out,
        "# Uncommented lines must be set in this environment; commented ones show the default."
    )?;
    for variable in T::SCHEMA.variables() {
        writeln!(out)?;
        write!(out, "{}", template_entry(&variable, environment))?;
    }
    Ok(EXIT_OK)
}

fn template_entry(variable: &Variable, environment: Environment) -> String {
    let var = variable.schema;
    let mut text = String::new();
    for line in var.doc.lines() {
        text.push_str(&format!("# {line}\n"));
    }
    let mut facts = vec![format!("type `{}`", var.ty), var.requirement_text()];
    if !variable.aliases.is_empty() {
        facts.push(format!("legacy alias {}", variable.aliases.join(", ")));
    }
    if let Some(file) = &variable.file_variable {
        facts.push(format!("or {file}=/path/to/file"));
    }
    text.push_str(&format!("# {}\n", facts.join("; ")));
    let value = if var.secret {
        "<secret>".to_owned()
    } else {
        var.default_value().unwrap_or_default()
    };
    let comment = if var.required(environment) { "" } else { "# " };
    text.push_str(&format!("{comment}{}={value}\n", variable.name));
    text
}

/// `docs`: the Markdown reference.
pub fn docs<T: Config>(out: &mut dyn Write) -> Outcome {
    writeln!(out, "# {}\n", T::SCHEMA.name)?;
    if !T::SCHEMA.doc.is_empty() {
        writeln!(out, "{}\n", T::SCHEMA.doc)?;
    }
    write!(out, "{}", T::SCHEMA.markdown())?;
    writeln!(
        out,
        "\nSchema fingerprint: `{}`",
        schema_fingerprint_of::<T>()
    )?;
    Ok(EXIT_OK)
}

/// `schema`: the schema as JSON.
pub fn schema<T: Config>(out: &mut dyn Write) -> Outcome {
    let variables: Vec<Value> = T::SCHEMA
        .variables()
        .iter()
        .map(|variable| {
            let var = variable.schema;
            json!({
                "name": variable.name,
                "field": variable.path,
                "aliases": variable.aliases,
                "file_variable": variable.file_variable,
                "type": var.ty,
                "default": var.default_value(),
                "required": var.presence == jwt_config::Presence::Required,
                "required_in": var.required_in.iter().map(|e| e.as_str()).collect::<Vec<_>>(),
                "secret": var.secret,
                "per_service": var.per_service,
                "range": var.range,
                "min_len": var.min_len,
                "doc": var.doc,
            })
        })
        .collect();
    let schema = json!({"name": T::SCHEMA.name, "doc": T::SCHEMA.doc, "fingerprint": schema_fingerprint_of::<T>(), "variables": variables});
    writeln!(out, "{schema:#}")?;
    Ok(EXIT_OK)
}
