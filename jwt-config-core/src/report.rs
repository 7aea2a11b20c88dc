//! Problems, warnings and the one report that holds all of them.

use std::fmt;

use crate::source::Location;

/// What kind of thing is wrong with a variable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum ProblemKind {
    /// Not set, but required (everywhere or in the current environment).
    Missing,
    /// Set to an empty or blank value.
    Empty,
    /// Set, but not a value of the expected type.
    Invalid,
    /// Parsed, but outside the accepted range or length.
    OutOfRange,
    /// Two sources of one setting disagree (canonical and alias, `NAME` and `NAME_FILE`).
    Conflict,
    /// A `NAME_FILE` that could not be read.
    File,
    /// Not valid UTF-8.
    NotUnicode,
    /// A rule across fields (or of the environment) is broken.
    Rule,
    /// A source itself is broken (an env file that does not parse).
    Source,
}

impl ProblemKind {
    /// Every kind, in declaration order: for documentation and for tests that hold each kind
    /// to its string.
    pub const ALL: [ProblemKind; 9] = [
        ProblemKind::Missing,
        ProblemKind::Empty,
        ProblemKind::Invalid,
        ProblemKind::OutOfRange,
        ProblemKind::Conflict,
        ProblemKind::File,
        ProblemKind::NotUnicode,
        ProblemKind::Rule,
        ProblemKind::Source,
    ];

    /// The kind's stable name, in snake_case: what JSON output, logs and metrics carry.
    pub const fn as_str(self) -> &'static str {
        match self {
            ProblemKind::Missing => "missing",
            ProblemKind::Empty => "empty",
            ProblemKind::Invalid => "invalid",
            ProblemKind::OutOfRange => "out_of_range",
            ProblemKind::Conflict => "conflict",
            ProblemKind::File => "file",
            ProblemKind::NotUnicode => "not_unicode",
            ProblemKind::Rule => "rule",
            ProblemKind::Source => "source",
        }
    }
}

impl fmt::Display for ProblemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One thing wrong with the configuration. Never holds a secret value.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Problem {
    /// The variable the problem is about, as the operator writes it (prefix applied).
    pub(crate) variable: String,
    /// What is wrong.
    pub(crate) kind: ProblemKind,
    /// What is wrong and what would be accepted; it does not repeat the variable. At most
    /// [`MAX_MESSAGE_CHARS`] characters.
    pub(crate) message: String,
    /// Where the value was set (a file and line), when the source can say.
    pub(crate) location: Option<Location>,
}

impl Problem {
    /// The variable the problem is about, as the operator writes it (prefix applied).
    pub fn variable(&self) -> &str {
        &self.variable
    }

    /// What kind of thing is wrong.
    pub fn kind(&self) -> ProblemKind {
        self.kind
    }

    /// What is wrong and what would be accepted; it does not repeat the variable.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Where the value was set (a file and line), when the source can say.
    pub fn location(&self) -> Option<&Location> {
        self.location.as_ref()
    }

    /// A problem about `variable`; the message is cut to [`MAX_MESSAGE_CHARS`].
    pub fn new(variable: impl Into<String>, kind: ProblemKind, message: impl Into<String>) -> Self {
        Problem {
            variable: bounded(variable.into()),
            kind,
            message: bounded(message.into()),
            location: None,
        }
    }
}

/// Text as a terminal or a log line may show it: control characters (newlines, escape
/// sequences) written as escapes, so a value cannot forge a line or drive the terminal.
pub fn escape_controls(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (variable, message) = (
            escape_controls(&self.variable),
            escape_controls(&self.message),
        );
        write!(f, "{variable}: {message}")?;
        match &self.location {
            Some(location) if location.line.is_some() => write!(f, " ({location})"),
            _ => Ok(()),
        }
    }
}

/// The most characters of a problem's or warning's message (and variable): an attacker who
/// chooses a value cannot make a report of megabytes.
pub const MAX_MESSAGE_CHARS: usize = 600;

/// Cuts text to [`MAX_MESSAGE_CHARS`] characters, marking the cut.
pub(crate) fn bounded(text: String) -> String {
    // No more bytes than the bound: no more characters either (the usual case, counted free).
    if text.len() <= MAX_MESSAGE_CHARS {
        return text;
    }
    match text.char_indices().nth(MAX_MESSAGE_CHARS) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text,
    }
}

/// What kind of warning.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum WarningKind {
    /// A legacy alias supplied the value.
    DeprecatedAlias,
    /// A rule that is a problem in staging and production, noticed elsewhere.
    Weak,
    /// A name in the source that looks like one of the schema's but is not in it.
    UnknownVariable,
    /// Anything a check wants the operator to know.
    Notice,
    /// A published security advisory of a dependency of this build applies to this
    /// configuration (RUSTSEC-2023-0071 for RSA signing on the `rust-crypto` backend).
    Advisory,
}

impl WarningKind {
    /// Every kind, in declaration order.
    pub const ALL: [WarningKind; 5] = [
        WarningKind::DeprecatedAlias,
        WarningKind::Weak,
        WarningKind::UnknownVariable,
        WarningKind::Notice,
        WarningKind::Advisory,
    ];

    /// The kind's stable name, in snake_case: what JSON output, logs and metrics carry.
    pub const fn as_str(self) -> &'static str {
        match self {
            WarningKind::DeprecatedAlias => "deprecated_alias",
            WarningKind::Weak => "weak",
            WarningKind::UnknownVariable => "unknown_variable",
            WarningKind::Notice => "notice",
            WarningKind::Advisory => "advisory",
        }
    }
}

impl fmt::Display for WarningKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Something the operator should fix that does not stop the service.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Warning {
    /// The variable concerned.
    pub(crate) variable: String,
    /// What kind of warning.
    pub(crate) kind: WarningKind,
    /// The text; it does not repeat the variable.
    pub(crate) message: String,
}

impl Warning {
    /// The variable concerned.
    pub fn variable(&self) -> &str {
        &self.variable
    }

    /// What kind of warning.
    pub fn kind(&self) -> WarningKind {
        self.kind
    }

    /// The text; it does not repeat the variable.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// A warning about `variable`; the message is cut to [`MAX_MESSAGE_CHARS`].
    pub fn new(variable: impl Into<String>, kind: WarningKind, message: impl Into<String>) -> Self {
        Warning {
            variable: bounded(variable.into()),
            kind,
            message: bounded(message.into()),
        }
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (variable, message) = (
            escape_controls(&self.variable),
            escape_controls(&self.message),
        );
        write!(f, "{variable}: {message}")
    }
}

/// Where a variable's effective value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Origin {
    /// The canonical name.
    Canonical,
    /// A legacy alias (named).
    Alias(String),
    /// A `NAME_FILE` variable (named) and the file it points to.
    File {
        /// The `_FILE` variable.
        variable: String,
        /// The path it holds.
        path: String,
    },
    /// The schema's default.
    Default,
    /// Not set and optional.
    Unset,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Canonical => f.write_str("set"),
            Origin::Alias(alias) => write!(f, "from legacy alias {alias}"),
            Origin::File { variable, path } => write!(f, "from {variable} ({path})"),
            Origin::Default => f.write_str("default"),
            Origin::Unset => f.write_str("unset"),
        }
    }
}

/// One variable of a loaded configuration: its effective value, rendered safely.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Resolved {
    /// The canonical variable name (prefix applied).
    pub(crate) variable: String,
    /// Where the value came from.
    pub(crate) origin: Origin,
    /// The value as text, `[redacted]` for secrets, `None` when unset.
    pub(crate) rendered: Option<String>,
    /// Whether the variable is a secret.
    pub(crate) secret: bool,
    /// For a secret: HMAC-SHA256 keyed by the secret's text over a fixed label, in hex, so
    /// two loads can tell whether their secrets agree without revealing them (needs the
    /// `fingerprint` feature; `None` without it).
    pub(crate) digest: Option<String>,
    /// Whether the schema marks the variable as a setting of one service.
    pub(crate) per_service: bool,
    /// Whether the schema marks the variable as key material (compared by key agreement).
    pub(crate) key_material: bool,
    /// Where the value was set (a file and line, the process environment), when the
    /// source can say.
    pub(crate) location: Option<Location>,
}

impl Resolved {
    /// The canonical variable name (prefix applied).
    pub fn variable(&self) -> &str {
        &self.variable
    }

    /// Where the value came from.
    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// The value as text, `[redacted]` for secrets, `None` when unset.
    pub fn rendered(&self) -> Option<&str> {
        self.rendered.as_deref()
    }

    /// Whether the variable is a secret.
    pub fn secret(&self) -> bool {
        self.secret
    }

    /// A secret's digest (HMAC-SHA256 keyed by it, in hex), when it has one: with the
    /// `fingerprint` feature, for a secret of at least 32 bytes.
    pub fn digest(&self) -> Option<&str> {
        self.digest.as_deref()
    }

    /// Whether the schema marks the variable as a setting of one service.
    pub fn per_service(&self) -> bool {
        self.per_service
    }

    /// Whether the schema marks the variable as key material: compared between services by
    /// key agreement, never by value.
    pub fn key_material(&self) -> bool {
        self.key_material
    }

    /// Where the value was set, when the source can say.
    pub fn location(&self) -> Option<&Location> {
        self.location.as_ref()
    }
}

/// Every problem found while loading, in one report.
///
/// Its Display lists one problem a line, each naming its variable; the problems are also
/// available as data through [`ConfigError::problems`]. It never contains a secret value.
#[derive(Clone, Debug, thiserror::Error)]
#[error("{}", render_problems(&self.problems, &self.warnings))]
pub struct ConfigError {
    problems: Vec<Problem>,
    warnings: Vec<Warning>,
}

impl ConfigError {
    /// A report of these problems (and the warnings seen on the way).
    pub fn new(problems: Vec<Problem>, warnings: Vec<Warning>) -> Self {
        ConfigError { problems, warnings }
    }

    /// Every problem, in the order the schema declares its variables.
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    /// Warnings seen before loading failed.
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }

    /// Whether some problem concerns this variable.
    pub fn mentions(&self, variable: &str) -> bool {
        self.problems
            .iter()
            .any(|p| p.variable == variable || p.message.contains(variable))
    }
}

/// Every problem a line; under a problem, the warning that explains it (a near-miss name that
/// suggests its variable).
fn render_problems(problems: &[Problem], warnings: &[Warning]) -> String {
    let noun = if problems.len() == 1 {
        "problem"
    } else {
        "problems"
    };
    let mut text = format!("invalid configuration ({} {noun}):", problems.len());
    for problem in problems {
        text.push_str("\n  - ");
        text.push_str(&problem.to_string());
        let hints = warnings.iter().filter(|w| {
            w.kind == WarningKind::UnknownVariable
                && crate::unknown::suggests(&w.message, &problem.variable)
        });
        for hint in hints {
            text.push_str("\n      hint: ");
            text.push_str(&hint.to_string());
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stable name is snake_case ASCII, and no two kinds share one.
    fn assert_names(names: &[&str]) {
        for name in names {
            assert!(
                name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{name}"
            );
        }
        let mut unique = names.to_vec();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), names.len(), "{names:?}");
    }

    #[test]
    fn every_problem_and_warning_kind_is_listed_with_one_snake_case_name() {
        // Exhaustive matches: a new kind does not compile until it is listed here, and the
        // test fails until it is in `ALL`.
        let problem_listed = |kind: ProblemKind| match kind {
            ProblemKind::Missing
            | ProblemKind::Empty
            | ProblemKind::Invalid
            | ProblemKind::OutOfRange
            | ProblemKind::Conflict
            | ProblemKind::File
            | ProblemKind::NotUnicode
            | ProblemKind::Rule
            | ProblemKind::Source => ProblemKind::ALL.contains(&kind),
        };
        let warning_listed = |kind: WarningKind| match kind {
            WarningKind::DeprecatedAlias
            | WarningKind::Weak
            | WarningKind::UnknownVariable
            | WarningKind::Notice
            | WarningKind::Advisory => WarningKind::ALL.contains(&kind),
        };
        assert!(ProblemKind::ALL.iter().all(|k| problem_listed(*k)));
        assert!(WarningKind::ALL.iter().all(|k| warning_listed(*k)));
        assert_names(&ProblemKind::ALL.map(ProblemKind::as_str));
        assert_names(&WarningKind::ALL.map(WarningKind::as_str));
        assert_eq!(ProblemKind::OutOfRange.to_string(), "out_of_range");
    }
}
