//! Name resolution: where a variable's text comes from. The canonical name, its aliases and
//! their `_FILE` variants are looked up, reconciled (two disagreeing names are a problem, an
//! alias used is a deprecation warning) and read (non-UTF-8, blank, unreadable files are
//! problems). Nothing here is generic: every field of every struct shares this code.

use std::borrow::Cow;
use std::ffi::OsString;
use std::path::PathBuf;

use crate::names::VarValues;
use crate::report::{Origin, Problem, ProblemKind, Warning, WarningKind};
use crate::schema::{VarSchema, prefixed};
use crate::source::{Location, Source};

/// The largest file a `NAME_FILE` variable may point to.
pub const MAX_FILE_SIZE: u64 = 64 * 1024;

/// Problems and warnings as a load finds them, each once.
#[derive(Default)]
pub(crate) struct Findings {
    pub(crate) problems: Vec<Problem>,
    pub(crate) warnings: Vec<Warning>,
}

impl Findings {
    pub(crate) fn problem(
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

    pub(crate) fn warning(&mut self, variable: String, kind: WarningKind, message: String) {
        let warning = Warning::new(variable, kind, message);
        if !self.warnings.contains(&warning) {
            self.warnings.push(warning);
        }
    }
}

/// A variable's raw text, wiped from memory on drop when it belongs to a secret (or came
/// from a file); other values are freed as they are, which keeps plain loads cheap.
pub(crate) struct RawText {
    pub(crate) text: String,
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
        // A parser that took the text (`String`) left nothing to wipe.
        if self.wipe && self.text.capacity() > 0 {
            zeroize::Zeroize::zeroize(&mut self.text);
        }
    }
}

/// A value found for a variable, before parsing. Names are rebuilt from `index` only when a
/// message or the report needs them, so a variable that is simply set costs no allocation
/// beyond its text.
pub(crate) struct Found {
    /// 0 for the canonical name, `i` for alias `i - 1`.
    index: usize,
    /// The path, when the value came from the `_FILE` variant.
    pub(crate) file_path: Option<String>,
    pub(crate) text: RawText,
}

impl Found {
    /// Text read under the canonical name (a secret's wiped on drop).
    pub(crate) fn canonical(text: String, secret: bool) -> Found {
        Found {
            index: 0,
            file_path: None,
            text: RawText { text, wipe: secret },
        }
    }
}

/// What resolving a variable's names gave.
pub(crate) enum Resolution {
    /// No name is set.
    Unset,
    /// Something is wrong (recorded in the findings).
    Failed,
    /// The text to parse, and where it came from.
    Found(Found),
}

/// Resolves names under one prefix against one source.
pub(crate) struct Resolver<'a> {
    pub(crate) source: &'a dyn Source,
    pub(crate) prefix: &'a str,
    /// The values of the variable's names from the load's walk of the source, when it made
    /// one: then the source is not asked again.
    pub(crate) values: Option<VarValues<'a>>,
}

impl Resolver<'_> {
    /// A variable's name as the operator writes it: the prefix applied (by the one rule of
    /// `schema::prefixed`).
    #[inline]
    pub(crate) fn full_name<'n>(&self, name: &'n str) -> Cow<'n, str> {
        if self.prefix.is_empty() {
            Cow::Borrowed(name)
        } else {
            prefixed(self.prefix, name)
        }
    }

    /// The variable that supplied `found`: the canonical name, an alias, or a `_FILE`.
    pub(crate) fn supplier(&self, found: &Found, var: &VarSchema) -> String {
        let base = match found.index {
            0 => var.name,
            i => var.aliases[i - 1],
        };
        let name = self.full_name(base);
        match found.file_path {
            Some(_) => format!("{name}_FILE"),
            None => name.into_owned(),
        }
    }

    /// Where `found` came from, for the report.
    pub(crate) fn origin(&self, found: &Found, var: &VarSchema) -> Origin {
        match &found.file_path {
            Some(path) => Origin::File {
                variable: self.supplier(found, var),
                path: path.clone(),
            },
            None if found.index == 0 => Origin::Canonical,
            None => Origin::Alias(self.supplier(found, var)),
        }
    }

    /// The text of `var` under its canonical name, its aliases and their `_FILE` variants.
    #[inline]
    pub(crate) fn resolve(&mut self, var: &VarSchema, findings: &mut Findings) -> Resolution {
        let canonical = self.full_name(var.name);
        if var.aliases.is_empty() && !var.file {
            // The common case, one name: nothing to reconcile.
            return match self.lookup_name(var, &canonical, &canonical, 0, findings) {
                Ok(Some(found)) => Resolution::Found(found),
                Ok(None) => Resolution::Unset,
                Err(()) => Resolution::Failed,
            };
        }
        let mut first: Option<Found> = None;
        let mut others: Vec<Found> = Vec::new();
        let mut failed = false;
        let names = std::iter::once(&var.name).chain(var.aliases);
        for (index, name) in names.enumerate() {
            let name = self.full_name(name);
            match self.lookup_name(var, &canonical, &name, index, findings) {
                Ok(Some(found)) if first.is_none() => first = Some(found),
                Ok(Some(found)) => others.push(found),
                Ok(None) => {}
                Err(()) => failed = true,
            }
        }
        match first {
            _ if failed => Resolution::Failed,
            None => Resolution::Unset,
            Some(first) => self.agree(var, &canonical, first, others, findings),
        }
    }

    /// One name and, where accepted, its `_FILE` variant; both set is a problem.
    #[inline]
    fn lookup_name(
        &mut self,
        var: &VarSchema,
        canonical: &str,
        name: &str,
        index: usize,
        findings: &mut Findings,
    ) -> Result<Option<Found>, ()> {
        let file_name = || format!("{name}_FILE");
        let (direct, file) = match &mut self.values {
            Some(values) => (
                values.take(var, index, false),
                values.take(var, index, true).filter(|_| var.file),
            ),
            None if var.file => (self.source.get(name), self.source.get(&file_name())),
            None => (self.source.get(name), None),
        };
        let (file_path, text) = match (direct, file) {
            (None, None) => return Ok(None),
            (Some(_), Some(_)) => {
                let message = format!(
                    "{name} and {} are both set; set only one of them",
                    file_name()
                );
                findings.problem(canonical.to_owned(), ProblemKind::Conflict, message, None);
                return Err(());
            }
            (Some(raw), None) => (None, text_of(name, raw, var.secret, findings).ok_or(())?),
            (None, Some(path)) => {
                let (path, text) = read_file(self.source, &file_name(), path, findings).ok_or(())?;
                (Some(path), text)
            }
        };
        Ok(Some(Found {
            index,
            file_path,
            text,
        }))
    }

    /// Several names set: they must agree; every alias used is a deprecation warning.
    fn agree(
        &self,
        var: &VarSchema,
        canonical: &str,
        first: Found,
        others: Vec<Found>,
        findings: &mut Findings,
    ) -> Resolution {
        if others.is_empty() && first.index == 0 {
            return Resolution::Found(first);
        }
        let describe = |found: &Found| {
            let variable = self.supplier(found, var);
            // Neither a secret nor a file's contents are quoted.
            if var.secret || var.key_material || found.file_path.is_some() {
                variable
            } else {
                format!("{variable}={}", crate::context::quote(&found.text))
            }
        };
        let differing: Vec<String> = others
            .iter()
            .filter(|other| *other.text != *first.text)
            .map(describe)
            .collect();
        if !differing.is_empty() {
            let message = format!(
                "{} and {} are set to different values; keep only {canonical}",
                describe(&first),
                differing.join(" and ")
            );
            findings.problem(canonical.to_owned(), ProblemKind::Conflict, message, None);
            return Resolution::Failed;
        }
        for found in std::iter::once(&first)
            .chain(&others)
            .filter(|f| f.index > 0)
        {
            // Built by hand, sized once: on every load of a service that still uses the alias.
            const MIDDLE: &str = " is a deprecated alias; rename it to ";
            let alias = self.supplier(found, var);
            let mut message = String::with_capacity(alias.len() + MIDDLE.len() + canonical.len());
            message.push_str(&alias);
            message.push_str(MIDDLE);
            message.push_str(canonical);
            findings.warning(canonical.to_owned(), WarningKind::DeprecatedAlias, message);
        }
        Resolution::Found(first)
    }
}

/// A variable's text: non-UTF-8 and blank values are problems.
#[inline]
pub(crate) fn text_of(
    name: &str,
    raw: OsString,
    secret: bool,
    findings: &mut Findings,
) -> Option<RawText> {
    let Ok(text) = raw.into_string() else {
        not_unicode(name, findings);
        return None;
    };
    let text = RawText { text, wipe: secret };
    if is_blank(&text) {
        blank(name, &text, secret, findings);
        return None;
    }
    Some(text)
}

/// [`text_of`] for a value read in place (`ENVIRONMENT`), by the same rules.
pub(crate) fn borrowed_text_of<'t>(
    name: &str,
    raw: &'t std::ffi::OsStr,
    findings: &mut Findings,
) -> Option<&'t str> {
    let Some(text) = raw.to_str() else {
        not_unicode(name, findings);
        return None;
    };
    if is_blank(text) {
        blank(name, text, false, findings);
        return None;
    }
    Some(text)
}

fn not_unicode(name: &str, findings: &mut Findings) {
    let message = "is not valid UTF-8".to_owned();
    findings.problem(name.to_owned(), ProblemKind::NotUnicode, message, None);
}

fn blank(name: &str, text: &str, secret: bool, findings: &mut Findings) {
    let what = if text.is_empty() { "empty" } else { "blank" };
    let hint = if secret {
        ""
    } else {
        "; unset it or give it a value"
    };
    let message = format!("is set but {what}{hint}");
    findings.problem(name.to_owned(), ProblemKind::Empty, message, None);
}

/// Whether `text` is empty or only whitespace; decided by the first byte in the usual case.
#[inline]
pub(crate) fn is_blank(text: &str) -> bool {
    match text.as_bytes().first() {
        None => true,
        Some(byte) if byte.is_ascii() && !byte.is_ascii_whitespace() => false,
        Some(_) => text.chars().all(char::is_whitespace),
    }
}

/// Reads the file a `NAME_FILE` variable points to; one trailing newline is stripped.
fn read_file(
    source: &dyn Source,
    file_name: &str,
    raw_path: OsString,
    findings: &mut Findings,
) -> Option<(String, RawText)> {
    let path = PathBuf::from(&raw_path);
    let shown = path.display().to_string();
    if raw_path.is_empty() {
        let message = "is set but empty".to_owned();
        findings.problem(file_name.to_owned(), ProblemKind::Empty, message, None);
        return None;
    }
    let mut fail = |reason: String| {
        let message = format!("points to {shown}, which {reason}");
        findings.problem(file_name.to_owned(), ProblemKind::File, message, None);
        None
    };
    let bytes = match source.read_file_for(file_name, &path, MAX_FILE_SIZE) {
        Ok(bytes) => bytes,
        Err(reason) => return fail(reason),
    };
    let Ok(text) = std::str::from_utf8(&bytes) else {
        return fail("is not valid UTF-8".into());
    };
    let text = text
        .strip_suffix('\n')
        .map_or(text, |t| t.strip_suffix('\r').unwrap_or(t));
    if text.chars().all(char::is_whitespace) {
        return fail("is empty".into());
    }
    let raw = RawText {
        text: text.to_owned(),
        wipe: true,
    };
    Some((shown, raw))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MapSource;
    use crate::schema::Presence;
    use crate::schema::build::Var;

    const TIMEOUT: VarSchema = Var::new("timeout", "TIMEOUT", "u64", "", Presence::Optional)
        .aliases(&["OLD_TIMEOUT"])
        .file()
        .build();

    fn resolve(source: &MapSource, prefix: &str) -> (Resolution, Findings) {
        let mut findings = Findings::default();
        let mut resolver = Resolver {
            source,
            prefix,
            values: None,
        };
        (resolver.resolve(&TIMEOUT, &mut findings), findings)
    }

    #[test]
    fn the_canonical_name_is_found_without_a_warning() {
        let (resolution, findings) = resolve(&MapSource::new().with("TIMEOUT", "5"), "");
        let Resolution::Found(found) = resolution else {
            panic!("not found")
        };
        assert_eq!(&*found.text, "5");
        assert!(findings.warnings.is_empty() && findings.problems.is_empty());
    }

    #[test]
    fn an_alias_is_found_with_a_deprecation_warning_under_the_prefix() {
        let (resolution, findings) =
            resolve(&MapSource::new().with("APP_OLD_TIMEOUT", "5"), "APP_");
        assert!(matches!(resolution, Resolution::Found(_)));
        assert_eq!(findings.warnings[0].variable(), "APP_TIMEOUT");
        assert!(findings.warnings[0].message().contains("APP_OLD_TIMEOUT"));
    }

    #[test]
    fn disagreeing_names_and_a_name_with_its_file_are_conflicts() {
        let both = MapSource::new()
            .with("TIMEOUT", "5")
            .with("OLD_TIMEOUT", "6");
        let (resolution, findings) = resolve(&both, "");
        assert!(matches!(resolution, Resolution::Failed));
        assert_eq!(findings.problems[0].kind(), ProblemKind::Conflict);
        let file = MapSource::new()
            .with("TIMEOUT", "5")
            .with("TIMEOUT_FILE", "/x");
        let (resolution, findings) = resolve(&file, "");
        assert!(matches!(resolution, Resolution::Failed));
        assert!(
            findings.problems[0]
                .message()
                .contains("TIMEOUT_FILE are both set")
        );
    }

    #[test]
    fn nothing_set_is_unset_and_blank_is_a_problem() {
        assert!(matches!(
            resolve(&MapSource::new(), "").0,
            Resolution::Unset
        ));
        let (resolution, findings) = resolve(&MapSource::new().with("TIMEOUT", "  "), "");
        assert!(matches!(resolution, Resolution::Failed));
        assert_eq!(findings.problems[0].kind(), ProblemKind::Empty);
    }
}
