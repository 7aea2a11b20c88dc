//! Where variables come from: the process environment, a map, an env file, or layers of them.

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::fmt;
use std::path::{Path, PathBuf};

use crate::files::read_regular_file;
use crate::names::NameFilter;
use crate::report::{ConfigError, Problem, ProblemKind};
use crate::secret::REDACTED;

use zeroize::Zeroizing;

/// A lookup of variables. Values may be non-UTF-8; the loader reports those as problems.
pub trait Source {
    /// The value of `name`, if set.
    fn get(&self, name: &str) -> Option<OsString>;

    /// Every name the source sets, when it can list them: the loader warns about names that
    /// look like the schema's but are not in it (`JWT_ACCES_TOKEN_EXPIRE_MINUTES`). `None`
    /// (the default) for a source that cannot list its names.
    fn names(&self) -> Option<Vec<String>> {
        None
    }

    /// Calls `visit` with every variable the source sets, name and value, in one pass, and
    /// returns `true`; `false` (the default) when it cannot list them. A derived load walks
    /// its source once this way, for both the values it reads and the near-miss names it warns
    /// about, instead of asking name by name.
    ///
    /// It must agree with [`Source::get`]: the first value visited for a name is the one a
    /// load uses, so it must be the one `get` returns (a name set twice is visited first as
    /// `get` finds it). A source whose `get` maps names or values (case-insensitive, decrypted,
    /// filtered) keeps the default, and is asked name by name. Names that `filter` rules out
    /// may be skipped (a hint for sources with many variables; visiting them is harmless).
    fn for_each_variable(
        &self,
        filter: &NameFilter,
        visit: &mut dyn FnMut(&OsStr, &OsStr),
    ) -> bool {
        let _ = (filter, visit);
        false
    }

    /// Where `name` is set, for messages and reports: a file and line, the process
    /// environment. `None` (the default) when the source cannot say.
    fn location(&self, name: &str) -> Option<Location> {
        let _ = name;
        None
    }

    /// The contents of the file a `NAME_FILE` variable names, at most `limit` bytes. The
    /// default reads this machine's file system (a regular file only); a source describing
    /// another machine (a container with a Secret mounted as a volume, as `jwt-config audit`
    /// reads it from manifests) answers from what it knows. `Err` is the reason in words
    /// ("cannot be read (not found)"), never the contents.
    fn read_file(&self, path: &Path, limit: u64) -> Result<Zeroizing<Vec<u8>>, String> {
        read_regular_file(path, limit).map_err(|refusal| refusal.to_string())
    }

    /// The file `variable` (a `NAME_FILE`) points to: what the loader calls. The default is
    /// [`Source::read_file`]; a source made of others ([`Layered`]) asks the one that sets
    /// `variable`, so an isolated env file's rules hold for its own `_FILE` variables.
    fn read_file_for(
        &self,
        variable: &str,
        path: &Path,
        limit: u64,
    ) -> Result<Zeroizing<Vec<u8>>, String> {
        let _ = variable;
        self.read_file(path, limit)
    }
}

/// Where a source sets a variable: which source, and the line of a file.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Location {
    /// The source: a file's path, or `process environment`.
    pub source: String,
    /// The 1-based line of a file.
    pub line: Option<usize>,
}

impl Location {
    /// A place in a file.
    pub fn file_line(path: impl Into<String>, line: usize) -> Self {
        Location {
            source: path.into(),
            line: Some(line),
        }
    }

    /// A source without lines (the process environment, a map).
    pub fn named(source: impl Into<String>) -> Self {
        Location {
            source: source.into(),
            line: None,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{} line {line}", self.source),
            None => f.write_str(&self.source),
        }
    }
}

/// A reference or a box is the source it points to: every method forwarded, none forgotten.
macro_rules! forward_source {
    ($($pointer:ty),*) => {$(
        impl<S: Source + ?Sized> Source for $pointer {
            fn get(&self, name: &str) -> Option<OsString> {
                (**self).get(name)
            }
            fn names(&self) -> Option<Vec<String>> {
                (**self).names()
            }
            fn for_each_variable(
                &self,
                filter: &NameFilter,
                visit: &mut dyn FnMut(&OsStr, &OsStr),
            ) -> bool {
                (**self).for_each_variable(filter, visit)
            }
            fn location(&self, name: &str) -> Option<Location> {
                (**self).location(name)
            }
            fn read_file(&self, path: &Path, limit: u64) -> Result<Zeroizing<Vec<u8>>, String> {
                (**self).read_file(path, limit)
            }
            fn read_file_for(
                &self,
                variable: &str,
                path: &Path,
                limit: u64,
            ) -> Result<Zeroizing<Vec<u8>>, String> {
                (**self).read_file_for(variable, path, limit)
            }
        }
    )*};
}

forward_source!(&S, Box<S>);

/// The process environment, never written. A derived load walks it once, reading the C
/// library's `environ` array in place as `getenv` does (on Unix; elsewhere name by name with
/// [`std::env::var_os`]): like any C code that reads the environment, that walk relies on
/// [`std::env::set_var`]'s documented contract, so a program must not set or remove variables
/// on one thread while another loads (tests use a [`MapSource`] instead).
#[derive(Clone, Copy, Debug, Default)]
pub struct ProcessEnv;

impl Source for ProcessEnv {
    fn get(&self, name: &str) -> Option<OsString> {
        std::env::var_os(name)
    }
    fn names(&self) -> Option<Vec<String>> {
        Some(
            std::env::vars_os()
                .filter_map(|(name, _)| name.into_string().ok())
                .collect(),
        )
    }
    fn for_each_variable(
        &self,
        filter: &NameFilter,
        visit: &mut dyn FnMut(&OsStr, &OsStr),
    ) -> bool {
        crate::environ::for_each_variable(filter, visit)
    }
    fn location(&self, name: &str) -> Option<Location> {
        std::env::var_os(name).map(|_| Location::named("process environment"))
    }
}

/// An isolated environment held in memory: one per test, or per simulated service. Its
/// Debug output names the variables and redacts every value.
///
/// ```
/// use jwt_config_core::{MapSource, Source};
///
/// let source: MapSource = [("SERVICE_ID", "billing")].into_iter().collect();
/// assert_eq!(source.get("SERVICE_ID").unwrap(), "billing");
/// assert_eq!(format!("{source:?}"), r#"MapSource({"SERVICE_ID": [redacted]})"#);
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct MapSource {
    values: BTreeMap<String, OsString>,
    /// What the map stands for, for origins and messages (`ConfigMap prod/shared`).
    name: Option<String>,
}

impl fmt::Debug for MapSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("MapSource")
            .field(&RedactedValues(&self.values))
            .finish()
    }
}

/// A map shown with its names and never its values.
struct RedactedValues<'a>(&'a BTreeMap<String, OsString>);

impl fmt::Debug for RedactedValues<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.0.keys().map(|name| (name, Redacted)))
            .finish()
    }
}

struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl MapSource {
    /// An empty environment.
    pub fn new() -> Self {
        MapSource::default()
    }

    /// Names the map (`ConfigMap prod/jwt-shared`): where its values come from, as origins
    /// and `check --format json` report it.
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
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
            name: None,
        }
    }
}

impl Source for MapSource {
    fn get(&self, name: &str) -> Option<OsString> {
        self.values.get(name).cloned()
    }
    fn names(&self) -> Option<Vec<String>> {
        Some(self.values.keys().cloned().collect())
    }
    fn for_each_variable(
        &self,
        _filter: &NameFilter,
        visit: &mut dyn FnMut(&OsStr, &OsStr),
    ) -> bool {
        for (name, value) in &self.values {
            visit(OsStr::new(name), value);
        }
        true
    }
    fn location(&self, name: &str) -> Option<Location> {
        self.values.get(name)?;
        self.name.as_deref().map(Location::named)
    }
}

/// Sources stacked by precedence: **each layer added overrides the ones before it**, as
/// repeated `--env-file` options, Docker Compose's `env_file` lists and figment's merges do.
/// This is the one precedence order of the project; the CLI builds its layers with it.
///
/// ```
/// use jwt_config_core::{Layered, MapSource, Source};
///
/// let file = MapSource::new().with("PORT", "8080").with("HOST", "db");
/// let process = MapSource::new().with("PORT", "9000");
/// let layers = Layered::new().over(file).over(process);
/// assert_eq!(layers.get("PORT").unwrap(), "9000");
/// assert_eq!(layers.get("HOST").unwrap(), "db");
/// ```
#[derive(Default)]
pub struct Layered {
    /// Lowest precedence first.
    layers: Vec<Box<dyn Source>>,
}

impl Layered {
    /// No layers yet.
    pub fn new() -> Self {
        Layered::default()
    }

    /// Adds a layer over the existing ones: where it sets a variable, it wins.
    pub fn over(mut self, source: impl Source + 'static) -> Self {
        self.layers.push(Box::new(source));
        self
    }

    fn winner(&self, name: &str) -> Option<&dyn Source> {
        self.layers
            .iter()
            .rev()
            .map(|layer| &**layer)
            .find(|layer| layer.get(name).is_some())
    }
}

impl Source for Layered {
    fn get(&self, name: &str) -> Option<OsString> {
        self.layers.iter().rev().find_map(|layer| layer.get(name))
    }
    fn names(&self) -> Option<Vec<String>> {
        let mut names: Vec<String> = self
            .layers
            .iter()
            .filter_map(|l| l.names())
            .flatten()
            .collect();
        names.sort();
        names.dedup();
        Some(names)
    }
    fn for_each_variable(
        &self,
        filter: &NameFilter,
        visit: &mut dyn FnMut(&OsStr, &OsStr),
    ) -> bool {
        // The winning layer first: a name's first visit is the value `get` gives.
        self.layers
            .iter()
            .rev()
            .all(|layer| layer.for_each_variable(filter, visit))
    }
    fn location(&self, name: &str) -> Option<Location> {
        self.winner(name)?.location(name)
    }
    fn read_file_for(
        &self,
        variable: &str,
        path: &Path,
        limit: u64,
    ) -> Result<Zeroizing<Vec<u8>>, String> {
        match self.winner(variable) {
            Some(layer) => layer.read_file_for(variable, path, limit),
            None => self.read_file(path, limit),
        }
    }
}

impl fmt::Debug for Layered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Layered({} layers)", self.layers.len())
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

/// The largest env file read.
pub const MAX_ENV_FILE_SIZE: u64 = 1024 * 1024;

/// A `.env` file, parsed with dotenvy's iterator API (never `dotenv()`, which writes the
/// process environment). Problems name the file and line but never quote the line, which may
/// hold a secret; its Debug output names the variables and redacts the values.
#[derive(Clone)]
pub struct EnvFile {
    path: PathBuf,
    values: MapSource,
    lines: BTreeMap<String, usize>,
    /// Isolated: the only directories a `_FILE` variable of the file may point into (the
    /// file's own, and those allowed with [`EnvFile::allow_file_dir`]). `None`: any file.
    file_dirs: Option<Vec<PathBuf>>,
}

impl fmt::Debug for EnvFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnvFile")
            .field("path", &self.path)
            .field("values", &RedactedValues(&self.values.values))
            .finish()
    }
}

impl EnvFile {
    /// Reads an env file in isolation: `$VAR` substitution is refused, so its values depend
    /// on the file alone, and a `NAME_FILE` it sets is read only inside the file's own
    /// directory (or one allowed with [`EnvFile::allow_file_dir`]): an untrusted file cannot
    /// make the checking machine read `/proc/self/environ` or a CI secret. A file elsewhere
    /// is a problem saying it was not read.
    pub fn isolated(path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        EnvFile::load(path, Substitution::Refused)
    }

    /// Reads an env file with the given substitution policy. Only a regular file of at most
    /// 1 MiB is read; a UTF-8 byte order mark at its start is skipped. With
    /// [`Substitution::Refused`] the file is isolated, `_FILE` reads included (see
    /// [`EnvFile::isolated`]).
    pub fn load(path: impl AsRef<Path>, substitution: Substitution) -> Result<Self, ConfigError> {
        let path = path.as_ref().to_path_buf();
        let shown = path.display().to_string();
        let bytes = read_regular_file(&path, MAX_ENV_FILE_SIZE)
            .map_err(|refusal| file_problem(&shown, refusal.to_string()))?;
        let mut file = EnvFile::parse(path, &bytes, substitution)?;
        if let Some(dirs) = &mut file.file_dirs {
            let parent = match file.path.parent() {
                Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
                _ => PathBuf::from("."),
            };
            dirs.push(parent);
        }
        Ok(file)
    }

    /// Allows the `_FILE` variables of an isolated file to point into `dir` too (its own
    /// directory always is). Paths are compared once links and `..` are resolved, so neither
    /// escapes. No effect on a file read with the process environment's substitution.
    pub fn allow_file_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        if let Some(dirs) = &mut self.file_dirs {
            dirs.push(dir.into());
        }
        self
    }

    /// Parses env-file text held in memory (a ConfigMap's data, a test's input); `name` is
    /// what problems and locations call it. Isolated text has no directory of its own: its
    /// `_FILE` variables are read only inside directories allowed with
    /// [`EnvFile::allow_file_dir`].
    pub fn parse(
        name: impl Into<PathBuf>,
        bytes: &[u8],
        substitution: Substitution,
    ) -> Result<Self, ConfigError> {
        let path = name.into();
        let shown = path.display().to_string();
        let fail = |message: String| file_problem(&shown, message);
        let text = std::str::from_utf8(bytes).map_err(|_| fail("is not valid UTF-8".to_owned()))?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let invalid_line = |line: usize| {
            let hint = unquoted_json_hint(text, line);
            fail(format!("line {line}: not a valid `NAME=value` line{hint}"))
        };
        let items = match substitution {
            Substitution::Refused => {
                let marked = MarkedText::new(text);
                let literal = parse_located(&marked.text).map_err(invalid_line)?;
                let mut items = Vec::with_capacity(literal.len());
                for (name, value, line) in literal {
                    let Some(value) = marked.unmark(&value) else {
                        let line = line.unwrap_or(0);
                        return Err(fail(format!(
                            "line {line}: `$` substitution is not allowed in an isolated env file; \
                             write `\\$` or single-quote the value"
                        )));
                    };
                    items.push((name, value, line));
                }
                items
            }
            // dotenvy's own substitution, as its users expect (it changes values, never lines).
            Substitution::ProcessEnvironment => parse_located(text).map_err(invalid_line)?,
        };
        let mut values = MapSource::new();
        let mut located = BTreeMap::new();
        for (name, value, line) in items {
            if let Some(line) = line {
                located.insert(name.clone(), line);
            }
            values.insert(name, value);
        }
        let file_dirs = match substitution {
            Substitution::Refused => Some(Vec::new()),
            Substitution::ProcessEnvironment => None,
        };
        Ok(EnvFile {
            path,
            values,
            lines: located,
            file_dirs,
        })
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
    fn names(&self) -> Option<Vec<String>> {
        Source::names(&self.values)
    }
    fn for_each_variable(
        &self,
        filter: &NameFilter,
        visit: &mut dyn FnMut(&OsStr, &OsStr),
    ) -> bool {
        self.values.for_each_variable(filter, visit)
    }
    fn location(&self, name: &str) -> Option<Location> {
        self.values.get(name)?;
        let source = self.path.display().to_string();
        Some(match self.lines.get(name) {
            Some(line) => Location::file_line(source, *line),
            None => Location::named(source),
        })
    }
    fn read_file(&self, path: &Path, limit: u64) -> Result<Zeroizing<Vec<u8>>, String> {
        match &self.file_dirs {
            None => read_regular_file(path, limit).map_err(|refusal| refusal.to_string()),
            Some(dirs) => read_confined_file(path, dirs, limit),
        }
    }
}

/// Reads `path` if, links and `..` resolved, it lies inside one of `dirs`; otherwise says it
/// was not read, without saying whether it exists.
fn read_confined_file(
    path: &Path,
    dirs: &[PathBuf],
    limit: u64,
) -> Result<Zeroizing<Vec<u8>>, String> {
    let allowed: Vec<PathBuf> = dirs
        .iter()
        .filter_map(|dir| std::fs::canonicalize(dir).ok())
        .collect();
    let real = std::fs::canonicalize(path).ok();
    match real {
        Some(real) if allowed.iter().any(|dir| real.starts_with(dir)) => {
            read_regular_file(&real, limit).map_err(|refusal| refusal.to_string())
        }
        _ => {
            let inside = if allowed.is_empty() {
                "no directory (text read from memory has none of its own)".to_owned()
            } else {
                let shown: Vec<String> = allowed.iter().map(|d| d.display().to_string()).collect();
                shown.join(", ")
            };
            Err(format!(
                "was not read (not checked): the _FILE variables of an isolated env file are read \
                 only inside its own directory and those allowed, here {inside}; move the file \
                 there or allow its directory (--allow-file-dir DIR, EnvFile::allow_file_dir)"
            ))
        }
    }
}

/// Every item dotenvy parses from `text`, or the index of the failing item and the logical
/// line it quotes (never shown).
#[cfg(test)]
fn parse(text: &str) -> Result<Vec<(String, String)>, (usize, String)> {
    let mut items = Vec::new();
    for item in dotenvy::from_read_iter(text.as_bytes()) {
        match item {
            Ok(pair) => items.push(pair),
            Err(dotenvy::Error::LineParse(line, _)) => return Err((items.len(), line)),
            Err(_) => return Err((items.len(), String::new())),
        }
    }
    Ok(items)
}

/// Every item dotenvy parses from `text`, with the 1-based line it starts on; or the line on
/// which the item that does not parse starts. One pass: dotenvy reads the text a physical
/// line at a time (see [`LineByLine`]), so the bytes it has read after each item end that
/// item, and the item starts on the first line of that span that begins with its name
/// (the lines before it are blank or comments).
fn parse_located(text: &str) -> Result<Vec<(String, String, Option<usize>)>, usize> {
    let starts: Vec<usize> = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .filter(|&start| start < text.len())
        .collect();
    let consumed = std::rc::Rc::new(std::cell::Cell::new(0));
    let reader = LineByLine {
        rest: text.as_bytes(),
        consumed: consumed.clone(),
    };
    let mut items = Vec::new();
    let mut iter = dotenvy::from_read_iter(reader);
    let mut line = 0;
    loop {
        let span_start = line;
        let item = iter.next();
        let end = consumed.get();
        let span_end = starts.partition_point(|&start| start < end);
        line = span_end;
        let physical = |l: usize| {
            let stop = starts.get(l + 1).copied().unwrap_or(text.len());
            &text[starts[l]..stop]
        };
        match item {
            None => return Ok(items),
            Some(Ok((name, value))) => {
                let found = (span_start..span_end).find(|&l| starts_item(physical(l), &name));
                items.push((name, value, found.map(|l| l + 1)));
            }
            Some(Err(error)) => {
                let quoted = match &error {
                    dotenvy::Error::LineParse(logical, _) => logical.lines().next().unwrap_or(""),
                    _ => "",
                };
                let found = (span_start..span_end)
                    .find(|&l| physical(l).trim_end_matches(['\n', '\r']) == quoted)
                    .or_else(|| (span_start..span_end).find(|&l| !physical(l).trim().is_empty()));
                return Err(found.map_or(span_start, |l| l) + 1);
            }
        }
    }
}

/// A reader that ends every read at the end of a physical line, so that dotenvy's buffered
/// reader never holds text past the item it returns: `consumed` is where that item ends.
struct LineByLine<'a> {
    rest: &'a [u8],
    consumed: std::rc::Rc<std::cell::Cell<usize>>,
}

impl std::io::Read for LineByLine<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let window = &self.rest[..buf.len().min(self.rest.len())];
        let n = window
            .iter()
            .position(|&b| b == b'\n')
            .map_or(window.len(), |i| i + 1);
        buf[..n].copy_from_slice(&window[..n]);
        self.rest = &self.rest[n..];
        self.consumed.set(self.consumed.get() + n);
        Ok(n)
    }
}

/// An env file's text in which every `$` is followed by a marker character that occurs
/// nowhere in the file. dotenvy then never substitutes anything: a `$` that it would
/// substitute is consumed with an empty name and leaves the marker alone in the value,
/// while a literal `$` (escaped or single-quoted) stays `$` + marker. Isolation is thereby
/// decided by dotenvy's own parser, not by a second one that could disagree with it.
struct MarkedText {
    text: String,
    marker: char,
}

impl MarkedText {
    fn new(text: &str) -> Self {
        // A private-use character the file does not contain: there are 6,400 of them.
        let marker = ('\u{E000}'..='\u{F8FF}')
            .find(|c| !text.contains(*c))
            .unwrap_or('\u{E000}');
        MarkedText {
            text: text.replace('$', &format!("${marker}")),
            marker,
        }
    }

    /// The literal value, or `None` when dotenvy would have substituted something.
    fn unmark(&self, value: &str) -> Option<String> {
        let mut out = String::with_capacity(value.len());
        let mut chars = value.chars();
        while let Some(c) = chars.next() {
            if c == self.marker {
                return None;
            }
            out.push(c);
            if c == '$' && chars.next() != Some(self.marker) {
                return None;
            }
        }
        Some(out)
    }
}

/// Whether a physical line begins the item `name` (`NAME=`, `export NAME=`, spaces allowed).
fn starts_item(line: &str, name: &str) -> bool {
    let line = line.trim_start();
    let line = match line.strip_prefix("export") {
        Some(rest) if rest.starts_with(char::is_whitespace) && name != "export" => {
            rest.trim_start()
        }
        _ => line,
    };
    line.strip_prefix(name)
        .is_some_and(|rest| rest.trim_start().starts_with('='))
}

/// The fix of a line whose value is unquoted JSON (a JWK Set), which dotenvy ends at a space
/// and strips of its double quotes: single quotes. Names the variable, never the value; empty
/// for any other line.
fn unquoted_json_hint(text: &str, line: usize) -> String {
    let physical = line
        .checked_sub(1)
        .and_then(|index| text.lines().nth(index));
    let Some(physical) = physical.map(str::trim_start) else {
        return String::new();
    };
    let assignment = physical.strip_prefix("export ").unwrap_or(physical);
    let Some((name, value)) = assignment.split_once('=') else {
        return String::new();
    };
    let name = name.trim();
    let plain_name = (1..=64).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if plain_name && value.trim_start().starts_with(['{', '[']) {
        format!(
            "; {name} holds JSON, which an env file keeps whole only in single quotes: \
             {name}='{{\"keys\":[...]}}' (the value is not shown)"
        )
    } else {
        String::new()
    }
}

fn file_problem(path: &str, message: String) -> ConfigError {
    let problem = Problem::new(path, ProblemKind::Source, message);
    ConfigError::new(vec![problem], Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn isolated(text: &str) -> Result<Vec<(String, String)>, ()> {
        let marked = MarkedText::new(text);
        let items = parse(&marked.text).map_err(|_| ())?;
        items
            .into_iter()
            .map(|(k, v)| marked.unmark(&v).map(|v| (k, v)).ok_or(()))
            .collect()
    }

    #[test]
    fn substitution_is_refused_wherever_dotenvy_would_substitute() {
        for text in [
            "B=${HOME}\n",
            "A=\"x $B\"\n",
            "A=$\\${HOME}\n",
            "A=$'${HOME}$'\n",
            "A=x\r#${HOME}\n",
            "A=cost$\n",
            "A=$$\n",
        ] {
            assert_eq!(isolated(text), Err(()), "{text:?}");
        }
    }

    #[test]
    fn literal_dollars_stay_literal() {
        assert_eq!(isolated("A='$HOME'\n").unwrap()[0].1, "$HOME");
        assert_eq!(isolated("A=\\$HOME\n").unwrap()[0].1, "$HOME");
        assert_eq!(isolated("A=\"\\${X}\"\n").unwrap()[0].1, "${X}");
        assert_eq!(isolated("A=1 # $HOME\n").unwrap()[0].1, "1");
    }

    fn lines(text: &str) -> Vec<Option<usize>> {
        parse_located(text)
            .unwrap()
            .into_iter()
            .map(|(_, _, line)| line)
            .collect()
    }

    #[test]
    fn items_are_located_on_their_real_lines() {
        let text = "# c\nA=\"one\nB=inside\"\n\nexport B=2\n  C = 3\n";
        assert_eq!(lines(text), [Some(2), Some(5), Some(6)]);
        assert_eq!(
            lines(&MarkedText::new(text).text),
            [Some(2), Some(5), Some(6)]
        );
        assert_eq!(lines("A=1\r\n\r\nB=2"), [Some(1), Some(3)]);
    }

    #[test]
    fn a_line_that_does_not_parse_is_found_after_quoted_lines() {
        assert_eq!(
            parse_located("A=\"x\nB=y\"\nC=1\nnot a line\n").err(),
            Some(4)
        );
        assert_eq!(parse_located("A=1\nB=\"never closed\nC=2\n").err(), Some(2));
    }

    /// The documented bound, 1 MiB, loads (it took hours while each item's line was found
    /// by parsing the file again up to it).
    #[test]
    fn an_env_file_of_the_documented_bound_loads() {
        let mut text = String::new();
        let mut index = 0;
        while text.len() < MAX_ENV_FILE_SIZE as usize - 64 {
            text.push_str(&format!("# {index}\nVAR_{index}='v $x'\n\n"));
            index += 1;
        }
        let file = EnvFile::parse("big.env", text.as_bytes(), Substitution::Refused).unwrap();
        assert_eq!(file.names().count(), index);
        let last = format!("VAR_{}", index - 1);
        assert_eq!(
            file.location(&last).unwrap().line,
            Some(3 * (index - 1) + 2)
        );
    }

    /// Locating items costs one pass of dotenvy over the text, whatever its size: the reader
    /// hands over every byte exactly once.
    #[test]
    fn locating_items_reads_the_text_once() {
        let text: String = (0..20_000)
            .map(|i| format!("# {i}\nVAR_{i}=\"a\nb\"\n\n"))
            .collect();
        let counted = std::rc::Rc::new(std::cell::Cell::new(0));
        let reader = LineByLine {
            rest: text.as_bytes(),
            consumed: counted.clone(),
        };
        assert_eq!(dotenvy::from_read_iter(reader).count(), 20_000);
        assert_eq!(counted.get(), text.len());
        let located = parse_located(&text).unwrap();
        assert_eq!(located.len(), 20_000);
        assert_eq!(located[19_999].2, Some(4 * 19_999 + 2));
    }
}
