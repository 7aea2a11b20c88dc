//! Where variables come from: the process environment, a map, an env file, or layers of them.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::report::{ConfigError, Problem, ProblemKind};

/// A lookup of variables. Values may be non-UTF-8; the loader reports those as problems.
pub trait Source {
    /// The value of `name`, if set.
    fn get(&self, name: &str) -> Option<OsString>;
}

impl<S: Source + ?Sized> Source for &S {
    fn get(&self, name: &str) -> Option<OsString> {
        (**self).get(name)
    }
}

impl<S: Source + ?Sized> Source for Box<S> {
    fn get(&self, name: &str) -> Option<OsString> {
        (**self).get(name)
    }
}

/// The process environment, read with [`std::env::var_os`] and never written.
#[derive(Clone, Copy, Debug, Default)]
pub struct ProcessEnv;

impl Source for ProcessEnv {
    fn get(&self, name: &str) -> Option<OsString> {
        std::env::var_os(name)
    }
}

/// An isolated environment held in memory: one per test, or per simulated service.
///
/// ```
/// use jwt_config_core::{MapSource, Source};
///
/// let source: MapSource = [("SERVICE_ID", "billing")].into_iter().collect();
/// assert_eq!(source.get("SERVICE_ID").unwrap(), "billing");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MapSource {
    values: BTreeMap<String, OsString>,
}

impl MapSource {
    /// An empty environment.
    pub fn new() -> Self {
        MapSource::default()
    }

    /// Sets a variable (builder style).
    pub fn with(mut self, name: impl Into<String>, value: impl Into<OsString>) -> Self {
        self.insert(name, value);
        self
    }

    /// Sets a variable; the value may be non-UTF-8.
    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<OsString>) {
        self.values.insert(name.into(), value.into());
    }

    /// Unsets a variable.
    pub fn remove(&mut self, name: &str) {
        self.values.remove(name);
    }

    /// The variables set, in name order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.values.keys().map(String::as_str)
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for MapSource {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let values = iter
            .into_iter()
            .map(|(k, v)| (k.into(), OsString::from(v.into())));
        MapSource {
            values: values.collect(),
        }
    }
}

impl Source for MapSource {
    fn get(&self, name: &str) -> Option<OsString> {
        self.values.get(name).cloned()
    }
}

/// Sources stacked by precedence: the first layer that sets a variable wins.
///
/// ```
/// use jwt_config_core::{Layered, MapSource, Source};
///
/// let process = MapSource::new().with("PORT", "9000");
/// let file = MapSource::new().with("PORT", "8080").with("HOST", "db");
/// let layers = Layered::new().layer(process).layer(file);
/// assert_eq!(layers.get("PORT").unwrap(), "9000");
/// assert_eq!(layers.get("HOST").unwrap(), "db");
/// ```
#[derive(Default)]
pub struct Layered {
    layers: Vec<Box<dyn Source>>,
}

impl Layered {
    /// No layers yet.
    pub fn new() -> Self {
        Layered::default()
    }

    /// Adds a layer below the existing ones (lower precedence).
    pub fn layer(mut self, source: impl Source + 'static) -> Self {
        self.layers.push(Box::new(source));
        self
    }
}

impl Source for Layered {
    fn get(&self, name: &str) -> Option<OsString> {
        self.layers.iter().find_map(|layer| layer.get(name))
    }
}

/// How an env file treats `$VAR` and `${VAR}` in its values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Substitution {
    /// As dotenvy does: the process environment first, then earlier lines of the file.
    ProcessEnvironment,
    /// Isolated: any substitution is a problem, so nothing from the process leaks in.
    Refused,
}

/// A `.env` file, parsed with dotenvy's iterator API (never `dotenv()`, which writes the
/// process environment). Problems name the file and line but never quote the line, which may
/// hold a secret.
#[derive(Clone, Debug)]
pub struct EnvFile {
    path: PathBuf,
    values: MapSource,
}

impl EnvFile {
    /// Reads an env file in isolation: `$VAR` substitution is refused, so its values depend
    /// on the file alone.
    pub fn isolated(path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        EnvFile::load(path, Substitution::Refused)
    }

    /// Reads an env file with the given substitution policy.
    pub fn load(path: impl AsRef<Path>, substitution: Substitution) -> Result<Self, ConfigError> {
        let path = path.as_ref().to_path_buf();
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(&path).map_err(|error| {
            file_problem(&shown, format!("cannot be read: {}", io_reason(&error)))
        })?;
        if substitution == Substitution::Refused
            && let Some(line) = first_substitution_line(&text)
        {
            return Err(file_problem(
                &shown,
                format!(
                    "line {line}: `$` substitution is not allowed in an isolated env file; \
                     write `\\$` or single-quote the value"
                ),
            ));
        }
        let mut values = MapSource::new();
        for item in dotenvy::from_read_iter(text.as_bytes()) {
            match item {
                Ok((name, value)) => values.insert(name, value),
                Err(dotenvy::Error::LineParse(line, _)) => {
                    let number = line_number_of(&text, &line);
                    return Err(file_problem(
                        &shown,
                        format!("line {number}: not a valid `NAME=value` line"),
                    ));
                }
                Err(error) => {
                    let reason = match error {
                        dotenvy::Error::Io(io) => io_reason(&io),
                        _ => "cannot be parsed".to_owned(),
                    };
                    return Err(file_problem(&shown, reason));
                }
            }
        }
        Ok(EnvFile { path, values })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The variables the file sets, in name order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.values.names()
    }
}

impl Source for EnvFile {
    fn get(&self, name: &str) -> Option<OsString> {
        self.values.get(name)
    }
}

fn file_problem(path: &str, message: String) -> ConfigError {
    let problem = Problem {
        variable: path.to_owned(),
        kind: ProblemKind::Source,
        message,
    };
    ConfigError::new(vec![problem], Vec::new())
}

/// An io::Error's kind in words; its Display may quote data, its kind never does.
pub(crate) fn io_reason(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        std::io::ErrorKind::InvalidData => "not valid UTF-8".to_owned(),
        std::io::ErrorKind::IsADirectory => "is a directory".to_owned(),
        kind => kind.to_string(),
    }
}

/// The 1-based line on which `line` (dotenvy quotes it whole) starts.
fn line_number_of(text: &str, line: &str) -> usize {
    let first = line.lines().next().unwrap_or_default();
    text.lines()
        .position(|candidate| candidate == first)
        .map_or(0, |index| index + 1)
}

/// The first line holding a `$` that dotenvy would substitute: outside single quotes, not
/// escaped, not in a comment, followed by a name or `{`.
fn first_substitution_line(text: &str) -> Option<usize> {
    let mut line = 1;
    let (mut single, mut double, mut comment) = (false, false, false);
    let mut previous = '\n';
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' => {
                line += 1;
                comment = false;
            }
            _ if comment => {}
            '#' if !single && !double && previous.is_whitespace() => comment = true,
            '\'' if !double => single = !single,
            '"' if !single => double = !double,
            // An escaped character is skipped; an escaped newline still ends a line.
            '\\' if !single => line += usize::from(chars.next() == Some('\n')),
            '$' if !single
                && chars
                    .peek()
                    .is_some_and(|n| *n == '{' || n.is_ascii_alphanumeric() || *n == '_') =>
            {
                return Some(line);
            }
            _ => {}
        }
        previous = c;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitution_is_found_outside_single_quotes_only() {
        assert_eq!(first_substitution_line("A=1\nB=${HOME}\n"), Some(2));
        assert_eq!(first_substitution_line("A='$HOME'\n"), None);
        assert_eq!(first_substitution_line("A=\\$HOME\n# $HOME\n"), None);
        assert_eq!(first_substitution_line("A=\"x $B\"\n"), Some(1));
        assert_eq!(first_substitution_line("A=cost$\n"), None);
    }

    #[test]
    fn a_line_is_found_by_its_text() {
        assert_eq!(line_number_of("A=1\nB C\n", "B C"), 2);
    }
}
