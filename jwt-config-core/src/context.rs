//! One load in progress: the source, the environment, and every problem found so far.

use std::borrow::Cow;
use std::ffi::OsString;
use std::path::PathBuf;

use zeroize::Zeroizing;

use crate::environment::{ENVIRONMENT_VARIABLE, Environment, describe_environments};
use crate::report::{Origin, Problem, ProblemKind, Resolved, Warning, WarningKind};
use crate::schema::{VarSchema, prefixed};
use crate::secret::REDACTED;
use crate::source::{Source, io_reason};
use crate::value::ConfigValue;

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
                Err(message) => context.invalid(ENVIRONMENT_VARIABLE, &text, false, message),
            }
        }
        context
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
                    let message = scrub(message, &found.text, var.secret);
                    let variable = found.variable(self, var);
                    self.invalid(&variable, &found.text, var.secret, message);
                    return None;
                }
            },
        };
        if let Some(value) = &value
            && let Err(message) = check(value)
        {
            self.push_problem(name.into_owned(), ProblemKind::OutOfRange, message);
            return None;
        }
        if self.record {
            let rendered = value.as_ref().map(|v| {
                if var.secret {
                    REDACTED.to_owned()
                } else {
                    render(v)
                }
            });
            self.record_value(var, name.into_owned(), found.as_ref(), rendered);
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
    ) {
        let origin = match found {
            Some(found) => found.origin(self, var),
            None if rendered.is_some() => Origin::Default,
            None => Origin::Unset,
        };
        let digest = found
            .filter(|_| var.secret)
            .and_then(|found| crate::fingerprint::secret_digest(&found.text));
        self.resolved.push(Resolved {
            variable,
            origin,
            rendered,
            secret: var.secret,
            digest,
            per_service: var.per_service,
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
            if var.secret {
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
        match std::fs::metadata(&path) {
            Err(error) => return fail(self, format!("cannot be read ({})", io_reason(&error))),
            Ok(meta) if meta.is_dir() => return fail(self, "is a directory".into()),
            Ok(meta) if meta.len() > MAX_FILE_SIZE => {
                return fail(self, format!("is larger than {} KiB", MAX_FILE_SIZE / 1024));
            }
            Ok(_) => {}
        }
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => Zeroizing::new(bytes),
            Err(error) => return fail(self, format!("cannot be read ({})", io_reason(&error))),
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

    fn invalid(&mut self, variable: &str, text: &str, secret: bool, expected: String) {
        let shown = if secret {
            "the value (a secret, not shown) is invalid".to_owned()
        } else {
            format!("{} is invalid", quote(text))
        };
        self.push_problem(
            variable.to_owned(),
            ProblemKind::Invalid,
            format!("{shown}: {expected}"),
        );
    }

    fn push_problem(&mut self, variable: String, kind: ProblemKind, message: String) {
        let problem = Problem {
            variable,
            kind,
            message,
        };
        if !self.problems.contains(&problem) {
            self.problems.push(problem);
        }
    }

    fn push_warning(&mut self, variable: String, kind: WarningKind, message: String) {
        let warning = Warning {
            variable,
            kind,
            message,
        };
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

/// A parser's message with any copy of a secret's text removed (a `FromStr` error may
/// quote its input).
fn scrub(message: String, text: &str, secret: bool) -> String {
    if secret && !text.is_empty() && message.contains(text) {
        message.replace(text, REDACTED)
    } else {
        message
    }
}
