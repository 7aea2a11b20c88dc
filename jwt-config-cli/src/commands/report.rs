//! The typed reports `check` and `diff` share: variables, origins, problems and warnings as
//! data (serialized to JSON), and their rendering as text.

use std::borrow::Cow;
use std::io::Write;

use jwt_config::{Origin, Problem, Resolved, Warning, escape_controls};
use serde::Serialize;

use super::{Outcome, UsageError};
use crate::EXIT_USAGE;
use crate::args::Format;
use crate::style::Style;

/// An input that could not be read, as JSON reports it.
#[derive(Serialize)]
struct UnreadableReport {
    valid: bool,
    input_error: bool,
    problems: Vec<ProblemJson>,
}

/// An env file that cannot be read: exit 2, as JSON too when JSON was asked for.
pub(crate) fn report_unreadable(
    error: &UsageError,
    format: Format,
    out: &mut dyn Write,
) -> Outcome {
    if format == Format::Json {
        let report = UnreadableReport {
            valid: false,
            input_error: true,
            problems: error.problems.iter().map(ProblemJson::from).collect(),
        };
        writeln!(out, "{}", to_json(&report))?;
        return Ok(EXIT_USAGE);
    }
    Err(UsageError {
        text: error.text.clone(),
        problems: Vec::new(),
        closed_output: false,
    })
}

pub(crate) fn to_json(value: &impl Serialize) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| "{}".to_owned())
}

/// A variable's effective value: the value (never a secret's), where it came from.
#[derive(Serialize)]
pub(crate) struct VariableJson {
    pub(crate) name: String,
    /// `None` for a secret or an unset variable.
    pub(crate) value: Option<String>,
    pub(crate) set: bool,
    pub(crate) secret: bool,
    pub(crate) per_service: bool,
    pub(crate) origin: OriginJson,
}

impl From<&Resolved> for VariableJson {
    fn from(variable: &Resolved) -> Self {
        VariableJson {
            name: variable.variable().to_owned(),
            value: variable
                .rendered()
                .map(str::to_owned)
                .filter(|_| !variable.secret()),
            set: variable.rendered().is_some(),
            secret: variable.secret(),
            per_service: variable.per_service(),
            origin: OriginJson::from(variable),
        }
    }
}

/// Where a value came from, as data: its kind, the variable that supplied it, the file.
#[derive(Serialize)]
pub(crate) struct OriginJson {
    /// The origin itself, which the text output renders with its own Display.
    #[serde(skip)]
    pub(crate) origin: Origin,
    /// `canonical`, `alias`, `file` (a `_FILE` variable), `default` or `unset`.
    pub(crate) kind: &'static str,
    /// The variable that supplied it (the alias, the `_FILE` variable).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) variable: Option<String>,
    /// The path a `_FILE` variable points to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) path: Option<String>,
    /// The env file (or `process environment`) that set it, and the line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) source: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) line: Option<usize>,
}

impl From<&Resolved> for OriginJson {
    fn from(variable: &Resolved) -> Self {
        let (kind, supplier, path) = match variable.origin() {
            Origin::Canonical => ("canonical", Some(variable.variable().to_owned()), None),
            Origin::Alias(alias) => ("alias", Some(alias.clone()), None),
            Origin::File { variable, path } => ("file", Some(variable.clone()), Some(path.clone())),
            Origin::Default => ("default", None, None),
            _ => ("unset", None, None),
        };
        OriginJson {
            origin: variable.origin().clone(),
            kind,
            variable: supplier,
            path,
            source: variable.location().as_ref().map(|l| l.source.clone()),
            line: variable.location().as_ref().and_then(|l| l.line),
        }
    }
}

#[derive(Serialize)]
pub(crate) struct ProblemJson {
    pub(crate) variable: String,
    /// The kind's stable snake_case name (`ProblemKind::as_str`).
    pub(crate) kind: &'static str,
    pub(crate) message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) source: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) line: Option<usize>,
}

impl From<&Problem> for ProblemJson {
    fn from(problem: &Problem) -> Self {
        ProblemJson {
            variable: problem.variable().to_owned(),
            kind: problem.kind().as_str(),
            message: problem.message().to_owned(),
            source: problem.location().as_ref().map(|l| l.source.clone()),
            line: problem.location().as_ref().and_then(|l| l.line),
        }
    }
}

#[derive(Serialize)]
pub(crate) struct WarningJson {
    pub(crate) variable: String,
    /// The kind's stable snake_case name (`WarningKind::as_str`).
    pub(crate) kind: &'static str,
    pub(crate) message: String,
}

impl From<&Warning> for WarningJson {
    fn from(warning: &Warning) -> Self {
        WarningJson {
            variable: warning.variable().to_owned(),
            kind: warning.kind().as_str(),
            message: warning.message().to_owned(),
        }
    }
}

pub(crate) fn problem_text(problem: &ProblemJson, style: Style) -> String {
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

/// A warning as the text reports print it: `VARIABLE: message`, cleaned.
pub(crate) fn warning_text(warning: &WarningJson) -> String {
    format!("{}: {}", clean(&warning.variable), clean(&warning.message))
}

/// An origin as `check` and `diff` print it: `Origin`'s own Display (`set`, `from legacy
/// alias X`, `default`, ...), cleaned. The file and line are in the JSON output; the text
/// stays one short line a variable.
pub(crate) fn origin_text(origin: &OriginJson) -> String {
    clean(&origin.origin.to_string()).into_owned()
}

/// What a key is for, in `keys` and `diff`.
#[derive(Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Purpose {
    /// Access and refresh tokens.
    Tokens,
    /// Service-to-service calls.
    ServiceCalls,
}

/// What is compared of one side: a value, a secret's digest, or nothing.
#[derive(PartialEq)]
pub(crate) enum Compared<'a> {
    Unset,
    Value(&'a str),
    Digest(&'a str),
    /// A secret without a digest (too short to compare safely).
    Weak,
}

pub(crate) fn compared(variable: &Resolved) -> Compared<'_> {
    match (&variable.rendered(), variable.secret(), &variable.digest()) {
        (None, _, _) => Compared::Unset,
        (Some(_), true, Some(digest)) => Compared::Digest(digest),
        (Some(_), true, None) => Compared::Weak,
        (Some(value), false, _) => Compared::Value(value),
    }
}

/// Text from a configuration as a terminal may show it (no control characters).
pub(crate) fn clean(text: &str) -> Cow<'_, str> {
    escape_controls(text)
}
