//! The subcommands. Each loads through the library's own loader, so a check sees exactly
//! what a service would.

use std::io::{self, Write};
use std::path::Path;

use jwt_config::{
    Config, ConfigError, EnvFile, Environment, Layered, Loaded, MapSource, Origin, Problem,
    ProblemKind, ProcessEnv, Resolved, Source as _, Substitution, Variable, Warning,
    escape_controls, schema_fingerprint_of,
};
use serde::Serialize;
use serde_json::{Value, json};

const REDACTED: &str = "[redacted]";

use crate::args::{CheckArgs, DiffArgs, Format, TemplateArgs};
use crate::style::Style;
use crate::{EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE};

/// A failure that is neither a problem of the configuration nor a difference: exit 2.
#[derive(Debug, thiserror::Error)]
#[error("{text}")]
pub struct UsageError {
    text: String,
    /// The problems of an input that could not be read (an env file), for JSON output.
    problems: Vec<Problem>,
}

impl From<io::Error> for UsageError {
    fn from(error: io::Error) -> Self {
        UsageError {
            text: format!("cannot write the output: {error}"),
            problems: Vec::new(),
        }
    }
}

impl From<ConfigError> for UsageError {
    fn from(error: ConfigError) -> Self {
        let text = error
            .problems()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ");
        UsageError {
            text,
            problems: error.problems().to_vec(),
        }
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

/// `check`: the files layered (later ones win, the process environment over them unless
/// `--no-process-env`), under `--environment`.
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
        match env_file(path, args.no_process_env) {
            Ok(file) => layers = layers.over(file),
            Err(error) => return report_unreadable(&error, args.format, out),
        }
    }
    if !args.no_process_env {
        layers = layers.over(ProcessEnv);
    }
    let result = assert_environment(T::load_with_report(&layers), &layers, args.environment);
    let report = CheckReport::new::<T>(&result);
    match args.format {
        Format::Json => writeln!(out, "{}", to_json(&report))?,
        Format::Text => write_check_text(&report, style, out)?,
    }
    let strict_failure = args.strict && !report.warnings.is_empty();
    Ok(if report.valid && !strict_failure {
        EXIT_OK
    } else {
        EXIT_PROBLEMS
    })
}

/// An env file that cannot be read: exit 2, as JSON too when JSON was asked for.
fn report_unreadable(error: &UsageError, format: Format, out: &mut dyn Write) -> Outcome {
    if format == Format::Json {
        let problems: Vec<ProblemJson> = error.problems.iter().map(ProblemJson::from).collect();
        let body = serde_json::json!({"valid": false, "input_error": true, "problems": problems});
        writeln!(out, "{body:#}")?;
        return Ok(EXIT_USAGE);
    }
    Err(UsageError {
        text: error.text.clone(),
        problems: Vec::new(),
    })
}

fn to_json(value: &impl Serialize) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| "{}".to_owned())
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
                schema: T::SCHEMA.name,
                environment: Some(loaded.environment.as_str()),
                variables: Some(loaded.variables.iter().map(VariableJson::from).collect()),
                problems: Vec::new(),
                warnings: loaded.warnings.iter().map(WarningJson::from).collect(),
                fingerprint: loaded.fingerprint(),
                schema_fingerprint,
            },
            Err(error) => CheckReport {
                valid: false,
                schema: T::SCHEMA.name,
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

/// A variable's effective value: the value (never a secret's), where it came from.
#[derive(Serialize)]
struct VariableJson {
    name: String,
    /// `None` for a secret or an unset variable.
    value: Option<String>,
    set: bool,
    secret: bool,
    per_service: bool,
    origin: OriginJson,
}

impl From<&Resolved> for VariableJson {
    fn from(variable: &Resolved) -> Self {
        VariableJson {
            name: variable.variable.clone(),
            value: variable.rendered.clone().filter(|_| !variable.secret),
            set: variable.rendered.is_some(),
            secret: variable.secret,
            per_service: variable.per_service,
            origin: OriginJson::from(variable),
        }
    }
}

/// Where a value came from, as data: its kind, the variable that supplied it, the file.
#[derive(Serialize)]
struct OriginJson {
    /// `canonical`, `alias`, `file` (a `_FILE` variable), `default` or `unset`.
    kind: &'static str,
    /// The variable that supplied it (the alias, the `_FILE` variable).
    #[serde(skip_serializing_if = "Option::is_none")]
    variable: Option<String>,
    /// The path a `_FILE` variable points to.
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<String>,
    /// The env file (or `process environment`) that set it, and the line.
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<usize>,
}

impl From<&Resolved> for OriginJson {
    fn from(variable: &Resolved) -> Self {
        let (kind, supplier, path) = match &variable.origin {
            Origin::Canonical => ("canonical", Some(variable.variable.clone()), None),
            Origin::Alias(alias) => ("alias", Some(alias.clone()), None),
            Origin::File { variable, path } => ("file", Some(variable.clone()), Some(path.clone())),
            Origin::Default => ("default", None, None),
            _ => ("unset", None, None),
        };
        OriginJson {
            kind,
            variable: supplier,
            path,
            source: variable.location.as_ref().map(|l| l.source.clone()),
            line: variable.location.as_ref().and_then(|l| l.line),
        }
    }
}

#[derive(Serialize)]
struct ProblemJson {
    variable: String,
    kind: String,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<usize>,
}

impl From<&Problem> for ProblemJson {
    fn from(problem: &Problem) -> Self {
        ProblemJson {
            variable: problem.variable.clone(),
            kind: format!("{:?}", problem.kind),
            message: problem.message.clone(),
            source: problem.location.as_ref().map(|l| l.source.clone()),
            line: problem.location.as_ref().and_then(|l| l.line),
        }
    }
}

#[derive(Serialize)]
struct WarningJson {
    variable: String,
    kind: String,
    message: String,
}

impl From<&Warning> for WarningJson {
    fn from(warning: &Warning) -> Self {
        WarningJson {
            variable: warning.variable.clone(),
            kind: format!("{:?}", warning.kind),
            message: warning.message.clone(),
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
            "{}{}: {}: {}",
            if report.valid { "" } else { "  " },
            style.warn("warning"),
            clean(&warning.variable),
            clean(&warning.message)
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

fn problem_text(problem: &ProblemJson, style: Style) -> String {
    let place = match (&problem.source, problem.line) {
        (Some(source), Some(line)) => format!(" ({} line {line})", clean(source)),
        _ => String::new(),
    };
    format!(
        "{}: {}{place}",
        style.name(&clean(&problem.variable)),
        clean(&problem.message)
    )
}

/// An origin as `check` and `diff` print it: `set`, `from legacy alias X`, `default`, ...
fn origin_text(origin: &OriginJson) -> String {
    // The file and line are in the JSON output; the text stays one short line a variable.
    let variable = origin.variable.as_deref().map(clean).unwrap_or_default();
    match origin.kind {
        "canonical" => "set".to_owned(),
        "alias" => format!("from legacy alias {variable}"),
        "file" => format!(
            "from {variable} ({})",
            clean(origin.path.as_deref().unwrap_or_default())
        ),
        kind => kind.to_owned(),
    }
}

/// Text from a configuration as a terminal may show it (no control characters).
fn clean(text: &str) -> std::borrow::Cow<'_, str> {
    escape_controls(text)
}

/// `diff`: both files alone, compared by effective value.
pub fn diff<T: Config>(args: &DiffArgs, style: Style, out: &mut dyn Write) -> Outcome {
    let mut sides = Vec::new();
    for path in [&args.a, &args.b] {
        match env_file(path, true) {
            Ok(file) => sides.push(T::load_with_report(&file)),
            Err(error) => return report_unreadable(&error, args.format, out),
        }
    }
    let b = sides.pop().expect("two sides");
    let a = sides.pop().expect("two sides");
    let report = DiffReport::new(args, &a, &b);
    match args.format {
        Format::Json => writeln!(out, "{}", to_json(&report))?,
        Format::Text => write_diff_text(&report, style, out)?,
    }
    let strict_failure = args.strict && report.files.iter().any(|f| !f.warnings.is_empty());
    Ok(if report.agree && !strict_failure {
        EXIT_OK
    } else {
        EXIT_PROBLEMS
    })
}

/// What `diff` reports, for people (text) and programs (JSON) alike.
#[derive(Serialize)]
struct DiffReport {
    /// Both files load and every shared setting agrees.
    agree: bool,
    files: [DiffFile; 2],
    /// Shared settings whose effective values differ.
    differences: Vec<DiffEntry>,
    /// Settings of one service (shown, not counted).
    per_service: Vec<DiffEntry>,
    /// Secrets too short to compare without revealing them (set on both sides).
    not_compared: Vec<String>,
    /// Problems of the pair: two files for one service.
    problems: Vec<ProblemJson>,
}

#[derive(Serialize)]
struct DiffFile {
    path: String,
    valid: bool,
    problems: Vec<ProblemJson>,
    warnings: Vec<WarningJson>,
}

#[derive(Serialize)]
struct DiffEntry {
    variable: String,
    secret: bool,
    a: DiffSide,
    b: DiffSide,
}

#[derive(Serialize)]
struct DiffSide {
    set: bool,
    /// `None` for a secret or an unset variable.
    value: Option<String>,
    origin: OriginJson,
}

/// What is compared of one side: a value, a secret's digest, or nothing.
#[derive(PartialEq)]
enum Compared<'a> {
    Unset,
    Value(&'a str),
    Digest(&'a str),
    /// A secret without a digest (too short to compare safely).
    Weak,
}

fn compared(variable: &Resolved) -> Compared<'_> {
    match (&variable.rendered, variable.secret, &variable.digest) {
        (None, _, _) => Compared::Unset,
        (Some(_), true, Some(digest)) => Compared::Digest(digest),
        (Some(_), true, None) => Compared::Weak,
        (Some(value), false, _) => Compared::Value(value),
    }
}

impl DiffSide {
    fn of(variable: &Resolved) -> Self {
        DiffSide {
            set: variable.rendered.is_some(),
            value: variable.rendered.clone().filter(|_| !variable.secret),
            origin: OriginJson::from(variable),
        }
    }
}

impl DiffFile {
    fn new<T>(path: &Path, loaded: &Result<Loaded<T>, ConfigError>) -> Self {
        let (problems, warnings) = match loaded {
            Ok(loaded) => (
                Vec::new(),
                loaded.warnings.iter().map(WarningJson::from).collect(),
            ),
            Err(error) => (
                error.problems().iter().map(ProblemJson::from).collect(),
                error.warnings().iter().map(WarningJson::from).collect(),
            ),
        };
        DiffFile {
            path: path.display().to_string(),
            valid: loaded.is_ok(),
            problems,
            warnings,
        }
    }
}

impl DiffReport {
    fn new<T>(
        args: &DiffArgs,
        a: &Result<Loaded<T>, ConfigError>,
        b: &Result<Loaded<T>, ConfigError>,
    ) -> Self {
        let mut report = DiffReport {
            agree: false,
            files: [DiffFile::new(&args.a, a), DiffFile::new(&args.b, b)],
            differences: Vec::new(),
            per_service: Vec::new(),
            not_compared: Vec::new(),
            problems: Vec::new(),
        };
        if let (Ok(a), Ok(b)) = (a, b) {
            report.compare(a, b);
            report.agree = report.differences.is_empty() && report.problems.is_empty();
        }
        report
    }

    fn compare<T>(&mut self, a: &Loaded<T>, b: &Loaded<T>) {
        for left in &a.variables {
            let Some(right) = b.variables.iter().find(|v| v.variable == left.variable) else {
                continue;
            };
            let (l, r) = (compared(left), compared(right));
            if left.per_service
                && left.variable.ends_with("SERVICE_ID")
                && l == r
                && l != Compared::Unset
            {
                self.problems.push(ProblemJson::from(&Problem::new(
                    left.variable.clone(),
                    ProblemKind::Conflict,
                    "is the same in both files: two services never share an id (a copied env file?)",
                )));
            }
            if l == Compared::Weak && r == Compared::Weak {
                self.not_compared.push(left.variable.clone());
                continue;
            }
            if l == r {
                continue;
            }
            let entry = DiffEntry {
                variable: left.variable.clone(),
                secret: left.secret,
                a: DiffSide::of(left),
                b: DiffSide::of(right),
            };
            if left.per_service {
                self.per_service.push(entry);
            } else {
                self.differences.push(entry);
            }
        }
    }
}

fn write_diff_text(report: &DiffReport, style: Style, out: &mut dyn Write) -> io::Result<()> {
    for file in report.files.iter().filter(|f| !f.valid) {
        writeln!(
            out,
            "{} {} does not load:",
            style.bad("invalid"),
            clean(&file.path)
        )?;
        for problem in &file.problems {
            writeln!(out, "  {}", problem_text(problem, style))?;
        }
    }
    if report.files.iter().any(|f| !f.valid) {
        return Ok(());
    }
    let [a, b] = [&report.files[0].path, &report.files[1].path].map(|p| clean(p).into_owned());
    let width = a.len().max(b.len());
    for difference in &report.differences {
        let name = style.name(&clean(&difference.variable));
        if difference.secret {
            let text = match (difference.a.set, difference.b.set) {
                (true, false) => format!("set in {a}, unset in {b}"),
                (false, true) => format!("unset in {a}, set in {b}"),
                _ => "the two values differ".to_owned(),
            };
            writeln!(out, "{} {name} (secret): {text}", style.bad("differs"))?;
            continue;
        }
        writeln!(out, "{} {name}", style.bad("differs"))?;
        writeln!(out, "    {a:<width$}  {}", side_text(&difference.a))?;
        writeln!(out, "    {b:<width$}  {}", side_text(&difference.b))?;
    }
    for entry in &report.per_service {
        let shown = |side: &DiffSide| {
            if entry.secret {
                if side.set { "(secret, set)" } else { "(unset)" }.to_owned()
            } else {
                side_text(side)
            }
        };
        writeln!(
            out,
            "per service, not counted: {}: {} vs {}",
            clean(&entry.variable),
            shown(&entry.a),
            shown(&entry.b)
        )?;
    }
    for name in &report.not_compared {
        writeln!(
            out,
            "not compared: {} (a secret shorter than 32 bytes on both sides gets no digest)",
            clean(name)
        )?;
    }
    for problem in &report.problems {
        writeln!(
            out,
            "{} {}",
            style.bad("problem"),
            problem_text(problem, style)
        )?;
    }
    for file in &report.files {
        for warning in &file.warnings {
            writeln!(
                out,
                "{} {}: {}: {}",
                style.warn("warning"),
                clean(&file.path),
                clean(&warning.variable),
                clean(&warning.message)
            )?;
        }
    }
    match report.differences.len() {
        0 if report.problems.is_empty() => {
            writeln!(out, "{} every shared setting agrees", style.good("same"))
        }
        0 => writeln!(out, "the files have problems as a pair"),
        n => writeln!(
            out,
            "{n} shared setting{} differ{}",
            if n == 1 { "" } else { "s" },
            if n == 1 { "s" } else { "" }
        ),
    }
}

fn side_text(side: &DiffSide) -> String {
    match (&side.value, side.set) {
        (Some(value), true) => format!("{}  ({})", clean(value), origin_text(&side.origin)),
        _ => "(unset)".to_owned(),
    }
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
        "# Uncommented lines must be set in this environment (blank ones are yours to fill in); commented ones show the default."
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
    let required = var.required(environment);
    let value = if variable.name == "ENVIRONMENT" {
        // Never left to a default: the template is for one environment, and says so.
        environment.as_str().to_owned()
    } else if var.secret {
        "<secret>".to_owned()
    } else if required {
        // Required here: a development default would be the wrong value, so it is left blank.
        String::new()
    } else {
        var.default_value().unwrap_or_default()
    };
    let comment = if required || variable.name == "ENVIRONMENT" {
        ""
    } else {
        "# "
    };
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
