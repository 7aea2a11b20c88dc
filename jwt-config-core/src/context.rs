//! One load in progress: the source, the environment, and every problem found so far.

use std::borrow::Cow;
use std::ffi::OsString;
use std::path::PathBuf;

use crate::environment::{ENVIRONMENT_VARIABLE, Environment, describe_environments};
use crate::files::read_regular_file;
use crate::report::{Origin, Problem, ProblemKind, Resolved, Warning, WarningKind};
use crate::schema::{VarSchema, prefixed};
use crate::secret::REDACTED;
use crate::source::{Location, Source};
use crate::value::{ConfigValue, describe_range};

/// The largest file a `NAME_FILE` variable may point to.
pub const MAX_FILE_SIZE: u64 = 64 * 1024;

/// The state of one load. Generated code, hand-written [`Config`](crate::Config) impls and
/// struct-level checks all report into it, so every problem lands in one report.
pub struct Context<'a> {
    source: &'a dyn Source,
    environment: Environment,
    prefix: String,
    problems: Vec<Problem>,
    warnings: Vec<Warning>,
    resolved: Vec<Resolved>,
    /// Whether effective values are rendered for the report (not needed by `from_source`).
    record: bool,
}

/// A variable's raw text, wiped from memory on drop when it belongs to a secret (or came
/// from a file); other values are freed as they are, which keeps plain loads cheap.
struct RawText {
    text: String,
    wipe: bool,
}

impl std::ops::Deref for RawText {
    type Target = str;

    fn deref(&self) -> &str {
        &self.text
    }
}

impl Drop for RawText {
    fn drop(&mut self) {
        if self.wipe {
            zeroize::Zeroize::zeroize(&mut self.text);
        }
    }
}

/// A value found for a variable, before parsing. Names are rebuilt from `index` only when a message or the report needs them, so a
/// variable that is simply set costs no allocation beyond its text.
struct Found {
    /// 0 for the canonical name, `i` for alias `i - 1`.
    index: usize,
    /// The path, when the value came from the `_FILE` variant.
    file_path: Option<String>,
    text: RawText,
}

impl Found {
    fn variable(&self, context: &Context<'_>, var: &VarSchema) -> String {
        let base = if self.index == 0 {
            var.name
        } else {
            var.aliases[self.index - 1]
        };
        let name = context.full_name(base);
        if self.file_path.is_some() {
            format!("{name}_FILE")
        } else {
            name.into_owned()
        }
    }

    fn origin(&self, context: &Context<'_>, var: &VarSchema) -> Origin {
        match &self.file_path {
            Some(path) => Origin::File {
                variable: self.variable(context, var),
                path: path.clone(),
            },
            None if self.index == 0 => Origin::Canonical,
            None => Origin::Alias(self.variable(context, var)),
        }
    }
}

enum Lookup {
    Absent,
    Failed,
    Found(Found),
}

impl<'a> Context<'a> {
    /// Starts a load: reads `ENVIRONMENT` once, for every rule of every nested struct.
    pub fn new(source: &'a dyn Source) -> Self {
        let mut context = Context {
            source,
            environment: Environment::Development,
            prefix: String::new(),
            problems: Vec::new(),
            warnings: Vec::new(),
            resolved: Vec::new(),
            record: true,
        };
        if let Some(text) = context.read(ENVIRONMENT_VARIABLE, false) {
            match Environment::parse_value(&text) {
                Ok(environment) => context.environment = environment,
                Err(message) => {
                    let message = format!("{} is invalid: {message}", quote(&text));
                    context.push_problem(
                        ENVIRONMENT_VARIABLE.to_owned(),
                        ProblemKind::Invalid,
                        message,
                    );
                }
            }
        }
        context
    }

    /// Whether `ENVIRONMENT` is set in the source (valid or not).
    pub(crate) fn environment_is_set(&self) -> bool {
        self.source.get(ENVIRONMENT_VARIABLE).is_some()
    }

    /// The source of this load.
    pub(crate) fn source(&self) -> &'a dyn Source {
        self.source
    }

    /// Skips rendering effective values: for loads whose caller wants only the value.
    pub(crate) fn without_report(mut self) -> Self {
        self.record = false;
        self
    }

    /// The environment of this load.
    pub fn environment(&self) -> Environment {
        self.environment
    }

    /// A variable's name as the operator writes it: the current prefix applied.
    #[inline]
    pub fn full_name<'n>(&self, name: &'n str) -> Cow<'n, str> {
        if self.prefix.is_empty() || name == ENVIRONMENT_VARIABLE {
            Cow::Borrowed(name)
        } else {
            Cow::Owned(prefixed(&self.prefix, name))
        }
    }

    /// Adds a problem about `variable` (the current prefix is applied to it).
    pub fn problem(&mut self, variable: &str, kind: ProblemKind, message: impl Into<String>) {
        let variable = self.full_name(variable);
        self.push_problem(variable.into_owned(), kind, message.into());
    }

    /// Adds a warning about `variable` (the current prefix is applied to it).
    pub fn warn(&mut self, variable: &str, kind: WarningKind, message: impl Into<String>) {
        let variable = self.full_name(variable);
        self.push_warning(variable.into_owned(), kind, message.into());
    }

    /// Whether any problem has been found so far.
    pub fn has_problems(&self) -> bool {
        !self.problems.is_empty()
    }

    /// Runs `load` with `prefix` added to every name it reads (a flattened struct).
    pub fn nested<T>(&mut self, prefix: &str, load: impl FnOnce(&mut Self) -> T) -> T {
        let outer = self.prefix.len();
        self.prefix.push_str(prefix);
        let value = load(self);
        self.prefix.truncate(outer);
        value
    }

    /// Loads one variable: lookup through aliases and `NAME_FILE`, the environment's rules,
    /// the default, parsing and `check`. `None` when it failed (the problem is recorded),
    /// `Some(None)` when it is unset and optional.
    pub fn load_value<T>(
        &mut self,
        var: &'static VarSchema,
        parse: impl Fn(&mut String) -> Result<T, String>,
        render: impl Fn(&T) -> String,
        default: Option<fn() -> T>,
        check: impl Fn(&T) -> Result<(), String>,
    ) -> Option<Option<T>> {
        let name = self.full_name(var.name);
        let lookup = if var.aliases.is_empty() && !var.file {
            self.lookup_single(var, &name)
        } else {
            self.lookup(var, &name)
        };
        let (value, found) = match lookup {
            Lookup::Failed => return None,
            Lookup::Absent => (self.absent(var, &name, default)?, None),
            Lookup::Found(mut found) => match parse(&mut found.text.text) {
                Ok(value) => (Some(value), Some(found)),
                Err(message) => {
                    let variable = found.variable(self, var);
                    let message = invalid_message(var, &found, message);
                    let location = self.source.location(&variable);
                    self.push_problem_at(variable, ProblemKind::Invalid, message, location);
                    return None;
                }
            },
        };
        if let Some(value) = &value
            && let Err(message) = check(value)
        {
            // A range check's message quotes the value: never next to a secret's name.
            let message = if var.secret {
                format!(
                    "the value (a secret, not shown) is outside what is accepted ({})",
                    var.requirement_text()
                )
            } else {
                message
            };
            let location = found
                .as_ref()
                .map(|f| f.variable(self, var))
                .and_then(|v| self.source.location(&v));
            self.push_problem_at(
                name.into_owned(),
                ProblemKind::OutOfRange,
                message,
                location,
            );
            return None;
        }
        if self.record {
            // A secret's renderer gives its canonical text, which only feeds the digest.
            let canonical = value
                .as_ref()
                .filter(|_| var.secret)
                .map(|v| zeroize::Zeroizing::new(render(v)));
            let rendered = value.as_ref().map(|v| {
                if var.secret {
                    REDACTED.to_owned()
                } else {
                    render(v)
                }
            });
            let digest = canonical.and_then(|text| crate::fingerprint::secret_digest(&text));
            self.record_value(var, name.into_owned(), found.as_ref(), rendered, digest);
        }
        Some(value)
    }

    /// Adds a variable's effective value to the report.
    fn record_value(
        &mut self,
        var: &VarSchema,
        variable: String,
        found: Option<&Found>,
        rendered: Option<String>,
        digest: Option<String>,
    ) {
        let origin = match found {
            Some(found) => found.origin(self, var),
            None if rendered.is_some() => Origin::Default,
            None => Origin::Unset,
        };
        let location = found.and_then(|found| self.source.location(&found.variable(self, var)));
        self.resolved.push(Resolved {
            variable,
            origin,
            rendered,
            secret: var.secret,
            digest,
            per_service: var.per_service,
            location,
        });
    }

    fn absent<T>(
        &mut self,
        var: &VarSchema,
        name: &str,
        default: Option<fn() -> T>,
    ) -> Option<Option<T>> {
        if var.required(self.environment) {
            let message = if var.required_in.contains(&self.environment) {
                format!(
                    "is missing; it is required in {} (ENVIRONMENT={})",
                    describe_environments(var.required_in),
                    self.environment
                )
            } else {
                format!("is missing; set it to a value of type `{}`", var.ty)
            };
            self.push_problem(name.to_owned(), ProblemKind::Missing, message);
            return None;
        }
        match default {
            Some(default) => Some(Some(default())),
            None => Some(None),
        }
    }

    /// The common case, one name and no `_FILE` variant: nothing to reconcile.
    #[inline]
    fn lookup_single(&mut self, var: &VarSchema, name: &str) -> Lookup {
        match self.lookup_name(var, name, name, 0) {
            Ok(Some(found)) => Lookup::Found(found),
            Ok(None) => Lookup::Absent,
            Err(()) => Lookup::Failed,
        }
    }

    /// Finds the text of a variable under its canonical name, its aliases and their
    /// `_FILE` variants; disagreement between them is a problem.
    #[inline]
    fn lookup(&mut self, var: &VarSchema, canonical: &str) -> Lookup {
        let mut candidates: Vec<Found> = Vec::new();
        let mut first: Option<Found> = None;
        let mut failed = false;
        let names = std::iter::once(&var.name).chain(var.aliases);
        for (index, name) in names.enumerate() {
            let name = self.full_name(name);
            match self.lookup_name(var, canonical, &name, index) {
                Ok(Some(found)) if first.is_none() => first = Some(found),
                Ok(Some(found)) => candidates.push(found),
                Ok(None) => {}
                Err(()) => failed = true,
            }
        }
        match first {
            _ if failed => Lookup::Failed,
            None => Lookup::Absent,
            Some(first) => self.agree(var, canonical, first, candidates),
        }
    }

    /// One name and, where accepted, its `_FILE` variant.
    #[inline]
    fn lookup_name(
        &mut self,
        var: &VarSchema,
        canonical: &str,
        name: &str,
        index: usize,
    ) -> Result<Option<Found>, ()> {
        let direct = self.source.get(name);
        let file_name = || format!("{name}_FILE");
        let file = if var.file {
            self.source.get(&file_name())
        } else {
            None
        };
        match (direct, file) {
            (None, None) => Ok(None),
            (Some(_), Some(_)) => {
                let message = format!(
                    "{name} and {} are both set; set only one of them",
                    file_name()
                );
                self.push_problem(canonical.to_owned(), ProblemKind::Conflict, message);
                Err(())
            }
            (Some(raw), None) => {
                let text = self.text_of(name, raw, var.secret).ok_or(())?;
                Ok(Some(Found {
                    index,
                    file_path: None,
                    text,
                }))
            }
            (None, Some(path)) => {
                let (path, text) = self.read_file(&file_name(), path).ok_or(())?;
                Ok(Some(Found {
                    index,
                    file_path: Some(path),
                    text,
                }))
            }
        }
    }

    /// Several names set: they must agree; every alias used is a deprecation warning.
    #[inline]
    fn agree(
        &mut self,
        var: &VarSchema,
        canonical: &str,
        first: Found,
        others: Vec<Found>,
    ) -> Lookup {
        if others.is_empty() && first.index == 0 {
            return Lookup::Found(first);
        }
        let describe = |this: &Self, found: &Found| {
            let variable = found.variable(this, var);
            // Neither a secret nor a file's contents are quoted.
            if var.secret || found.file_path.is_some() {
                variable
            } else {
                format!("{variable}={:?}", &*found.text)
            }
        };
        let differing: Vec<String> = others
            .iter()
            .filter(|c| *c.text != *first.text)
            .map(|f| describe(self, f))
            .collect();
        if !differing.is_empty() {
            let message = format!(
                "{} and {} are set to different values; keep only {canonical}",
                describe(self, &first),
                differing.join(" and ")
            );
            self.push_problem(canonical.to_owned(), ProblemKind::Conflict, message);
            return Lookup::Failed;
        }
        for found in std::iter::once(&first)
            .chain(&others)
            .filter(|f| f.index > 0)
        {
            let alias = found.variable(self, var);
            let message = format!("{alias} is a deprecated alias; rename it to {canonical}");
            self.push_warning(canonical.to_owned(), WarningKind::DeprecatedAlias, message);
        }
        Lookup::Found(first)
    }

    /// Reads a variable's text: non-UTF-8 and blank values are problems.
    fn read(&mut self, name: &str, secret: bool) -> Option<RawText> {
        let raw = self.source.get(name)?;
        self.text_of(name, raw, secret)
    }

    #[inline]
    fn text_of(&mut self, name: &str, raw: OsString, secret: bool) -> Option<RawText> {
        let text = match raw.into_string() {
            Ok(text) => RawText { text, wipe: secret },
            Err(_) => {
                self.push_problem(
                    name.to_owned(),
                    ProblemKind::NotUnicode,
                    "is not valid UTF-8".into(),
                );
                return None;
            }
        };
        if text.chars().all(char::is_whitespace) {
            let what = if text.is_empty() { "empty" } else { "blank" };
            let hint = if secret {
                ""
            } else {
                "; unset it or give it a value"
            };
            self.push_problem(
                name.to_owned(),
                ProblemKind::Empty,
                format!("is set but {what}{hint}"),
            );
            return None;
        }
        Some(text)
    }

    /// Reads the file a `NAME_FILE` variable points to; one trailing newline is stripped.
    fn read_file(&mut self, file_name: &str, raw_path: OsString) -> Option<(String, RawText)> {
        let path = PathBuf::from(&raw_path);
        let shown = path.display().to_string();
        if raw_path.is_empty() {
            self.push_problem(
                file_name.to_owned(),
                ProblemKind::Empty,
                "is set but empty".into(),
            );
            return None;
        }
        let fail = |this: &mut Self, reason: String| -> Option<(String, RawText)> {
            let message = format!("points to {shown}, which {reason}");
            this.push_problem(file_name.to_owned(), ProblemKind::File, message);
            None
        };
        let bytes = match read_regular_file(&path, MAX_FILE_SIZE) {
            Ok(bytes) => bytes,
            Err(refusal) => return fail(self, refusal.to_string()),
        };
        let Ok(text) = std::str::from_utf8(&bytes) else {
            return fail(self, "is not valid UTF-8".into());
        };
        let text = text
            .strip_suffix('\n')
            .map_or(text, |t| t.strip_suffix('\r').unwrap_or(t));
        if text.chars().all(char::is_whitespace) {
            return fail(self, "is empty".into());
        }
        Some((
            shown,
            RawText {
                text: text.to_owned(),
                wipe: true,
            },
        ))
    }

    fn push_problem(&mut self, variable: String, kind: ProblemKind, message: String) {
        self.push_problem_at(variable, kind, message, None);
    }

    fn push_problem_at(
        &mut self,
        variable: String,
        kind: ProblemKind,
        message: String,
        location: Option<Location>,
    ) {
        let mut problem = Problem::new(variable, kind, message);
        problem.location = location;
        if !self.problems.contains(&problem) {
            self.problems.push(problem);
        }
    }

    fn push_warning(&mut self, variable: String, kind: WarningKind, message: String) {
        let warning = Warning::new(variable, kind, message);
        if !self.warnings.contains(&warning) {
            self.warnings.push(warning);
        }
    }

    /// Ends the load: the problems, warnings and effective values collected.
    pub(crate) fn finish(self) -> (Vec<Problem>, Vec<Warning>, Vec<Resolved>) {
        (self.problems, self.warnings, self.resolved)
    }
}

/// A non-secret value as a message may show it: quoted, escaped, and cut when long.
fn quote(text: &str) -> String {
    const LIMIT: usize = 80;
    match text.char_indices().nth(LIMIT) {
        Some((cut, _)) => format!("{:?}...", &text[..cut]),
        None => format!("{text:?}"),
    }
}

/// A doc comment's first sentence, on one line.
fn first_sentence(doc: &str) -> String {
    let end = doc
        .find(". ")
        .or_else(|| doc.find(".\n"))
        .map_or(doc.len(), |i| i + 1);
    doc[..end].replace('\n', " ")
}

/// The message for a value that did not parse. A secret's parser message is never used (it
/// may quote, trim or cut the secret); a file's contents are never quoted; a number with a
/// `range` says the schema's range rather than the type's.
fn invalid_message(var: &VarSchema, found: &Found, parser_message: String) -> String {
    let expected = match var.range {
        Some(range) => format!("expected {}", describe_range(range, var.ty)),
        // The field's documentation says what is accepted without quoting anything.
        None if var.secret => match first_sentence(var.doc).as_str() {
            "" => format!("expected a value of type `{}`", var.ty),
            doc => format!("expected a `{}`: {doc}", var.ty),
        },
        None => parser_message,
    };
    match &found.file_path {
        _ if var.secret => format!("the value (a secret, not shown) is invalid; {expected}"),
        Some(path) => format!("the contents of {path} are invalid: {expected}"),
        None => format!("{} is invalid: {expected}", quote(&found.text)),
    }
}
