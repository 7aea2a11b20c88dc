//! The environment of one instance, as a [`Source`] the loader reads: values with where each
//! came from, and the files the container's volumes hold.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use jwt_config::{Location, Source};
use zeroize::Zeroizing;

/// What a container's environment and volumes hold, as far as the inputs tell.
#[derive(Default)]
pub(crate) struct FleetSource {
    values: BTreeMap<String, (Zeroizing<String>, Location)>,
    files: BTreeMap<PathBuf, (Zeroizing<Vec<u8>>, String)>,
}

impl FleetSource {
    /// Sets `name` (a later value replaces an earlier one, as the kubelet and Compose do).
    pub(crate) fn set(&mut self, name: &str, value: Zeroizing<String>, origin: Location) {
        self.values.insert(name.to_owned(), (value, origin));
    }

    /// Removes `name` (a later reference whose value is unknown replaces a known one).
    pub(crate) fn unset(&mut self, name: &str) {
        self.values.remove(name);
    }

    /// The value of `name`, for `$(VAR)` expansion.
    pub(crate) fn value(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(|(value, _)| value.as_str())
    }

    /// Every variable and its value.
    pub(crate) fn variables(&self) -> impl Iterator<Item = (&str, &str)> {
        self.values
            .iter()
            .map(|(name, (value, _))| (name.as_str(), value.as_str()))
    }

    /// A file a volume puts at `path`, and where its content comes from.
    pub(crate) fn mount(&mut self, path: PathBuf, content: Zeroizing<Vec<u8>>, origin: String) {
        self.files.insert(path, (content, origin));
    }

    /// Whether a volume puts a file at `path`.
    pub(crate) fn has_file(&self, path: &Path) -> bool {
        self.files.contains_key(path)
    }

    /// Every variable of another source (an env file), with its locations.
    pub(crate) fn absorb(&mut self, other: &dyn Source) {
        for name in other.names().unwrap_or_default() {
            if let Some(value) = other.get(&name) {
                let value = Zeroizing::new(value.to_string_lossy().into_owned());
                let origin = other
                    .location(&name)
                    .unwrap_or_else(|| Location::named("env file"));
                self.set(&name, value, origin);
            }
        }
    }
}

impl Source for FleetSource {
    fn get(&self, name: &str) -> Option<OsString> {
        self.value(name).map(OsString::from)
    }

    fn names(&self) -> Option<Vec<String>> {
        Some(self.values.keys().cloned().collect())
    }

    fn location(&self, name: &str) -> Option<Location> {
        self.values.get(name).map(|(_, origin)| origin.clone())
    }

    fn read_file(&self, path: &Path, limit: u64) -> Result<Zeroizing<Vec<u8>>, String> {
        match self.files.get(path) {
            Some((content, _)) if content.len() as u64 > limit => {
                Err(format!("is larger than {} KiB", limit / 1024))
            }
            Some((content, _)) => Ok(content.clone()),
            None => Err("is on no volume the inputs mount (not checked)".to_owned()),
        }
    }
}
