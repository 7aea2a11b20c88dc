//! One load in progress: the source, the environment, the prefix in force, every problem and
//! warning found so far, and the effective values for the report. Name resolution is
//! `resolve.rs`; this is the problem sink and the API a `validate` or `computed` function sees.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::ffi::{OsStr, OsString};

use crate::environment::{ENVIRONMENT_VARIABLE, Environment, describe_environments};
use crate::names::{NameTable, Snapshot, VarValues};
use crate::report::{Origin, Problem, ProblemKind, Resolved, Warning, WarningKind};
use crate::resolve::{Findings, Found, Resolution, Resolver, borrowed_text_of};
use crate::schema::{Presence, VarSchema};
use crate::secret::REDACTED;
use crate::source::Source;
use crate::value::{CheckFn, ConfigValue, describe_range};

pub use crate::resolve::MAX_FILE_SIZE;

/// The state of one load. Generated code, hand-written [`Config`](crate::Config) impls and
/// struct-level checks all report into it, so every problem lands in one report.
pub struct Context<'a> {
    source: &'a dyn Source,
    /// `ENVIRONMENT`, read on first use, with what reading it found (an invalid value is a
    /// problem) until [`Context::settle_environment`] moves that into the report.
    environment: OnceCell<(Environment, Findings)>,
    prefix: String,
    findings: Findings,
    resolved: Vec<Resolved>,
    /// Whether effective values are rendered for the report (not needed by `from_source`).
    record: bool,
    /// What one walk of the source found, for a schema with a name table.
    snapshot: Option<Snapshot>,
}

impl std::fmt::Debug for Context<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Counts only: the report is where values are rendered, secrets redacted.
        f.debug_struct("Context")
            .field("prefix", &self.prefix)
            .field("resolved", &self.resolved.len())
            .finish_non_exhaustive()
    }
}

/// What loading one variable gave.
#[doc(hidden)]
pub enum Slot<T> {
    /// A value: parsed, or the default.
    Value(T),
    /// Unset, optional, and without a default.
    Unset,
    /// Something is wrong; the problem is in the report.
    Failed,
}

impl<T> std::fmt::Debug for Slot<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the value: it may be a secret.
        f.write_str(match self {
            Slot::Value(_) => "Slot::Value(..)",
            Slot::Unset => "Slot::Unset",
            Slot::Failed => "Slot::Failed",
        })
    }
}

impl<T> Slot<T> {
    /// For a field that must have a value: `None` when it has none (reported).
    pub fn into_required(self) -> Option<T> {
        match self {
            Slot::Value(value) => Some(value),
            Slot::Unset | Slot::Failed => None,
        }
    }

    /// For an `Option` field: `Some(None)` when unset, `None` when it failed.
    pub fn into_optional(self) -> Option<Option<T>> {
        match self {
            Slot::Value(value) => Some(Some(value)),
            Slot::Unset => Some(None),
            Slot::Failed => None,
        }
    }
}

impl<'a> Context<'a> {
    /// Starts a load: reads `ENVIRONMENT` once, for every rule of every nested struct.
    pub(crate) fn new(source: &'a dyn Source) -> Self {
        Context {
            source,
            environment: OnceCell::new(),
            prefix: String::new(),
            findings: Findings::default(),
            resolved: Vec::new(),
            record: true,
            snapshot: None,
        }
    }

    /// Walks the source once for every name of `table`, when the source can list its
    /// variables: the load then reads the values found, and the walk's unknown names.
    pub(crate) fn walk_source(&mut self, table: &'static NameTable) {
        self.snapshot = Snapshot::take(self.source, table);
    }

    /// The names of the schema's families that the walk found and the schema does not read;
    /// `None` without a walk.
    pub(crate) fn walked_unknown_names(&mut self) -> Option<Vec<String>> {
        self.snapshot
            .as_mut()
            .map(|snapshot| std::mem::take(&mut snapshot.unknown))
    }

    /// `ENVIRONMENT` as set in the source.
    fn environment_text(&self) -> Option<Cow<'_, OsStr>> {
        match self.snapshot.as_ref().and_then(Snapshot::environment) {
            Some(kept) => kept.map(Cow::Borrowed),
            None => self.source.get(ENVIRONMENT_VARIABLE).map(Cow::Owned),
        }
    }

    /// Reads `ENVIRONMENT` now (if nothing has yet) and puts what was wrong with it into the
    /// report. A schema with rules by environment, and every load with a report, settle it
    /// first; otherwise it is read only if a `validate` or `computed` function asks.
    pub(crate) fn settle_environment(&mut self) -> Environment {
        let environment = self.environment();
        if let Some((_, found)) = self.environment.get_mut() {
            self.findings.problems.append(&mut found.problems);
            self.findings.warnings.append(&mut found.warnings);
        }
        environment
    }

    /// Whether `ENVIRONMENT` is set in the source (valid or not).
    pub(crate) fn environment_is_set(&self) -> bool {
        self.environment_text().is_some()
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

    fn resolver(&self) -> Resolver<'_> {
        Resolver {
            source: self.source,
            prefix: &self.prefix,
            values: None,
        }
    }

    /// The environment of this load.
    pub fn environment(&self) -> Environment {
        self.environment
            .get_or_init(|| read_environment(self.environment_text().as_deref()))
            .0
    }

    /// A variable's name as the operator writes it: the current prefix applied.
    pub fn full_name<'n>(&self, name: &'n str) -> Cow<'n, str> {
        self.resolver().full_name(name)
    }

    /// Adds a problem about `variable` (the current prefix is applied to it).
    pub fn problem(&mut self, variable: &str, kind: ProblemKind, message: impl Into<String>) {
        let variable = self.full_name(variable).into_owned();
        self.push_problem(variable, kind, message.into());
    }

    /// Adds a warning about `variable` (the current prefix is applied to it).
    pub fn warn(&mut self, variable: &str, kind: WarningKind, message: impl Into<String>) {
        let variable = self.full_name(variable).into_owned();
        self.findings.warning(variable, kind, message.into());
    }

    /// Whether any problem has been found so far.
    pub fn has_problems(&self) -> bool {
        !self.findings.problems.is_empty()
            || self
                .environment
                .get()
                .is_some_and(|(_, found)| !found.problems.is_empty())
    }

    /// Runs `load` with `prefix` added to every name it reads (a flattened struct).
    pub(crate) fn nested<T>(&mut self, prefix: &str, load: impl FnOnce(&mut Self) -> T) -> T {
        let outer = self.prefix.len();
        self.prefix.push_str(prefix);
        let value = load(self);
        self.prefix.truncate(outer);
        value
    }

    /// Loads one variable: its names resolved, the environment's rules, the default,
    /// parsing and `check`.
    /// Generic by the value's type only: every field of a type shares one copy.
    pub(crate) fn load_value<T>(
        &mut self,
        var: &'static VarSchema,
        parse: &dyn Fn(&mut String) -> Result<T, String>,
        render: &dyn Fn(&T) -> String,
        default: Option<fn() -> T>,
        check: Option<CheckFn<T>>,
    ) -> Slot<T> {
        let check = |value: &T| check.map_or(Ok(()), |check| check(value));
        let mut values = self
            .snapshot
            .as_mut()
            .and_then(|snapshot| snapshot.var(var, &self.prefix));
        // The common case, measured hot: only the canonical name is set (or none), no report.
        // Its text is taken without resolving names; anything unusual (an alias or `_FILE`
        // set, blank, not UTF-8) is put back for the resolver, which reports it.
        match &mut values {
            Some(values) if !self.record && values.only_canonical() => {
                match canonical_text(values, var) {
                    Some(Some(text)) => return self.parse_canonical(var, text, parse, check),
                    Some(None) => return self.absent(var, default),
                    None => {}
                }
            }
            _ => {}
        }
        let resolution = Resolver {
            source: self.source,
            prefix: &self.prefix,
            values,
        }
        .resolve(var, &mut self.findings);
        let (value, found) = match resolution {
            Resolution::Failed => return Slot::Failed,
            Resolution::Unset => match self.absent(var, default) {
                Slot::Value(value) => (value, None),
                other => return other,
            },
            Resolution::Found(mut found) => match parse(&mut found.text.text) {
                Ok(value) => (value, Some(found)),
                Err(message) => {
                    self.invalid(var, &found, message);
                    return Slot::Failed;
                }
            },
        };
        if let Err(message) = check(&value) {
            self.out_of_range(var, found.as_ref(), message);
            return Slot::Failed;
        }
        if self.record {
            self.record_value(var, &value, found.as_ref(), render);
        }
        Slot::Value(value)
    }

    /// The canonical name's text, parsed and checked; problems reported as the general way
    /// reports them. A value simply set builds nothing more.
    #[inline(always)]
    fn parse_canonical<T>(
        &mut self,
        var: &VarSchema,
        mut text: String,
        parse: &dyn Fn(&mut String) -> Result<T, String>,
        check: impl Fn(&T) -> Result<(), String>,
    ) -> Slot<T> {
        match parse(&mut text) {
            Ok(value) => match check(&value) {
                Ok(()) => {
                    // What a parser left of a secret's text is wiped, as `RawText` does.
                    if var.secret && text.capacity() > 0 {
                        zeroize::Zeroize::zeroize(&mut text);
                    }
                    return Slot::Value(value);
                }
                Err(message) => {
                    let found = Found::canonical(text, var.secret);
                    self.out_of_range(var, Some(&found), message);
                }
            },
            Err(message) => {
                let found = Found::canonical(text, var.secret);
                self.invalid(var, &found, message);
            }
        }
        Slot::Failed
    }

    /// A value that did not parse: the problem, on the variable that supplied it.
    fn invalid(&mut self, var: &VarSchema, found: &Found, parser_message: String) {
        let variable = self.resolver().supplier(found, var);
        let message = invalid_message(var, found, parser_message);
        let location = self.source.location(&variable);
        self.findings
            .problem(variable, ProblemKind::Invalid, message, location);
    }

    /// A value outside its `range` or `min_len`.
    fn out_of_range(&mut self, var: &VarSchema, found: Option<&Found>, message: String) {
        // A range check's message quotes the value: never next to a secret's name, and never
        // a file's contents (`/proc/self/environ`, a key) on a file variable's behalf.
        let message = match found.and_then(|f| f.file_path.as_deref()) {
            _ if var.secret => format!(
                "the value (a secret, not shown) is outside what is accepted ({})",
                var.requirement_text()
            ),
            Some(path) => format!(
                "the contents of {path} (not shown) are outside what is accepted ({})",
                var.requirement_text()
            ),
            None => message,
        };
        let location = found
            .map(|f| self.resolver().supplier(f, var))
            .and_then(|v| self.source.location(&v));
        let name = self.full_name(var.name).into_owned();
        self.findings
            .problem(name, ProblemKind::OutOfRange, message, location);
    }

    /// Adds a variable's effective value to the report. A secret's renderer gives its
    /// canonical text, which only feeds the digest; where the type cannot render its value
    /// (empty, or the redaction marker), the text it was read from does, so that two
    /// different secrets never look alike. A value that renders as the redaction marker is a
    /// secret even where the schema did not say so (a `Secret` behind a type alias, which
    /// the derive cannot see): it is compared by digest, never as the marker.
    fn record_value<T>(
        &mut self,
        var: &VarSchema,
        value: &T,
        found: Option<&Found>,
        render: &dyn Fn(&T) -> String,
    ) {
        let rendered = render(value);
        if !var.secret && rendered != REDACTED {
            self.push_resolved(var, found, Some(rendered), None, false);
            return;
        }
        let canonical = zeroize::Zeroizing::new(rendered);
        let text = match found {
            Some(found) if canonical.is_empty() || *canonical == REDACTED => &*found.text,
            _ => canonical.as_str(),
        };
        let digest = crate::fingerprint::secret_digest(text);
        self.push_resolved(var, found, Some(REDACTED.to_owned()), digest, true);
    }

    fn push_resolved(
        &mut self,
        var: &VarSchema,
        found: Option<&Found>,
        rendered: Option<String>,
        digest: Option<String>,
        secret: bool,
    ) {
        let resolver = self.resolver();
        let origin = match found {
            Some(found) => resolver.origin(found, var),
            None if rendered.is_some() => Origin::Default,
            None => Origin::Unset,
        };
        let location = found.and_then(|found| self.source.location(&resolver.supplier(found, var)));
        let variable = resolver.full_name(var.name).into_owned();
        self.resolved.push(Resolved {
            variable,
            origin,
            rendered,
            secret,
            digest,
            per_service: var.per_service,
            key_material: var.key_material,
            location,
        });
    }

    /// An unset variable: missing where the environment requires it, else the default or
    /// nothing.
    fn absent<T>(&mut self, var: &VarSchema, default: Option<fn() -> T>) -> Slot<T> {
        // Only a rule by environment reads ENVIRONMENT (the schema settled it already).
        let required_here =
            !var.required_in.is_empty() && var.required_in.contains(&self.environment());
        if var.presence == Presence::Required || required_here {
            let message = if required_here {
                format!(
                    "is missing; it is required in {} (ENVIRONMENT={})",
                    describe_environments(var.required_in),
                    self.environment()
                )
            } else {
                format!("is missing; set it to a value of type `{}`", var.ty)
            };
            let name = self.full_name(var.name).into_owned();
            self.push_problem(name, ProblemKind::Missing, message);
            return Slot::Failed;
        }
        match default {
            Some(default) => Slot::Value(default()),
            None => {
                if self.record {
                    self.push_resolved(var, None, None, None, var.secret);
                }
                Slot::Unset
            }
        }
    }

    fn push_problem(&mut self, variable: String, kind: ProblemKind, message: String) {
        self.findings.problem(variable, kind, message, None);
    }

    /// Ends the load: the problems, warnings and effective values collected.
    pub(crate) fn finish(mut self) -> (Vec<Problem>, Vec<Warning>, Vec<Resolved>) {
        if self.environment.get().is_some() {
            self.settle_environment();
        }
        (
            self.findings.problems,
            self.findings.warnings,
            self.resolved,
        )
    }
}

/// The text of `var`'s canonical name when no other of its names is set: `Some(None)` when
/// it is unset too; `None` (the value put back) when the text is blank or not UTF-8, which the
/// resolver reports.
#[inline(always)]
fn canonical_text(values: &mut VarValues<'_>, var: &VarSchema) -> Option<Option<String>> {
    match values.take(var, 0, false).map(OsString::into_string) {
        None => Some(None),
        Some(Ok(text)) if !crate::resolve::is_blank(&text) => Some(Some(text)),
        Some(Ok(text)) => {
            values.put_back(OsString::from(text));
            None
        }
        Some(Err(raw)) => {
            values.put_back(raw);
            None
        }
    }
}

/// `ENVIRONMENT` from its text: development when unset. An invalid value is a problem, and
/// the load fails with it whatever the rest reads.
fn read_environment(raw: Option<&OsStr>) -> (Environment, Findings) {
    let mut found = Findings::default();
    let text = raw.and_then(|raw| borrowed_text_of(ENVIRONMENT_VARIABLE, raw, &mut found));
    let environment = match text.map(|text| Environment::parse_value(text).map_err(|m| (text, m))) {
        None => Environment::Development,
        Some(Ok(environment)) => environment,
        Some(Err((text, message))) => {
            let message = format!("{} is invalid: {message}", quote(text));
            found.problem(
                ENVIRONMENT_VARIABLE.to_owned(),
                ProblemKind::Invalid,
                message,
                None,
            );
            Environment::Development
        }
    };
    (environment, found)
}

/// A non-secret value as a message may show it: quoted, escaped, and cut when long. Key
/// material is never quoted, whatever the field: a private key pasted where a public one
/// belongs would show most of its secret in the first 80 characters.
pub(crate) fn quote(text: &str) -> String {
    const LIMIT: usize = 80;
    if looks_like_key_material(text) {
        return "(key material, not shown)".to_owned();
    }
    match text.char_indices().nth(LIMIT) {
        Some((cut, _)) => format!("{:?}...", &text[..cut]),
        None => format!("{text:?}"),
    }
}

/// Whether a value holds a PEM document or a part of one (`-----BEGIN`, `PRIVATE KEY`), in
/// any case, with or without the escaped line breaks env files carry.
fn looks_like_key_material(text: &str) -> bool {
    const MARKERS: [&str; 3] = ["-----BEGIN", "-----END", "PRIVATE KEY"];
    let upper = text.to_ascii_uppercase();
    MARKERS.iter().any(|marker| upper.contains(marker))
}

/// A doc comment's first sentence, on one line.
fn first_sentence(doc: &str) -> String {
    let end = doc
        .find(". ")
        .or_else(|| doc.find(".\n"))
        .map_or(doc.len(), |i| i + 1);
    doc[..end].replace('\n', " ")
}

/// The message for a value that did not parse. The parser's message is never used for a
/// secret or a file's contents (it may quote, trim or cut them: a PEM label, a line of
/// `/proc/self/environ`); a number with a `range` says the schema's range rather than the
/// type's.
fn invalid_message(var: &VarSchema, found: &Found, parser_message: String) -> String {
    let expected = match var.range {
        Some(range) => format!("expected {}", describe_range(range, var.ty)),
        // The field's documentation says what is accepted without quoting anything.
        None if var.secret || found.file_path.is_some() => match first_sentence(var.doc).as_str() {
            "" => format!("expected a value of type `{}`", var.ty),
            doc => format!("expected a `{}`: {doc}", var.ty),
        },
        None => parser_message,
    };
    match &found.file_path {
        _ if var.secret => format!("the value (a secret, not shown) is invalid; {expected}"),
        // Key material is never quoted: a private key's body pasted without its PEM lines,
        // or a private JWK, where a public key belongs would show its secret.
        None if var.key_material => {
            format!("the value (key material, not shown) is invalid: {expected}")
        }
        Some(path) => format!("the contents of {path} (not shown) are invalid: {expected}"),
        None => format!("{} is invalid: {expected}", quote(&found.text)),
    }
}
